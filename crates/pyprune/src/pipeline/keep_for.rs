//! `--keep-for`: what the application needs, worked out before anything is
//! planned: its entry points' imports (`pyprune_deps::entry_needs`), what the
//! tree's interpreter loads to start (asked from it), `--keep`, and with
//! `--trace` what one run of each entry point imported. The `keep-for` step
//! (`pyprune_steps`) then takes back what those import in turn.

use super::Prepared;
use crate::printer::Printer;
use crate::settings::KeepForRequest;
use anyhow::Context as _;
use pyprune_deps::{Entry, Need, entry_needs};
use pyprune_fs::display_path;
use pyprune_steps::{ComputedIn, KeepFor, StepName};
use serde::Serialize;
use std::ffi::OsString;
use std::sync::Arc;

/// Sets the prepared context's `keep_for` from `request`, warning about each
/// import of a computed name in the application's own files.
pub fn resolve_keep_for(
    request: &KeepForRequest,
    prepared: &mut Prepared,
    printer: &Printer,
) -> anyhow::Result<()> {
    let python = prepared.context.interpreter.clone().with_context(|| {
        format!(
            "--keep-for needs the interpreter of `{}` to ask what it loads to start: name it with --python",
            display_path(&prepared.inventory.root)
        )
    })?;
    let found = entry_needs(&request.entries);
    for (path, why) in &found.unreadable {
        printer.warn(&format!(
            "{}: {why}; keep what it needs with --keep",
            display_path(path)
        ));
    }
    for (path, computed) in &found.computed {
        printer.warn(&match &computed.prefix {
            Some(prefix) => format!(
                "{}:{}: `{}` imports a name computed at run time: every module starting with `{prefix}` is kept",
                display_path(path),
                computed.line,
                computed.call
            ),
            None => format!(
                "{}:{}: `{}` imports a name computed at run time, which pyprune cannot resolve: keep what it loads with --keep MODULE (or run the program once with --trace)",
                display_path(path),
                computed.line,
                computed.call
            ),
        });
    }
    let mut needs = found.needs;
    let started = pyprune_python::loaded_at_start(&python).with_context(|| {
        "--keep-for keeps what the interpreter loads to start, and it could not say".to_owned()
    })?;
    refuse_to_drop_startup(&request.drop, &started)?;
    for (how, names) in started {
        needs.extend(names.iter().map(|name| Need::module(&how, name)));
    }
    needs.extend(request.keep.iter().map(|name| Need::module("--keep", name)));
    if let Some(timeout) = request.trace {
        needs.extend(traced(&python, &request.entries, timeout, printer)?);
    }
    prepared.context.keep_for = Some(Arc::new(KeepFor {
        needs,
        drop: request.drop.clone(),
    }));
    Ok(())
}

/// `--drop` of a module the interpreter loads to start (or of its package)
/// is refused: the result could not start, nor say which module it lacks.
fn refuse_to_drop_startup(
    drop: &[String],
    started: &[(String, Vec<String>)],
) -> anyhow::Result<()> {
    for dropped in drop {
        let within = |name: &str| {
            name == dropped
                || name
                    .strip_prefix(dropped.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        let needed = started
            .iter()
            .find_map(|(how, names)| names.iter().find(|n| within(n)).map(|n| (how, n)));
        if let Some((how, name)) = needed {
            anyhow::bail!(
                "--drop {dropped}: Python needs `{name}` to start (loaded at {how}): the result could not start without it; drop something else"
            );
        }
    }
    Ok(())
}

/// What one run of each script or module entry point imported.
fn traced(
    python: &OsString,
    entries: &[Entry],
    timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<Vec<Need>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut needs = Vec::new();
    for entry in entries {
        let (args, shown): (Vec<OsString>, String) = match entry {
            Entry::Script(path) => (vec![path.clone().into_os_string()], display_path(path)),
            Entry::Module(name) => (vec!["-m".into(), name.into()], format!("-m {name}")),
            Entry::Directory(dir) => {
                printer.note(&format!(
                    "--trace runs scripts and modules, not the directory `{}`: its static imports only",
                    display_path(dir)
                ));
                continue;
            }
        };
        printer.note(&format!("--trace: running `{shown}` once"));
        let (success, names) = pyprune_python::trace_imports(python, &args, &cwd, timeout)
            .with_context(|| format!("--trace could not run `{shown}`"))?;
        if !success {
            printer.warn(&format!(
                "--trace: `{shown}` failed or was ended after {} s: what it imported until then is kept",
                timeout.as_secs()
            ));
        }
        let by = format!("--trace {shown}");
        needs.extend(names.iter().map(|name| Need::module(&by, name)));
    }
    Ok(needs)
}

/// What `keep-for` does to a tree, as apply reports it.
#[derive(Debug, Clone, Serialize)]
pub struct KeepForReport {
    /// The modules removed (a package stands for its submodules), sorted.
    pub removed: Vec<String>,
    /// How many modules it keeps because something needs them.
    pub kept: usize,
    /// The disk bytes the step saves alone.
    pub saved_bytes: u64,
    /// Imports of computed names in the kept modules of the tree, which
    /// nothing resolved: what they load is kept only if something else needs it.
    pub computed_imports: Vec<ComputedReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComputedReport {
    pub path: String,
    pub line: usize,
    pub call: String,
}

/// What `keep-for` removes from the prepared tree, and saves.
pub fn keep_for_report(prepared: &Prepared) -> anyhow::Result<KeepForReport> {
    let (model, context) = (&prepared.model, &prepared.context);
    let removals = pyprune_steps::module_removals(StepName::KeepFor, model, context)?
        .unwrap_or_else(|| unreachable!("keep-for removes modules"));
    let after = pyprune_steps::predict(model, &[StepName::KeepFor], context)?;
    Ok(KeepForReport {
        removed: removals.removed,
        kept: removals.kept.len(),
        saved_bytes: model.disk_total().saturating_sub(after.disk_total()),
        computed_imports: removals
            .computed
            .iter()
            .map(|ComputedIn { path, line, call }| ComputedReport {
                path: display_path(path),
                line: *line,
                call: call.clone(),
            })
            .collect(),
    })
}

/// The kept modules' computed imports: counted in a note, named with `--verbose`.
pub fn keep_for_notes(report: &KeepForReport, printer: &Printer) {
    if report.computed_imports.is_empty() {
        return;
    }
    printer.note(&format!(
        "{} imports of computed names in the modules kept were not resolved (what they load stays only if something else needs it; --verbose names them, JSON lists them)",
        report.computed_imports.len()
    ));
    for c in &report.computed_imports {
        printer.verbose(&format!("{}:{}: `{}`", c.path, c.line, c.call));
    }
}

/// The report's line for people.
pub fn keep_for_line(report: &KeepForReport) -> String {
    let shown = 12;
    format!(
        "keep-for removed {} modules and packages ({}), saving {}\n",
        report.removed.len(),
        match report.removed.len() {
            n if n <= shown => report.removed.join(", "),
            n => format!(
                "{} and {} more: --format json lists them",
                report.removed[..shown].join(", "),
                n - shown
            ),
        },
        crate::format::size(report.saved_bytes)
    )
}
