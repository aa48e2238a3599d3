//! `pyprune split --check`: on a bare package of real stdlib files (verify
//! puts it on `sys.path`), installs verified laid out alone and each check
//! failing, named, on a planted fault; on a reduced Debian 3.11, the
//! cacheless install of a tree with the no-write marker writing nothing.

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
        let imports = install["report"]["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["check"] == "imports")
            .expect("imports ran");
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

/// Debian's python3.11 (shipped with opt-0 caches only, its build
/// configuration holding a link out of the tree), reduced, with the
/// no-write marker applied (which compiles the start-up modules' caches at
/// every level, and pyprune's runtime's): the install without caches is
/// verified to write none, since the start-up caches stay in core.
#[test]
fn a_debian_tree_splits_and_its_cacheless_install_writes_nothing() {
    let Some(installed) = crate::pythons::find_or_note("debian", "split on Debian's 3.11") else {
        return;
    };
    let env = TestEnv::new();
    let reduced = crate::pythons::reduced_copy(&installed, &env.path().join("input"), &[]);
    // Verify imports every module at three levels, twice: the codecs start-up
    // does not need, more than half the copy's modules, go.
    let encodings = reduced.stdlib.join("encodings");
    for entry in std::fs::read_dir(&encodings).expect("encodings") {
        let path = entry.expect("entry").path();
        let stem = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let codec = stem.split('.').next().unwrap_or_default().to_owned();
        if ![
            "__init__",
            "aliases",
            "utf_8",
            "latin_1",
            "ascii",
            "__pycache__",
        ]
        .contains(&codec.as_str())
        {
            std::fs::remove_file(&path).expect("remove codec");
        }
    }
    for entry in std::fs::read_dir(encodings.join("__pycache__")).expect("caches") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let codec = name.split('.').next().unwrap_or_default();
        if !["__init__", "aliases", "utf_8", "latin_1", "ascii"].contains(&codec) {
            std::fs::remove_file(&path).expect("remove codec cache");
        }
    }
    let out = env.path().join("out");
    crate::harness::apply_to(
        &reduced.prefix,
        &out,
        &["--steps", "no-write-marker", "--no-verify"],
    );
    // One record of the tree, two installs verified: core+runtime has
    // pyprune's runtime (which honours the marker), core has not.
    let (report, output) = crate::split::run_json(&[
        out.as_os_str(),
        "--layer".as_ref(),
        "runtime=module:pyprune_runtime".as_ref(),
        "--check".as_ref(),
        "--install".as_ref(),
        "core".as_ref(),
        "--install".as_ref(),
        "core+runtime".as_ref(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{report:#}\n{}",
        stderr(&output)
    );
    let layer = |name: &str| -> Vec<String> {
        report["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no layer {name}"))["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f.as_str().expect("path").to_owned())
            .collect()
    };
    // Debian shipped no optimized caches: those layers hold only what the
    // marker step compiled for pyprune's own modules.
    for level in ["bytecode-opt1", "bytecode-opt2"] {
        let files = layer(level);
        assert!(
            !files.is_empty() && files.iter().all(|f| f.contains("/__pycache__/pyprune_")),
            "{level}: {files:?}"
        );
    }
    // The start-up modules' caches stay in core at every level.
    let core = layer("core");
    for level in ["", ".opt-1", ".opt-2"] {
        let cache = format!("lib/python3.11/encodings/__pycache__/__init__.cpython-311{level}.pyc");
        assert!(core.contains(&cache), "{cache}");
    }
    let devel = layer("devel");
    assert!(
        !devel.is_empty()
            && devel
                .iter()
                .all(|f| f.starts_with("lib/python3.11/config-3.11")),
        "{devel:?}"
    );
    let verified = &report["check"]["verified"][0];
    assert_eq!(verified["install"], "core");
    let no_writes = verified["report"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "no writes")
        .expect("no writes");
    assert!(no_writes.get("skipped").is_none(), "{no_writes}");
    assert!(no_writes["checked"].as_u64().expect("n") > 0, "{no_writes}");
    assert_eq!(verified["report"]["promises"]["no_writes"], true);
}
