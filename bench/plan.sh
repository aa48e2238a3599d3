#!/usr/bin/env bash
# Benchmark: `pyprune plan --measure-import` on the reference "libs" tree, built
# by scripts/make-libs-tree.sh from the interpreter behind `python3`: the disk
# size and import time of every step and profile, as in the README's profile
# table and docs/BENCHMARKS.md. Prints pyprune's report; records nothing.
#
# Usage: bench/plan.sh [RUNS]   (timed imports per layout; defaults to 9)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-9}
build_and_locate
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tree=$(PYTHON="$py" scripts/make-libs-tree.sh "$work/libs")
echo "tree: $tree, $(du -s -B1 "$tree" | cut -f1) bytes by du -s; $runs timed imports per layout"
"$bin" plan --measure-import --runs "$runs" --python "$py" "$tree"
