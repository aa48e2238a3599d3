"""pyprune's runtime: what a minimized Python needs from its import system.

Installed by `pyprune apply` in the stdlib directory, and loaded at start-up
by site-packages/00-pyprune-runtime.pth (first, before other .pth files) and by
the sitecustomize beside it (in virtual environments made from this Python,
which do not read its site-packages). It:

- honours `__dont_write_bytecode__` markers: one in a `__pycache__` directory
  covers that directory, one in any directory covers everything below it.
  Existing caches are still used; none is written or rewritten there.
- with fallback on, when `-O`/`-OO` finds no cache of its level, uses a less
  optimized cache that exists (opt-1, then opt-0), and writes nothing.
- serves the source of a sourceless module (`NAME.pyc`) from
  `__pysources__/NAME.py.gz` beside it, or from a parallel tree (the sources
  layer of `pyprune split`, installed elsewhere): `NAME.py` or
  `__pysources__/NAME.py.gz` under the directory a `__pysources__/__parallel__`
  file above names (one line: a path, relative to that file's directory's
  parent or absolute, laid out as the tree below it), or under
  `$PYPRUNE_PYSOURCES_PREFIX` followed by the module's absolute directory
  (as PYTHONPYCACHEPREFIX lays out caches); so linecache, inspect.getsource and
  tracebacks show real lines; for zipped modules that rename themselves, the
  source under their real name (unless the new name is another module's:
  pyprune keeps _pydecimal, which calls itself decimal, out of zips).
- before 3.13, prints uncaught exceptions with the interpreter's own printer,
  which reads source only from the file named by co_filename, and fills in the
  lines it could not read from the module's loader (zips, __pysources__)
  through the traceback module: the text is CPython's, "Did you mean"
  suggestions and all. 3.13's printer is the traceback module already, which
  asks the loaders: there sys.excepthook is left as it is (colours kept).
  Threads' exceptions likewise (threading.excepthook, from _thread's).
- reads each module imported from a zip once, not twice: zipimport loads a
  module's code for its spec's file name and again to run it; the second ask
  takes the first's answer (same importer, module and directory).
- installs pyprune_removed's finder, which says which step removed a module
  an import asks for (the exclusions install that module alone).

Not covered: frozen modules (os, codecs, ... are frozen in 3.11) and anything
imported before site runs: encodings, encodings.aliases and the locale's codec
(pyprune's cache-dropping steps keep their caches for that reason), and
everything under `python -S`, which runs without this runtime at all;
threads' exceptions where threading was imported before the runtime; in a
venv, whatever its own .pth
files import (site reads those before sitecustomize); venvs made from a
Python whose stdlib has a sitecustomize of its own (Debian's), which pyprune
leaves as it is; and a sitecustomize found earlier on sys.path (PYTHONPATH),
which runs instead of pyprune's.
"""
import sys

MARKER = "__dont_write_bytecode__"

_installed = False


def install(fallback=False):
    """Hooks the import system; the .pth and sitecustomize both call it, and
    only the first call does anything."""
    global _installed
    if _installed:
        return
    _installed = True
    # The finder that explains removed modules, installed beside this module.
    try:
        import pyprune_removed
    except ImportError as error:
        if error.name != "pyprune_removed":
            raise
    else:
        pyprune_removed.install()
    _install_hooks(fallback)


def _install_hooks(fallback):
    # The frozen modules, not `importlib`: importing that package would read
    # (and cache) importlib/__init__ and warnings before the markers are honoured.
    import _frozen_importlib_external as bootstrap
    import os

    def nearest(directory, memo, answer):
        """The first answer(d) that is not None for d from `directory` up to
        the root, remembered in `memo` for every directory walked."""
        walked = []
        result = None
        while True:
            if directory in memo:
                result = memo[directory]
                break
            walked.append(directory)
            result = answer(directory)
            if result is not None:
                break
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        for seen in walked:
            memo[seen] = result
        return result

    covered = {}

    def protected(cache_path):
        """A marker in the cache's directory, or in a directory above the source."""
        cache_dir = os.path.dirname(cache_path)
        if os.path.exists(os.path.join(cache_dir, MARKER)):
            return True
        marked = lambda d: True if os.path.exists(os.path.join(d, MARKER)) else None
        return bool(nearest(os.path.dirname(cache_dir), covered, marked))

    fallen_back = set()
    write_cache = bootstrap.SourceFileLoader._cache_bytecode

    def _cache_bytecode(self, source_path, bytecode_path, data):
        if bytecode_path in fallen_back or protected(bytecode_path):
            return None
        return write_cache(self, source_path, bytecode_path, data)

    bootstrap.SourceFileLoader._cache_bytecode = _cache_bytecode

    if fallback:
        cache_from_source = bootstrap.cache_from_source

        # The import system's callers: loading (get_code) and naming it (__cached__).
        importing = {bootstrap.SourceLoader.get_code.__code__, bootstrap._get_cached.__code__}

        def less_optimized(path, debug_override=None, *, optimization=None):
            wanted = cache_from_source(path, debug_override, optimization=optimization)
            if optimization is not None or debug_override is not None or not sys.flags.optimize:
                return wanted
            # Only for the import system's own loading: py_compile, compileall and
            # pip write to the path they are given, and must get their level's.
            if sys._getframe(1).f_code not in importing:
                return wanted
            if os.path.exists(wanted):
                return wanted
            for level in range(min(sys.flags.optimize, 2) - 1, -1, -1):
                candidate = cache_from_source(path, optimization=level if level else "")
                if os.path.exists(candidate):
                    # Never written: its level is not the one this run compiles for.
                    fallen_back.add(candidate)
                    return candidate
            return wanted

        # get_code looks the function up in its module at each call.
        bootstrap.cache_from_source = less_optimized

    parallel_roots = {}

    def parallel_dirs(directory):
        """Where else the sources of `directory`'s sourceless modules may be:
        under PYPRUNE_PYSOURCES_PREFIX, laid out by absolute path (as
        PYTHONPYCACHEPREFIX lays out caches); and under the directory named by
        the nearest `__pysources__/__parallel__` pointer file above, laid out
        as the tree below that pointer's directory."""
        found = []
        prefix = os.environ.get("PYPRUNE_PYSOURCES_PREFIX")
        if prefix:
            found.append(os.path.join(prefix, directory.lstrip(os.sep)))

        def pointed(above):
            try:
                pointer = os.path.join(above, "__pysources__", "__parallel__")
                with open(pointer, encoding="utf-8") as file:
                    named = file.read().strip()
            except (OSError, ValueError):
                # None there, or not text: no pointer (tracebacks must still print).
                return None
            return (above, os.path.join(above, named)) if named else None

        target = nearest(directory, parallel_roots, pointed)
        if target is not None:
            root, elsewhere = target
            found.append(os.path.normpath(os.path.join(elsewhere, os.path.relpath(directory, root))))
        return found

    def read_source(directory, stem, plain):
        """`directory/__pysources__/STEM.gz`, else (where `plain`) `directory/STEM`."""
        try:
            with open(os.path.join(directory, "__pysources__", stem + ".gz"), "rb") as file:
                data = file.read()
        except OSError:
            pass
        else:
            import gzip
            return bootstrap.decode_source(gzip.decompress(data))
        if plain:
            try:
                with open(os.path.join(directory, stem), "rb") as file:
                    return bootstrap.decode_source(file.read())
            except OSError:
                pass
        return None

    def get_source(self, fullname):
        # self.path, not get_filename(fullname): linecache asks by the module's
        # __name__, which some modules change (_pydecimal calls itself decimal).
        directory, name = os.path.split(self.path)
        stem = name[:-1]
        source = read_source(directory, stem, False)
        if source is None:
            # A sources layer installed elsewhere: the plain source, or its gzip.
            for elsewhere in parallel_dirs(directory):
                source = read_source(elsewhere, stem, True)
                if source is not None:
                    break
        return source

    bootstrap.SourcelessFileLoader.get_source = get_source

    import zipimport

    zip_source = zipimport.zipimporter.get_source

    def get_zip_source(self, fullname):
        try:
            return zip_source(self, fullname)
        except ImportError:
            # Asked by a module's changed __name__ that no module of the zip has:
            # find the module under its real name.
            for key, module in list(sys.modules.items()):
                if (key != fullname and getattr(module, "__name__", None) == fullname
                        and getattr(module, "__loader__", None) is self):
                    return zip_source(self, key)
            raise

    zipimport.zipimporter.get_source = get_zip_source

    # zipimport reads, inflates and unmarshals a module twice per import: the
    # spec asks get_filename, which loads the code to learn which member it
    # comes from, and then get_code loads it again (every release 3.8-3.13).
    # The last answer is kept for one more ask of the same module of the same
    # archive, while the archive's directory is the one it was read from (an
    # importer whose caches were invalidated reads anew): the import's second
    # load takes it, and any other ask computes as before. One tuple, replaced
    # whole: threads that interleave miss it.
    compute = zipimport._get_module_code
    if hasattr(zipimport.zipimporter, "_get_files"):
        def directory(importer):
            return importer._get_files()
    else:
        def directory(importer):
            return importer._files
    last = None

    def get_module_code(self, fullname):
        nonlocal last
        key = (self.archive, self.prefix, fullname)
        files = directory(self)
        kept = last
        last = None
        if kept is not None and kept[0] == key and kept[1] is files:
            return kept[2]
        answer = compute(self, fullname)
        last = (key, files, answer)
        return answer

    zipimport._get_module_code = get_module_code

    # 3.13's own printer already goes through the traceback module, which asks
    # the loaders; replacing it there would lose its colours.
    if sys.version_info < (3, 13):
        if sys.excepthook is sys.__excepthook__:
            sys.excepthook = _excepthook
        # Threads' printer: threading takes _thread's when it is first
        # imported (as its excepthook and __excepthook__); _thread is built
        # in and loaded already, threading is not imported here.
        import _thread
        printer = getattr(_thread, "_excepthook", None)
        if printer is not None and "threading" not in sys.modules:
            global _thread_printer
            _thread_printer = printer
            _thread._excepthook = _thread_excepthook


# CPython's own printer, with the source lines it could not read from the
# file that co_filename names filled in from the module's loader: the same
# text as on a tree with sources on disk (suggestions, carets and all).
# Comments, not docstrings: this module is loaded at every start.
def _excepthook(exc_type, exc, tb):
    _print_filled(lambda: sys.__excepthook__(exc_type, exc, tb), exc_type, exc, tb)


# _thread's own printer, which threading.excepthook is before 3.13.
_thread_printer = None


# The threads' printer, as _excepthook is the main thread's. (Where sys.stderr
# is None it writes to the thread's saved stream: left to it.)
def _thread_excepthook(args):
    if args.exc_type is SystemExit:
        return _thread_printer(args)
    _print_filled(
        lambda: _thread_printer(args), args.exc_type, args.exc_value, args.exc_traceback
    )


# Runs `printer` (one of CPython's, writing to sys.stderr) into a buffer,
# fills in the lines it could not read, and writes the text to sys.stderr.
def _print_filled(printer, exc_type, exc, tb):
    stderr = sys.stderr
    if stderr is None:
        return printer()
    import io
    captured = io.StringIO()
    sys.stderr = captured
    try:
        printer()
    finally:
        sys.stderr = stderr
    text = captured.getvalue()
    try:
        text = _with_loader_lines(text, exc_type, exc, tb)
    except Exception:
        pass  # The printer's own text, as CPython wrote it.
    stderr.write(text)
    try:
        stderr.flush()
    except Exception:
        pass  # As the printer does: a stream that cannot flush loses nothing here.


# `text` with each frame entry that has no source line (the printer reads
# files only) replaced by the traceback module's entry, whose line comes
# through linecache from the module's loader (zips, __pysources__).
def _with_loader_lines(text, exc_type, exc, tb):
    import re
    import traceback

    entries = {}
    pending = [traceback.TracebackException(exc_type, exc, tb)]
    seen = set()
    while pending:
        te = pending.pop()
        if te is None or id(te) in seen:
            continue
        seen.add(id(te))
        for frame in te.stack:
            if frame.line:
                key = (frame.filename, str(frame.lineno), frame.name)
                entries[key] = "".join(traceback.StackSummary.from_list([frame]).format())
        pending.extend([te.__cause__, te.__context__])
        pending.extend(getattr(te, "exceptions", None) or ())
    if not entries:
        return text
    entry = re.compile(r'( *(?:\| )?)  File "(.*)", line (\d+), in (.*)\n')
    lines = text.splitlines(True)
    out = []
    for index, line in enumerate(lines):
        found = entry.fullmatch(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if found:
            margin = found.group(1)
            replacement = entries.get(found.group(2, 3, 4))
            if replacement and not following.startswith(margin + "    "):
                out.extend(margin + part for part in replacement.splitlines(True))
                continue
        out.append(line)
    return "".join(out)
