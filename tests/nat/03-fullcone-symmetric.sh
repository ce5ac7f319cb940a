#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 3: a full-cone NAT against a symmetric NAT. The symmetric side's
# NAT gives its probes a new port, one the server never saw; the full-cone
# side receives them anyway (its NAT forwards its port from anyone), answers
# to where they came from and learns that endpoint as a peer-reflexive
# candidate. The path is direct, whichever side starts the conversation.
#
#   03-fullcone-symmetric.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (full cone) --- alice 198.19.1.10
#                                    +-- nat2 (symmetric) --- bob   198.19.2.10
#                                    +-- nat3 (symmetric) --- carol 198.19.3.10
#                                    +-- nat4 (full cone) --- dave  198.19.4.10
#
# alice starts with bob (full cone first), carol with dave (symmetric first).
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"

lab_router nat1 fullcone
lab_router nat2 symmetric
lab_router nat3 symmetric
lab_router nat4 fullcone
lab_host alice nat1
lab_host bob nat2
lab_host carol nat3
lab_host dave nat4
# natter-cli binds 10081 when it is free, as it is on these hosts
lab_fullcone_port nat1 alice 10081
lab_fullcone_port nat4 dave 10081

lab_server_start --verbose
for c in alice bob carol dave; do
  lab_client "$c" "$c" --port=10081
done
lab_poll "alice, bob, carol and dave register" lab_registered alice bob carol dave
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob), carol $(lab_public carol), dave $(lab_public dave)"
lab_wait_knows alice bob
lab_wait_knows carol dave
lab_ok "alice lists bob, carol lists dave"

# pair FIRST SECOND FULLCONE SYMMETRIC: FIRST starts, SECOND answers; both
# direct, and the full-cone side talks to a port of the symmetric side's NAT
# that the server never saw
pair() {
  lab_chat "$1" "$2" "hello $2"
  lab_measure "first chat $1->$2" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "$1 -> $2 went via $LAB_CHAT_VIA, not direct"
  lab_ok "$2 got $1's first message: Delivered to $2 via direct"
  lab_chat "$2" "$1" "hello $1"
  lab_measure "reply $2->$1" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "$2 -> $1 went via $LAB_CHAT_VIA, not direct"
  lab_ok "$1 got $2's reply: Delivered to $1 via direct"
  lab_path "$1" "$2"
  [ "$LAB_PATH" = direct ] || lab_fail "$1's @status shows $2 via $LAB_PATH"
  lab_note "$1's @status: $2 $LAB_PATH $LAB_ENDPOINT"
  lab_path "$2" "$1"
  [ "$LAB_PATH" = direct ] || lab_fail "$2's @status shows $1 via $LAB_PATH"
  lab_note "$2's @status: $1 $LAB_PATH $LAB_ENDPOINT"
  lab_ok "@status: $1 and $2 on path direct"
  lab_path "$3" "$4"
  [ "$LAB_ENDPOINT" != "$(lab_public "$4")" ] ||
    lab_fail "$3 talks to $4 at its server-reflexive endpoint $LAB_ENDPOINT"
  lab_ok "$3 reaches $4 at $LAB_ENDPOINT, not at $(lab_public "$4") (peer-reflexive)"
}

pair alice bob alice bob
pair carol dave dave carol

relays=$(lab_relay_requests)
[ "$relays" = 0 ] || lab_fail "$relays RELAY requests reached the server"
lab_ok "no RELAY request reached the server host"
lab_done
