#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs NAT lab scenarios several times and prints the median of every delay
# they measure (their "# time LABEL: N ms via PATH" lines), as a Markdown
# table: the figures in docs/testing.md come from here.
#
#   measure.sh NATTER-SERVER NATTER-CLI [RUNS [SCENARIO...]]
#
# RUNS defaults to 5; SCENARIO is a script name such as 01-cone-direct.sh
# (default: all of them, one after the other, never in parallel). Extra
# arguments for 10-classic-clients.sh (the Python interpreter) come from
# $PYTHON3. Each run's full output is kept in $MEASURE_LOG (default: a new
# directory under /tmp).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 NATTER-SERVER NATTER-CLI [RUNS [SCENARIO...]]" >&2
  exit 2
fi
server=$1 cli=$2 runs=${3:-5}
shift $(($# < 3 ? $# : 3))
if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=()
  for f in "$HERE"/[0-9][0-9]-*.sh; do
    scenarios+=("$(basename "$f")")
  done
fi
log=${MEASURE_LOG:-$(mktemp -d "${TMPDIR:-/tmp}/natter-measure.XXXXXX")}
mkdir -p "$log"
results=$log/results

: >"$results"
: >"$log/status"
for s in "${scenarios[@]}"; do
  for ((r = 1; r <= runs; r++)); do
    out=$log/${s%.sh}.$r.log
    rc=0
    extra=()
    [ "$s" = 10-classic-clients.sh ] && extra=("${PYTHON3:-python3}")
    bash "$HERE/$s" "$server" "$cli" "${extra[@]}" >"$out" 2>&1 || rc=$?
    echo "$s run $r: exit $rc, $(tail -n 1 "$out")" | tee -a "$log/status" >&2
    # scenario|label|ms|path|exit status
    sed -n 's/^# time \(.*\): \([0-9.]*\) ms via \(.*\)$/\1|\2|\3/p' "$out" |
      sed "s/^/${s%.sh}|/; s/\$/|$rc/" >>"$results"
  done
done

echo
echo "Runs per scenario: $runs (logs in $log)"
for s in "${scenarios[@]}"; do
  echo "- $s: $(grep -c "^$s run [0-9]*: exit 0," "$log/status" || true) of $runs runs passed"
done
echo
echo "| scenario | measurement | median ms | min ms | max ms | path (runs) |"
echo "|---|---|---:|---:|---:|---|"
# one row per scenario and label, in the order they first appeared
awk -F '|' '
  !(($1 SUBSEP $2) in n) { order[++rows] = $1 SUBSEP $2 }
  {
    k = $1 SUBSEP $2
    v[k, ++n[k]] = $3
    p[k, $4]++
    if (!((k, $4) in seen)) { seen[k, $4] = 1; paths[k] = paths[k] (paths[k] == "" ? "" : ", ") $4 }
  }
  END {
    for (r = 1; r <= rows; r++) {
      k = order[r]
      m = n[k]
      for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
      for (i = 2; i <= m; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
      med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      split(k, parts, SUBSEP)
      split(paths[k], ps, ", ")
      desc = ""
      for (i in ps) desc = desc (desc == "" ? "" : ", ") ps[i] " (" p[k, ps[i]] ")"
      printf "| %s | %s | %.1f | %.1f | %.1f | %s |\n", parts[1], parts[2], med, a[1], a[m], desc
    }
  }' "$results"
