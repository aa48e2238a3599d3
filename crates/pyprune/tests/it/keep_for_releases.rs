//! Issue 14 on the other releases (`keep_for.rs` proves `--keep-for` on
//! pyenv's 3.12): on the reduced copies `zip_layouts.rs` makes of pyenv's
//! 3.8 and 3.13 and `version_matrix.rs` of Debian's 3.11 (no copy of their
//! own: one costs about 10 s), one small program is kept for, with `--keep`
//! and `--drop`, and its result run by its own interpreter, the copy moved
//! out of reach. Its output must be what the original interpreter prints
//! for the same program; the module `--keep` named (which nothing the
//! program reaches imports) imports; the one `--drop` named (which the
//! program imports in a function it never calls) raises the
//! `ModuleNotFoundError` naming `--keep-for`. With a zip step (issue 17,
//! point 2), the application's needs are the zip's hot path: every
//! bytecode member is stored (what keep-for keeps is all needed), among
//! them each module the program loads from the zip (the interpreter's own
//! `sys.modules`), as Python's `zipfile` reads the central directory; the
//! common entry points' imports alone would leave `colorsys` deflated. On
//! request, a `--drop` of a start-up module is refused, and the program is
//! kept for in place, then undone to the copy byte for byte.

use crate::harness::{pyprune, stderr};
use crate::keep_for::run;
use crate::pythons::{Installed, Reduced};
use crate::signals::snapshot;
use pyprune_steps::{StepName, error_message};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The program: json, argparse, email and colorsys (no common entry point
/// imports colorsys), and csv only in a function it never calls.
const APP: &str = r#"import argparse, colorsys, json
from email.message import EmailMessage

parser = argparse.ArgumentParser()
parser.add_argument("--to", default="nobody@example.org")
args = parser.parse_args()
message = EmailMessage()
message["To"] = args.to
message.set_content(json.dumps({"hls": colorsys.rgb_to_hls(1.0, 0.5, 0.0)}))
print(message["To"], json.loads(message.get_content())["hls"])


def export():
    import csv
    return csv
"#;

/// A module no import of the program reaches (kept with `--keep`), and one
/// its static closure holds (removed with `--drop`).
const KEPT: &str = "wave";
const DROPPED: &str = "csv";

/// Runs the program (its path first) and prints every module then loaded.
const RUN_AND_LIST: &str = r#"
import runpy, sys
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print(" ".join(sys.modules))
"#;

/// The modules a copy of `installed` must hold for [`APP`] (written into
/// `work`): what the original loads running it (argparse imports more as
/// it builds a parser than at its import), [`KEPT`], [`DROPPED`], and
/// `runpy`: keep-for asks what `python -m site` loads to start.
pub fn needed(installed: &Installed, work: &Path) -> Vec<String> {
    let app = work.join("app.py");
    std::fs::write(&app, APP).expect("write app.py");
    let (ok, loaded, said) = run(
        &installed.python,
        work,
        &["-c", RUN_AND_LIST, app.to_str().expect("utf-8")],
    );
    assert!(ok, "{}: {said}", installed.label);
    let last = loaded.lines().last().unwrap_or_default();
    last.split(' ')
        .chain([KEPT, DROPPED, "runpy"])
        .filter(|name| *name != "__main__")
        .map(str::to_owned)
        .collect()
}

/// Imports the names given, then prints the member of the zip each module
/// loaded from it came from (run by the result).
const FROM_THE_ZIP: &str = r#"
import importlib, sys
zip_path = sys.argv[1]
for name in sys.argv[2:]:
    importlib.import_module(name)
for name, module in sorted(sys.modules.items()):
    path = getattr(module, "__file__", None) or ""
    if path.startswith(zip_path + "/"):
        print(name, path[len(zip_path) + 1:])
"#;

/// Prints each member of the zip and its compression method, as `zipfile`
/// reads the central directory (run by the original: keep-for left the
/// result no `zipfile`).
const METHODS: &str = r#"
import sys, zipfile
for info in zipfile.ZipFile(sys.argv[1]).infolist():
    print(info.filename, info.compress_type)
"#;

/// What to do besides keeping the program on a copy.
pub struct Extra<'a> {
    /// Steps applied with keep-for (`--steps zip-stdlib`).
    pub args: &'a [&'a str],
    /// The zip they write, relative to the result.
    pub zip: Option<PathBuf>,
    /// `--drop` of a start-up module refused.
    pub refusal: bool,
    /// Kept for in place, then undone.
    pub in_place: bool,
}

/// `pyprune ARGS` in `cwd`.
fn pyprune_in(cwd: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    pyprune()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("pyprune")
}

/// Keeps [`APP`] (in `work`, written by [`needed`]) on the copy `reduced`
/// of `installed` (with `extra`), and checks its results as the module docs say.
pub fn keep_for_on(installed: &Installed, reduced: &Reduced, work: &Path, extra: &Extra<'_>) {
    let what = format!("{} keep-for", installed.label);
    // Written by [`needed`].
    let program = ["app.py", "--to", "ada@example.org"];
    let (ok, expected, said) = run(&installed.python, work, &program);
    assert!(
        ok && expected.starts_with("ada@example.org ["),
        "{what}: {said}"
    );
    let prefix = reduced.prefix.as_os_str();

    if extra.refusal {
        let out = work.join("refused");
        let output = pyprune_in(
            work,
            &[
                "apply".as_ref(),
                prefix,
                "--out".as_ref(),
                out.as_os_str(),
                "--keep-for".as_ref(),
                "app.py".as_ref(),
                "--drop".as_ref(),
                "encodings".as_ref(),
            ],
        );
        let said = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{what}: {said}");
        assert!(
            said.contains("--drop encodings: Python needs `encodings") && said.contains("to start"),
            "{what}: {said}"
        );
        assert!(!out.exists(), "{what}: {}", out.display());
    }

    let out = work.join("kept-for");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "apply".as_ref(),
        prefix,
        "--out".as_ref(),
        out.as_os_str(),
        "--no-verify".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--keep-for".as_ref(),
        "app.py".as_ref(),
        "--keep".as_ref(),
        KEPT.as_ref(),
        "--drop".as_ref(),
        DROPPED.as_ref(),
    ];
    args.extend(extra.args.iter().map(std::ffi::OsStr::new));
    let output = pyprune_in(work, &args);
    assert!(output.status.success(), "{what}: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let removed: Vec<&str> = report["keep_for"]["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(
        removed.contains(&DROPPED) && !removed.contains(&KEPT) && !removed.contains(&"json"),
        "{what}: {removed:?}"
    );

    // The copy out of reach: only the result can serve.
    let hidden = reduced.prefix.with_extension("hidden");
    std::fs::rename(&reduced.prefix, &hidden).expect("hide the copy");
    let rel = reduced
        .python
        .strip_prefix(&reduced.prefix)
        .expect("inside");
    let python = out.join(rel);
    let (ok, stdout, said) = run(&python, work, &program);
    assert!(ok, "{what}: {said}");
    assert_eq!(stdout, expected, "{what}");
    let import = |name: &str| importing(&python, work, name);
    let (ok, _, said) = import(KEPT);
    assert!(ok, "{what}: --keep {KEPT}: {said}");
    let (ok, _, said) = import(DROPPED);
    let message = error_message(DROPPED, StepName::KeepFor, None);
    assert!(
        !ok && said.ends_with(&format!("ModuleNotFoundError: {message}")),
        "{what}: --drop {DROPPED}: {said}"
    );

    if let Some(zip) = &extra.zip {
        let zip = out.join(zip);
        let zip_text = zip.to_str().expect("utf-8");
        let mut check = vec!["-s", "-c", FROM_THE_ZIP, zip_text];
        check.extend(["argparse", "colorsys", "email.message", "json"]);
        let (ok, loaded, said) = run(&python, work, &check);
        assert!(ok, "{what}: {said}");
        let (ok, listed, said) = run(&installed.python, work, &["-I", "-c", METHODS, zip_text]);
        assert!(ok, "{what}: {said}");
        let methods: BTreeMap<&str, &str> =
            listed.lines().filter_map(|l| l.split_once(' ')).collect();
        let loaded: Vec<(&str, &str)> = loaded.lines().filter_map(|l| l.split_once(' ')).collect();
        assert!(
            loaded.iter().any(|(name, _)| *name == "colorsys"),
            "{what}: {loaded:?}"
        );
        for (name, member) in &loaded {
            assert!(
                member.ends_with(".pyc") && methods.get(member) == Some(&"0"),
                "{what}: {name} loaded from {member}, packed {:?} (0 is stored)",
                methods.get(member)
            );
        }
        let deflated: Vec<&&str> = methods
            .iter()
            .filter(|(member, method)| member.ends_with(".pyc") && **method != "0")
            .map(|(member, _)| member)
            .collect();
        assert!(
            deflated.is_empty(),
            "{what}: bytecode deflated: {deflated:?}"
        );
        let sources_deflated = methods
            .iter()
            .filter(|(member, _)| member.ends_with(".py"))
            .all(|(_, method)| *method == "8");
        assert!(sources_deflated, "{what}: {listed}");
    }
    std::fs::rename(&hidden, &reduced.prefix).expect("bring back the copy");

    if extra.in_place {
        let before = snapshot(&reduced.prefix);
        let output = pyprune_in(
            work,
            &[
                "apply".as_ref(),
                prefix,
                "--in-place".as_ref(),
                "--no-verify".as_ref(),
                "--keep-for".as_ref(),
                "app.py".as_ref(),
            ],
        );
        assert!(
            output.status.success(),
            "{what} in place: {}",
            stderr(&output)
        );
        let (ok, stdout, said) = run(&reduced.python, work, &program);
        assert!(ok, "{what} in place: {said}");
        assert_eq!(stdout, expected, "{what} in place");
        assert!(
            !importing(&reduced.python, work, KEPT).0,
            "{what} in place: {KEPT} stayed"
        );
        let output = pyprune_in(work, &["undo".as_ref(), prefix]);
        assert!(output.status.success(), "{what} undo: {}", stderr(&output));
        assert!(
            snapshot(&reduced.prefix) == before,
            "{what}: undo did not restore the copy"
        );
    }
}

/// `python -c "import NAME"`, as [`run`] runs it.
fn importing(python: &Path, cwd: &Path, name: &str) -> (bool, String, String) {
    run(python, cwd, &["-c", &format!("import {name}")])
}
