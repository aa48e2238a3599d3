//! `pyprune plan`: every step and profile predicted on the tree, as a table.

use crate::Outcome;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::format::{percent, size};
use crate::printer::{Printer, paint};
use crate::target;
use anstyle::Style;
use anyhow::Context as _;
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use pyprune_fs::display_path;
use pyprune_pyc::PythonVersion;
use pyprune_steps::{Context, Model, PlanRow, SourceCompiler, plan};
use pyprune_tree::{Inventory, ScanOptions};
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// A scanned tree ready to plan against.
pub(super) struct Prepared {
    pub inventory: Inventory,
    pub model: Model,
    pub context: Context,
    /// The interpreter that described the tree, if one was asked.
    pub python: Option<std::ffi::OsString>,
}

/// Scans the target and works out the cache tag and release its bytecode is for.
pub(super) fn prepare(
    path: Option<&Path>,
    python: Option<&OsStr>,
    printer: &Printer,
) -> anyhow::Result<Prepared> {
    let target = target::resolve(path, python)?;
    let inventory = Inventory::scan(&target.root, &ScanOptions::default())?;
    for warning in &inventory.warnings {
        printer.warn(&warning.to_string());
    }
    let summary = inventory.summary();
    let cache_tag = match &target.python {
        Some(python) => python.cache_tag.clone(),
        // Without an interpreter, the tag most of the tree's caches carry.
        None => summary
            .cache_tags
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(t, _)| t.clone())
            .unwrap_or_default(),
    };
    let version = match &target.python {
        Some(python) => PythonVersion::parse(&python.version),
        None => cache_tag
            .strip_prefix("cpython-3")
            .and_then(|minor| minor.parse().ok())
            .map(|m| PythonVersion::new(3, m)),
    };
    let block_size = std::fs::metadata(&inventory.root)
        .map(|m| m.blksize())
        .unwrap_or(4096)
        .max(512);
    let model = Model::from_inventory(&inventory, block_size);
    let compiler = target
        .python
        .as_ref()
        .map(|python| runtime_compiler(python, *printer));
    let context = Context {
        root: inventory.root.clone(),
        installed_at: inventory.root.clone(),
        cache_tag,
        version,
        compiler,
    };
    let python = target.python.as_ref().map(|p| p.command.clone());
    Ok(Prepared {
        inventory,
        model,
        context,
        python,
    })
}

/// `apply` runs an interpreter anyway (to verify the result). When the tree
/// was named by its path, so that `prepare` ran none, the default one
/// (`--python`, else `python3`) tells what the tree's caches could not: its
/// release, when the tree has no caches but is laid out for that release
/// (`lib/python3.X`); and, when `steps` install the runtime and that
/// interpreter's bytecode is the tree's (same cache tag), it compiles the
/// runtime's files. Otherwise things stay as `prepare` left them.
pub(super) fn adopt_default_interpreter(
    prepared: &mut Prepared,
    steps: &[pyprune_steps::StepName],
    python: Option<&OsStr>,
    printer: &Printer,
) {
    let needs_compiler = pyprune_steps::needs_runtime(steps);
    let context = &prepared.context;
    if context.version.is_none() || (context.compiler.is_none() && needs_compiler) {
        let command = python.unwrap_or(OsStr::new("python3"));
        if let Ok(interpreter) = pyprune_python::discover(command) {
            adopt(prepared, &interpreter, needs_compiler, printer);
        }
    }
    let context = &prepared.context;
    if needs_compiler && context.compiler.is_none() && context.version.is_some() {
        printer.warn(&format!(
            "no interpreter for this tree's bytecode ({}; --python names one) to compile pyprune's runtime with: \
             where it is installed it goes in without caches, is compiled at every start, and the first start \
             of a venv made from the tree writes the cache of its sitecustomize",
            context.cache_tag
        ));
    }
}

fn adopt(
    prepared: &mut Prepared,
    interpreter: &pyprune_python::Interpreter,
    needs_compiler: bool,
    printer: &Printer,
) {
    let Some(release) = PythonVersion::parse(&interpreter.version) else {
        return;
    };
    if prepared.context.version.is_none() {
        let dir_name = format!("python{}.{}", release.major, release.minor);
        let root = &prepared.inventory.root;
        let laid_out = root.file_name().is_some_and(|n| *n == *dir_name)
            || root.join("lib").join(&dir_name).is_dir();
        // No tag from the caches (prepare found none to take it from).
        if !laid_out || !prepared.context.cache_tag.is_empty() {
            return;
        }
        prepared.context.version = Some(release);
        prepared.context.cache_tag = interpreter.cache_tag.clone();
    }
    if prepared.context.compiler.is_none()
        && needs_compiler
        && interpreter.cache_tag == prepared.context.cache_tag
    {
        prepared.context.compiler = Some(runtime_compiler(interpreter, *printer));
    }
}

/// Compiles the runtime's files with `python` at every level, as checked-hash
/// caches named for where they are installed, so that they load at each
/// start without being compiled (or, in a venv, written). Each source is
/// compiled once however many plan rows ask. Without caches the runtime
/// still works, compiled at every start: a failure is only a warning.
fn runtime_compiler(python: &pyprune_python::Interpreter, printer: Printer) -> SourceCompiler {
    type Compiled = Option<Vec<(u8, Vec<u8>)>>;
    let pool = pyprune_python::PoolOptions {
        python: python.program().to_os_string(),
        workers: 1,
        timeout: std::time::Duration::from_secs(60),
    };
    let done: std::sync::Mutex<HashMap<(PathBuf, Vec<u8>), Compiled>> = Default::default();
    SourceCompiler(std::sync::Arc::new(move |path: &Path, source: &[u8]| {
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_path_buf(), source.to_vec());
        if let Some(compiled) = done.get(&key) {
            return compiled.clone();
        }
        let compiled = pyprune_python::compile_source_bytes(
            &pool,
            source,
            path,
            &[0, 1, 2],
            pyprune_python::InvalidationMode::CheckedHash,
        );
        let compiled = match compiled {
            Ok(levels) => Some(levels),
            Err(e) => {
                printer.warn(&format!(
                    "cannot compile pyprune's `{}` with `{}`: {e}; it goes in without caches and is compiled at every start",
                    display_path(path),
                    pool.python.to_string_lossy()
                ));
                None
            }
        };
        done.insert(key, compiled.clone());
        compiled
    }))
}

#[derive(Debug, Serialize)]
struct PlanReport<'a> {
    root: String,
    disk_bytes: u64,
    cache_tag: &'a str,
    rows: &'a [PlanRow],
}

pub fn run(args: &PlanArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let mut prepared = prepare(args.path.as_deref(), global.python.as_deref(), printer)?;
    // Every step is planned: the interpreter `apply` would use answers what the tree cannot.
    let every_step: Vec<_> = pyprune_steps::STEPS.iter().map(|s| s.name).collect();
    adopt_default_interpreter(
        &mut prepared,
        &every_step,
        global.python.as_deref(),
        printer,
    );
    if prepared.context.version.is_none() {
        printer.note("no Python release known for this tree (no caches, no --python): the zip and dead-batteries steps plan nothing");
    }
    let profiles = profiles(args.config.as_deref())?;
    let mut rows = plan(&prepared.model, &prepared.context, &profiles)?;
    if args.measure_import {
        let python = prepared.python.clone().unwrap_or_else(|| "python3".into());
        let layouts: Vec<_> = rows.iter().map(|r| r.steps.clone()).collect();
        printer.note(&format!(
            "building {} layouts and timing imports; this takes a while",
            layouts.len() + 1
        ));
        let measured = super::measure::measure(&prepared, &python, &layouts, args.runs.max(1))?;
        for (row, time) in rows.iter_mut().zip(measured.layouts) {
            row.imports = Some(time.is_some());
            row.import_ratio = time.map(|t| t.as_secs_f64() / measured.baseline.as_secs_f64());
        }
    }
    let report = PlanReport {
        root: display_path(&prepared.inventory.root),
        disk_bytes: prepared.model.disk_total(),
        cache_tag: &prepared.context.cache_tag,
        rows: &rows,
    };
    let color = printer.stdout_color();
    super::write_report(global.format, &report, |report| render(report, color))?;
    Ok(Outcome::Success)
}

fn render(report: &PlanReport<'_>, color: bool) -> String {
    let heading = |text: &str| paint(color, Style::new().bold(), text);
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(&format!("Plan for {}", report.root)));
    let _ = writeln!(
        out,
        "now {} on disk (du -s); nothing is written by `plan`",
        size(report.disk_bytes)
    );
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
                match (row.imports, row.import_ratio) {
                    (Some(true), Some(ratio)) => format!("{ratio:.2}x"),
                    (Some(false), _) => "fails".to_owned(),
                    _ => "-".to_owned(),
                },
                gives_up,
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    out
}

/// The built-in profiles, then those of `config`; a file may not redefine a built-in one.
pub(super) fn profiles(config: Option<&Path>) -> anyhow::Result<Vec<pyprune_steps::ProfileDef>> {
    let mut all: Vec<pyprune_steps::ProfileDef> =
        pyprune_steps::PROFILES.iter().map(Into::into).collect();
    if let Some(config) = config {
        let text = std::fs::read_to_string(config)
            .with_context(|| format!("cannot read `{}`", display_path(config)))?;
        for profile in pyprune_steps::parse_profiles(&text)
            .with_context(|| format!("in `{}`", display_path(config)))?
        {
            if all.iter().any(|p| p.name == profile.name) {
                anyhow::bail!(
                    "`{}` defines `{}`, which is a built-in profile: choose another name",
                    display_path(config),
                    profile.name
                );
            }
            all.push(profile);
        }
    }
    Ok(all)
}
