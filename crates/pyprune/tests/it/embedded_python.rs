//! The Python that pyprune carries, compiled (not run) by every CPython on this
//! machine: the files the crates embed with `include_str!` — found by scanning
//! the crates' sources, so a newly embedded file is checked too — and the
//! Python helpers of the tests and benches. The interpreters are `python3`
//! (required) and each pyenv version's `bin/python3`, when pyenv is there.
//! Warnings are errors: a `SyntaxWarning` today is a `SyntaxError` in a later
//! release.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (file relative to the workspace, release `3.X`) pairs known not to compile,
/// each with a comment giving the error. They are left out of the failures; one that compiles
/// again fails the test until it is taken off this list. None today: every
/// file compiles on 3.6 to 3.13.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// Compiles each file named on the command line and prints one line per file:
/// `OK\tPATH` or `FAIL\tPATH\tERROR`, after a first line `VERSION\t3.X`.
const CHECK: &str = r#"
import sys
print("VERSION\t%d.%d" % sys.version_info[:2])
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        compile(source, path, "exec", dont_inherit=True)
    except BaseException as e:
        print("FAIL\t%s\t%s: %s" % (path, type(e).__name__, str(e).replace("\n", " ")))
    else:
        print("OK\t%s" % path)
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace")
}

/// Every file under `dir` (none if it does not exist), build output left out.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            if path.symlink_metadata().expect("lstat").is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The `.py` files that the crates' Rust sources embed with `include_str!`.
fn embedded_python_files(root: &Path) -> BTreeSet<PathBuf> {
    let pattern = regex::Regex::new(r#"include_str!\(\s*"([^"]+\.py)"\s*,?\s*\)"#).expect("regex");
    let mut embedded = BTreeSet::new();
    for rust in files_under(&root.join("crates"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(&rust).expect("read a Rust source");
        for found in pattern.captures_iter(&text) {
            let path = rust.parent().expect("a directory").join(&found[1]);
            let path = path
                .canonicalize()
                .unwrap_or_else(|e| panic!("{} embeds {}: {e}", rust.display(), &found[1]));
            embedded.insert(path);
        }
    }
    embedded
}

/// The Python helpers that the tests and benches run.
fn helper_python_files(root: &Path) -> BTreeSet<PathBuf> {
    let mut dirs = vec![root.join("bench")];
    for krate in std::fs::read_dir(root.join("crates")).expect("crates") {
        dirs.push(krate.expect("entry").path().join("tests"));
    }
    dirs.iter()
        .flat_map(|d| files_under(d))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect()
}

/// `python3`, then each pyenv installation's `bin/python3` (a note for each one absent).
fn interpreters() -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("python3")];
    let versions = crate::pythons::pyenv_versions();
    if versions.is_empty() {
        eprintln!("note: no pyenv here; only python3 compiles the embedded Python");
    }
    for (_, dir) in versions {
        let python = dir.join("bin/python3");
        if python.is_file() {
            found.push(python);
        } else {
            eprintln!("note: skipped {}: no bin/python3", dir.display());
        }
    }
    found
}

#[test]
fn embedded_python_compiles_on_every_cpython_here() {
    let root = workspace();
    let embedded = embedded_python_files(&root);
    for expected in [
        "crates/pyprune-steps/python/pyprune_runtime.py",
        "crates/pyprune-steps/python/sitecustomize.py",
        "crates/pyprune-verify/python/verify_worker.py",
        "crates/pyprune-python/python/compile_worker.py",
    ] {
        assert!(
            embedded.contains(&root.join(expected)),
            "the scan of include_str! missed {expected}: {embedded:?}"
        );
    }
    let files: BTreeSet<PathBuf> = embedded
        .into_iter()
        .chain(helper_python_files(&root))
        .collect();
    let relative = |path: &str| {
        Path::new(path)
            .strip_prefix(&root)
            .unwrap_or(Path::new(path))
            .to_string_lossy()
            .into_owned()
    };

    let mut failures = Vec::new();
    let mut known_seen = BTreeSet::new();
    let mut releases = BTreeSet::new();
    for python in interpreters() {
        let run = pyprune_python::clean_command(python.as_os_str())
            .args(["-I", "-W", "error", "-c", CHECK])
            .args(&files)
            .output();
        let output = match run {
            Ok(output) => output,
            Err(e) if python == Path::new("python3") => panic!("python3 is required: {e}"),
            Err(e) => {
                eprintln!("note: skipped {}: {e}", python.display());
                continue;
            }
        };
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{} failed: {}{text}",
            python.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut lines = text.lines();
        let release = lines
            .next()
            .and_then(|l| l.strip_prefix("VERSION\t"))
            .unwrap_or_else(|| panic!("{}: no version in {text:?}", python.display()))
            .to_owned();
        let mut checked = 0;
        for line in lines {
            let fields: Vec<&str> = line.splitn(3, '\t').collect();
            checked += 1;
            match fields[..] {
                ["OK", path] => {
                    let file = relative(path);
                    if KNOWN_FAILURES.contains(&(file.as_str(), release.as_str())) {
                        failures.push(format!(
                            "{file} compiles on Python {release} now: take it off KNOWN_FAILURES"
                        ));
                    }
                }
                ["FAIL", path, error] => {
                    let file = relative(path);
                    if KNOWN_FAILURES.contains(&(file.as_str(), release.as_str())) {
                        known_seen.insert((file, release.clone()));
                    } else {
                        failures.push(format!(
                            "{file} does not compile on Python {release} ({}): {error}",
                            python.display()
                        ));
                    }
                }
                _ => panic!("{}: unexpected line {line:?}", python.display()),
            }
        }
        assert_eq!(checked, files.len(), "{}: {text}", python.display());
        eprintln!(
            "{} (Python {release}): {} files compiled",
            python.display(),
            files.len()
        );
        releases.insert(release);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "releases checked: {releases:?}; known failures seen: {}",
        known_seen.len()
    );
}
