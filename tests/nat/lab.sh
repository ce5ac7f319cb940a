# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# The NAT lab: a small internet of network namespaces with real Linux NATs
# (nftables), sourced by the scenario scripts beside this file:
#
#   . "$(dirname "$0")/lab.sh"
#   lab_init "$@"                    # SERVER-BINARY CLI-BINARY
#   lab_router nat1 cone             # a home NAT on the internet
#   lab_host alice nat1              # a host behind it
#   lab_server_start --verbose
#   lab_client alice alice           # natter-cli --id=alice on host alice
#
# Every name (namespace) of a run starts with "nl<pid>-<random>-", so runs
# cannot collide. Nothing is created outside those namespaces: every veth is
# created inside them and no namespace is linked to the machine's own
# network. Every address is in 198.18.0.0/15 (reserved for network tests):
#
#   198.18.0.0/24   the internet: server 198.18.0.1, NAT routers 198.18.0.10+
#   198.19.N.0/24   the inside network of router number N: router .1,
#                   hosts (or routers behind a carrier-grade NAT) .10, .11, ...
#
# Output files carry one line per output line, prefixed with the time it was
# written in microseconds (bash's EPOCHREALTIME), so delays are measured
# from the files, not from polling.
#
# Exit status of a scenario: 0 all checks passed, 1 a check failed, 77 the
# lab cannot run here (not root, no network namespaces, a tool missing).

set -euo pipefail

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_WAIT=${LAB_WAIT:-15}
LAB_SERVER_IP=198.18.0.1
LAB_SERVER_PORT=10080

declare -A LAB_NS=()      # node -> namespace
declare -A LAB_IP=()      # host -> its address; router -> its outside address
declare -A LAB_INDEX=()   # router -> N (inside network 198.19.N.0/24)
declare -A LAB_HOSTS=()   # router -> number of hosts attached so far
declare -A LAB_OUT=()     # process name -> output file
declare -A LAB_PID=()     # process name -> pid
declare -A LAB_FD=()      # client name -> write end of its standard input
LAB_ALL_NS=()
LAB_ROUTERS=0
LAB_PASSED=0
LAB_TMP=''
LAB_PREFIX=''

lab_skip() {
  echo "SKIP: $*" >&2
  exit 77
}

# ---- results ---------------------------------------------------------------

lab_ok() {
  LAB_PASSED=$((LAB_PASSED + 1))
  echo "ok $LAB_PASSED - $*"
}

lab_fail() {
  echo "not ok $((LAB_PASSED + 1)) - $*"
  lab_show_outputs
  echo "$LAB_PASSED passed, 1 failed"
  exit 1
}

lab_done() {
  echo "$LAB_PASSED passed, 0 failed"
}

# lab_note TEXT: a comment line in the results
lab_note() {
  echo "# $*"
}

# lab_measure LABEL MILLISECONDS PATH: one measured delay, in a fixed form
# that measure.sh collects ("# time LABEL: N ms via PATH").
lab_measure() {
  echo "# time $1: $2 ms via $3"
}

lab_show_outputs() {
  local name f
  for name in "${!LAB_OUT[@]}"; do
    f=${LAB_OUT[$name]}
    echo "----- $name -----"
    if [ -s "$f" ]; then
      tail -n 200 "$f"
    fi
  done
  echo "-----"
}

# ---- set-up and clean-up ------------------------------------------------------

# lab_init SERVER-BINARY CLI-BINARY
lab_init() {
  if [ $# -lt 2 ]; then
    echo "usage: $0 NATTER-SERVER NATTER-CLI" >&2
    exit 2
  fi
  NATTER_SERVER_BIN=$1
  NATTER_CLI_BIN=$2
  [ -x "$NATTER_SERVER_BIN" ] || { echo "not executable: $NATTER_SERVER_BIN" >&2; exit 2; }
  [ -x "$NATTER_CLI_BIN" ] || { echo "not executable: $NATTER_CLI_BIN" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || lab_skip "needs root for network namespaces"
  lab_require ip nft mkfifo sysctl

  LAB_PREFIX="nl$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')-"
  LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/natter-nat.XXXXXX")
  trap lab_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  if ! ip netns add "${LAB_PREFIX}inet" 2>/dev/null; then
    lab_skip "cannot create network namespaces"
  fi
  LAB_NS[inet]=${LAB_PREFIX}inet
  LAB_ALL_NS+=("${LAB_PREFIX}inet")
  # Entering one needs a mount namespace too (not in a chroot, for one).
  ip netns exec "${LAB_NS[inet]}" true 2>/dev/null ||
    lab_skip "cannot enter network namespaces here"
  lab_ns_basics inet
  ip -n "${LAB_NS[inet]}" link add br0 type bridge
  ip -n "${LAB_NS[inet]}" link set br0 up

  lab_ns_new server
  lab_veth inet psrv server eth0
  ip -n "${LAB_NS[inet]}" link set psrv master br0 up
  ip -n "${LAB_NS[server]}" addr add "$LAB_SERVER_IP/24" dev eth0
  ip -n "${LAB_NS[server]}" link set eth0 up
  LAB_IP[server]=$LAB_SERVER_IP
  # Counts the RELAY requests (native type 06) that reach the server, from
  # outside the server: the lab can tell a relayed chat from a direct one
  # without trusting the server's own statistics.
  ip netns exec "${LAB_NS[server]}" nft -f - <<EOF || lab_skip "nftables does not work here"
table ip lab {
  counter relay { }
  chain input {
    type filter hook input priority filter; policy accept;
    udp dport $LAB_SERVER_PORT @th,64,32 0xff4e5452 @th,104,8 0x06 counter name relay
  }
}
EOF
}

# lab_require TOOL...: skip when a tool is missing
lab_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || lab_skip "$tool not found (Debian package: $(lab_package_of "$tool"))"
  done
}

lab_package_of() {
  case $1 in
    ip) echo iproute2 ;;
    nft) echo nftables ;;
    conntrack) echo conntrack ;;
    sysctl) echo procps ;;
    python3) echo python3 ;;
    *) echo "$1" ;;
  esac
}

lab_cleanup() {
  local rc=$? ns name pids fd
  set +e
  trap - EXIT INT TERM HUP
  for name in "${!LAB_FD[@]}"; do
    fd=${LAB_FD[$name]}
    exec {fd}>&-
  done
  # Only processes living in the namespaces this run created are ours.
  for ns in "${LAB_ALL_NS[@]}"; do
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  done
  for name in "${!LAB_PID[@]}"; do
    lab_reap "${LAB_PID[$name]}" 30
  done
  for ns in "${LAB_ALL_NS[@]}"; do
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
    [ "${#pids[@]}" -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
  done
  wait 2>/dev/null
  for ns in "${LAB_ALL_NS[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  if [ -n "$LAB_TMP" ]; then
    if [ -n "${LAB_KEEP:-}" ]; then
      echo "# outputs kept in $LAB_TMP" >&2
    else
      rm -rf "$LAB_TMP"
    fi
  fi
  exit "$rc"
}

# lab_reap PID TENTHS: wait up to TENTHS tenths of a second for PID to end
lab_reap() {
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null || true
}

# ---- topology -----------------------------------------------------------------

# lab_ns_new NODE: a fresh namespace for NODE
lab_ns_new() {
  local ns=$LAB_PREFIX$1
  ip netns add "$ns"
  LAB_NS[$1]=$ns
  LAB_ALL_NS+=("$ns")
  lab_ns_basics "$1"
}

lab_ns_basics() {
  local ns=${LAB_NS[$1]}
  ip -n "$ns" link set lo up
  # IPv4 in 198.18.0.0/15 only: no IPv6 (not even link-local chatter), and
  # bridged frames stay out of the firewall of the namespace they cross.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
    net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 \
    2>/dev/null || true
}

# lab_veth NODE-A NAME-A NODE-B NAME-B: a veth pair between two namespaces
lab_veth() {
  ip -n "${LAB_NS[$1]}" link add "$2" type veth peer name "$4" netns "${LAB_NS[$3]}"
}

# lab_router NAME KIND [UPSTREAM]
#
# A NAT router: outside interface wan0 on the internet (or on the inside
# network of router UPSTREAM, for a NAT behind a carrier-grade NAT), inside
# bridge lan0 with 198.19.N.1/24. KIND:
#   cone       masquerade: keeps the source port and filters inbound by
#              conntrack, i.e. a port-restricted cone NAT
#   symmetric  masquerade fully-random: a new random port per destination
#   fullcone   masquerade, plus whatever lab_fullcone_port forwards
#   cgn        masquerade, meant to have other routers behind it
# Every kind drops new inbound traffic on wan0, to itself (input) and
# through it (forward), as a home router's firewall does. Without the input
# rule a peer's first probe, arriving before this side has sent anything,
# would create a conntrack entry for the router itself, and the router would
# then map this side's own probes to another port: punching would fail even
# between two cone NATs.
lab_router() {
  local name=$1 kind=$2 up=${3:-} ns n masq
  case $kind in
    cone | fullcone | cgn) masq=masquerade ;;
    symmetric) masq='masquerade fully-random' ;;
    *) echo "lab_router: unknown kind $kind" >&2; exit 2 ;;
  esac
  LAB_ROUTERS=$((LAB_ROUTERS + 1))
  n=$LAB_ROUTERS
  LAB_INDEX[$name]=$n
  LAB_HOSTS[$name]=0
  lab_ns_new "$name"
  ns=${LAB_NS[$name]}

  if [ -z "$up" ]; then
    lab_veth inet "p$n" "$name" wan0
    ip -n "${LAB_NS[inet]}" link set "p$n" master br0 up
    LAB_IP[$name]=198.18.0.$((9 + n))
    ip -n "$ns" addr add "${LAB_IP[$name]}/24" dev wan0
  else
    lab_attach "$name" "$up" wan0
    ip -n "$ns" route add default via "198.19.${LAB_INDEX[$up]}.1"
  fi
  ip -n "$ns" link set wan0 up
  ip -n "$ns" link add lan0 type bridge
  ip -n "$ns" addr add "198.19.$n.1/24" dev lan0
  ip -n "$ns" link set lan0 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1

  ip netns exec "$ns" nft -f - <<EOF
table ip lab {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
  }
  chain remap {
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" jump remap
    oifname "wan0" $masq
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state new drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" ct status dnat accept
    iifname "wan0" drop
  }
}
EOF
}

# lab_attach NODE ROUTER IFNAME: links NODE (interface IFNAME) to ROUTER's
# inside bridge and gives it the next address there (198.19.N.10, .11, ...)
lab_attach() {
  local node=$1 router=$2 ifname=$3 k
  k=${LAB_HOSTS[$router]}
  LAB_HOSTS[$router]=$((k + 1))
  lab_veth "$router" "h$k" "$node" "$ifname"
  ip -n "${LAB_NS[$router]}" link set "h$k" master lan0 up
  LAB_IP[$node]=198.19.${LAB_INDEX[$router]}.$((10 + k))
  ip -n "${LAB_NS[$node]}" addr add "${LAB_IP[$node]}/24" dev "$ifname"
  ip -n "${LAB_NS[$node]}" link set "$ifname" up
}

# lab_host NAME ROUTER: a host behind ROUTER, default route through it
lab_host() {
  lab_ns_new "$1"
  lab_attach "$1" "$2" eth0
  ip -n "${LAB_NS[$1]}" route add default via "198.19.${LAB_INDEX[$2]}.1"
}

# lab_fullcone_port ROUTER HOST PORT: anything arriving on ROUTER's outside
# address at UDP PORT goes to HOST:PORT, from anyone (full cone), and
# HOST's own traffic keeps that port on the way out (masquerade keeps ports).
lab_fullcone_port() {
  ip netns exec "${LAB_NS[$1]}" nft add rule ip lab prerouting \
    iifname wan0 udp dport "$3" dnat to "${LAB_IP[$2]}:$3"
}

# lab_conntrack_timeout ROUTER SECONDS: UDP mappings of ROUTER expire after
# SECONDS without traffic (both the unreplied and the "stream" timeout)
lab_conntrack_timeout() {
  ip netns exec "${LAB_NS[$1]}" sysctl -qw \
    net.netfilter.nf_conntrack_udp_timeout="$2" \
    net.netfilter.nf_conntrack_udp_timeout_stream="$2"
}

# lab_loss ROUTER PERCENT: ROUTER drops PERCENT % of what it forwards, in
# each direction through its outside interface (the host's whole uplink)
lab_loss() {
  local ns=${LAB_NS[$1]}
  ip netns exec "$ns" nft insert rule ip lab forward \
    oifname wan0 numgen random mod 100 '<' "$2" counter drop
  ip netns exec "$ns" nft insert rule ip lab forward \
    iifname wan0 numgen random mod 100 '<' "$2" counter drop
}

# lab_conntrack_flush ROUTER: ROUTER forgets every mapping at once
lab_conntrack_flush() {
  ip netns exec "${LAB_NS[$1]}" conntrack -F >/dev/null 2>&1 ||
    lab_fail "conntrack -F failed in $1"
}

# lab_rebind ROUTER HOST PORT: ROUTER forgets every mapping and from now on
# maps HOST to its outside address at PORT, for every destination (still a
# cone), as a rebooted router or a carrier-grade NAT reassigning ports does.
# (A flush alone does not move anyone: masquerade would give the host its
# old port again, since it keeps the source port whenever it is free.)
lab_rebind() {
  local ns=${LAB_NS[$1]}
  ip netns exec "$ns" nft flush chain ip lab remap
  ip netns exec "$ns" nft add rule ip lab remap \
    ip saddr "${LAB_IP[$2]}" meta l4proto udp snat to "${LAB_IP[$1]}:$3"
  lab_conntrack_flush "$1"
}

# lab_mappings ROUTER: ROUTER's UDP conntrack entries, for the record
lab_mappings() {
  ip netns exec "${LAB_NS[$1]}" conntrack -L -p udp 2>/dev/null || true
}

# ---- processes ------------------------------------------------------------------

# Prefixes each line with the time it arrived (microseconds since the epoch).
lab_stamp() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s %s\n' "${EPOCHREALTIME//[!0-9]/}" "$line"
  done
}

# lab_sleep SECONDS: sleeps, but a signal ends the run at once (bash runs a
# trap only after the foreground command ends; wait returns at once)
lab_sleep() {
  sleep "$1" &
  wait $! || true
}

lab_now_us() {
  echo "${EPOCHREALTIME//[!0-9]/}"
}

# A child must not hold the write end of any client's standard input, or that
# client would never see the end of its input.
lab_close_fds() {
  local name fd
  for name in "${!LAB_FD[@]}"; do
    fd=${LAB_FD[$name]}
    exec {fd}>&-
  done
}

# lab_spawn NAME NODE INPUT COMMAND...: runs COMMAND in NODE's namespace with
# standard input INPUT, stamped output appended to NAME's output file.
lab_spawn() {
  local name=$1 node=$2 input=$3 out=$LAB_TMP/$1.out
  shift 3
  LAB_OUT[$name]=$out
  touch "$out"
  (
    lab_close_fds
    exec > >(lab_stamp >>"$out" 2>/dev/null) 2>&1
    # ip netns exec execs COMMAND: $! below is COMMAND itself
    exec ip netns exec "${LAB_NS[$node]}" "$@" <"$input"
  ) &
  LAB_PID[$name]=$!
}

# lab_server_start [ARGS...]: natter-server on the server host (again)
lab_server_start() {
  lab_spawn server server /dev/null "$NATTER_SERVER_BIN" --port="$LAB_SERVER_PORT" "$@"
  lab_poll "natter-server listens" lab_server_listening
}

lab_server_listening() {
  lab_alive server || lab_fail "natter-server exited"
  lab_since server 0 | grep -F "listening on UDP" >/dev/null
}

# lab_server_stop [SIGNAL]: stops natter-server (TERM by default) and waits
lab_server_stop() {
  kill -"${1:-TERM}" "${LAB_PID[server]}" 2>/dev/null || true
  # (quietly: bash would report a killed job on standard error)
  { lab_reap "${LAB_PID[server]}" 50; } 2>/dev/null
}

# lab_relay_requests: RELAY requests that reached the server host so far
lab_relay_requests() {
  ip netns exec "${LAB_NS[server]}" nft list counter ip lab relay |
    sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# lab_server_relayed: "N relayed" from the statistics natter-server --verbose
# prints when it stops
lab_server_relayed() {
  lab_since server 0 | sed -n 's/.*; \([0-9]*\) relayed.*/\1/p' | tail -n 1
}

# lab_client NAME HOST [ARGS...]: natter-cli --id=NAME on HOST, reading
# commands from a FIFO (held open read-write by this script, so the client
# never sees the end of its input until the run ends)
lab_client() {
  local name=$1 host=$2 fifo=$LAB_TMP/$1.in fd
  shift 2
  mkfifo "$fifo"
  exec {fd}<>"$fifo"
  LAB_FD[$name]=$fd
  lab_spawn "$name" "$host" "$fifo" "$NATTER_CLI_BIN" --server="$LAB_SERVER_IP" --id="$name" "$@"
}

# lab_classic_client NAME HOST PYTHON: the assignment's client.py on HOST
lab_classic_client() {
  local name=$1 host=$2 python=$3 fifo=$LAB_TMP/$1.in fd
  mkfifo "$fifo"
  exec {fd}<>"$fifo"
  LAB_FD[$name]=$fd
  lab_spawn "$name" "$host" "$fifo" "$python" -u "$LAB_HERE/../classic/client.py"
  lab_send "$name" "$name"
  lab_send "$name" "$LAB_SERVER_IP"
}

lab_alive() {
  kill -0 "${LAB_PID[$1]}" 2>/dev/null
}

# lab_send NAME LINE: one line on NAME's standard input
lab_send() {
  lab_alive "$1" || lab_fail "$1 is not running"
  printf '%s\n' "$2" >&"${LAB_FD[$1]}"
}

# lab_size NAME: the current size of NAME's output (an offset for lab_since)
lab_size() {
  stat -c %s "${LAB_OUT[$1]}"
}

# lab_since NAME OFFSET: NAME's output after byte OFFSET, stamps included
lab_since() {
  tail -c +"$(($2 + 1))" "${LAB_OUT[$1]}"
}

# lab_has NAME OFFSET TEXT: TEXT appears in NAME's output after OFFSET
# (grep without -q reads all input: an early exit would SIGPIPE tail and,
# under pipefail, turn a match into a failure.)
lab_has() {
  lab_since "$1" "$2" | grep -F -- "$3" >/dev/null
}

# lab_poll DESCRIPTION COMMAND...: retry COMMAND until it succeeds, at most
# LAB_WAIT seconds (or LAB_POLL_WAIT, when set, for this call)
lab_poll() {
  local what=$1 limit=${LAB_POLL_WAIT:-$LAB_WAIT} deadline
  shift
  deadline=$((SECONDS + limit))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || lab_fail "$what (timed out after ${limit}s)"
    sleep 0.05
  done
}

# lab_wait DESCRIPTION NAME OFFSET TEXT: wait until TEXT shows in NAME's output
lab_wait() {
  local what=$1
  shift
  lab_poll "$what" lab_has_alive "$@"
}

lab_has_alive() {
  lab_has "$@" && return 0
  lab_alive "$1" || lab_fail "$1 exited"
  return 1
}

# lab_stamp_of NAME OFFSET TEXT: the stamp of the first line with TEXT
lab_stamp_of() {
  lab_since "$1" "$2" | grep -F -m 1 -- "$3" | cut -d ' ' -f 1
}

# lab_ms FROM-US TO-US: the difference in milliseconds, one decimal
lab_ms() {
  local d=$(($2 - $1))
  printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100))
}

# lab_registered ID...: natter-server has logged every ID's registration
# (after byte LAB_SERVER_OFF of its output, when that is set)
lab_registered() {
  local id
  for id in "$@"; do
    lab_since server "${LAB_SERVER_OFF:-0}" | grep -E "^[0-9]+ $id 198\.1[89]\." >/dev/null || return 1
  done
}

# lab_public NAME: NAME's public endpoint as natter-server last logged it
lab_public() {
  lab_since server 0 | sed -n -E "s/^[0-9]+ $1 (198\.1[89]\.[0-9.]+:[0-9]+)$/\1/p; s/^[0-9]+ $1 moved from .* to (.*)$/\1/p" |
    tail -n 1
}

# lab_knows NAME PEER...: NAME's @show_list lists every PEER
lab_knows() {
  local name=$1 off peer
  shift
  off=$(lab_size "$name")
  lab_send "$name" "@show_list"
  sleep 0.2
  for peer in "$@"; do
    lab_since "$name" "$off" | grep -E "^[0-9]+ $peer [0-9]" >/dev/null || return 1
  done
}

# lab_wait_knows NAME PEER...
lab_wait_knows() {
  lab_poll "$1's @show_list lists ${*:2}" lab_knows "$@"
}

# lab_path NAME PEER: sets LAB_PATH and LAB_ENDPOINT to the path and the
# endpoint NAME's @status shows for PEER
lab_path() {
  local off line
  off=$(lab_size "$1")
  lab_send "$1" "@status"
  LAB_POLL_WAIT=5 lab_wait "$1 answers @status" "$1" "$off" " $2 "
  line=$(lab_since "$1" "$off" | grep -E -m 1 "^[0-9]+ $2 [a-z]+ ")
  # shellcheck disable=SC2034 # for the caller
  read -r _ _ LAB_PATH LAB_ENDPOINT <<<"$line"
}

# lab_chat FROM TO TEXT: FROM sends TEXT to TO; waits until TO shows it and
# FROM gets the receipt. Sets LAB_CHAT_MS (from writing the @chat line to the
# "Delivered" line) and LAB_CHAT_VIA (the path named in that line). Only one
# chat from FROM to TO may be in flight, so the receipt is this one's.
lab_chat() {
  local from=$1 to=$2 text=$3 off_from off_to t0 t1 line
  off_from=$(lab_size "$from")
  off_to=$(lab_size "$to")
  t0=$(lab_now_us)
  lab_send "$from" "@chat $to $text"
  lab_poll "$from's message reaches $to" lab_chat_done "$from" "$to" "$text" "$off_from" "$off_to"
  line=$(lab_since "$from" "$off_from" | grep -F -m 1 "Delivered to $to via ")
  t1=${line%% *}
  # shellcheck disable=SC2034 # for the caller
  LAB_CHAT_MS=$(lab_ms "$t0" "$t1") LAB_CHAT_VIA=${line##* }
}

lab_chat_done() {
  local from=$1 to=$2 text=$3
  if lab_has "$from" "$4" "Failed to deliver to $to"; then
    lab_fail "$from: $(lab_since "$from" "$4" | grep -F -m 1 "Failed to deliver to $to" | cut -d ' ' -f 2-)"
  fi
  lab_has "$to" "$5" "From $from [$text]" && lab_has "$from" "$4" "Delivered to $to via " && return 0
  lab_alive "$from" || lab_fail "$from exited"
  lab_alive "$to" || lab_fail "$to exited"
  return 1
}

# lab_count NAME OFFSET LINE: how many lines of NAME's output after OFFSET are
# exactly LINE (stamps aside)
lab_count() {
  lab_since "$1" "$2" | cut -d ' ' -f 2- | grep -c -x -F -- "$3" || true
}
