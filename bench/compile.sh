#!/usr/bin/env bash
# Benchmark: `pyprune compile -o0 -o1 -o2` against
# `python3 -m compileall -q -j0 -o0 -o1 -o2 --hardlink-dupes` on a fresh copy of
# the whole installed stdlib (test suite included), runs interleaved, caches
# removed before each run. Checks in the same run that both leave identical
# bytes, modes and hardlink structure. With --record, writes the medians and
# their ratio into docs/BENCHMARKS.md.
#
# Usage: bench/compile.sh [--record] [RUNS]   (RUNS defaults to 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
record=0
if [ "${1:-}" = "--record" ]; then record=1; shift; fi
runs=${1:-5}
cargo build --release --quiet
bin=$PWD/target/release/pyprune
py=$(env -u PYTHONHOME python3 -c 'import sys; print(sys.executable)')
stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
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
ca_times=(); pp_times=(); identical=yes
for _ in $(seq "$runs"); do
  clear; t0=$(now); env -u PYTHONDONTWRITEBYTECODE "$py" -m compileall -q -j0 -o0 -o1 -o2 --hardlink-dupes "$tree" >/dev/null 2>&1 || true; t1=$(now)
  ca_times+=($(( (t1 - t0) / 1000000 ))); reference=$(snapshot)
  clear; t0=$(now); "$bin" compile -qq -o0 -o1 -o2 "$tree" >/dev/null 2>&1 || true; t1=$(now)
  pp_times+=($(( (t1 - t0) / 1000000 ))); ours=$(snapshot)
  [ "$reference" = "$ours" ] || identical=no
done
ca=$(printf '%s\n' "${ca_times[@]}" | median); pp=$(printf '%s\n' "${pp_times[@]}" | median)
ratio=$(awk -v a="$ca" -v b="$pp" 'BEGIN { printf "%.2f", a / b }')
echo "tree: copy of $stdlib ($sources sources), $runs runs each, interleaved"
echo "caches: $(echo "$reference" | awk '{ print $2 " files, " $3 " hardlink groups" }'); identical bytes, modes and links: $identical"
echo "median compileall -j0: ${ca} ms; median pyprune compile: ${pp} ms; pyprune is ${ratio}x as fast (goal: 2x)"
if [ "$record" = 1 ]; then
  row="| compile -o0 -o1 -o2 vs \`compileall -j0 --hardlink-dupes\` | stdlib copy, $sources sources | $ca ms | $pp ms | ${ratio}x | $identical | $runs | $(nproc) | $(date -u +%Y-%m-%d) |"
  record_rows '<!-- compile rows -->' "$row"
fi
