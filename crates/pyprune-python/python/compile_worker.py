# A pyprune compile worker, run as `python -s -S -u -c <this>` with a cleaned
# environment and PYTHONHASHSEED=0 (not -I, which would ignore that seed): up
# to 3.10 marshal writes a frozenset in its iteration order, which string hash
# randomization changes from process to process, so only a fixed seed makes
# the bytes reproducible. `-c` puts the current directory first on sys.path
# (what -I prevents): it is taken off before anything is imported. Each source is
# compiled by py_compile.compile, the very call compileall makes, so the bytes
# written are compileall's.
#
# The protocol is plain text on purpose: marshal sets FLAG_REF on objects whose
# refcount is above one, and calling json in this process was seen to change
# later pycs; nothing here may leave objects alive that compileall would not.
#
# Request, one line, tab-separated:  ID SOURCE DFILE MODE LEVEL:CFILE[,LEVEL:CFILE...]
#   paths are hex of their bytes (non-UTF-8 names survive), DFILE is "-" for none,
#   MODE is timestamp, checked-hash or unchecked-hash.
# Reply, one line: ID ok WARNINGS  or  ID error MESSAGE WARNINGS
#   MESSAGE and WARNINGS are hex of UTF-8 text; warnings are separated by NUL.
import sys

if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]

import os
import py_compile
import warnings

MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
    "unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
}


def path(hex_path):
    return os.fsdecode(bytes.fromhex(hex_path))


def text(value):
    return value.encode("utf-8", "backslashreplace").hex()


def handle(fields):
    request_id, source, dfile, mode, targets = fields
    source = path(source)
    dfile = None if dfile == "-" else path(dfile)
    mode = MODES[mode]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            # py_compile would open a FIFO and block: only regular files are read.
            mode_bits = os.stat(source).st_mode & 0o170000
            if mode_bits != 0o100000:
                raise ValueError("%s is not a regular file: not opened" % source)
            for target in targets.split(","):
                level, cfile = target.split(":")
                py_compile.compile(source, path(cfile), dfile, True, optimize=int(level), invalidation_mode=mode)
            error = None
        except py_compile.PyCompileError as exc:
            error = exc.msg
        except (SyntaxError, UnicodeError, OSError, ValueError) as exc:
            error = exc.__class__.__name__ + ": " + str(exc)
        shown = "\0".join(f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught)
    if error is None:
        return f"{request_id}\tok\t{text(shown)}\n"
    return f"{request_id}\terror\t{text(error)}\t{text(shown)}\n"


def main():
    import importlib.util
    sys.stdout.write("ready\t" + importlib.util.MAGIC_NUMBER.hex() + "\n")
    for line in sys.stdin:
        sys.stdout.write(handle(line.rstrip("\n").split("\t")))


main()
