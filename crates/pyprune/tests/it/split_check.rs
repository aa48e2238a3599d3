//! `pyprune split --check`: on a bare package of real stdlib files (verify
//! puts it on `sys.path`), installs verified laid out alone and each check
//! failing, named, on a planted fault.

use crate::harness::{TestEnv, compileall_all_levels, pyprune, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A bare package directory (put on `sys.path` by verify): `json` with a
/// test package of its own, and `colorsys`, compiled at every level.
pub fn package_with_tests(dir: &Path) -> PathBuf {
    crate::harness::package_tree(dir);
    std::fs::create_dir_all(dir.join("json/tests")).expect("mkdir");
    std::fs::write(dir.join("json/tests/__init__.py"), "").expect("write");
    std::fs::write(dir.join("json/tests/test_x.py"), "import json\n").expect("write");
    compileall_all_levels(dir);
    dir.to_path_buf()
}

/// The check named `name` of a verified install's report (`check.verified[i]`).
pub fn verify_check<'a>(install: &'a Value, name: &str) -> &'a Value {
    install["report"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {install}"))
}

#[test]
fn check_verifies_installs_laid_out_alone_and_fails_on_planted_faults() {
    let env = TestEnv::new();
    let root = package_with_tests(&env.path().join("tree"));
    let scratch = env.path().join("tmp");
    std::fs::create_dir(&scratch).expect("mkdir");
    let split = |args: &[&str]| {
        let out = pyprune()
            .arg("split")
            .arg(&root)
            .args(args)
            .env("TMPDIR", &scratch)
            .output()
            .expect("run pyprune split");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), text, stderr(&out))
    };

    // Sound: two installs verified, the smaller without the tests.
    let out = pyprune()
        .arg("split")
        .arg(&root)
        .args([
            "--check",
            "--install",
            "core",
            "--install",
            "core+bytecode-opt0",
        ])
        .args(["--format", "json", "-j", "2"])
        .env("TMPDIR", &scratch)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let check = &report["check"];
    assert_eq!(check["passed"], true);
    let verified = check["verified"].as_array().expect("verified");
    assert_eq!(verified.len(), 2);
    for install in verified {
        let imports = verify_check(install, "imports");
        assert!(imports["checked"].as_u64().expect("n") >= 3, "{imports}");
        assert_eq!(imports["failed"], 0);
        // The tests layer is absent: its modules may be gone.
        assert_eq!(install["report"]["promises"]["removals"], true);
    }
    assert_eq!(crate::harness::names_in(&scratch), Vec::<String>::new());

    // An install that does not import: json's decoder in a layer of its own.
    let (code, text, err) = split(&[
        "--layer",
        "decoder=path:json/decoder.py",
        "--check",
        "--install",
        "core",
    ]);
    assert_eq!(code, Some(1), "{text}{err}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL install `core`: imports json: ")
                && l.contains("json.decoder")),
        "{text}"
    );

    // A smaller install that is not a subset of the next: the two test
    // sources and their caches at three levels are missing from the larger.
    let (code, text, err) = split(&[
        "--check",
        "--no-verify",
        "--install",
        "core+tests",
        "--install",
        "core+bytecode-opt0",
    ]);
    assert_eq!(code, Some(1), "{text}{err}");
    assert!(
        text.contains("FAIL `core+tests` is not a subset of `core+bytecode-opt0`: 8 files missing from the larger, e.g. json/tests/__init__.py, "),
        "{text}"
    );

    // Lists edited after --out: a file in two layers, a file in none, a path
    // the tree lacks.
    let lists = env.path().join("lists");
    let (code, _, err) = split(&["--out", lists.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
    let (code, text, err) = split(&[
        "--check",
        "--no-verify",
        "--lists",
        lists.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(0), "{text}{err}");
    let shown = |rel: &str| {
        format!(
            "{}\n",
            root.canonicalize().expect("canonical").join(rel).display()
        )
    };
    let core = lists.join("core.list");
    let listed = std::fs::read_to_string(&core).expect("read");
    assert!(listed.contains(&shown("colorsys.py")));
    std::fs::write(&core, listed.replace(&shown("json/scanner.py"), "")).expect("write");
    let tests = lists.join("tests.list");
    let mut more = std::fs::read_to_string(&tests).expect("read");
    more.push_str(&shown("colorsys.py"));
    more.push_str(&shown("json/gone.py"));
    std::fs::write(&tests, more).expect("write");
    let (code, text, err) = split(&[
        "--check",
        "--no-verify",
        "--lists",
        lists.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(1), "{text}{err}");
    for failure in [
        "FAIL in no layer: json/scanner.py",
        "FAIL in several layers (tests, core): colorsys.py",
        "FAIL listed in tests but not in the tree: json/gone.py",
    ] {
        assert!(text.contains(failure), "{failure}: {text}");
    }
}
