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
             could be made (or the module has no line: an empty file).

Isolation: with INSIDE, BESIDE and NOT given, after each item every module
loaded so far that was not checked yet must come from a file under one of
the INSIDE paths (the tree) or, failing that, the BESIDE paths (the
interpreter's own stdlib, for a tree that has none) but not the NOT paths
(the interpreter's site-packages, often inside its stdlib directory); an
item of the import mode must come from INSIDE itself. Built-in and frozen
modules have no file and pass. Each module that does not: LEAK item NAME
HEXPATH, before the item's verdict. INSIDE, BESIDE and NOT are hex-encoded
real paths joined by commas.
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


def not_regular(path, follow):
    """Why `path` must not be opened (a FIFO would block the worker, a socket
    or device is no module), or None for a regular file or no file at all."""
    # posix, built in: the tree's os module is not needed for this.
    posix = _frozen_importlib_external._os
    try:
        mode = (posix.stat if follow else posix.lstat)(path).st_mode
    except OSError:
        return None
    if mode & 0o170000 == 0o100000:
        return None
    kinds = {0o010000: "a FIFO", 0o140000: "a socket", 0o020000: "a character device",
             0o060000: "a block device", 0o040000: "a directory", 0o120000: "a symlink"}
    return "%s is %s, not a regular file: not opened" % (path, kinds.get(mode & 0o170000, "no regular file"))


class RegularFilesOnly:
    """Finds modules as the path finder it stands before does, but refuses a
    module whose file, or cache at this optimization level, is not a regular
    file: importing would open it, and a FIFO named like a module blocks."""

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        spec = self.finder.find_spec(name, path, target)
        if spec is not None and spec.has_location:
            for place in (spec.origin, getattr(spec, "cached", None)):
                why = place and not_regular(place, True)
                if why:
                    raise ImportError(why, name=name, path=place)
        return spec

    def invalidate_caches(self):
        self.finder.invalidate_caches()


def guard_imports():
    finder = _frozen_importlib_external.PathFinder
    if finder in sys.meta_path:
        sys.meta_path.insert(sys.meta_path.index(finder), RegularFilesOnly(finder))


def check(path):
    import marshal

    # Items come from pyprune's walk, which leaves such files out; checked
    # again here, as the file is opened, in case it was swapped since.
    why = not_regular(path, False)
    if why:
        raise ValueError(why)
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


# The modules that failed to import in this process, with why. A package
# that failed is not imported again for each of its submodules: Python drops
# a failed module from sys.modules, so every submodule would run the whole
# package again (a chain 60 packages deep whose bottom fails ran 60 * 60
# module bodies per process).
FAILED = {}


def import_module(name):
    parts = name.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if package in FAILED:
            raise ImportError("its package %s failed to import: %s" % (package, FAILED[package]))
    try:
        __import__(name)
    except BaseException as error:
        FAILED[name] = reason(error)
        raise
    return "OK"


def line_starts(code):
    """The line numbers of `code`'s instructions: co_lines (3.10+), else
    co_lnotab read as dis.findlinestarts reads it (3.6-3.9; dis is not
    built in, and the tree may lack it)."""
    if hasattr(code, "co_lines"):
        return [line for _, _, line in code.co_lines()]
    table = code.co_lnotab
    line = code.co_firstlineno
    lines = [line]
    for index in range(0, len(table) - 1, 2):
        step = table[index + 1]
        line += step - 0x100 if step >= 0x80 else step
        lines.append(line)
    return lines


def first_line(code):
    # A module of nothing (an empty __init__.py, only comments) has no line
    # to show, whatever number its code carries.
    if not code.co_names and all(const is None for const in code.co_consts):
        return None
    lines = [line for line in line_starts(code) if line]
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


def location(module):
    """The file a module was loaded from, or None (built in, frozen, namespace,
    or an object whose attributes cannot be read)."""
    # From its own namespace: a module object with a __getattr__ (IPython's
    # shims import another distribution on any missing attribute) must not
    # run code here, and sys.modules may hold None or other objects.
    try:
        namespace = vars(module)
        spec = namespace.get("__spec__")
        if spec is not None:
            return spec.origin if getattr(spec, "has_location", False) else None
        path = namespace.get("__file__")
    except Exception:
        return None
    return path if isinstance(path, str) else None


def paths(argument):
    import os

    return [os.fsdecode(bytes.fromhex(part)) for part in argument.split(",") if part]


class Isolation:
    """Which modules were loaded from outside the allowed places."""

    def __init__(self, inside, beside, never):
        self.inside = inside
        self.beside = beside
        self.never = never
        self.seen = set()

    def under(self, path, roots):
        import os

        # Its directory resolved, not the file itself: a module file that is a
        # link in the tree (Debian's sitecustomize.py, to /etc) is found in the
        # tree, as the tree ships it; a directory on sys.path elsewhere is not.
        directory, name = os.path.split(path)
        real = os.path.join(os.path.realpath(directory), name)
        return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)

    def allowed(self, path):
        if self.under(path, self.inside):
            return True
        return self.under(path, self.beside) and not self.under(path, self.never)

    def leaks(self, item_module):
        """(name, path) of each module not checked yet loaded from elsewhere,
        and of `item_module` when it is not the tree's."""
        found = []
        for name, module in list(sys.modules.items()):
            if name in self.seen:
                continue
            self.seen.add(name)
            path = location(module)
            if path and name != item_module and not self.allowed(path):
                found.append((name, path))
        if item_module is not None:
            path = location(sys.modules.get(item_module))
            if path and not self.under(path, self.inside):
                found.append((item_module, path))
        return found


def main():
    import os

    mode = sys.argv[1]
    watched = len(sys.argv) > 4
    isolation = Isolation(*[paths(a) for a in sys.argv[2:5]]) if watched else None
    run = {"check": check, "import": import_module, "traceback": traceback}[mode]
    guard_imports()
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
            answer = (word, item) + ((rest,) if rest else ())
        except BaseException as error:
            answer = ("FAIL", item, reason(error))
        if isolation is not None:
            own = value if mode == "import" and answer[0] == "OK" else None
            for name, path in isolation.leaks(own):
                emit("LEAK", item, name, os.fsencode(path).hex())
        emit(*answer)


main()
