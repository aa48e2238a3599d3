//! The worker run by real interpreters on small trees made here: tracebacks
//! on every release pyenv has (3.8 and 3.9 have no `co_lines`; an empty
//! `__init__.py` has no line to show), verdicts that do not depend on import
//! order, and modules loaded from outside the tree named.

use super::{Hung, Verdict, Worker};
use crate::launch::{RunMode, TreePython};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const B: RunMode = RunMode {
    optimize: 0,
    write_bytecode: false,
};

/// A tree at `dir/tree` holding `files` (relative path, text).
fn tree(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("tree");
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    root.canonicalize().expect("canonical")
}

/// Runs `mode` over `items` with `python` on `root`; `settle` retries failures alone.
fn answers(
    python: &pyprune_python::Interpreter,
    root: &Path,
    scratch: &Path,
    mode: &str,
    items: &[&str],
    settle: bool,
) -> BTreeMap<String, Verdict> {
    let placed = TreePython::new(python, root, &scratch.join("prefix")).expect("place");
    let worker = Worker {
        python: &placed,
        tally: None,
        cwd: scratch,
        timeout: Duration::from_secs(60),
        // One process for the batch: the order the items come in is the order they run.
        jobs: 1,
        watch_isolation: true,
        hung: &Hung::default(),
        watchdog: None,
    };
    let items: Vec<Vec<u8>> = items.iter().map(|i| i.as_bytes().to_vec()).collect();
    let verdicts = if settle {
        worker.settle(mode, B, &items, true)
    } else {
        worker.run(mode, B, &items)
    };
    verdicts
        .into_iter()
        .map(|(k, v)| (String::from_utf8(k).expect("utf-8"), v))
        .collect()
}

fn python3() -> pyprune_python::Interpreter {
    pyprune_python::discover(std::ffi::OsStr::new("python3")).expect("python3")
}

/// pyenv's interpreters (`bin/python3` of each version from 3.6), or none.
fn pyenv_pythons() -> Vec<PathBuf> {
    let Ok(out) = std::process::Command::new("pyenv").arg("root").output() else {
        eprintln!("note: no pyenv here");
        return Vec::new();
    };
    let versions = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(versions)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("3."))
                .map(|e| e.path().join("bin/python3"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn tracebacks_show_the_line_on_every_release_and_an_empty_module_is_skipped() {
    let mut pythons = pyenv_pythons();
    pythons.push(PathBuf::from("python3"));
    for python in pythons {
        let python = pyprune_python::discover(python.as_os_str()).expect("discover");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = tree(
            dir.path(),
            &[
                ("lined.py", "# a comment, then a blank line\n\nx = 1\n"),
                ("emptypkg/__init__.py", ""),
            ],
        );
        let found = answers(
            &python,
            &root,
            dir.path(),
            "traceback",
            &["emptypkg", "lined"],
            false,
        );
        let words: Vec<(&str, &str)> = found
            .iter()
            .map(|(k, v)| (k.as_str(), v.word.as_str()))
            .collect();
        assert_eq!(
            words,
            [("emptypkg", "SKIP"), ("lined", "OK")],
            "{} {}: {found:?}",
            python.executable.display(),
            python.version
        );
    }
}

#[test]
fn a_module_that_fails_only_after_another_is_retried_alone_and_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = tree(
        dir.path(),
        &[
            ("first.py", "x = 1\n"),
            (
                "second.py",
                "import sys\nif 'first' in sys.modules:\n    raise ImportError('first came first')\n",
            ),
            ("broken.py", "raise ImportError('always')\n"),
        ],
    );
    let python = python3();
    let items = ["broken", "first", "second"];
    // In one process, in order, `second` fails: the batch alone would call it broken.
    let batch = answers(&python, &root, dir.path(), "import", &items, false);
    assert_eq!(batch["second"].word, "FAIL", "{batch:?}");
    let settled = answers(&python, &root, dir.path(), "import", &items, true);
    assert!(settled["second"].ok(), "{settled:?}");
    assert!(settled["first"].ok(), "{settled:?}");
    assert_eq!(settled["broken"].word, "FAIL", "{settled:?}");
    assert!(settled["broken"].reason.contains("always"), "{settled:?}");
}

#[test]
fn a_module_loaded_from_outside_the_tree_is_named_and_the_interpreters_stdlib_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("leaky.py"), "leak = True\n").expect("write");
    let root = tree(
        dir.path(),
        &[
            // The stdlib is the interpreter's (the tree has none): json may come from there.
            ("uses_json.py", "import json\n"),
            (
                "reaches_out.py",
                &format!(
                    "import sys\nsys.path.append({:?})\nimport leaky\n",
                    outside.display().to_string()
                ),
            ),
        ],
    );
    let found = answers(
        &python3(),
        &root,
        dir.path(),
        "import",
        &["reaches_out", "uses_json"],
        false,
    );
    assert!(found.values().all(Verdict::ok), "{found:?}");
    let outside_seen: Vec<&(String, PathBuf)> =
        found.values().flat_map(|v| v.outside.iter()).collect();
    let real = outside.canonicalize().expect("canonical").join("leaky.py");
    assert!(
        outside_seen
            .iter()
            .all(|(name, path)| name == "leaky"
                && (path == &outside.join("leaky.py") || path == &real)),
        "{outside_seen:?}"
    );
    assert_eq!(outside_seen.len(), 1, "{outside_seen:?}");
}

#[test]
fn a_module_from_the_interpreters_site_packages_is_outside_even_within_its_stdlib_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    // pyenv's layout: site-packages inside the stdlib directory.
    let stdlib = dir.path().join("interpreter/lib/python3.X");
    let site_packages = stdlib.join("site-packages");
    std::fs::create_dir_all(&site_packages).expect("mkdir");
    std::fs::write(stdlib.join("fromstd.py"), "").expect("write");
    std::fs::write(site_packages.join("fromsite.py"), "").expect("write");
    let root = tree(
        dir.path(),
        &[(
            "reaches.py",
            &format!(
                "import sys\nsys.path += [{:?}, {:?}]\nimport fromstd, fromsite\n",
                stdlib.display().to_string(),
                site_packages.display().to_string()
            ),
        )],
    );
    let mut python = python3();
    python.stdlib = stdlib.clone();
    python.platstdlib = stdlib;
    python.purelib = site_packages.clone();
    python.platlib = site_packages;
    let found = answers(&python, &root, dir.path(), "import", &["reaches"], false);
    let names: Vec<&str> = found["reaches"]
        .outside
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    // (The real stdlib's startup modules are outside this made-up one too.)
    assert!(names.contains(&"fromsite"), "{found:?}");
    assert!(!names.contains(&"fromstd"), "{found:?}");
}

/// A module file that is a link in the tree (Debian's `sitecustomize.py`,
/// a link to /etc) is found in the tree, as the tree ships it; a package
/// reached through a directory link out of the tree is not.
#[test]
fn a_linked_module_file_is_the_trees_and_a_linked_directory_out_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir_all(outside.join("pkg")).expect("mkdir");
    std::fs::write(outside.join("linked.py"), "X = 1\n").expect("write");
    std::fs::write(outside.join("pkg/__init__.py"), "Y = 2\n").expect("write");
    let root = tree(dir.path(), &[("plain.py", "")]);
    std::os::unix::fs::symlink(outside.join("linked.py"), root.join("linked.py")).expect("ln");
    std::os::unix::fs::symlink(outside.join("pkg"), root.join("pkg")).expect("ln");
    let found = answers(
        &python3(),
        &root,
        dir.path(),
        "import",
        &["linked", "pkg", "plain"],
        false,
    );
    assert!(found.values().all(Verdict::ok), "{found:?}");
    assert!(found["linked"].outside.is_empty(), "{found:?}");
    assert!(found["plain"].outside.is_empty(), "{found:?}");
    assert_eq!(
        found["pkg"]
            .outside
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["pkg"],
        "{found:?}"
    );
}

/// A module that puts an object of its own into `sys.modules` (IPython's
/// shims: any missing attribute imports another distribution, which may be
/// absent) is judged by its import, and watching isolation does not run its
/// code: the worker used to die reading such an object's `__file__`.
#[test]
fn a_shim_module_whose_attributes_raise_does_not_kill_the_isolation_watch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = tree(
        dir.path(),
        &[
            (
                "shim.py",
                "import sys, types\n\
                 class Shim(types.ModuleType):\n    \
                     def __getattr__(self, key):\n        \
                         import not_installed_anywhere\n\
                 sys.modules[__name__] = Shim(__name__)\n\
                 sys.modules['blocked'] = None\n",
            ),
            ("after.py", ""),
        ],
    );
    let found = answers(
        &python3(),
        &root,
        dir.path(),
        "import",
        &["shim", "after"],
        false,
    );
    assert!(found["shim"].ok(), "{found:?}");
    assert!(found["after"].ok(), "{found:?}");
}
