//! Tests of the zip steps, on models built in memory.

use crate::action::Action;
use crate::model::Model;
use crate::model_builder::{
    TreeBuilder, actions, applied, cache_bytes, cache_path, context, context_with_compiler, paths,
    pyc,
};
use crate::steps::{BytecodePacking, HotPath, StepName, ZipOverrides, ZipSettings, step_actions};
use pyprune_pyc::{PythonVersion, source_hash};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

const LIB: &str = "lib/python3.11";
const ZIP: &str = "lib/python311.zip";

pub(super) fn at(path: &str) -> String {
    format!("{LIB}/{path}")
}

/// A prefix with a stdlib holding each kind of module the zip steps judge.
pub(super) fn stdlib() -> TreeBuilder {
    let module = |b: TreeBuilder, path: &str, text: &str| b.module(&at(path), text);
    let mut b = TreeBuilder::new().file("bin/python3.11", "");
    for (path, text) in [
        // The landmark: stays.
        ("os.py", "import sys\n"),
        ("json/__init__.py", "from .decoder import JSONDecoder\n"),
        ("json/decoder.py", "class JSONDecoder: pass\n"),
        ("encodings/__init__.py", "import codecs\n"),
        ("pydoc_data/topics.py", "topics = {}\n"),
        // Calls itself `decimal`: not with sources.
        ("_pydecimal.py", "__name__ = 'decimal'\n"),
        // Reads files beside itself: stays.
        (
            "uses_file.py",
            "import os\nHERE = os.path.dirname(__file__)\n",
        ),
        // Does too, but only for its own tests: zipped.
        (
            "unittest/__init__.py",
            "import os\nHERE = os.path.dirname(__file__)\n",
        ),
        // A package holding an extension: stays.
        ("ctypes/__init__.py", "from _ctypes import CFuncPtr\n"),
        // Known to read its own files: stays.
        ("test/__init__.py", ""),
        // pyprune's own: stays.
        ("sitecustomize.py", "# Installed by pyprune: runtime\n"),
    ] {
        b = module(b, path, text);
    }
    b.file(&at("pydoc_data/_pydoc.css"), "body {}\n")
        .file(&at("ctypes/_speedups.cpython-311-x86_64-linux-gnu.so"), "")
        .file(&at("lib-dynload/_json.cpython-311-x86_64-linux-gnu.so"), "")
        .file(&at("config-3.11-x86_64-linux-gnu/Makefile"), "")
        .file(&at("site-packages/six.py"), "")
        // No cache: zipped as source, or stays when only bytecode goes in.
        .file(&at("nocache.py"), "x = 1\n")
        // A cache that is not one: stays.
        .file(&at("badcache.py"), "y = 2\n")
        .file(&cache_path(&at("badcache.py"), 0), "not a pyc")
}

/// The zip written by `actions` (its first action), by member, with each
/// member's compression method.
pub(super) fn zip_of(actions: &[Action]) -> BTreeMap<String, (Vec<u8>, zip::CompressionMethod)> {
    let Some(Action::Write { path, bytes, .. }) = actions.first() else {
        panic!("the zip is written first: {actions:?}");
    };
    assert_eq!(path, Path::new(ZIP));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("a member");
            let mut content = Vec::new();
            file.read_to_end(&mut content).expect("readable");
            (
                file.name().expect("a UTF-8 name").into_owned(),
                (content, file.compression()),
            )
        })
        .collect()
}

fn names(zip: &BTreeMap<String, (Vec<u8>, zip::CompressionMethod)>) -> Vec<&str> {
    zip.keys().map(String::as_str).collect()
}

/// Paths of the model under the stdlib, the prefix stripped.
fn left(model: &Model) -> Vec<String> {
    let mut left: Vec<String> = paths(model)
        .into_iter()
        .filter_map(|p| p.strip_prefix(&format!("{LIB}/")).map(str::to_owned))
        .filter(|p| !p.contains("__pycache__"))
        .collect();
    left.sort();
    left
}

/// The caches of a source of the model that are still there.
fn caches_left(model: &Model, source: &str) -> usize {
    (0..3)
        .filter(|&l| model.has_file(Path::new(&cache_path(&at(source), l))))
        .count()
}

/// The opt-0 cache of `source` as it goes into the zip: a hash-based header.
fn hashed(source: &str, text: &str, checked: bool) -> Vec<u8> {
    let original = cache_bytes(&at(source), 0);
    let mut out = original[..4].to_vec();
    out.extend_from_slice(&(if checked { 3u32 } else { 1 }).to_le_bytes());
    let magic = [original[0], original[1], original[2], original[3]];
    out.extend_from_slice(&source_hash(
        PythonVersion::new(3, 11),
        magic,
        text.as_bytes(),
    ));
    out.extend_from_slice(&original[16..]);
    out
}

/// What stays on disk, whatever the zip step.
const STAYS: &[&str] = &[
    "badcache.py",
    "config-3.11-x86_64-linux-gnu/Makefile",
    "ctypes/__init__.py",
    "ctypes/_speedups.cpython-311-x86_64-linux-gnu.so",
    "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
    "os.py",
    "site-packages/six.py",
    "sitecustomize.py",
    "test/__init__.py",
    "uses_file.py",
];

fn stays_and(more: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = STAYS.iter().chain(more).map(|s| (*s).to_owned()).collect();
    all.sort();
    all
}

#[test]
fn zip_stdlib_zips_the_zip_safe_modules_with_their_sources() {
    let model = stdlib().build();
    let got = actions(StepName::ZipStdlib, &model);
    let zip = zip_of(&got);
    assert_eq!(
        names(&zip),
        [
            "encodings/__init__.py",
            "encodings/__init__.pyc",
            "json/__init__.py",
            "json/__init__.pyc",
            "json/decoder.py",
            "json/decoder.pyc",
            "nocache.py",
            "pydoc_data/_pydoc.css",
            "pydoc_data/topics.py",
            "pydoc_data/topics.pyc",
            "unittest/__init__.py",
            "unittest/__init__.pyc",
        ]
    );
    // The hot path's bytecode stored: encodings (start-up, as assumed without an
    // interpreter), json and unittest (common entry points, here their own
    // files alone); the rest deflated, sources always.
    let stored: Vec<&str> = zip
        .iter()
        .filter(|(_, (_, method))| *method == zip::CompressionMethod::Stored)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        stored,
        [
            "encodings/__init__.pyc",
            "json/__init__.pyc",
            "unittest/__init__.pyc"
        ]
    );
    assert!(
        zip.iter()
            .filter(|(name, _)| !stored.contains(&name.as_str()))
            .all(|(_, (_, method))| *method == zip::CompressionMethod::Deflated)
    );
    let decoder = "class JSONDecoder: pass\n";
    assert_eq!(zip["json/decoder.py"].0, decoder.as_bytes());
    // Unchecked, with the hash of the source in the zip; the code (no file name in it) as it was.
    assert_eq!(
        zip["json/decoder.pyc"].0,
        hashed("json/decoder.py", decoder, false)
    );
    let after = applied(&model, &got);
    assert_eq!(left(&after), stays_and(&["_pydecimal.py"]));
    assert!(after.has_file(Path::new(ZIP)));
    // Every cache of a zipped module goes, those of the others stay.
    assert_eq!(caches_left(&after, "json/decoder.py"), 0);
    assert_eq!(caches_left(&after, "nocache.py"), 0);
    assert_eq!(caches_left(&after, "os.py"), 3);
    assert_eq!(caches_left(&after, "_pydecimal.py"), 3);
    assert_eq!(caches_left(&after, "uses_file.py"), 3);
    // The zip first, then removals, then the emptied directories.
    assert!(
        got[1..]
            .iter()
            .all(|a| matches!(a, Action::Remove(_) | Action::RemoveDir(_)))
    );
    let removed_dirs: Vec<&Action> = got
        .iter()
        .filter(|a| matches!(a, Action::RemoveDir(_)))
        .collect();
    assert_eq!(
        removed_dirs,
        [
            "encodings/__pycache__",
            "json/__pycache__",
            "pydoc_data/__pycache__",
            "unittest/__pycache__",
            "encodings",
            "json",
            "pydoc_data",
            "unittest",
        ]
        .map(|d| Action::RemoveDir(Path::new(LIB).join(d)))
        .iter()
        .collect::<Vec<_>>()
    );
}

#[test]
fn zip_stdlib_stored_and_deflated_pack_the_same_members() {
    let model = stdlib().build();
    let deflated = zip_of(&actions(StepName::ZipStdlibDeflated, &model));
    let hot = zip_of(&actions(StepName::ZipStdlib, &model));
    assert_eq!(
        deflated,
        hot.iter()
            .map(|(n, (b, _))| (n.clone(), (b.clone(), zip::CompressionMethod::Deflated)))
            .collect()
    );
    let got = actions(StepName::ZipStdlibStored, &model);
    let stored = zip_of(&got);
    assert_eq!(names(&stored), names(&deflated));
    // Bytecode stored, sources and data deflated.
    assert!(stored.iter().all(|(name, (_, method))| *method
        == if name.ends_with(".pyc") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        }));
    assert!(
        stored
            .iter()
            .all(|(name, (bytes, _))| *bytes == deflated[name].0)
    );
    assert_eq!(left(&applied(&model, &got)), stays_and(&["_pydecimal.py"]));
}

#[test]
fn zip_stdlib_bytecode_zips_unchecked_bytecode_only() {
    let model = stdlib().build();
    let got = actions(StepName::ZipStdlibBytecode, &model);
    let zip = zip_of(&got);
    assert_eq!(
        names(&zip),
        [
            "_pydecimal.pyc",
            "encodings/__init__.pyc",
            "json/__init__.pyc",
            "json/decoder.pyc",
            "pydoc_data/_pydoc.css",
            "pydoc_data/topics.pyc",
            "unittest/__init__.pyc",
        ]
    );
    assert!(
        zip.values()
            .all(|(_, method)| *method == zip::CompressionMethod::Deflated)
    );
    assert_eq!(
        zip["json/decoder.pyc"].0,
        hashed("json/decoder.py", "class JSONDecoder: pass\n", false)
    );
    let after = applied(&model, &got);
    // No bytecode for nocache: it stays, as a source.
    assert_eq!(left(&after), stays_and(&["nocache.py"]));
    assert_eq!(caches_left(&after, "_pydecimal.py"), 0);
    let stored = actions(StepName::ZipStdlibBytecodeStored, &model);
    let stored_zip = zip_of(&stored);
    assert_eq!(names(&stored_zip), names(&zip));
    assert!(stored_zip.iter().all(|(name, (_, method))| *method
        == if name.ends_with(".pyc") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        }));
    assert_eq!(stored[1..], got[1..]);
}

#[test]
fn zip_data_modules_zips_encodings_and_pydoc_data_only() {
    let model = stdlib().build();
    let got = actions(StepName::ZipDataModules, &model);
    assert_eq!(
        names(&zip_of(&got)),
        [
            "encodings/__init__.py",
            "encodings/__init__.pyc",
            "pydoc_data/_pydoc.css",
            "pydoc_data/topics.py",
            "pydoc_data/topics.pyc",
        ]
    );
    let after = applied(&model, &got);
    assert_eq!(
        left(&after),
        stays_and(&[
            "_pydecimal.py",
            "json/__init__.py",
            "json/decoder.py",
            "nocache.py",
            "unittest/__init__.py",
        ])
    );
}

#[test]
fn an_existing_zip_keeps_its_members_and_ours_win() {
    let old = {
        let mut members = BTreeMap::new();
        let deflated = |text: &[u8]| (text.to_vec(), crate::steps::Packing::Deflated);
        members.insert("old.py".to_owned(), deflated(b"old = 1\n"));
        members.insert("json/decoder.py".to_owned(), deflated(b"stale\n"));
        crate::steps::write_zip(&members)
    };
    let model = stdlib().file(ZIP, old).build();
    let zip = zip_of(&actions(StepName::ZipDataModules, &model));
    assert_eq!(
        names(&zip),
        [
            "encodings/__init__.py",
            "encodings/__init__.pyc",
            "json/decoder.py",
            "old.py",
            "pydoc_data/_pydoc.css",
            "pydoc_data/topics.py",
            "pydoc_data/topics.pyc",
        ]
    );
    assert_eq!(zip["json/decoder.py"].0, b"stale\n");
    let zip = zip_of(&actions(StepName::ZipStdlib, &model));
    assert_eq!(zip["json/decoder.py"].0, b"class JSONDecoder: pass\n");
    assert_eq!(zip["old.py"].0, b"old = 1\n");
}

#[test]
fn a_tree_that_is_the_stdlib_gets_its_zip_beside_it() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module("json/__init__.py", "")
        .build();
    let got = actions(StepName::ZipStdlib, &model);
    let Some(Action::Write { path, .. }) = got.first() else {
        panic!("a zip: {got:?}");
    };
    // Outside the tree: apply refuses it (see the binary), plan counts it.
    assert_eq!(path, Path::new("../python311.zip"));
    assert_eq!(
        paths(&applied(&model, &got)),
        [
            "../python311.zip",
            "__pycache__/os.cpython-311.opt-1.pyc",
            "__pycache__/os.cpython-311.opt-2.pyc",
            "__pycache__/os.cpython-311.pyc",
            "os.py",
        ]
    );
}

#[test]
fn a_zip_beside_the_tree_adds_no_directory_to_it() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module("json/__init__.py", "")
        .build();
    let after = applied(&model, &actions(StepName::ZipStdlib, &model));
    assert!(!after.has_dir(Path::new("..")), "{:?}", after.dirs);
}

#[test]
fn nothing_to_zip_without_a_stdlib_or_a_release_that_zips() {
    // A bare package directory.
    let package = TreeBuilder::new().module("mypkg/__init__.py", "").build();
    assert_eq!(actions(StepName::ZipStdlib, &package), []);
    // Nothing zip-safe.
    let bare = TreeBuilder::new()
        .module("os.py", "")
        .file("lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", "")
        .build();
    assert_eq!(actions(StepName::ZipStdlib, &bare), []);
    // No release known, or one before 3.7.
    let model = stdlib().build();
    for version in [None, Some(PythonVersion::new(3, 6))] {
        let context = crate::steps::Context {
            version,
            ..context()
        };
        assert_eq!(
            step_actions(StepName::ZipStdlib, &model, &context).expect("planned"),
            []
        );
    }
}

#[test]
fn a_cache_of_another_release_keeps_its_module_out() {
    let mut old = pyc("compiled by 3.10");
    old[..2].copy_from_slice(&3439u16.to_le_bytes());
    let model = TreeBuilder::new()
        .module(&at("os.py"), "")
        .file(&at("old.py"), "")
        .file(&cache_path(&at("old.py"), 0), old)
        .build();
    assert_eq!(actions(StepName::ZipStdlibBytecode, &model), []);
}

/// zipimport inflates with `zlib`: where the interpreter says it has none
/// compiled in and the tree has no zlib extension module, members are stored
/// (readable anyway); with either, or when nobody was asked, deflated.
#[test]
fn members_are_stored_where_python_has_no_zlib() {
    let method_of = |model: &Model, built_in: Option<bool>| {
        let context = crate::steps::Context {
            zlib_built_in: built_in,
            ..context()
        };
        let got = step_actions(StepName::ZipStdlibDeflated, model, &context).expect("actions");
        let mut methods: Vec<_> = zip_of(&got).into_values().map(|(_, m)| m).collect();
        methods.dedup();
        assert_eq!(methods.len(), 1, "one method for all members: {methods:?}");
        methods[0]
    };
    let without = stdlib().build();
    let with = stdlib()
        .file(&at("lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so"), "")
        .build();
    assert_eq!(
        method_of(&without, Some(false)),
        zip::CompressionMethod::Stored
    );
    assert_eq!(
        method_of(&with, Some(false)),
        zip::CompressionMethod::Deflated
    );
    assert_eq!(
        method_of(&without, Some(true)),
        zip::CompressionMethod::Deflated
    );
    assert_eq!(method_of(&without, None), zip::CompressionMethod::Deflated);
}

/// The user's overrides: checked hashes, every bytecode stored or deflated,
/// zopfli (the same members, inflated to the same bytes, no bigger).
#[test]
fn overrides_choose_hashes_packing_and_zopfli() {
    let model = stdlib().build();
    let with = |overrides: ZipOverrides| {
        let context = crate::steps::Context {
            zip: ZipSettings {
                overrides,
                ..Default::default()
            },
            ..context()
        };
        let got = step_actions(StepName::ZipStdlib, &model, &context).expect("actions");
        let Some(Action::Write { bytes, .. }) = got.first() else {
            panic!("a zip: {got:?}");
        };
        (zip_of(&got), bytes.len())
    };
    let (plain, plain_len) = with(ZipOverrides::default());
    let (checked, _) = with(ZipOverrides {
        checked_hashes: Some(true),
        ..Default::default()
    });
    assert_eq!(
        checked["json/decoder.pyc"].0,
        hashed("json/decoder.py", "class JSONDecoder: pass\n", true)
    );
    assert_eq!(names(&checked), names(&plain));
    for (packing, method) in [
        (BytecodePacking::Stored, zip::CompressionMethod::Stored),
        (BytecodePacking::Deflated, zip::CompressionMethod::Deflated),
    ] {
        let (forced, _) = with(ZipOverrides {
            bytecode: Some(packing),
            ..Default::default()
        });
        assert!(
            forced
                .iter()
                .filter(|(name, _)| name.ends_with(".pyc"))
                .all(|(_, (_, m))| *m == method),
            "{packing:?}"
        );
    }
    let (zopfli, zopfli_len) = with(ZipOverrides {
        zopfli: Some(true),
        ..Default::default()
    });
    assert_eq!(zopfli, plain);
    assert!(zopfli_len <= plain_len, "{zopfli_len} > {plain_len}");
}

/// An import set's modules, as the interpreter names their imports, are the hot path.
#[test]
fn the_import_set_the_interpreter_names_is_stored() {
    let model = stdlib().build();
    let ask = |modules: &[String]| {
        assert_eq!(modules, ["json.decoder"]);
        Some(vec![std::path::PathBuf::from("json/decoder.py")].into())
    };
    let context = crate::steps::Context {
        zip: ZipSettings {
            hot_path: HotPath {
                modules: vec!["json.decoder".to_owned()].into(),
                ask: Some(std::sync::Arc::new(ask)),
            },
            ..Default::default()
        },
        ..context()
    };
    let zip = zip_of(&step_actions(StepName::ZipStdlib, &model, &context).expect("actions"));
    let stored: Vec<&str> = zip
        .iter()
        .filter(|(_, (_, method))| *method == zip::CompressionMethod::Stored)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(stored, ["encodings/__init__.pyc", "json/decoder.pyc"]);
}

/// An existing zip rebuilt with an edited source: its stale hash-based
/// bytecode compiled anew (named in the installed zip), or left out without
/// an interpreter; bytecode that matches its source kept as it is.
#[test]
fn stale_bytecode_of_an_existing_zip_is_compiled_again() {
    let magic = [pyc("x")[0], pyc("x")[1], pyc("x")[2], pyc("x")[3]];
    let hashed_pyc = |text: &str, body: &str| {
        let mut out = magic.to_vec();
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&source_hash(
            PythonVersion::new(3, 11),
            magic,
            text.as_bytes(),
        ));
        out.extend_from_slice(&pyc(body)[16..]);
        out
    };
    let old = {
        let deflated = |bytes: Vec<u8>| (bytes, crate::steps::Packing::Deflated);
        let mut members = BTreeMap::new();
        members.insert("edited.py".to_owned(), deflated(b"x = 2\n".to_vec()));
        members.insert(
            "edited.pyc".to_owned(),
            deflated(hashed_pyc("x = 1\n", "old code")),
        );
        members.insert("same.py".to_owned(), deflated(b"y = 1\n".to_vec()));
        members.insert(
            "same.pyc".to_owned(),
            deflated(hashed_pyc("y = 1\n", "same code")),
        );
        crate::steps::write_zip(&members)
    };
    let model = stdlib().file(ZIP, old).build();
    let without = zip_of(&actions(StepName::ZipDataModules, &model));
    assert!(!without.contains_key("edited.pyc"));
    assert_eq!(without["same.pyc"].0, hashed_pyc("y = 1\n", "same code"));
    let compiled = zip_of(
        &step_actions(StepName::ZipDataModules, &model, &context_with_compiler()).expect("actions"),
    );
    let mut expected = crate::model_builder::compiled(
        &format!("{}/lib/python311.zip/edited.py", crate::model_builder::ROOT),
        0,
    );
    expected[4..8].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(compiled["edited.pyc"].0, expected);
    assert_eq!(compiled["same.pyc"].0, without["same.pyc"].0);
}
