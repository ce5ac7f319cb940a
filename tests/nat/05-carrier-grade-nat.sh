#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 5: two home NATs behind one carrier-grade NAT (double NAT). The
# carrier's NAT does not hairpin: a datagram from its inside network to its
# own outside address goes nowhere. The two homes share a public address, so
# the server hands each the other's host address too, but those are private
# to each home. The chat gets through (relay or better) and the path is
# recorded. A third client on an ordinary home NAT reaches both of them
# through the two layers of NAT directly.
#
#   05-carrier-grade-nat.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- cgn 198.18.0.10 --- carrier network 198.19.1.0/24
#                                    |      +-- home1 (cone) 198.19.1.10 --- alice 198.19.2.10
#                                    |      +-- home2 (cone) 198.19.1.11 --- bob   198.19.3.10
#                                    +-- nat3 (cone) 198.18.0.13 --- carol 198.19.4.10
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"

lab_router cgn cgn
lab_router home1 cone cgn
lab_router home2 cone cgn
lab_router nat3 cone
lab_host alice home1
lab_host bob home2
lab_host carol nat3

lab_server_start --verbose
for c in alice bob carol; do
  lab_client "$c" "$c"
done
lab_poll "alice, bob and carol register" lab_registered alice bob carol
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob), carol $(lab_public carol)"
a=$(lab_public alice) b=$(lab_public bob)
[ "${a%:*}" = "${b%:*}" ] || lab_fail "alice and bob should share the carrier's address: $a, $b"
lab_ok "alice and bob share the carrier's public address ${a%:*}"
lab_wait_knows alice bob carol
lab_wait_knows bob alice carol
lab_ok "alice and bob list everyone"

lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
case $LAB_CHAT_VIA in
  relay | direct | lan) ;;
  *) lab_fail "alice -> bob went via $LAB_CHAT_VIA" ;;
esac
lab_ok "bob got alice's first message: Delivered to bob via $LAB_CHAT_VIA"
lab_chat bob alice "hello alice"
lab_measure "reply bob->alice" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
lab_ok "alice got bob's reply: Delivered to alice via $LAB_CHAT_VIA"
lab_path alice bob
lab_note "alice's @status: bob $LAB_PATH $LAB_ENDPOINT"
lab_path bob alice
lab_note "bob's @status: alice $LAB_PATH $LAB_ENDPOINT"
lab_ok "alice <-> bob behind one carrier-grade NAT: path $LAB_PATH"

for c in alice bob; do
  lab_chat carol "$c" "hello $c"
  lab_measure "first chat carol->$c" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "carol -> $c went via $LAB_CHAT_VIA, not direct"
  lab_chat "$c" carol "hello carol"
  [ "$LAB_CHAT_VIA" = direct ] || lab_fail "$c -> carol went via $LAB_CHAT_VIA, not direct"
  lab_ok "carol <-> $c through two layers of cone NAT: direct both ways"
done
lab_done
