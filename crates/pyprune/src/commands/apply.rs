//! `pyprune apply`: a profile or steps performed on a copy of the tree.

use crate::Outcome;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::printer::Printer;
use anyhow::{Context as _, bail};
use pyprune_fs::display_path;
use pyprune_steps::{Context, Model, PROFILES, StepName, apply, copy_tree};
use pyprune_tree::{Inventory, ScanOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub(super) struct ApplyReport {
    out: String,
    steps: Vec<&'static str>,
    actions: u64,
    predicted_disk_bytes: u64,
    disk_bytes: u64,
}

pub fn run(args: &ApplyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let steps = chosen_steps(args)?;
    let prepared = super::plan::prepare(args.path.as_deref(), global.python.as_deref(), printer)?;
    if args.out.symlink_metadata().is_ok() {
        bail!(
            "`{}` exists; --out must name a new directory",
            display_path(&args.out)
        );
    }
    // Built under a temporary name beside OUT and renamed into place at the end:
    // OUT appears whole or not at all.
    let partial = partial_name(&args.out);
    let result = build(&steps, &prepared, &partial);
    match result {
        Ok(report) => {
            std::fs::rename(&partial, &args.out).with_context(|| {
                format!("cannot rename the result to `{}`", display_path(&args.out))
            })?;
            let report = ApplyReport {
                out: display_path(&args.out),
                ..report
            };
            super::write_report(global.format, &report, |r| {
                format!(
                    "{}: {} applied in {} actions; {} on disk (predicted {})\n",
                    r.out,
                    r.steps.join(", "),
                    r.actions,
                    crate::format::size(r.disk_bytes),
                    crate::format::size(r.predicted_disk_bytes)
                )
            })?;
            Ok(Outcome::Success)
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&partial);
            Err(error)
        }
    }
}

fn partial_name(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.pyprune-partial-{}", std::process::id()))
}

pub(super) fn build(
    steps: &[StepName],
    prepared: &super::plan::Prepared,
    dir: &Path,
) -> anyhow::Result<ApplyReport> {
    // A stdlib directory is laid out as a prefix (DIR/lib/python3.X), so that the
    // zip steps' pythonXY.zip lands inside DIR, beside it, where the interpreter looks.
    let is_stdlib_dir = ["os.py", "os.pyc"]
        .iter()
        .any(|f| prepared.inventory.root.join(f).is_file());
    // Named by release, as the interpreter expects its stdlib directory to be.
    let stdlib_name = match prepared.context.version {
        Some(v) => std::ffi::OsString::from(format!("python{}.{}", v.major, v.minor)),
        None => prepared
            .inventory
            .root
            .file_name()
            .map(ToOwned::to_owned)
            .unwrap_or_default(),
    };
    let copy_to = if is_stdlib_dir {
        std::fs::create_dir_all(dir.join("lib"))
            .with_context(|| format!("cannot create `{}`", display_path(dir)))?;
        dir.join("lib").join(stdlib_name)
    } else {
        dir.to_path_buf()
    };
    copy_tree(&prepared.inventory, &copy_to)
        .with_context(|| format!("cannot copy the tree to `{}`", display_path(&copy_to)))?;
    let copy = Inventory::scan(dir, &ScanOptions::default())?;
    let model = Model::from_inventory(&copy, prepared.model.block_size);
    let context = Context {
        root: copy.root.clone(),
        ..prepared.context.clone()
    };
    let predicted = pyprune_steps::predict(&model, steps, &context)?.disk_total();
    let mut actions = 0u64;
    let result = apply(model, steps, &context, |_| actions += 1)?;
    Ok(ApplyReport {
        out: display_path(dir),
        steps: steps.iter().map(|s| s.info().id).collect(),
        actions,
        predicted_disk_bytes: predicted,
        disk_bytes: result.disk_total(),
    })
}

fn chosen_steps(args: &ApplyArgs) -> anyhow::Result<Vec<StepName>> {
    if let Some(name) = &args.profile {
        let profile = PROFILES.iter().find(|p| p.name == name).with_context(|| {
            let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
            format!("no profile `{name}` (built in: {})", names.join(", "))
        })?;
        return Ok(profile.steps.to_vec());
    }
    args.steps
        .iter()
        .map(|id| {
            StepName::parse(id).with_context(|| format!("no step `{id}` (see `pyprune plan`)"))
        })
        .collect()
}
