#!/usr/bin/env bash
# Downloads the wheels of scripts/test-wheels.txt,
# scripts/test-wheels-releases.txt and scripts/test-wheels-tools.txt (pinned) into the
# wheelhouse the tests install from: $PYPRUNE_WHEELHOUSE, by default
# ~/.cache/pyprune/wheels. Does nothing when they are all there. Prints the
# wheelhouse's path. The tests run it themselves when a wheel is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wheelhouse="${PYPRUNE_WHEELHOUSE:-$HOME/.cache/pyprune/wheels}"
python="${PYTHON:-python3}"
mkdir -p "$wheelhouse"
missing=0
while read -r line; do
  spec="${line%%#*}"; spec="${spec// /}"
  [ -z "$spec" ] && continue
  name="${spec%%==*}"; version="${spec##*==}"
  # Wheel file names spell the project name with underscores, any case.
  pattern="$(echo "$name" | tr '[:upper:]-' '[:lower:]_')-${version}-"
  if ! ls "$wheelhouse" | tr '[:upper:]' '[:lower:]' | grep -q "^${pattern}"; then
    missing=1
  fi
done < <(cat "$here/test-wheels.txt" "$here/test-wheels-releases.txt" "$here/test-wheels-tools.txt")
if [ "$missing" = 1 ]; then
  # Into a scratch directory first: an interrupted download leaves no half wheel.
  scratch="$(mktemp -d "$wheelhouse/.download-XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: -r "$here/test-wheels.txt" -r "$here/test-wheels-releases.txt" \
    -r "$here/test-wheels-tools.txt" \
    -d "$scratch" >&2
  mv -f "$scratch"/*.whl "$wheelhouse"/
fi
echo "$wheelhouse"
