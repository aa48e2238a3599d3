"""Compares the bytecode members of a pythonXY.zip with py_compile's own bytes.

usage: zip_members.py ZIP CACHED_ZIP COMPILED_ZIP EDITED MODE SOURCES

For each member X.pyc, py_compile compiles the source X.py (the zip's own
member, else SOURCES/X.py) with invalidation_mode MODE (unchecked or
checked hash) and dfile ZIPNAME/X.py, where ZIPNAME is COMPILED_ZIP for the
member EDITED (compiled anew by pyprune, named where the tree is installed)
and CACHED_ZIP for the others (caches renamed into the zip, named for the
installation they were compiled for). Prints each member that differs, the
count compared, and each member's compression method.

Byte identity holds where marshal writes the same references in both
processes; marshal marks an object for back-references only when something
else holds it too, which depends on what the process has loaded (3.8 and
3.13 differ so for some modules: compileall's process is not this one). A
member that differs in bytes is therefore also compared as what it is:
the same 16-byte header (magic, flags, source hash) and, unmarshalled, an
equal code object whose every nested code names the same file; only a
member that fails that is reported as differing. (Normalizing both sides,
pyprune_pyc::normalize_pyc, does not make them bytes again: the processes
also intern different strings, and marshal writes an interned string's
every use as a reference but an uninterned one's again, as 3.13's
argparse's "HelpFormatter._Section" shows.)
"""
import marshal
import os
import py_compile
import sys
import tempfile
import zipfile


def same_code(a, b):
    """Equal code objects (which compare all but the file name), the same
    file name in each, and so for every nested code object."""
    if a != b or a.co_filename != b.co_filename:
        return False
    nested = [(x, y) for x, y in zip(a.co_consts, b.co_consts) if hasattr(x, "co_code")]
    return all(same_code(x, y) for x, y in nested)


def main():
    zip_path, cached_zip, compiled_zip, edited, mode, sources = sys.argv[1:7]
    invalidation = getattr(py_compile.PycInvalidationMode, mode.upper() + "_HASH")
    archive = zipfile.ZipFile(zip_path)
    names = set(archive.namelist())
    compared = 0
    identical = 0
    with tempfile.TemporaryDirectory() as scratch:
        source_file = os.path.join(scratch, "module.py")
        cache_file = os.path.join(scratch, "module.pyc")
        for name in sorted(names):
            if not name.endswith(".pyc"):
                continue
            source_name = name[:-1]
            if source_name in names:
                source = archive.read(source_name)
            else:
                with open(os.path.join(sources, source_name), "rb") as f:
                    source = f.read()
            with open(source_file, "wb") as f:
                f.write(source)
            zip_name = compiled_zip if source_name == edited else cached_zip
            py_compile.compile(source_file, cfile=cache_file, dfile=zip_name + "/" + source_name,
                               doraise=True, invalidation_mode=invalidation)
            with open(cache_file, "rb") as f:
                expected = f.read()
            ours = archive.read(name)
            if ours == expected:
                identical += 1
            elif ours[:16] != expected[:16] or not same_code(
                    marshal.loads(ours[16:]), marshal.loads(expected[16:])):
                print("differs:", name)
            compared += 1
    print("compared:", compared)
    print("identical:", identical)
    for info in archive.infolist():
        print("method:", info.filename, info.compress_type)


main()
