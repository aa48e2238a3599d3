#!/usr/bin/env bash
# Benchmark: `pyprune analyze` (and `analyze --bytecode`, which also reads every
# .pyc) against `du -s` on the same tree in the same run, warm cache, runs
# interleaved; prints the medians and their ratios and, with --record, writes
# them into docs/BENCHMARKS.md.
#
# Usage: bench/analyze.sh [--record] [TREE] [RUNS]
#   TREE defaults to the prefix of the interpreter behind `python3` (the whole
#   pyenv Python: tens of thousands of files); RUNS defaults to 15.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
record=0
if [ "${1:-}" = "--record" ]; then record=1; shift; fi
tree=${1:-$(env -u PYTHONHOME python3 -c 'import sys; print(sys.prefix)')}
runs=${2:-15}
cargo build --release --quiet
bin=target/release/pyprune

time_one() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); echo $(( (t1 - t0) / 1000 )); }

# Warm the cache (and check both work on this tree).
du -s "$tree" >/dev/null
"$bin" analyze -q --format json "$tree" >/dev/null

du_times=(); pp_times=(); bc_times=()
for _ in $(seq "$runs"); do
  du_times+=("$(time_one du -s "$tree")")
  pp_times+=("$(time_one "$bin" analyze -q --format json "$tree")")
  bc_times+=("$(time_one "$bin" analyze -q --bytecode --format json "$tree")")
done
du_ms=$(printf '%s\n' "${du_times[@]}" | median)
pp_ms=$(printf '%s\n' "${pp_times[@]}" | median)
bc_ms=$(printf '%s\n' "${bc_times[@]}" | median)
files=$(find "$tree" | wc -l)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
name="$(basename "$(dirname "$tree")")/$(basename "$tree"), $files entries"
row() { echo "| $1 | $name | $((du_ms / 1000)) ms | $(($2 / 1000)) ms | $(ratio "$2" "$du_ms")x | $runs | $(nproc) | $(date -u +%Y-%m-%d) |"; }
lines=("$(row 'analyze vs `du -s`' "$pp_ms")" "$(row 'analyze --bytecode vs `du -s`' "$bc_ms")")
echo "tree: $tree ($files entries), $runs runs each, interleaved, warm cache"
echo "median du -s:                       ${du_ms} us"
echo "median pyprune analyze:             ${pp_ms} us  ratio $(ratio "$pp_ms" "$du_ms")x (goal: at most 1.5x)"
echo "median pyprune analyze --bytecode:  ${bc_ms} us  ratio $(ratio "$bc_ms" "$du_ms")x (reads every .pyc; du reads none)"
if [ "$record" = 1 ]; then
  record_rows '<!-- analyze rows -->' "$(printf '%s\n' "${lines[@]}")"
fi
