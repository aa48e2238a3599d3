//! `normalize_pyc` on the caches every CPython here ships (pyenv's 3.8–3.13
//! at every level, Debian's 3.11), read where they are installed and
//! normalized into a temporary directory (the test suites' caches, 60% of
//! them, only with `PYPRUNE_NORMALIZE_ALL=1`: some 36,000 files, 170 s on the
//! project's machine under load, which the suite cannot pay for): each normalized file must load, in
//! the interpreter that wrote it, into the same code field by field
//! (`same_code.py`), keep its length, and normalize to itself. And a module
//! compiled by two processes whose other objects differ (one holds another
//! module's code) gives different bytes that normalize to the same.

use pyprune_pyc::normalize_pyc;
use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// (label, interpreter, its standard library) for each CPython 3.8+ here.
fn pythons() -> Vec<(String, PathBuf, PathBuf)> {
    let mut found = Vec::new();
    let root = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    for minor in 8..=13 {
        let versions = root.as_ref().map(|root| root.join("versions"));
        let prefix = versions
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .and_then(OsStr::to_str)
                    .is_some_and(|name| name.starts_with(&format!("3.{minor}.")))
            });
        match prefix {
            Some(prefix) => found.push((
                format!("pyenv 3.{minor}"),
                prefix.join("bin/python3"),
                prefix.join(format!("lib/python3.{minor}")),
            )),
            None => eprintln!("note: no pyenv CPython 3.{minor} here; not checked"),
        }
    }
    let debian = PathBuf::from("/usr/bin/python3.11");
    if debian.exists() {
        found.push(("Debian 3.11".into(), debian, "/usr/lib/python3.11".into()));
    }
    found
}

/// Every `.pyc` under `dir`'s `__pycache__` directories, site-packages left
/// out, and the test suites unless `all`.
fn caches(dir: &Path, all: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let suite = ["test", "tests", "idle_test"].iter().any(|s| name == *s);
        if kind.is_dir() && name != "site-packages" && name != "dist-packages" && (all || !suite) {
            caches(&path, all, out);
        } else if kind.is_file()
            && path.extension().is_some_and(|e| e == "pyc")
            && dir.file_name().is_some_and(|d| d == "__pycache__")
        {
            out.push(path);
        }
    }
}

/// Runs `same_code.py` with `python` on the pairs; panics naming any that differ.
fn assert_same_code(label: &str, python: &Path, pairs: &[(PathBuf, PathBuf)]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/same_code.py");
    let mut child = pyprune_python::clean_command(python.as_os_str())
        .arg("-W")
        .arg("ignore")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    let mut input = String::new();
    for (original, normalized) in pairs {
        input.push_str(&format!(
            "{}\t{}\n",
            original.display(),
            normalized.display()
        ));
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python");
    writer.join().expect("writer").expect("write pairs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with(&format!("checked {}\n", pairs.len())),
        "{label}: normalized caches that load differently:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_installed_cache_normalizes_to_the_same_code_and_to_itself() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let pythons = pythons();
    assert!(!pythons.is_empty(), "no CPython 3.8+ found");
    let all = std::env::var_os("PYPRUNE_NORMALIZE_ALL").is_some_and(|v| v == "1");
    for (label, python, stdlib) in pythons {
        let started = std::time::Instant::now();
        let mut found = Vec::new();
        caches(&stdlib, all, &mut found);
        found.sort();
        let dir = scratch.path().join(label.replace(' ', "-"));
        std::fs::create_dir(&dir).expect("mkdir");
        let mut pairs = Vec::new();
        let mut unchanged = 0;
        for (index, path) in found.iter().enumerate() {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            match normalize_pyc(&bytes) {
                Ok(None) => unchanged += 1,
                Ok(Some(normalized)) => {
                    assert_eq!(normalized.len(), bytes.len(), "{}", path.display());
                    assert_eq!(
                        normalize_pyc(&normalized),
                        Ok(None),
                        "normalizing {} again changes it",
                        path.display()
                    );
                    let copy = dir.join(format!("{index}.pyc"));
                    std::fs::write(&copy, &normalized).expect("write");
                    pairs.push((path.clone(), copy));
                }
                Err(e) => panic!("{label}: {}: {e}", path.display()),
            }
        }
        eprintln!(
            "{label}: {} caches, {} rewritten, {unchanged} normalized already ({:.1} s)",
            found.len(),
            pairs.len(),
            started.elapsed().as_secs_f64()
        );
        // Installed caches come from long compileall runs: some must carry stray marks,
        // or this check would show nothing.
        assert!(!pairs.is_empty(), "{label}: no cache changed");
        assert_same_code(&label, &python, &pairs);
        eprintln!(
            "{label}: compared ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}

/// Compiles `source` to `cfile` with `py_compile`, in a process that first
/// compiled `held` and keeps its code (`None`: a fresh process).
fn py_compile(python: &Path, source: &Path, cfile: &Path, held: Option<&Path>) -> Vec<u8> {
    const SCRIPT: &str = "import py_compile, sys\n\
        held = compile(open(sys.argv[3], 'rb').read(), sys.argv[3], 'exec') if len(sys.argv) > 3 else None\n\
        py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)\n";
    let mut command = pyprune_python::clean_command(python.as_os_str());
    command.args(["-c", SCRIPT]).arg(source).arg(cfile);
    command.args(held);
    let out = command.output().expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(cfile).expect("read cache")
}

#[test]
fn a_module_compiled_by_differently_filled_processes_normalizes_to_the_same_bytes() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut raw_differed = Vec::new();
    for (label, python, stdlib) in pythons() {
        let (source, held) = (
            stdlib.join("json/decoder.py"),
            stdlib.join("json/scanner.py"),
        );
        let fresh = py_compile(&python, &source, &scratch.path().join("a.pyc"), None);
        let filled = py_compile(&python, &source, &scratch.path().join("b.pyc"), Some(&held));
        if fresh != filled {
            raw_differed.push(label.clone());
        }
        let normalized = |bytes: &[u8]| {
            normalize_pyc(bytes)
                .expect("normalizes")
                .unwrap_or(bytes.to_vec())
        };
        assert!(
            normalized(&fresh) == normalized(&filled),
            "{label}: json/decoder.py normalizes to different bytes"
        );
    }
    eprintln!("raw bytes differed on: {raw_differed:?}");
    // 3.8 to 3.10 mark a name another live object holds (gh-98819): without such a
    // release here this test would prove nothing.
    assert!(!raw_differed.is_empty(), "no release compiled differently");
}
