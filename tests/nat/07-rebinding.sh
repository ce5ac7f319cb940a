#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 7: NAT rebinding in the middle of a conversation.
#
#   1. alice's NAT forgets all its mappings (conntrack -F). It gives alice
#      the same public port again (masquerade keeps a free source port), so
#      nobody moves; the chat goes on.
#   2. alice's NAT forgets all its mappings again and now maps alice to a
#      new public port, as a rebooted router or a carrier reassigning ports
#      would. The server logs "alice moved from OLD to NEW", and the peers
#      keep chatting: every message is still delivered.
#
#   07-rebinding.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone) --- alice 198.19.1.10
#                                    +-- nat2 (cone) --- bob   198.19.2.10
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"
lab_require conntrack
# a message is given up after 30 s without an acknowledgement
RECOVERY_WAIT=${RECOVERY_WAIT:-35}

lab_router nat1 cone
lab_router nat2 cone
lab_host alice nat1
lab_host bob nat2

lab_server_start --verbose
# keep-alives every 2 s: the server notices a new port within 2 s
lab_client alice alice --keepalive=2
lab_client bob bob --keepalive=2
lab_poll "alice and bob register" lab_registered alice bob
old=$(lab_public alice)
lab_ok "registered: alice $old, bob $(lab_public bob)"
lab_wait_knows alice bob

lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "alice -> bob went via $LAB_CHAT_VIA, not direct"
lab_chat bob alice "hello alice"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "bob -> alice went via $LAB_CHAT_VIA, not direct"
lab_ok "alice <-> bob: direct"

# 1. a flush alone
server_off=$(lab_size server)
lab_conntrack_flush nat1
lab_ok "nat1's conntrack table flushed (conntrack -F)"
for i in 1 2 3; do
  lab_chat alice bob "after the flush $i"
  lab_chat bob alice "after the flush $i"
  sleep 0.5
done
lab_measure "chat bob->alice after a flush" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
sleep 2
! lab_has server "$server_off" "moved" || lab_fail "natter-server saw a move after a flush alone"
[ "$(lab_public alice)" = "$old" ] || lab_fail "alice's public endpoint changed to $(lab_public alice)"
lab_ok "after the flush: 3 messages each way delivered, alice still at $old"

# 2. a flush and a new port
port=$((20000 + RANDOM % 10000))
new=${old%:*}:$port
server_off=$(lab_size server)
t0=$(lab_now_us)
lab_rebind nat1 alice "$port"
lab_ok "nat1 flushed and now maps alice to $new"

LAB_WAIT=$RECOVERY_WAIT lab_chat alice bob "after the move"
lab_measure "chat alice->bob right after the move" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "bob got alice's first message after the move (Delivered via $LAB_CHAT_VIA)"
LAB_WAIT=$RECOVERY_WAIT lab_chat bob alice "after the move"
lab_measure "chat bob->alice after the move" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "alice got bob's first message after the move (Delivered via $LAB_CHAT_VIA)"

lab_wait "natter-server logs alice's move" server "$server_off" "alice moved from "
t1=$(lab_stamp_of server "$server_off" "alice moved from ")
lab_measure "rebinding to 'alice moved' in the server's log" "$(lab_ms "$t0" "$t1")" log
[ "$(lab_public alice)" = "$new" ] || lab_fail "the server has alice at $(lab_public alice), not $new"
lab_ok "natter-server logged: $(lab_since server "$server_off" | grep -F -m 1 "alice moved from " | cut -d ' ' -f 2-)"

for i in 1 2 3; do
  LAB_WAIT=$RECOVERY_WAIT lab_chat alice bob "moved $i"
  LAB_WAIT=$RECOVERY_WAIT lab_chat bob alice "moved $i"
  sleep 0.5
done
lab_measure "later chat bob->alice after the move" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "3 more messages each way delivered after the move"
path_is() {
  lab_path "$1" "$2"
  [ "$LAB_PATH" = "$3" ]
}
lab_poll "alice's @status shows bob direct again" path_is alice bob direct
lab_poll "bob's @status shows alice direct again" path_is bob alice direct
lab_ok "@status: direct again on both sides; bob talks to alice at $LAB_ENDPOINT"
[ "$LAB_ENDPOINT" = "$new" ] || lab_fail "bob talks to alice at $LAB_ENDPOINT, not $new"

# The log line names the old endpoint and the new one.
lab_has server "$server_off" "alice moved from $old to $new" ||
  lab_fail "natter-server should log 'alice moved from $old to $new'"
lab_ok "natter-server logged 'alice moved from $old to $new'"
lab_done
