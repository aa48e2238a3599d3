//! The entry points the cargo-fuzz targets `zip` and `journal` run (fuzz/,
//! docs/TESTING.md), given a short budget in CI: a real zip and a real
//! journal log mutated, and logs made of the journal's own words with paths
//! that lead out of the tree. Raise `PROPTEST_CASES` to fuzz longer.

use proptest::prelude::*;
use pyprune_steps::{Action, JOURNAL_DIR, Journal};
use pyprune_tree::Kind;
use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../../pyprune-pyc/tests/common/mutation.rs"]
mod mutation;
#[path = "../../pyprune-pyc/tests/common/real_zip.rs"]
mod real_zip;

/// The log of a real in-place change, as `Journal` writes it: a removal, a
/// replacement, a move onto an existing file, a new file in a new directory,
/// a directory removed.
fn real_log() -> &'static [u8] {
    static LOG: OnceLock<Vec<u8>> = OnceLock::new();
    LOG.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for (path, bytes) in [
            ("json/__init__.py", &b"x = 1\n"[..]),
            ("json/tool.py", b"y = 2\n"),
            ("json/__pycache__/tool.cpython-311.pyc", b"cache"),
            ("json/tool.pyc", b"old"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().expect("parent")).expect("mkdir");
            std::fs::write(root.join(path), bytes).expect("write");
        }
        std::fs::create_dir(root.join("empty")).expect("mkdir");
        let actions = [
            Action::Remove(PathBuf::from("json/tool.py")),
            Action::Write {
                path: PathBuf::from("json/__init__.py"),
                bytes: b"x = 2\n".to_vec().into(),
                mode: 0o644,
                kind: Kind::Source,
                module: "json".into(),
            },
            Action::Move {
                from: PathBuf::from("json/__pycache__/tool.cpython-311.pyc"),
                to: PathBuf::from("json/tool.pyc"),
                kind: Kind::Sourceless,
            },
            Action::Write {
                path: PathBuf::from("new/dir/data.txt"),
                bytes: b"data".to_vec().into(),
                mode: 0o600,
                kind: Kind::Data,
                module: String::new(),
            },
            Action::RemoveDir(PathBuf::from("empty")),
        ];
        let journal = Journal::begin(root)
            .expect("begins")
            .perform_all(&actions)
            .expect("performs");
        let log = std::fs::read(root.join(JOURNAL_DIR).join("log")).expect("a log");
        journal.commit().expect("commits");
        log
    })
}

#[test]
fn the_real_seeds_are_read() {
    let log = String::from_utf8(real_log().to_vec()).expect("text");
    for word in [
        "remove", "replace", "move", "create", "mkdir", "rmdir", "done",
    ] {
        assert!(log.contains(word), "{word} in {log}");
    }
    pyprune_steps::fuzzing::journal_log(real_log());
    pyprune_steps::fuzzing::zip_members(real_zip::real_zip());
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A log line made of the journal's own words, with sequence numbers and
/// paths among them that lead out of the tree.
fn log_line() -> impl Strategy<Value = String> {
    let seq = prop_oneof![
        Just("1".to_owned()),
        Just("2".to_owned()),
        Just("../../../outside.py".to_owned()),
        Just("/tmp".to_owned()),
        "[0-9a-z./]{0,6}",
    ];
    let op = prop_oneof![
        Just("remove"),
        Just("replace"),
        Just("create"),
        Just("mkdir"),
        Just("rmdir"),
        Just("move"),
        Just("done"),
        Just("other"),
    ];
    let path = prop_oneof![
        Just(hex("pkg/mod.py")),
        Just(hex("pkg")),
        Just(hex("pkg/new.py")),
        Just(hex("../outside.py")),
        Just(hex("pkg/../../outside.py")),
        Just(hex("")),
        Just(hex("/etc/hostname")),
        "[0-9a-f+]{0,8}",
    ];
    let state = prop_oneof![Just("-".to_owned()), Just("d".to_owned()), "[0-9:.]{0,12}"];
    (seq, op, proptest::collection::vec((path, state), 1..3)).prop_map(|(seq, op, fields)| {
        let mut line = if op == "done" {
            format!("done\t{seq}")
        } else {
            format!("{seq}\t{op}")
        };
        for (path, state) in fields {
            line.push('\t');
            line.push_str(&path);
            if op == "done" || op == "rmdir" {
                line.push('\t');
                line.push_str(&state);
            }
        }
        line
    })
}

proptest! {
    #[test]
    fn a_mutated_real_zip_is_kept_whole(mutations in mutation::mutations()) {
        pyprune_steps::fuzzing::zip_members(&mutation::mutated(real_zip::real_zip(), &mutations));
    }

    #[test]
    fn a_mutated_real_log_stays_in_its_tree(mutations in mutation::mutations()) {
        pyprune_steps::fuzzing::journal_log(&mutation::mutated(real_log(), &mutations));
    }

    #[test]
    fn a_log_of_journal_words_stays_in_its_tree(lines in proptest::collection::vec(log_line(), 1..6)) {
        pyprune_steps::fuzzing::journal_log(lines.join("\n").as_bytes());
    }
}
