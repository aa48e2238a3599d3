//! The whole run of `pyprune apply`, in one place:
//!
//! ```text
//! find the tree and its interpreter     target.rs   (PATH, --python)
//!   → inventory, model, release         prepare.rs  (pyprune-tree, pyprune-steps)
//!   → the steps' actions                pyprune-steps (planned before anything changes)
//!   → stage a copy (--out)              stage_copy, below (pyprune-steps' staging)
//!     or journal the tree (--in-place)  in_place.rs (pyprune-steps' journal)
//!   → verify against the original       check.rs    (pyprune-verify)
//!   → keep: rename into place, or commit, or leave undo possible
//! ```
//!
//! `plan` (and `report`) runs the first stages and predicts (plan.rs, with
//! measure.rs timing each layout for `--measure-import`); `verify` runs the last one on
//! its own; `undo` and `commit` finish an in-place run. The commands are
//! leaves that turn flags into settings, call in here, and write reports.

mod check;
mod guards;
mod in_place;
mod keep_for;
mod left_out;
mod measure;
mod plan;
mod prepare;
mod target;

pub use check::{default_promises, promises_of, record_before, verify_tree};
pub use keep_for::{
    KeepForReport, keep_for_line, keep_for_notes, keep_for_report, resolve_keep_for,
};
pub use left_out::{LeftOut, NotOpened, left_out_lines, not_opened};
pub use measure::Space;
pub use plan::{PlanDocument, plan_tree, runtime_place};
pub use prepare::{
    Prepared, adopt_default_interpreter, prepare, refuse_other_implementation,
    refuse_unknown_release, unknown_release,
};
pub use target::{
    interpreter_for_tree, interpreter_in_copy, mixed_tags_note, own_interpreter,
    refuse_foreign_bytecode, refuse_read_only, refuse_read_only_out, resolve,
};

use crate::printer::Printer;
use crate::settings::{ApplySettings, Destination, TreeChoice};
use anyhow::{Context as _, bail};
use pyprune_fs::display_path;
use pyprune_python::Interpreter;
use pyprune_steps::{CopyBytes, OutLayout, StageTo, Staged, StepName, VenvPaths};
use std::path::{Path, PathBuf};

/// What `apply` did.
#[derive(Debug)]
pub struct Applied {
    /// The result: `--out`'s directory, or the tree changed in place.
    pub tree: PathBuf,
    pub steps: Vec<StepName>,
    pub staged: Staged,
    /// What `verify` found in the result (`None` with --no-verify).
    pub verify: Option<pyprune_verify::Report>,
    /// The third-party packages no step touched (copied or left as they were).
    pub left_out: LeftOut,
    /// What the walk would not or could not open: not in an `--out` result,
    /// left as it was in place.
    pub not_opened: Vec<NotOpened>,
    /// The distributions no step touched: their RECORD cannot be trusted.
    pub untouched: Vec<Untouched>,
    /// What the steps would have changed but left as it was, and why.
    pub left_as_is: Vec<StepLeft>,
    /// With `--out --link-unchanged`: the files the result shares with the input.
    pub shared: Option<Shared>,
    /// With `--keep-for`: what its step removed and saved.
    pub keep_for: Option<KeepForReport>,
}

/// Files of a result that are hardlinks to the input's (`--link-unchanged`).
#[derive(Debug, Clone)]
pub struct Shared {
    pub input: PathBuf,
    pub files: u64,
}

/// A distribution left untouched, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Untouched {
    pub name: String,
    pub version: String,
    /// Its `*.dist-info` directory, relative to the tree.
    pub dist_info: String,
    /// What is wrong with its RECORD.
    pub why: String,
}

/// The distributions of the prepared tree whose RECORD cannot be trusted,
/// which every step leaves as they are.
fn untouched(prepared: &Prepared) -> Vec<Untouched> {
    prepared
        .context
        .distributions
        .dists
        .iter()
        .filter_map(|dist| match &dist.record {
            pyprune_dist::RecordState::Unusable(why) => Some(Untouched {
                name: dist.name.clone(),
                version: dist.version.clone(),
                dist_info: display_path(&dist.dist_info),
                why: why.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Something a step left as it was although it would change it, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepLeft {
    pub step: &'static str,
    pub what: String,
    pub why: String,
}

/// What `steps` leave as it is on the prepared tree, step by step.
pub(crate) fn left_as_is(prepared: &Prepared, steps: &[StepName]) -> anyhow::Result<Vec<StepLeft>> {
    let mut left = Vec::new();
    for step in steps {
        for one in pyprune_steps::left_as_is(*step, &prepared.model, &prepared.context)? {
            left.push(StepLeft {
                step: step.info().id,
                what: one.what,
                why: one.why,
            });
        }
    }
    Ok(left)
}

/// Performs the chosen steps where the settings say, and verifies the result.
pub fn apply(settings: &ApplySettings, printer: &Printer) -> anyhow::Result<Applied> {
    if let Some(step) = settings.steps.iter().find(|s| s.plan_only()) {
        bail!(
            "`{}` is shown by `plan` for comparison only: {}",
            step.info().id,
            step.info().gives_up
        );
    }
    match &settings.destination {
        Destination::Out(out, venv_paths) => apply_to_copy(settings, out, *venv_paths, printer),
        Destination::InPlace { commit, yes } => in_place::apply(settings, *commit, *yes, printer),
    }
}

/// `--out`: the result is built beside OUT and renamed into place, then verified
/// against the input tree.
fn apply_to_copy(
    settings: &ApplySettings,
    out: &Path,
    venv_paths: VenvPaths,
    printer: &Printer,
) -> anyhow::Result<Applied> {
    let steps = &settings.steps;
    refuse_read_only_out(out)?;
    // Before the walk: refused at once, however big the tree. (Without a
    // PATH, the interpreter names the tree; with one, none need be asked.)
    let input = match &settings.tree.path {
        Some(path) => path.clone(),
        None => resolve(None, settings.tree.python.as_deref())?.root,
    };
    guards::refuse_nested_out(&input, out)?;
    let prepared = prepare_to_apply(settings, &settings.tree, printer)?;
    if out.symlink_metadata().is_ok() {
        bail!(
            "`{}` exists; --out must name a new directory",
            display_path(out)
        );
    }
    let python = verifier(settings, &prepared)?;
    let layout = OutLayout::new(out);
    let tally = std::sync::Arc::new(pyprune_tree::Tally::new("files copied"));
    let progress = printer.progress(std::sync::Arc::clone(&tally));
    let to = StageTo {
        dir: &layout.partial,
        installed_at: &layout.installed_at,
        venv_paths,
        bytes: if settings.link_unchanged {
            CopyBytes::LinkUnchanged
        } else {
            CopyBytes::Copy
        },
        progress: Some(&tally),
    };
    // Removed however the build ends short of the rename (a failure, a signal).
    let partial = pyprune_interrupt::Temporary::new(&layout.partial);
    let staged = stage_copy(&prepared, steps, &to)?;
    drop(progress);
    pyprune_interrupt::check()?;
    let shared = settings
        .link_unchanged
        .then(|| shared_with_input(&prepared, &layout.partial))
        .transpose()?;
    std::fs::rename(&layout.partial, out)
        .with_context(|| format!("cannot rename the result to `{}`", display_path(out)))?;
    partial.keep();
    // Interrupted before it is verified, the result goes too: an interrupted
    // apply leaves nothing (a result that fails verification stays, said).
    let landed = pyprune_interrupt::Temporary::new(out);
    let root = &prepared.inventory.root;
    let verify = python
        .as_ref()
        .map(|python| {
            // The result runs its own copy of an interpreter that lives in the tree,
            // named absolutely: it runs from an empty directory of its own.
            let copied = target::interpreter_in_copy(python, root, &layout.installed_at);
            let original = (pyprune_verify::Against::Tree(root), python);
            verify_result(
                settings,
                prepared_tags(&prepared),
                out,
                Some(original),
                &copied,
                printer,
            )
        })
        .transpose();
    pyprune_interrupt::check()?;
    landed.keep();
    let verify = verify?.flatten();
    Ok(Applied {
        tree: out.to_path_buf(),
        steps: steps.clone(),
        staged,
        verify,
        left_out: prepared.left_out.clone(),
        not_opened: not_opened(&prepared.inventory),
        untouched: untouched(&prepared),
        left_as_is: left_as_is(&prepared, steps)?,
        shared,
        keep_for: prepared.keep_for.clone(),
    })
}

/// How many files of the result at `dir` are still names of the prepared
/// tree's (the steps replaced the others).
fn shared_with_input(prepared: &Prepared, dir: &Path) -> anyhow::Result<Shared> {
    let beside = pyprune_tree::beside_tree(dir, &prepared.inventory.file_inodes())
        .with_context(|| format!("cannot read the result `{}`", display_path(dir)))?;
    Ok(Shared {
        input: prepared.inventory.root.clone(),
        files: beside.shared_files,
    })
}

/// Builds the result of `steps` on the prepared tree where `to` says.
/// (`plan --measure-import` builds its layouts with it too.)
pub fn stage_copy(
    prepared: &Prepared,
    steps: &[StepName],
    to: &StageTo<'_>,
) -> anyhow::Result<Staged> {
    Ok(pyprune_steps::stage(
        &prepared.inventory,
        &prepared.context,
        prepared.model.block_size,
        steps,
        to,
    )?)
}

/// The chosen tree scanned, told its release by the default interpreter
/// where it cannot tell itself, and checked that it can take the steps.
fn prepare_to_apply(
    settings: &ApplySettings,
    tree: &TreeChoice,
    printer: &Printer,
) -> anyhow::Result<Prepared> {
    let mut prepared = prepare(tree, printer)?;
    prepared.context.missing_module_message = settings.missing_module_message.clone();
    settings
        .zip
        .set_on(&mut prepared.context, settings.keep_for.is_some());
    let python = tree.python.as_deref();
    adopt_default_interpreter(&mut prepared, &settings.steps, python, printer);
    refuse_unknown_release(&prepared.inventory.root, prepared.context.version)?;
    refuse_without_runtime(&prepared, &settings.steps)?;
    if let Some(request) = &settings.keep_for {
        resolve_keep_for(request, &mut prepared, printer)?;
        prepared.keep_for = Some(keep_for_report(&prepared)?);
    }
    Ok(prepared)
}

/// How many of the prepared tree's caches carry each tag.
fn prepared_tags(prepared: &Prepared) -> std::collections::BTreeMap<String, u64> {
    prepared.inventory.summary().cache_tags
}

/// The interpreter that will verify the result (none with --no-verify): the
/// tree's own, or `--python`; asked before anything changes, and refused
/// when the tree's bytecode is another release's.
fn verifier(settings: &ApplySettings, prepared: &Prepared) -> anyhow::Result<Option<Interpreter>> {
    if settings.verify.is_none() {
        return Ok(None);
    }
    let root = &prepared.inventory.root;
    let tags = prepared_tags(prepared);
    // The tree's own interpreter, if preparing asked it already.
    let known = prepared.own_python.clone();
    let python = interpreter_for_tree(known, settings.tree.python.as_deref(), root, &tags)?;
    refuse_foreign_bytecode(&prepared.inventory, &python)?;
    Ok(Some(python))
}

/// Runs `verify` on the result with `python` (the [`verifier`], or its copy
/// in the result), the original with its own, unless the settings say not
/// to. `tags`: the original's caches, for the note on mixed releases.
fn verify_result(
    settings: &ApplySettings,
    tags: std::collections::BTreeMap<String, u64>,
    tree: &Path,
    original: Option<(pyprune_verify::Against<'_>, &Interpreter)>,
    python: &Interpreter,
    printer: &Printer,
) -> anyhow::Result<Option<pyprune_verify::Report>> {
    let Some(run) = settings.verify else {
        return Ok(None);
    };
    let promises = promises_of(&settings.steps);
    let mut report = verify_tree(tree, original, promises, python, run, printer)?;
    report.notes.extend(mixed_tags_note(tree, &tags, python));
    Ok(Some(report))
}

/// Steps that keep their promise only through the runtime are refused on a
/// tree with nowhere to install it, before anything changes.
fn refuse_without_runtime(prepared: &Prepared, steps: &[StepName]) -> anyhow::Result<()> {
    let missing = pyprune_steps::steps_missing_runtime(&prepared.model, steps, &prepared.context);
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|s| s.info().id).collect();
    if prepared.context.version.is_none() {
        bail!(
            "`{}` needs pyprune's runtime, installed beside the stdlib, and pyprune cannot tell which \
             Python `{}` is for (it has no caches): name its interpreter with --python",
            names.join("`, `"),
            display_path(&prepared.inventory.root)
        );
    }
    bail!(
        "`{}` needs pyprune's runtime, which goes beside a stdlib, and `{}` holds no stdlib: \
         Python would ignore the markers and compressed sources it relies on. Name the installation prefix \
         or its lib/python3.X directory, or leave out those steps",
        names.join("`, `"),
        display_path(&prepared.inventory.root)
    )
}
