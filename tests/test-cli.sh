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

. "$(dirname "$0")/cli-harness.sh"

# ---- the server ------------------------------------------------------------

start_server

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
