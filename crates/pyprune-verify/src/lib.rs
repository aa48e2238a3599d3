//! `pyprune verify`: proof, by the interpreter itself, that a tree still
//! behaves as Python. Each check runs the target interpreter on the tree,
//! isolated from the caller's environment and under a timeout:
//!
//! - every bytecode file carries this interpreter's header and unmarshals,
//!   and every source compiles;
//! - every module imports (with an original to compare with, a module that
//!   imported there and fails here is a regression), at `-O` and `-OO` too;
//! - where promised, a traceback through a minimized module shows its line;
//! - every module loaded comes from inside the tree (see `launch` for the
//!   rule on trees without a stdlib): one from elsewhere is a regression of
//!   its own, "imported from outside the tree";
//! - where promised, all those runs, with bytecode writing on, create no file.
//!
//! A module that fails in a batch is run again in a fresh process with only
//! its package's modules, then, if it still fails and the original has it,
//! alone in the original and, where it imports there, alone in the tree,
//! before it is judged: verdicts do not depend on import order. (Without an
//! original, failures are notes, and the package round is all they get.) Runs write no bytecode (`-B`) except those of the
//! no-writes check, which run only once a run with `-B` proved isolation, so
//! that no run of verify writes outside the tree under test.

#[doc(hidden)]
pub mod fuzzing;
mod judge;
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

use judge::{
    judge_files, judge_imports, judge_isolation, judge_removed, judge_tracebacks, judge_writes,
    owner_note, skipped, traceback_items,
};
use pyprune_python::Interpreter;
use pyprune_tree::{Inventory, Kind, ScanOptions, Tally};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use worker::Worker;

/// What to verify, and how.
pub struct Request<'a> {
    pub tree: &'a Path,
    /// The tree before minimization, to compare with.
    pub against: Option<Against<'a>>,
    pub python: &'a Interpreter,
    /// The original's own interpreter, when it is not `python` (a venv's
    /// `bin/python` runs its own venv).
    pub original_python: Option<&'a Interpreter>,
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
    /// A root verify cannot list: nothing in it could be proven.
    #[error("cannot read `{}`: there is nothing verify could prove", pyprune_fs::display_path(.0))]
    Unreadable(std::path::PathBuf, #[source] std::io::Error),
    /// Nothing Python could import: an empty or unreadable tree proves nothing.
    #[error("`{}` holds no module Python could import (is it empty, or unreadable?): there is nothing to verify", pyprune_fs::display_path(.0))]
    Nothing(std::path::PathBuf),
    /// Interrupted: the verdicts of workers the signal ended prove nothing.
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
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
    let report = verify_to_the_end(request)?;
    pyprune_interrupt::check()?;
    Ok(report)
}

fn verify_to_the_end(request: &Request<'_>) -> Result<Report, VerifyError> {
    let scratch = tempfile::tempdir().map_err(VerifyError::Scratch)?;
    let subject = Subject::new(request.tree, request.python, &scratch.path().join("tree"))?;
    // No module left: an error, unless the steps removed every module of
    // the original on purpose (a venv of pip and setuptools alone, after
    // `exclude-installers`), which is said below.
    let emptied = subject.modules.all.is_empty();
    if emptied && let Err(error) = std::fs::read_dir(&subject.inventory.root) {
        return Err(VerifyError::Unreadable(
            subject.inventory.root.clone(),
            error,
        ));
    }
    let original = match request.against {
        None => None,
        Some(Against::Tree(path)) => Some(Before::Tree(Box::new(Subject::new(
            path,
            request.original_python.unwrap_or(request.python),
            &scratch.path().join("original"),
        )?))),
        Some(Against::Recorded(baseline)) => Some(Before::Recorded(baseline)),
    };
    if emptied
        && !(request.promises.removals
            && original.as_ref().is_some_and(|o| !o.modules().is_empty()))
    {
        return Err(VerifyError::Nothing(subject.inventory.root.clone()));
    }
    // What hung once costs no second timeout, in this tree or in the
    // original; what hung in the record before an in-place change is not
    // tried again after it.
    let hung_here = worker::Hung::default();
    if let Some(Before::Recorded(baseline)) = &original {
        for (item, why) in &baseline.hung {
            hung_here.insert(item.clone(), why.clone());
        }
    }
    let hung_there = worker::Hung::default();
    // One for the run: what a module starts dies with pyprune, however it goes.
    let watchdog = pyprune_interrupt::Watchdog::start().ok();
    let worker = |python, watch_isolation, hung| Worker {
        python,
        tally: Some(request.progress),
        cwd: scratch.path(),
        timeout: request.timeout,
        jobs: request.jobs,
        watch_isolation,
        hung,
        watchdog: watchdog.as_ref(),
    };
    let here = worker(&subject.python, true, &hung_here);
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
    if emptied && let Some(original) = &original {
        judge_removed(
            original.modules(),
            &subject.modules.all,
            &request.promises,
            &mut report,
        );
        report.notes.push(Finding {
            check: "imports",
            subject: report.tree.clone(),
            reason: "the steps removed every module of the original: nothing is left to import (the interpreter starts on the tree)".into(),
        });
        return Ok(report);
    }
    let before = request
        .promises
        .no_writes
        .then(|| snapshot::snapshot(&subject.inventory.root));
    if request.promises.no_writes
        && let Some((ours, owner)) = owners(scratch.path(), &subject.inventory.root)
        && let Some(note) = owner_note(ours, owner, &report.tree)
    {
        report.notes.push(note);
    }

    let mut outside = BTreeMap::new();
    let verdicts = check_files(request, &subject, original.as_ref(), &here, &mut report);
    gather_outside(&verdicts, &mut outside);

    // Imports: every module, at each optimization level. The first run writes
    // no bytecode and proves isolation; the no-writes check's runs may write
    // only then.
    let mut write_bytecode = false;
    let mut imported = 0;
    if let Some(original) = &original {
        judge_removed(
            original.modules(),
            &subject.modules.all,
            &request.promises,
            &mut report,
        );
    }
    for (run, &(check, optimize)) in IMPORT_RUNS.iter().enumerate() {
        let names = subject.modules.items();
        request
            .progress
            .begin(format!("verify, {check}"), names.len() as u64);
        // Failures are retried with their package here; whether one must be
        // retried alone too depends on the original.
        let mut verdicts = here.imports(optimize, write_bytecode, &names);
        let failed_here: Vec<Vec<u8>> = names
            .iter()
            .filter(|n| verdicts.get(*n).is_some_and(|v| !v.ok()))
            .cloned()
            .collect();
        let baseline = original.as_ref().map(|original| {
            // The original is asked only of the modules that failed here, as
            // they were first asked here (together, then by package): a
            // module failing there too is no regression whatever it does
            // alone, and most failures of a tree fail in its original too
            // (a missing optional dependency), so this is where the runs are
            // saved.
            let there = |names: &[Vec<u8>], alone: bool| {
                let Before::Tree(original) = original else {
                    return BTreeMap::new();
                };
                let names: Vec<Vec<u8>> = names
                    .iter()
                    .filter(|n| original.modules.all.contains(&*String::from_utf8_lossy(n)))
                    .cloned()
                    .collect();
                request.progress.begin(
                    format!("verify, {check} in the original"),
                    names.len() as u64,
                );
                let worker = worker(&original.python, false, &hung_there);
                if alone {
                    worker.imports_alone(optimize, false, &names)
                } else {
                    worker.imports(optimize, false, &names)
                }
            };
            let mut baseline = match original {
                Before::Recorded(baseline) => {
                    baseline.imports.get(run).cloned().unwrap_or_default()
                }
                Before::Tree(_) => there(&failed_here, false),
            };
            // What passed there is proven alone here; what fails alone here
            // is asked alone there too (like against like), where the
            // original can still be run.
            let passed_there: Vec<Vec<u8>> = failed_here
                .iter()
                .filter(|n| baseline.get(*n).is_some_and(worker::Verdict::ok))
                .cloned()
                .collect();
            request
                .progress
                .begin(format!("verify, {check} alone"), passed_there.len() as u64);
            worker::merge(
                &mut verdicts,
                here.imports_alone(optimize, write_bytecode, &passed_there),
            );
            let still_failing: Vec<Vec<u8>> = passed_there
                .into_iter()
                .filter(|n| verdicts.get(n).is_some_and(|v| !v.ok()))
                .collect();
            worker::merge(&mut baseline, there(&still_failing, true));
            baseline
        });
        gather_outside(&verdicts, &mut outside);
        if run == 0 {
            imported = verdicts.len() as u64;
            write_bytecode = request.promises.no_writes && outside.is_empty();
        }
        judge_imports(check, &verdicts, baseline.as_ref(), &mut report);
    }
    if write_bytecode {
        // The judged run at -O0 wrote nothing: this one, with writing on, is the no-writes check's.
        let names = subject.modules.items();
        request
            .progress
            .begin("verify, imports writing bytecode", names.len() as u64);
        let mode = RunMode {
            optimize: 0,
            write_bytecode: true,
        };
        gather_outside(&here.run("import", mode, &names), &mut outside);
    }

    let verdicts = check_tracebacks(request, &subject, &here, write_bytecode, &mut report);
    gather_outside(&verdicts, &mut outside);
    judge_isolation(imported, &outside, &mut report);

    if let (Some(_), false) = (&before, write_bytecode) {
        report.checks.push(skipped(
            "no writes",
            "modules came from outside the tree, so no run wrote bytecode",
        ));
    } else if let Some(before) = before {
        let after = snapshot::snapshot(&subject.inventory.root);
        let written = snapshot::changed(&before, &after);
        let remove = |rel: &Path| {
            let full = subject.inventory.root.join(rel);
            full.symlink_metadata().is_ok_and(|m| m.is_file())
                && std::fs::remove_file(&full).is_ok()
        };
        judge_writes(after.len() as u64, written, remove, &mut report);
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

/// Adds the modules `verdicts` saw loaded from outside the tree to `outside` (by name).
fn gather_outside(
    verdicts: &BTreeMap<Vec<u8>, worker::Verdict>,
    outside: &mut BTreeMap<String, PathBuf>,
) {
    for verdict in verdicts.values() {
        for (name, path) in &verdict.outside {
            outside.entry(name.clone()).or_insert_with(|| path.clone());
        }
    }
}

/// Every bytecode file of this interpreter loads and every source compiles.
/// Returns the verdicts (for what they saw of isolation).
fn check_files(
    request: &Request<'_>,
    subject: &Subject,
    original: Option<&Before<'_>>,
    here: &Worker<'_>,
    report: &mut Report,
) -> BTreeMap<Vec<u8>, worker::Verdict> {
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
    // pyprune never edits a source: one the original has byte for byte failed there too.
    let unchanged = |rel: &Path| match original {
        Some(Before::Tree(original)) => same_source(
            &subject.inventory.root,
            subject.python.library_dir(),
            original.python.library_dir(),
            rel,
        ),
        Some(Before::Recorded(baseline)) => baseline.failing_sources.contains(rel),
        None => false,
    };
    judge_files(&files, &items, &verdicts, unchanged, report);
    verdicts
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

/// Whether the source `rel` of the tree at `root` is in the original, byte
/// for byte, at the same place relative to each tree's library directory
/// (`library` here, `original_library` there).
fn same_source(root: &Path, library: &Path, original_library: &Path, rel: &Path) -> bool {
    if rel.extension().is_none_or(|e| e != "py") {
        return false;
    }
    let here = root.join(rel);
    let Ok(inner) = here.strip_prefix(library) else {
        return false;
    };
    let there = original_library.join(inner);
    // The original's file is not from a walk: it may be a FIFO, never to be read.
    let read = pyprune_fs::read_regular;
    matches!((read(&here), read(&there)), (Ok(a), Ok(b)) if a == b)
}

/// A traceback through each minimized module shows its source line.
/// Returns the verdicts (for what they saw of isolation).
fn check_tracebacks(
    request: &Request<'_>,
    subject: &Subject,
    here: &Worker<'_>,
    write_bytecode: bool,
    report: &mut Report,
) -> BTreeMap<Vec<u8>, worker::Verdict> {
    let names = match traceback_items(&request.promises, &subject.modules.minimized) {
        Ok(names) => names,
        Err(skipped) => {
            report.checks.push(skipped);
            return BTreeMap::new();
        }
    };
    request
        .progress
        .begin("verify, tracebacks", names.len() as u64);
    let verdicts = here.run(
        "traceback",
        RunMode {
            optimize: 0,
            write_bytecode,
        },
        &names,
    );
    judge_tracebacks(&verdicts, report);
    verdicts
}
