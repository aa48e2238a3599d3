#!/usr/bin/env bash
# Benchmark: `pyprune dedupe --scope tree --content-only` against util-linux
# `hardlink -c` (content only) on the same tree: a copy of the whole installed
# stdlib (test suite included) compiled at all three levels WITHOUT
# --hardlink-dupes. Each run gets a fresh copy (not timed); runs interleaved.
# Checks that both save the same bytes of file data (each inode once; directory
# blocks are left out, as both tools may grow a directory by a block with their
# temporary names). With --record, writes the medians and ratio into docs/BENCHMARKS.md.
#
# Usage: bench/dedupe.sh [--record] [RUNS]   (RUNS defaults to 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 5 "$@"
command -v hardlink >/dev/null || { echo "needs util-linux hardlink (scripts/install-test-deps.sh)" >&2; exit 1; }
build_and_locate
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pristine="$work/pristine"
cp -a "$stdlib" "$pristine"; rm -rf "$pristine/site-packages"
find "$pristine" -name __pycache__ -prune -exec rm -rf {} +
env -u PYTHONDONTWRITEBYTECODE "$py" -m compileall -q -j0 -o0 -o1 -o2 "$pristine" >/dev/null 2>&1 || true
file_bytes() { env -u PYTHONHOME "$py" -c '
import os, sys
seen = {}
for d, _, names in os.walk(sys.argv[1]):
    for n in names:
        st = os.lstat(os.path.join(d, n))
        seen[st.st_ino] = st.st_blocks * 512
print(sum(seen.values()))' "$1"; }
before=$(file_bytes "$pristine"); files=$(find "$pristine" -type f | wc -l)
hl_times=(); pp_times=(); same=yes
for _ in $(seq "$runs"); do
  rm -rf "$work/t"; cp -a "$pristine" "$work/t"; sync
  t0=$(now); hardlink -c -q "$work/t" >/dev/null 2>&1; t1=$(now); hl_times+=($(( (t1 - t0) / 1000000 )))
  hl_saved=$(( before - $(file_bytes "$work/t") ))
  rm -rf "$work/t"; cp -a "$pristine" "$work/t"; sync
  t0=$(now); "$bin" dedupe -qq --scope tree --content-only "$work/t" >/dev/null 2>&1; t1=$(now); pp_times+=($(( (t1 - t0) / 1000000 )))
  pp_saved=$(( before - $(file_bytes "$work/t") ))
  [ "$hl_saved" = "$pp_saved" ] || same=no
done
hl=$(printf '%s\n' "${hl_times[@]}" | median); pp=$(printf '%s\n' "${pp_times[@]}" | median)
ratio=$(awk -v a="$pp" -v b="$hl" 'BEGIN { printf "%.2f", a / b }')
echo "tree: compiled copy of $stdlib ($files files, $before bytes), $runs runs each, interleaved"
echo "bytes saved: hardlink -c $hl_saved, pyprune $pp_saved (same: $same; pyprune keeps sources with different mtimes apart)"
echo "median hardlink -c: ${hl} ms; median pyprune dedupe: ${pp} ms; pyprune takes ${ratio}x hardlink's time (goal: at most 1x)"
if [ "$record" = 1 ]; then
  row="| dedupe --scope tree --content-only vs \`hardlink -c\` | compiled stdlib copy, $files files | $hl ms | $pp ms | ${ratio}x | $pp_saved B, same: $same | $runs | $(nproc) | $(date -u +%Y-%m-%d) |"
  record_rows '<!-- dedupe rows -->' "$row"
fi
