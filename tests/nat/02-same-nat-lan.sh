#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 2: two clients behind the same NAT, which does not hairpin (a
# datagram from inside to its own outside address goes nowhere), reach each
# other on the LAN: path "lan". A third client behind another NAT chats
# directly with both.
#
#   02-same-nat-lan.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone) -+- alice 198.19.1.10
#                                    |                +- bob   198.19.1.11
#                                    +-- nat2 (cone) --- carol 198.19.2.10
#
# alice and bob both use local port 10081; the NAT keeps it for whoever
# registers first and gives the other a random port, which it then uses for
# every destination (Linux NAT reuses a source's existing mapping).
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"

lab_router nat1 cone
lab_router nat2 cone
lab_host alice nat1
lab_host bob nat1
lab_host carol nat2

lab_server_start --verbose
lab_client alice alice
lab_client bob bob
lab_client carol carol
lab_poll "alice, bob and carol register" lab_registered alice bob carol
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob), carol $(lab_public carol)"
lab_wait_knows alice bob carol
lab_wait_knows bob alice carol
lab_wait_knows carol alice bob
lab_ok "everyone lists everyone"

# expect FROM TO PATH LABEL
expect() {
  lab_chat "$1" "$2" "$4 from $1 to $2"
  lab_measure "$4 $1->$2" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = "$3" ] || lab_fail "$1 -> $2 went via $LAB_CHAT_VIA, not $3"
  lab_ok "$2 got $1's message: Delivered to $2 via $3"
}

expect alice bob lan "first chat"
expect bob alice lan reply
lab_path alice bob
[ "$LAB_PATH" = lan ] || lab_fail "alice's @status shows bob via $LAB_PATH"
lab_path bob alice
[ "$LAB_PATH" = lan ] || lab_fail "bob's @status shows alice via $LAB_PATH"
lab_ok "@status: alice and bob are on path lan"

expect carol alice direct "first chat"
expect carol bob direct "first chat"
expect alice carol direct reply
expect bob carol direct reply
for peer in alice bob; do
  lab_path carol "$peer"
  [ "$LAB_PATH" = direct ] || lab_fail "carol's @status shows $peer via $LAB_PATH"
  lab_path "$peer" carol
  [ "$LAB_PATH" = direct ] || lab_fail "$peer's @status shows carol via $LAB_PATH"
done
lab_ok "@status: carol is on path direct with alice and bob"

relays=$(lab_relay_requests)
[ "$relays" = 0 ] || lab_fail "$relays RELAY requests reached the server"
lab_ok "no RELAY request reached the server host"
lab_done
