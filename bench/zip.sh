#!/usr/bin/env bash
# Benchmark (issue 17): the zip layouts side by side on the reference "libs"
# tree (scripts/make-libs-tree.sh) of each CPython named (default: python3,
# then pyenv's newest 3.12 and 3.13), all in one run:
#   unchanged      the libs tree as built
#   old-full-zip   full-zip as it was: checked-hash bytecode, every member
#                  deflated (`--steps strip-extensions,zip-stdlib-deflated,
#                  drop-optimized-caches --zip-hashes checked`)
#   full-zip       unchecked-hash bytecode, every member deflated
#   full-zip+zopfli  the same, deflated by zopfli
#   full-zip-fast  hot bytecode stored (start-up and the common entry
#                  points), the rest deflated, sources deflated
#   full-zip-fast+zopfli  the same, its deflated (cold) members by zopfli
# Each is built by `pyprune apply --out --no-verify` (its wall time printed:
# zopfli's extra build time), measured by `du -s`, then all are timed
# importing bench/zip-import-set.txt (issue 17's 24 modules) by
# bench/zip_timing.py: interleaved rounds, the median wall time, and the
# median, least and greatest per-round ratio to the unchanged tree. Python
# starts as it does by default, with site (pyprune's runtime loads where a
# tree has it); NO_SITE=1 times `python -S` instead (no runtime), and the
# rows' release then reads "3.X.Y -S".
#
# Usage: bench/zip.sh [--record] [ROUNDS] [PYTHON...]   (default 15 rounds)
# PYPRUNE=path/to/pyprune uses that binary instead of building a release one.
# --record appends the rows to the zip table of docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 15 "$@"
rest=("$@")
if [ "${rest[0]:-}" = "--record" ]; then rest=("${rest[@]:1}"); fi
if [[ "${rest[0]:-}" =~ ^[0-9]+$ ]]; then rest=("${rest[@]:1}"); fi
pythons=("${rest[@]}")
if [ ${#pythons[@]} -eq 0 ]; then
  pythons=(python3)
  root=$(pyenv root 2>/dev/null || true)
  for minor in 3.12 3.13; do
    found=$(ls -d "$root"/versions/"$minor".* 2>/dev/null | sort -V | tail -1 || true)
    [ -n "$found" ] && pythons+=("$found/bin/python$minor")
  done
fi
if [ -n "${PYPRUNE:-}" ]; then bin=$PYPRUNE; else build_and_locate; fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
rows=""
for python in "${pythons[@]}"; do
  py=$(env -u PYTHONHOME "$python" -c 'import sys; print(sys.executable)')
  label=$("$py" -c 'import platform; print(platform.python_version())')
  timing_flags=()
  if [ "${NO_SITE:-0}" = 1 ]; then timing_flags=(--no-site); fi
  tree=$work/libs-$label
  PYTHON=$py scripts/make-libs-tree.sh "$tree" >/dev/null
  declare -A args=(
    [old-full-zip]="--steps strip-extensions,zip-stdlib-deflated,drop-optimized-caches --zip-hashes checked"
    [full-zip]="--profile full-zip"
    [full-zip+zopfli]="--profile full-zip --zopfli"
    [full-zip-fast]="--profile full-zip-fast"
    [full-zip-fast+zopfli]="--profile full-zip-fast --zopfli"
  )
  # LAYOUTS="..." builds and times only those (zopfli takes minutes).
  read -r -a layouts <<< "${LAYOUTS:-old-full-zip full-zip full-zip+zopfli full-zip-fast full-zip-fast+zopfli}"
  tree_bytes=$(du -s -B1 "$tree" | cut -f1)
  declare -A bytes=() build=()
  for layout in "${layouts[@]}"; do
    start=$(now)
    # shellcheck disable=SC2086
    "$bin" apply --python "$py" --no-verify ${args[$layout]} --out "$work/$layout-$label" "$tree" >/dev/null 2>&1
    build[$layout]=$(( ($(now) - start) / 1000000 ))
    bytes[$layout]=$(du -s -B1 "$work/$layout-$label" | cut -f1)
  done
  timing=$(python3 bench/zip_timing.py "${timing_flags[@]}" "$py" bench/zip-import-set.txt "$runs" \
    "unchanged=$tree" $(for l in "${layouts[@]}"; do printf '%s=%s ' "$l" "$work/$l-$label"; done))
  while IFS=$'\t' read -r name ms ratio least greatest; do
    if [ "$name" = unchanged ]; then size=$tree_bytes; took="-"; else size=${bytes[$name]}; took="${build[$name]} ms"; fi
    share=$(awk -v a="$size" -v b="$tree_bytes" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    mib=$(awk -v a="$size" 'BEGIN { printf "%.1f MiB", a / 1048576 }')
    row="| $label${timing_flags:+ -S} | \`$name\` | $mib | $share | $ratio ($least-$greatest) | $ms | $took | $runs | $(nproc) | $(date -u +%F) |"
    echo "$row"
    rows+="$row"$'\n'
  done <<< "$timing"
  for layout in "${layouts[@]}"; do rm -rf "$work/$layout-$label"; done
  rm -rf "$tree"
done
if [ "$record" = 1 ]; then
  # The zip table is the only one of ten columns.
  record_rows "<!-- zip rows -->" "${rows%$'\n'}"
fi
