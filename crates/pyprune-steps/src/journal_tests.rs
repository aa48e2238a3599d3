//! Tests of the journal: each kind of change undone byte for byte, in a temporary tree.

use super::*;
use pyprune_tree::Kind;
use std::collections::BTreeMap;

/// What a tree holds: per path, a directory's mode, or a file's mode,
/// bytes, modification time and inode (hardlinks share it).
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir(u32),
    File {
        mode: u32,
        bytes: Vec<u8>,
        mtime: (i64, i64),
        ino: u64,
    },
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("an entry").path();
            let meta = path.symlink_metadata().expect("stat");
            let rel = path.strip_prefix(root).expect("inside").to_path_buf();
            let mode = meta.mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, Entry::Dir(mode));
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).expect("readable");
                let mtime = (meta.mtime(), meta.mtime_nsec());
                let ino = meta.ino();
                out.insert(
                    rel,
                    Entry::File {
                        mode,
                        bytes,
                        mtime,
                        ino,
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A small tree: files of different modes (one an hour old), a hardlink, an empty directory.
fn tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    std::fs::create_dir_all(r.join("json/__pycache__")).expect("mkdir");
    std::fs::create_dir(r.join("empty")).expect("mkdir");
    std::fs::set_permissions(r.join("empty"), std::fs::Permissions::from_mode(0o750))
        .expect("chmod");
    let write = |rel: &str, bytes: &[u8], mode: u32| {
        std::fs::write(r.join(rel), bytes).expect("write");
        std::fs::set_permissions(r.join(rel), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
    };
    write("os.py", b"import sys\n", 0o644);
    write(
        "json/__init__.py",
        b"from .decoder import JSONDecoder\n",
        0o600,
    );
    write(
        "json/__pycache__/__init__.cpython-311.pyc",
        b"opt0\0\xff",
        0o444,
    );
    write("run.sh", b"#!/bin/sh\n", 0o755);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(r.join("json/__init__.py"))
        .expect("open")
        .set_modified(old)
        .expect("set mtime");
    std::fs::hard_link(
        r.join("json/__pycache__/__init__.cpython-311.pyc"),
        r.join("json/__pycache__/__init__.cpython-311.opt-1.pyc"),
    )
    .expect("link");
    root
}

fn write(path: &str, bytes: &[u8], mode: u32) -> Action {
    Action::Write {
        path: PathBuf::from(path),
        bytes: bytes.to_vec().into(),
        mode,
        kind: Kind::Data,
        module: String::new(),
    }
}

/// Performs `actions` journaled, checks the tree changed, undoes, checks it is as before.
fn round_trip(actions: &[Action], check_done: impl Fn(&Path)) {
    let root = tree();
    let before = snapshot(root.path());
    let mut journal = Journal::begin(root.path()).expect("begin");
    for action in actions {
        journal.perform(action).expect("performed");
    }
    drop(journal);
    assert!(has_journal(root.path()));
    check_done(root.path());
    let undone = undo(root.path()).expect("undo");
    assert!(undone.actions >= actions.len() as u64, "{undone:?}");
    assert!(undone.skipped.is_empty(), "{undone:?}");
    assert!(!has_journal(root.path()));
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn undo_after_remove() {
    round_trip(&[Action::Remove(PathBuf::from("json/__init__.py"))], |r| {
        assert!(!r.join("json/__init__.py").exists());
    });
}

#[test]
fn undo_after_replace() {
    // A hardlinked file replaced: its old inode comes back, still linked.
    round_trip(
        &[
            write(
                "json/__pycache__/__init__.cpython-311.opt-1.pyc",
                b"new",
                0o644,
            ),
            write("json/__init__.py", b"replaced\n", 0o755),
        ],
        |r| {
            assert_eq!(
                std::fs::read(r.join("json/__init__.py")).expect("read"),
                b"replaced\n"
            );
            let mode = r.join("json/__init__.py").metadata().expect("stat").mode();
            assert_eq!(mode & 0o7777, 0o755);
        },
    );
}

#[test]
fn undo_after_write_creating_directories() {
    round_trip(&[write("new/dir/file.txt", b"x", 0o644)], |r| {
        assert!(r.join("new/dir/file.txt").is_file());
    });
}

#[test]
fn undo_after_link() {
    round_trip(
        &[
            // Over an existing file.
            Action::Link {
                existing: PathBuf::from("os.py"),
                target: PathBuf::from("run.sh"),
            },
            // A new name.
            Action::Link {
                existing: PathBuf::from("os.py"),
                target: PathBuf::from("json/os.py"),
            },
        ],
        |r| {
            let ino = |p: &str| r.join(p).metadata().expect("stat").ino();
            assert_eq!(ino("os.py"), ino("run.sh"));
            assert_eq!(ino("os.py"), ino("json/os.py"));
        },
    );
}

#[test]
fn undo_after_move() {
    round_trip(
        &[Action::Move {
            from: PathBuf::from("json/__pycache__/__init__.cpython-311.pyc"),
            to: PathBuf::from("lib/json/__init__.pyc"),
            kind: Kind::Sourceless,
        }],
        |r| {
            assert!(!r.join("json/__pycache__/__init__.cpython-311.pyc").exists());
            assert!(r.join("lib/json/__init__.pyc").is_file());
        },
    );
}

#[test]
fn undo_after_remove_dir() {
    round_trip(
        &[
            Action::Remove(PathBuf::from("json/__pycache__/__init__.cpython-311.pyc")),
            Action::Remove(PathBuf::from(
                "json/__pycache__/__init__.cpython-311.opt-1.pyc",
            )),
            Action::RemoveDir(PathBuf::from("json/__pycache__")),
            // Its mode (0750) comes back.
            Action::RemoveDir(PathBuf::from("empty")),
        ],
        |r| {
            assert!(!r.join("json/__pycache__").exists());
            assert!(!r.join("empty").exists());
        },
    );
}

#[test]
fn undo_after_a_killed_run() {
    let root = tree();
    let r = root.path();
    let before = snapshot(r);
    let mut journal = Journal::begin(r).expect("begin");
    journal
        .perform(&write("os.py", b"import nothing\n", 0o644))
        .expect("performed");
    journal
        .perform(&Action::Remove(PathBuf::from("run.sh")))
        .expect("performed");
    // Recorded, then failed (as if killed before it happened).
    journal
        .perform(&Action::Remove(PathBuf::from("json/missing.py")))
        .expect_err("nothing to remove");
    // A replacement killed halfway leaves its temporary behind.
    std::fs::write(r.join("json/.pyprune-1-0.tmp"), b"half").expect("write");
    // Killed: no commit.
    drop(journal);
    assert!(has_journal(r));
    // A second change refuses to start over the first.
    assert!(matches!(Journal::begin(r), Err(JournalError::Exists(_))));
    assert_eq!(undo(r).expect("undo").actions, 3);
    assert_eq!(snapshot(r), before);
}

#[test]
fn a_journal_killed_before_its_log_undoes_nothing() {
    let root = tree();
    let before = snapshot(root.path());
    std::fs::create_dir(root.path().join(JOURNAL_DIR)).expect("mkdir");
    assert!(has_journal(root.path()));
    assert_eq!(undo(root.path()).expect("undo").actions, 0);
    assert!(!has_journal(root.path()));
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn undo_twice_finds_nothing_the_second_time() {
    let root = tree();
    let before = snapshot(root.path());
    let mut journal = Journal::begin(root.path()).expect("begin");
    journal
        .perform(&Action::Remove(PathBuf::from("os.py")))
        .expect("performed");
    drop(journal);
    assert_eq!(undo(root.path()).expect("undo").actions, 1);
    let error = undo(root.path()).expect_err("nothing to undo");
    assert!(matches!(error, JournalError::Missing(_)), "{error}");
    assert!(error.to_string().contains("nothing to undo"), "{error}");
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn commit_keeps_the_change_and_leaves_nothing_to_undo() {
    for by_path in [false, true] {
        let root = tree();
        let mut journal = Journal::begin(root.path()).expect("begin");
        journal
            .perform(&Action::Remove(PathBuf::from("os.py")))
            .expect("performed");
        journal
            .perform(&write("os.py", b"new\n", 0o600))
            .expect("performed");
        if by_path {
            drop(journal);
            commit(root.path()).expect("commit");
        } else {
            journal.commit().expect("commit");
        }
        assert!(!has_journal(root.path()));
        assert!(matches!(undo(root.path()), Err(JournalError::Missing(_))));
        assert!(matches!(
            commit(root.path()),
            Err(JournalError::NothingToCommit(_))
        ));
        let after = snapshot(root.path());
        assert!(
            matches!(&after[Path::new("os.py")], Entry::File { mode: 0o600, bytes, .. } if bytes == b"new\n")
        );
        assert!(!after.keys().any(|p| p.starts_with(JOURNAL_DIR)));
    }
}

#[test]
fn a_corrupt_journal_is_said_so() {
    let root = tree();
    let journal = Journal::begin(root.path()).expect("begin");
    drop(journal);
    std::fs::write(
        root.path().join(JOURNAL_DIR).join("log"),
        "1\tfrobnicate\t00\n",
    )
    .expect("write");
    let error = undo(root.path()).expect_err("corrupt");
    assert!(matches!(error, JournalError::Corrupt(..)), "{error}");
    assert!(has_journal(root.path()));
}

/// Found by the journal fuzz target: a log naming a path or a trash entry
/// outside the tree made undo delete, or move into the tree, a file outside it.
#[test]
fn a_log_that_leads_out_of_the_tree_is_refused_and_nothing_outside_touched() {
    let hex = |p: &str| p.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let outside_of = |dir: &Path| dir.join("outside.py");
    for log in [
        // Undoing a creation removes the file: one beside the tree.
        format!("1\tcreate\t{}\n", hex("../outside.py")),
        format!("1\tcreate\t{}\n", hex("json/../../outside.py")),
        // An absolute path, from the root of the file system.
        format!("1\tcreate\t{}\n", hex("/OUTSIDE")),
        // The old file of a removal, fetched from above the trash.
        format!("../../../outside.py\tremove\t{}\n", hex("json/gone.py")),
        // A move put back to a place outside.
        format!(
            "1\tmove\t{}\t{}\n",
            hex("../outside.py"),
            hex("json/__init__.py")
        ),
    ] {
        let parent = tempfile::tempdir().expect("tempdir");
        let root = parent.path().join("tree");
        std::fs::create_dir_all(root.join("json")).expect("mkdir");
        std::fs::write(root.join("json/__init__.py"), "x = 1\n").expect("write");
        std::fs::write(outside_of(parent.path()), "outside = 1\n").expect("write");
        let log = log.replace("/OUTSIDE", &outside_of(parent.path()).to_string_lossy());
        drop(Journal::begin(&root).expect("begin"));
        std::fs::write(root.join(JOURNAL_DIR).join("log"), &log).expect("write");
        let error = undo(&root).expect_err(&log);
        assert!(matches!(error, JournalError::Corrupt(..)), "{log}: {error}");
        assert_eq!(
            std::fs::read_to_string(outside_of(parent.path()))
                .ok()
                .as_deref(),
            Some("outside = 1\n"),
            "{log}"
        );
        assert!(root.join("json/__init__.py").exists(), "{log}");
        assert!(has_journal(&root), "{log}");
    }
}

#[test]
fn undo_after_move_over_an_existing_file() {
    // sourceless moves `__pycache__/x.TAG.pyc` to `x.pyc`, which may be there already.
    round_trip(
        &[Action::Move {
            from: PathBuf::from("json/__pycache__/__init__.cpython-311.pyc"),
            to: PathBuf::from("os.py"),
            kind: Kind::Sourceless,
        }],
        |r| assert_eq!(std::fs::read(r.join("os.py")).expect("read"), b"opt0\0\xff"),
    );
}

#[test]
fn a_failed_action_undoes_the_whole_change() {
    let root = tree();
    let before = snapshot(root.path());
    let actions = [
        write("json/new.py", b"x = 1\n", 0o644),
        Action::Remove(PathBuf::from("json/__init__.py")),
        Action::Remove(PathBuf::from("json/gone.py")),
    ];
    let error = Journal::begin(root.path())
        .expect("begin")
        .perform_all(&actions)
        .expect_err("the third action fails");
    assert!(matches!(error, RollbackError::Undone(_)), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("the change failed and was undone"),
        "{error}"
    );
    assert!(!has_journal(root.path()));
    assert_eq!(snapshot(root.path()), before);
    // When all goes well, the journal stays for undo or commit.
    let journal = Journal::begin(root.path())
        .expect("begin")
        .perform_all(&actions[..2])
        .expect("performed");
    assert!(!root.path().join("json/__init__.py").exists());
    journal.commit().expect("committed");
    assert!(!has_journal(root.path()));
}

/// Performs `actions` journaled, lets another program change the tree
/// (`meddle`), undoes; returns the tree before, the undo and the tree after.
fn undo_after_meddling(
    actions: &[Action],
    meddle: impl Fn(&Path),
) -> (
    tempfile::TempDir,
    BTreeMap<PathBuf, Entry>,
    Undone,
    BTreeMap<PathBuf, Entry>,
) {
    let root = tree();
    let before = snapshot(root.path());
    drop(
        Journal::begin(root.path())
            .expect("begin")
            .perform_all(actions)
            .expect("performed"),
    );
    meddle(root.path());
    let undone = undo(root.path()).expect("undo restores what it can");
    assert!(!has_journal(root.path()));
    let after = snapshot(root.path());
    (root, before, undone, after)
}

fn skipped(undone: &Undone) -> Vec<(&str, Skip)> {
    undone
        .skipped
        .iter()
        .map(|(p, s)| (p.to_str().expect("utf-8"), *s))
        .collect()
}

/// The trees are the same except at `paths` (and below them).
fn same_except(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
    paths: &[&str],
) {
    let outside = |tree: &BTreeMap<PathBuf, Entry>| -> Vec<(PathBuf, String)> {
        tree.iter()
            .filter(|(p, _)| !paths.iter().any(|x| p.starts_with(x)))
            .map(|(p, e)| (p.clone(), format!("{e:?}")))
            .collect()
    };
    assert_eq!(outside(after), outside(before));
}

#[test]
fn undo_skips_a_file_replaced_since_and_restores_the_rest() {
    // pip reinstalls a file pyprune changed: it unlinks it and writes its own.
    let (_root, before, undone, after) = undo_after_meddling(
        &[
            write("os.py", b"import nothing\n", 0o644),
            Action::Remove(PathBuf::from("run.sh")),
        ],
        |r| {
            std::fs::remove_file(r.join("os.py")).expect("unlink");
            std::fs::write(r.join("os.py"), b"pip's own\n").expect("write");
        },
    );
    assert_eq!(skipped(&undone), [("os.py", Skip::Changed)]);
    assert_eq!(undone.actions, 1);
    assert!(
        matches!(&after[Path::new("os.py")], Entry::File { bytes, .. } if bytes == b"pip's own\n")
    );
    same_except(&before, &after, &["os.py"]);
}

#[test]
fn undo_skips_a_file_written_where_pyprune_removed_one() {
    let (_root, before, undone, after) = undo_after_meddling(
        &[
            Action::Remove(PathBuf::from("os.py")),
            write("json/new.py", b"x\n", 0o644),
        ],
        |r| std::fs::write(r.join("os.py"), b"reinstalled\n").expect("write"),
    );
    assert_eq!(skipped(&undone), [("os.py", Skip::Changed)]);
    assert!(
        matches!(&after[Path::new("os.py")], Entry::File { bytes, .. } if bytes == b"reinstalled\n")
    );
    same_except(&before, &after, &["os.py"]);
}

#[test]
fn undo_skips_what_an_uninstall_took_with_its_directory() {
    // pip uninstall: the package's directory goes, files pyprune removed or changed in it included.
    let (_root, before, undone, after) = undo_after_meddling(
        &[
            Action::Remove(PathBuf::from("json/__init__.py")),
            write("json/__pycache__/__init__.cpython-311.pyc", b"new", 0o644),
            write("json/__pycache__/extra.cpython-311.pyc", b"added", 0o644),
            Action::Remove(PathBuf::from(
                "json/__pycache__/__init__.cpython-311.opt-1.pyc",
            )),
            write("os.py", b"changed\n", 0o644),
        ],
        |r| std::fs::remove_dir_all(r.join("json")).expect("uninstall"),
    );
    // What pyprune added and pip removed is as it was (absent): not named.
    assert_eq!(
        skipped(&undone),
        [
            ("json/__init__.py", Skip::DirectoryGone),
            (
                "json/__pycache__/__init__.cpython-311.opt-1.pyc",
                Skip::DirectoryGone
            ),
            ("json/__pycache__/__init__.cpython-311.pyc", Skip::Removed),
        ]
    );
    assert!(!after.keys().any(|p| p.starts_with("json")));
    same_except(&before, &after, &["json"]);
}

#[test]
fn undo_keeps_a_directory_it_made_that_now_holds_other_files() {
    let (_root, before, undone, after) =
        undo_after_meddling(&[write("new/dir/x.py", b"x\n", 0o644)], |r| {
            std::fs::write(r.join("new/dir/y.py"), b"y\n").expect("write")
        });
    assert_eq!(
        skipped(&undone),
        [("new", Skip::NotEmpty), ("new/dir", Skip::NotEmpty)]
    );
    let new: Vec<_> = after.keys().filter(|p| p.starts_with("new")).collect();
    assert_eq!(
        new,
        [
            Path::new("new"),
            Path::new("new/dir"),
            Path::new("new/dir/y.py")
        ]
    );
    same_except(&before, &after, &["new"]);
}

#[test]
fn undo_ties_both_ends_of_a_move() {
    // sourceless moved a cache to `x.pyc`; pip then compiled a new cache at the old place.
    let cache = "json/__pycache__/__init__.cpython-311.pyc";
    let (_root, before, undone, after) = undo_after_meddling(
        &[
            Action::Move {
                from: PathBuf::from(cache),
                to: PathBuf::from("json/__init__.pyc"),
                kind: Kind::Sourceless,
            },
            Action::Remove(PathBuf::from("os.py")),
        ],
        |r| std::fs::write(r.join(cache), b"pip's cache").expect("write"),
    );
    assert_eq!(
        skipped(&undone),
        [("json/__init__.pyc", Skip::Moved), (cache, Skip::Changed)]
    );
    assert!(
        matches!(&after[Path::new(cache)], Entry::File { bytes, .. } if bytes == b"pip's cache")
    );
    // The moved file stays where it went: moving it back would clobber pip's.
    assert!(after.contains_key(Path::new("json/__init__.pyc")));
    same_except(&before, &after, &[cache, "json/__init__.pyc"]);
}

#[test]
fn a_journal_without_recorded_states_undoes_as_before() {
    // Journals of earlier pyprune versions end an action with `done SEQ` alone:
    // every path is judged by the disk only, as then.
    let root = tree();
    let before = snapshot(root.path());
    drop(
        Journal::begin(root.path())
            .expect("begin")
            .perform_all(&[
                write("os.py", b"import nothing\n", 0o644),
                Action::Remove(PathBuf::from("run.sh")),
                write("json/new.py", b"x\n", 0o644),
            ])
            .expect("performed"),
    );
    let log = root.path().join(JOURNAL_DIR).join("log");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.lines()
            .any(|l| l.starts_with("done\t") && l.split('\t').count() > 2)
    );
    let old: String = text
        .lines()
        .map(|l| match l.strip_prefix("done\t") {
            Some(rest) => format!("done\t{}\n", rest.split('\t').next().unwrap_or_default()),
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&log, old).expect("write");
    let undone = undo(root.path()).expect("undo");
    assert_eq!((undone.actions, undone.skipped.len()), (3, 0));
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn undo_skips_what_a_package_replaced_by_a_module_of_its_name_took() {
    // pip: the `json` package uninstalled, a `json` file (and a new dir's file) there instead.
    let (_root, before, undone, after) = undo_after_meddling(
        &[
            Action::Remove(PathBuf::from("json/__init__.py")),
            write("made/x.py", b"x\n", 0o644),
        ],
        |r| {
            std::fs::remove_dir_all(r.join("json")).expect("uninstall");
            std::fs::write(r.join("json"), b"a module now\n").expect("write");
            std::fs::remove_dir_all(r.join("made")).expect("rm");
            std::fs::write(r.join("made"), b"a file now\n").expect("write");
        },
    );
    assert_eq!(
        skipped(&undone),
        [
            ("json/__init__.py", Skip::DirectoryGone),
            ("made", Skip::Changed)
        ]
    );
    assert!(
        matches!(&after[Path::new("json")], Entry::File { bytes, .. } if bytes == b"a module now\n")
    );
    same_except(&before, &after, &["json", "made"]);
}
