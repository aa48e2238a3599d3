#!/usr/bin/env bash
# Installs what the tests and benchmarks need beyond the Rust toolchain, from
# Debian's packages, only when it is missing: python3 (with compileall), du and
# setpriv (coreutils, util-linux), hardlink (util-linux), and Debian's pypy3,
# which the tests use to check that a PyPy installation is refused up front;
# and the pinned wheels of scripts/test-wheels.txt and test-wheels-releases.txt
# (scripts/test-wheels.sh).
set -euo pipefail
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v du >/dev/null || missing+=(coreutils)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v hardlink >/dev/null || missing+=(util-linux)
command -v pypy3 >/dev/null || missing+=(pypy3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# The wheels the tests build venvs from (PyPI), into the wheelhouse.
"$(dirname "$0")/test-wheels.sh" >/dev/null
