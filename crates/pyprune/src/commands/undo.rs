//! `pyprune undo`: the tree as it was before an in-place apply, finished or killed,
//! except what other programs (pip) changed since: those paths are named, and the
//! run exits with 1.

use crate::Outcome;
use crate::cli::{GlobalArgs, TreeArgs};
use crate::pipeline;
use crate::printer::Printer;
use pyprune_fs::display_path;
use serde::Serialize;

/// The undo report (`--format json`).
#[derive(Serialize)]
struct UndoReport {
    root: String,
    /// Journaled actions undone.
    undone: u64,
    /// Paths left as they are because they changed since the apply.
    skipped: Vec<SkippedPath>,
}

#[derive(Serialize)]
struct SkippedPath {
    path: String,
    reason: pyprune_steps::Skip,
}

pub fn run(args: &TreeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let root = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    let undone = pyprune_steps::undo(&root)?;
    printer.verbose(&format!("{} journaled actions undone", undone.actions));
    let report = UndoReport {
        root: display_path(&root),
        undone: undone.actions,
        skipped: undone
            .skipped
            .iter()
            .map(|(path, reason)| SkippedPath {
                path: display_path(path),
                reason: *reason,
            })
            .collect(),
    };
    super::write_report(global.format, &report, |r| {
        let mut text = if r.skipped.is_empty() {
            format!("{}: restored ({} actions undone)\n", r.root, r.undone)
        } else {
            let paths = match r.skipped.len() {
                1 => "1 path".to_owned(),
                n => format!("{n} paths"),
            };
            format!(
                "{}: restored except {paths} changed since the apply ({} actions undone)\n",
                r.root, r.undone
            )
        };
        for (path, reason) in &undone.skipped {
            text.push_str(&format!(
                "  skipped  {}: {}\n",
                display_path(path),
                reason.describe()
            ));
        }
        text
    })?;
    Ok(if report.skipped.is_empty() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}
