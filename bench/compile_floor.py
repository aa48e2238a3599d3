"""The floor under any tool whose caches are byte-identical to compileall's.

Such a tool must get every distinct level of every source out of the
interpreter's own compiler: a level whose bytes equal the level below may be
linked instead, nothing else can be skipped. This script measures how long
those compiler calls alone take, spread over as many processes as there are
cores, with no cache written and nothing else done.

  compile_floor.py distinct ROOT > LIST   after `compileall --hardlink-dupes
                                          -o0 -o1 -o2 ROOT`: the (level, source)
                                          pairs it did not link to the level below
  compile_floor.py run SHARD SHARDS < LIST  compile every SHARDS-th pair from SHARD

The distinct levels are read from compileall's own links rather than found by
comparing compilations here: marshal's output depends on refcounts in the
compiling process, and a long-lived process saw ftplib's -O code differ from
its plain code where compileall (and a fresh process) find them identical.

bench/compile.sh times `run` on every core next to compileall and pyprune.
"""
import importlib.util
import marshal
import os
import sys
import warnings


def distinct(root):
    pairs = []
    for directory, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".py"):
                continue
            source = os.path.join(directory, name)
            below = None
            for level in range(3):
                cache = importlib.util.cache_from_source(source, optimization=level or "")
                try:
                    inode = os.stat(cache).st_ino
                except OSError:
                    break  # compileall could not compile it
                if inode != below:
                    pairs.append((os.stat(source).st_size, level, source))
                below = inode
    pairs.sort(key=lambda p: -p[0])
    for _, level, source in pairs:
        sys.stdout.write(f"{level}\t{os.fsencode(source).hex()}\n")


def run(shard, shards):
    for index, line in enumerate(sys.stdin):
        if index % shards != shard:
            continue
        level, hex_path = line.split("\t")
        source = os.fsdecode(bytes.fromhex(hex_path.strip()))
        with open(source, "rb") as f:
            data = f.read()
        marshal.dumps(compile(data, source, "exec", dont_inherit=True, optimize=int(level)))


def main():
    warnings.simplefilter("ignore")
    if sys.argv[1] == "distinct":
        distinct(sys.argv[2])
    else:
        run(int(sys.argv[2]), int(sys.argv[3]))


main()
