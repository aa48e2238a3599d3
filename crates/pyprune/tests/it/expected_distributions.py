"""What pyprune should report per installed distribution of a venv,
computed apart from it: each *.dist-info/RECORD of site-packages read with
the csv module, its paths resolved against site-packages, and every entry
of the tree lstat'ed (symlinks counted as themselves, each inode once, for
the first of its paths in sorted order). Also what the drop-caches step
saves each distribution: its listed files in __pycache__ directories,
those directories that hold files of it alone, and what its RECORD shrinks
by when their rows go (written back as pip writes it, in whole blocks).

Usage: expected_distributions.py VENV  (prints JSON)"""

import csv
import glob
import json
import os
import sys

root = os.path.realpath(sys.argv[1])
(site,) = glob.glob(os.path.join(root, "lib", "python3*", "site-packages"))

entries = []  # every non-directory entry, relative, as path parts
dirs = []
for dirpath, dirnames, filenames in os.walk(root):
    rel = os.path.relpath(dirpath, root)
    parts = () if rel == "." else tuple(rel.split(os.sep))
    dirs.append(parts)
    links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
    for name in filenames + links:
        entries.append(parts + (name,))
entries.sort()

owner = {}
names = {}
for info in sorted(os.listdir(site)):
    if not info.endswith(".dist-info"):
        continue
    names[info] = os.path.relpath(os.path.join(site, info), root)
    record = os.path.join(site, info, "RECORD")
    if not os.path.exists(record):
        continue  # No RECORD: its files are unowned.
    with open(record, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            path = os.path.normpath(os.path.join(site, row[0]))
            parts = tuple(os.path.relpath(path, root).split(os.sep))
            owner.setdefault(parts, info)


def sizes():
    return {"files": 0, "apparent_bytes": 0, "disk_bytes": 0}


per_dist = {names[info]: sizes() for info in names}
unowned = sizes()
seen = set()
blocks = {}
for parts in entries:
    st = os.lstat(os.path.join(root, *parts))
    first = (st.st_dev, st.st_ino) not in seen
    seen.add((st.st_dev, st.st_ino))
    info = owner.get(parts)
    group = per_dist[names[info]] if info else unowned
    group["files"] += 1
    if first:
        group["apparent_bytes"] += st.st_size
        group["disk_bytes"] += st.st_blocks * 512
        blocks[parts] = st.st_blocks * 512

# drop-caches: every cache file, and each __pycache__ directory, whose
# files are all of one distribution.
drop_caches = {}
for parts in entries:
    if len(parts) > 1 and parts[-2] == "__pycache__" and parts in owner:
        key = names[owner[parts]]
        drop_caches[key] = drop_caches.get(key, 0) + blocks.get(parts, 0)
held = {}
for parts in entries:
    held.setdefault(parts[:-1], set()).add(owner.get(parts))
for parts in dirs:
    if parts and parts[-1] == "__pycache__":
        inside = set(held.get(parts, {None}))
        if len(inside) == 1 and None not in inside:
            key = names[inside.pop()]
            st = os.lstat(os.path.join(root, *parts))
            drop_caches[key] = drop_caches.get(key, 0) + st.st_blocks * 512

# Their RECORDs lose the caches' rows: csv.writer's CRLF rows, as pip writes.
block = os.stat(root).st_blksize
for info in names:
    record = os.path.join(site, info, "RECORD")
    if not os.path.exists(record):
        continue
    with open(record, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    kept = [r for r in rows if os.path.basename(os.path.dirname(r[0])) != "__pycache__"]
    if len(kept) == len(rows):
        continue
    import io
    text = io.StringIO()
    csv.writer(text).writerows(sorted(kept))
    new_disk = -(-len(text.getvalue().encode()) // block) * block
    old_disk = os.lstat(record).st_blocks * 512
    key = names[info]
    drop_caches[key] = drop_caches.get(key, 0) + old_disk - new_disk

print(json.dumps({"distributions": per_dist, "unowned": unowned, "drop_caches": drop_caches}))
