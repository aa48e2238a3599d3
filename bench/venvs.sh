#!/usr/bin/env bash
# Every profile that applies to a venv, on a scientific-stack venv and a
# web-stack venv of real wheels (bench/venv-scientific.txt, bench/venv-web.txt,
# installed by pip into venvs of python3 with their own pip and setuptools):
# `apply --out` with verify by the result's own interpreter, the result's size
# as a share of the venv (`du -s`, on disk), verify's verdict, and the import
# time of the stack's main packages as a ratio to the unchanged venv (medians
# of interleaved runs, each a fresh `bin/python -B -c "import ..."`).
#
# Usage: bench/venvs.sh [--record] [RUNS] [scientific|web ...]
# The venvs are made once under $PYPRUNE_BENCH_VENVS (default
# ~/.cache/pyprune/bench-venvs); the results go to a temp dir, removed at the end.
# --record inserts the rows into the venv table of docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rest=("$@")
bench_args 7 "$@"
if [ "${rest[0]:-}" = "--record" ]; then rest=("${rest[@]:1}"); fi
if [[ "${rest[0]:-}" =~ ^[0-9]+$ ]]; then rest=("${rest[@]:1}"); fi
which=("${rest[@]}")
[ ${#which[@]} -gt 0 ] || which=(scientific web)
build_and_locate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profiles=(lossless container compact minimal)

declare -A imports=(
  [scientific]="numpy, scipy.linalg, scipy.optimize, scipy.stats, pandas, matplotlib.pyplot"
  [web]="django.test, flask, requests, sqlalchemy.orm, jinja2, fastapi, uvicorn"
)

# import_ms VENV CODE: one timed import run, in milliseconds.
import_ms() {
  local start end
  start=$(now)
  MPLBACKEND=Agg "$1/bin/python" -B -c "$2" > /dev/null
  end=$(now)
  echo $(((end - start) / 1000000))
}

rows=""
for name in "${which[@]}"; do
  venv=$(make_venv "$name")
  size=$(du -s -B1 "$venv" | cut -f1)
  echo "$name: $venv, $size bytes on disk" >&2
  code="import ${imports[$name]}"
  results=()
  for profile in "${profiles[@]}"; do
    out=$work/$name-$profile
    start=$(now)
    "$bin" apply "$venv" --profile "$profile" --out "$out" --format json > "$work/report.json" \
      2> "$work/stderr" || true
    end=$(now)
    verdict=$("$py" - "$work/report.json" <<'EOF'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError:
    print("no report"); sys.exit()
verify = report.get("verify")
if verify is None:
    print("not verified")
elif verify["regressions"]:
    print("%d regressions" % len(verify["regressions"]))
else:
    print("verified")
EOF
)
    if [ -d "$out" ]; then
      results+=("$profile")
      share=$(awk -v a="$(du -s -B1 "$out" | cut -f1)" -v b="$size" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    else
      share="-"
      sed -n '1,3p' "$work/stderr" >&2
    fi
    echo "  $profile: $share, $verdict, apply+verify $(((end - start) / 1000000000)) s" >&2
    eval "share_$profile=\$share verdict_$profile=\"\$verdict\""
  done
  # Interleaved timed imports: the original, then each result, RUNS rounds after a warm-up.
  declare -A times=()
  for round in $(seq 0 "$runs"); do
    for layout in original "${results[@]}"; do
      dir=$venv; [ "$layout" = original ] || dir=$work/$name-$layout
      ms=$(import_ms "$dir" "$code")
      [ "$round" = 0 ] || times[$layout]+="$ms"$'\n'
    done
  done
  base=$(printf '%s' "${times[original]}" | median)
  for profile in "${profiles[@]}"; do
    s=share_$profile v=verdict_$profile
    ratio="-"
    if [ -n "${times[$profile]:-}" ]; then
      ratio=$(awk -v a="$(printf '%s' "${times[$profile]}" | median)" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')
    fi
    rows+="| $name | $profile | ${!s} | ${!v} | $ratio | $(date +%F) |"$'\n'
  done
  echo "$name: imports of the original: median $base ms" >&2
  rm -rf "$work/$name-"*
done
printf '%s' "$rows"
if [ "$record" = 1 ]; then record_rows "<!-- venv rows -->" "${rows%$'\n'}"; fi
