#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 10: the assignment's own client.py (tests/classic/client.py,
# unchanged) behind NATs, registered with natter-server.
#
#   - carol and erin, behind two different NATs, register; each one's
#     @show_list shows both.
#   - frank and grace, behind the same NAT, chat by private address, as the
#     assignment intended: the server sends each "ID@private:IP" (same public
#     address, same /24), and client.py sends to that address, port 10081.
#   - dave, a native natter-cli behind that same NAT, sees all of them in
#     his @show_list, and chats with frank on the LAN both ways.
#
#   10-classic-clients.sh NATTER-SERVER NATTER-CLI [PYTHON3]
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone) --- carol (client.py) 198.19.1.10
#                                    +-- nat2 (cone) --- erin  (client.py) 198.19.2.10
#                                    +-- nat3 (cone) -+- frank (client.py) 198.19.3.10
#                                                     +- grace (client.py) 198.19.3.11
#                                                     +- dave  (natter-cli) 198.19.3.12
#
# client.py always binds port 10081, so frank and grace share one public
# address with different ports: the NAT gives the second one a random port.
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$1" "$2"
PYTHON=${3:-python3}
lab_require "$PYTHON"
[ -f "$LAB_HERE/../classic/client.py" ] || lab_skip "tests/classic/client.py not found"

lab_router nat1 cone
lab_router nat2 cone
lab_router nat3 cone
lab_host carol nat1
lab_host erin nat2
lab_host frank nat3
lab_host grace nat3
lab_host dave nat3

lab_server_start --verbose
lab_classic_client carol carol "$PYTHON"
lab_classic_client erin erin "$PYTHON"
# the interpreter may take a while to start
LAB_WAIT=30 lab_poll "carol and erin register" lab_registered carol erin
carol=$(lab_public carol) erin=$(lab_public erin)
lab_ok "client.py registered: carol $carol, erin $erin"

# classic_lists NAME LINE...: a fresh @show_list of client.py NAME shows
# every LINE ("ID ip:port")
classic_lists() {
  local name=$1 off line
  shift
  off=$(lab_size "$name")
  lab_send "$name" "@show_list"
  sleep 0.2
  for line in "$@"; do
    lab_has "$name" "$off" "$line" || return 1
  done
}
for c in carol erin; do
  lab_poll "$c's @show_list shows carol and erin" classic_lists "$c" "carol $carol" "erin $erin"
  lab_ok "$c's @show_list: 'carol $carol', 'erin $erin'"
done

lab_classic_client frank frank "$PYTHON"
lab_classic_client grace grace "$PYTHON"
lab_client dave dave
LAB_WAIT=30 lab_poll "frank, grace and dave register" lab_registered frank grace dave
frank=$(lab_public frank) grace=$(lab_public grace) dave=$(lab_public dave)
lab_ok "registered behind nat3: frank $frank, grace $grace, dave $dave"
[ "${frank%:*}" = "${grace%:*}" ] || lab_fail "frank and grace should share nat3's address"

for c in frank grace; do
  lab_poll "$c's @show_list shows everyone" classic_lists "$c" \
    "carol $carol" "erin $erin" "frank $frank" "grace $grace" "dave $dave"
done
lab_ok "frank's and grace's @show_list show all five"

# dave lists everyone (behind his own NAT, natter-cli shows the LAN address)
lab_poll "dave's @show_list lists all of them" lab_knows dave carol erin frank grace
off=$(lab_size dave)
lab_send dave "@show_list"
sleep 0.3
lab_note "dave's @show_list:"
lab_since dave "$off" | cut -d ' ' -f 2- | sed 's/^/#   /'
lab_ok "natter-cli dave's @show_list lists carol, erin, frank and grace"

# count_lan HOST FROM: counts datagrams HOST receives from FROM's private
# address, port 10081 to port 10081 (what a chat by private address is)
count_lan() {
  ip netns exec "${LAB_NS[$1]}" nft -f - <<NFT
table ip lab {
  counter lan { }
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr ${LAB_IP[$2]} udp sport 10081 udp dport 10081 counter name lan
  }
}
NFT
}
lan_count() {
  ip netns exec "${LAB_NS[$1]}" nft list counter ip lab lan | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
count_lan grace frank
count_lan frank grace

off=$(lab_size grace)
lab_send frank "@chat grace hello grace"
lab_wait "grace receives frank's chat" grace "$off" "From frank [hello grace]"
lab_ok "grace got 'From frank [hello grace]' (client.py to client.py, private address)"
off=$(lab_size frank)
lab_send grace "@chat frank hello frank"
lab_wait "frank receives grace's chat" frank "$off" "From grace [hello frank]"
lab_ok "frank got 'From grace [hello frank]'"
if [ "$(lan_count grace)" -lt 1 ] || [ "$(lan_count frank)" -lt 1 ]; then
  lab_fail "the chats did not come from the private addresses"
fi
lab_ok "both chats went from ${LAB_IP[frank]}:10081 to ${LAB_IP[grace]}:10081 and back (private addresses)"

off=$(lab_size frank)
lab_send dave "@chat frank hello from natter-cli"
lab_wait "frank receives dave's chat" frank "$off" "From dave [hello from natter-cli]"
lab_ok "frank (client.py) got 'From dave [hello from natter-cli]'"
off=$(lab_size dave)
lab_send frank "@chat dave hello natter-cli"
lab_wait "dave receives frank's chat" dave "$off" "From frank [hello natter-cli]"
lab_ok "dave (natter-cli) got 'From frank [hello natter-cli]'"
lab_path dave frank
[ "$LAB_PATH" = classic ] || lab_fail "dave's @status shows frank via $LAB_PATH"
lab_ok "dave's @status: frank classic $LAB_ENDPOINT"
lab_done
