# A pyprune compile worker, run as `python -I -S -u -c <this>`: one JSON request
# per line on stdin, one JSON reply per line on stdout. Each source is compiled
# by py_compile.compile, the very call compileall makes, so the bytes written
# are compileall's. Paths travel as hex of their bytes (non-UTF-8 names survive).
import json
import os
import py_compile
import sys
import warnings

MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
    "unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
}


def path(hex_path):
    return os.fsdecode(bytes.fromhex(hex_path))


def handle(request):
    source = path(request["source"])
    dfile = path(request["dfile"]) if request["dfile"] is not None else None
    mode = MODES[request["mode"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            for level, cfile in request["targets"]:
                py_compile.compile(source, path(cfile), dfile, True, optimize=level, invalidation_mode=mode)
        except py_compile.PyCompileError as error:
            return {"ok": False, "error": error.msg, "warnings": [str(w.message) for w in caught]}
        except (SyntaxError, UnicodeError, OSError, ValueError) as error:
            message = error.__class__.__name__ + ": " + str(error)
            return {"ok": False, "error": message, "warnings": [str(w.message) for w in caught]}
    shown = [f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught]
    return {"ok": True, "warnings": shown}


def main():
    import importlib.util
    print(json.dumps({"ready": True, "magic": importlib.util.MAGIC_NUMBER.hex()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        reply = handle(request)
        reply["id"] = request["id"]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


main()
