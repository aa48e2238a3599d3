//! Issue 14: `pyprune deps` on the other Pythons of this machine (pyenv's
//! 3.8, 3.12, 3.13, Debian's 3.11; `deps.rs` covers the pyenv 3.11) and on
//! a venv. Each release gets a small tree of its own stdlib files: those
//! `import json, argparse, email.message` really loads (asked of that
//! interpreter, without site), plus `os.py` and a planted module nothing
//! imports. The static closure of those entry points, asked with the
//! release's own interpreter, must hold every module the import loaded
//! (file-less ones as built-in or frozen nodes), and the planted module
//! must be unused and outside it. On a venv of pyenv's 3.13, a package's
//! closure is what its import loads from the venv, and its imports of the
//! stdlib (outside the venv) are said so. Each check is a function also run
//! on a planted fault (a loaded module's file removed from the tree).

use crate::harness::{TestEnv, pyprune, stderr};
use crate::pythons::find_or_note;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ENTRIES: &[&str] = &["json", "argparse", "email.message"];

/// What importing the names given loads that was not loaded at start, with
/// each module's file (empty for built-in and frozen ones).
const LOADED: &str = r#"
import sys
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
for name in sorted(set(sys.modules) - before):
    spec = getattr(sys.modules[name], "__spec__", None)
    origin = spec.origin if spec is not None and spec.has_location else ""
    print(name, origin)
"#;

/// `python FLAGS -B LOADED NAMES`: module name -> its file, if it has one.
fn loaded(python: &Path, flags: &[&str], names: &[&str]) -> BTreeMap<String, Option<PathBuf>> {
    let out = pyprune_python::clean_command(python.as_os_str())
        .args(flags)
        .args(["-B", "-c", LOADED])
        .args(names)
        .output()
        .expect("python");
    crate::deps::name_origins(&out)
}

/// `pyprune deps TREE --python PYTHON ARGS --format json`, which must succeed.
fn deps_json(tree: &Path, python: &Path, args: &[&str]) -> Value {
    let out = pyprune()
        .arg("deps")
        .arg(tree)
        .arg("--python")
        .arg(python)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("pyprune deps");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn module_names(list: &Value) -> BTreeSet<String> {
    list["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["name"].as_str().expect("name").to_owned())
        .collect()
}

/// The loaded modules the static closure lacks.
fn missing_from(
    closure: &BTreeSet<String>,
    loaded: &BTreeMap<String, Option<PathBuf>>,
) -> Vec<String> {
    loaded
        .keys()
        .filter(|name| !closure.contains(*name))
        .cloned()
        .collect()
}

fn deps_on(version: &str) {
    let Some(installed) = find_or_note(version, "deps_releases") else {
        return;
    };
    let env = TestEnv::new();
    let stdlib = env
        .path()
        .join("lib")
        .join(installed.stdlib.file_name().expect("python3.X"));
    let mut really = loaded(&installed.python, &["-I", "-S"], ENTRIES);
    // `os.path` is `posixpath` under a second name, no module of its own.
    really.remove("os.path");
    let mut files: BTreeSet<PathBuf> = really
        .values()
        .flatten()
        .filter_map(|origin| {
            origin
                .strip_prefix(&installed.stdlib)
                .ok()
                .map(Path::to_path_buf)
        })
        .collect();
    // A frozen module's source is in a stdlib all the same (3.11+ freeze
    // `os`, `stat`, `posixpath`, ...): the tree holds it as a real one does.
    for (name, _) in really.iter().filter(|(_, origin)| origin.is_none()) {
        let rel = PathBuf::from(format!("{}.py", name.replace('.', "/")));
        if installed.stdlib.join(&rel).is_file() {
            files.insert(rel);
        }
    }
    files.insert("os.py".into());
    for rel in &files {
        let to = stdlib.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(installed.stdlib.join(rel), &to).expect("copy");
    }
    std::fs::write(stdlib.join("planted_unused.py"), "import json\n").expect("plant");
    let tree = env.path();
    let closure_args = ["--closure", &ENTRIES.join(",")];
    let closure = module_names(&deps_json(tree, &installed.python, &closure_args)["closure"]);
    assert_eq!(
        missing_from(&closure, &really),
        Vec::<String>::new(),
        "{}",
        installed.label
    );
    assert!(!closure.contains("planted_unused"), "{}", installed.label);
    let unused = module_names(&deps_json(tree, &installed.python, &["--unused"])["unused"]);
    assert!(
        unused.contains("planted_unused"),
        "{}: {unused:?}",
        installed.label
    );
    assert!(
        !unused.contains("json.decoder"),
        "{}: {unused:?}",
        installed.label
    );

    // The check fails when the tree lacks a module the import loads.
    std::fs::remove_file(stdlib.join("json/scanner.py")).expect("remove json.scanner");
    let closure = module_names(&deps_json(tree, &installed.python, &closure_args)["closure"]);
    assert!(
        missing_from(&closure, &really).contains(&"json.scanner".to_owned()),
        "{}",
        installed.label
    );
}

#[test]
fn on_3_8() {
    deps_on("3.8");
}

#[test]
fn on_3_12() {
    deps_on("3.12");
}

#[test]
fn on_3_13() {
    deps_on("3.13");
}

#[test]
fn on_debians_3_11() {
    deps_on("debian");
}

#[test]
fn on_a_venv_of_3_13() {
    let Some(installed) = find_or_note("3.13", "deps_releases") else {
        return;
    };
    let env = TestEnv::new();
    let venv = env.path().join("venv");
    let made = pyprune_python::clean_command(installed.python.as_os_str())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .expect("venv");
    assert!(made.status.success(), "{}", stderr(&made));
    let site = venv.join("lib/python3.13/site-packages");
    for (rel, text) in [
        ("app/__init__.py", "from . import core\n"),
        ("app/core.py", "import json\nfrom .util import helper\n"),
        ("app/util.py", "def helper():\n    import csv\n"),
        ("app/unused.py", "import sqlite3\n"),
    ] {
        let path = site.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let python = venv.join("bin/python");
    let from_venv: BTreeSet<String> = loaded(&python, &["-I"], &["app"])
        .into_iter()
        .filter(|(_, origin)| origin.as_ref().is_some_and(|o| o.starts_with(&venv)))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        from_venv,
        ["app", "app.core", "app.util"].map(String::from).into()
    );
    let closure = module_names(&deps_json(&venv, &python, &["--closure", "app"])["closure"]);
    assert_eq!(closure, from_venv);
    // The stdlib is outside the venv: imported, not unresolved.
    let graph = deps_json(&venv, &python, &[]);
    let node = |name: &str| {
        graph["graph"]
            .as_array()
            .expect("graph")
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    assert_eq!(node("app.core")["outside"], serde_json::json!(["json"]));
    assert_eq!(node("app.util")["outside"], serde_json::json!(["csv"]));
    assert_eq!(node("app.core")["unresolved"], serde_json::json!([]));
}

/// What `pyprune deps TREE ARGS` says on stderr (it must succeed).
fn deps_stderr(tree: &Path, args: &[&str]) -> String {
    let out = pyprune()
        .arg("deps")
        .arg(tree)
        .args(args)
        .output()
        .expect("deps");
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// lib2to3's test data holds files broken on purpose: a note counts those
/// of test suites, `--verbose` names them; a broken source elsewhere is
/// still a warning naming it.
#[test]
fn unparsable_test_data_is_counted_and_other_sources_warned_about() {
    let env = TestEnv::new();
    env.write("os.py", "import sys\n");
    env.write("broken_here.py", "def (:\n");
    env.write("lib2to3/tests/data/bad.py", "print 'py2'\n");
    env.write("test/badsyntax_x.py", "def (:\n");
    let said = deps_stderr(env.path(), &[]);
    assert!(
        said.contains("broken_here.py: cannot parse it") && said.contains("warning:"),
        "{said}"
    );
    assert!(
        said.contains("note: 2 test-suite files cannot be parsed"),
        "{said}"
    );
    assert!(
        !said.contains("bad.py") && !said.contains("badsyntax_x.py"),
        "{said}"
    );
    let verbose = deps_stderr(env.path(), &["-v"]);
    assert!(
        verbose.contains("lib2to3/tests/data/bad.py: cannot parse it"),
        "{verbose}"
    );
}
