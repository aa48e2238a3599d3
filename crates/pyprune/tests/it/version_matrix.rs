//! Issue 11's matrix: every CPython on this machine (pyenv's 3.8, 3.9, 3.10,
//! 3.12, 3.13 and Debian's 3.11; the pyenv 3.11 is the reference tree the
//! other tests use in full), each as a reduced copy, given the profiles
//! `fedora-default`, `compact`, `full-zip` and `minimal` with `--out`. The
//! result must verify (apply fails otherwise), and then, run by its own binary
//! with the original moved out of its reach:
//!
//! - every module that imported from the copy imports at -O0, -O and -OO
//!   (but those `minimal` removes on purpose);
//! - where the profile promises it, a traceback through a stdlib module shows
//!   its source line, and those runs, with bytecode writing on, create no file;
//! - where the profile installed pyprune's runtime, every start loads it
//!   (Debian's site reads dist-packages only);
//! - every link is still a link to the same target, and every file and
//!   directory that is in both has the same mode.
//!
//! The copies are laid out as their interpreters ship: pyenv's as a prefix
//! (Docker's `/usr/local` is the same layout), Debian's as `/usr` with its
//! `sitecustomize` a link to /etc and opt-0 caches only.
//!
//! Debian's copy then serves `keep_for_releases.rs`: one program kept for.
//!
//! An interpreter that is not installed is skipped with a note.

use crate::harness::{TestEnv, paths_under, pyprune, removed_by_minimal, stderr};
use crate::keep_for_releases::{Extra, keep_for_on, needed};
use crate::pythons::{Reduced, find_or_note, reduced_copy};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

const PROFILES: &[&str] = &["fedora-default", "compact", "full-zip", "minimal"];

/// Modules the copies are made of (with what they import): start-up, a few
/// everyday ones with a C part, and some that `minimal` removes on purpose
/// (where the release still has them).
const WANTED: &[&str] = &[
    "json",
    "email.message",
    "http.client",
    "decimal",
    "logging",
    "wave",
    "telnetlib",
    // zipimport needs it to read a deflated zip.
    "zlib",
];

/// Imports every name given; prints `FAIL name error` for each that fails.
const IMPORT_ALL: &str = r#"
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as error:
        print("FAIL", name, type(error).__name__, " ".join(str(error).split()))
"#;

/// With `keep_for`, the copy (made to hold its program too) is then kept
/// for one program (`keep_for_releases.rs`).
fn matrix(version: &str, keep_for: bool) {
    let Some(installed) = find_or_note(version, "the version matrix") else {
        return;
    };
    let env = TestEnv::new();
    let input = env.path().join("input");
    let program = match keep_for {
        true => needed(&installed, env.path()),
        false => Vec::new(),
    };
    let wanted: Vec<&str> = WANTED
        .iter()
        .copied()
        .chain(program.iter().map(String::as_str))
        .collect();
    let reduced = reduced_copy(&installed, &input, &wanted);
    let cwd = env.path().join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let before = Importable::of(&reduced, &cwd);
    assert!(
        before.at[0].len() > 20,
        "{}: the copy itself imports only {:?}",
        installed.label,
        before.at[0]
    );
    // Every profile is tried before the test fails, so that one run shows all that broke.
    let label = &installed.label;
    let problems: Vec<String> = PROFILES
        .iter()
        .flat_map(|profile| {
            let out = env.path().join(format!("out-{profile}"));
            one_profile(profile, &reduced, &before, &input, &out, &cwd)
                .into_iter()
                .map(move |problem| format!("{label}, {profile}: {problem}"))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    if keep_for {
        let extra = Extra {
            args: &[],
            zip: None,
            refusal: false,
            in_place: false,
        };
        keep_for_on(&installed, &reduced, env.path(), &extra);
    }
}

/// Applies `profile` to the copy in `input` (its prefix) into `out` and
/// checks the result with `input` out of its reach; what went wrong.
fn one_profile(
    profile: &str,
    reduced: &Reduced,
    before: &Importable,
    input: &Path,
    out: &Path,
    cwd: &Path,
) -> Vec<String> {
    // No --python: pyprune finds the copy's own interpreter, as users rely on.
    let output = pyprune()
        .args(["apply", "--profile", profile, "--format", "json", "--out"])
        .arg(out)
        .arg(&reduced.prefix)
        .output()
        .expect("apply");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    if !output.status.success() {
        return vec![format!(
            "apply failed\n{:#}\n{}",
            report["verify"]["regressions"],
            stderr(&output)
        )];
    }
    let mut problems = same_links_and_modes(&reduced.prefix, out);
    let moved = |path: &Path| {
        let rel = path
            .strip_prefix(&reduced.prefix)
            .expect("inside the input");
        out.join(rel)
    };
    let result = Reduced {
        prefix: moved(&reduced.prefix),
        python: moved(&reduced.python),
        stdlib: moved(&reduced.stdlib),
        modules: reduced.modules.clone(),
    };

    // The original out of reach: nothing of the result may lean on it.
    let hidden = input.with_extension("hidden");
    std::fs::rename(input, &hidden).expect("hide the original");
    let files_before = files_of(out);
    let after = Importable::of(&result, cwd);
    for (level, (was, now)) in before.at.iter().zip(&after.at).enumerate() {
        let lost: Vec<&String> = was
            .iter()
            .filter(|m| !now.contains(*m))
            .filter(|m| !(profile == "minimal" && removed_by_minimal(top(m))))
            .collect();
        if !lost.is_empty() {
            problems.push(format!(
                "-O{level}: no longer imports {lost:?}:\n{}",
                after.failures[level]
            ));
        }
    }
    // Where the profile installed pyprune's runtime, every start loads it
    // (Debian's site reads dist-packages only: the `.pth` must be there).
    if result.stdlib.join("pyprune_runtime.py").is_file() && !runtime_loads(&result.python, cwd) {
        problems.push("pyprune's runtime is installed but a start does not load it".into());
    }
    let promises = &report["verify"]["promises"];
    if promises["tracebacks"] == true
        && let Err(problem) = traceback_shows_line(&result.python, cwd)
    {
        problems.push(problem);
    }
    if promises["no_writes"] == true {
        let files_after = files_of(out);
        let written: Vec<&PathBuf> = files_after.difference(&files_before).collect();
        if !written.is_empty() {
            problems.push(format!("Python wrote {written:?}"));
        }
    }
    std::fs::rename(&hidden, input).expect("bring back the original");
    problems
}

fn top(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// Which of the copy's modules import, at -O0, -O and -OO.
struct Importable {
    at: Vec<BTreeSet<String>>,
    /// What the failures said, per level.
    failures: Vec<String>,
}

impl Importable {
    /// Run by the tree's own binary.
    fn of(tree: &Reduced, cwd: &Path) -> Importable {
        let mut at = Vec::new();
        let mut failures = Vec::new();
        for flags in [&[][..], &["-O"], &["-OO"]] {
            let output = std::process::Command::new(&tree.python)
                .arg("-s")
                .args(flags)
                .args(["-c", IMPORT_ALL])
                .args(&tree.modules)
                .env_clear()
                .current_dir(cwd)
                .output()
                .expect("python");
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                output.status.success(),
                "{} {flags:?}: {}{text}",
                tree.python.display(),
                stderr(&output)
            );
            let failed: BTreeSet<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("FAIL "))
                .filter_map(|l| l.split(' ').next())
                .collect();
            at.push(
                tree.modules
                    .iter()
                    .filter(|m| !failed.contains(m.as_str()))
                    .cloned()
                    .collect(),
            );
            failures.push(text);
        }
        Importable { at, failures }
    }
}

/// Whether a start of `python` (site on, as users run it) loads pyprune's runtime.
fn runtime_loads(python: &Path, cwd: &Path) -> bool {
    let output = std::process::Command::new(python)
        .args([
            "-s",
            "-c",
            "import sys; print('pyprune_runtime' in sys.modules)",
        ])
        .env_clear()
        .current_dir(cwd)
        .output()
        .expect("python");
    String::from_utf8_lossy(&output.stdout).trim() == "True"
}

/// A traceback through `json.decoder` (in the zip, sourceless or on disk)
/// shows the line it raised at, in the main thread and in another.
fn traceback_shows_line(python: &Path, cwd: &Path) -> Result<(), String> {
    let main = "import json; json.loads('{')";
    let thread = "import json, threading\n\
                  t = threading.Thread(target=json.loads, args=('{',))\n\
                  t.start(); t.join()";
    for code in [main, thread] {
        let output = std::process::Command::new(python)
            .args(["-s", "-c", code])
            .env_clear()
            .current_dir(cwd)
            .output()
            .expect("python");
        let text = String::from_utf8_lossy(&output.stderr).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines.windows(2).any(|pair| {
            pair[0].contains("decoder.py\", line ")
                && pair[1].starts_with("    ")
                && !pair[1].trim().is_empty()
        });
        if !shown {
            return Err(format!("the traceback shows no source line:\n{text}"));
        }
    }
    Ok(())
}

/// Every path under `root`, relative.
fn files_of(root: &Path) -> BTreeSet<PathBuf> {
    paths_under(root)
        .into_iter()
        .map(|path| path.strip_prefix(root).expect("inside").to_path_buf())
        .collect()
}

/// Links stay links to the same target; what is in both trees keeps its mode.
fn same_links_and_modes(input: &Path, out: &Path) -> Vec<String> {
    let lstat = |root: &Path| -> BTreeMap<PathBuf, (u32, Option<PathBuf>)> {
        files_of(root)
            .into_iter()
            .map(|rel| {
                let path = root.join(&rel);
                let meta = path.symlink_metadata().expect("lstat");
                let link = meta
                    .file_type()
                    .is_symlink()
                    .then(|| std::fs::read_link(&path).expect("readlink"));
                (rel, (meta.mode(), link))
            })
            .collect()
    };
    let (was, now) = (lstat(input), lstat(out));
    was.iter()
        .filter_map(|(rel, before)| {
            let after = now.get(rel)?;
            (before != after).then(|| {
                format!(
                    "{} changed: mode {:o}, link {:?} before; mode {:o}, link {:?} after",
                    rel.display(),
                    before.0,
                    before.1,
                    after.0,
                    after.1
                )
            })
        })
        .collect()
}

#[test]
fn cpython_3_8() {
    matrix("3.8", false);
}

#[test]
fn cpython_3_9() {
    matrix("3.9", false);
}

#[test]
fn cpython_3_10() {
    matrix("3.10", false);
}

#[test]
fn cpython_3_12() {
    matrix("3.12", false);
}

#[test]
fn cpython_3_13() {
    matrix("3.13", false);
}

#[test]
fn debian_3_11() {
    matrix("debian", true);
}
