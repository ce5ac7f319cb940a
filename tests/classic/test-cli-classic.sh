#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# natter-cli chats with the assignment's client.py, in two set-ups:
#
#   test-cli-classic.sh NATTER_CLI NATTER_SERVER
#
#   a. the assignment's server.py; alice is natter-cli --classic, bob client.py
#   b. natter-server --port=10080; alice is natter-cli (native), bob client.py
#
# client.py always binds UDP 10081, so every program gets its own network
# namespace, as in test-assignment-clients.sh. Each scenario has its own set
# (all addresses in 198.18.0.0/15, nothing else is touched, IPv6 off):
#
#   <p><s>-sw   switch: bridge br0, one veth per host
#   <p><s>-srv  198.18.0.1/24   server, UDP 10080
#   <p><s>-a    198.18.0.11/24  alice: natter-cli --port=10081
#   <p><s>-b    198.18.0.12/24  bob: client.py (port 10081)
#
# No NAT and different public IPs: they chat via the ip:port the server saw.
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage,
# 77 cannot run here (not root, a tool missing, or no network namespaces).
set -euo pipefail

WAIT_TIMEOUT=${WAIT_TIMEOUT:-10}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIENT_PY=$HERE/client.py
SERVER_PY=$HERE/server.py

SERVER_IP=198.18.0.1
A_IP=198.18.0.11
B_IP=198.18.0.12

if [ $# -ne 2 ]; then
  echo "usage: $0 NATTER_CLI NATTER_SERVER" >&2
  exit 2
fi
CLI_BIN=$(realpath "$1")
SERVER_BIN=$(realpath "$2")
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root for network namespaces" >&2
  exit 77
fi
for tool in ip ss python3 mkfifo realpath; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found" >&2
    exit 77
  fi
done

# Unique per run: pid plus random suffix, so parallel runs cannot collide.
P="nt$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')-"
ALL_NS=()   # every namespace this run created and has not deleted yet
FDS=()      # the FIFO ends this script holds
PIDS=()     # the processes this run started
TMP=$(mktemp -d "${TMPDIR:-/tmp}/natter-cli-classic.XXXXXX")
DIR=$TMP    # the current scenario's outputs
PASSED=0
FAILED=0

# stop_namespaces NS...: end every process in them, then delete them
stop_namespaces() {
  local ns pid pids
  for ns in "$@"; do
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    # a process that ignores SIGTERM gets SIGKILL after about 3 s
    for _ in $(seq 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  for ns in "$@"; do
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    [ "${#pids[@]}" -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    wait "$pid" 2>/dev/null
  done
  PIDS=()
  for ns in "$@"; do
    ip netns del "$ns" 2>/dev/null
  done
  ALL_NS=()
}

close_fifos() {
  local fd
  for fd in "${FDS[@]+"${FDS[@]}"}"; do
    exec {fd}>&-
  done
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  close_fifos
  FDS=()
  stop_namespaces "${ALL_NS[@]+"${ALL_NS[@]}"}"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_outputs() {
  local f
  for f in "$DIR"/*.out "$DIR"/*.err; do
    [ -e "$f" ] || continue
    echo "----- $(basename "$DIR")/$(basename "$f") -----"
    if [ -s "$f" ]; then
      cat "$f"
      [ -z "$(tail -c 1 "$f")" ] || echo
    fi
  done
  echo "-----"
}

ok() {
  PASSED=$((PASSED + 1))
  echo "ok $((PASSED + FAILED)) - $*"
}

# miss DESCRIPTION: a check failed; the ones that do not depend on it go on
miss() {
  FAILED=$((FAILED + 1))
  echo "not ok $((PASSED + FAILED)) - $*"
  show_outputs
}

# fail DESCRIPTION: a check failed and nothing after it can be trusted
fail() {
  miss "$@"
  echo "$PASSED passed, $FAILED failed"
  exit 1
}

# ---- helpers ---------------------------------------------------------------

size_of() { stat -c %s "$1"; }
alive() { kill -0 "$1" 2>/dev/null; }
exited() { ! alive "$1"; }

# since FILE OFFSET LINE: the whole line LINE appears in FILE after OFFSET
# (grep without -q reads all input: an early exit would SIGPIPE tail and,
# under pipefail, turn a match into a failure.)
since() { tail -c +"$(($2 + 1))" "$1" | grep -Fx -- "$3" >/dev/null; }

# since_re FILE OFFSET ERE: a line matching ERE appears in FILE after OFFSET
since_re() { tail -c +"$(($2 + 1))" "$1" | grep -E -- "$3" >/dev/null; }

# poll COMMAND...: retry COMMAND until it succeeds or WAIT_TIMEOUT runs out
poll() {
  local deadline=$((SECONDS + WAIT_TIMEOUT))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# expect DESCRIPTION COMMAND...: poll, then ok or (non-fatal) not ok
expect() {
  local what=$1
  shift
  if poll "$@"; then ok "$what"; else miss "$what (timed out after ${WAIT_TIMEOUT}s)"; fi
}

# require DESCRIPTION COMMAND...: poll, then ok or stop the run
require() {
  local what=$1
  shift
  if poll "$@"; then ok "$what"; else fail "$what (timed out after ${WAIT_TIMEOUT}s)"; fi
}

# type_line FD LINE: one line on a client's standard input
type_line() { printf '%s\n' "$2" >&"$1"; }

# ---- network -------------------------------------------------------------

# host NAMESPACE PORT-NAME ADDRESS
add_host() {
  ip netns add "$1"
  ALL_NS+=("$1")
  # Only the 198.18.0.0/15 address: no IPv6 link-local chatter either.
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  ip -n "$1" link set lo up
  ip -n "$NS_SW" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$NS_SW" link set "$2" master br0 up
  ip -n "$1" addr add "$3/24" dev eth0
  ip -n "$1" link set eth0 up
}

# setup_network SCENARIO: a fresh switch, server, alice and bob namespace
setup_network() {
  NS_SW=$P$1-sw NS_SRV=$P$1-srv NS_A=$P$1-a NS_B=$P$1-b
  if ! ip netns add "$NS_SW" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces" >&2
    exit 77
  fi
  ALL_NS+=("$NS_SW")
  # entering one needs a mount namespace too (not in a chroot, for one)
  if ! ip netns exec "$NS_SW" true 2>/dev/null; then
    echo "SKIP: cannot enter network namespaces here" >&2
    exit 77
  fi
  ip -n "$NS_SW" link set lo up
  ip -n "$NS_SW" link add br0 type bridge
  ip -n "$NS_SW" link set br0 up
  add_host "$NS_SRV" psrv "$SERVER_IP"
  add_host "$NS_A" pa "$A_IP"
  add_host "$NS_B" pb "$B_IP"
}

# teardown_scenario: close its FIFOs, end its processes, delete its namespaces
teardown_scenario() {
  close_fifos
  FDS=()
  # (on the left of ||, a process already gone does not trip set -e)
  stop_namespaces "${ALL_NS[@]}" || true
}

# ---- processes -------------------------------------------------------------

# start_server COMMAND...: in the server namespace, output to server.out
start_server() {
  (
    close_fifos
    exec ip netns exec "$NS_SRV" "$@" </dev/null >"$DIR/server.out" 2>&1
  ) &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
}

udp_listening() {
  alive "$SRV_PID" || fail "server exited"
  [ -n "$(ip netns exec "$NS_SRV" ss -Hunl 'sport = :10080')" ]
}

# start_in NAMESPACE LABEL COMMAND...: COMMAND reads a FIFO that this script
# holds open read-write (so it never sees end of input); standard output to
# LABEL.out, errors to LABEL.err -> CLIENT_PID, CLIENT_FD
start_in() {
  local ns=$1 label=$2 fifo=$DIR/$2.in
  shift 2
  mkfifo "$fifo"
  exec {CLIENT_FD}<>"$fifo"
  (
    close_fifos
    exec {CLIENT_FD}>&-
    exec ip netns exec "$ns" "$@" <"$fifo" >"$DIR/$label.out" 2>"$DIR/$label.err"
  ) &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
  FDS+=("$CLIENT_FD")
}

# start_bob: the assignment's client.py as bob; it asks for ID and server first
start_bob() {
  start_in "$NS_B" bob python3 -u "$CLIENT_PY"
  B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$DIR/bob.out
  type_line "$B_FD" bob
  type_line "$B_FD" "$SERVER_IP"
}

# list_has FD OUT PID FIRST LINE...: a fresh @show_list has every LINE, and
# starts with FIRST unless FIRST is empty
list_has() {
  local fd=$1 out=$2 pid=$3 first=$4 off line
  shift 4
  alive "$pid" || fail "client $pid died"
  off=$(size_of "$out")
  type_line "$fd" "@show_list"
  sleep 0.2
  if [ -n "$first" ]; then
    [ "$(tail -c +"$((off + 1))" "$out" | head -n 1)" = "$first" ] || return 1
  fi
  for line in "$@"; do
    since "$out" "$off" "$line" || return 1
  done
}

# list_lacks FD OUT PID PRESENT ABSENT-ID: a fresh @show_list shows the line
# PRESENT and no line for ABSENT-ID
list_lacks() {
  local off
  alive "$3" || fail "client $3 died"
  off=$(size_of "$2")
  type_line "$1" "@show_list"
  sleep 0.2
  since "$2" "$off" "$4" && ! since_re "$2" "$off" "^$5 "
}

# status_has FD OUT PID ERE: a fresh @status has a line matching ERE
status_has() {
  local off
  alive "$3" || fail "client $3 died"
  off=$(size_of "$2")
  type_line "$1" "@status"
  sleep 0.2
  since_re "$2" "$off" "$4"
}

# leaves WHO PID: PID exits with status 0
leaves() {
  local rc=0
  if ! poll exited "$2"; then
    miss "$1 exits after @exit (timed out after ${WAIT_TIMEOUT}s)"
    return
  fi
  wait "$2" || rc=$?
  if [ "$rc" -eq 0 ]; then
    ok "$1 exits after @exit (status 0)"
  else
    miss "$1's exit status after @exit: $rc, want 0"
  fi
}

# bob_leaves: client.py's @exit. It sends "bob @exit", sets its stop flag, and
# its receive thread returns at the next datagram, which should be the server's
# "bob is unregistered". When that reply comes before the flag is set, the
# thread goes back to recvfrom and the process waits for one more datagram
# (a race in client.py itself): after a while, send it a harmless list line.
bob_leaves() {
  local deadline=$((SECONDS + 3))
  type_line "$B_FD" "@exit"
  while alive "$B_PID" && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
  done
  if alive "$B_PID"; then
    echo "# client.py still waits for a datagram after @exit: sending it one"
    ip netns exec "$NS_B" python3 -c 'import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"nobody 0.0.0.0:0", ("127.0.0.1", 10081))'
  fi
  leaves "client.py (bob)" "$B_PID"
}

ALICE_LINE="alice $A_IP:10081"
BOB_LINE="bob $B_IP:10081"

# ---- a. server.py, natter-cli --classic and client.py --------------------

echo "# a. server.py; alice: natter-cli --classic; bob: client.py"
DIR=$TMP/a
mkdir "$DIR"
setup_network a

start_server python3 -u "$SERVER_PY"
require "server.py listens on UDP $SERVER_IP:10080" udp_listening

start_in "$NS_A" alice "$CLI_BIN" --classic --id=alice --server="$SERVER_IP" --port=10081
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$DIR/alice.out
require "server.py: '$ALICE_LINE'" since "$DIR/server.out" 0 "$ALICE_LINE"
start_bob
require "server.py: '$BOB_LINE'" since "$DIR/server.out" 0 "$BOB_LINE"

require "natter-cli's @show_list: '$ALICE_LINE' first, '$BOB_LINE'" \
  list_has "$A_FD" "$A_OUT" "$A_PID" "$ALICE_LINE" "$BOB_LINE"
require "client.py's @show_list: '$ALICE_LINE', '$BOB_LINE'" \
  list_has "$B_FD" "$B_OUT" "$B_PID" "" "$ALICE_LINE" "$BOB_LINE"

a_off=$(size_of "$A_OUT") b_off=$(size_of "$B_OUT")
type_line "$A_FD" "@chat bob hello bob, natter-cli here"
expect "client.py: 'From alice [hello bob, natter-cli here]'" \
  since "$B_OUT" "$b_off" "From alice [hello bob, natter-cli here]"
expect "natter-cli: 'Sent to bob (classic client: no receipt)'" \
  since "$A_OUT" "$a_off" "Sent to bob (classic client: no receipt)"

a_off=$(size_of "$A_OUT")
type_line "$B_FD" "@chat alice hello alice, client.py here"
expect "natter-cli: 'From bob [hello alice, client.py here]'" \
  since "$A_OUT" "$a_off" "From bob [hello alice, client.py here]"

type_line "$A_FD" "@exit"
leaves "natter-cli (alice)" "$A_PID"
expect "server.py: 'alice is unregistered $A_IP:10081'" \
  since "$DIR/server.out" 0 "alice is unregistered $A_IP:10081"
expect "client.py's @show_list no longer lists alice" \
  list_lacks "$B_FD" "$B_OUT" "$B_PID" "$BOB_LINE" alice

bob_leaves
expect "server.py: 'bob is unregistered $B_IP:10081'" \
  since "$DIR/server.out" 0 "bob is unregistered $B_IP:10081"

teardown_scenario

# ---- b. natter-server, natter-cli and client.py ---------------------------

echo "# b. natter-server; alice: natter-cli; bob: client.py"
DIR=$TMP/b
mkdir "$DIR"
setup_network b

start_server "$SERVER_BIN" --port=10080
require "natter-server listens on UDP $SERVER_IP:10080" udp_listening

start_in "$NS_A" alice "$CLI_BIN" --id=alice --server="$SERVER_IP" --port=10081
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$DIR/alice.out
require "natter-server: '$ALICE_LINE'" since "$DIR/server.out" 0 "$ALICE_LINE"
start_bob
require "natter-server: '$BOB_LINE'" since "$DIR/server.out" 0 "$BOB_LINE"

require "natter-cli's @show_list: '$ALICE_LINE' first, '$BOB_LINE'" \
  list_has "$A_FD" "$A_OUT" "$A_PID" "$ALICE_LINE" "$BOB_LINE"
require "client.py's @show_list: '$ALICE_LINE', '$BOB_LINE'" \
  list_has "$B_FD" "$B_OUT" "$B_PID" "" "$ALICE_LINE" "$BOB_LINE"
expect "natter-cli's @status: 'bob classic $B_IP:10081'" \
  status_has "$A_FD" "$A_OUT" "$A_PID" "^bob classic ${B_IP//./\\.}:10081\$"

a_off=$(size_of "$A_OUT") b_off=$(size_of "$B_OUT")
type_line "$A_FD" "@chat bob hello bob, natter-cli here"
expect "client.py: 'From alice [hello bob, natter-cli here]'" \
  since "$B_OUT" "$b_off" "From alice [hello bob, natter-cli here]"
expect "natter-cli: 'Sent to bob (classic client: no receipt)'" \
  since "$A_OUT" "$a_off" "Sent to bob (classic client: no receipt)"

a_off=$(size_of "$A_OUT")
type_line "$B_FD" "@chat alice hello alice, client.py here"
expect "natter-cli: 'From bob [hello alice, client.py here]'" \
  since "$A_OUT" "$a_off" "From bob [hello alice, client.py here]"

bob_leaves
expect "natter-server: 'bob is unregistered $B_IP:10081'" \
  since "$DIR/server.out" 0 "bob is unregistered $B_IP:10081"
expect "natter-cli's @show_list no longer lists bob" \
  list_lacks "$A_FD" "$A_OUT" "$A_PID" "$ALICE_LINE" bob

type_line "$A_FD" "@exit"
leaves "natter-cli (alice)" "$A_PID"
expect "natter-server: 'alice is unregistered $A_IP:10081'" \
  since "$DIR/server.out" 0 "alice is unregistered $A_IP:10081"

teardown_scenario

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
