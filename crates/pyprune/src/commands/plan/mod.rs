//! `pyprune plan`: every step and profile predicted on the tree, as a table;
//! with `--measure-import`, each layout built and timed too.

mod measure;

use crate::Outcome;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::format::{percent, size};
use crate::pipeline;
use crate::printer::{Printer, paint};
use crate::settings::PlanSettings;
use anstyle::Style;
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use pyprune_fs::{display_path, display_text};
use pyprune_steps::{DistCost, Footprint, ModuleRemovals, PlanRow, StepName, plan};
use pyprune_tree::Tally;
use serde::Serialize;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Debug, Serialize)]
struct PlanReport<'a> {
    root: String,
    /// `du -s` of the tree less `left_out`.
    disk_bytes: u64,
    cache_tag: &'a str,
    /// The third-party packages no step touches, not counted in the sizes.
    left_out: &'a pipeline::LeftOut,
    rows: &'a [PlanRow],
    /// The tree's footprint by installed distribution (as `analyze` gives
    /// it); each row's `by_distribution` says what it saves each.
    footprint: Footprint,
    /// Where pyprune's runtime goes for the steps that need it; absent when
    /// the tree has no place for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<RuntimePlace>,
    /// With `--measure-import`: the temporary space its layouts took.
    #[serde(skip_serializing_if = "Option::is_none")]
    measure_space: Option<measure::Space>,
    /// With `--measure-import`: the modules timed, and whence.
    #[serde(skip_serializing_if = "Option::is_none")]
    import_set: Option<crate::settings::ImportSet>,
}

/// Where pyprune's runtime goes in the tree, and what loads it.
#[derive(Debug, Serialize)]
struct RuntimePlace {
    /// The module, in the stdlib directory.
    module: String,
    /// The `.pth` that loads it at start; absent when only a `sitecustomize` would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pth: Option<String>,
    /// Whether the tree's interpreter said where its `site` reads `.pth`
    /// files (else the stdlib's own site-packages is taken).
    pth_place_asked: bool,
    /// Whether pyprune's `sitecustomize` goes beside the module (it loads the
    /// runtime in venvs; not when the stdlib has its own, as Debian's does).
    sitecustomize: bool,
}

pub fn run(args: &PlanArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let settings = PlanSettings::resolve(args, global)?;
    let mut prepared = pipeline::prepare(&settings.tree, printer)?;
    settings.zip.set_on(&mut prepared.context);
    // Every step is planned: the interpreter `apply` would use answers what the tree cannot.
    pipeline::adopt_default_interpreter(
        &mut prepared,
        &StepName::ALL,
        settings.tree.python.as_deref(),
        printer,
    );
    if let Some(why) = pipeline::unknown_release(&prepared.inventory.root, prepared.context.version)
    {
        printer.warn(&format!(
            "{why}: planned anyway (the module lists may not be that release's), and apply refuses it"
        ));
    }
    if let Some(request) = &settings.keep_for {
        pipeline::resolve_keep_for(request, &mut prepared, printer)?;
    }
    if prepared.context.version.is_none() {
        printer.note("no Python release known for this tree (no caches, no --python): the zip steps plan nothing, and the module lists of exclude-dev-modules and exclude-dead-batteries are every release's");
    }
    let mut rows = {
        let tally = Arc::new(Tally::new("plan rows done"));
        let _progress = printer.progress(Arc::clone(&tally));
        let (model, context) = (&prepared.model, &prepared.context);
        plan(model, context, &settings.profiles, Some(&tally))?
    };
    let mut measure_space = None;
    let mut measured_set = None;
    if let Some(runs) = settings.measure_runs {
        let python = prepared
            .context
            .interpreter
            .clone()
            .unwrap_or_else(|| pyprune_python::DEFAULT_PYTHON.into());
        let measured_row = |row: &PlanRow| !settings.measure_profiles_only || row.kind == "profile";
        let layouts: Vec<_> = rows
            .iter()
            .filter(|r| measured_row(r))
            .map(|r| (r.name.clone(), r.steps.clone()))
            .collect();
        printer.note(&format!(
            "building {} layouts one at a time and timing imports against the unchanged tree; this takes a while",
            layouts.len()
        ));
        let import_set = measure::timed_set(&settings.zip.import_set);
        let measured = measure::measure(
            &prepared,
            &python,
            &layouts,
            &import_set.modules,
            runs,
            printer,
        )?;
        for (row, ratios) in rows
            .iter_mut()
            .filter(|r| measured_row(r))
            .zip(measured.layouts)
        {
            if let Err(why) = &ratios {
                printer.warn(&format!(
                    "the {} layout did not import the module set: {why}",
                    row.name
                ));
            }
            row.imports = Some(ratios.is_ok());
            row.import_ratio = ratios.as_ref().ok().map(|r| r.median);
            row.import_range = ratios.as_ref().ok().map(|r| [r.min, r.max]);
        }
        measure_space = Some(measured.space);
        measured_set = Some(import_set);
    }
    let report = PlanReport {
        root: display_path(&prepared.inventory.root),
        disk_bytes: prepared.model.disk_total() - prepared.left_out.disk_bytes,
        cache_tag: &prepared.context.cache_tag,
        left_out: &prepared.left_out,
        rows: &rows,
        footprint: Footprint::of(&prepared.inventory, &prepared.context.distributions),
        runtime: runtime_place(&prepared),
        measure_space,
        import_set: measured_set,
    };
    let color = printer.stdout_color();
    let all_modules = global.verbose > 0;
    super::write_report(global.format, &report, |report| {
        render(report, color, all_modules)
    })?;
    Ok(Outcome::Success)
}

fn runtime_place(prepared: &pipeline::Prepared) -> Option<RuntimePlace> {
    let (model, context) = (&prepared.model, &prepared.context);
    Some(RuntimePlace {
        module: display_path(&pyprune_steps::runtime_module(model, context)?),
        pth: pyprune_steps::runtime_pth(model, context).map(|p| display_path(&p)),
        pth_place_asked: context.site_dirs.is_some(),
        sitecustomize: !pyprune_steps::has_own_sitecustomize(model, context),
    })
}

/// The line that says where the runtime goes.
fn runtime_line(place: &RuntimePlace) -> String {
    let venvs = if place.sitecustomize {
        " and, in venvs, by a sitecustomize beside it"
    } else {
        ""
    };
    let loaded = match (&place.pth, place.pth_place_asked, place.sitecustomize) {
        (Some(pth), true, _) => {
            format!("loaded by `{pth}` (where this Python's site reads it){venvs}")
        }
        (Some(pth), false, _) => format!("loaded by `{pth}`{venvs}"),
        (None, _, true) => "loaded by a sitecustomize beside it only".to_owned(),
        (None, _, false) => {
            "but nothing would load it (no site-packages in the tree, a sitecustomize of the stdlib's own)"
                .to_owned()
        }
    };
    format!(
        "pyprune's runtime, for the steps that need it, goes in `{}`, {loaded}",
        place.module
    )
}

fn render(report: &PlanReport<'_>, color: bool, all_modules: bool) -> String {
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
            .set_width(100)
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
            let saved = if row.saved_bytes >= 0 {
                size(row.saved_bytes as u64)
            } else {
                format!("-{}", size(row.saved_bytes.unsigned_abs()))
            };
            let gives_up = if row.gives_up.is_empty() {
                "nothing".to_owned()
            } else {
                row.gives_up.join("; ")
            };
            table.add_row(vec![
                row.name.clone(),
                size(row.disk_bytes),
                saved,
                percent(row.saved_bytes.max(0) as u64, report.disk_bytes),
                match (row.imports, row.import_ratio, row.import_range) {
                    (Some(true), Some(ratio), Some([min, max])) => {
                        format!("{ratio:.2}x\n{min:.2}-{max:.2}")
                    }
                    (Some(true), Some(ratio), None) => format!("{ratio:.2}x"),
                    (Some(false), ..) => "fails".to_owned(),
                    _ => "-".to_owned(),
                },
                gives_up,
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    render_modules(&mut out, report, &heading, all_modules);
    render_distributions(&mut out, report, &heading, all_modules);
    render_left_as_is(&mut out, report, &heading);
    if let Some(place) = &report.runtime {
        let _ = writeln!(out, "\n{}", runtime_line(place));
    }
    if let Some(set) = &report.import_set {
        let whence = match &set.file {
            Some(file) => format!("from `{}`", display_path(file)),
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
    out
}

/// The line that says how much temporary space `--measure-import` took.
fn space_line(space: &measure::Space) -> String {
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

/// `bytes` with its sign.
fn signed_size(bytes: i64) -> String {
    if bytes >= 0 {
        size(bytes as u64)
    } else {
        format!("-{}", size(bytes.unsigned_abs()))
    }
}

/// The distributions of the tree, and what each row saves each of them.
fn render_distributions(
    out: &mut String,
    report: &PlanReport<'_>,
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
fn render_left_as_is(out: &mut String, report: &PlanReport<'_>, heading: &dyn Fn(&str) -> String) {
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
    report: &PlanReport<'_>,
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
        let space = |linked_files| measure::Space {
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
