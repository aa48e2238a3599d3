//! Trees holding what is not a regular file or cannot be read — a FIFO named
//! like a module, a FIFO in a cache's place, a Unix socket, a package nobody
//! may read — and a 60-deep package chain, through `analyze`, `apply --out`,
//! `apply --in-place` and `verify`: each odd path named in a warning, none
//! opened (nothing waits on a FIFO), the rest handled as in a plain tree.
//! And a module that hangs costs one timeout, not one per level and retry.

use crate::harness::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// How deep the package chain goes.
const DEPTH: usize = 60;

/// Per-item timeout given to verify: far above what an item takes here, so
/// that an answer naming it means something waited on a file.
const TIMEOUT: &str = "20";

/// The odd paths of [`odd_tree`], relative to it, and what the walk calls them.
fn odd_paths() -> Vec<(PathBuf, &'static str)> {
    vec![
        (PathBuf::from("x.py"), "a FIFO (named pipe)"),
        (
            PathBuf::from(format!("__pycache__/y.{}.pyc", cache_tag())),
            "a FIFO (named pipe)",
        ),
        (PathBuf::from("sock.py"), "a socket"),
    ]
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Real stdlib modules, a module `y` whose cache is a FIFO, a FIFO `x.py`, a
/// bound Unix socket `sock.py`, and the chain `a/a/.../a` (each level
/// importing the next). Returns the regular modules' names.
fn odd_tree(dir: &Path) -> BTreeSet<String> {
    copy_from_stdlib(dir, &["colorsys.py", "keyword.py"]);
    std::fs::write(dir.join("y.py"), "Y = 1\n").expect("write");
    let mut level = dir.to_path_buf();
    let mut modules: BTreeSet<String> = ["colorsys", "keyword", "y"].map(String::from).into();
    let mut name = Vec::new();
    for depth in 1..=DEPTH {
        level.push("a");
        name.push("a");
        std::fs::create_dir(&level).expect("mkdir");
        let body = if depth < DEPTH {
            format!("DEPTH = {depth}\nfrom . import a\n")
        } else {
            format!("DEPTH = {depth}\n")
        };
        std::fs::write(level.join("__init__.py"), body).expect("write");
        modules.insert(name.join("."));
    }
    std::fs::create_dir(dir.join("__pycache__")).expect("mkdir");
    for (rel, what) in odd_paths() {
        if what == "a socket" {
            // Bound, then closed: the socket file stays, with no one listening.
            drop(std::os::unix::net::UnixListener::bind(dir.join(&rel)).expect("bind"));
        } else {
            mkfifo(&dir.join(rel));
        }
    }
    modules
}

/// The warnings on `stderr` that name `path`.
fn warnings_naming(stderr: &str, path: &Path) -> usize {
    let named = format!("warning: {}: ", path.display());
    stderr.lines().filter(|l| l.starts_with(&named)).count()
}

/// Every answer of `report` (a verify report) that says something waited
/// until the timeout.
fn waited(report: &Value) -> Vec<String> {
    ["regressions", "notes"]
        .iter()
        .flat_map(|k| report[k].as_array().cloned().unwrap_or_default())
        .map(|f| f.to_string())
        .filter(|f| f.contains("no answer within") || f.contains("hung"))
        .collect()
}

/// Checks what verify said of the odd tree at `root` (before or after an
/// apply): the odd paths (still in the tree) noted as not verified, nothing
/// waited on, every regular module imported, `y` refused its FIFO cache.
fn check_verify_report(report: &Value, root: &Path, modules: &BTreeSet<String>, odd_here: bool) {
    assert!(waited(report).is_empty(), "{:#?}", waited(report));
    let notes = report["notes"].as_array().expect("notes");
    let walk: BTreeSet<String> = notes
        .iter()
        .filter(|n| n["check"] == "walk")
        .map(|n| n["subject"].as_str().expect("subject").to_owned())
        .collect();
    let expected: BTreeSet<String> = if odd_here {
        odd_paths()
            .iter()
            .map(|(rel, _)| root.join(rel).display().to_string())
            .collect()
    } else {
        BTreeSet::new()
    };
    assert_eq!(walk, expected, "{notes:#?}");
    let imports = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "imports")
        .expect("imports");
    assert_eq!(imports["checked"], modules.len(), "{imports}");
    // `y` is refused its cache only where the FIFO is; all else imports.
    let failing: BTreeSet<&str> = notes
        .iter()
        .chain(report["regressions"].as_array().expect("regressions"))
        .filter(|n| n["check"] != "walk")
        .map(|n| n["subject"].as_str().expect("subject"))
        .collect();
    let expected: BTreeSet<&str> = if odd_here { ["y"].into() } else { [].into() };
    assert_eq!(failing, expected, "{notes:#?}");
    if odd_here {
        assert!(
            notes.iter().any(|n| n["subject"] == "y"
                && n["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("is a FIFO, not a regular file: not opened"))),
            "{notes:#?}"
        );
    }
}

/// Every path under `root` with its type and, for files, bytes.
fn listing(root: &Path) -> std::collections::BTreeMap<PathBuf, (String, Vec<u8>)> {
    paths_under(root)
        .into_iter()
        .map(|path| {
            let kind = path.symlink_metadata().expect("lstat").file_type();
            let rel = path.strip_prefix(root).expect("under").to_path_buf();
            let entry = if kind.is_file() {
                ("file".to_owned(), std::fs::read(&path).expect("read"))
            } else if kind.is_fifo() {
                ("fifo".to_owned(), Vec::new())
            } else if kind.is_socket() {
                ("socket".to_owned(), Vec::new())
            } else {
                (format!("{kind:?}"), Vec::new())
            };
            (rel, entry)
        })
        .collect()
}

#[test]
fn fifos_and_sockets_are_named_left_out_and_never_opened() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    let modules = odd_tree(&tree);
    let before = listing(&tree);

    // analyze: one warning each; every regular source counted.
    let (report, output) = analyze_json(&tree, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stderr(&output);
    for (rel, what) in odd_paths() {
        let path = tree.join(&rel);
        assert_eq!(warnings_naming(&text, &path), 1, "{rel:?}: {text}");
        assert!(
            text.contains(&format!("{}: {what}, not a regular file", path.display())),
            "{text}"
        );
    }
    assert_eq!(report["by_kind"]["source"]["files"], modules.len());

    // apply --out: the copy leaves them out, with one warning each, and verifies.
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--profile", "lossless", "--format", "json"])
        .args(["--timeout", TIMEOUT, "--out"])
        .arg(&out)
        .arg(&tree)
        .output()
        .expect("apply");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for (rel, _) in odd_paths() {
        assert_eq!(warnings_naming(&text, &tree.join(&rel)), 1, "{text}");
    }
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    check_verify_report(&report["verify"], &out, &modules, false);
    let mut expected = before.clone();
    for (rel, _) in odd_paths() {
        expected.remove(&rel);
    }
    assert_eq!(
        listing(&out),
        expected,
        "the copy is the tree less the odd files"
    );
    assert_eq!(listing(&tree), before, "the tree is as it was");

    // verify on the tree itself: the odd paths noted, nothing waited on.
    let output = pyprune()
        .args(["verify", "--format", "json", "--timeout", TIMEOUT])
        .arg(&tree)
        .output()
        .expect("verify");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    check_verify_report(&report, &tree, &modules, true);

    // apply --in-place: recorded, changed and verified around them; undone whole.
    let output = pyprune()
        .args(["apply", "--profile", "lossless", "--format", "json"])
        .args(["--timeout", TIMEOUT, "--in-place"])
        .arg(&tree)
        .output()
        .expect("apply");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    check_verify_report(&report["verify"], &tree, &modules, true);
    let undo = pyprune().arg("undo").arg(&tree).output().expect("undo");
    assert_eq!(undo.status.code(), Some(0), "{}", stderr(&undo));
    assert_eq!(
        listing(&tree),
        before,
        "undone byte for byte, odd files kept"
    );
}

/// As `nobody` (root reads everything), a package and a module it may not
/// read: each named once, left out of the copy (no empty stand-in Python
/// would import as a namespace package) and said so in the report, text and
/// JSON; `plan` and `verify` warn and go on; untouched in place, and an
/// in-place change that would remove the directory holding one is refused
/// before anything changes.
#[test]
fn unreadable_packages_and_files_are_named_and_left_out() {
    let python = Path::new("/usr/bin/python3");
    let as_root = python_print("import os; print(os.geteuid())") == "0";
    if as_root && !(Path::new("/usr/bin/setpriv").is_file() && python.is_file()) {
        eprintln!("note: running as root without setpriv or /usr/bin/python3: skipped");
        return;
    }
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(&tree, &["colorsys.py", "keyword.py"]);
    env.write("tree/locked/__init__.py", "SECRET = 1\n");
    // A cache nobody may read beside one it may: `drop-caches` would remove
    // their directory.
    compileall(&[], &tree);
    env.write("tree/secret.py", "SECRET = 2\n");
    let cache = |name: &str| tree.join(format!("__pycache__/{name}.{}.pyc", cache_tag()));
    std::fs::copy(cache("colorsys"), cache("hidden")).expect("copy a cache");
    let out_parent = env.path().join("w");
    std::fs::create_dir(&out_parent).expect("mkdir");
    // The binary where nobody may run it; the tree and the output's parent theirs.
    let binary = env.path().join("pyprune");
    std::fs::copy(assert_cmd::cargo::cargo_bin("pyprune"), &binary).expect("copy the binary");
    if as_root {
        let status = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&tree)
            .arg(&out_parent)
            .status()
            .expect("chown");
        assert!(status.success());
    }
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let locked = tree.join("locked");
    let secret = tree.join("secret.py");
    let hidden = cache("hidden");
    for unreadable in [&locked, &secret, &hidden] {
        std::fs::set_permissions(unreadable, std::fs::Permissions::from_mode(0o000))
            .expect("chmod");
    }
    let before = listing(&tree);
    let run = |args: &[&std::ffi::OsStr]| {
        let mut command = if as_root {
            let mut command = std::process::Command::new("/usr/bin/setpriv");
            command
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(&binary);
            command
        } else {
            std::process::Command::new(&binary)
        };
        command
            .args(args)
            .arg("--python")
            .arg(python)
            .current_dir("/")
            .output()
            .expect("run pyprune")
    };
    let os = std::ffi::OsStr::new;
    let named = |output: &std::process::Output| {
        let text = stderr(output);
        assert_eq!(warnings_naming(&text, &locked), 1, "{text}");
        assert!(text.contains("cannot read directory"), "{text}");
        assert_eq!(warnings_naming(&text, &secret), 1, "{text}");
        assert_eq!(warnings_naming(&text, &hidden), 1, "{text}");
        assert!(
            text.contains(&format!(
                "warning: {}: unreadable file: Permission denied",
                secret.display()
            )),
            "{text}"
        );
    };

    let output = run(&[os("analyze"), tree.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    named(&output);

    let output = run(&[os("plan"), tree.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    named(&output);

    // apply --out: the result without them, said in the text and the JSON reports.
    for (out, format) in [("out", "text"), ("json", "json")] {
        let out = out_parent.join(out);
        let output = run(&[
            os("apply"),
            os("--profile"),
            os("lossless"),
            os("--format"),
            os(format),
            os("--out"),
            out.as_os_str(),
            tree.as_os_str(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        named(&output);
        let copied: BTreeSet<PathBuf> = paths_under(&out)
            .iter()
            .map(|p| p.strip_prefix(&out).expect("under").to_path_buf())
            .collect();
        let expected: BTreeSet<PathBuf> = [
            "colorsys.py".into(),
            "keyword.py".into(),
            "__pycache__".into(),
            cache("colorsys").strip_prefix(&tree).expect("under").into(),
            cache("keyword").strip_prefix(&tree).expect("under").into(),
        ]
        .into();
        assert_eq!(copied, expected, "nothing unreadable in the copy");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let said: BTreeSet<String> = if format == "json" {
            let report: Value = serde_json::from_str(&stdout).expect("JSON");
            report["not_opened"]
                .as_array()
                .expect("not_opened")
                .iter()
                .map(|n| n["path"].as_str().expect("path").to_owned())
                .collect()
        } else {
            stdout
                .lines()
                .filter_map(|l| l.strip_prefix("not in the result, not opened: "))
                .filter_map(|l| l.split(": ").next())
                .map(str::to_owned)
                .collect()
        };
        let unreadable: BTreeSet<String> = [&locked, &secret, &hidden]
            .map(|p| p.display().to_string())
            .into();
        assert_eq!(said, unreadable, "{stdout}");
    }

    let output = run(&[os("verify"), tree.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for (path, why) in [
        (&locked, "cannot read directory"),
        (&secret, "unreadable file"),
    ] {
        assert!(
            text.contains(&format!("not verified  {}: {why}", path.display())),
            "{text}"
        );
    }

    // In place, a step that would remove the directory of one: refused first.
    let output = run(&[
        os("apply"),
        os("--steps"),
        os("drop-caches"),
        os("--in-place"),
        tree.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "the steps would remove the directory `{}`, which holds `{}`",
            tree.join("__pycache__").display(),
            hidden.display()
        )),
        "{text}"
    );
    assert!(!tree.join(".pyprune-journal").exists());

    let output = run(&[
        os("apply"),
        os("--profile"),
        os("lossless"),
        os("--in-place"),
        os("--commit"),
        tree.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    named(&output);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!(
            "left as it was, not opened: {}: unreadable file",
            secret.display()
        )),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for unreadable in [&locked, &secret, &hidden] {
        std::fs::set_permissions(unreadable, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    assert_eq!(
        std::fs::read(locked.join("__init__.py")).expect("read"),
        b"SECRET = 1\n"
    );
    assert_eq!(listing(&tree), before, "the tree is as it was");
}

/// A module that never finishes importing: one timeout in `verify` (not one
/// per optimization level and retry), and none after an in-place change
/// whose record it hung in already.
#[test]
fn a_module_that_hangs_costs_one_timeout() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/slow.py", "import time\ntime.sleep(600)\n");
    // What was said of `slow` (on a loaded machine, a start-up slower than
    // the short timeout could make other items wait: they are not the point).
    let slow = |report: &Value| -> Vec<String> {
        waited(report)
            .into_iter()
            .filter(|f| f.contains("\"subject\":\"slow\""))
            .collect()
    };
    let fresh = |report: &Value| {
        slow(report)
            .iter()
            .filter(|f| !f.contains("hung in an earlier run"))
            .count()
    };
    let output = pyprune()
        .args(["verify", "--format", "json", "--timeout", "2"])
        .arg(&tree)
        .output()
        .expect("verify");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // Named at every level, waited for once.
    assert_eq!(slow(&report).len(), 3, "{:#?}", report["notes"]);
    assert_eq!(fresh(&report), 1, "{:#?}", report["notes"]);

    let output = pyprune()
        .args(["apply", "--steps", "drop-opt2", "--format", "json"])
        .args(["--timeout", "2", "--in-place", "--commit"])
        .arg(&tree)
        .output()
        .expect("apply");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let verify = &report["verify"];
    assert_eq!(slow(verify).len(), 3, "{:#?}", verify["notes"]);
    assert_eq!(fresh(verify), 0, "{:#?}", verify["notes"]);
}

/// A package chain 60 deep whose bottom fails to import (each level imports
/// the next): every module fails, and verify runs each level's body about
/// once per process, not once per submodule (Python forgets a package that
/// failed, so each of the 60 would run the whole chain again: 3,600 bodies
/// a run). Counted by the bodies themselves, in a file outside the tree.
#[test]
fn a_failing_deep_chain_is_verified_in_time_linear_in_its_depth() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    let counter = env.path().join("bodies run");
    let mut level = tree.clone();
    for depth in 1..=DEPTH {
        level.push("b");
        std::fs::create_dir_all(&level).expect("mkdir");
        let tail = if depth < DEPTH {
            "from . import b\n"
        } else {
            "raise ImportError('the bottom of the chain')\n"
        };
        let body = format!(
            "with open({:?}, 'a') as counter:\n    counter.write('.')\n{tail}",
            counter.display().to_string()
        );
        std::fs::write(level.join("__init__.py"), body).expect("write");
    }
    let output = pyprune()
        .args(["verify", "--format", "json", "-j", "1"])
        .arg(&tree)
        .output()
        .expect("verify");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let failed: BTreeSet<String> = report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["check"] == "imports")
        .map(|n| n["subject"].as_str().expect("subject").to_owned())
        .collect();
    assert_eq!(failed.len(), DEPTH, "every level fails: {failed:?}");
    // Three optimization levels, each a run and a retry by package: six
    // processes, each running the chain once.
    let bodies = std::fs::read(&counter).expect("counter").len();
    assert!(bodies >= DEPTH, "{bodies}");
    assert!(
        bodies <= 6 * DEPTH,
        "{bodies} module bodies run for a chain {DEPTH} deep"
    );
}
