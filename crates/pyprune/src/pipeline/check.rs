//! The last stage: the tree's interpreter proves the result still behaves as
//! Python (`pyprune-verify`), judged against the original tree or a record
//! of it, and held to the promises of the steps that made it.

use crate::printer::Printer;
use crate::settings::VerifyRun;
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_python::Interpreter;
use pyprune_steps::StepName;
use pyprune_tree::Tally;
use pyprune_verify::{Against, Baseline, Promises, Report, Request};
use std::path::Path;
use std::sync::Arc;

/// What a tree made by `steps` promises.
pub fn promises_of(steps: &[StepName]) -> Promises {
    Promises {
        tracebacks: pyprune_steps::keeps_traceback_lines(steps),
        no_writes: pyprune_steps::promises_no_writes(steps),
        removals: pyprune_steps::removes_modules(steps),
    }
}

/// What a tree promises when nobody says which steps made it: tracebacks
/// with lines, and no writes when its root has a `__dont_write_bytecode__` marker.
pub fn default_promises(root: &Path) -> Promises {
    Promises {
        tracebacks: true,
        no_writes: root.join("__dont_write_bytecode__").is_file(),
        removals: false,
    }
}

/// Runs every check on `tree` with `python`, against an original run by its
/// own interpreter, showing progress.
pub fn verify_tree(
    tree: &Path,
    against: Option<(Against<'_>, &Interpreter)>,
    promises: Promises,
    python: &Interpreter,
    run: VerifyRun,
    printer: &Printer,
) -> anyhow::Result<Report> {
    with_progress(printer, |tally| {
        let request = Request {
            tree,
            against: against.map(|(against, _)| against),
            python,
            original_python: against.map(|(_, python)| python),
            promises,
            timeout: run.timeout,
            jobs: run.jobs,
            progress: tally,
        };
        pyprune_verify::verify(&request)
    })
    .with_context(|| format!("cannot verify `{}`", display_path(tree)))
}

/// Records `tree`'s imports and sources before an in-place change, to judge the result against.
pub fn record_before(
    tree: &Path,
    python: &Interpreter,
    run: VerifyRun,
    printer: &Printer,
) -> anyhow::Result<Baseline> {
    with_progress(printer, |tally| {
        pyprune_verify::record(tree, python, run.timeout, run.jobs, tally)
    })
    .with_context(|| {
        format!(
            "cannot run the interpreter on `{}` before the change",
            display_path(tree)
        )
    })
}

/// Runs `work` with verify's progress shown (modules counted as the interpreter answers).
fn with_progress<T>(printer: &Printer, work: impl FnOnce(&Tally) -> T) -> T {
    let tally = Arc::new(Tally::new("verify, starting"));
    let _progress = printer.progress(Arc::clone(&tally));
    work(&tally)
}
