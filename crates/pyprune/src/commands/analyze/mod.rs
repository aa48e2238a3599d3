//! `pyprune analyze`: the footprint tables of one tree, as text or JSON.

mod text;
use crate::Outcome;
use crate::cli::{AnalyzeArgs, GlobalArgs};
use crate::pipeline;
use crate::printer::Printer;
use pyprune_dist::DistWarning;
use pyprune_python::Interpreter;
use pyprune_steps::Footprint;
use pyprune_tree::{BytecodeOptions, BytecodeReport, Summary, Warning, display_path};
use serde::Serialize;

/// The JSON document of `analyze --format json` (docs/json-schema.md).
#[derive(Debug, Serialize)]
pub struct AnalyzeReport<'a> {
    pub root: String,
    pub python: Option<PythonInfo>,
    #[serde(flatten)]
    pub summary: &'a Summary,
    pub directories: Directories,
    /// `None` unless `--bytecode` (or `--list`) asked for the checks.
    pub bytecode: Option<&'a BytecodeReport>,
    pub warnings: &'a [Warning],
    /// The footprint by installed distribution (`*.dist-info` RECORDs), the
    /// files none owns, and the stdlib, third-party and other parts.
    #[serde(flatten)]
    pub footprint: Footprint,
    /// What the RECORDs could not tell (also among the warnings on stderr).
    pub distribution_warnings: &'a [DistWarning],
    /// The third-party packages of a tree that holds a stdlib, not counted
    /// (unless `--site-packages`).
    pub left_out: pipeline::LeftOut,
}

/// The interpreter that described the tree.
#[derive(Debug, Serialize)]
pub struct PythonInfo {
    pub implementation: String,
    pub version: String,
    pub cache_tag: String,
    /// The magic number as the first two bytes of a .pyc read it (3495 for 3.11).
    pub magic: u16,
    pub executable: String,
}

impl From<&Interpreter> for PythonInfo {
    fn from(python: &Interpreter) -> Self {
        PythonInfo {
            implementation: python.implementation.clone(),
            version: python.version.clone(),
            cache_tag: python.cache_tag.clone(),
            magic: python.magic_number(),
            executable: display_path(&python.executable),
        }
    }
}

/// Directories are counted apart from files: their blocks are real disk usage too.
#[derive(Debug, Serialize)]
pub struct Directories {
    pub count: u64,
    pub apparent_bytes: u64,
    pub disk_bytes: u64,
}

pub fn run(args: &AnalyzeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let target = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?;
    if let Some(python) = &target.python {
        printer.verbose(&format!(
            "{} {} at `{}`: cache tag {}, magic {}",
            python.implementation,
            python.version,
            display_path(&python.executable),
            python.cache_tag,
            python.magic_number()
        ));
    }

    let mut inventory = target.scan(printer)?;
    let left_out = inventory.leave_out_third_party(global.site_packages);
    let bytecode = (args.bytecode || args.list).then(|| {
        inventory.check_bytecode(&BytecodeOptions {
            expected_magic: target.python.as_ref().map(Interpreter::magic_number),
            given_root: std::path::absolute(&target.root).ok(),
            list: args.list,
        })
    });
    let roots: Vec<String> = inventory
        .layout
        .roots()
        .iter()
        .map(|r| {
            if r.as_os_str().is_empty() {
                ".".to_owned()
            } else {
                display_path(r)
            }
        })
        .collect();
    printer.verbose(&format!("import roots: {}", roots.join(", ")));
    for warning in &inventory.warnings {
        printer.warn(&warning.to_string());
    }
    if !inventory.interpreter_links.is_empty() {
        let links: Vec<String> = inventory
            .interpreter_links
            .iter()
            .map(|l| display_path(l))
            .collect();
        printer.verbose(&format!(
            "{}: the venv's links to its base interpreter, out of the tree as in every venv; not followed",
            links.join(", ")
        ));
    }
    // (The third-party directories left out are out of the inventory already.)
    let distributions = pyprune_steps::read_distributions(&inventory, &[]);
    for warning in &distributions.warnings {
        printer.warn(&format!(
            "{}: {}",
            display_path(&warning.path),
            warning.message
        ));
    }
    let footprint = Footprint::of(&inventory, &distributions);

    let summary = inventory.summary();
    let version = match &target.python {
        Some(python) => pyprune_pyc::PythonVersion::parse(&python.version),
        None => pyprune_steps::release_of_caches(&summary.cache_tags).1,
    };
    if let Some(why) = pipeline::unknown_release(&inventory.root, version) {
        printer.warn(&format!("{why}: measured anyway; apply refuses it"));
    }
    let report = AnalyzeReport {
        root: display_path(&inventory.root),
        python: target.python.as_ref().map(PythonInfo::from),
        summary: &summary,
        directories: Directories {
            count: inventory.directories.files,
            apparent_bytes: inventory.directories.apparent_bytes,
            disk_bytes: inventory.directories.disk_bytes,
        },
        bytecode: bytecode.as_ref(),
        warnings: &inventory.warnings,
        footprint,
        distribution_warnings: &distributions.warnings,
        left_out,
    };

    let options = text::TextOptions {
        top: args.top,
        all: global.verbose > 0,
        apparent: args.apparent,
        color: printer.stdout_color(),
    };
    super::write_report(global.format, &report, |report| {
        text::render(report, &options)
    })?;

    let findings = bytecode.as_ref().map_or(0, BytecodeReport::problems);
    let warned = !inventory.warnings.is_empty() || !distributions.warnings.is_empty();
    if args.strict && (warned || findings > 0) {
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Success)
}
