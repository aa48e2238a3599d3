# Run by pyprune (`python -I -c ...`) to describe this interpreter as one JSON line.
# Paths are sent as hex of their bytes so that non-UTF-8 paths survive the trip.
import importlib.machinery
import importlib.util
import json
import os
import site
import sys
import sysconfig


def raw(path):
    return os.fsencode(path).hex()


# Where site looks for site-packages under a prefix (Debian's dist-packages,
# lib64, ...), relative to it: asked with a made-up prefix, then cut off.
PREFIX = "/pyprune-prefix"
site_dirs = [os.path.relpath(p, PREFIX) for p in site.getsitepackages([PREFIX])]
paths = sysconfig.get_paths()
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "cache_tag": sys.implementation.cache_tag,
    "magic": importlib.util.MAGIC_NUMBER.hex(),
    "executable": raw(sys.executable),
    "prefix": raw(sys.prefix),
    "base_prefix": raw(getattr(sys, "base_prefix", sys.prefix)),
    "stdlib": raw(paths["stdlib"]),
    "platstdlib": raw(paths["platstdlib"]),
    "purelib": raw(paths["purelib"]),
    "platlib": raw(paths["platlib"]),
    "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
    "sys_path": [raw(p) for p in sys.path if p],
    "site_dirs": [raw(p) for p in site_dirs],
    "builtin_modules": sorted(sys.builtin_module_names),
}))
