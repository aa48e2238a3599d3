"""pyprune verify's worker: run by the interpreter under test, on the tree under test.

Usage: python -c WORKER MODE, with items on stdin, one per line, hex-encoded
(file names need not be UTF-8). Every result is a line starting with
"\\0pyprune " on stdout; anything else a module prints is ignored. Before each
item it prints START item, so that a crash or a hang names the item it hit.

  check      items are paths. A .pyc must carry this interpreter's magic
             and valid flags and unmarshal to code; anything else must
             compile. OK item, or FAIL item reason.
  import     items are module names: OK item, or FAIL item reason.
  traceback  items are module names. Raises an exception in a frame of the
             module's source file and hands it to sys.excepthook (what
             prints an uncaught exception): OK item when the source line is
             shown, NOLINE item when not, SKIP item reason when no frame
             could be made.
"""
# Only built-in and frozen modules here: what the worker needs must not hide
# what the tree lacks (importlib/__init__ would need warnings from the tree).
import _frozen_importlib_external
import sys

PREFIX = "\0pyprune "


def emit(*words):
    # Bytes, not text: a reason may hold a non-UTF-8 file name (surrogates).
    line = PREFIX + " ".join(words) + "\n"
    sys.__stdout__.flush()
    sys.__stdout__.buffer.write(line.encode("utf-8", "backslashreplace"))
    sys.__stdout__.buffer.flush()


def reason(error):
    text = "%s: %s" % (type(error).__name__, error)
    return " ".join(text.split())[:300]


def check(path):
    import marshal

    with open(path, "rb") as file:
        data = file.read()
    if not path.endswith(".pyc"):
        compile(data, path, "exec", dont_inherit=True)
        return "OK"
    magic = _frozen_importlib_external.MAGIC_NUMBER
    if data[:4] != magic:
        raise ValueError("magic %s is not this interpreter's %s" % (data[:4].hex(), magic.hex()))
    if len(data) < 16:
        raise ValueError("header truncated (%d bytes)" % len(data))
    flags = int.from_bytes(data[4:8], "little")
    if flags not in (0, 1, 3):
        raise ValueError("invalid flags %d" % flags)
    code = marshal.loads(data[16:])
    if type(code).__name__ != "code":
        raise ValueError("holds a %s, not code" % type(code).__name__)
    return "OK"


def import_module(name):
    __import__(name)
    return "OK"


def first_line(code):
    lines = [line for _, _, line in code.co_lines() if line]
    return min(lines) if lines else None


def traceback(name):
    import io

    try:
        __import__(name)
        module = sys.modules[name]
        code = module.__loader__.get_code(name)
    except BaseException as error:
        return "SKIP " + reason(error)
    if getattr(module.__spec__, "origin", None) == "frozen":
        # Run from the interpreter's own copy: its frames say <frozen NAME> in any tree.
        return "SKIP frozen"
    line = first_line(code) if code is not None else None
    path = getattr(module, "__file__", None)
    if line is None or not path:
        return "SKIP no code lines"
    # The name a freshly compiled tree gives the frame: the source's place in
    # the tree (a sourceless NAME.pyc was NAME.py), never a file elsewhere.
    if path.endswith(".pyc"):
        path = path[:-1]
    raising = compile("\n" * (line - 1) + "raise RuntimeError('pyprune verify')", path, "exec")
    try:
        exec(raising, module.__dict__)
    except RuntimeError:
        kind, error, tb = sys.exc_info()
    shown = io.StringIO()
    stderr, sys.stderr = sys.stderr, shown
    try:
        sys.excepthook(kind, error, tb)
    finally:
        sys.stderr = stderr
    printed = shown.getvalue().splitlines()
    where = 'File "%s", line %d' % (path, line)
    for index, text in enumerate(printed):
        if where in text:
            after = printed[index + 1] if index + 1 < len(printed) else ""
            if after.startswith("    ") and after.strip():
                return "OK"
    return "NOLINE"


def main():
    import os

    mode = sys.argv[1]
    run = {"check": check, "import": import_module, "traceback": traceback}[mode]
    # All items first: a module that reads stdin at import must not eat them.
    items = sys.stdin.buffer.read().splitlines()
    for line in items:
        item = line.strip().decode("ascii")
        if not item:
            continue
        raw = bytes.fromhex(item)
        value = os.fsdecode(raw) if mode == "check" else raw.decode()
        emit("START", item)
        # On stderr too, so that what a dying item prints can be told from earlier noise.
        sys.__stderr__.write(PREFIX + "START\n")
        sys.__stderr__.flush()
        try:
            word, _, rest = run(value).partition(" ")
            emit(word, item, *([rest] if rest else []))
        except BaseException as error:
            emit("FAIL", item, reason(error))


main()
