//! The text report of `deps`: a summary of the graph, then the answer to the
//! question asked (a closure's modules with sizes, the chains of who needs a
//! module, the modules nothing imports), each list cut at `--limit`.

use super::{DepsReport, ModuleEntry, ModuleList};
use crate::format::size;
use crate::printer::paint;
use anstyle::Style;
use std::fmt::Write as _;

pub fn render(report: &DepsReport, limit: usize, color: bool) -> String {
    let heading = |text: &str| paint(color, Style::new().bold(), text);
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{}",
        heading(&format!("Import graph of {}", report.root))
    );
    let kinds: Vec<String> = s.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        out,
        "{} modules ({}), {}; {} edges ({} hard); imports unknown for {} modules; {} imports name no module here",
        s.modules,
        kinds.join(", "),
        size(s.disk_bytes),
        s.edges,
        s.hard_edges,
        s.imports_unknown,
        s.unresolved_imports,
    );
    if s.outside_imports > 0 {
        let _ = writeln!(
            out,
            "{} imports of stdlib modules outside the tree (the interpreter's)",
            s.outside_imports
        );
    }
    if let Some(python) = &report.python {
        let _ = writeln!(out, "built-in and frozen modules as {python} lists them");
    }
    let edges = |hard_only: bool| if hard_only { "hard edges" } else { "all edges" };
    if let Some(closure) = &report.closure {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            heading(&format!(
                "Closure of {} ({}): {} modules, {}",
                closure.entries.join(", "),
                edges(closure.hard_only),
                closure.list.modules.len(),
                size(closure.list.disk_bytes)
            ))
        );
        modules(&mut out, &closure.list, limit);
    }
    if let Some(why) = &report.why {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            heading(&format!(
                "Why {} ({}, {}): {} modules need it",
                why.module.name,
                describe_kind(&why.module),
                edges(why.hard_only),
                why.chains.len()
            ))
        );
        for chain in why.chains.iter().take(limit) {
            let mut line = chain.modules[0].clone();
            for (module, edge) in chain.modules[1..].iter().zip(&chain.edges) {
                let _ = write!(line, " -[{edge}]-> {module}");
            }
            let _ = writeln!(out, "  {line}");
        }
        more(&mut out, why.chains.len(), limit, "chains");
    }
    if let Some(unused) = &report.unused {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            heading(&format!(
                "Imported by nothing in the tree: {} modules, {}",
                unused.modules.len(),
                size(unused.disk_bytes)
            ))
        );
        modules(&mut out, unused, limit);
    }
    if report.closure.is_none() && report.why.is_none() && report.unused.is_none() {
        let _ = writeln!(
            out,
            "\nAsk with --closure MODULE[,MODULE...], --why MODULE or --unused (--format json or dot for the whole graph)."
        );
    }
    out
}

fn describe_kind(module: &ModuleEntry) -> String {
    let kind = serde_json::to_value(module.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if module.is_package {
        format!("{kind} package")
    } else {
        kind
    }
}

/// The largest modules first, then by name.
fn modules(out: &mut String, list: &ModuleList, limit: usize) {
    let mut sorted: Vec<&ModuleEntry> = list.modules.iter().collect();
    sorted.sort_by(|a, b| b.disk_bytes.cmp(&a.disk_bytes).then(a.name.cmp(&b.name)));
    let width = sorted
        .iter()
        .take(limit)
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0);
    for module in sorted.iter().take(limit) {
        let dist = module
            .distribution
            .as_ref()
            .map(|d| format!("  ({d})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<width$}  {:>8}  {}{dist}",
            module.name,
            size(module.disk_bytes),
            describe_kind(module),
        );
    }
    more(out, sorted.len(), limit, "modules");
}

fn more(out: &mut String, total: usize, limit: usize, what: &str) {
    if total > limit {
        let _ = writeln!(
            out,
            "  ... and {} more {what} (--limit N, or --format json)",
            total - limit
        );
    }
}
