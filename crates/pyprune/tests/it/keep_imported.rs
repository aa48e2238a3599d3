//! Issue 11: on CPython 3.8–3.10 the `minimal` profile's exclusions must keep
//! the dead batteries (`uu`, `imghdr`, `sndhdr`, `audioop`, `chunk`) that kept
//! modules (`email`, `wave`) import, and still remove those nothing imports.
//! Runs on a reduced real stdlib of pyenv's 3.8 and 3.10, skipped (with a note)
//! where pyenv does not have them.

use crate::harness::{TestEnv, pyenv_python, pyprune, remove_caches, stderr};
use std::path::{Path, PathBuf};

/// What `email.message`, `http.client` and `wave` need on 3.8 and 3.10 (found
/// by trial with `python3.X -S`), and two modules nothing here imports.
const MODULES: &[&str] = &[
    "_collections_abc",
    "_random",
    "_sha512",
    "_socket",
    "_struct",
    "abc",
    "array",
    "audioop",
    "base64",
    "binascii",
    "bisect",
    "calendar",
    "chunk",
    "codecs",
    "collections",
    "copyreg",
    "datetime",
    "email",
    "encodings",
    "enum",
    "functools",
    "genericpath",
    "heapq",
    "http",
    "imghdr",
    "importlib",
    "io",
    "json",
    "keyword",
    "locale",
    "math",
    "nntplib",
    "operator",
    "os",
    "posixpath",
    "quopri",
    "random",
    "re",
    "reprlib",
    "select",
    "selectors",
    "site",
    "sndhdr",
    "socket",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "stat",
    "string",
    "struct",
    "telnetlib",
    "types",
    "urllib",
    "uu",
    "warnings",
    "wave",
    "zlib",
];

/// PREFIX/lib/python3.X holding `MODULES` from `stdlib`, compiled by `python`.
fn reduced_stdlib(python: &Path, stdlib: &Path, prefix: &Path) -> PathBuf {
    let lib = prefix
        .join("lib")
        .join(stdlib.file_name().expect("python3.X"));
    std::fs::create_dir_all(lib.join("lib-dynload")).expect("mkdir");
    let dynload: Vec<String> = std::fs::read_dir(stdlib.join("lib-dynload"))
        .expect("lib-dynload")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for module in MODULES {
        let mut from = vec![stdlib.join(module), stdlib.join(format!("{module}.py"))];
        from.extend(
            dynload
                .iter()
                .filter(|n| n.split('.').next() == Some(module))
                .map(|n| stdlib.join("lib-dynload").join(n)),
        );
        for from in from.iter().filter(|p| p.exists()) {
            let to = lib.join(from.strip_prefix(stdlib).expect("inside"));
            let status = std::process::Command::new("cp")
                .args(["-a", "--no-preserve=links"])
                .arg(from)
                .arg(&to)
                .status()
                .expect("cp");
            assert!(status.success(), "cp {from:?}");
        }
    }
    remove_caches(&lib);
    // 3.8 has no `compileall -o`: one run per level, as its installer does.
    for flags in [&[][..], &["-O"], &["-OO"]] {
        let out = pyprune_python::clean_command(python.as_os_str())
            .args(flags)
            .args(["-m", "compileall", "-q"])
            .arg(&lib)
            .output()
            .expect("compileall");
        assert!(
            out.status.success(),
            "compileall {flags:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    lib
}

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
    let Some((python, stdlib)) = pyenv_python(version) else {
        eprintln!("note: pyenv has no Python {version}: issue 11's test skipped for it");
        return;
    };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let lib = reduced_stdlib(&python, &stdlib, &prefix);
    let code = "import email.message, email.mime.image, email.mime.audio, http.client, wave";
    let (ok, err) = runs_on(&python, &prefix, code);
    assert!(ok, "the reduced stdlib itself: {err}");
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--profile", "minimal", "--no-verify", "--python"])
        .arg(&python)
        .arg("--out")
        .arg(&out)
        .arg(&lib)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    let (ok, err) = runs_on(&python, &out, code);
    assert!(ok, "{version}, after minimal: {err}");
    for gone in ["telnetlib", "nntplib"] {
        let (ok, _) = runs_on(&python, &out, &format!("import {gone}"));
        assert!(!ok, "{version}: {gone} is still there");
    }
}

#[test]
fn minimal_keeps_the_dead_batteries_3_8_imports() {
    minimal_keeps_what_kept_modules_import("3.8.18");
}

#[test]
fn minimal_keeps_the_dead_batteries_3_10_imports() {
    minimal_keeps_what_kept_modules_import("3.10.13");
}
