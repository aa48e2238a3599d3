#!/usr/bin/env bash
# Benchmark: what pyprune's runtime costs at interpreter start-up. A copy of
# the installed stdlib in a prefix layout gets `pyprune apply --profile
# fedora-default` (which installs the runtime); then, interleaved, `python -c
# pass` is timed with the runtime's loaders (its .pth and the stdlib's
# sitecustomize) in place and moved aside, and
# `python -X importtime` reports the runtime's own import. With --record,
# writes the medians into docs/BENCHMARKS.md.
#
# Usage: bench/runtime.sh [--record] [RUNS]   (RUNS defaults to 30)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 30 "$@"
build_and_locate
version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/orig/lib"
cp -a "$stdlib" "$work/orig/lib/python$version"
rm -rf "$work/orig/lib/python$version/site-packages" "$work/orig/lib/python$version/test"
mkdir "$work/orig/lib/python$version/site-packages"
"$bin" apply -q --profile fedora-default --no-verify --out "$work/out" "$work/orig/lib/python$version" >/dev/null
home="$work/out"
pth="$home/lib/python$version/site-packages/00-pyprune-runtime.pth"
custom="$home/lib/python$version/sitecustomize.py"
run() { env -i PYTHONHOME="$home" "$py" -s -c pass; }
with=(); without=(); own=()
for _ in $(seq "$runs"); do
  t0=$(now); run; t1=$(now); with+=($(( (t1 - t0) / 1000 )))
  own+=($(env -i PYTHONHOME="$home" "$py" -s -X importtime -c pass 2>&1 | awk -F'|' '/ pyprune_runtime$/ { gsub(/ /, "", $2); print $2 }'))
  mv "$pth" "$pth.off"; mv "$custom" "$custom.off"
  t0=$(now); run; t1=$(now); without+=($(( (t1 - t0) / 1000 )))
  mv "$pth.off" "$pth"; mv "$custom.off" "$custom"
done
w=$(printf '%s\n' "${with[@]}" | median); wo=$(printf '%s\n' "${without[@]}" | median)
o=$(printf '%s\n' "${own[@]}" | median)
ratio=$(awk -v a="$w" -v b="$wo" 'BEGIN { printf "%.3f", a / b }')
echo "python -c pass on a fedora-default copy, $runs runs each, interleaved"
echo "median with the runtime: ${w} us; without: ${wo} us; ratio ${ratio}; runtime's own import (-X importtime, cumulative): ${o} us"
if [ "$record" = 1 ]; then
  row="| \`python -s -c pass\`, fedora-default copy | $w us | $wo us | ${ratio}x | $o us | $runs | $(nproc) | $(date -u +%Y-%m-%d) |"
  record_rows '<!-- runtime rows -->' "$row"
fi
