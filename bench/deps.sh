#!/usr/bin/env bash
# Benchmark: `pyprune deps --closure` against the stdlib's own `modulefinder`
# answering the same question (every module these entry points need) for the
# same entry points, on the installed stdlib of the interpreter behind
# `python3`, in the same run, interleaved, warm cache. pyprune parses and
# graphs the whole stdlib, test suite included, every run; modulefinder
# follows imports from a script that imports the entry points. Wall and CPU
# (user + system) medians, their ratios, the load average before the runs, and
# the time pyprune says parsing and graphing took (`summary.graph_ms`).
#
# Usage: bench/deps.sh [--record] [RUNS]   (RUNS defaults to 9)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args 9 "$@"
build_and_locate
entries=(json http.server asyncio)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
script=$work/entry.py
printf 'import %s\n' "${entries[@]}" > "$script"

# Wall and CPU seconds of one run: "WALL CPU".
time_one() {
  local TIMEFORMAT='%R %U %S' out
  out=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$out"
}
pyprune_deps() { "$bin" deps -qq --format json --python "$py" --closure "$(IFS=,; echo "${entries[*]}")"; }
modulefinder() { "$py" -c 'import modulefinder, sys; f = modulefinder.ModuleFinder(); f.run_script(sys.argv[1]); print(len(f.modules))' "$script"; }

# Warm the cache; both answer.
pp_count=$(pyprune_deps | "$py" -c 'import json, sys; print(len(json.load(sys.stdin)["closure"]["modules"]))')
mf_count=$(modulefinder)
graph_ms=$("$bin" deps -qq --format json --python "$py" | "$py" -c 'import json, sys; print(json.load(sys.stdin)["summary"]["graph_ms"])')
load=$(cut -d' ' -f1-3 /proc/loadavg)

pp_wall=(); pp_cpu=(); mf_wall=(); mf_cpu=()
for _ in $(seq "$runs"); do
  read -r w c < <(time_one pyprune_deps); pp_wall+=("$w"); pp_cpu+=("$c")
  read -r w c < <(time_one modulefinder); mf_wall+=("$w"); mf_cpu+=("$c")
done
med() { printf '%s\n' "$@" | median; }
ppw=$(med "${pp_wall[@]}"); ppc=$(med "${pp_cpu[@]}")
mfw=$(med "${mf_wall[@]}"); mfc=$(med "${mf_cpu[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
sources=$(find "$stdlib" -path "$stdlib/site-packages" -prune -o -name '*.py' -print | wc -l)
echo "stdlib: $stdlib ($sources sources), entry points: ${entries[*]}, $runs runs each, interleaved"
echo "load average before: $load (other work shares this $(nproc)-core machine)"
echo "pyprune deps --closure: median ${ppw}s wall, ${ppc}s CPU; $pp_count modules in the closure; whole stdlib parsed and graphed in ${graph_ms} ms"
echo "modulefinder:           median ${mfw}s wall, ${mfc}s CPU; $mf_count modules found"
echo "modulefinder / pyprune: $(ratio "$mfw" "$ppw")x wall, $(ratio "$mfc" "$ppc")x CPU"
if [ "$record" = 1 ]; then
  record_rows '<!-- deps rows -->' "| ${entries[*]} | $sources | ${ppw} s / ${ppc} s | ${graph_ms} ms | $pp_count | ${mfw} s / ${mfc} s | $mf_count | $(ratio "$mfw" "$ppw")x / $(ratio "$mfc" "$ppc")x | $load | $runs | $(nproc) | $(date -u +%Y-%m-%d) |"
fi
