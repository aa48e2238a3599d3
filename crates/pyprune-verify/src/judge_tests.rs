//! The judging rules on made-up verdicts: no interpreter is run.

use super::*;
use crate::launch::Placement;
use std::cell::RefCell;

fn empty_report() -> Report {
    Report {
        tree: "/t".into(),
        against: None,
        python: "/usr/bin/python3".into(),
        placement: Placement::Path(Vec::new()),
        promises: promises(false, false, false),
        checks: Vec::new(),
        regressions: Vec::new(),
        notes: Vec::new(),
        removed: Vec::new(),
    }
}

fn promises(tracebacks: bool, no_writes: bool, removals: bool) -> Promises {
    Promises {
        tracebacks,
        no_writes,
        removals,
    }
}

fn verdict(word: &str, reason: &str) -> Verdict {
    Verdict {
        word: word.into(),
        reason: reason.into(),
        outside: Vec::new(),
    }
}

fn verdicts(entries: &[(&str, &str, &str)]) -> BTreeMap<Vec<u8>, Verdict> {
    entries
        .iter()
        .map(|(item, word, reason)| (item.as_bytes().to_vec(), verdict(word, reason)))
        .collect()
}

fn finding(check: &'static str, subject: &str, reason: &str) -> Finding {
    Finding {
        check,
        subject: subject.into(),
        reason: reason.into(),
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|&n| n.to_owned()).collect()
}

#[test]
fn without_an_original_every_import_failure_is_a_note() {
    let mut report = empty_report();
    let here = verdicts(&[("json", "OK", ""), ("ssl", "FAIL", "ImportError: no _ssl")]);
    judge_imports("imports", &here, None, &mut report);
    assert_eq!(report.regressions, []);
    assert_eq!(
        report.notes,
        [finding(
            "imports",
            "ssl",
            "ImportError: no _ssl (no original to compare with: --against)"
        )]
    );
    let summary = &report.checks[0];
    assert_eq!(
        (summary.check, summary.checked, summary.failed),
        ("imports", 2, 1)
    );
    assert_eq!(summary.skipped, None);
    assert!(report.passed());
}

#[test]
fn with_an_original_only_what_imported_there_is_a_regression() {
    let mut report = empty_report();
    let here = verdicts(&[
        ("a", "FAIL", "broke"),
        ("b", "FAIL", "always broken"),
        ("c", "FAIL", "new and broken"),
        ("d", "OK", ""),
    ]);
    let before = verdicts(&[
        ("a", "OK", ""),
        ("b", "FAIL", "always broken"),
        ("d", "FAIL", "fixed since"),
    ]);
    judge_imports("imports -O", &here, Some(&before), &mut report);
    assert_eq!(report.regressions, [finding("imports -O", "a", "broke")]);
    assert_eq!(
        report.notes,
        [
            finding(
                "imports -O",
                "b",
                "always broken (fails in the original too)"
            ),
            finding("imports -O", "c", "new and broken (not in the original)"),
        ]
    );
    assert_eq!((report.checks[0].checked, report.checks[0].failed), (4, 3));
    assert!(!report.passed());
}

#[test]
fn a_skipped_module_in_the_original_did_not_import_there() {
    // Only `OK` counts as having imported: a module the original's worker
    // skipped is no proof that it worked.
    let mut report = empty_report();
    let here = verdicts(&[("m", "FAIL", "gone")]);
    let before = verdicts(&[("m", "SKIP", "")]);
    judge_imports("imports", &here, Some(&before), &mut report);
    assert_eq!(report.regressions, []);
    assert_eq!(report.notes.len(), 1);
}

#[test]
fn a_module_gone_from_the_tree_is_a_regression_unless_removals_are_promised() {
    let original = names(&["email", "json", "ssl"]);
    let here = names(&["json", "newcomer"]);

    let mut report = empty_report();
    judge_removed(
        &original,
        &here,
        &promises(false, false, false),
        &mut report,
    );
    assert_eq!(report.removed, ["email", "ssl"]);
    assert_eq!(
        report.regressions,
        [
            finding("imports", "email", "in the original, gone from the tree"),
            finding("imports", "ssl", "in the original, gone from the tree"),
        ]
    );
    assert!(!report.passed());

    let mut report = empty_report();
    judge_removed(&original, &here, &promises(false, false, true), &mut report);
    assert_eq!(report.removed, ["email", "ssl"]);
    assert_eq!(report.regressions, []);
    assert!(report.passed());
}

#[test]
fn a_failing_file_is_a_note_only_if_the_original_has_it_unchanged() {
    let files = [
        PathBuf::from("bad_syntax.py"),
        PathBuf::from("edited.py"),
        PathBuf::from("fine.py"),
        PathBuf::from("__pycache__/x.cpython-311.pyc"),
    ];
    let items: Vec<Vec<u8>> = ["/t/bad_syntax.py", "/t/edited.py", "/t/fine.py", "/t/x.pyc"]
        .iter()
        .map(|i| i.as_bytes().to_vec())
        .collect();
    let verdicts = verdicts(&[
        ("/t/bad_syntax.py", "FAIL", "SyntaxError: invalid syntax"),
        ("/t/edited.py", "FAIL", "SyntaxError: oops"),
        ("/t/fine.py", "OK", ""),
        ("/t/x.pyc", "FAIL", "bad magic number"),
    ]);
    let mut report = empty_report();
    judge_files(
        &files,
        &items,
        &verdicts,
        |rel| rel == Path::new("bad_syntax.py"),
        &mut report,
    );
    assert_eq!(
        report.notes,
        [finding(
            "bytecode and sources",
            "bad_syntax.py",
            "SyntaxError: invalid syntax (the same source in the original)"
        )]
    );
    assert_eq!(
        report.regressions,
        [
            finding("bytecode and sources", "edited.py", "SyntaxError: oops"),
            finding(
                "bytecode and sources",
                "__pycache__/x.cpython-311.pyc",
                "bad magic number"
            ),
        ]
    );
    assert_eq!((report.checks[0].checked, report.checks[0].failed), (4, 3));

    // Without an original, nothing is known to be unchanged: every failure counts.
    let mut report = empty_report();
    judge_files(&files, &items, &verdicts, |_| false, &mut report);
    assert_eq!(report.regressions.len(), 3);
    assert_eq!(report.notes, []);
}

#[test]
fn same_source_compares_bytes_at_the_same_place_under_each_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let here = dir.path().join("here");
    let library = here.join("lib/python3.11");
    let original_library = dir.path().join("original/lib/python3.11");
    for (lib, identical, edited) in [
        (&library, "x = (\n", "y = (\n"),
        (&original_library, "x = (\n", "y = 1\n"),
    ] {
        std::fs::create_dir_all(lib).expect("mkdir");
        std::fs::write(lib.join("broken.py"), identical).expect("write");
        std::fs::write(lib.join("edited.py"), edited).expect("write");
        std::fs::write(lib.join("broken.pyc"), identical).expect("write");
    }
    std::fs::write(here.join("outside.py"), "x = (\n").expect("write");
    let same = |rel: &str| crate::same_source(&here, &library, &original_library, Path::new(rel));
    assert!(same("lib/python3.11/broken.py"));
    assert!(!same("lib/python3.11/edited.py"));
    // Only sources: pyprune rewrites caches.
    assert!(!same("lib/python3.11/broken.pyc"));
    // Not under the library directory: no place to look in the original.
    assert!(!same("outside.py"));
    // Missing on either side.
    assert!(!same("lib/python3.11/absent.py"));
}

#[test]
fn tracebacks_are_checked_only_where_promised_and_something_is_minimized() {
    let minimized = names(&["json", "os"]);
    let not_promised =
        traceback_items(&promises(false, true, true), &minimized).expect_err("skipped");
    assert_eq!(
        (not_promised.check, not_promised.skipped.as_deref()),
        ("tracebacks", Some("the tree does not promise it"))
    );
    let nothing =
        traceback_items(&promises(true, false, false), &BTreeSet::new()).expect_err("skipped");
    assert_eq!(
        nothing.skipped.as_deref(),
        Some("no sourceless or zipped modules")
    );
    assert_eq!(
        traceback_items(&promises(true, false, false), &minimized).expect("run"),
        [b"json".to_vec(), b"os".to_vec()]
    );
}

#[test]
fn a_traceback_without_its_line_is_a_regression_and_skips_are_not_counted() {
    let mut report = empty_report();
    let verdicts = verdicts(&[
        ("a", "OK", ""),
        ("b", "NOLINE", "worker text"),
        ("c", "FAIL", "ImportError: x"),
        ("d", "SKIP", "does not import"),
    ]);
    judge_tracebacks(&verdicts, &mut report);
    assert_eq!(
        report.regressions,
        [
            finding(
                "tracebacks",
                "b",
                "an uncaught exception raised in it shows no source line"
            ),
            finding("tracebacks", "c", "ImportError: x"),
        ]
    );
    assert_eq!((report.checks[0].checked, report.checks[0].failed), (3, 2));
    assert_eq!(report.notes, []);
}

#[test]
fn every_write_is_a_regression_and_only_created_files_are_removed() {
    let asked = RefCell::new(Vec::new());
    let remove = |path: &Path| {
        asked.borrow_mut().push(path.to_path_buf());
        path == Path::new("__pycache__/a.cpython-311.pyc")
    };
    let written = vec![
        (PathBuf::from("__pycache__/a.cpython-311.pyc"), true),
        (PathBuf::from("__pycache__/b.cpython-311.pyc"), true),
        (PathBuf::from("c.py"), false),
    ];
    let mut report = empty_report();
    judge_writes(10, written, remove, &mut report);
    assert_eq!(
        report.regressions,
        [
            finding(
                "no writes",
                "__pycache__/a.cpython-311.pyc",
                "created (removed again)"
            ),
            finding("no writes", "__pycache__/b.cpython-311.pyc", "created"),
            finding("no writes", "c.py", "changed"),
        ]
    );
    // A changed file is never taken away.
    assert_eq!(
        asked.into_inner(),
        [
            PathBuf::from("__pycache__/a.cpython-311.pyc"),
            PathBuf::from("__pycache__/b.cpython-311.pyc")
        ]
    );
    let summary = &report.checks[0];
    assert_eq!(
        (summary.check, summary.checked, summary.failed),
        ("no writes", 10, 3)
    );

    let mut clean = empty_report();
    judge_writes(10, Vec::new(), |_| unreachable!(), &mut clean);
    assert!(clean.passed());
    assert_eq!(clean.checks[0].failed, 0);
}

#[test]
fn running_as_someone_else_than_the_owner_is_noted_unless_root() {
    assert_eq!(owner_note(1000, 1000, "/t"), None);
    assert_eq!(owner_note(0, 1000, "/t"), None);
    let note = owner_note(1000, 0, "/t").expect("a note");
    assert_eq!((note.check, note.subject.as_str()), ("no writes", "/t"));
    assert!(note.reason.contains("uid 1000") && note.reason.contains("uid 0"));
}

#[test]
fn a_report_passes_with_notes_but_not_with_a_regression() {
    let mut report = empty_report();
    assert!(report.passed());
    report.notes.push(finding("walk", "x", "symlink loop"));
    assert!(report.passed());
    report.regressions.push(finding("imports", "json", "gone"));
    assert!(!report.passed());
}

#[test]
fn a_skipped_check_says_why() {
    let summary = skipped("no writes", "the tree does not promise it");
    assert_eq!((summary.checked, summary.failed), (0, 0));
    assert_eq!(
        summary.skipped.as_deref(),
        Some("the tree does not promise it")
    );
}
