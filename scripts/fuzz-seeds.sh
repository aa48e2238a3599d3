#!/usr/bin/env bash
# Usage: scripts/fuzz-seeds.sh [DEST]   (default: fuzz/seeds)
# Writes the seed corpora of the fuzz targets (fuzz/, docs/TESTING.md "Fuzzing")
# from real files, one directory per target: pycs that the installed python3
# compiles (every level, timestamp and checked-hash), a zip that `zipfile`
# writes, the RECORDs of the distributions python3 has installed (as pip wrote
# them), and the log of a real in-place change that pyprune journals (built
# with `cargo build -p pyprune` first). Nothing of it is committed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$repo/fuzz/seeds}
py=${PYTHON:-python3}
rm -rf "$dest"; mkdir -p "$dest"/{pyc,zip,record,journal}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# pycs: small modules (libFuzzer keeps inputs near the seeds' size), every level,
# every kind of header.
"$py" - "$dest/pyc" <<'PY'
import os, py_compile, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
for name in ["this.py", "json/decoder.py", "string.py"]:
    for level in (0, 1, 2):
        for mode in ("TIMESTAMP", "CHECKED_HASH", "UNCHECKED_HASH"):
            out = os.path.join(sys.argv[1], f"{name.replace('/', '.')}.{level}.{mode}.pyc")
            py_compile.compile(os.path.join(stdlib, name), cfile=out, optimize=level,
                               invalidation_mode=py_compile.PycInvalidationMode[mode], doraise=True)
PY

# zips: stored and deflated members, a package, a cache, data; and an empty one.
"$py" - "$dest/zip" "$dest/pyc" <<'PY'
import os, sys, sysconfig, zipfile
stdlib = sysconfig.get_paths()["stdlib"]
out, pycs = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(os.path.join(out, "stdlib.zip"), "w") as z:
    z.write(os.path.join(stdlib, "this.py"), "this.py", zipfile.ZIP_DEFLATED)
    z.write(os.path.join(stdlib, "json", "__init__.py"), "json/__init__.py", zipfile.ZIP_STORED)
    z.write(os.path.join(pycs, "json.decoder.py.0.TIMESTAMP.pyc"), "json/decoder.pyc", zipfile.ZIP_DEFLATED)
    z.writestr("data/readme.txt", b"not a module\n")
with zipfile.ZipFile(os.path.join(out, "stored.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("a.py", b"x = 1\n")
    z.writestr("pkg/__init__.pyc", open(os.path.join(pycs, "this.py.0.TIMESTAMP.pyc"), "rb").read())
zipfile.ZipFile(os.path.join(out, "empty.zip"), "w").close()
PY

# RECORDs: those of a few distributions python3 has (pip's always).
"$py" - "$dest/record" <<'PY'
import importlib.metadata as m, os, sys
for d in sorted(m.distributions(), key=lambda d: d.metadata["Name"] or "")[:12]:
    text = d.read_text("RECORD")
    if text:
        with open(os.path.join(sys.argv[1], f"{d.metadata['Name']}.RECORD"), "w", newline="") as f:
            f.write(text)
PY
[ -n "$(ls "$dest/record")" ] || { echo "no RECORD found for $py" >&2; exit 1; }

# A journal: pyprune applied in place to a small copy of the stdlib's json
# package (a test suite removed, the caches made sourceless), then undone.
pyprune=${PYPRUNE:-$repo/target/debug/pyprune}
[ -x "$pyprune" ] || (cd "$repo" && cargo build -q -p pyprune)
json=$("$py" -c 'import json, os; print(os.path.dirname(json.__file__))')
mkdir -p "$work/tree/json/tests"
cp "$json/__init__.py" "$json/decoder.py" "$work/tree/json/"
cp "$json/tool.py" "$work/tree/json/tests/test_tool.py"
"$py" -m compileall -q "$work/tree" >/dev/null
"$pyprune" -q apply "$work/tree" --in-place --steps exclude-tests,sourceless --no-verify --python "$py" >/dev/null
cp "$work/tree/.pyprune-journal/log" "$dest/journal/in-place.log"
"$pyprune" -q undo "$work/tree" >/dev/null
for target in pyc zip record journal; do
  echo "$target: $(ls "$dest/$target" | wc -l) seeds in $dest/$target"
done
