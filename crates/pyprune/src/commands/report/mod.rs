//! `pyprune report --html FILE`: the tree's footprint and plan as one
//! self-contained HTML page (a treemap, the plan's tables, a chart of the
//! profiles), and a short report of what was written on stdout.

mod chart;
mod page;
mod treemap;

use crate::Outcome;
use crate::cli::{GlobalArgs, ReportArgs};
use crate::format::size;
use crate::pipeline;
use crate::printer::Printer;
use crate::settings::PlanSettings;
use anyhow::Context as _;
use page::{Group, Page, Row};
use pyprune_fs::display_path;
use pyprune_steps::PlanRow;
use serde::Serialize;

/// What `report --format json` says (docs/json-schema.md): the page, and
/// the plan it shows as `plan --format json` gives it.
#[derive(Debug, Serialize)]
struct ReportDocument<'a> {
    html: PageWritten,
    #[serde(flatten)]
    plan: pipeline::PlanDocument<'a>,
}

/// The page written.
#[derive(Debug, Serialize)]
struct PageWritten {
    path: String,
    /// Its length in bytes.
    bytes: u64,
    /// The treemap's tiles: one per module drawn apart, and one for the
    /// `folded_modules` smaller ones when there are any.
    tiles: usize,
    folded_modules: usize,
}

/// Where the page goes: what `--html` names, or through a symlink there the
/// file it points to (as a shell's `>` writes: the link stays a link), a
/// dangling link's target included.
fn page_path(html: &std::path::Path) -> std::path::PathBuf {
    let mut path = html.to_path_buf();
    // A bounded walk: a loop of links ends at the last one asked, which the
    // write then reports.
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&path) else {
            break;
        };
        path = match path.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    path
}

/// The page replaces the file [`page_path`] names (written beside it, then
/// renamed over it): a FIFO, socket, device or directory there is refused
/// before the plan's work, since replacing it would take a pipe or device
/// away from whoever uses it and leave a file in its place.
fn refuse_to_replace(html: &std::path::Path) -> anyhow::Result<()> {
    let Ok(metadata) = std::fs::symlink_metadata(html) else {
        return Ok(());
    };
    let kind = match pyprune_fs::special_kind(&metadata.file_type()) {
        Some(kind) => kind,
        None if metadata.is_dir() => "a directory",
        None => return Ok(()),
    };
    anyhow::bail!(
        "--html `{}` is {kind}: report writes its page to a regular file, replacing it; name a new or regular file",
        display_path(html)
    )
}

pub fn run(args: &ReportArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let settings = PlanSettings::resolve(&args.plan, global)?;
    let html_path = page_path(&args.html);
    refuse_to_replace(&html_path)?;
    let planned = pipeline::plan_tree(&settings, printer)?;
    let prepared = &planned.prepared;
    let disk_bytes = planned.disk_bytes();
    // The treemap shows what the sizes are of: the tree less the third-party
    // packages the steps leave out, as `analyze` does.
    let mut inventory = prepared.inventory.clone();
    inventory.leave_out(&prepared.context.left_out(&prepared.model));
    let (groups, folded) = groups(&inventory.summary(), args.top.max(1));
    let mut notes = Vec::new();
    if let Some(line) =
        pipeline::left_out_lines(&prepared.left_out, "left out, untouched and not counted")
    {
        notes.push(line.replace('\n', " "));
    }
    if let Some(place) = pipeline::runtime_place(prepared) {
        notes.push(place.line());
    }
    let page = Page {
        root: display_path(&prepared.inventory.root),
        disk_bytes,
        cache_tag: prepared.context.cache_tag.clone(),
        notes,
        groups,
        folded,
        steps: rows(&planned.rows, "step"),
        profiles: rows(&planned.rows, "profile"),
    };
    let html = page::render(&page);
    pyprune_fs::replace_with_bytes(&html_path, html.as_bytes(), 0o644)
        .with_context(|| format!("cannot write `{}`", display_path(&html_path)))?;
    let document = ReportDocument {
        html: PageWritten {
            path: display_path(&args.html),
            bytes: html.len() as u64,
            tiles: page.groups.len(),
            folded_modules: folded,
        },
        plan: planned.document(),
    };
    super::write_report(global.format, &document, |d| {
        let measured = if d.plan.measure_space.is_some() {
            ", import times measured"
        } else {
            ""
        };
        format!(
            "wrote {} ({}): {} of {} on disk in {} tiles; {} steps and {} profiles{measured}\n",
            d.html.path,
            size(d.html.bytes),
            d.plan.root,
            size(d.plan.disk_bytes),
            d.html.tiles,
            page.steps.len(),
            page.profiles.len(),
        )
    })?;
    Ok(Outcome::Success)
}

/// The treemap's groups: the `top` largest modules, then one for the rest
/// (two or more); and how many that one holds.
fn groups(summary: &pyprune_tree::Summary, top: usize) -> (Vec<Group>, usize) {
    // One module left over is drawn as itself, not as "1 others".
    let top = if summary.modules.len() == top + 1 {
        top + 1
    } else {
        top
    };
    let kinds = |by_kind: &pyprune_tree::KindTotals| -> Vec<(&'static str, u64)> {
        by_kind
            .iter()
            .map(|(kind, sizes)| (kind.name(), sizes.disk_bytes))
            .filter(|(_, bytes)| *bytes > 0)
            .collect()
    };
    let mut groups: Vec<Group> = summary
        .modules
        .iter()
        .take(top)
        .map(|m| Group {
            name: m.name.clone(),
            kinds: kinds(&m.by_kind),
        })
        .collect();
    let rest = &summary.modules[top.min(summary.modules.len())..];
    if !rest.is_empty() {
        let mut by_kind = pyprune_tree::KindTotals::new();
        for module in rest {
            for (kind, sizes) in &module.by_kind {
                by_kind.entry(*kind).or_default().disk_bytes += sizes.disk_bytes;
            }
        }
        groups.push(Group {
            name: format!("{} others", rest.len()),
            kinds: kinds(&by_kind),
        });
    }
    (groups, rest.len())
}

/// The page's rows of one kind (`step` or `profile`), each profile with its
/// steps and what each saves alone.
fn rows(plan: &[PlanRow], kind: &str) -> Vec<Row> {
    let alone = |step: &str| {
        plan.iter()
            .find(|r| r.kind == "step" && r.name == step)
            .map_or(0, |r| r.saved_bytes)
    };
    let id = |step: &pyprune_steps::StepName| step.info().id;
    plan.iter()
        .filter(|r| r.kind == kind)
        .map(|r| Row {
            name: r.name.clone(),
            disk_bytes: r.disk_bytes,
            saved_bytes: r.saved_bytes,
            steps: r
                .steps
                .iter()
                .map(|s| (id(s).to_owned(), alone(id(s))))
                .collect(),
            gives_up: r.gives_up.clone(),
            imports: r.imports,
            import_ratio: r.import_ratio,
        })
        .collect()
}
