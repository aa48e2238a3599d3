//! The text of a `verify` report, shown by `verify` and after `apply`.

use pyprune_fs::display_path;
use pyprune_verify::{Finding, Placement, Report};
use std::fmt::Write as _;

/// The text report: one line per check, then the failures that are not
/// regressions and every regression, each grouped by cause.
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
    // What the walk left out (FIFOs, sockets, unreadable directories) is
    // named: it was not verified at all, which is not a failure.
    let (walk, failures): (Vec<&Finding>, Vec<&Finding>) =
        report.notes.iter().partition(|note| note.check == "walk");
    for note in walk {
        let _ = writeln!(out, "  not verified  {}: {}", note.subject, note.reason);
    }
    if !failures.is_empty() {
        let _ = writeln!(
            out,
            "{} failures are not regressions (they fail in the original too, or there is no original):",
            failures.len()
        );
        out.push_str(&by_cause(failures, "note"));
    }
    out.push_str(&by_cause(&report.regressions, "regression"));
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

/// Every finding, named, with those of one cause together, each line led by
/// `label` (`regression`, `note`): a cause that fails one module is one line;
/// one that fails several is its reason, then the modules per check (checks
/// that fail the same modules share a line).
fn by_cause<'a>(findings: impl IntoIterator<Item = &'a Finding>, label: &str) -> String {
    let mut causes: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for finding in findings {
        match causes
            .iter_mut()
            .find(|(reason, _)| *reason == finding.reason)
        {
            Some((_, findings)) => findings.push(finding),
            None => causes.push((&finding.reason, vec![finding])),
        }
    }
    let mut out = String::new();
    for (reason, findings) in causes {
        if let [finding] = findings.as_slice() {
            let _ = writeln!(
                out,
                "{label}: {}: {}: {reason}",
                finding.check, finding.subject
            );
            continue;
        }
        let _ = writeln!(out, "{label} ({} failures): {reason}", findings.len());
        // Subjects per check, in order; then checks with equal subjects merged.
        let mut per_check: Vec<(&str, Vec<&str>)> = Vec::new();
        for finding in findings {
            match per_check
                .iter_mut()
                .find(|(check, _)| *check == finding.check)
            {
                Some((_, subjects)) => subjects.push(&finding.subject),
                None => per_check.push((finding.check, vec![&finding.subject])),
            }
        }
        let mut lines: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
        for (check, subjects) in per_check {
            match lines.iter_mut().find(|(_, same)| *same == subjects) {
                Some((checks, _)) => checks.push(check),
                None => lines.push((vec![check], subjects)),
            }
        }
        for (checks, subjects) in lines {
            let _ = writeln!(out, "    {}: {}", checks.join(", "), subjects.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: &'static str, subject: &str, reason: &str) -> Finding {
        Finding {
            check,
            subject: subject.to_owned(),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn regressions_are_named_and_grouped_by_cause() {
        let cause = "ImportError: No module named 'uu'";
        let text = by_cause(
            &[
                finding(
                    "imports",
                    "json.scanner",
                    "in the original, gone from the tree",
                ),
                finding("imports", "email.message", cause),
                finding("imports", "http.client", cause),
                finding("imports -O", "email.message", cause),
                finding("imports -O", "http.client", cause),
                finding("imports -OO", "email.message", cause),
                finding("bytecode and sources", "x.pyc", "bad marshal data"),
            ],
            "regression",
        );
        assert_eq!(
            text,
            "regression: imports: json.scanner: in the original, gone from the tree\n\
             regression (5 failures): ImportError: No module named 'uu'\n\
             \x20   imports, imports -O: email.message, http.client\n\
             \x20   imports -OO: email.message\n\
             regression: bytecode and sources: x.pyc: bad marshal data\n"
        );
        assert_eq!(by_cause(&[], "regression"), "");
        assert_eq!(
            by_cause(&[finding("imports", "dbm.gnu", "no _gdbm")], "note"),
            "note: imports: dbm.gnu: no _gdbm\n"
        );
    }
}
