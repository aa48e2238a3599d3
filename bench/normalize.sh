#!/usr/bin/env bash
# Benchmark: pyprune's `normalize` step against Fedora's `add-det` (the
# add-determinism crate, GPL-3.0: installed here with `cargo install` as a
# separate program, never linked into pyprune) with only its `pyc` handler,
# on two fresh copies of the whole installed stdlib's caches (test suite
# included, three levels), runs interleaved, both in place on every core.
# Checks in the same run: which files the two leave byte-identical, that
# every file pyprune normalized loads as the same code (tests/same_code.py of
# pyprune-pyc), and how the sizes change. add-det also merges objects of
# equal value into references (so its files can shrink); pyprune changes
# reference marks only (so sizes stay). With --record, writes the medians
# into docs/BENCHMARKS.md.
#
# Usage: bench/normalize.sh [--record] [RUNS]   (RUNS defaults to 5)
# PYPRUNE_BENCH_BIN=PATH runs that pyprune instead of building the release one
# (its times then say nothing; the identical files and sizes still hold).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 5 "$@"
if [ -n "${PYPRUNE_BENCH_BIN:-}" ]; then
  bin=$PYPRUNE_BENCH_BIN
  py=$(env -u PYTHONHOME python3 -c 'import sys; print(sys.executable)')
  stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
else
  build_and_locate
fi
adddet_root=${PYPRUNE_BENCH_TOOLS:-$HOME/.cache/pyprune/bench-tools}
if [ ! -x "$adddet_root/bin/add-det" ]; then
  cargo install --quiet --locked --root "$adddet_root" add-determinism >&2
fi
adddet="$adddet_root/bin/add-det"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
orig="$work/orig/$(basename "$stdlib")"
mkdir -p "$work/orig"
cp -a "$stdlib" "$orig"; rm -rf "$orig/site-packages"
# Caches only (what both tools rewrite), links broken so each file is its own.
find "$orig" -name '*.py' -delete
find "$orig" -type f ! -name '*.pyc' -delete
pycs=$(find "$orig" -name '*.pyc' | wc -l)
cores=$(nproc)
fresh() { rm -rf "$work/$1"; mkdir -p "$work/$1"; cp -r "$orig" "$work/$1/"; }
pp_times=(); ad_times=()
for _ in $(seq "$runs"); do
  fresh pp; t0=$(now)
  "$bin" apply --in-place --commit --yes --no-verify --steps normalize -q "$work/pp/$(basename "$orig")" >/dev/null
  t1=$(now); pp_times+=($(( (t1 - t0) / 1000000 )))
  fresh ad; t0=$(now)
  "$adddet" -j "$cores" --handler pyc "$work/ad/$(basename "$orig")" >/dev/null 2>&1
  t1=$(now); ad_times+=($(( (t1 - t0) / 1000000 )))
done
summary=$(env -u PYTHONHOME "$py" - "$orig" "$work/pp/$(basename "$orig")" "$work/ad/$(basename "$orig")" <<'PY'
import os, sys
orig, pp, ad = sys.argv[1:]
n = same = pp_changed = ad_changed = ad_same_size = ad_same_size_equal = 0
size_orig = size_pp = size_ad = 0
for d, _, names in os.walk(orig):
    for name in names:
        rel = os.path.relpath(os.path.join(d, name), orig)
        o, p, a = (open(os.path.join(r, rel), "rb").read() for r in (orig, pp, ad))
        n += 1; size_orig += len(o); size_pp += len(p); size_ad += len(a)
        same += p == a; pp_changed += p != o; ad_changed += a != o
        if len(a) == len(o):
            ad_same_size += 1; ad_same_size_equal += p == a
print(n, same, pp_changed, ad_changed, ad_same_size, ad_same_size_equal, size_orig, size_pp, size_ad)
PY
)
read -r n same pp_changed ad_changed ad_same_size ad_same_size_equal size_orig size_pp size_ad <<<"$summary"
# Every file pyprune changed must load as the same code as before.
(cd "$work/orig" && find . -name '*.pyc' | while read -r f; do
  cmp -s "$f" "$work/pp/$f" || printf '%s\t%s\n' "$work/orig/$f" "$work/pp/$f"; done) \
  | env -u PYTHONHOME "$py" -W ignore crates/pyprune-pyc/tests/same_code.py >"$work/same" || { cat "$work/same"; exit 1; }
pp=$(printf '%s\n' "${pp_times[@]}" | median); ad=$(printf '%s\n' "${ad_times[@]}" | median)
ratio=$(awk -v a="$ad" -v b="$pp" 'BEGIN { printf "%.2f", a / b }')
pp_pct=$(awk -v a="$size_orig" -v b="$size_pp" 'BEGIN { printf "%.2f", 100 * (a - b) / a }')
ad_pct=$(awk -v a="$size_orig" -v b="$size_ad" 'BEGIN { printf "%.2f", 100 * (a - b) / a }')
version=$("$adddet" --version 2>&1 | head -1)
echo "tree: $pycs caches of $stdlib (site-packages left out), $runs runs each, interleaved, $cores cores"
echo "pyprune changed $pp_changed, $version changed $ad_changed; identical results: $same of $n"
echo "where add-det kept a file's size (marks only, no objects merged): $ad_same_size_equal of $ad_same_size identical"
echo "pyprune-normalized files load as the same code: $(head -1 "$work/same")"
echo "sizes: original $size_orig B; pyprune $size_pp B (${pp_pct}% smaller); add-det $size_ad B (${ad_pct}% smaller)"
echo "median pyprune apply --in-place --steps normalize: ${pp} ms; median add-det --handler pyc: ${ad} ms; pyprune ${ratio}x as fast"
if [ "$record" = 1 ]; then
  row="| normalize vs \`add-det --handler pyc\` ($version) | stdlib caches, $pycs files | $ad ms | $pp ms | ${ratio}x | $same / $n identical; $ad_same_size_equal / $ad_same_size where add-det merged nothing | ${pp_pct}% / ${ad_pct}% | $runs | $cores | $(date -u +%Y-%m-%d) |"
  record_rows '<!-- normalize rows -->' "$row"
fi
