//! Issue 11: on CPython 3.8–3.10 the `minimal` profile's exclusions must keep
//! the dead batteries (`uu`, `imghdr`, `sndhdr`, `audioop`, `chunk`) that kept
//! modules (`email`, `wave`) import, and still remove those nothing imports.
//! Runs on a reduced real copy of pyenv's 3.8 and 3.10, skipped (with a note)
//! where pyenv does not have them.

use crate::harness::{TestEnv, pyprune, stderr};
use crate::pythons::{find_or_note, reduced_copy};
use std::path::Path;

/// What the copies are made of (with what these import): modules that import
/// dead batteries on 3.8–3.10, and two dead batteries nothing here imports.
/// (No `zlib`: `minimal`'s zip must then be one zipimport reads without it.)
const WANTED: &[&str] = &[
    "email.message",
    "email.mime.image",
    "email.mime.audio",
    "http.client",
    "wave",
    "telnetlib",
    "nntplib",
];

/// Whether `code` runs with `python` on the prefix `home`; its stderr.
fn runs_on(python: &Path, home: &Path, code: &str) -> (bool, String) {
    let out = std::process::Command::new(python)
        .args(["-S", "-s", "-c", code])
        .env_clear()
        .env("PYTHONHOME", home)
        .output()
        .expect("python");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn minimal_keeps_what_kept_modules_import(version: &str) {
    let Some(installed) = find_or_note(version, "issue 11's keep-imports test") else {
        return;
    };
    let env = TestEnv::new();
    let reduced = reduced_copy(&installed, &env.path().join("prefix"), WANTED);
    let (python, prefix, lib) = (&installed.python, &reduced.prefix, &reduced.stdlib);
    let code = "import email.message, email.mime.image, email.mime.audio, http.client, wave";
    let (ok, err) = runs_on(python, prefix, code);
    assert!(ok, "the reduced stdlib itself: {err}");
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--profile", "minimal", "--no-verify", "--python"])
        .arg(python)
        .arg("--out")
        .arg(&out)
        .arg(lib)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    let (ok, err) = runs_on(python, &out, code);
    assert!(ok, "{version}, after minimal: {err}");
    for gone in ["telnetlib", "nntplib"] {
        let (ok, _) = runs_on(python, &out, &format!("import {gone}"));
        assert!(!ok, "{version}: {gone} is still there");
    }
}

#[test]
fn minimal_keeps_the_dead_batteries_3_8_imports() {
    minimal_keeps_what_kept_modules_import("3.8");
}

#[test]
fn minimal_keeps_the_dead_batteries_3_10_imports() {
    minimal_keeps_what_kept_modules_import("3.10");
}
