//! The text of a `verify` report, shown by `verify` and after `apply`.

use pyprune_fs::display_path;
use pyprune_verify::{Placement, Report};
use std::fmt::Write as _;

/// The text report: one line per check, then every regression, then a count of notes.
pub fn render(report: &Report) -> String {
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
