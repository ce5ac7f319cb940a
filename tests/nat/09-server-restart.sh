#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 9: the server dies (SIGKILL) during a direct conversation. The
# peers keep chatting directly while it is down; once it is back, both
# clients register again within 15 s, and the chat goes on as before.
#
#   09-server-restart.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone) --- alice 198.19.1.10
#                                    +-- nat2 (cone) --- bob   198.19.2.10
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"
DOWN=${DOWN:-5}
# Nothing between alice and bob changes when the server restarts, so a
# message is as quick afterwards as before: allow a few retransmissions,
# not a broken path.
AFTER_WAIT=${AFTER_WAIT:-5}

lab_router nat1 cone
lab_router nat2 cone
lab_host alice nat1
lab_host bob nat2

lab_server_start --verbose
lab_client alice alice --keepalive=1
lab_client bob bob --keepalive=1
lab_poll "alice and bob register" lab_registered alice bob
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob)"
lab_wait_knows alice bob

lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "alice -> bob went via $LAB_CHAT_VIA, not direct"
lab_chat bob alice "hello alice"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "bob -> alice went via $LAB_CHAT_VIA, not direct"
lab_ok "alice <-> bob: direct"

lab_server_stop KILL
lab_ok "natter-server killed (SIGKILL)"
t_down=$(lab_now_us)
n=0
while [ $(($(lab_now_us) - t_down)) -lt $((DOWN * 1000000)) ]; do
  n=$((n + 1))
  lab_chat alice bob "server down $n"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "with the server down, alice -> bob went via $LAB_CHAT_VIA"
  lab_chat bob alice "server down $n"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "with the server down, bob -> alice went via $LAB_CHAT_VIA"
  sleep 0.5
done
lab_measure "chat bob->alice with the server down" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "server down for ${DOWN}s: $n messages each way delivered directly"
lab_path alice bob
[ "$LAB_PATH" = direct ] || lab_fail "alice's @status shows bob via $LAB_PATH"
lab_ok "@status with the server down: direct"

LAB_SERVER_OFF=$(lab_size server)
t0=$(lab_now_us)
lab_server_start --verbose
LAB_WAIT=15 lab_poll "alice and bob register again within 15 s" lab_registered alice bob
t1=$(lab_now_us)
lab_measure "restart to both registered again" "$(lab_ms "$t0" "$t1")" log
lab_ok "both registered again: $(lab_since server "$LAB_SERVER_OFF" | grep -E '^[0-9]+ (alice|bob) 198' | cut -d ' ' -f 2- | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
# The one that registered again last speaks first: it is the one that found
# the other already in the new server's list.
second=$(lab_since server "$LAB_SERVER_OFF" | grep -E '^[0-9]+ (alice|bob) 198' | tail -n 1 | cut -d ' ' -f 2)
if [ "$second" = alice ]; then first=bob; else first=alice; fi
unset LAB_SERVER_OFF
lab_wait_knows alice bob
lab_wait_knows bob alice
lab_ok "alice and bob list each other again ($first registered first, then $second)"

LAB_WAIT=$AFTER_WAIT lab_chat "$second" "$first" "server back"
lab_measure "chat $second->$first after the restart" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "after the restart $second -> $first went via $LAB_CHAT_VIA"
lab_ok "after the restart: $second -> $first delivered direct"
LAB_WAIT=$AFTER_WAIT lab_chat "$first" "$second" "server back"
lab_measure "chat $first->$second after the restart" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "after the restart $first -> $second went via $LAB_CHAT_VIA"
lab_ok "after the restart: $first -> $second delivered direct"
lab_done
