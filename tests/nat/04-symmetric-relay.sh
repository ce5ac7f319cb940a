#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 4: pairs that cannot punch through. A port-restricted cone NAT
# only lets in what comes from an endpoint its host has sent to, and the
# symmetric NAT opposite sends from a new port for every destination; two
# symmetric NATs are worse still. The chat goes through the server's relay:
# it gets through, and the path says "relay".
#
#   04-symmetric-relay.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone)      --- alice 198.19.1.10
#                                    +-- nat2 (symmetric) --- bob   198.19.2.10
#                                    +-- nat3 (symmetric) --- carol 198.19.3.10
#                                    +-- nat4 (symmetric) --- dave  198.19.4.10
#
# alice (cone) chats with bob (symmetric), carol with dave (both symmetric).
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"

lab_router nat1 cone
lab_router nat2 symmetric
lab_router nat3 symmetric
lab_router nat4 symmetric
lab_host alice nat1
lab_host bob nat2
lab_host carol nat3
lab_host dave nat4

lab_server_start --verbose
for c in alice bob carol dave; do
  lab_client "$c" "$c"
done
lab_poll "alice, bob, carol and dave register" lab_registered alice bob carol dave
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob), carol $(lab_public carol), dave $(lab_public dave)"
lab_wait_knows alice bob
lab_wait_knows carol dave
lab_ok "alice lists bob, carol lists dave"

# pair FIRST SECOND KINDS
pair() {
  local before
  before=$(lab_relay_requests)
  lab_chat "$1" "$2" "hello $2"
  lab_measure "first chat $1->$2" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = relay ] || lab_fail "$1 -> $2 ($3) went via $LAB_CHAT_VIA, not relay"
  lab_ok "$3: $2 got $1's first message: Delivered to $2 via relay"
  lab_chat "$2" "$1" "hello $1"
  lab_measure "reply $2->$1" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = relay ] || lab_fail "$2 -> $1 ($3) went via $LAB_CHAT_VIA, not relay"
  lab_ok "$3: $1 got $2's reply: Delivered to $1 via relay"
  lab_path "$1" "$2"
  [ "$LAB_PATH" = relay ] || lab_fail "$1's @status shows $2 via $LAB_PATH"
  lab_path "$2" "$1"
  [ "$LAB_PATH" = relay ] || lab_fail "$2's @status shows $1 via $LAB_PATH"
  lab_ok "$3: @status shows relay on both sides"
  [ "$(lab_relay_requests)" -ge $((before + 4)) ] ||
    lab_fail "only $(($(lab_relay_requests) - before)) RELAY requests reached the server for 2 messages and 2 receipts"
  lab_ok "$3: $(($(lab_relay_requests) - before)) RELAY requests reached the server host"
}

pair alice bob "cone vs symmetric"
pair carol dave "symmetric vs symmetric"

lab_server_stop TERM
relayed=$(lab_server_relayed)
[ "${relayed:-0}" -ge 8 ] || lab_fail "natter-server relayed '$relayed' datagrams, expected at least 8"
lab_ok "natter-server's statistics: $relayed relayed"
lab_done
