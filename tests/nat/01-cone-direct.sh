#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 1: two clients behind two different port-restricted cone NATs
# punch through and chat directly; no chat datagram goes through the server.
#
#   01-cone-direct.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone) --- alice 198.19.1.10
#                                    +-- nat2 (cone) --- bob   198.19.2.10
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"

lab_router nat1 cone
lab_router nat2 cone
lab_host alice nat1
lab_host bob nat2

lab_server_start --verbose
lab_ok "natter-server listens on $LAB_SERVER_IP:$LAB_SERVER_PORT"
lab_client alice alice
lab_client bob bob
lab_poll "alice and bob register" lab_registered alice bob
lab_ok "alice registered as $(lab_public alice), bob as $(lab_public bob)"
lab_wait_knows alice bob
lab_wait_knows bob alice
lab_ok "each lists the other"

lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "alice's first message went via $LAB_CHAT_VIA, not direct"
lab_ok "bob got alice's first message: Delivered to bob via direct"

lab_chat bob alice "hello alice"
lab_measure "reply bob->alice" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "bob's reply went via $LAB_CHAT_VIA, not direct"
lab_ok "alice got bob's reply: Delivered to alice via direct"

for i in 1 2 3; do
  lab_chat bob alice "pong $i"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "reply $i went via $LAB_CHAT_VIA"
  lab_chat alice bob "ping $i"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "message $i went via $LAB_CHAT_VIA"
done
lab_measure "later chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "three more messages each way, all direct"

lab_path alice bob
[ "$LAB_PATH" = direct ] || lab_fail "alice's @status shows bob via $LAB_PATH"
lab_path bob alice
[ "$LAB_PATH" = direct ] || lab_fail "bob's @status shows alice via $LAB_PATH"
lab_ok "@status: path direct on both sides"

relays=$(lab_relay_requests)
[ "$relays" = 0 ] || lab_fail "$relays RELAY requests reached the server"
lab_ok "no RELAY request reached the server host (nft counter: 0)"
lab_server_stop TERM
relayed=$(lab_server_relayed)
[ "$relayed" = 0 ] || lab_fail "natter-server relayed '$relayed' datagrams"
lab_ok "natter-server's statistics: 0 relayed"
lab_done
