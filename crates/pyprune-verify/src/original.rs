//! What the tree was before minimization, to judge failures against: another
//! tree to run (`--against`), or the record of a run made on the tree itself
//! before an in-place change.

use crate::launch::RunMode;
use crate::worker::{Hung, Verdict, Worker};
use crate::{IMPORT_RUNS, Subject, VerifyError, checked_files};
use pyprune_python::Interpreter;
use pyprune_tree::Tally;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The original to compare with.
#[derive(Debug, Clone, Copy)]
pub enum Against<'a> {
    /// A tree on disk, run when needed.
    Tree(&'a Path),
    /// A record made by [`record`] before the tree changed.
    Recorded(&'a Baseline),
}

/// A tree's imports and failing sources, recorded before an in-place change.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub(crate) root: PathBuf,
    pub(crate) modules: BTreeSet<String>,
    /// Verdicts by module, one map per entry of `IMPORT_RUNS`.
    pub(crate) imports: Vec<BTreeMap<Vec<u8>, Verdict>>,
    /// Sources (relative to the root) that did not compile.
    pub(crate) failing_sources: BTreeSet<PathBuf>,
    /// Items (modules, files) that gave no answer within the timeout, with why.
    pub(crate) hung: BTreeMap<Vec<u8>, String>,
}

/// Runs the import and source checks on `tree` as it is now.
pub fn record(
    tree: &Path,
    python: &Interpreter,
    timeout: Duration,
    jobs: usize,
    progress: &Tally,
) -> Result<Baseline, VerifyError> {
    let baseline = record_to_the_end(tree, python, timeout, jobs, progress)?;
    // Verdicts of workers a signal ended record nothing.
    pyprune_interrupt::check()?;
    Ok(baseline)
}

fn record_to_the_end(
    tree: &Path,
    python: &Interpreter,
    timeout: Duration,
    jobs: usize,
    progress: &Tally,
) -> Result<Baseline, VerifyError> {
    let scratch = tempfile::tempdir().map_err(VerifyError::Scratch)?;
    let subject = Subject::new(tree, python, &scratch.path().join("tree"))?;
    let hung = Hung::default();
    // One for the run: what a module starts dies with pyprune, however it goes.
    let watchdog = pyprune_interrupt::Watchdog::start().ok();
    let worker = Worker {
        python: &subject.python,
        tally: Some(progress),
        cwd: scratch.path(),
        timeout,
        jobs,
        watch_isolation: false,
        hung: &hung,
        watchdog: watchdog.as_ref(),
    };
    let names = subject.modules.items();
    let imports = IMPORT_RUNS
        .iter()
        .map(|&(check, optimize)| {
            progress.begin(
                format!("verify, {check} before the change"),
                names.len() as u64,
            );
            // Failures retried by package, as the tree's are after the
            // change; one that then passes here is proven alone there.
            worker.imports(optimize, false, &names)
        })
        .collect();
    let (sources, items) = checked_files(&subject, &python.cache_tag, true);
    progress.begin("verify, sources before the change", sources.len() as u64);
    let verdicts = worker.run(
        "check",
        RunMode {
            optimize: 0,
            write_bytecode: false,
        },
        &items,
    );
    let failing_sources = items
        .iter()
        .zip(sources)
        .filter(|(item, _)| verdicts.get(*item).is_some_and(|v| !v.ok()))
        .map(|(_, rel)| rel)
        .collect();
    Ok(Baseline {
        root: subject.inventory.root.clone(),
        modules: subject.modules.all,
        imports,
        failing_sources,
        hung: hung.all(),
    })
}
