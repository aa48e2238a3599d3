#!/usr/bin/env bash
# Benchmark: every profile on every CPython of this machine (pyenv's newest
# 3.8 ... 3.13 and Debian's python3.11), each copied whole into a temp dir
# with an empty site-packages (third-party packages are issue 12's matter).
# For each profile: `pyprune apply --out` (which verifies the result with the
# copy's own interpreter), the result's size (du -s) as a share of the prefix
# and of the stdlib (its directory, plus the pythonXY.zip beside it), verify's
# verdict, and the import-time ratio `plan --measure-import` gives the layout.
#
# Usage: bench/pythons.sh [--record] [RUNS] [WHICH...]   (timed imports per layout;
# default 5; give RUNS to name WHICH: minor releases such as 3.12, or `debian`;
# default all)
# --record appends the rows to the per-interpreter table of docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 5 "$@"
# After [--record] [RUNS]: the interpreters to run (all by default).
rest=("$@")
if [ "${rest[0]:-}" = "--record" ]; then rest=("${rest[@]:1}"); fi
if [[ "${rest[0]:-}" =~ ^[0-9]+$ ]]; then rest=("${rest[@]:1}"); fi
which=("${rest[@]}")
wanted() { [ ${#which[@]} -eq 0 ] || printf '%s\n' "${which[@]}" | grep -qxF "$1"; }
build_and_locate
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
profiles=(fedora-default container compact full-zip minimal)
rows=""

# bytes PATH...: du -s of those of the paths that exist, together, in bytes
# (hardlinks counted once); 0 for none.
bytes() {
  local there=() path
  for path in "$@"; do [ -e "$path" ] && there+=("$path"); done
  [ ${#there[@]} -eq 0 ] && { echo 0; return; }
  du -s -c -B1 "${there[@]}" | tail -1 | cut -f1
}

# one LABEL PREFIX PYTHON STDLIB_REL: benchmarks the installation copied at PREFIX.
one() {
  local label=$1 prefix=$2 python=$3 stdlib_rel=$4
  local zip_rel; zip_rel="$(dirname "$stdlib_rel")/$(basename "$stdlib_rel" | tr -d .).zip"
  local prefix_before stdlib_before
  prefix_before=$(bytes "$prefix")
  stdlib_before=$(bytes "$prefix/$stdlib_rel")
  echo "== $label: prefix $prefix_before bytes, stdlib $stdlib_before bytes"
  local plan="$work/plan.json"
  "$bin" plan --quiet --measure-import=profiles --runs "$runs" --format json --python "$python" "$prefix" > "$plan"
  for profile in "${profiles[@]}"; do
    local out="$work/out-$profile" report="$work/apply.json" verdict
    rm -rf "$out"
    if "$bin" apply --quiet --profile "$profile" --python "$python" --format json --out "$out" "$prefix" > "$report"; then
      verdict=verified
    else
      verdict="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])).get("verify") or {}; print("%d regressions" % len(r.get("regressions", [])))' "$report" 2>/dev/null || echo failed)"
    fi
    local p s ratio
    p=$(bytes "$out")
    s=$(bytes "$out/$stdlib_rel" "$out/$zip_rel")
    ratio=$(python3 -c 'import json,sys; rows=[r for r in json.load(open(sys.argv[1]))["rows"] if r["kind"]=="profile" and r["name"]==sys.argv[2]]; x=rows[0].get("import_ratio") if rows else None; print("%.2fx" % x if x else "n/a")' "$plan" "$profile")
    local row
    row=$(printf '| %s | %s | %s%% | %s%% | %s | %s | %s |' "$label" "$profile" \
      "$(awk -v a="$p" -v b="$prefix_before" 'BEGIN { printf "%.1f", 100 * a / b }')" \
      "$(awk -v a="$s" -v b="$stdlib_before" 'BEGIN { printf "%.1f", 100 * a / b }')" \
      "$verdict" "$ratio" "$(date +%F)")
    echo "$row"
    rows+="$row"$'\n'
    rm -rf "$out"
  done
}

pyenv_root=$(pyenv root 2>/dev/null || true)
for minor in 3.8 3.9 3.10 3.11 3.12 3.13; do
  wanted "$minor" || continue
  version=$(ls "$pyenv_root/versions" 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -1 || true)
  if [ -z "$version" ]; then echo "note: no pyenv $minor here: skipped"; continue; fi
  prefix="$work/pyenv-$version"
  cp -a "$pyenv_root/versions/$version" "$prefix"
  find "$prefix/lib/python$minor/site-packages" -mindepth 1 -delete
  one "pyenv $version" "$prefix" "$prefix/bin/python$minor" "lib/python$minor"
  rm -rf "$prefix"
done
if ! wanted debian; then
  :
elif [ -x /usr/bin/python3.11 ] && [ -d /usr/lib/python3.11 ]; then
  mkdir -p "$work/debian/usr/bin" "$work/debian/usr/lib"
  cp -a /usr/bin/python3.11 "$work/debian/usr/bin/"
  cp -a /usr/lib/python3.11 "$work/debian/usr/lib/"
  one "Debian 3.11" "$work/debian/usr" "$work/debian/usr/bin/python3.11" "lib/python3.11"
else
  echo "note: no Debian python3.11 here: skipped"
fi

if [ "$record" = 1 ]; then record_rows "<!-- pythons rows -->" "${rows%$'\n'}"; fi
