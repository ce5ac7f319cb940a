#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# natter-cli with --profile, against natter-server over loopback: the
# history survives restarts, a message to an offline peer is queued and
# delivered exactly once when the peer is back (after the sender restarted
# too), a sender and a receiver killed with SIGKILL mid-conversation lose
# nothing and show nothing twice, and a damaged history file is reported
# and left as it was.
#
#   test-cli-history.sh NATTER_SERVER NATTER_CLI
#
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage,
# 77 cannot run here (a tool is missing).
set -euo pipefail

WAIT_TIMEOUT=${WAIT_TIMEOUT:-20}
BURST=20

if [ $# -ne 2 ]; then
  echo "usage: $0 NATTER_SERVER NATTER_CLI" >&2
  exit 2
fi
SERVER_BIN=$1
CLI_BIN=$2
for tool in mkfifo sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found" >&2
    exit 77
  fi
done

. "$(dirname "$0")/cli-harness.sh"

export XDG_DATA_HOME=$TMP/data

# count FILE LINE: how many whole lines LINE FILE has
count() { grep -cFx -- "$2" "$1" || true; }
has() { grep -Fxq -- "$2" "$1"; }
has_re() { grep -Eq -- "$2" "$1"; }
gone_from_list() {
  local off
  off=$(size_of "$2")
  type_line "$1" "@show_list"
  sleep 0.3
  ! since_re "$2" "$off" "^$3 "
}
# history_has FD OUT ERE...: a fresh "@history bob 100" has a line matching each
history_has() {
  local fd=$1 out=$2 peer=$3 off re
  shift 3
  off=$(size_of "$out")
  type_line "$fd" "@history $peer 100"
  sleep 0.3
  for re in "$@"; do
    since_re "$out" "$off" "$re" || return 1
  done
}
# history_count FD OUT PEER LINE-ERE: how many lines of a fresh history match
history_count() {
  local fd=$1 out=$2 off
  off=$(size_of "$out")
  type_line "$fd" "@history $3 1000"
  sleep 0.5
  tail -c +"$((off + 1))" "$out" | grep -cE -- "$4" || true
}
TIME='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'

# Registrations of clients killed with SIGKILL expire after 2 s.
start_server --timeout=2

# ---- history and the offline queue ------------------------------------------

start_cli alice --id=alice --server="$SERVER" --port=0 --profile=alice
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$TMP/alice.out
start_cli bob --id=bob --server="$SERVER" --port=0 --profile=bob
B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$TMP/bob.out
require "alice registered" registered alice
require "bob registered" registered bob

type_line "$A_FD" "@chat bob hello 1"
require "alice: 'Delivered to bob via lan'" has "$A_OUT" 'Delivered to bob via lan'
require "bob: 'From alice [hello 1]'" has "$B_OUT" "From alice [hello 1]"

type_line "$B_FD" "@exit"
require "bob exits" exited "$B_PID"
require "alice's @show_list no longer lists bob" gone_from_list "$A_FD" "$A_OUT" bob

type_line "$A_FD" "@chat bob while you were away"
require "alice: 'Queued for bob (offline)'" has "$A_OUT" "Queued for bob (offline)"
type_line "$A_FD" "@chat nobody hi"
require "a peer never seen: 'There is no nobody in registration list.'" \
  has "$A_OUT" "There is no nobody in registration list."

# the sender restarts before the peer is back
type_line "$A_FD" "@exit"
require "alice exits" exited "$A_PID"
start_cli alice2 --id=alice --server="$SERVER" --port=0 --profile=alice
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$TMP/alice2.out
require "restarted alice's @history bob: both messages, with times and the queued one so marked" \
  history_has "$A_FD" "$A_OUT" bob "^$TIME alice: hello 1\$" "^$TIME alice: while you were away \\(queued\\)\$"

start_cli bob2 --id=bob --server="$SERVER" --port=0 --profile=bob
B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$TMP/bob2.out
require "bob back: 'From alice [while you were away]'" has "$B_OUT" "From alice [while you were away]"
require "restarted alice: 'Delivered to bob via lan' for what the earlier run queued" \
  has "$A_OUT" "Delivered to bob via lan"
require "alice's history: the queued message is delivered" \
  history_has "$A_FD" "$A_OUT" bob "^$TIME alice: while you were away\$"
sleep 2
n=$(count "$B_OUT" "From alice [while you were away]")
[ "$n" = 1 ] && ok "bob got it exactly once" || miss "bob got it $n times"
require "bob's @history alice: both messages from alice" \
  history_has "$B_FD" "$B_OUT" alice "^$TIME alice: hello 1\$" "^$TIME alice: while you were away\$"
n=$(history_count "$B_FD" "$B_OUT" alice 'alice: hello 1$')
[ "$n" = 1 ] && ok "bob's history has 'hello 1' once" || miss "bob's history has 'hello 1' $n times"

# queued and delivered within one run
type_line "$B_FD" "@exit"
require "bob exits again" exited "$B_PID"
require "alice's @show_list no longer lists bob" gone_from_list "$A_FD" "$A_OUT" bob
off=$(size_of "$A_OUT")
type_line "$A_FD" "@chat bob one more thing"
require "alice: 'Queued for bob (offline)'" since "$A_OUT" "$off" "Queued for bob (offline)"
start_cli bob2b --id=bob --server="$SERVER" --port=0 --profile=bob
B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$TMP/bob2b.out
require "bob back: 'From alice [one more thing]'" has "$B_OUT" "From alice [one more thing]"
require "alice, later: 'Delivered to bob via lan'" since "$A_OUT" "$off" "Delivered to bob via lan"

# ---- SIGKILL mid-conversation --------------------------------------------------

# bob is stopped, so nothing alice sends is acknowledged; alice is killed
# with every message sent but unacknowledged; bob takes them all in and is
# killed before his acknowledgements reach anyone. Both restart: alice
# sends the messages again, bob's history knows them and shows none twice.
kill -STOP "$B_PID"
for i in $(seq 1 $BURST); do
  type_line "$A_FD" "@chat bob burst $i"
done
sleep 1
kill -KILL "$A_PID"
kill -CONT "$B_PID"
require "bob takes in all $BURST messages sent before alice was killed" \
  has "$B_OUT" "From alice [burst $BURST]"
kill -KILL "$B_PID"
n=0
for i in $(seq 1 $BURST); do
  [ "$(count "$B_OUT" "From alice [burst $i]")" = 1 ] && n=$((n + 1))
done
[ "$n" = $BURST ] && ok "each burst message shown once before the kill" || miss "$n of $BURST shown once"
sleep 3

start_cli alice3 --id=alice --server="$SERVER" --port=0 --profile=alice
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$TMP/alice3.out
start_cli bob3 --id=bob --server="$SERVER" --port=0 --profile=bob
B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$TMP/bob3.out
delivered_all() {
  [ "$(history_count "$A_FD" "$A_OUT" bob "alice: burst [0-9]+\$")" = $BURST ]
}
require "after both restarted, alice's history shows all $BURST delivered" delivered_all
sleep 2
n=$(grep -c "From alice \\[burst" "$B_OUT" || true)
[ "$n" = 0 ] && ok "restarted bob shows none of them again" || miss "restarted bob showed $n again"
n=$(history_count "$B_FD" "$B_OUT" alice "alice: burst [0-9]+\$")
[ "$n" = $BURST ] && ok "bob's history has each of the $BURST once" || miss "bob's history has $n burst lines"

# ---- a full disk at the receiver -------------------------------------------------

# dave's history is on a file system of 1 MiB; with it full, a message to
# him is neither shown nor acknowledged, and he says why; once there is
# room, the sender's next copy is taken in: shown once, delivered.
mkdir -p "$TMP/small"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m natter-test "$TMP/small" 2>/dev/null; then
  MOUNTS+=("$TMP/small")
  XDG_DATA_HOME=$TMP/small start_cli dave --id=dave --server="$SERVER" --port=0 --profile=dave
  D_PID=$CLIENT_PID D_FD=$CLIENT_FD D_OUT=$TMP/dave.out
  require "dave registered" registered dave
  off=$(size_of "$A_OUT")
  type_line "$A_FD" "@chat dave before the disk filled"
  require "dave: 'From alice [before the disk filled]'" has "$D_OUT" "From alice [before the disk filled]"
  dd if=/dev/zero of="$TMP/small/filler" bs=64k 2>/dev/null || true
  type_line "$A_FD" "@chat dave while the disk is full"
  require "dave says why: 'natter-cli: Cannot save a message from alice, …'" \
    has_re "$TMP/dave.err" "^natter-cli: Cannot save a message from alice, so it is not acknowledged and will come again: .*full"
  sleep 1
  ! has "$D_OUT" "From alice [while the disk is full]" && ok "not shown while it cannot be kept" ||
    miss "shown though it could not be kept"
  rm -f "$TMP/small/filler"
  require "room again: dave shows it" has "$D_OUT" "From alice [while the disk is full]"
  delivered_twice() { [ "$(tail -c +"$((off + 1))" "$A_OUT" | grep -c '^Delivered to dave via')" = 2 ]; }
  require "alice: both delivered to dave" delivered_twice
  sleep 1
  n=$(count "$D_OUT" "From alice [while the disk is full]")
  [ "$n" = 1 ] && ok "dave shows it exactly once" || miss "dave shows it $n times"
  type_line "$D_FD" "@exit"
else
  echo "ok $((PASSED + FAILED + 1)) # SKIP a full disk: mounting a small file system needs root"
  PASSED=$((PASSED + 1))
fi

# ---- a damaged history ---------------------------------------------------------

mkdir -p "$XDG_DATA_HOME/natter/broken"
head -c 8192 /dev/urandom >"$XDG_DATA_HOME/natter/broken/history.sqlite"
before=$(sha256sum <"$XDG_DATA_HOME/natter/broken/history.sqlite")
run_cli broken 10 /dev/null --id=carol --server="$SERVER" --port=0 --profile=broken
[ "$RUN_RC" = 1 ] && ok "a damaged history: exit status 1" || miss "a damaged history: exit status $RUN_RC"
has_re "$TMP/broken.err" "^natter-cli: cannot open the history: .*/broken/history.sqlite: file is not a database\$" &&
  ok "a damaged history: a clear error" || miss "a damaged history: no clear error"
after=$(sha256sum <"$XDG_DATA_HOME/natter/broken/history.sqlite")
[ "$before" = "$after" ] && ok "a damaged history is left untouched" || miss "the damaged history changed"

run_cli badprofile 10 /dev/null --id=carol --server="$SERVER" --port=0 --profile=../x
[ "$RUN_RC" = 2 ] && ok "--profile=../x: exit status 2" || miss "--profile=../x: exit status $RUN_RC"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
