//! Tests of the zip steps' packing beyond the defaults: the hot path that
//! `--keep-for` decides, and zopfli's streams read by CPython's own zipimport.

use super::tests::{at, stdlib, zip_of};
use crate::action::Action;
use crate::model_builder::context;
use crate::steps::{HotPath, StepName, ZipOverrides, ZipSettings, step_actions};
use std::path::Path;

/// With `--keep-for`, what the application needs is the hot path (the same
/// answer `keep-for` removes the rest by): `json` and the `json.decoder` it
/// imports stored, `unittest` (a common entry point, not the application's)
/// deflated, as `pydoc_data`; `--drop json.decoder` takes it off the path.
#[test]
fn what_keep_for_keeps_is_the_hot_path() {
    let model = stdlib().build();
    let stored_with = |drop: &[&str]| {
        let context = crate::steps::Context {
            keep_for: Some(std::sync::Arc::new(crate::steps::KeepFor {
                needs: vec![crate::steps::Need::module("app.py", "json")],
                drop: drop.iter().map(|d| (*d).to_owned()).collect(),
            })),
            zip: ZipSettings {
                // As `--keep-for` without `--import-set` sets it.
                hot_path: HotPath {
                    modules: std::sync::Arc::from([]),
                    ask: None,
                },
                ..Default::default()
            },
            ..context()
        };
        let zip = zip_of(&step_actions(StepName::ZipStdlib, &model, &context).expect("actions"));
        assert_eq!(
            zip["unittest/__init__.pyc"].1,
            zip::CompressionMethod::Deflated
        );
        zip.into_iter()
            .filter(|(name, (_, method))| {
                name.ends_with(".pyc") && *method == zip::CompressionMethod::Stored
            })
            .map(|(name, _)| name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        stored_with(&[]),
        [
            "encodings/__init__.pyc",
            "json/__init__.pyc",
            "json/decoder.pyc"
        ]
    );
    assert_eq!(
        stored_with(&["json.decoder"]),
        ["encodings/__init__.pyc", "json/__init__.pyc"]
    );
}

/// Reads every member of the zip given with `zipimport.zipimporter.get_data`
/// (zipimport's own inflating, as at import), printing each name and its
/// bytes in hex, then imports `json.decoder` from the zip.
const ZIPIMPORT_READS: &str = r#"
import sys, zipfile, zipimport
path = sys.argv[1]
importer = zipimport.zipimporter(path)
for info in zipfile.ZipFile(path).infolist():
    print(info.filename, info.compress_type, importer.get_data(path + "/" + info.filename).hex())
sys.path.insert(0, path)
import json.decoder
print("imported", json.decoder.__file__)
"#;

/// pyenv's newest CPython of each minor release in `minors` (`3.8`) that is installed.
fn pyenv_pythons(minors: &[&str]) -> Vec<std::path::PathBuf> {
    let Some(root) = std::process::Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
    else {
        return Vec::new();
    };
    let versions = Path::new(root.trim()).join("versions");
    let mut names: Vec<String> = std::fs::read_dir(&versions)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort_by_key(|n| {
        n.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    minors
        .iter()
        .filter_map(|minor| {
            let name = names
                .iter()
                .rfind(|n| n.strip_prefix(minor).is_some_and(|r| r.starts_with('.')))?;
            let python = versions.join(name).join(format!("bin/python{minor}"));
            python.is_file().then_some(python)
        })
        .collect()
}

/// zopfli's deflate streams are read by CPython's own zipimport (3.8's and
/// 3.13's, whose zipimports differ): every member of a `--zopfli` zip, a
/// real stdlib source among them (argparse's, for streams of dynamic
/// Huffman blocks rather than a few bytes), inflates to its bytes, and a
/// package imports from the zip. (Zopfli on a whole stdlib takes minutes:
/// the zip layouts of real copies in the `it` tests are plain deflate.)
#[test]
fn zipimport_reads_zopfli_members() {
    let pythons = pyenv_pythons(&["3.8", "3.13"]);
    if pythons.is_empty() {
        eprintln!("note: no pyenv 3.8 or 3.13 here: zipimport_reads_zopfli_members skipped");
        return;
    }
    let argparse = std::process::Command::new("python3")
        .args(["-c", "import argparse; print(argparse.__file__)"])
        .output()
        .expect("python3");
    let argparse = String::from_utf8(argparse.stdout).expect("utf-8");
    let source = std::fs::read_to_string(argparse.trim()).expect("argparse.py");
    let model = stdlib().module(&at("big.py"), &source).build();
    let context = crate::steps::Context {
        zip: ZipSettings {
            overrides: ZipOverrides {
                zopfli: Some(true),
                ..Default::default()
            },
            ..Default::default()
        },
        ..context()
    };
    let got = step_actions(StepName::ZipStdlib, &model, &context).expect("actions");
    let members = zip_of(&got);
    let Some(Action::Write { bytes, .. }) = got.first() else {
        panic!("a zip: {got:?}");
    };
    assert!(members["big.py"].0.len() > 50_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("python311.zip");
    std::fs::write(&zip, bytes).expect("write the zip");
    for python in pythons {
        let out = std::process::Command::new(&python)
            .args(["-I", "-S", "-B", "-c", ZIPIMPORT_READS])
            .arg(&zip)
            .output()
            .expect("python");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut read = 0;
        for line in said.lines().filter(|l| !l.starts_with("imported ")) {
            let mut parts = line.split(' ');
            let (name, method, hex) = (
                parts.next().expect("name"),
                parts.next().expect("method"),
                parts.next().unwrap_or_default(),
            );
            let (bytes, _) = &members[name];
            let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert!(
                hex == expected,
                "{}: {name} inflated otherwise",
                python.display()
            );
            read += usize::from(method == "8");
        }
        assert!(
            read >= 4,
            "{}: {read} deflated members read",
            python.display()
        );
        let imported = format!("imported {}/json/decoder.py", zip.display());
        assert!(said.contains(&imported), "{}: {said}", python.display());
    }
}
