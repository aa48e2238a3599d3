# Run by pyprune (`python -I -c ...`) to describe this interpreter as one JSON line.
# Paths are sent as hex of their bytes so that non-UTF-8 paths survive the trip.
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig


def raw(path):
    return os.fsencode(path).hex()


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
}))
