//! `split`'s text report: the size table of layers and installs (as the
//! Fedora change tabulates its packages), what was written, and `--check`'s
//! findings.

use super::report::SplitReport;
use crate::format::size;
use std::fmt::Write as _;

pub fn render(report: &SplitReport) -> String {
    let mut out = String::new();
    let files: u64 = report.layers.iter().map(|l| l.sizes.files).sum();
    let _ = writeln!(
        out,
        "{}: {files} files in {} layers{}",
        report.root,
        report.layers.len(),
        report
            .prefix
            .as_ref()
            .map(|p| format!(" (listed under {p})"))
            .unwrap_or_default()
    );
    let shown = install_names(report);
    let width = report
        .layers
        .iter()
        .map(|l| l.name.len())
        .chain(shown.iter().map(String::len))
        .chain(["install".len()])
        .max()
        .unwrap_or(5);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>7}  {:>9}  {:>9}  selector",
        "layer", "files", "size", "disk"
    );
    for layer in &report.layers {
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>9}  {:>9}  {}{}",
            layer.name,
            layer.sizes.files,
            size(layer.sizes.apparent_bytes),
            size(layer.sizes.disk_bytes),
            layer.selector,
            if layer.base {
                " (base)"
            } else if layer.bytecode_cache {
                " (cache, ghosted by the base)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>7}  {:>9}  {:>9}",
        "install", "files", "size", "disk"
    );
    for (install, name) in report.installs.iter().zip(&shown) {
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>9}  {:>9}",
            name,
            install.sizes.files,
            size(install.sizes.apparent_bytes),
            size(install.sizes.disk_bytes)
        );
    }
    let _ = writeln!(
        out,
        "\nsize: bytes of the files; disk: what they take on disk, each hardlinked file once (installs: with their directories)"
    );
    if !report.cross_layer_links.is_empty() {
        let _ = writeln!(
            out,
            "{} groups of files hardlinked across layers{}",
            report.cross_layer_links.len(),
            if report.links_broken > 0 {
                String::new()
            } else {
                " (see the warning)".to_owned()
            }
        );
    }
    if report.links_broken > 0 {
        let _ = writeln!(
            out,
            "{} paths given a copy of their own (--links break)",
            report.links_broken
        );
    }
    if let Some(lines) = crate::pipeline::left_out_lines(&report.left_out, "not split") {
        let _ = writeln!(out, "{lines}");
    }
    if !report.unassigned.is_empty() {
        let _ = writeln!(out, "{} files in no layer", report.unassigned.len());
    }
    if !report.written.is_empty() {
        let _ = writeln!(out, "wrote {} files", report.written.len());
    }
    for made in &report.materialized {
        let _ = writeln!(out, "laid out {made}");
    }
    if let Some(check) = &report.check {
        out.push('\n');
        for path in &check.in_no_layer {
            let _ = writeln!(out, "FAIL in no layer: {path}");
        }
        for file in &check.in_several {
            let _ = writeln!(
                out,
                "FAIL in several layers ({}): {}",
                file.layers.join(", "),
                file.path
            );
        }
        for absent in &check.listed_absent {
            let _ = writeln!(
                out,
                "FAIL listed in {} but not in the tree: {}",
                absent.layer, absent.path
            );
        }
        for failure in &check.not_subsets {
            let _ = writeln!(
                out,
                "FAIL `{}` is not a subset of `{}`: {} files missing from the larger, e.g. {}",
                failure.smaller,
                failure.larger,
                failure.missing_count,
                failure.missing.join(", ")
            );
        }
        for verified in &check.verified {
            if verified.passed {
                let _ = writeln!(out, "ok   install `{}` verified", verified.install);
            }
            for finding in &verified.report.regressions {
                let _ = writeln!(
                    out,
                    "FAIL install `{}`: {} {}: {}",
                    verified.install, finding.check, finding.subject, finding.reason
                );
            }
        }
        let _ = writeln!(
            out,
            "check: {}",
            if check.passed {
                "passed (every file in exactly one layer, each install a subset of the next)"
            } else {
                "FAILED"
            }
        );
    }
    out
}

/// Installs as the table shows them: one that adds to the one before it
/// (a chain) as `+ LAYER`, others by their name.
fn install_names(report: &SplitReport) -> Vec<String> {
    let mut shown = Vec::new();
    let mut previous: Option<&str> = None;
    for install in &report.installs {
        let added = previous
            .and_then(|p| install.name.strip_prefix(p))
            .and_then(|rest| rest.strip_prefix('+'));
        shown.push(match added {
            Some(layers) => format!("+ {}", layers.replace('+', " + ")),
            None => install.name.clone(),
        });
        previous = Some(&install.name);
    }
    shown
}
