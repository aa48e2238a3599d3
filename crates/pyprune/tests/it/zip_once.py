"""How often importing modules from a zip opens it (run by zip_layouts.rs).

usage: zip_once.py ZIP MODULE...

Imports each MODULE (not imported yet) and counts the archive's opens
(audit event "open", raised by io.open_code for every member zipimport
reads). Prints "runtime: yes|no", then "zipped: N" (the modules the imports
loaded from ZIP) and "opens: K". CPython's zipimport reads every module
twice (get_filename for the spec, get_code to run it); with pyprune's
runtime loaded, once.

Then, in a scratch zip: an importer asked for a module's file name, the zip
rewritten with new code and the importer's directory read anew
(invalidate_caches, or before 3.10 a new importer), must give the new code:
"anew: yes|no".
"""
import os
import sys
import tempfile
import zipfile
import zipimport


def main():
    archive, modules = sys.argv[1], sys.argv[2:]
    opens = []
    sys.addaudithook(lambda event, args: opens.append(args[0])
                     if event == "open" and args[0] == archive else None)
    before = set(sys.modules)
    for name in modules:
        __import__(name)
    zipped = [name for name in set(sys.modules) - before
              if isinstance(getattr(sys.modules[name], "__loader__", None),
                            zipimport.zipimporter)]
    print("runtime:", "yes" if "pyprune_runtime" in sys.modules else "no")
    print("zipped:", len(zipped))
    print("opens:", len(opens))
    print("anew:", "yes" if rewritten_zip_read_anew() else "no")


def rewritten_zip_read_anew():
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "probe.zip")
        write_probe(path, "old")
        importer = zipimport.zipimporter(path)
        importer.get_filename("probe")
        write_probe(path, "new")
        if hasattr(importer, "invalidate_caches"):
            importer.invalidate_caches()
        else:
            zipimport._zip_directory_cache.pop(path, None)
            importer = zipimport.zipimporter(path)
        namespace = {}
        exec(importer.get_code("probe"), namespace)
        return namespace["VALUE"] == "new"


def write_probe(path, value):
    with zipfile.ZipFile(path, "w") as probe:
        # Padding moves the member's offset: stale directory entries would misread.
        probe.writestr("padding.txt", value * 100)
        probe.writestr("probe.py", "VALUE = %r\n" % value)


main()
