# Shared by the bench scripts (sourced, not run): timing, medians, recording.

# Nanoseconds since the epoch.
now() { date +%s%N; }

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# record_rows MARKER ROWS: inserts ROWS (lines) after the line MARKER of docs/BENCHMARKS.md.
record_rows() {
  local doc=docs/BENCHMARKS.md
  local found; found=$(grep -cxF "$1" "$doc" || true)
  [ "$found" = 1 ] || { echo "'$1' is on $found lines of $doc, not one" >&2; return 1; }
  awk -v rows="$2" -v m="$1" '{ print } $0 == m { print rows }' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "recorded in $doc"
}

# bench_args DEFAULT_RUNS ARGS...: reads `[--record] [RUNS]` into record (0 or 1) and runs.
bench_args() {
  local default=$1; shift
  record=0
  if [ "${1:-}" = "--record" ]; then record=1; shift; fi
  runs=${1:-$default}
}

# Builds pyprune and sets bin (its path), py (the interpreter behind python3,
# resolved past any shim) and stdlib (that interpreter's stdlib directory).
build_and_locate() {
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/pyprune
  py=$(env -u PYTHONHOME python3 -c 'import sys; print(sys.executable)')
  stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
}

# make_venv NAME: the venv of bench/venv-NAME.txt (pinned wheels installed by
# pip into a venv of $py with its own pip and setuptools), made once under
# $PYPRUNE_BENCH_VENVS (default ~/.cache/pyprune/bench-venvs); prints its path.
make_venv() {
  local dir=${PYPRUNE_BENCH_VENVS:-$HOME/.cache/pyprune/bench-venvs}/$1
  if [ ! -x "$dir/bin/python" ] || [ "$dir/.requirements" -ot "bench/venv-$1.txt" ]; then
    rm -rf "$dir"
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
      --only-binary=:all: -r "bench/venv-$1.txt" >&2
    touch "$dir/.requirements"
  fi
  echo "$dir"
}
