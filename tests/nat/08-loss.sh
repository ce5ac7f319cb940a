#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# NAT lab 8: a lossy uplink. alice's NAT drops 25 % of what it forwards, in
# each direction (nftables numgen, since netem is not available). alice and
# bob punch through anyway, then each sends 200 messages at once: every one
# arrives exactly once (no duplicates, none missing) and is acknowledged.
#
#   08-loss.sh NATTER-SERVER NATTER-CLI
#
#   server 198.18.0.1 --- internet --+-- nat1 (cone, 25 % loss each way) --- alice 198.19.1.10
#                                    +-- nat2 (cone)                     --- bob   198.19.2.10
#
# The loss starts once both are registered: natter-cli gives up at start-up
# when four registration attempts in a row fail, which is not what this
# scenario is about.
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
lab_init "$@"
N=${N:-200}
LOSS=25

lab_router nat1 cone
lab_router nat2 cone
lab_host alice nat1
lab_host bob nat2

lab_server_start --verbose
lab_client alice alice
lab_client bob bob
lab_poll "alice and bob register" lab_registered alice bob
lab_ok "registered: alice $(lab_public alice), bob $(lab_public bob)"
lab_wait_knows alice bob
lab_wait_knows bob alice

lab_loss nat1 "$LOSS"
lab_ok "nat1 drops ${LOSS}% of its traffic in each direction"

LAB_WAIT=40 lab_chat alice bob "hello bob"
lab_measure "first chat alice->bob (${LOSS}% loss)" "$LAB_CHAT_MS" "$LAB_CHAT_VIA"
[ "$LAB_CHAT_VIA" = direct ] || lab_fail "alice -> bob went via $LAB_CHAT_VIA, not direct"
lab_ok "alice -> bob punched through the lossy NAT: direct"

off_a=$(lab_size alice)
off_b=$(lab_size bob)
t0=$(lab_now_us)
for ((i = 1; i <= N; i++)); do
  lab_send alice "@chat bob a-$i"
  lab_send bob "@chat alice b-$i"
done

# receipts FROM TO: how many "Delivered to TO" lines FROM has printed
receipts() {
  lab_since "$1" "$2" | grep -c -F "Delivered to $3 via " || true
}
all_delivered() {
  lab_has alice "$off_a" "Failed to deliver" && lab_fail "alice: a message failed"
  lab_has bob "$off_b" "Failed to deliver" && lab_fail "bob: a message failed"
  [ "$(receipts alice "$off_a" bob)" -ge "$N" ] && [ "$(receipts bob "$off_b" alice)" -ge "$N" ]
}
LAB_WAIT=120 lab_poll "$N messages each way acknowledged" all_delivered
t1=$(lab_now_us)
lab_measure "$N messages each way, all acknowledged" "$(lab_ms "$t0" "$t1")" \
  "$(lab_since alice "$off_a" | grep -o 'via [a-z]*$' | sort | uniq -c | sort -rn | head -n 1 | awk '{print $3}')"
lab_ok "$N messages each way acknowledged, none failed"
# late duplicates would show up now
sleep 2

# exactly_once NAME OFFSET SENDER PREFIX: NAME printed "From SENDER [PREFIX-i]"
# exactly once for every i in 1..N, and nothing else from SENDER
exactly_once() {
  lab_since "$1" "$2" | cut -d ' ' -f 2- | awk -v n="$N" -v from="$3" -v prefix="$4" '
    $1 == "From" && $2 == from {
      total++
      if (match($0, "\\[" prefix "-[0-9]+\\]$")) {
        i = substr($0, RSTART + length(prefix) + 2, RLENGTH - length(prefix) - 3) + 0
        seen[i]++
      } else {
        other++
      }
    }
    END {
      bad = 0
      for (i = 1; i <= n; i++) {
        if (seen[i] != 1) {
          printf "%s-%d arrived %d times\n", prefix, i, seen[i]
          bad++
        }
      }
      if (other > 0) { printf "%d unexpected lines\n", other; bad++ }
      if (total != n) { printf "%d lines for %d messages\n", total, n; bad++ }
      exit bad > 0
    }'
}
report=$(exactly_once bob "$off_b" alice a) || lab_fail "bob's copies of alice's messages: $(echo "$report" | head -n 5 | tr '\n' ';')"
lab_ok "bob printed each of alice's $N messages exactly once"
report=$(exactly_once alice "$off_a" bob b) || lab_fail "alice's copies of bob's messages: $(echo "$report" | head -n 5 | tr '\n' ';')"
lab_ok "alice printed each of bob's $N messages exactly once"

dropped=$(ip netns exec "${LAB_NS[nat1]}" nft list chain ip lab forward |
  awk '/numgen/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
[ "$dropped" -gt 0 ] || lab_fail "nat1 dropped nothing"
lab_ok "nat1 dropped $dropped datagrams on the way"
lab_done
