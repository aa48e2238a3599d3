//! `pyprune plan`: every step and profile predicted on the tree, as a table;
//! with `--measure-import`, each layout built and timed too.

use crate::Outcome;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::format::{import_cell, percent, signed_size, size, wrap_list};
use crate::pipeline;
use crate::printer::{Printer, paint};
use crate::settings::PlanSettings;
use anstyle::Style;
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use pipeline::PlanDocument;
use pyprune_fs::{display_path, display_text};
use pyprune_steps::{DistCost, ModuleRemovals, PlanRow};
use std::fmt::Write as _;

pub fn run(args: &PlanArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let settings = PlanSettings::resolve(args, global)?;
    let planned = pipeline::plan_tree(&settings, printer)?;
    let report = planned.document();
    let color = printer.stdout_color();
    let all_modules = global.verbose > 0;
    let width = printer.stdout_width();
    super::write_report(global.format, &report, |report| {
        render(report, color, all_modules, width)
    })?;
    Ok(Outcome::Success)
}

/// How wide the tables are when stdout is no terminal and COLUMNS is not set.
const TABLE_WIDTH: u16 = 100;

/// The text report; with a `width` (a terminal's, or COLUMNS), every line fits it.
fn render(
    report: &PlanDocument<'_>,
    color: bool,
    all_modules: bool,
    width: Option<usize>,
) -> String {
    let heading = |text: &str| paint(color, Style::new().bold(), text);
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(&format!("Plan for {}", report.root)));
    let _ = writeln!(
        out,
        "now {} on disk (du -s); nothing is written by `plan`",
        size(report.disk_bytes)
    );
    if let Some(line) =
        pipeline::left_out_lines(report.left_out, "left out, untouched and not counted")
    {
        let _ = writeln!(out, "{line}");
    }
    for (kind, title) in [("step", "Each step alone"), ("profile", "Profiles")] {
        let _ = writeln!(out, "\n{}", heading(title));
        let mut table = Table::new();
        table
            .load_style(
                TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' ')),
            )
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width.map_or(TABLE_WIDTH, |w| u16::try_from(w).unwrap_or(u16::MAX)))
            .set_header(vec![
                "",
                "on disk",
                "saved",
                "",
                "import",
                "what you give up",
            ]);
        for (index, column) in table.column_iter_mut().enumerate() {
            column.set_padding(if index == 0 { (1, 0) } else { (0, 0) });
            if (1..=4).contains(&index) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        for row in report.rows.iter().filter(|r| r.kind == kind) {
            let gives_up = if row.gives_up.is_empty() {
                "nothing".to_owned()
            } else {
                row.gives_up.join("; ")
            };
            table.add_row(vec![
                row.name.clone(),
                size(row.disk_bytes),
                signed_size(row.saved_bytes),
                percent(row.saved_bytes.max(0) as u64, report.disk_bytes),
                import_cell(row.imports, row.import_ratio, row.import_range),
                gives_up,
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    render_profile_steps(&mut out, report, &heading, width);
    render_modules(&mut out, report, &heading, all_modules);
    render_distributions(&mut out, report, &heading, all_modules);
    render_left_as_is(&mut out, report, &heading);
    if let Some(place) = &report.runtime {
        let _ = writeln!(out, "\n{}", place.line());
    }
    if let Some(set) = &report.import_set {
        let whence = match &set.file {
            Some(file) => format!("from `{}`", display_path(file)),
            None if set.keep_for => {
                "what --keep-for's entry points import that the unchanged tree has; --import-set FILE replaces them".to_owned()
            }
            None => "common entry points; --import-set FILE replaces them".to_owned(),
        };
        let _ = writeln!(
            out,
            "\nimport: the median ratio to the unchanged tree of interleaved runs, least and greatest below it, \
             importing {} modules ({whence}): {}",
            set.modules.len(),
            set.modules.join(", ")
        );
    }
    if let Some(space) = &report.measure_space {
        let _ = writeln!(out, "\n{}", space_line(space));
    }
    match width {
        Some(width) => crate::format::wrap_lines(&out, width),
        None => out,
    }
}

/// Each profile's steps in the order it applies them, with what each saves alone.
fn render_profile_steps(
    out: &mut String,
    report: &PlanDocument<'_>,
    heading: &dyn Fn(&str) -> String,
    width: Option<usize>,
) {
    let alone = |id: &str| {
        report
            .rows
            .iter()
            .find(|r| r.kind == "step" && r.name == id)
            .map(|r| signed_size(r.saved_bytes))
    };
    let _ = writeln!(
        out,
        "\n{}",
        heading("Each profile's steps, in order (with what each saves alone)")
    );
    for row in report.rows.iter().filter(|r| r.kind == "profile") {
        let steps: Vec<String> = row
            .steps
            .iter()
            .map(|step| {
                let id = step.info().id;
                match alone(id) {
                    Some(saved) => format!("{id} {saved}"),
                    None => id.to_owned(),
                }
            })
            .collect();
        // As wide as the tables, into a pipe too; broken between steps only.
        let width = width.unwrap_or(usize::from(TABLE_WIDTH));
        out.push_str(&wrap_list(&format!(" {}:", row.name), &steps, width, 3));
    }
}

/// The line that says how much temporary space `--measure-import` took.
fn space_line(space: &pipeline::Space) -> String {
    let how = if space.linked_files > 0 {
        "unchanged files hardlinked to the tree"
    } else {
        "every file copied: the scratch directory is on another filesystem than the tree (set TMPDIR to one on the tree's to link them)"
    };
    format!(
        "--measure-import held at most {} of temporary space at once in `{}` (one layout at a time, {how}); all removed",
        size(space.peak_extra_bytes),
        space.scratch
    )
}

/// How many distributions a row's folded cost names.
const DISTRIBUTIONS: usize = 3;

/// The distributions of the tree, and what each row saves each of them.
fn render_distributions(
    out: &mut String,
    report: &PlanDocument<'_>,
    heading: &dyn Fn(&str) -> String,
    all: bool,
) {
    let footprint = &report.footprint;
    if footprint.distributions.is_empty() {
        return;
    }
    let limit = (!all).then_some(DISTRIBUTIONS);
    let mut folded = false;
    let mut sizes: Vec<String> = footprint
        .distributions
        .iter()
        .map(|d| format!("{} {}", display_text(&d.name), size(d.sizes.disk_bytes)))
        .collect();
    sizes.push(format!(
        "unowned {}",
        size(footprint.unowned.sizes.disk_bytes)
    ));
    let _ = writeln!(
        out,
        "\n{}",
        heading(&format!(
            "What each saves, by distribution ({} installed)",
            footprint.distributions.len()
        ))
    );
    let (names, cut) = fold(&sizes, limit.map(|n| n * 2));
    folded |= cut;
    let _ = writeln!(out, " now: {names}");
    for row in report.rows.iter().filter(|r| !r.by_distribution.is_empty()) {
        let costs: Vec<String> = row.by_distribution.iter().map(cost_text).collect();
        let (costs, cut) = fold(&costs, limit);
        folded |= cut;
        let _ = writeln!(out, " {}: {costs}", row.name);
    }
    if folded {
        let _ = writeln!(out, " (--verbose lists them all, as --format json does)");
    }
}

fn cost_text(cost: &DistCost) -> String {
    let name = cost
        .distribution
        .as_deref()
        .map_or_else(|| "unowned".to_owned(), display_text);
    format!("{name} {}", signed_size(cost.saved_bytes))
}

/// How many names a folded list shows.
const FOLDED: usize = 8;
/// How many importers of a kept module a folded list shows.
const IMPORTERS: usize = 3;

/// `names`, all of them (`limit` is `None`) or the first `limit` and how
/// many more; and whether it folded any.
fn fold(names: &[String], limit: Option<usize>) -> (String, bool) {
    match limit {
        Some(limit) if names.len() > limit => (
            format!(
                "{}, and {} more",
                names[..limit].join(", "),
                names.len() - limit
            ),
            true,
        ),
        _ => (names.join(", "), false),
    }
}

/// What each step would change but leaves as it is, with why.
fn render_left_as_is(
    out: &mut String,
    report: &PlanDocument<'_>,
    heading: &dyn Fn(&str) -> String,
) {
    let rows: Vec<&PlanRow> = report
        .rows
        .iter()
        .filter(|r| r.kind == "step" && !r.left_as_is.is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", heading("What steps leave as it is, and why"));
    for row in rows {
        let _ = writeln!(out, " {}:", row.name);
        for left in &row.left_as_is {
            let _ = writeln!(out, "   {}: {}", left.what, left.why);
        }
    }
}

/// What each exclusion step removes on this tree, module by module, and what
/// it keeps because kept modules import it.
fn render_modules(
    out: &mut String,
    report: &PlanDocument<'_>,
    heading: &dyn Fn(&str) -> String,
    all: bool,
) {
    let rows: Vec<(&str, &ModuleRemovals)> = report
        .rows
        .iter()
        .filter(|r| r.kind == "step")
        .filter_map(|r| Some((r.name.as_str(), r.modules.as_ref()?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", heading("What each removal takes away"));
    let limit = |n: usize| (!all).then_some(n);
    let mut folded = false;
    for (step, modules) in rows {
        let removed = &modules.removed;
        let (names, cut) = fold(removed, limit(FOLDED));
        folded |= cut;
        let _ = match removed.len() {
            0 => writeln!(out, " {step}: no module on this tree"),
            1 => writeln!(out, " {step}: 1 module: {names}"),
            n => writeln!(out, " {step}: {n} modules: {names}"),
        };
        if modules.kept.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "   and keeps {} that kept modules import:",
            modules.kept.len()
        );
        let shown = limit(FOLDED).unwrap_or(usize::MAX);
        for kept in modules.kept.iter().take(shown) {
            let (by, cut) = fold(&kept.imported_by, limit(IMPORTERS));
            folded |= cut;
            let _ = writeln!(out, "     {} (by {by})", kept.module);
        }
        if modules.kept.len() > shown {
            let _ = writeln!(out, "     and {} more", modules.kept.len() - shown);
            folded = true;
        }
    }
    if folded {
        let _ = writeln!(out, " (--verbose lists them all, as --format json does)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_space_line_says_whether_files_were_linked() {
        let space = |linked_files| pipeline::Space {
            peak_extra_bytes: 3 << 20,
            scratch: "/tmp/pyprune-measure-x".to_owned(),
            linked_files,
        };
        assert_eq!(
            space_line(&space(10)),
            "--measure-import held at most 3.0 MiB of temporary space at once in `/tmp/pyprune-measure-x` \
             (one layout at a time, unchanged files hardlinked to the tree); all removed"
        );
        assert!(
            space_line(&space(0))
                .contains("every file copied: the scratch directory is on another filesystem"),
            "{}",
            space_line(&space(0))
        );
    }
}
