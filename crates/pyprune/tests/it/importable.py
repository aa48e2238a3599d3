"""Which top-level modules import from an installation laid out as PREFIX/lib/python3.X.

Usage: importable.py PYTHON PREFIX -> one line per module: "OK name" or "FAIL name error".
Every name found in the stdlib directory, lib-dynload and python3X.zip is imported
with PYTHONHOME=PREFIX, isolated from the caller's environment and from site,
writing no bytecode; modules with side effects at import are skipped.
"""
import os
import subprocess
import sys
import zipfile

python, prefix = sys.argv[1], sys.argv[2]
lib = os.path.join(prefix, "lib")
stdlib = next(os.path.join(lib, d) for d in os.listdir(lib) if d.startswith("python") and os.path.isdir(os.path.join(lib, d)))
names = set()
for base in (stdlib, os.path.join(stdlib, "lib-dynload")):
    if os.path.isdir(base):
        for name in os.listdir(base):
            if name in ("__pycache__", "site-packages", "lib-dynload") or name.startswith("config-") or name.startswith("."):
                continue
            names.add(name.split(".")[0])
for name in os.listdir(lib):
    if name.endswith(".zip"):
        for member in zipfile.ZipFile(os.path.join(lib, name)).namelist():
            names.add(member.split("/")[0].split(".")[0])
# Side effects (a browser, text on stdout, a GUI) or not modules at all.
skip = {"antigravity", "this", "__hello__", "__phello__", "idlelib", "turtledemo", "turtle", "tkinter", "_tkinter", "__main__", "LICENSE", ""}
code = """import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        print("OK", name)
    except BaseException as error:
        print("FAIL", name, type(error).__name__, error)
"""
empty = os.path.join(prefix, ".importable-cwd")
os.makedirs(empty, exist_ok=True)
result = subprocess.run(
    [python, "-S", "-s", "-P", "-B", "-c", code] + sorted(names - skip),
    env={"PYTHONHOME": prefix}, cwd=empty, capture_output=True, text=True,
)
os.rmdir(empty)
sys.stdout.write(result.stdout)
if result.returncode:
    print("EXIT", result.returncode, result.stderr[-2000:])
