"""What pip and importlib.metadata see of the distributions of the venv
whose interpreter runs this, as JSON on stdout: every way a RECORD can be
untrue of the disk, each as a list that is empty when all is well.

    python record_checks.py check
    python record_checks.py uninstall NAME...   (uninstalls them with pip)
"""

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from importlib import metadata

SITE = os.path.realpath(sysconfig.get_paths()["purelib"])


def rel(path):
    return os.path.relpath(os.path.realpath(path), SITE)


def listed(dist):
    """The files dist's RECORD lists, as real paths."""
    return [os.path.realpath(dist.locate_file(f)) for f in dist.files or []]


def own_dirs(dist):
    """The directories directly in site-packages that hold dist's files
    (its packages, its *.libs, its dist-info), shared `__pycache__` aside."""
    dirs = set()
    for path in listed(dist):
        parts = rel(path).split(os.sep)
        if len(parts) > 1 and parts[0] not in ("..", "__pycache__"):
            dirs.add(os.path.join(SITE, parts[0]))
    return dirs


def digest(path):
    with open(path, "rb") as f:
        data = f.read()
    encoded = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "sha256=" + encoded.rstrip(b"=").decode(), len(data)


def pip(*args):
    """This venv's pip; where pyprune uninstalled it (`exclude-installers`),
    the pip of $OUTSIDE_PIP_PYTHON run on this venv (`--python`)."""
    if importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip"]
    else:
        command = [os.environ["OUTSIDE_PIP_PYTHON"], "-m", "pip", "--python", sys.executable]
    return subprocess.run(
        [*command, "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )


def pip_show_files(names):
    """Each distribution's files as `pip show -f` lists them (real paths)."""
    out = pip("show", "-f", *names).stdout
    shown, location, name, in_files = {}, None, None, False
    for line in out.splitlines():
        if line.startswith("Name: "):
            name, in_files = line[6:], False
            shown[name] = []
        elif line.startswith("Location: "):
            location = line[10:]
        elif line.startswith("Files:"):
            in_files = True
        elif in_files and line.startswith("  "):
            shown[name].append(os.path.realpath(os.path.join(location, line.strip())))
        elif line == "---":
            in_files = False
    return shown


def check():
    dists = list(metadata.distributions(path=[SITE]))
    report = {
        "distributions": [],
        "missing": [],
        "wrong_hash": [],
        "unlisted": [],
        "shown_missing": [],
        "shown_not_listed": [],
        "pip_check": None,
    }
    every_listed = set()
    for dist in dists:
        name = dist.metadata["Name"]
        report["distributions"].append(
            {"name": name, "version": metadata.version(name), "files": len(dist.files or [])}
        )
        for f in dist.files or []:
            path = os.path.realpath(dist.locate_file(f))
            every_listed.add(path)
            if not os.path.lexists(path):
                report["missing"].append(rel(path))
            elif f.hash is not None:
                value, size = digest(path)
                if f"{f.hash.mode}={f.hash.value}" != value or f.size != size:
                    report["wrong_hash"].append(rel(path))
    for dist in dists:
        for top in own_dirs(dist):
            for dirpath, _, files in os.walk(top):
                for name in files:
                    path = os.path.realpath(os.path.join(dirpath, name))
                    if path not in every_listed:
                        report["unlisted"].append(rel(path))
    names = [d.metadata["Name"] for d in dists]
    for name, files in pip_show_files(names).items():
        report["shown_missing"] += [rel(p) for p in files if not os.path.lexists(p)]
        report["shown_not_listed"] += [rel(p) for p in files if p not in every_listed]
    checked = pip("check")
    report["pip_check"] = None if checked.returncode == 0 else checked.stdout + checked.stderr
    for key in ("missing", "wrong_hash", "unlisted", "shown_missing", "shown_not_listed"):
        report[key].sort()
    return report


def uninstall(names):
    """Uninstalls `names` with pip; what of theirs is left: files their RECORDs
    listed, and directories that held them."""
    files, dirs = set(), set()
    for name in names:
        dist = metadata.distribution(name)
        files.update(listed(dist))
        dirs.update(own_dirs(dist))
    done = pip("uninstall", "-y", *names)
    left = sorted(rel(p) for p in files if os.path.lexists(p))
    left_dirs = sorted(rel(d) for d in dirs if os.path.lexists(d))
    return {
        "uninstalled": done.returncode == 0,
        "output": done.stdout + done.stderr,
        "files_left": left,
        "dirs_left": left_dirs,
    }


if __name__ == "__main__":
    if sys.argv[1] == "check":
        print(json.dumps(check()))
    else:
        print(json.dumps(uninstall(sys.argv[2:])))
