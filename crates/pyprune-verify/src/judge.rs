//! Judging what the worker said: its verdicts, the original's (when there is
//! one) and the tree's promises turned into regressions, notes and the summary
//! of each check. Nothing here runs an interpreter or reads the tree, so that
//! every rule can be tested on verdicts made up for the purpose.

use crate::report::{CheckSummary, Finding, Promises, Report};
use crate::worker::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The summary of a check that did not run, and why.
pub(crate) fn skipped(check: &'static str, why: &str) -> CheckSummary {
    CheckSummary {
        check,
        checked: 0,
        failed: 0,
        skipped: Some(why.into()),
    }
}

/// The note saying the no-writes check proves less than it says: verify runs
/// as `ours`, not as the tree's `owner`, so writes only the owner may make are
/// never tried (root may make them all).
pub(crate) fn owner_note(ours: u32, owner: u32, tree: &str) -> Option<Finding> {
    (ours != owner && ours != 0).then(|| Finding {
        check: "no writes",
        subject: tree.to_owned(),
        reason: format!(
            "verify runs as uid {ours}, the tree belongs to uid {owner}: Python could not write where the owner could"
        ),
    })
}

/// Judges the bytecode-and-sources check: `files` (relative paths) and
/// `items` (the worker's names for them) pair up. A failing file is a
/// regression unless `unchanged` says the original has it as it is and it
/// failed there too (pyprune never edits a source).
pub(crate) fn judge_files(
    files: &[PathBuf],
    items: &[Vec<u8>],
    verdicts: &BTreeMap<Vec<u8>, Verdict>,
    unchanged: impl Fn(&Path) -> bool,
    report: &mut Report,
) {
    let mut failed = 0;
    for (item, rel) in items.iter().zip(files.iter()) {
        if let Some(verdict) = verdicts.get(item).filter(|v| !v.ok()) {
            failed += 1;
            let finding = Finding {
                check: "bytecode and sources",
                subject: pyprune_fs::display_path(rel),
                reason: verdict.reason.clone(),
            };
            if unchanged(rel) {
                report.notes.push(Finding {
                    reason: format!("{} (the same source in the original)", finding.reason),
                    ..finding
                });
            } else {
                report.regressions.push(finding);
            }
        }
    }
    report.checks.push(CheckSummary {
        check: "bytecode and sources",
        checked: items.len() as u64,
        failed,
        skipped: None,
    });
}

/// Records the modules of the original the tree no longer has; each is a
/// regression unless the tree promises removals.
pub(crate) fn judge_removed(
    original: &BTreeSet<String>,
    here: &BTreeSet<String>,
    promises: &Promises,
    report: &mut Report,
) {
    report.removed = original.difference(here).cloned().collect();
    if !promises.removals {
        for module in &report.removed {
            report.regressions.push(Finding {
                check: "imports",
                subject: module.clone(),
                reason: "in the original, gone from the tree".into(),
            });
        }
    }
}

/// Sorts import failures into regressions and notes: with a baseline, a failure is a
/// regression only if the module did not fail there; without one, every
/// failure is a note (nothing says it ever imported).
pub(crate) fn judge_imports(
    check: &'static str,
    verdicts: &BTreeMap<Vec<u8>, Verdict>,
    baseline: Option<&BTreeMap<Vec<u8>, Verdict>>,
    report: &mut Report,
) {
    let mut failed = 0;
    for (name, verdict) in verdicts.iter().filter(|(_, v)| !v.ok()) {
        failed += 1;
        let subject = String::from_utf8_lossy(name).into_owned();
        match baseline.map(|b| b.get(name)) {
            Some(Some(before)) if before.ok() => report.regressions.push(Finding {
                check,
                subject,
                reason: verdict.reason.clone(),
            }),
            Some(Some(_)) => report.notes.push(Finding {
                check,
                subject,
                reason: format!("{} (fails in the original too)", verdict.reason),
            }),
            Some(None) => report.notes.push(Finding {
                check,
                subject,
                reason: format!("{} (not in the original)", verdict.reason),
            }),
            None => report.notes.push(Finding {
                check,
                subject,
                reason: format!(
                    "{} (no original to compare with: --against)",
                    verdict.reason
                ),
            }),
        }
    }
    report.checks.push(CheckSummary {
        check,
        checked: verdicts.len() as u64,
        failed,
        skipped: None,
    });
}

/// The modules the traceback check runs, or why it does not run: the tree
/// does not promise it, or has no minimized (sourceless or zipped) module.
pub(crate) fn traceback_items(
    promises: &Promises,
    minimized: &BTreeSet<String>,
) -> Result<Vec<Vec<u8>>, CheckSummary> {
    if !promises.tracebacks {
        return Err(skipped("tracebacks", "the tree does not promise it"));
    }
    if minimized.is_empty() {
        return Err(skipped("tracebacks", "no sourceless or zipped modules"));
    }
    Ok(minimized.iter().map(|m| m.as_bytes().to_vec()).collect())
}

/// Judges the traceback check: every failure is a regression (the check runs
/// only where promised); a module that was skipped (it does not import) is
/// the import check's to report and is not counted.
pub(crate) fn judge_tracebacks(verdicts: &BTreeMap<Vec<u8>, Verdict>, report: &mut Report) {
    let mut failed = 0;
    let mut checked = 0;
    for (name, verdict) in verdicts {
        let subject = String::from_utf8_lossy(name).into_owned();
        match verdict.word.as_str() {
            "OK" => checked += 1,
            // Modules that do not import are the import check's to report.
            "SKIP" => {}
            _ => {
                checked += 1;
                failed += 1;
                report.regressions.push(Finding {
                    check: "tracebacks",
                    subject,
                    reason: if verdict.word == "NOLINE" {
                        "an uncaught exception raised in it shows no source line".into()
                    } else {
                        verdict.reason.clone()
                    },
                });
            }
        }
    }
    report.checks.push(CheckSummary {
        check: "tracebacks",
        checked,
        failed,
        skipped: None,
    });
}

/// Judges isolation: each module loaded from a file outside the tree (and,
/// for a tree without a stdlib, outside the interpreter's stdlib) is a
/// regression, whatever the original did. `checked`: the modules imported.
pub(crate) fn judge_isolation(
    checked: u64,
    outside: &BTreeMap<String, PathBuf>,
    report: &mut Report,
) {
    report.checks.push(CheckSummary {
        check: "isolation",
        checked,
        failed: outside.len() as u64,
        skipped: None,
    });
    for (module, path) in outside {
        report.regressions.push(Finding {
            check: "isolation",
            subject: module.clone(),
            reason: format!(
                "imported from outside the tree: {}",
                pyprune_fs::display_path(path)
            ),
        });
    }
}

/// Judges the no-writes check: `checked` files were watched, `written` were
/// created (true) or changed (false). Each is a regression. `remove` is asked
/// to take a created file away again (verify leaves the tree as it found it
/// where it can; a changed file cannot be put back) and says if it did.
pub(crate) fn judge_writes(
    checked: u64,
    written: Vec<(PathBuf, bool)>,
    mut remove: impl FnMut(&Path) -> bool,
    report: &mut Report,
) {
    report.checks.push(CheckSummary {
        check: "no writes",
        checked,
        failed: written.len() as u64,
        skipped: None,
    });
    for (path, created) in written {
        let reason = if !created {
            "changed"
        } else if remove(&path) {
            "created (removed again)"
        } else {
            "created"
        };
        report.regressions.push(Finding {
            check: "no writes",
            subject: pyprune_fs::display_path(&path),
            reason: reason.into(),
        });
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
