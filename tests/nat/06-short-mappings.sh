#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 6: NATs that forget a UDP mapping after 5 seconds of silence (the
# conntrack UDP timeouts of both NAT namespaces set to 5 s). The clients
# keep their mappings alive: the server's (keep-alive every 2 s) and the
# peer's (the direct path's pings). After about 30 s of idle chat, both are
# still registered (the server never declares one off-line) and a new
# message still goes directly.
#
#   06-short-mappings.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone, UDP timeout 5 s) --- alice 198.19.1.10
#   (--timeout=8 --keepalive=2)      +-- nat2 (cone, UDP timeout 5 s) --- bob   198.19.2.10
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"
lab_require conntrack
IDLE=${IDLE:-30}
NAT_TIMEOUT=5

lab_router nat1 cone
lab_router nat2 cone
lab_conntrack_timeout nat1 "$NAT_TIMEOUT"
lab_conntrack_timeout nat2 "$NAT_TIMEOUT"
lab_host alice nat1
lab_host bob nat2

lab_server_start --verbose --timeout=8 --keepalive=2
lab_client alice alice --keepalive=2
lab_client bob bob --keepalive=2
lab_poll "alice and bob register" lab_registered alice bob
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob)"

# Every UDP mapping of the NATs has at most 5 s to live (conntrack -L shows
# the seconds left in its third column).
short_mappings() {
  local router left n=0
  for router in nat1 nat2; do
    while read -r _ _ left _; do
      [ "$left" -le "$NAT_TIMEOUT" ] || return 1
      n=$((n + 1))
    done < <(lab_mappings "$router")
  done
  [ "$n" -gt 0 ]
}
lab_poll "the NATs' mappings expire within ${NAT_TIMEOUT}s" short_mappings
lab_ok "the NATs' UDP mappings live at most ${NAT_TIMEOUT}s"

lab_wait_knows alice bob
lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "alice -> bob went via $LAB_CHAT_VIA, not direct"
lab_chat bob alice "hello alice"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "bob -> alice went via $LAB_CHAT_VIA, not direct"
lab_ok "alice <-> bob: direct"

server_off=$(lab_size server)
lab_note "idle for ${IDLE}s"
lab_sleep "$IDLE"
short_mappings || lab_fail "the NATs' mappings outlive ${NAT_TIMEOUT}s"
if lab_has server "$server_off" "is off-line"; then
  lab_fail "natter-server declared a client off-line"
fi
lab_ok "after ${IDLE}s idle: natter-server never logged 'is off-line'"
# A broken path would have made the clients ask for a new introduction.
if lab_has server "$server_off" "introduced"; then
  lab_fail "the clients needed a new introduction while idle: the direct path broke"
fi
lab_ok "after ${IDLE}s idle: no new introduction was needed (the direct path held)"
lab_wait_knows alice bob
lab_wait_knows bob alice
lab_ok "after ${IDLE}s idle: alice and bob still list each other"
lab_path alice bob
[ "$LAB_PATH" = direct ] || lab_fail "after ${IDLE}s idle alice's @status shows bob via $LAB_PATH"
lab_path bob alice
[ "$LAB_PATH" = direct ] || lab_fail "after ${IDLE}s idle bob's @status shows alice via $LAB_PATH"
lab_ok "after ${IDLE}s idle: @status still direct on both sides"

lab_chat alice bob "still there?"
lab_measure "chat alice->bob after ${IDLE}s idle" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "after the idle time alice -> bob went via $LAB_CHAT_VIA"
lab_chat bob alice "still here"
lab_measure "chat bob->alice after ${IDLE}s idle" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "after the idle time bob -> alice went via $LAB_CHAT_VIA"
lab_ok "after ${IDLE}s idle: new messages delivered direct both ways"

relays=$(lab_relay_requests)
[ "$relays" = 0 ] || lab_fail "$relays RELAY requests reached the server"
lab_ok "no RELAY request reached the server host"
lab_done
