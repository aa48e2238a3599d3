#!/usr/bin/env bash
# Benchmark: how fast `pyprune plan` answers on a venv of about 200 MB
# (bench/venv-plan.txt: numpy and pandas; issue 12's goal is under 3 s).
# RUNS timed runs after a warm-up (the venv's files in the page cache), each
# `plan` of the whole venv with every step and profile; prints the median
# wall time and CPU time (user + system, children included: strip and the
# loader's interpreter). Wall times need a quiet machine; CPU time less so.
#
# Usage: bench/plan-venv.sh [RUNS] [VENV-NAME]   (defaults: 7, plan)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-7}
name=${2:-plan}
build_and_locate
venv=$(make_venv "$name")
echo "$name: $venv, $(du -s -B1 "$venv" | cut -f1) bytes by du -s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
times=$(mktemp); trap 'rm -f "$times"' EXIT
"$bin" plan "$venv" > /dev/null
TIMEFORMAT='%R %U %S'
for _ in $(seq "$runs"); do
  { time "$bin" plan "$venv" > /dev/null 2>&1; } 2>> "$times"
done
wall=$(awk '{ print $1 }' "$times" | median)
cpu=$(awk '{ print $2 + $3 }' "$times" | median)
echo "plan: median wall ${wall} s, median CPU ${cpu} s over $runs runs (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
