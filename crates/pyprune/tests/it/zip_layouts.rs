//! Issue 17: every zip layout pyprune writes is read by CPython's own
//! zipimport, on reduced copies of pyenv's 3.8, 3.12 and 3.13 (their
//! zipimports differ), and its bytecode members are what `py_compile` writes
//! for the same source. One source of the copy is edited after it was
//! compiled: its stale cache must not go into the zip, but bytecode compiled
//! anew from the edited source (by the tree's own interpreter).
//!
//! For each release, four layouts with `apply --out --no-verify` (the full
//! `verify` of zips runs in `profiles.rs` and `version_matrix.rs`):
//! `zip-stdlib` (hot bytecode stored, the rest deflated), `zip-stdlib-stored`,
//! `zip-stdlib-deflated --zip-hashes checked`, and `zip-stdlib-bytecode` (no
//! sources). (`--zopfli` on a copy takes minutes: the unit test
//! `zipimport_reads_zopfli_members` has 3.8's and 3.13's zipimport read a
//! zopfli zip of a few members.) Each is checked by:
//! - the copy's own binary importing the modules, each loaded by `zipimporter`
//!   from the zip, the edited module's new code running;
//! - `zip_members.py` run by the release: every `.pyc` member against
//!   `py_compile.compile(..., invalidation_mode=UNCHECKED_HASH)` (or
//!   CHECKED_HASH) of the same source, named as zipimport would name it:
//!   byte for byte, or where marshal's back-references differ between the two
//!   processes (3.8, 3.13: it marks what something else in the process
//!   holds), the same header and equal code naming the same file; on 3.12
//!   every member is byte-identical; the members' methods (only stored, 0,
//!   and deflated, 8, and as the layout says);
//! - `zip_once.py` run by the copy: with pyprune's runtime (the layouts with
//!   sources bring it) each module imported from the zip is read once (the
//!   archive's `open` audit events), without it (the bytecode-only layout,
//!   and the first layout under `python -S`) twice, as zipimport does; and a
//!   zip rewritten and re-read gives its new code, not the runtime's memory.
//!
//! Before that, the copy serves `split_releases.rs` (`split --check`), and
//! 3.12's `split_container.rs` (the README's container build).
//! On 3.8 and 3.13 the copy then serves `keep_for_releases.rs`: one program
//! kept for with `zip-stdlib`, whose hot path is then what it needs.

use crate::harness::{TestEnv, pyprune, stderr};
use crate::keep_for_releases::{Extra, keep_for_on, needed};
use crate::pythons::{find_or_note, reduced_copy};
use std::path::Path;

/// Modules whose imports the copy holds (beyond start-up's).
const WANTED: &[&str] = &["json", "email.message", "csv", "textwrap"];
/// The module edited after compiling (a top-level one: its cache is in the
/// stdlib's own `__pycache__`).
const EDITED: &str = "csv.py";
const EDIT: &str = "\nPYPRUNE_EDITED = 'new code'\n";

/// A layout: its name, the apply arguments, the hash mode, the methods its
/// bytecode may have, and whether it brings pyprune's runtime (the layouts
/// with sources, for their tracebacks).
struct Layout {
    name: &'static str,
    args: &'static [&'static str],
    mode: &'static str,
    bytecode_methods: &'static [u32],
    runtime: bool,
}

const LAYOUTS: &[Layout] = &[
    Layout {
        name: "hot",
        args: &["--steps", "zip-stdlib"],
        mode: "unchecked",
        bytecode_methods: &[0, 8],
        runtime: true,
    },
    Layout {
        name: "stored",
        args: &["--steps", "zip-stdlib-stored"],
        mode: "unchecked",
        bytecode_methods: &[0],
        runtime: true,
    },
    Layout {
        name: "deflated-checked",
        args: &["--steps", "zip-stdlib-deflated", "--zip-hashes", "checked"],
        mode: "checked",
        bytecode_methods: &[8],
        runtime: true,
    },
    Layout {
        name: "bytecode",
        args: &["--steps", "zip-stdlib-bytecode"],
        mode: "unchecked",
        bytecode_methods: &[8],
        runtime: false,
    },
];

const IMPORTS: &str = r#"
import importlib, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    print(name, type(module.__loader__).__name__, module.__file__)
import csv
print("edited:", getattr(csv, "PYPRUNE_EDITED", None))
"#;

/// With `keep_for`, the copy (made to hold its program too) is then kept
/// for one program with `zip-stdlib` (`keep_for_releases.rs`).
fn zip_layouts_import_and_match_py_compile(version: &str, keep_for: Option<(bool, bool)>) {
    let Some(installed) = find_or_note(version, "zip_layouts") else {
        return;
    };
    let env = TestEnv::new();
    let input = env.path().join("input");
    // With zlib (an extension module of pyenv's builds), or zipimport could
    // not inflate, and pyprune would store every member.
    let program = match keep_for {
        Some(_) => needed(&installed, env.path()),
        None => Vec::new(),
    };
    let wanted: Vec<&str> = WANTED
        .iter()
        .copied()
        .chain(["zlib"])
        // zip_once.py's own (its scratch zip).
        .chain(["tempfile", "zipfile"])
        .chain(program.iter().map(String::as_str))
        .collect();
    let reduced = reduced_copy(&installed, &input, &wanted);
    // Edited after compiling: its caches are stale (another size and mtime).
    let edited = reduced.stdlib.join(EDITED);
    let mut text = std::fs::read(&edited).expect("read csv.py");
    text.extend_from_slice(EDIT.as_bytes());
    std::fs::write(&edited, text).expect("edit csv.py");
    // The copy split first, while it is as the release ships; 3.12's then
    // stands for the README's container image.
    let trimmed = crate::split_releases::split_on(&installed, &reduced, env.path());
    if installed.short == "3.12" {
        crate::split_container::container_build_runs(&trimmed, env.path());
    }
    let zip_name = format!("python{}.zip", installed.short.replace('.', ""));
    for layout in LAYOUTS {
        let out = env.path().join(layout.name);
        let output = pyprune()
            .args(["apply", "--no-verify", "--python"])
            .arg(&reduced.python)
            .args(layout.args)
            .arg("--out")
            .arg(&out)
            .arg(&input)
            .output()
            .expect("run pyprune");
        let what = format!("{} {}", installed.label, layout.name);
        assert!(output.status.success(), "{what}: {}", stderr(&output));
        let zip = out.join("lib").join(&zip_name);

        // CPython's zipimport loads every module from the zip, and the edited code.
        let python = out.join("bin").join(format!("python{}", installed.short));
        let run = pyprune_python::clean_command(python.as_os_str())
            .args(["-s", "-B", "-c", IMPORTS])
            .args(WANTED)
            .current_dir(env.path())
            .output()
            .expect("run the copy");
        let said = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{what}: {said}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        for module in WANTED {
            let line = said
                .lines()
                .find(|l| l.starts_with(&format!("{module} ")))
                .unwrap_or_else(|| panic!("{what}: {module} not imported: {said}"));
            let zip_text = zip.to_string_lossy();
            assert!(
                line.contains(" zipimporter ") && line.contains(&*zip_text),
                "{what}: {module} not from the zip: {line}"
            );
        }
        assert!(
            said.contains("edited: new code"),
            "{what}: the edited module runs its old code: {said}"
        );
        reads_each_module_once(&python, &zip, layout, env.path(), &what);
        if layout.name == "hot" {
            // Without the runtime (python -S) zipimport reads each twice: the
            // check above sees the difference.
            let twice = zip_opens(&python, &zip, &["-S", "-s", "-B"], env.path());
            assert_eq!(twice.opens, 2 * twice.zipped, "{what} -S: {twice:?}");
        }

        // Every bytecode member is py_compile's, packed as the layout says.
        let checked = pyprune_python::clean_command(installed.python.as_os_str())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/zip_members.py"))
            .arg(&zip)
            .arg(input.join("lib").join(&zip_name))
            .arg(&zip)
            .arg(EDITED)
            .arg(layout.mode)
            .arg(&reduced.stdlib)
            .output()
            .expect("run zip_members.py");
        let report = String::from_utf8_lossy(&checked.stdout);
        assert!(
            checked.status.success(),
            "{what}: {report}{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        assert!(!report.contains("differs:"), "{what}: {report}");
        let compared: usize = report
            .lines()
            .find_map(|l| l.strip_prefix("compared: "))
            .and_then(|n| n.parse().ok())
            .expect("a count");
        assert!(compared >= 20, "{what}: only {compared} compared");
        let identical: usize = report
            .lines()
            .find_map(|l| l.strip_prefix("identical: "))
            .and_then(|n| n.parse().ok())
            .expect("a count");
        if installed.short == "3.12" {
            assert_eq!(identical, compared, "{what}: {report}");
        }
        let mut bytecode_methods = std::collections::BTreeSet::new();
        for line in report.lines().filter_map(|l| l.strip_prefix("method: ")) {
            let (member, method) = line.rsplit_once(' ').expect("member method");
            let method: u32 = method.parse().expect("a number");
            if member.ends_with(".pyc") {
                bytecode_methods.insert(method);
            } else {
                // Sources and data: deflated, always.
                assert_eq!(method, 8, "{what}: {member}");
            }
        }
        assert_eq!(
            bytecode_methods.into_iter().collect::<Vec<_>>(),
            layout.bytecode_methods,
            "{what}"
        );
    }
    if let Some((refusal, in_place)) = keep_for {
        let extra = Extra {
            args: &["--steps", "zip-stdlib"],
            zip: Some(std::path::PathBuf::from("lib").join(&zip_name)),
            refusal,
            in_place,
        };
        keep_for_on(&installed, &reduced, env.path(), &extra);
    }
}

/// What `zip_once.py` says of importing `WANTED` from a zip.
#[derive(Debug)]
struct ZipOpens {
    runtime: bool,
    zipped: usize,
    opens: usize,
    read_anew: bool,
}

fn zip_opens(python: &Path, zip: &Path, flags: &[&str], cwd: &Path) -> ZipOpens {
    let run = pyprune_python::clean_command(python.as_os_str())
        .args(flags)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/zip_once.py"))
        .arg(zip)
        .args(WANTED)
        .current_dir(cwd)
        .output()
        .expect("run zip_once.py");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "zip_once.py: {said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let value = |key: &str| {
        said.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("zip_once.py says no {key}: {said}"))
            .trim()
            .to_owned()
    };
    let count = |key: &str| value(key).parse().expect("a count");
    ZipOpens {
        runtime: value("runtime:") == "yes",
        zipped: count("zipped:"),
        opens: count("opens:"),
        read_anew: value("anew:") == "yes",
    }
}

/// With pyprune's runtime (site on), importing from the zip loads each
/// module once, not twice as zipimport alone does (a load reads the bytecode
/// member, and with checked hashes the source it hashes too); and the
/// runtime's memory of the last load does not outlive a rewritten, re-read zip.
fn reads_each_module_once(python: &Path, zip: &Path, layout: &Layout, cwd: &Path, what: &str) {
    let seen = zip_opens(python, zip, &["-s", "-B"], cwd);
    assert_eq!(seen.runtime, layout.runtime, "{what}: {seen:?}");
    assert!(seen.zipped >= WANTED.len(), "{what}: {seen:?}");
    let loads = if layout.runtime { 1 } else { 2 };
    let reads_per_load = if layout.mode == "checked" { 2 } else { 1 };
    assert_eq!(
        seen.opens,
        loads * reads_per_load * seen.zipped,
        "{what}: {seen:?}"
    );
    assert!(seen.read_anew, "{what}: stale code from a re-read zip");
}

#[test]
fn cpython_3_8_zipimport_reads_every_layout() {
    zip_layouts_import_and_match_py_compile("3.8", Some((true, false)));
}

#[test]
fn cpython_3_12_zipimport_reads_every_layout() {
    zip_layouts_import_and_match_py_compile("3.12", None);
}

#[test]
fn cpython_3_13_zipimport_reads_every_layout() {
    zip_layouts_import_and_match_py_compile("3.13", Some((false, true)));
}
