# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the natter-cli test scripts share: a temporary folder, clean-up of
# every process they start, TAP-like "ok N - ..." checks, and natter-cli
# processes reading commands from FIFOs.
#
# The sourcing script sets CLI_BIN and SERVER_BIN first. It gets TMP, SRV_LOG, PIDS, FDS.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/natter-cli-test.XXXXXX")
SRV_LOG=$TMP/server.log
PIDS=()     # every process this run started
MOUNTS=()   # file systems this run mounted
FDS=()      # the FIFO ends this script holds
PASSED=0
FAILED=0

cleanup() {
  local rc=$? fd pid dir
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
  for dir in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do
    umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null
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


# start_server [ARG...]: natter-server on 127.0.0.1, a port it picks ->
# SRV_PID, PORT, SERVER ("127.0.0.1:PORT"); its log in SRV_LOG
start_server() {
  (
    exec "$SERVER_BIN" --port=0 --bind=127.0.0.1 "$@" </dev/null >"$SRV_LOG" 2>&1
  ) &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  require "natter-server listens on 127.0.0.1" server_listening
  SERVER=127.0.0.1:$PORT
  echo "# server at $SERVER"
}

server_listening() {
  alive "$SRV_PID" || fail "natter-server exited"
  PORT=$(sed -n 's/.* listening on UDP .* port \([0-9][0-9]*\)$/\1/p' "$SRV_LOG" | head -n 1)
  [ -n "$PORT" ]
}
