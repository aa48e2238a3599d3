#!/usr/bin/env bash
# Usage: scripts/make-libs-tree.sh DEST
# Builds the reference "libs" tree that size goals are measured on: the stdlib of the
# interpreter behind `$PYTHON` (default `python3`), like Fedora's python3-libs package —
# without the test suite, idlelib, tkinter, turtle/turtledemo and the build config dir —
# laid out as DEST/lib/python3.X (so `PYTHONHOME=DEST python3.X` runs on it), compiled at
# all three optimization levels with duplicate caches hardlinked, extension modules as
# installed. The caches name their sources by absolute path, as an installed stdlib's do.
# Prints the stdlib directory, DEST/lib/python3.X. The tests build their tree with it.
set -euo pipefail
dest=${1:?usage: make-libs-tree.sh DEST}
py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
ver=$(basename "$stdlib")
rm -rf "$dest"; mkdir -p "$dest/lib"
cp -a "$stdlib" "$dest/lib/$ver"
cd "$dest/lib/$ver"
rm -rf site-packages test idlelib tkinter turtledemo turtle.py \
       lib2to3/tests ctypes/test unittest/test sqlite3/test distutils/tests config-*
find . -name __pycache__ -prune -exec rm -rf {} +
mkdir -p site-packages
if ! log=$(env -u PYTHONDONTWRITEBYTECODE "$py" -m compileall -q -j0 -o0 -o1 -o2 --hardlink-dupes "$PWD" 2>&1); then
  printf '%s\n' "$log" >&2
  echo "make-libs-tree.sh: compileall failed in $PWD" >&2
  exit 1
fi
echo "$dest/lib/$ver"
