#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# natter-cli end to end against natter-server, over loopback only.
#
#   test-cli.sh NATTER_SERVER NATTER_CLI
#
# The server listens on 127.0.0.1, on a port it picks (--port=0). Clients
# alice, bob, carol and 김태은 run natter-cli --port=0 and read their commands
# from FIFOs that this script holds open read-write, so they see end of input
# only when the script closes its end. Then the error cases: a taken ID, a
# server that does not answer, bad options, and the interactive prompts.
#
# Every check prints "ok N - ..." or "not ok N - ..." with the outputs
# collected so far; the run ends with "P passed, F failed".
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage,
# 77 cannot run here (a tool is missing).
set -euo pipefail

WAIT_TIMEOUT=${WAIT_TIMEOUT:-10}
# How long a client may take to give up on a server that does not answer
UNREACHABLE_LIMIT=${UNREACHABLE_LIMIT:-12}

if [ $# -ne 2 ]; then
  echo "usage: $0 NATTER_SERVER NATTER_CLI" >&2
  exit 2
fi
SERVER_BIN=$1
CLI_BIN=$2
for tool in python3 mkfifo; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found" >&2
    exit 77
  fi
done
# The Korean ID goes through the command line, which GLib reads in the
# locale's encoding: run the clients in a UTF-8 locale.
if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
  export LC_ALL=C.UTF-8
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/natter-cli.XXXXXX")
SRV_LOG=$TMP/server.log
PIDS=()     # every process this run started
FDS=()      # the FIFO ends this script holds
PASSED=0
FAILED=0

cleanup() {
  local rc=$? fd pid
  set +e
  trap - EXIT INT TERM
  for fd in "${FDS[@]+"${FDS[@]}"}"; do
    exec {fd}>&-
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    # a process that ignores SIGTERM gets SIGKILL after about 3 s
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_outputs() {
  local f
  for f in "$SRV_LOG" "$TMP"/*.out "$TMP"/*.err; do
    [ -e "$f" ] || continue
    echo "----- $(basename "$f") -----"
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
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# since FILE OFFSET LINE: a whole line LINE appears in FILE after byte OFFSET
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

# Children must not inherit the FIFO ends this script holds: a client sees
# end of input only when every writer is gone.
close_fifos() {
  local fd
  for fd in "${FDS[@]+"${FDS[@]}"}"; do
    exec {fd}>&-
  done
}

# type_line FD LINE: one line on a client's standard input
type_line() { printf '%s\n' "$2" >&"$1"; }

# start_cli LABEL ARG...: natter-cli reading a FIFO -> CLIENT_PID, CLIENT_FD
# Its standard output goes to $TMP/LABEL.out, its errors to $TMP/LABEL.err.
start_cli() {
  local label=$1 fifo=$TMP/$1.in
  shift
  mkfifo "$fifo"
  # Held read-write: opening never blocks, and the client never sees EOF.
  exec {CLIENT_FD}<>"$fifo"
  (
    close_fifos
    exec {CLIENT_FD}>&-
    exec "$CLI_BIN" "$@" <"$fifo" >"$TMP/$label.out" 2>"$TMP/$label.err"
  ) &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
  FDS+=("$CLIENT_FD")
}

# run_cli LABEL LIMIT INPUT ARG...: natter-cli with standard input INPUT,
# given LIMIT seconds to exit -> RUN_RC (or "timeout"), RUN_MS
run_cli() {
  local label=$1 limit=$2 input=$3 start pid
  shift 3
  start=$(now_ms)
  (
    close_fifos
    exec "$CLI_BIN" "$@" <"$input" >"$TMP/$label.out" 2>"$TMP/$label.err"
  ) &
  pid=$!
  PIDS+=("$pid")
  while alive "$pid" && [ $(($(now_ms) - start)) -lt $((limit * 1000)) ]; do
    sleep 0.1
  done
  RUN_MS=$(($(now_ms) - start))
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    RUN_RC=timeout
  else
    RUN_RC=0
    wait "$pid" || RUN_RC=$?
  fi
}

# registered NAME: the server logged "NAME 127.0.0.1:PORT" -> LINE
registered() {
  local re
  re="^$1 127\\.0\\.0\\.1:[0-9]+\$"
  LINE=$(grep -E -m1 -- "$re" "$SRV_LOG") || return 1
}

# list_has FD OUT PID SELF LINE...: a fresh @show_list starts with SELF and
# contains every LINE
list_has() {
  local fd=$1 out=$2 pid=$3 self=$4 off line
  shift 4
  alive "$pid" || fail "client $pid died"
  off=$(size_of "$out")
  type_line "$fd" "@show_list"
  sleep 0.2
  [ "$(tail -c +"$((off + 1))" "$out" | head -n 1)" = "$self" ] || return 1
  for line in "$self" "$@"; do
    since "$out" "$off" "$line" || return 1
  done
}

# list_check FD OUT PID WANT...: a fresh @show_list has, for each WANT,
# "=LINE" that whole line, "~ERE" a line matching ERE, "!ERE" no such line
list_check() {
  local fd=$1 out=$2 pid=$3 off want
  shift 3
  alive "$pid" || fail "client $pid died"
  off=$(size_of "$out")
  type_line "$fd" "@show_list"
  sleep 0.2
  for want in "$@"; do
    case $want in
      =*) since "$out" "$off" "${want#=}" || return 1 ;;
      \~*) since_re "$out" "$off" "${want#\~}" || return 1 ;;
      !*) ! since_re "$out" "$off" "${want#!}" || return 1 ;;
    esac
  done
}

# status_has FD OUT PID ERE...: a fresh @status has a line matching each ERE
status_has() {
  local fd=$1 out=$2 pid=$3 off re
  shift 3
  alive "$pid" || fail "client $pid died"
  off=$(size_of "$out")
  type_line "$fd" "@status"
  sleep 0.2
  for re in "$@"; do
    since_re "$out" "$off" "$re" || return 1
  done
}

# exit_status PID -> EXIT_RC, once PID has exited
exit_status() {
  EXIT_RC=0
  wait "$1" || EXIT_RC=$?
}

# ---- the server ------------------------------------------------------------

(
  exec "$SERVER_BIN" --port=0 --bind=127.0.0.1 </dev/null >"$SRV_LOG" 2>&1
) &
SRV_PID=$!
PIDS+=("$SRV_PID")

server_listening() {
  alive "$SRV_PID" || fail "natter-server exited"
  PORT=$(sed -n 's/.* listening on UDP .* port \([0-9][0-9]*\)$/\1/p' "$SRV_LOG" | head -n 1)
  [ -n "$PORT" ]
}
require "natter-server listens on 127.0.0.1" server_listening
SERVER=127.0.0.1:$PORT
echo "# server at $SERVER"

# A FIFO nobody writes to: standard input that never ends
mkfifo "$TMP/hold.in"
exec {HOLD_FD}<>"$TMP/hold.in"
FDS+=("$HOLD_FD")

# ---- three clients -----------------------------------------------------------

start_cli alice --id=alice --server="$SERVER" --port=0
A_PID=$CLIENT_PID A_FD=$CLIENT_FD A_OUT=$TMP/alice.out
start_cli bob --id=bob --server="$SERVER" --port=0
B_PID=$CLIENT_PID B_FD=$CLIENT_FD B_OUT=$TMP/bob.out
start_cli carol --id=carol --server="$SERVER" --port=0
C_PID=$CLIENT_PID C_FD=$CLIENT_FD C_OUT=$TMP/carol.out

require "server: 'alice 127.0.0.1:PORT'" registered alice
A_LINE=$LINE
require "server: 'bob 127.0.0.1:PORT'" registered bob
B_LINE=$LINE
require "server: 'carol 127.0.0.1:PORT'" registered carol
C_LINE=$LINE

require "alice's @show_list: '$A_LINE' first, '$B_LINE', '$C_LINE'" \
  list_has "$A_FD" "$A_OUT" "$A_PID" "$A_LINE" "$B_LINE" "$C_LINE"
require "bob's @show_list: '$B_LINE' first, '$A_LINE', '$C_LINE'" \
  list_has "$B_FD" "$B_OUT" "$B_PID" "$B_LINE" "$A_LINE" "$C_LINE"
require "carol's @show_list: '$C_LINE' first, '$A_LINE', '$B_LINE'" \
  list_has "$C_FD" "$C_OUT" "$C_PID" "$C_LINE" "$A_LINE" "$B_LINE"

# ---- chat ----------------------------------------------------------------------

DELIVERED='via (lan|direct)$'

a_off=$(size_of "$A_OUT") b_off=$(size_of "$B_OUT")
type_line "$A_FD" "@chat bob hello bob"
expect "bob: 'From alice [hello bob]'" since "$B_OUT" "$b_off" "From alice [hello bob]"
expect "alice: 'Delivered to bob via lan|direct'" \
  since_re "$A_OUT" "$a_off" "^Delivered to bob $DELIVERED"

a_off=$(size_of "$A_OUT") b_off=$(size_of "$B_OUT")
type_line "$B_FD" "@chat alice hi alice, bob here"
expect "alice: 'From bob [hi alice, bob here]'" \
  since "$A_OUT" "$a_off" "From bob [hi alice, bob here]"
expect "bob: 'Delivered to alice via lan|direct'" \
  since_re "$B_OUT" "$b_off" "^Delivered to alice $DELIVERED"

a_off=$(size_of "$A_OUT") b_off=$(size_of "$B_OUT") c_off=$(size_of "$C_OUT")
type_line "$C_FD" "@chat alice carol to alice"
type_line "$C_FD" "@chat bob carol to bob"
expect "alice: 'From carol [carol to alice]'" \
  since "$A_OUT" "$a_off" "From carol [carol to alice]"
expect "bob: 'From carol [carol to bob]'" since "$B_OUT" "$b_off" "From carol [carol to bob]"
expect "carol: 'Delivered to alice via lan|direct'" \
  since_re "$C_OUT" "$c_off" "^Delivered to alice $DELIVERED"
expect "carol: 'Delivered to bob via lan|direct'" \
  since_re "$C_OUT" "$c_off" "^Delivered to bob $DELIVERED"

expect "alice's @status: bob and carol via lan|direct" \
  status_has "$A_FD" "$A_OUT" "$A_PID" \
  '^bob (lan|direct) [^ ]+:[0-9]+$' '^carol (lan|direct) [^ ]+:[0-9]+$'

# The list is the server's registration list, whatever path chat takes.
expect "alice's @show_list after chatting: '$A_LINE' first, '$B_LINE', '$C_LINE'" \
  list_has "$A_FD" "$A_OUT" "$A_PID" "$A_LINE" "$B_LINE" "$C_LINE"

a_off=$(size_of "$A_OUT")
type_line "$A_FD" "@chat nobody hi"
expect "alice: 'There is no nobody in registration list.'" \
  since "$A_OUT" "$a_off" "There is no nobody in registration list."

# ---- a Korean ID -----------------------------------------------------------

K_ID=김태은
start_cli korean --id="$K_ID" --server="$SERVER" --port=0
K_PID=$CLIENT_PID K_FD=$CLIENT_FD K_OUT=$TMP/korean.out
require "server: '$K_ID 127.0.0.1:PORT'" registered "$K_ID"
K_LINE=$LINE
require "$K_ID's @show_list: '$K_LINE' first, '$A_LINE'" \
  list_has "$K_FD" "$K_OUT" "$K_PID" "$K_LINE" "$A_LINE"
require "alice's @show_list has '$K_LINE'" \
  list_has "$A_FD" "$A_OUT" "$A_PID" "$A_LINE" "$K_LINE"

a_off=$(size_of "$A_OUT") k_off=$(size_of "$K_OUT")
type_line "$A_FD" "@chat $K_ID 안녕하세요, 태은 씨"
expect "$K_ID: 'From alice [안녕하세요, 태은 씨]'" \
  since "$K_OUT" "$k_off" "From alice [안녕하세요, 태은 씨]"
expect "alice: 'Delivered to $K_ID via lan|direct'" \
  since_re "$A_OUT" "$a_off" "^Delivered to $K_ID $DELIVERED"
a_off=$(size_of "$A_OUT") k_off=$(size_of "$K_OUT")
type_line "$K_FD" "@chat alice 반가워요"
expect "alice: 'From $K_ID [반가워요]'" since "$A_OUT" "$a_off" "From $K_ID [반가워요]"
expect "$K_ID: 'Delivered to alice via lan|direct'" \
  since_re "$K_OUT" "$k_off" "^Delivered to alice $DELIVERED"

# ---- error cases -------------------------------------------------------------

run_cli dup "$WAIT_TIMEOUT" "$TMP/hold.in" --id=BOB --server="$SERVER" --port=0
if [ "$RUN_RC" != timeout ] && [ "$RUN_RC" -ne 0 ] && grep -q taken "$TMP/dup.err"; then
  ok "ID 'BOB' while bob is on-line: exit status $RUN_RC, 'taken' on stderr"
else
  miss "ID 'BOB' while bob is on-line: exit status $RUN_RC, want non-zero and 'taken' on stderr"
fi
no_BOB() { ! grep -q '^BOB ' "$SRV_LOG"; }
if no_BOB; then
  ok "server did not register 'BOB'"
else
  miss "server registered 'BOB' while bob is on-line"
fi
expect "bob's @show_list after the refused 'BOB': '$B_LINE', alice, carol, no BOB" \
  list_check "$B_FD" "$B_OUT" "$B_PID" "=$B_LINE" '~^alice ' '~^carol ' '!^BOB '

# A port nobody listens on (ICMP port unreachable), and a socket that keeps
# every datagram to itself.
FREE_PORT=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
(
  close_fifos
  exec python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(300)' </dev/null >"$TMP/sink.port" 2>&1
) &
PIDS+=("$!")
sink_ready() { SINK_PORT=$(cat "$TMP/sink.port") && [[ $SINK_PORT =~ ^[0-9]+$ ]]; }
require "a silent UDP socket on 127.0.0.1" sink_ready

for target in "$FREE_PORT:closed" "$SINK_PORT:silent"; do
  port=${target%%:*} kind=${target#*:}
  run_cli "unreachable-$kind" "$UNREACHABLE_LIMIT" "$TMP/hold.in" \
    --id=erin --server="127.0.0.1:$port" --port=0
  if [ "$RUN_RC" != timeout ] && [ "$RUN_RC" -ne 0 ] && [ -s "$TMP/unreachable-$kind.err" ]; then
    ok "server at a $kind port: exit status $RUN_RC after ${RUN_MS} ms, message on stderr"
  else
    miss "server at a $kind port: exit status $RUN_RC after ${RUN_MS} ms," \
      "want non-zero within ${UNREACHABLE_LIMIT}s and a message on stderr"
  fi
done

run_cli bad-id "$WAIT_TIMEOUT" /dev/null --id="a b" --server="$SERVER" --port=0
if [ "$RUN_RC" = 2 ] && [ -s "$TMP/bad-id.err" ]; then
  ok "ID 'a b': exit status 2, message on stderr"
else
  miss "ID 'a b': exit status $RUN_RC, want 2 and a message on stderr"
fi

run_cli bad-port "$WAIT_TIMEOUT" /dev/null --id=erin --server="$SERVER" --port=70000
if [ "$RUN_RC" = 2 ] && [ -s "$TMP/bad-port.err" ]; then
  ok "--port=70000: exit status 2, message on stderr"
else
  miss "--port=70000: exit status $RUN_RC, want 2 and a message on stderr"
fi

# The assignment's way: no --id or --server, both asked for on standard input,
# the commands following them in the same input.
printf 'dave\n%s\n@show_list\n@exit\n' "$SERVER" >"$TMP/prompt.in"
run_cli prompt "$WAIT_TIMEOUT" "$TMP/prompt.in" --port=0
P_OUT=$TMP/prompt.out
if [ "$RUN_RC" = 0 ] &&
   [ "$(head -c 42 "$P_OUT")" = "Enter client ID: Enter server IP address: " ] &&
   grep -qE 'dave 127\.0\.0\.1:[0-9]+$' "$P_OUT"; then
  ok "prompts for the ID and the server, then '@show_list' lists dave; exit status 0"
else
  miss "'dave', '$SERVER', '@show_list', '@exit' on standard input: exit status $RUN_RC," \
    "want 0, both prompts and 'dave 127.0.0.1:PORT' from @show_list"
fi

# ---- leaving -------------------------------------------------------------------

type_line "$A_FD" "@exit"
if poll exited "$A_PID"; then
  exit_status "$A_PID"
  if [ "$EXIT_RC" -eq 0 ]; then
    ok "alice exits after @exit (status 0)"
  else
    miss "alice's exit status after @exit: $EXIT_RC, want 0"
  fi
else
  miss "alice exits after @exit (timed out after ${WAIT_TIMEOUT}s)"
fi
expect "server: 'alice is unregistered ...'" since_re "$SRV_LOG" 0 '^alice is unregistered'
expect "bob's @show_list no longer lists alice" \
  list_check "$B_FD" "$B_OUT" "$B_PID" "=$B_LINE" '~^carol ' "~^$K_ID " '!^alice '

# End of input: the script's end of carol's FIFO is the only writer.
exec {C_FD}>&-
if poll exited "$C_PID"; then
  exit_status "$C_PID"
  if [ "$EXIT_RC" -eq 0 ]; then
    ok "carol exits at end of input (status 0)"
  else
    miss "carol's exit status at end of input: $EXIT_RC, want 0"
  fi
else
  miss "carol exits at end of input (timed out after ${WAIT_TIMEOUT}s)"
fi
expect "server: 'carol is unregistered ...'" since_re "$SRV_LOG" 0 '^carol is unregistered'
expect "bob's @show_list no longer lists carol" \
  list_check "$B_FD" "$B_OUT" "$B_PID" "=$B_LINE" "~^$K_ID " '!^carol '

for who in bob:"$B_FD":"$B_PID" "$K_ID":"$K_FD":"$K_PID"; do
  IFS=: read -r name fd pid <<<"$who"
  type_line "$fd" "@exit"
  if poll exited "$pid"; then
    exit_status "$pid"
    if [ "$EXIT_RC" -eq 0 ]; then
      ok "$name exits after @exit (status 0)"
    else
      miss "$name's exit status after @exit: $EXIT_RC, want 0"
    fi
  else
    miss "$name exits after @exit (timed out after ${WAIT_TIMEOUT}s)"
  fi
  expect "server: '$name is unregistered ...'" since_re "$SRV_LOG" 0 "^$name is unregistered"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
