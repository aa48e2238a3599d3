//! The text report of `analyze`: the two tables of the Fedora minimization
//! document (totals per kind; the largest modules broken down by kind), sized
//! to fit an 80-column terminal.

use super::AnalyzeReport;
use crate::format::{percent, size, size_or_dash};
use crate::printer::paint;
use anstyle::Style;
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use pyprune_fs::display_text;
use pyprune_tree::{BytecodeReport, Findings, Kind, ModuleRole, ModuleSummary, Sizes};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// How many modules the second table lists (and distributions the third).
    pub top: usize,
    /// `--verbose`: every distribution and unowned directory.
    pub all: bool,
    /// Apparent sizes instead of disk usage in the module table and shares.
    pub apparent: bool,
    pub color: bool,
}

/// The module table's columns after the name: a heading and the kinds it adds up.
const MODULE_COLUMNS: [(&str, &[Kind]); 6] = [
    (".py", &[Kind::Source]),
    (".pyc", &[Kind::BytecodeOpt0]),
    ("opt-1", &[Kind::BytecodeOpt1]),
    ("opt-2", &[Kind::BytecodeOpt2]),
    (".so", &[Kind::Extension]),
    ("other", &[Kind::Sourceless, Kind::Metadata, Kind::Data]),
];

pub fn render(report: &AnalyzeReport<'_>, options: &TextOptions) -> String {
    let measure = |s: &Sizes| {
        if options.apparent {
            s.apparent_bytes
        } else {
            s.disk_bytes
        }
    };
    let measure_name = if options.apparent {
        "apparent size"
    } else {
        "disk usage"
    };
    let heading = |text: &str| paint(options.color, Style::new().bold(), text);
    let summary = report.summary;
    let mut out = String::new();

    let _ = writeln!(
        out,
        "{}",
        heading(&format!("Python footprint of {}", report.root))
    );
    match &report.python {
        Some(p) => {
            let _ = writeln!(
                out,
                "{} {}, cache tag {}, magic {}",
                p.implementation, p.version, p.cache_tag, p.magic
            );
        }
        None if summary.cache_tags.is_empty() => {
            let _ = writeln!(out, "no interpreter asked; no bytecode caches in the tree");
        }
        None => {
            let tags: Vec<String> = summary
                .cache_tags
                .iter()
                .map(|(tag, n)| format!("{tag} ({n})"))
                .collect();
            let _ = writeln!(
                out,
                "no interpreter asked; cache tags in the tree: {}",
                tags.join(", ")
            );
        }
    }
    if let Some(line) =
        crate::pipeline::left_out_lines(&report.left_out, "left out of these tables")
    {
        let _ = writeln!(out, "{line}");
    }

    let _ = writeln!(out, "\n{}", heading("By kind"));
    let mut kinds = new_table(&["kind", "files", "apparent", "on disk", "share"]);
    for (kind, sizes) in &summary.by_kind {
        kinds.add_row(vec![
            kind.name().to_owned(),
            sizes.files.to_string(),
            size(sizes.apparent_bytes),
            size(sizes.disk_bytes),
            percent(measure(sizes), measure(&summary.totals)),
        ]);
    }
    let totals = &summary.totals;
    kinds.add_row(vec![
        "total".to_owned(),
        totals.files.to_string(),
        size(totals.apparent_bytes),
        size(totals.disk_bytes),
        percent(measure(totals), measure(totals)),
    ]);
    let _ = writeln!(out, "{kinds}\n");

    let links = &summary.hardlinks;
    if links.paths > 0 {
        let _ = writeln!(
            out,
            "Hardlinks: {} paths share inodes; counting each inode once saves {}.\n\
             A shared inode counts for the first of its paths in sorted order\n\
             (`x.TAG.opt-1.pyc` sorts before `x.TAG.pyc`).",
            links.paths,
            size(links.saved_bytes)
        );
    }
    let dirs = &report.directories;
    let _ = writeln!(
        out,
        "{} directories take another {} on disk (not in the tables).",
        dirs.count,
        size(dirs.disk_bytes)
    );

    // `numpy.libs/` and `config-3.X/` sit among the modules but are not ones.
    let (modules, not_modules): (Vec<&ModuleSummary>, Vec<&ModuleSummary>) = summary
        .modules
        .iter()
        .partition(|m| matches!(m.role, ModuleRole::Module | ModuleRole::OutsideImportRoots));
    let shown = modules.len().min(options.top);
    if shown > 0 {
        let _ = writeln!(
            out,
            "\n{}",
            heading(&format!(
                "Largest {shown} of {} modules, by {measure_name}",
                modules.len()
            ))
        );
        let mut headings = vec!["module"];
        headings.extend(MODULE_COLUMNS.iter().map(|(name, _)| *name));
        headings.push("total");
        let mut table = new_table(&headings);
        for module in modules.iter().take(shown) {
            let mut row = vec![truncate(&display_text(&module.name), 16)];
            for (_, kinds) in MODULE_COLUMNS {
                let bytes: u64 = kinds
                    .iter()
                    .filter_map(|k| module.by_kind.get(k))
                    .map(measure)
                    .sum();
                row.push(size_or_dash(bytes));
            }
            row.push(size(measure(&module.sizes)));
            table.add_row(row);
        }
        let _ = writeln!(out, "{table}");
    }
    for group in not_modules {
        let _ = writeln!(
            out,
            " not a module: {}/ ({}), {}",
            display_text(&group.name),
            group.role.describe(),
            size(measure(&group.sizes))
        );
    }
    render_distributions(&mut out, report, options, &heading);

    if let Some(bytecode) = report.bytecode {
        render_bytecode(&mut out, bytecode, &heading);
    }

    let warnings = report.warnings.len() + report.distribution_warnings.len();
    if warnings > 0 {
        let _ = writeln!(out, "\n{warnings} warnings (see standard error).");
    }
    out
}

/// How many unowned directories the text names unless `--verbose`.
const UNOWNED_DIRS: usize = 3;

/// The footprint by distribution, the unowned files, and the parts; only
/// for a tree with distributions or a site-packages.
fn render_distributions(
    out: &mut String,
    report: &AnalyzeReport<'_>,
    options: &TextOptions,
    heading: &dyn Fn(&str) -> String,
) {
    let footprint = &report.footprint;
    let parts = &footprint.parts;
    if footprint.distributions.is_empty() && parts.third_party.files == 0 {
        return;
    }
    let measure = |s: &Sizes| {
        if options.apparent {
            s.apparent_bytes
        } else {
            s.disk_bytes
        }
    };
    let total = measure(&report.summary.totals);
    let dists = &footprint.distributions;
    let shown = if options.all {
        dists.len()
    } else {
        dists.len().min(options.top)
    };
    let _ = writeln!(
        out,
        "\n{}",
        heading(&if shown == dists.len() {
            format!("By distribution ({} installed)", dists.len())
        } else {
            format!(
                "Largest {shown} of {} distributions (--verbose lists all)",
                dists.len()
            )
        })
    );
    let mut table = new_table(&["distribution", "version", "files", "size", "share"]);
    for dist in dists.iter().take(shown) {
        let name = match dist.record {
            "listed" => display_text(&dist.name),
            // Its files are among the unowned ones.
            other => format!("{} (RECORD {other})", display_text(&dist.name)),
        };
        table.add_row(vec![
            truncate(&name, 28),
            truncate(&dist.version, 12),
            dist.sizes.files.to_string(),
            size(measure(&dist.sizes)),
            percent(measure(&dist.sizes), total),
        ]);
    }
    let unowned = &footprint.unowned;
    table.add_row(vec![
        "unowned (no RECORD)".to_owned(),
        String::new(),
        unowned.sizes.files.to_string(),
        size(measure(&unowned.sizes)),
        percent(measure(&unowned.sizes), total),
    ]);
    let _ = writeln!(out, "{table}");
    let named = if options.all {
        unowned.dirs.len()
    } else {
        unowned.dirs.len().min(UNOWNED_DIRS)
    };
    if named > 0 {
        let dirs: Vec<String> = unowned.dirs[..named]
            .iter()
            .map(|d| format!("{} ({})", display_text(&d.dir), size(measure(&d.sizes))))
            .collect();
        let more = match unowned.dirs.len() - named {
            0 => String::new(),
            n => format!(", and {n} more"),
        };
        let _ = writeln!(out, " unowned, largest first: {}{more}", dirs.join(", "));
    }
    let missing: u64 = dists.iter().map(|d| d.listed_not_found).sum();
    if missing > 0 {
        let _ = writeln!(
            out,
            " {missing} RECORD entries name files that are not in the tree"
        );
    }
    let _ = writeln!(
        out,
        "\nparts: stdlib {}, third-party {}, other (interpreter, scripts, venv files) {}",
        size(measure(&parts.stdlib)),
        size(measure(&parts.third_party)),
        size(measure(&parts.other)),
    );
}

/// A borderless table: the first column left-aligned and indented by one space,
/// the numbers right-aligned; columns are kept apart by one space.
fn new_table(headings: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' ')))
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headings.to_vec());
    for (index, column) in table.column_iter_mut().enumerate() {
        if index == 0 {
            column.set_padding((1, 0));
        } else {
            column.set_padding((0, 0));
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn truncate(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let kept: String = name.chars().take(max - 1).collect();
    format!("{kept}…")
}

fn render_bytecode(out: &mut String, bytecode: &BytecodeReport, heading: &dyn Fn(&str) -> String) {
    if bytecode.checked == 0 {
        return;
    }
    let expected = bytecode
        .expected_version
        .map_or_else(|| "another Python".to_owned(), |v| format!("not {v}"));
    let _ = writeln!(
        out,
        "\n{}",
        heading(&format!("Bytecode: {} files checked", bytecode.checked))
    );
    let rows: [(String, &Findings); 5] = [
        ("stale (source changed since)".into(), &bytecode.stale),
        (
            format!("for another Python ({expected})"),
            &bytecode.other_version,
        ),
        (
            "embedding a path outside the tree".into(),
            &bytecode.leaked_paths,
        ),
        (
            "cache tag disagrees with magic number".into(),
            &bytecode.tag_mismatch,
        ),
        ("not readable as bytecode".into(), &bytecode.unreadable),
    ];
    for (label, findings) in rows {
        let _ = writeln!(out, " {label:<42} {:>8}", findings.count);
        for finding in findings.files.iter().flatten() {
            let _ = writeln!(
                out,
                "   {}: {}",
                finding.path,
                display_text(&finding.detail)
            );
        }
    }
}
