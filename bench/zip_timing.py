"""Times importing an import set on prefixes side by side (bench/zip.sh).

usage: zip_timing.py [--no-site] PYTHON IMPORT_SET_FILE ROUNDS NAME=PREFIX...

The first prefix is the reference. Each round runs every prefix once, in an
order that rotates from round to round (one warm-up round first, not
counted); each run is `PYTHON -s -B -c "import ..."` with PYTHONHOME=PREFIX
from an empty directory: Python as it starts by default, site and all, so
pyprune's runtime loads where a tree has it (its cost counted, and its
saving: zipimport alone reads every zipped module twice). With --no-site,
`PYTHON -S -s -B`: no site, no runtime. Prints, per prefix, the median
wall time and the median, least and greatest of its per-round ratio to the
reference (the runs of one round ran back to back, under the same load).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    args = sys.argv[1:]
    flags = ["-s", "-B"]
    if args[0] == "--no-site":
        flags.insert(0, "-S")
        args = args[1:]
    python, set_file, rounds = args[0], args[1], int(args[2])
    prefixes = [arg.split("=", 1) for arg in args[3:]]
    modules = [line.split("#")[0].strip() for line in open(set_file)]
    code = "import " + ", ".join(m for m in modules if m)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    times = {name: [] for name, _ in prefixes}
    with tempfile.TemporaryDirectory() as cwd:
        for round_ in range(rounds + 1):
            shift = round_ % len(prefixes)
            for name, prefix in prefixes[shift:] + prefixes[:shift]:
                started = time.perf_counter()
                subprocess.run([python, *flags, "-c", code],
                               env=dict(env, PYTHONHOME=prefix), cwd=cwd, check=True)
                if round_:
                    times[name].append(time.perf_counter() - started)
    reference = times[prefixes[0][0]]
    for name, _ in prefixes:
        ratios = [t / r for t, r in zip(times[name], reference)]
        print("%s\t%.1f ms\t%.2fx\t%.2f\t%.2f" % (
            name, statistics.median(times[name]) * 1000, statistics.median(ratios),
            min(ratios), max(ratios)))


main()
