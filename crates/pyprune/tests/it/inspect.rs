//! `pyprune inspect`: real pycs described as CPython sees them; bad files named.

use crate::harness::*;
use serde_json::{Value, json};

#[test]
fn describes_a_real_checked_hash_pyc() {
    let env = TestEnv::new();
    let source = env.write("pkg/mod.py", "\"\"\"Doc.\"\"\"\nclass A:\n    \"\"\"A doc.\"\"\"\n    def f(self):\n        return lambda: 1\n");
    compileall(&["--invalidation-mode", "checked-hash"], env.path());
    let pyc = env
        .path()
        .join(format!("pkg/__pycache__/mod.{}.pyc", cache_tag()));
    let output = pyprune()
        .args(["inspect", "--format", "json"])
        .arg(&pyc)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let entry = &report[0];
    assert_eq!(entry["header"]["flags"], json!(3));
    assert_eq!(
        entry["header"]["invalidation"]["mode"],
        json!("checked-hash")
    );
    let hash = python_print(&format!(
        "import importlib.util; print(importlib.util.source_hash(open({:?}, 'rb').read()).hex())",
        source.display().to_string()
    ));
    assert_eq!(entry["header"]["invalidation"]["hash"], json!(hash));
    assert_eq!(entry["freshness"]["state"], json!("fresh"));
    assert_eq!(
        entry["code"]["filename"],
        json!(source.display().to_string())
    );
    let objects: Vec<(String, bool)> = entry["code"]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            (
                o["qualname"].as_str().expect("q").to_owned(),
                o["has_docstring"].as_bool().expect("b"),
            )
        })
        .collect();
    assert_eq!(
        objects,
        [
            ("<module>".to_owned(), true),
            ("A".to_owned(), true),
            ("A.f".to_owned(), false),
            ("A.f.<locals>.<lambda>".to_owned(), false),
        ]
    );

    std::fs::write(&source, "x = 2\n").expect("edit");
    let output = pyprune().arg("inspect").arg(&pyc).output().expect("run");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("stale (source hash differs from recorded)"),
        "{text}"
    );
}

#[test]
fn bad_files_are_named_and_the_rest_still_inspected() {
    let env = TestEnv::new();
    env.write("ok.py", "x = 1\n");
    compileall_all_levels(env.path());
    let good = env
        .path()
        .join(format!("__pycache__/ok.{}.pyc", cache_tag()));
    let foreign = env.write("py27.pyc", [0x03, 0xf3, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]);
    let text = env.write("notes.pyc", "hello\n");
    let missing = env.path().join("missing.pyc");
    let output = pyprune()
        .args(["inspect", "--format", "json"])
        .args([&foreign, &good, &text, &missing])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report.as_array().expect("list").len(), 4);
    assert!(
        report[0]["error"]
            .as_str()
            .expect("error")
            .contains("62211"),
        "{report}"
    );
    assert_eq!(report[1]["error"], Value::Null);
    assert!(
        report[2]["error"]
            .as_str()
            .expect("error")
            .contains("not a .pyc")
    );
    assert!(
        report[3]["error"]
            .as_str()
            .expect("error")
            .contains("cannot read")
    );
    let stderr = stderr(&output);
    for path in [&foreign, &text, &missing] {
        assert!(stderr.contains(&*path.to_string_lossy()), "{stderr}");
    }
}

#[test]
fn non_utf8_paths_survive_into_json() {
    use std::os::unix::ffi::OsStrExt as _;
    let env = TestEnv::new();
    let dir = env.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("mod.py"), "x = 1\n").expect("write");
    compileall_all_levels(env.path());
    let pyc = dir.join(format!("__pycache__/mod.{}.pyc", cache_tag()));
    let output = pyprune()
        .args(["inspect", "--format", "json"])
        .arg(&pyc)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let source = report[0]["source"].as_str().expect("source");
    assert!(source.ends_with("caf\\xE9/mod.py"), "{source}");
    assert!(
        report[0]["path"]
            .as_str()
            .expect("path")
            .contains("caf\\xE9/__pycache__")
    );
}

#[test]
fn freshness_follows_the_float_mtime_python_sees() {
    // st_mtime = 1700000000.999999999 is the float 1700000001.0 in Python: the
    // cache records 1700000001, and importlib finds it fresh.
    let env = TestEnv::new();
    let source = env.write("m.py", "x = 1\n");
    let code = format!(
        "import os, py_compile; os.utime({0:?}, ns=(1700000000999999999,) * 2); py_compile.compile({0:?}, doraise=True)",
        source.display().to_string()
    );
    let out = python3().args(["-c", &code]).output().expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pyc = env
        .path()
        .join(format!("__pycache__/m.{}.pyc", cache_tag()));
    let output = pyprune()
        .args(["inspect", "--format", "json"])
        .arg(&pyc)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        report[0]["header"]["invalidation"]["mtime"],
        json!(1_700_000_001)
    );
    assert_eq!(report[0]["freshness"]["state"], json!("fresh"));
}
