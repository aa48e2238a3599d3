//! `pyprune verify`: the interpreter proves the tree still behaves as Python.

use crate::Outcome;
use crate::cli::{GlobalArgs, VerifyArgs, VerifyRunArgs};
use crate::printer::Printer;
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_python::Interpreter;
use pyprune_tree::Tally;
use pyprune_verify::{Against, Baseline, Placement, Promises, Report, Request};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: &VerifyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let target = crate::target::resolve(args.path.as_deref(), global.python.as_deref())?;
    let python = interpreter(target.python, global)?;
    let promises = if args.profile.is_some() || !args.steps.is_empty() {
        let steps =
            super::apply::steps_of(args.profile.as_deref(), args.config.as_deref(), &args.steps)?;
        promises_of(&steps)
    } else {
        Promises {
            tracebacks: true,
            no_writes: has_marker(&target.root),
            removals: false,
        }
    };
    let report = verify_tree(
        &target.root,
        args.against.as_deref().map(Against::Tree),
        promises,
        &python,
        &args.run,
        printer,
    )?;
    super::write_report(global.format, &report, render)?;
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}

/// The interpreter to verify with: the one that described the tree, else `--python` or `python3`.
pub(super) fn interpreter(
    known: Option<Interpreter>,
    global: &GlobalArgs,
) -> anyhow::Result<Interpreter> {
    if let Some(python) = known {
        return Ok(python);
    }
    let command = global.python.as_deref().unwrap_or(OsStr::new("python3"));
    pyprune_python::discover(command).with_context(|| {
        format!(
            "verify runs the tree's interpreter, and `{}` could not be asked about itself (choose one with --python)",
            command.to_string_lossy()
        )
    })
}

/// What a tree made by `steps` promises.
pub(super) fn promises_of(steps: &[pyprune_steps::StepName]) -> Promises {
    Promises {
        tracebacks: pyprune_steps::keeps_traceback_lines(steps),
        no_writes: pyprune_steps::promises_no_writes(steps),
        removals: pyprune_steps::removes_modules(steps),
    }
}

/// A `__dont_write_bytecode__` marker at the root of the tree.
fn has_marker(root: &Path) -> bool {
    root.join("__dont_write_bytecode__").is_file()
}

/// Runs every check, telling the user what it is doing.
pub(super) fn verify_tree(
    tree: &Path,
    against: Option<Against<'_>>,
    promises: Promises,
    python: &Interpreter,
    run: &VerifyRunArgs,
    printer: &Printer,
) -> anyhow::Result<Report> {
    let tally = Arc::new(Tally::new("verify, starting"));
    let _progress = printer.progress(Arc::clone(&tally));
    let request = Request {
        tree,
        against,
        python,
        promises,
        timeout: timeout(run),
        jobs: jobs(run),
        progress: &tally,
    };
    pyprune_verify::verify(&request)
        .with_context(|| format!("cannot verify `{}`", display_path(tree)))
}

/// Records `tree`'s imports and sources before an in-place change, to judge the result against.
pub(super) fn record_before(
    tree: &Path,
    python: &Interpreter,
    run: &VerifyRunArgs,
    printer: &Printer,
) -> anyhow::Result<Baseline> {
    let tally = Arc::new(Tally::new("verify, starting"));
    let _progress = printer.progress(Arc::clone(&tally));
    pyprune_verify::record(tree, python, timeout(run), jobs(run), &tally).with_context(|| {
        format!(
            "cannot run the interpreter on `{}` before the change",
            display_path(tree)
        )
    })
}

fn timeout(run: &VerifyRunArgs) -> Duration {
    Duration::from_secs(run.timeout.max(1))
}

fn jobs(run: &VerifyRunArgs) -> usize {
    run.jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The text report: one line per check, then every regression, then a count of notes.
pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    let placement = match &report.placement {
        Placement::Home(home) => format!("PYTHONHOME={}", display_path(home)),
        Placement::Path(dirs) => format!(
            "PYTHONPATH={}",
            dirs.iter()
                .map(|d| display_path(d))
                .collect::<Vec<_>>()
                .join(":")
        ),
    };
    let _ = writeln!(
        out,
        "verify {} with {} ({placement})",
        report.tree, report.python
    );
    if let Some(against) = &report.against {
        let _ = writeln!(out, "against {against}");
    }
    for check in &report.checks {
        match &check.skipped {
            Some(why) => {
                let _ = writeln!(out, "  {:<22} skipped: {why}", check.check);
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {:<22} {:>6} checked, {} failed",
                    check.check, check.checked, check.failed
                );
            }
        }
    }
    if !report.removed.is_empty() && report.promises.removals {
        let _ = writeln!(
            out,
            "{} modules of the original are gone (removed by the steps)",
            report.removed.len()
        );
    }
    if !report.notes.is_empty() {
        let _ = writeln!(
            out,
            "{} failures are not regressions (they fail in the original too, or there is no original; see --format json)",
            report.notes.len()
        );
    }
    for finding in &report.regressions {
        let _ = writeln!(
            out,
            "regression: {}: {}: {}",
            finding.check, finding.subject, finding.reason
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if report.passed() {
            "verified: Python still behaves as Python".to_owned()
        } else {
            format!("FAILED: {} regressions", report.regressions.len())
        }
    );
    out
}
