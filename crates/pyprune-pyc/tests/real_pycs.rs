//! The reader against pycs the installed `python3` writes: every header field,
//! code object, docstring and freshness verdict must equal what CPython itself
//! computes (`expected_pyc.py`: `marshal.loads`, the source's AST, importlib's
//! own validation functions).

use pyprune_pyc::{CodeKind, Freshness, Pyc, SourceStat, freshness};
use serde_json::Value;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCES: &[&str] = &[
    "argparse.py",
    "dataclasses.py",
    "enum.py",
    "this.py",
    "typing.py",
    "json/__init__.py",
    "json/decoder.py",
    "email/message.py",
    "asyncio/tasks.py",
    "collections/__init__.py",
    "unittest/case.py",
];

fn python3() -> Command {
    pyprune_python::clean_command(std::ffi::OsStr::new("python3"))
}

fn stdlib() -> PathBuf {
    let out = python3()
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3");
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
}

fn cache_tag() -> String {
    let out = python3()
        .args(["-c", "import sys; print(sys.implementation.cache_tag)"])
        .output()
        .expect("python3");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// Copies the sources into `dir` and compiles them at all levels in `mode`.
fn compiled_tree(dir: &Path, mode: &str) {
    let stdlib = stdlib();
    for rel in SOURCES {
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(stdlib.join(rel), &to).expect("copy");
    }
    let out = python3()
        .args([
            "-m",
            "compileall",
            "-q",
            "-o0",
            "-o1",
            "-o2",
            "--invalidation-mode",
            mode,
        ])
        .arg(dir)
        .output()
        .expect("compileall");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// (pyc, source, optimization level) for every cache in `dir`.
fn caches(dir: &Path) -> Vec<(PathBuf, PathBuf, u32)> {
    let tag = cache_tag();
    let mut out = Vec::new();
    for rel in SOURCES {
        let source = dir.join(rel);
        let stem = source
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let pycache = source.parent().expect("parent").join("__pycache__");
        for (level, suffix) in [
            (0, String::new()),
            (1, ".opt-1".into()),
            (2, ".opt-2".into()),
        ] {
            out.push((
                pycache.join(format!("{stem}.{tag}{suffix}.pyc")),
                source.clone(),
                level,
            ));
        }
    }
    out
}

fn expected(caches: &[(PathBuf, PathBuf, u32)]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected_pyc.py");
    let mut command = python3();
    command.arg(script);
    for (pyc, source, level) in caches {
        command.arg(pyc).arg(source).arg(level.to_string());
    }
    let out = command.output().expect("reference");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("JSON")
        .as_array()
        .expect("list")
        .clone()
}

fn our_freshness(pyc: &Pyc, source: &Path) -> &'static str {
    let meta = std::fs::metadata(source).expect("source");
    let stat = SourceStat::new(meta.mtime(), meta.mtime_nsec(), meta.len());
    match freshness(&pyc.header, Some(stat), || std::fs::read(source)).expect("read") {
        Freshness::Fresh => "fresh",
        Freshness::Stale { .. } => "stale",
        Freshness::Unchecked { matches: true } => "unchecked-matching",
        Freshness::Unchecked { matches: false } => "unchecked-differing",
        Freshness::NoSource => "no-source",
        Freshness::NotChecked { .. } => "not-checked",
    }
}

fn their_freshness(expected: &Value) -> String {
    let state = expected["freshness"]["state"].as_str().expect("state");
    match expected["freshness"]["matches"].as_bool() {
        Some(true) => "unchecked-matching".into(),
        Some(false) => "unchecked-differing".into(),
        None => state.to_owned(),
    }
}

fn compare_all(dir: &Path) -> Vec<String> {
    let caches = caches(dir);
    let expected = expected(&caches);
    assert_eq!(expected.len(), caches.len());
    let mut states = Vec::new();
    for ((pyc_path, source, _), want) in caches.iter().zip(&expected) {
        let data = std::fs::read(pyc_path).expect("pyc");
        let pyc = Pyc::parse(&data).unwrap_or_else(|e| panic!("{pyc_path:?}: {e}"));
        let here = format!("{pyc_path:?}");
        assert_eq!(
            u64::from(pyc.header.magic.number),
            want["magic"].as_u64().expect("magic"),
            "{here}"
        );
        assert_eq!(
            u64::from(pyc.header.flags),
            want["flags"].as_u64().expect("flags"),
            "{here}"
        );
        assert_eq!(
            pyc.code.filename,
            want["filename"].as_str().expect("filename"),
            "{here}"
        );
        assert_eq!(pyc.trailing_bytes, 0, "{here}");
        let objects: Vec<Value> = pyc
            .code
            .objects
            .iter()
            .map(|o| serde_json::json!([o.qualname, o.first_line]))
            .collect();
        assert_eq!(Value::Array(objects), want["objects"], "{here}");
        assert_eq!(
            pyc.code.module_docstring(),
            want["documented"]["module"].as_bool().expect("bool"),
            "{here}"
        );
        let mut documented: Vec<&str> = pyc
            .code
            .objects
            .iter()
            .filter(|o| matches!(o.kind, CodeKind::Function | CodeKind::Class) && o.has_docstring)
            .map(|o| o.qualname.as_str())
            .collect();
        documented.sort_unstable();
        let want_documented: Vec<&str> = want["documented"]["defs"]
            .as_array()
            .expect("defs")
            .iter()
            .map(|d| d.as_str().expect("str"))
            .collect();
        assert_eq!(documented, want_documented, "{here}");
        let ours = our_freshness(&pyc, source);
        assert_eq!(ours, their_freshness(want), "{here}");
        states.push(ours.to_owned());
    }
    states
}

#[test]
fn timestamp_pycs_match_cpython() {
    let dir = tempfile::tempdir().expect("tempdir");
    compiled_tree(dir.path(), "timestamp");
    assert!(compare_all(dir.path()).iter().all(|s| s == "fresh"));
    // Touch one source (same bytes, new mtime) and grow another (same mtime).
    let touched = dir.path().join("this.py");
    let old = std::fs::metadata(&touched).expect("meta").mtime();
    let status = Command::new("touch")
        .arg("-d")
        .arg(format!("@{}", old + 10))
        .arg(&touched)
        .status()
        .expect("touch");
    assert!(status.success());
    let grown = dir.path().join("enum.py");
    let meta = std::fs::metadata(&grown).expect("meta");
    let mut bytes = std::fs::read(&grown).expect("read");
    bytes.extend_from_slice(b"\n# grown\n");
    std::fs::write(&grown, bytes).expect("write");
    let status = Command::new("touch")
        .arg("-d")
        .arg(format!("@{}", meta.mtime()))
        .arg(&grown)
        .status()
        .expect("touch");
    assert!(status.success());
    let states = compare_all(dir.path());
    assert_eq!(
        states.iter().filter(|s| *s == "stale").count(),
        6,
        "{states:?}"
    );
}

#[test]
fn checked_hash_pycs_match_cpython() {
    let dir = tempfile::tempdir().expect("tempdir");
    compiled_tree(dir.path(), "checked-hash");
    assert!(compare_all(dir.path()).iter().all(|s| s == "fresh"));
    let changed = dir.path().join("json/decoder.py");
    let text = std::fs::read_to_string(&changed).expect("read");
    std::fs::write(
        &changed,
        text.replacen("JSONDecodeError", "JSONDecodeErrxr", 1),
    )
    .expect("write");
    let states = compare_all(dir.path());
    assert_eq!(
        states.iter().filter(|s| *s == "stale").count(),
        3,
        "{states:?}"
    );
}

#[test]
fn unchecked_hash_pycs_match_cpython() {
    let dir = tempfile::tempdir().expect("tempdir");
    compiled_tree(dir.path(), "unchecked-hash");
    assert!(
        compare_all(dir.path())
            .iter()
            .all(|s| s == "unchecked-matching")
    );
    let changed = dir.path().join("this.py");
    std::fs::write(&changed, "print('changed')\n").expect("write");
    let states = compare_all(dir.path());
    assert_eq!(
        states
            .iter()
            .filter(|s| *s == "unchecked-differing")
            .count(),
        3,
        "{states:?}"
    );
}
