"""Independent reference for `pyprune analyze --format json` on a stdlib-shaped tree.

Written apart from pyprune's Rust code, from the rules in docs/json-schema.md:
os.walk + os.lstat, regular expressions for the PEP 3147/488 cache names, each
inode counted once for the first of its paths in sorted order. Import roots are
the tree root and every directory named lib-dynload, site-packages or
dist-packages (the trees the tests build are stdlib-shaped).
"""
import json
import os
import re
import stat
import sys

CACHE_NAME_RE = re.compile(rb"^(.+?)\.([^.]+)(?:\.opt-(\d+))?\.pyc$")


def cache_name(name):
    """(module, tag, level) of `NAME.TAG[.opt-N].pyc`; None if not such a name (PEP 488: no opt-0)."""
    match = CACHE_NAME_RE.match(name)
    if not match or match.group(2).startswith(b"opt-") or match.group(3) == b"0":
        return None
    level = 0 if match.group(3) is None else int(match.group(3))
    return match.group(1), match.group(2), level
KINDS = ["source", "bytecode-opt0", "bytecode-opt1", "bytecode-opt2",
         "sourceless", "extension", "metadata", "data"]
IMPORT_ROOT_NAMES = {b"lib-dynload", b"site-packages", b"dist-packages"}


def is_metadata_dir(name):
    return name.endswith(b".dist-info") or name.endswith(b".egg-info")


def kind_of(parts):
    name = parts[-1]
    if is_metadata_dir(name) or any(is_metadata_dir(p) for p in parts[:-1]):
        return "metadata"
    if name.endswith(b".py"):
        return "source"
    if name.endswith(b".pyc"):
        if len(parts) < 2 or parts[-2] != b"__pycache__":
            return "sourceless"
        parsed = cache_name(name)
        if not parsed:
            return "data"
        return {0: "bytecode-opt0", 1: "bytecode-opt1", 2: "bytecode-opt2"}.get(parsed[2], "data")
    if name.endswith(b".so") or name.endswith(b".pyd"):
        return "extension"
    return "data"


def before_first_dot(name):
    stem = name.split(b".")[0]
    return stem if stem else name


def module_of(parts, import_roots):
    root = max((r for r in import_roots if parts[:len(r)] == r and len(parts) > len(r)), key=len)
    inner = parts[len(root):]
    if len(inner) == 1:
        module = before_first_dot(inner[0])
    elif inner[0] == b"__pycache__":
        parsed = cache_name(inner[1])
        module = parsed[0] if parsed else before_first_dot(inner[1])
    elif is_metadata_dir(inner[0]):
        module = re.sub(rb"\.(dist|egg)-info$", b"", inner[0]).split(b"-")[0]
    else:
        module = inner[0]
    return module.decode("utf-8", "replace")


def sizes():
    return {"files": 0, "apparent_bytes": 0, "disk_bytes": 0}


def add(total, st, counted):
    total["files"] += 1
    if counted:
        total["apparent_bytes"] += st.st_size
        total["disk_bytes"] += st.st_blocks * 512


def main(root):
    root = os.fsencode(os.path.realpath(root))
    files, dir_stats, import_roots = [], [os.lstat(root)], [()]
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        base = () if rel_dir == b"." else tuple(rel_dir.split(b"/"))
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISDIR(st.st_mode):
                dir_stats.append(st)
                if name in IMPORT_ROOT_NAMES:
                    import_roots.append(base + (name,))
            else:
                files.append((base + (name,), st))
    files.sort(key=lambda f: f[0])

    totals, by_kind, modules, cache_tags = sizes(), {k: sizes() for k in KINDS}, {}, {}
    seen, links = set(), {}
    for parts, st in files:
        inode = (st.st_dev, st.st_ino)
        counted = st.st_nlink <= 1 or inode not in seen
        seen.add(inode)
        kind = kind_of(parts)
        module = modules.setdefault(module_of(parts, import_roots), dict(sizes(), by_kind={}))
        add(totals, st, counted)
        add(by_kind[kind], st, counted)
        add(module, st, counted)
        add(module["by_kind"].setdefault(kind, sizes()), st, counted)
        if kind.startswith("bytecode-"):
            tag = cache_name(parts[-1])[1].decode()
            cache_tags[tag] = cache_tags.get(tag, 0) + 1
        if st.st_nlink > 1:
            links.setdefault(inode, []).append(st.st_blocks * 512)

    shared = [blocks for blocks in links.values() if len(blocks) > 1]
    json.dump({
        "totals": totals,
        "by_kind": by_kind,
        "modules": modules,
        "hardlinks": {
            "paths": sum(len(b) for b in shared),
            "saved_bytes": sum((len(b) - 1) * b[0] for b in shared),
        },
        "directories": {
            "count": len(dir_stats),
            "apparent_bytes": sum(s.st_size for s in dir_stats),
            "disk_bytes": sum(s.st_blocks * 512 for s in dir_stats),
        },
        "cache_tags": cache_tags,
    }, sys.stdout)


main(sys.argv[1])
