//! `pyprune verify`: proof, by the interpreter itself, that a tree still
//! behaves as Python. Each check runs the target interpreter on the tree,
//! isolated from the caller's environment and under a timeout:
//!
//! - every bytecode file carries this interpreter's header and unmarshals,
//!   and every source compiles;
//! - every module imports (with an original to compare with, a module that
//!   imported there and fails here is a regression), at `-O` and `-OO` too;
//! - where promised, a traceback through a minimized module shows its line;
//! - where promised, all those runs, with bytecode writing on, create no file.

mod launch;
mod modules;
mod original;
mod report;
mod snapshot;
mod worker;

pub use launch::{Placement, RunMode, TreePython};
pub use modules::{Modules, SIDE_EFFECTS, module_name, modules};
pub use original::{Against, Baseline, record};
pub use report::{CheckSummary, Finding, Promises, Report};

use pyprune_python::Interpreter;
use pyprune_tree::{Inventory, Kind, ScanOptions, Tally};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use worker::{Verdict, Worker};

/// What to verify, and how.
pub struct Request<'a> {
    pub tree: &'a Path,
    /// The tree before minimization, to compare with.
    pub against: Option<Against<'a>>,
    pub python: &'a Interpreter,
    pub promises: Promises,
    /// How long one item (a module, a file) may take.
    pub timeout: Duration,
    /// Worker processes at once.
    pub jobs: usize,
    /// Counts what is being done, for a progress display.
    pub progress: &'a Tally,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("tree", &self.tree)
            .field("against", &self.against)
            .field("promises", &self.promises)
            .field("timeout", &self.timeout)
            .field("jobs", &self.jobs)
            .finish_non_exhaustive()
    }
}

/// Why verification could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Tree(#[from] pyprune_tree::TreeError),
    #[error("cannot create a scratch directory")]
    Scratch(#[source] std::io::Error),
}

/// One tree under test: its files, its modules, the interpreter placed on it.
struct Subject {
    inventory: Inventory,
    modules: Modules,
    python: TreePython,
}

impl Subject {
    /// `scratch`: a directory of its own, where a prefix may be made for it.
    fn new(root: &Path, python: &Interpreter, scratch: &Path) -> Result<Subject, VerifyError> {
        let inventory = Inventory::scan(root, &ScanOptions::default())?;
        let modules = modules(&inventory);
        let python =
            TreePython::new(python, &inventory.root, scratch).map_err(VerifyError::Scratch)?;
        Ok(Subject {
            inventory,
            modules,
            python,
        })
    }
}

/// What the tree was, as [`verify`] uses it.
enum Before<'a> {
    Tree(Box<Subject>),
    Recorded(&'a Baseline),
}

impl Before<'_> {
    fn modules(&self) -> &BTreeSet<String> {
        match self {
            Before::Tree(subject) => &subject.modules.all,
            Before::Recorded(baseline) => &baseline.modules,
        }
    }

    fn root(&self) -> &Path {
        match self {
            Before::Tree(subject) => &subject.inventory.root,
            Before::Recorded(baseline) => &baseline.root,
        }
    }
}

/// The import check's runs: the name each reports under, and the optimization level.
const IMPORT_RUNS: &[(&str, u8)] = &[("imports", 0), ("imports -O", 1), ("imports -OO", 2)];

/// Runs every check on `request.tree`.
pub fn verify(request: &Request<'_>) -> Result<Report, VerifyError> {
    let scratch = tempfile::tempdir().map_err(VerifyError::Scratch)?;
    let subject = Subject::new(request.tree, request.python, &scratch.path().join("tree"))?;
    let original = match request.against {
        None => None,
        Some(Against::Tree(path)) => Some(Before::Tree(Box::new(Subject::new(
            path,
            request.python,
            &scratch.path().join("original"),
        )?))),
        Some(Against::Recorded(baseline)) => Some(Before::Recorded(baseline)),
    };
    let worker = |python| Worker {
        python,
        tally: Some(request.progress),
        cwd: scratch.path(),
        timeout: request.timeout,
        jobs: request.jobs,
    };
    let here = worker(&subject.python);
    let mut report = Report {
        tree: pyprune_fs::display_path(&subject.inventory.root),
        against: original.as_ref().map(|o| match o {
            Before::Tree(_) => pyprune_fs::display_path(o.root()),
            Before::Recorded(_) => {
                format!("{} (before the change)", pyprune_fs::display_path(o.root()))
            }
        }),
        python: pyprune_fs::display_path(&request.python.executable),
        placement: subject.python.placement.clone(),
        promises: request.promises,
        checks: Vec::new(),
        regressions: Vec::new(),
        notes: Vec::new(),
        removed: Vec::new(),
    };
    // What the walk met and went on without (symlink loops, links out of the
    // tree, unreadable files): named, not judged.
    for warning in &subject.inventory.warnings {
        report.notes.push(Finding {
            check: "walk",
            subject: pyprune_fs::display_path(&warning.path),
            reason: warning.message.clone(),
        });
    }
    for (zip, reason) in &subject.modules.unreadable_zips {
        report.regressions.push(Finding {
            check: "imports",
            subject: zip.clone(),
            reason: format!("cannot read the zip: {reason}"),
        });
    }
    let before = request
        .promises
        .no_writes
        .then(|| snapshot::snapshot(&subject.inventory.root));
    if request.promises.no_writes
        && let Some((ours, owner)) = owners(scratch.path(), &subject.inventory.root)
        && ours != owner
        && ours != 0
    {
        // Writes a user may not make are never tried: the check proves less.
        report.notes.push(Finding {
            check: "no writes",
            subject: report.tree.clone(),
            reason: format!(
                "verify runs as uid {ours}, the tree belongs to uid {owner}: Python could not write where the owner could"
            ),
        });
    }

    check_files(request, &subject, original.as_ref(), &here, &mut report);

    // Imports: every module, at each optimization level.
    let write_bytecode = request.promises.no_writes;
    if let Some(original) = &original {
        report.removed = original
            .modules()
            .difference(&subject.modules.all)
            .cloned()
            .collect();
        if !request.promises.removals {
            for module in &report.removed {
                report.regressions.push(Finding {
                    check: "imports",
                    subject: module.clone(),
                    reason: "in the original, gone from the tree".into(),
                });
            }
        }
    }
    for (run, &(check, optimize)) in IMPORT_RUNS.iter().enumerate() {
        let names = subject.modules.items();
        request
            .progress
            .begin(format!("verify, {check}"), names.len() as u64);
        let verdicts = here.imports(optimize, write_bytecode, &names);
        let baseline = original.as_ref().map(|original| match original {
            Before::Recorded(baseline) => baseline.imports.get(run).cloned().unwrap_or_default(),
            Before::Tree(original) => {
                // Only the modules that failed here need asking about.
                let names: Vec<Vec<u8>> = original
                    .modules
                    .all
                    .iter()
                    .map(|m| m.as_bytes().to_vec())
                    .filter(|n| verdicts.get(n).is_some_and(|v| !v.ok()))
                    .collect();
                request.progress.begin(
                    format!("verify, {check} in the original"),
                    names.len() as u64,
                );
                worker(&original.python).imports(optimize, false, &names)
            }
        });
        judge(check, &verdicts, baseline.as_ref(), &mut report);
    }

    check_tracebacks(request, &subject, &here, &mut report);

    if let Some(before) = before {
        let after = snapshot::snapshot(&subject.inventory.root);
        let written = snapshot::changed(&before, &after);
        report.checks.push(CheckSummary {
            check: "no writes",
            checked: after.len() as u64,
            failed: written.len() as u64,
            skipped: None,
        });
        for (path, created) in written {
            // A file Python created goes again (verify leaves the tree as it found
            // it where it can); a changed one cannot be put back.
            let full = subject.inventory.root.join(&path);
            let reason = if !created {
                "changed"
            } else if full.symlink_metadata().is_ok_and(|m| m.is_file())
                && std::fs::remove_file(&full).is_ok()
            {
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
    } else {
        report
            .checks
            .push(skipped("no writes", "the tree does not promise it"));
    }
    Ok(report)
}

/// The uid verify runs as (the owner of the scratch directory it just made)
/// and the owner of the tree's root.
fn owners(scratch: &Path, root: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt as _;
    Some((
        std::fs::metadata(scratch).ok()?.uid(),
        std::fs::metadata(root).ok()?.uid(),
    ))
}

fn skipped(check: &'static str, why: &str) -> CheckSummary {
    CheckSummary {
        check,
        checked: 0,
        failed: 0,
        skipped: Some(why.into()),
    }
}

/// Sorts failures into regressions and notes: with a baseline, a failure is a
/// regression only if the module did not fail there; without one, every
/// failure is a note (nothing says it ever imported).
fn judge(
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

/// Every bytecode file of this interpreter loads and every source compiles.
fn check_files(
    request: &Request<'_>,
    subject: &Subject,
    original: Option<&Before<'_>>,
    here: &Worker<'_>,
    report: &mut Report,
) {
    let (files, items) = checked_files(subject, &request.python.cache_tag, false);
    request
        .progress
        .begin("verify, bytecode and sources", files.len() as u64);
    let verdicts = here.run(
        "check",
        RunMode {
            optimize: 0,
            write_bytecode: false,
        },
        &items,
    );
    let mut failed = 0;
    for (item, rel) in items.iter().zip(files.iter()) {
        if let Some(verdict) = verdicts.get(item).filter(|v| !v.ok()) {
            failed += 1;
            let finding = Finding {
                check: "bytecode and sources",
                subject: pyprune_fs::display_path(rel),
                reason: verdict.reason.clone(),
            };
            // pyprune never edits a source: one the original has byte for byte failed there too.
            let unchanged = match original {
                Some(Before::Tree(original)) => same_source(subject, original, rel),
                Some(Before::Recorded(baseline)) => baseline.failing_sources.contains(rel),
                None => false,
            };
            if unchanged {
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

/// The files the bytecode-and-sources check reads (relative paths, and
/// absolute ones as worker items): sources outside test suites (those hold
/// deliberately broken files), sourceless modules, this interpreter's caches.
pub(crate) fn checked_files(
    subject: &Subject,
    cache_tag: &str,
    sources_only: bool,
) -> (Vec<PathBuf>, Vec<Vec<u8>>) {
    use std::os::unix::ffi::OsStrExt as _;
    let tag = format!(".{cache_tag}.");
    let in_tests = |path: &Path| {
        path.components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("test" | "tests" | "idle_test")))
    };
    let files: Vec<PathBuf> = subject
        .inventory
        .files
        .iter()
        .filter(|f| !f.is_symlink)
        .filter(|f| match f.kind {
            Kind::Source => !in_tests(&f.path),
            _ if sources_only => false,
            Kind::Sourceless => true,
            Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 => f
                .path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(&tag)),
            _ => false,
        })
        .map(|f| f.path.clone())
        .collect();
    let items = files
        .iter()
        .map(|rel| {
            subject
                .inventory
                .root
                .join(rel)
                .as_os_str()
                .as_bytes()
                .to_vec()
        })
        .collect();
    (files, items)
}

/// Whether the source `rel` of `subject` is in `original`, byte for byte, at
/// the same place relative to each tree's library directory.
fn same_source(subject: &Subject, original: &Subject, rel: &Path) -> bool {
    if rel.extension().is_none_or(|e| e != "py") {
        return false;
    }
    let here = subject.inventory.root.join(rel);
    let Ok(inner) = here.strip_prefix(subject.python.library_dir()) else {
        return false;
    };
    let there = original.python.library_dir().join(inner);
    matches!((std::fs::read(&here), std::fs::read(&there)), (Ok(a), Ok(b)) if a == b)
}

/// A traceback through each minimized module shows its source line.
fn check_tracebacks(
    request: &Request<'_>,
    subject: &Subject,
    here: &Worker<'_>,
    report: &mut Report,
) {
    if !request.promises.tracebacks {
        report
            .checks
            .push(skipped("tracebacks", "the tree does not promise it"));
        return;
    }
    let names: Vec<Vec<u8>> = subject
        .modules
        .minimized
        .iter()
        .map(|m| m.as_bytes().to_vec())
        .collect();
    if names.is_empty() {
        report
            .checks
            .push(skipped("tracebacks", "no sourceless or zipped modules"));
        return;
    }
    request
        .progress
        .begin("verify, tracebacks", names.len() as u64);
    let verdicts = here.run(
        "traceback",
        RunMode {
            optimize: 0,
            write_bytecode: request.promises.no_writes,
        },
        &names,
    );
    let mut failed = 0;
    let mut checked = 0;
    for (name, verdict) in &verdicts {
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
