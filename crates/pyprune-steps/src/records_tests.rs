//! The RECORD pass and the protection of untrusted distributions, on small
//! built trees of site-packages.

use crate::action::Action;
use crate::model::Model;
use crate::model_builder::*;
use crate::plan::actions_for;
use crate::records::rewrite_records;
use crate::steps::{Context, StepName, step_actions};
use pyprune_dist::{Record, RecordRow, record_hash};
use pyprune_tree::Kind;
use std::path::{Path, PathBuf};

const GOOD_INIT: &str = "from .core import run\n";
const GOOD_CORE: &str = "def run():\n    return 1\n";
const DATA: &str = "some data\n";
const OTHER: &str = "import good\n";
const SHARED: &str = "shared = True\n";

/// A row as pip writes it for `text`.
fn hashed(path: &str, text: &[u8]) -> String {
    format!("{path},{},{}", record_hash(text), text.len())
}

/// RECORD text, rows sorted and CRLF-ended as pip writes them.
fn record_text(rows: &[String]) -> String {
    let mut rows = rows.to_vec();
    rows.sort();
    rows.iter().map(|r| format!("{r}\r\n")).collect()
}

/// Two distributions in `site/`: `good` (a package with caches pip
/// compiled, data and a test directory) and `other` (a module), both
/// listing `site/shared.py`; `six.py` is no distribution's.
fn tree() -> Model {
    let good = record_text(&[
        hashed("good/__init__.py", GOOD_INIT.as_bytes()),
        hashed("good/core.py", GOOD_CORE.as_bytes()),
        hashed("good/data.txt", DATA.as_bytes()),
        hashed("good/tests/test_core.py", b"import good\n"),
        "good/__pycache__/__init__.cpython-311.pyc,,".to_owned(),
        "good/__pycache__/core.cpython-311.pyc,,".to_owned(),
        hashed("shared.py", SHARED.as_bytes()),
        "good-1.0.dist-info/RECORD,,".to_owned(),
    ]);
    let other = record_text(&[
        hashed("other.py", OTHER.as_bytes()),
        hashed("shared.py", SHARED.as_bytes()),
        "other-2.0.dist-info/RECORD,,".to_owned(),
    ]);
    TreeBuilder::new()
        .file(
            "site/good-1.0.dist-info/METADATA",
            "Name: good\nVersion: 1.0\n",
        )
        .file("site/good-1.0.dist-info/RECORD", good)
        .source_with_caches("site/good/__init__.py", GOOD_INIT, &[0])
        .source_with_caches("site/good/core.py", GOOD_CORE, &[0])
        .file("site/good/data.txt", DATA)
        .file("site/good/tests/test_core.py", "import good\n")
        .file("site/other-2.0.dist-info/RECORD", other)
        .file("site/other.py", OTHER)
        .file("site/shared.py", SHARED)
        .source_with_caches("site/six.py", "x = 6\n", &[0])
        .build()
}

const INFOS: [&str; 2] = ["site/good-1.0.dist-info", "site/other-2.0.dist-info"];

fn write(path: &str, bytes: &[u8], kind: Kind) -> Action {
    Action::Write {
        path: PathBuf::from(path),
        bytes: bytes.to_vec().into(),
        mode: 0o644,
        kind,
        module: String::new(),
    }
}

/// The RECORDs `rewrite_records` writes after `actions`, by path, as text.
fn rewritten(model: &Model, context: &Context, actions: &[Action]) -> Vec<(String, String)> {
    let after = applied(model, actions);
    let touched = actions.iter().flat_map(Action::paths);
    rewrite_records(model, &after, touched, context)
        .expect("rewritten")
        .iter()
        .map(|action| match action {
            Action::Write { path, bytes, .. } => (
                path.to_string_lossy().into_owned(),
                String::from_utf8(bytes.to_vec()).expect("utf-8"),
            ),
            other => panic!("only writes: {other:?}"),
        })
        .collect()
}

#[test]
fn removed_changed_and_added_files_are_written_as_pip_lists_them() {
    let model = tree();
    let context = context_with_distributions(&model, &INFOS);
    let stripped = b"def run(): return 1\n";
    let actions = [
        remove("site/good/tests/test_core.py"),
        remove_dir("site/good/tests"),
        write("site/good/core.py", stripped, Kind::Source),
        // Sourceless: the cache becomes the module; its source goes.
        Action::Move {
            from: PathBuf::from(cache_path("site/good/__init__.py", 0)),
            to: PathBuf::from("site/good/__init__.pyc"),
            kind: Kind::Sourceless,
        },
        remove("site/good/__init__.py"),
        write("site/good/__pysources__/__init__.py.gz", b"gz", Kind::Data),
        write(
            "site/good/__pycache__/__dont_write_bytecode__",
            b"",
            Kind::Data,
        ),
        write(
            &cache_path("site/good/core.py", 1),
            b"opt1",
            Kind::BytecodeOpt1,
        ),
        // In site-packages itself, and in a directory of no distribution: no one's.
        write("site/pyprune.pth", b"import x\n", Kind::Data),
        write(&cache_path("site/six.py", 1), b"six1", Kind::BytecodeOpt1),
    ];
    let init_pyc = cache_bytes("site/good/__init__.py", 0);
    assert_eq!(
        rewritten(&model, &context, &actions),
        [(
            "site/good-1.0.dist-info/RECORD".to_owned(),
            record_text(&[
                hashed("good/__init__.pyc", &init_pyc),
                hashed("good/core.py", stripped),
                hashed("good/data.txt", DATA.as_bytes()),
                hashed("good/__pysources__/__init__.py.gz", b"gz"),
                hashed("good/__pycache__/__dont_write_bytecode__", b""),
                "good/__pycache__/core.cpython-311.pyc,,".to_owned(),
                "good/__pycache__/core.cpython-311.opt-1.pyc,,".to_owned(),
                hashed("shared.py", SHARED.as_bytes()),
                "good-1.0.dist-info/RECORD,,".to_owned(),
            ])
        )]
    );
}

#[test]
fn untouched_distributions_keep_their_record_and_shared_files_stay_in_both() {
    let model = tree();
    let context = context_with_distributions(&model, &INFOS);
    // Nothing of theirs changed: nothing is written.
    assert_eq!(
        rewritten(&model, &context, &[remove(&cache_path("site/six.py", 0))]),
        []
    );
    // The shared file changes: both RECORDs keep it, with its new hash.
    let new = b"shared = False\n";
    let written = rewritten(
        &model,
        &context,
        &[write("site/shared.py", new, Kind::Source)],
    );
    let paths: Vec<&str> = written.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "site/good-1.0.dist-info/RECORD",
            "site/other-2.0.dist-info/RECORD"
        ]
    );
    for (_, text) in &written {
        let record = Record::parse(text.as_bytes()).expect("parses");
        let row = record.rows.iter().find(|r| r.path == "shared.py");
        assert_eq!(
            row,
            Some(&RecordRow {
                path: "shared.py".into(),
                hash: Some(record_hash(new)),
                size: Some(new.len() as u64)
            })
        );
    }
}

#[test]
fn a_step_run_through_the_plan_leaves_every_record_true() {
    let model = tree();
    let context = context_with_distributions(&model, &INFOS);
    let (actions, after) =
        actions_for(&model, &[StepName::NoWriteMarker], &context).expect("planned");
    // The last actions are the RECORD's rewrite, after the markers.
    let Some(Action::Write { path, bytes, .. }) = actions.last() else {
        panic!("{actions:?}");
    };
    assert_eq!(path, Path::new("site/good-1.0.dist-info/RECORD"));
    let record = Record::parse(bytes).expect("parses");
    let listed: Vec<&str> = record.rows.iter().map(|r| r.path.as_str()).collect();
    assert!(
        listed.contains(&"good/__pycache__/__dont_write_bytecode__"),
        "{listed:?}"
    );
    // Every hashed row is true of the predicted tree.
    for row in &record.rows {
        let file = pyprune_dist::resolve(Path::new("site"), &row.path).expect("inside");
        let Some(hash) = &row.hash else { continue };
        let bytes = bytes_of(&after, &file.to_string_lossy());
        assert_eq!(&record_hash(&bytes), hash, "{}", row.path);
    }
    // The pass runs on what the steps left: applied again, it has nothing to say.
    let touched = actions.iter().flat_map(Action::paths);
    assert_eq!(
        rewrite_records(&after, &after, touched, &context).expect("ok"),
        []
    );
}

#[test]
fn an_untrusted_record_leaves_its_distribution_untouched() {
    // `bad`'s RECORD has a row of two fields; `worse`'s leads out of the tree.
    let model = TreeBuilder::new()
        .file(
            "site/bad-1.dist-info/RECORD",
            "bad/__init__.py,sha256=x\nbadmod.py,,\n",
        )
        .file("site/bad-1.dist-info/top_level.txt", "bad\nbadmod\n")
        .source_with_caches("site/bad/__init__.py", "", &[0, 1])
        .source_with_caches("site/badmod.py", "", &[0, 1])
        .file(
            "site/worse-1.dist-info/RECORD",
            "worse/__init__.py,,\n../../../outside.py,,\n",
        )
        .source_with_caches("site/worse/__init__.py", "", &[0, 1])
        .source_with_caches("site/fine.py", "", &[0, 1])
        .build();
    let infos = ["site/bad-1.dist-info", "site/worse-1.dist-info"];
    let context = context_with_distributions(&model, &infos);
    let actions = step_actions(StepName::DropOptimizedCaches, &model, &context).expect("ok");
    assert_eq!(actions, [remove(&cache_path("site/fine.py", 1))]);
    let markers = step_actions(StepName::NoWriteMarker, &model, &context).expect("ok");
    let written: Vec<&Path> = markers.iter().flat_map(Action::paths).collect();
    assert_eq!(
        written,
        [
            Path::new("site/__pycache__/__dont_write_bytecode__"),
            Path::new("__dont_write_bytecode__")
        ]
    );
    // Nor is either RECORD written.
    let (all, _) = actions_for(&model, &[StepName::DropCaches], &context).expect("ok");
    assert!(
        all.iter()
            .all(|a| a.paths().iter().all(|p| !p.ends_with("RECORD"))),
        "{all:?}"
    );
}

#[test]
fn a_distribution_without_record_is_unowned_and_never_written() {
    let model = TreeBuilder::new()
        .file("site/distro-1.dist-info/METADATA", "Name: distro\n")
        .source_with_caches("site/distro/__init__.py", "", &[0, 1])
        .build();
    let context = context_with_distributions(&model, &["site/distro-1.dist-info"]);
    let (actions, _) = actions_for(&model, &[StepName::DropOptimizedCaches], &context).expect("ok");
    assert_eq!(actions, [remove(&cache_path("site/distro/__init__.py", 1))]);
}
