//! `pyprune dedupe`: identical files made one.

use crate::Outcome;
use crate::cli::{DedupeArgs, GlobalArgs, ScopeArg};
use crate::pipeline;
use crate::printer::Printer;
use pyprune_dedupe::{DedupeOptions, DedupeReport, Scope, dedupe_tree};
use pyprune_fs::display_path;
use pyprune_tree::Tally;
use std::sync::Arc;

pub fn run(args: &DedupeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let target = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?;
    if !args.dry_run {
        pipeline::refuse_read_only(&target.root, "dedupe")?;
    }
    let options = DedupeOptions {
        scope: match args.scope {
            ScopeArg::Caches => Scope::Caches,
            ScopeArg::Tree => Scope::Tree,
        },
        content_only: args.content_only,
        reflink: args.reflink,
        dry_run: args.dry_run,
        site_packages: global.site_packages,
    };
    let tally = Arc::new(Tally::new("entries scanned"));
    let report = {
        let _progress = printer.progress(Arc::clone(&tally));
        dedupe_tree(&target.root, &options, Some(&tally))?
    };
    for warning in &report.warnings {
        printer.warn(&warning.to_string());
    }
    let root = display_path(&target.root);
    super::write_report(global.format, &report, |report| {
        summary(report, &root, args.reflink)
    })?;
    Ok(Outcome::Success)
}

fn summary(report: &DedupeReport, root: &str, reflink: bool) -> String {
    let (verb, what) = match (report.dry_run, reflink) {
        (true, _) => ("would merge", "would save"),
        (false, true) => ("cloned", "saved"),
        (false, false) => ("linked", "saved"),
    };
    let mut text = format!(
        "{root}: {} groups of identical files; {verb} {} files, {what} {} ({} warnings)\n",
        report.groups,
        report.merged,
        crate::format::size(report.bytes_saved),
        report.warnings.len()
    );
    if let Some(lines) = pipeline::left_out_lines(&report.left_out, "not looked at") {
        text.push_str(&lines);
        text.push('\n');
    }
    text
}
