//! Entry points that the cargo-fuzz targets (in `fuzz/`) and the property
//! tests (`tests/fuzz_entries.rs`) both feed arbitrary bytes to, so a long
//! campaign and the short CI budget exercise the very same code. Not an API:
//! each panics when an invariant fails, which is what a fuzzer looks for.

use crate::journal::{JOURNAL_DIR, names_in_log, undo};
use crate::steps::{Packing, read_members, write_zip};
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// Reads `data` as the zip already beside a stdlib that the zip step merges
/// its members into. Invariant: the members read are the members written
/// back (the first of a duplicated name wins, as in the step).
pub fn zip_members(data: &[u8]) {
    let mut members = BTreeMap::new();
    for (name, content) in read_members(data) {
        members.entry(name).or_insert(content);
    }
    // Zopfli writes the same deflate streams, a hundred times slower: left to the unit tests.
    for packing in [Packing::Stored, Packing::Deflated] {
        let packed = members
            .iter()
            .map(|(name, content)| (name.clone(), (content.clone(), packing)))
            .collect();
        let written = write_zip(&packed);
        let again: BTreeMap<_, _> = read_members(&written).into_iter().collect();
        assert!(
            again == members,
            "members lost or changed when written back ({packing:?}): {:?} became {:?}",
            members.keys().collect::<Vec<_>>(),
            again.keys().collect::<Vec<_>>()
        );
    }
}

/// Reads `data` as an in-place journal's log, then replays it with `undo` in
/// a small tree inside a temporary directory. Invariants: every path and
/// trash name the log yields stays inside the tree, and the replay neither
/// panics nor touches anything outside the tree.
pub fn journal_log(data: &[u8]) {
    // Undo reads the whole log before it changes anything: a log it cannot
    // read is refused with the tree untouched, and needs no replay (which
    // makes a campaign many times faster).
    let Ok(names) = names_in_log(data) else {
        return;
    };
    for name in names {
        assert!(
            stays_inside(&name),
            "the log yields {name:?}, which leaves the tree"
        );
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    let outside = dir.path().join("outside.py");
    let root = dir.path().join("tree");
    let journal = root.join(JOURNAL_DIR);
    let made = std::fs::write(&outside, b"outside = 1\n")
        .and_then(|()| std::fs::create_dir_all(root.join("pkg")))
        .and_then(|()| std::fs::write(root.join("pkg/mod.py"), b"x = 1\n"))
        .and_then(|()| std::fs::create_dir_all(journal.join("trash")))
        .and_then(|()| std::fs::write(journal.join("trash/1"), b"old = 1\n"))
        .and_then(|()| std::fs::write(journal.join("log"), data));
    if made.is_err() {
        return;
    }
    let _ = undo(&root);
    assert_eq!(
        std::fs::read(&outside).ok().as_deref(),
        Some(&b"outside = 1\n"[..]),
        "undo touched a file outside the tree"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    names.sort();
    assert_eq!(names, ["outside.py", "tree"], "undo wrote outside the tree");
}

/// Whether `path` stays inside the directory it is relative to (empty: that directory).
fn stays_inside(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_)))
}
