# Installed by pyprune: loads pyprune's runtime in every interpreter that uses
# this standard library (virtual environments too, which do not read its
# site-packages), then runs the sitecustomize this one shadows further along
# sys.path, if there is one, as site would have run it.
import sys

FALLBACK = False


def _pyprune_load():
    written = sys.dont_write_bytecode
    # The runtime must not write a cache of itself into a tree it is about to guard.
    sys.dont_write_bytecode = True
    try:
        try:
            import pyprune_runtime
        except ImportError as error:
            if error.name != "pyprune_runtime":
                raise
            return  # Gone: what it kept no longer holds, but Python still starts.
        pyprune_runtime.install(fallback=FALLBACK)
    finally:
        sys.dont_write_bytecode = written


def _pyprune_run_shadowed():
    # The frozen import machinery, not `importlib`, which would import more.
    import os
    from _frozen_importlib import module_from_spec
    from _frozen_importlib_external import PathFinder

    here = os.path.dirname(os.path.abspath(__file__))
    for index, entry in enumerate(sys.path):
        if isinstance(entry, str) and os.path.abspath(entry) == here:
            spec = PathFinder.find_spec(__name__, sys.path[index + 1:])
            break
    else:
        return
    if spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)
    sys.modules[__name__] = module
    spec.loader.exec_module(module)


_pyprune_load()
_pyprune_run_shadowed()
