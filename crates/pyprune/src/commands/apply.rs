//! `pyprune apply`: a profile or steps performed on a copy of the tree.

use crate::Outcome;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::printer::Printer;
use anyhow::{Context as _, bail};
use pyprune_fs::display_path;
use pyprune_steps::{Context, Model, PROFILES, StepName, apply, copy_tree};
use pyprune_tree::{Inventory, ScanOptions};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct ApplyReport {
    out: String,
    steps: Vec<&'static str>,
    actions: u64,
    predicted_disk_bytes: u64,
    disk_bytes: u64,
}

pub fn run(args: &ApplyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let steps = chosen_steps(args)?;
    let prepared = super::plan::prepare(args.path.as_deref(), global.python.as_deref(), printer)?;
    let predicted =
        pyprune_steps::predict(&prepared.model, &steps, &prepared.context)?.disk_total();
    if args.out.symlink_metadata().is_ok() {
        bail!(
            "`{}` exists; --out must name a new directory",
            display_path(&args.out)
        );
    }
    copy_tree(&prepared.inventory, &args.out)
        .with_context(|| format!("cannot copy the tree to `{}`", display_path(&args.out)))?;
    let copy = Inventory::scan(&args.out, &ScanOptions::default())?;
    let model = Model::from_inventory(&copy, prepared.model.block_size);
    let context = Context {
        root: copy.root.clone(),
        ..prepared.context
    };
    let mut actions = 0u64;
    let result = apply(model, &steps, &context, |_| actions += 1)?;
    let report = ApplyReport {
        out: display_path(&copy.root),
        steps: steps.iter().map(|s| s.info().id).collect(),
        actions,
        predicted_disk_bytes: predicted,
        disk_bytes: result.disk_total(),
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
