# pyprune_removed: importing a module pyprune removed raises ModuleNotFoundError
# naming the step, and how to get the module back. Installed by `pyprune apply`
# with REMOVED_FILE beside it, read only when such an import fails; loaded by
# pyprune_runtime, or alone by its .pth. No docstrings: its caches are then
# the same bytes at every level, hardlinked.
import sys

# The modules pyprune removed, beside this module: "MODULE<TAB>STEP" lines,
# and "*<TAB>TEXT" for the distributor's message (written by pyprune apply).
REMOVED_FILE = "pyprune-removed-modules.txt"


# Appends the finder to sys.meta_path, once.
def install():
    if RemovedModules not in sys.meta_path:
        sys.meta_path.append(RemovedModules)


# Last of sys.meta_path, asked once every real finder failed, and answering
# only the import machinery's own search (import, __import__, import_module):
# importlib.util.find_spec and pkgutil get None, as for any missing module.
class RemovedModules:
    # name -> step, and the distributor's message; None until first needed.
    _table = None
    _message = None

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        import _frozen_importlib as bootstrap
        # site's probes for optional hooks fail at every start: not read for them.
        if fullname in ("sitecustomize", "usercustomize"):
            return None
        try:
            caller = sys._getframe(2).f_code
        except ValueError:
            return None
        if caller is not bootstrap._find_and_load_unlocked.__code__:
            return None
        step = cls._removed_by(fullname)
        if step is None:
            return None
        # A finder appended after this one still gets its say.
        later = sys.meta_path[sys.meta_path.index(cls) + 1:] if cls in sys.meta_path else []
        for finder in later:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                return spec
        if step == "keep-for":
            by = "pyprune apply --keep-for: the application it was pruned for does not import it"
            how = ("To keep it, apply pyprune again to the original with --keep MODULE, "
                   "or name the code that imports it with --keep-for.")
        else:
            by = "pyprune step " + step
            how = "To get it back, reinstall it, or apply pyprune without that step."
        raise ModuleNotFoundError(
            "No module named %r: it was removed from this Python installation "
            "(%s). %s" % (fullname, by, cls._message or how),
            name=fullname,
        )

    # The step that removed `fullname` or a package above it; None when none
    # did, or when the list cannot be read (the plain message then).
    @classmethod
    def _removed_by(cls, fullname):
        if cls._table is None:
            cls._table = {}
            try:
                cls._load()
            except Exception:
                cls._table = {}
                cls._message = None
        name = fullname
        while name:
            if name in cls._table:
                return cls._table[name]
            name = name.rpartition(".")[0]
        return None

    @classmethod
    def _load(cls):
        import os
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), REMOVED_FILE)
        with open(path, "rb") as file:
            text = file.read().decode("utf-8", "replace")
        for line in text.splitlines():
            key, tab, value = line.partition("\t")
            if not tab or not value or line.startswith("#"):
                continue
            if key == "*":
                cls._message = value
            else:
                cls._table[key] = value
