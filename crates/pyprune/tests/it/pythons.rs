//! The interpreters of this machine other than `python3`, as tests use them:
//! pyenv's CPython builds and Debian's own `python3.11`, each copied into a
//! temp dir as a *reduced* installation (the binary and the part of its
//! standard library a handful of real modules need), so that a test can
//! change it, run it and hide the original from it within a suite budget.
//! An interpreter that is not installed is reported by [`find`] as missing,
//! and the test says it skipped it.

use crate::harness::remove_caches;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How an installation is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `PREFIX/{bin/python3.X, lib/python3.X/site-packages}`, caches at every level.
    Pyenv,
    /// `/usr/{bin/python3.X, lib/python3.X}`: dist-packages, its own
    /// `sitecustomize` (a link to /etc), a link out of `config-3.X-*`, opt-0 caches only.
    Debian,
}

/// An interpreter installed on this machine.
#[derive(Debug, Clone)]
pub struct Installed {
    /// What a test calls it in its messages (`pyenv 3.8.18`).
    pub label: String,
    /// `3.8`.
    pub short: String,
    /// The binary.
    pub python: PathBuf,
    /// Its standard library directory.
    pub stdlib: PathBuf,
    pub layout: Layout,
}

/// pyenv's installations: `(version, prefix)` (`3.8.18`, `$(pyenv root)/versions/3.8.18`),
/// sorted by version; empty where there is no pyenv.
pub fn pyenv_versions() -> Vec<(String, PathBuf)> {
    let Some(root) = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
    else {
        return Vec::new();
    };
    let versions = PathBuf::from(root.trim()).join("versions");
    let mut found: Vec<(Vec<u32>, String, PathBuf)> = std::fs::read_dir(&versions)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let numbers = name
                .split('.')
                .map(|n| n.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((numbers, name, entry.path()))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|(_, name, path)| (name, path))
        .collect()
}

/// pyenv's newest CPython of a minor release (`3.8`; a full `3.8.18` is read
/// as its minor release), or Debian's (`debian`), if installed.
pub fn find(version: &str) -> Option<Installed> {
    if version == "debian" {
        let python = PathBuf::from("/usr/bin/python3.11");
        let stdlib = PathBuf::from("/usr/lib/python3.11");
        return (python.is_file() && stdlib.join("os.py").is_file()).then(|| Installed {
            label: "Debian's python3.11".into(),
            short: "3.11".into(),
            python,
            stdlib,
            layout: Layout::Debian,
        });
    }
    let short: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let (full, prefix) = pyenv_versions().into_iter().rfind(|(name, _)| {
        name.strip_prefix(&short)
            .is_some_and(|r| r.starts_with('.'))
    })?;
    let python = prefix.join("bin").join(format!("python{short}"));
    let stdlib = prefix.join("lib").join(format!("python{short}"));
    (python.is_file() && stdlib.join("os.py").is_file()).then(|| Installed {
        label: format!("pyenv {full}"),
        short,
        python,
        stdlib,
        layout: Layout::Pyenv,
    })
}

/// `python3`'s own installation, the interpreter the rest of the suite runs.
pub fn python3_installed() -> Installed {
    // The file itself: `sys.executable` is often a link (`python3` -> `python3.11`),
    // which `cp -a` would copy as a link to itself.
    let python = std::fs::canonicalize(crate::harness::python_binary()).expect("python3's binary");
    let stdlib = crate::harness::stdlib();
    let short = crate::harness::python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let layout = if stdlib.starts_with("/usr/lib") {
        Layout::Debian
    } else {
        Layout::Pyenv
    };
    Installed {
        label: format!("python3 ({})", python.display()),
        short,
        python,
        stdlib,
        layout,
    }
}

/// What the shared reduced tree holds besides start-up and pyprune's own
/// needs: a package with docstrings and asserts that make its levels differ
/// (email), one with a test directory that `exclude-tests` and `minimal`
/// remove (unittest, ctypes), a large data module (pydoc_data), packages with
/// an extension module (sqlite3, ctypes: the loader check of `strip-extensions`
/// asks the tree's interpreter through ctypes) and a nested package (xml).
const SHARED_TREE_MODULES: &[&str] = &[
    "email",
    "unittest",
    "ctypes",
    "pydoc_data.topics",
    "sqlite3",
    "xml.dom.minidom",
];

/// One reduced copy of `python3`'s installation (see [`reduced_copy`]),
/// three fifths of the libs tree's files, for the tests of this run that only
/// read it and whose subject is how steps behave on a real tree rather than
/// the whole stdlib's size (a step's cost grows with the tree: on the libs
/// tree each `apply` took about 16 s on the suite's machine). It lives in
/// Cargo's scratch directory for integration tests and is rebuilt at each run.
pub fn shared_reduced_tree() -> &'static Reduced {
    static TREE: std::sync::OnceLock<Reduced> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-reduced");
        let _ = std::fs::remove_dir_all(&dest);
        let reduced = reduced_copy(&python3_installed(), &dest, SHARED_TREE_MODULES);
        // The build configuration stays, but without its static library: at
        // 45 MB it was most of the bytes each test's `--out` copied, and
        // devel.rs removes a real one.
        for entry in std::fs::read_dir(&reduced.stdlib).expect("stdlib") {
            let dir = entry.expect("entry").path();
            if dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("config-"))
            {
                for file in std::fs::read_dir(&dir).expect("config dir") {
                    let file = file.expect("entry").path();
                    if file.extension().is_some_and(|e| e == "a") {
                        std::fs::remove_file(&file).expect("remove the static library");
                    }
                }
            }
        }
        reduced
    })
}

/// [`find`], or a note on stderr that the test skips `version`.
pub fn find_or_note(version: &str, test: &str) -> Option<Installed> {
    let found = find(version);
    if found.is_none() {
        eprintln!("note: {version} is not installed here: {test} skipped it");
    }
    found
}

/// A reduced copy of an installation.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// The copy's prefix (`/usr` of a Debian copy).
    pub prefix: PathBuf,
    /// The copy's own binary, which finds its stdlib from where it is.
    pub python: PathBuf,
    pub stdlib: PathBuf,
    /// The modules that imported in the copy, with their submodules, as named in `sys.modules`.
    pub modules: Vec<String>,
}

/// Loads `wanted` (and what they import) in the original and prints the
/// files of every module that came from the stdlib.
pub const CLOSURE: &str = r#"
import importlib, sys
stdlib = sys.argv[1]
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
for name, module in sorted(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if path and path.startswith(stdlib + "/"):
        print(name, path[len(stdlib) + 1:])
"#;

/// Copies `installed` into `dest` as a working installation holding the
/// top-level packages and modules that `wanted` and Python's own start-up
/// load (with `site`), compiled as that layout ships them (every level for
/// pyenv, opt-0 for Debian) by the copy's own binary.
pub fn reduced_copy(installed: &Installed, dest: &Path, wanted: &[&str]) -> Reduced {
    let prefix = match installed.layout {
        Layout::Pyenv => dest.to_path_buf(),
        Layout::Debian => dest.join("usr"),
    };
    let name = format!("python{}", installed.short);
    let python = prefix.join("bin").join(&name);
    let stdlib = prefix.join("lib").join(&name);
    std::fs::create_dir_all(python.parent().expect("bin")).expect("mkdir bin");
    std::fs::create_dir_all(stdlib.join("lib-dynload")).expect("mkdir stdlib");
    copy(&installed.python, &python);

    let out = pyprune_python::clean_command(installed.python.as_os_str())
        .args(["-B", "-c", CLOSURE])
        .arg(&installed.stdlib)
        // Start-up, what pyprune's own workers import (discovery, compiling), and
        // what tracebacks are printed with.
        .args(["site", "sysconfig", "importlib.util", "importlib.machinery"])
        .args(["json", "py_compile", "traceback", "linecache", "inspect"])
        .args(wanted)
        .output()
        .expect("run the original");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8(out.stdout).expect("utf-8");
    let mut tops = std::collections::BTreeSet::new();
    for line in listing.lines() {
        let (_, rel) = line.split_once(' ').expect("name path");
        let mut parts = rel.split('/');
        let first = parts.next().expect("a component");
        // A package's directory, a module's file, one extension module of
        // lib-dynload, or one package of site-packages (a `.pth` file there
        // imports setuptools' `_distutils_hack` at start-up on pyenv's 3.10:
        // the whole site-packages, pip and setuptools, was once copied and
        // compiled for it).
        tops.insert(match (first, parts.next()) {
            ("lib-dynload", _) => rel.to_owned(),
            ("site-packages", Some(package)) => format!("{first}/{package}"),
            _ => first.to_owned(),
        });
    }
    // What the layout has besides modules: the build configuration sysconfig
    // reads (and Debian's relative link out of it), Debian's sitecustomize
    // (a link to /etc) and pyenv's empty site-packages.
    for entry in std::fs::read_dir(&installed.stdlib).expect("stdlib") {
        let entry = entry.expect("entry");
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with("config-")
            || file.starts_with("_sysconfigdata")
            || file == "sitecustomize.py"
        {
            tops.insert(file);
        }
    }
    if installed.layout == Layout::Pyenv {
        std::fs::create_dir_all(stdlib.join("site-packages")).expect("mkdir site-packages");
    }
    // The `.pth` files of a package copied from site-packages, which load it at start-up.
    if tops.iter().any(|top| top.starts_with("site-packages/")) {
        for entry in
            std::fs::read_dir(installed.stdlib.join("site-packages")).expect("site-packages")
        {
            let file = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if file.ends_with(".pth") {
                tops.insert(format!("site-packages/{file}"));
            }
        }
    }
    for top in &tops {
        copy(&installed.stdlib.join(top), &stdlib.join(top));
    }
    remove_caches(&stdlib);
    let levels: &[&[&str]] = match installed.layout {
        Layout::Pyenv => &[&[], &["-O"], &["-OO"]],
        Layout::Debian => &[&[]],
    };
    for flags in levels {
        // One run per level (3.8's compileall has no -o), by the original: the
        // copy need not hold compileall.
        let out = pyprune_python::clean_command(installed.python.as_os_str())
            .args(*flags)
            .args(["-m", "compileall", "-q", "-x", "/(test|tests)/bad"])
            .arg(&stdlib)
            .output()
            .expect("compileall");
        assert!(
            out.status.success(),
            "compileall {flags:?} in {}: {}{}",
            stdlib.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut modules: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    modules.sort();
    modules.dedup();
    Reduced {
        prefix,
        python,
        stdlib,
        modules,
    }
}

/// `cp -a` (links stay links).
pub fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}
