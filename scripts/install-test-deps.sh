#!/usr/bin/env bash
# Installs what the tests and benchmarks need beyond the Rust toolchain, from
# Debian's packages, only when it is missing: python3 (with compileall), du and
# setpriv (coreutils, util-linux), hardlink (util-linux), and Debian's pypy3,
# which the tests use to check that a PyPy installation is refused up front;
# zsh and fish, whose parsers check the completion scripts `pyprune completions`
# writes; rpm, whose rpmbuild builds packages from `pyprune split`'s `%files`
# fragments (and make, which the spec's `%make_install` runs); chromium, in which a test opens `pyprune report --html`'s page (that
# test is skipped, saying so, where chromium cannot be installed); and the
# pinned wheels of scripts/test-wheels.txt, test-wheels-releases.txt and
# test-wheels-tools.txt (maturin, which builds pyprune's wheel; scripts/test-wheels.sh).
set -euo pipefail
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v du >/dev/null || missing+=(coreutils)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v hardlink >/dev/null || missing+=(util-linux)
command -v pypy3 >/dev/null || missing+=(pypy3)
command -v zsh >/dev/null || missing+=(zsh)
command -v fish >/dev/null || missing+=(fish)
command -v rpmbuild >/dev/null || missing+=(rpm)
command -v make >/dev/null || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# Chromium is optional: where it cannot be installed (no root, no such
# package), the one test that needs it says it was skipped.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }; then
    :
  else
    echo "note: chromium could not be installed; the test of report --html's page will be skipped" >&2
  fi
fi
# The wheels the tests build venvs from (PyPI), into the wheelhouse.
"$(dirname "$0")/test-wheels.sh" >/dev/null
