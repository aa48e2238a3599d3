#!/usr/bin/env bash
# Benchmark: `pyprune compile -o0 -o1 -o2` against
# `python3 -m compileall -q -j0 -o0 -o1 -o2 --hardlink-dupes` on a fresh copy of
# the whole installed stdlib (test suite included), runs interleaved, caches
# removed before each run. Checks in the same run that both leave identical
# bytes, modes and hardlink structure. Each run also times the floor: the
# interpreter's compile() calls that any byte-identical tool must make (every
# level whose bytes differ from the level below), on every core, writing
# nothing (bench/compile_floor.py). compileall's time over the floor is the
# most any such tool could gain. With --record, writes the medians and their
# ratios into docs/BENCHMARKS.md.
#
# Usage: bench/compile.sh [--record] [RUNS]   (RUNS defaults to 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 5 "$@"
build_and_locate
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tree="$work/$(basename "$stdlib")"
cp -a "$stdlib" "$tree"; rm -rf "$tree/site-packages"
clear() { find "$tree" -name __pycache__ -prune -exec rm -rf {} +; }
clear
sources=$(find "$tree" -name '*.py' | wc -l)
snapshot() { env -u PYTHONHOME "$py" - "$tree" <<'PY'
import hashlib, os, sys
root = sys.argv[1]; files = {}; inodes = {}
for d, _, names in os.walk(root):
    for n in names:
        if n.endswith(".pyc"):
            p = os.path.join(d, n); st = os.lstat(p); rel = os.path.relpath(p, root)
            files[rel] = (hashlib.sha256(open(p, "rb").read()).hexdigest(), st.st_mode)
            inodes.setdefault(st.st_ino, []).append(rel)
groups = sorted(sorted(g) for g in inodes.values() if len(g) > 1)
print(hashlib.sha256(repr((sorted(files.items()), groups)).encode()).hexdigest(), len(files), len(groups))
PY
}
cores=$(nproc)
compileall() { env -u PYTHONDONTWRITEBYTECODE "$py" -m compileall -q -j0 -o0 -o1 -o2 --hardlink-dupes "$tree" >/dev/null 2>&1 || true; }
# Which levels compileall did not link to the level below (a warm-up too).
compileall; env -u PYTHONHOME "$py" bench/compile_floor.py distinct "$tree" > "$work/distinct"
floor() {
  for shard in $(seq 0 $((cores - 1))); do
    env -u PYTHONHOME "$py" bench/compile_floor.py run "$shard" "$cores" < "$work/distinct" &
  done
  wait
}
ca_times=(); pp_times=(); fl_times=(); identical=yes
for _ in $(seq "$runs"); do
  t0=$(now); floor; t1=$(now); fl_times+=($(( (t1 - t0) / 1000000 )))
  clear; t0=$(now); compileall; t1=$(now)
  ca_times+=($(( (t1 - t0) / 1000000 ))); reference=$(snapshot)
  clear; t0=$(now); "$bin" compile --format json -o0 -o1 -o2 "$tree" >"$work/pyprune.json" 2>/dev/null || true; t1=$(now)
  pp_times+=($(( (t1 - t0) / 1000000 ))); ours=$(snapshot)
  [ "$reference" = "$ours" ] || identical=no
done
ca=$(printf '%s\n' "${ca_times[@]}" | median); pp=$(printf '%s\n' "${pp_times[@]}" | median)
fl=$(printf '%s\n' "${fl_times[@]}" | median)
ratio=$(awk -v a="$ca" -v b="$pp" 'BEGIN { printf "%.2f", a / b }')
best=$(awk -v a="$ca" -v b="$fl" 'BEGIN { printf "%.2f", a / b }')
echo "tree: copy of $stdlib ($sources sources), $runs runs each, interleaved"
echo "caches: $(echo "$reference" | awk '{ print $2 " files, " $3 " hardlink groups" }'); identical bytes, modes and links: $identical"
echo "median compileall -j0: ${ca} ms; median pyprune compile: ${pp} ms; pyprune is ${ratio}x as fast (goal: 2x)"
compilations=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["compilations"])' "$work/pyprune.json")
echo "pyprune ran $compilations compilations"
echo "floor ($(wc -l < "$work/distinct") distinct compilations on $cores processes, nothing written): ${fl} ms; no byte-identical tool can be more than ${best}x as fast"
if [ "$record" = 1 ]; then
  row="| compile -o0 -o1 -o2 vs \`compileall -j0 --hardlink-dupes\` | stdlib copy, $sources sources | $ca ms | $pp ms | ${ratio}x | $fl ms | ${best}x | $identical | $runs | $cores | $(date -u +%Y-%m-%d) |"
  record_rows '<!-- compile rows -->' "$row"
fi
