#!/usr/bin/env bash
# Benchmark: two builds of pyprune compared on `plan` of one tree, in
# interleaved pairs (old, new, old, new, ...) so that both meet the same load:
# this machine's speed moves by 1.7x between hours, so only runs of the same
# minute compare. First checks that both print the same `plan --format json`
# byte for byte (the plan has no timing fields unless --measure-import is
# given), then prints the median CPU time (user + system, children included)
# and the median wall time with its least and greatest, and their ratios.
#
# Usage: bench/plan-pairs.sh OLD-BINARY NEW-BINARY [PAIRS] [PLAN-ARGS...]
#        (defaults: 7 pairs; the venv of bench/venv-plan.txt, as plan-venv.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
old=$1 new=$2
pairs=${3:-7}
shift $(($# < 3 ? $# : 3))
if [ $# -eq 0 ]; then
  py=$(env -u PYTHONHOME python3 -c 'import sys; print(sys.executable)')
  set -- "$(make_venv plan)"
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$old" plan "$@" --format json > "$work/old.json" 2> /dev/null
"$new" plan "$@" --format json > "$work/new.json" 2> /dev/null
if cmp -s "$work/old.json" "$work/new.json"; then
  echo "plan --format json: the same bytes ($(wc -c < "$work/new.json")) from both"
else
  echo "plan --format json differs between the builds:" >&2
  diff <(tr ',' '\n' < "$work/old.json") <(tr ',' '\n' < "$work/new.json") | head -20 >&2
  exit 1
fi
TIMEFORMAT='%R %U %S'
for _ in $(seq "$pairs"); do
  for which in old new; do
    bin=$old; [ "$which" = new ] && bin=$new
    { time "$bin" plan "$@" > /dev/null 2>&1; } 2>> "$work/$which"
  done
done
summary() {
  local cpu wall lo hi
  cpu=$(awk '{ print $2 + $3 }' "$work/$1" | median)
  wall=$(awk '{ print $1 }' "$work/$1" | median)
  lo=$(awk '{ print $1 }' "$work/$1" | sort -n | head -1)
  hi=$(awk '{ print $1 }' "$work/$1" | sort -n | tail -1)
  printf '%s: CPU median %.2f s, wall median %.2f s (%.2f–%.2f)\n' "$1" "$cpu" "$wall" "$lo" "$hi"
}
summary old
summary new
# The ratio of each pair (new over old, the same minute's runs), and their median.
ratios() { paste "$work/old" "$work/new" | awk "{ print $1 }" | median; }
printf "new/old, median of the pairs' ratios: CPU %.2f, wall %.2f\n" \
  "$(ratios '($5 + $6) / ($2 + $3)')" "$(ratios '$4 / $1')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
