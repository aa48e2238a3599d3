//! `pyprune apply`: a profile or steps performed on a copy of the tree.

use crate::Outcome;
use crate::cli::{ApplyArgs, GlobalArgs, TreeArgs};
use crate::printer::Printer;
use anyhow::{Context as _, bail};
use pyprune_fs::display_path;
use pyprune_steps::{Action, Context, Journal, Model, StepName, apply, copy_tree};
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
    /// What `verify` found in the result (absent with --no-verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<pyprune_verify::Report>,
}

pub fn run(args: &ApplyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let steps = chosen_steps(args)?;
    if let Some(step) = steps.iter().find(|s| s.plan_only()) {
        bail!(
            "`{}` is shown by `plan` for comparison only: {}",
            step.info().id,
            step.info().gives_up
        );
    }
    if args.in_place {
        return in_place(args, &steps, global, printer);
    }
    let out = args
        .out
        .as_deref()
        .context("--out or --in-place is required")?;
    let mut prepared =
        super::plan::prepare(args.path.as_deref(), global.python.as_deref(), printer)?;
    super::plan::adopt_default_interpreter(
        &mut prepared,
        &steps,
        global.python.as_deref(),
        printer,
    );
    refuse_without_runtime(&prepared, &steps)?;
    if out.symlink_metadata().is_ok() {
        bail!(
            "`{}` exists; --out must name a new directory",
            display_path(out)
        );
    }
    // Built under a temporary name beside OUT and renamed into place at the end:
    // OUT appears whole or not at all.
    let partial = partial_name(out);
    // Where the result will be, spelled without `..` or symlinks (its parent exists).
    let installed_at = out
        .file_name()
        .and_then(|name| {
            let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
            let parent = parent.map_or_else(std::env::current_dir, Path::canonicalize);
            parent.ok().map(|p| p.join(name))
        })
        .unwrap_or_else(|| out.to_path_buf());
    match build(&steps, &prepared, &partial, &installed_at) {
        Ok(report) => {
            std::fs::rename(&partial, out)
                .with_context(|| format!("cannot rename the result to `{}`", display_path(out)))?;
            let verify = verify_result(
                args,
                &steps,
                out,
                Some(pyprune_verify::Against::Tree(&prepared.inventory.root)),
                None,
                global,
                printer,
            )?;
            finish(
                global,
                ApplyReport {
                    out: display_path(out),
                    verify,
                    ..report
                },
            )
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&partial);
            Err(error)
        }
    }
}

/// Runs `verify` on the result unless `--no-verify`.
fn verify_result(
    args: &ApplyArgs,
    steps: &[StepName],
    tree: &Path,
    original: Option<pyprune_verify::Against<'_>>,
    known: Option<pyprune_python::Interpreter>,
    global: &GlobalArgs,
    printer: &Printer,
) -> anyhow::Result<Option<pyprune_verify::Report>> {
    if args.no_verify {
        return Ok(None);
    }
    let python = super::verify::interpreter(known, global)?;
    let promises = super::verify::promises_of(steps);
    super::verify::verify_tree(tree, original, promises, &python, &args.verify, printer).map(Some)
}

/// Writes the summary; a failed verification makes the exit status 1.
fn finish(global: &GlobalArgs, report: ApplyReport) -> anyhow::Result<Outcome> {
    super::write_report(global.format, &report, |r| {
        let mut text = format!(
            "{}: {} applied in {} actions; {} on disk (predicted {})\n",
            r.out,
            r.steps.join(", "),
            r.actions,
            crate::format::size(r.disk_bytes),
            crate::format::size(r.predicted_disk_bytes)
        );
        if let Some(verify) = &r.verify {
            text.push_str(&super::verify::render(verify));
        }
        text
    })?;
    Ok(match &report.verify {
        Some(verify) if !verify.passed() => Outcome::Problems,
        _ => Outcome::Success,
    })
}

/// The change made to the tree itself, journaled; rolled back if any action fails.
fn in_place(
    args: &ApplyArgs,
    steps: &[StepName],
    global: &GlobalArgs,
    printer: &Printer,
) -> anyhow::Result<Outcome> {
    let root = crate::target::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    if pyprune_steps::has_journal(&root) {
        // A re-run after a crash (or over an uncommitted change) starts from the original.
        printer
            .note("an earlier in-place change was not committed (or was killed): undoing it first");
        pyprune_steps::undo(&root)?;
    }
    let mut prepared = super::plan::prepare(Some(&root), global.python.as_deref(), printer)?;
    super::plan::adopt_default_interpreter(&mut prepared, steps, global.python.as_deref(), printer);
    refuse_without_runtime(&prepared, steps)?;
    let (actions, result) = pyprune_steps::actions_for(&prepared.model, steps, &prepared.context)?;
    // Everything must stay inside the tree; the zip steps need the prefix for that.
    let escapes = |p: &Path| {
        p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    };
    if actions.iter().any(|a| match a {
        Action::Write { path, .. } | Action::Remove(path) | Action::RemoveDir(path) => {
            escapes(path)
        }
        Action::Link { existing, target } => escapes(existing) || escapes(target),
        Action::Move { from, to, .. } => escapes(from) || escapes(to),
    }) {
        bail!(
            "these steps write pythonXY.zip beside the stdlib directory, outside `{}`: name the installation prefix instead, or use --out",
            display_path(&prepared.inventory.root)
        );
    }
    let tree = prepared.inventory.root.clone();
    // The original is about to go: what imports (and which sources compile) is recorded first.
    let python = if args.no_verify {
        None
    } else {
        Some(super::verify::interpreter(None, global)?)
    };
    let baseline = match &python {
        None => None,
        Some(python) => Some(super::verify::record_before(
            &tree,
            python,
            &args.verify,
            printer,
        )?),
    };
    let mut journal = Journal::begin(&tree)?;
    for action in &actions {
        if let Err(error) = journal.perform(action) {
            drop(journal);
            pyprune_steps::undo(&tree)
                .context("the change failed, and so did undoing it; run `pyprune undo` again")?;
            return Err(anyhow::Error::new(error).context("the change failed and was undone"));
        }
    }
    // Verified before any commit: a tree that fails keeps its undo.
    let original = baseline.as_ref().map(pyprune_verify::Against::Recorded);
    let verify = verify_result(args, steps, &tree, original, python, global, printer)?;
    let verified = verify.as_ref().is_none_or(pyprune_verify::Report::passed);
    if args.commit && verified {
        journal.commit()?;
    } else {
        if args.commit {
            printer.warn("verification failed: the change is not committed");
        }
        printer.note(&format!(
            "undo with `pyprune undo {0}`; keep it and free the space with `pyprune commit {0}`",
            display_path(&tree)
        ));
    }
    finish(
        global,
        ApplyReport {
            out: display_path(&tree),
            steps: steps.iter().map(|s| s.info().id).collect(),
            actions: actions.len() as u64,
            predicted_disk_bytes: result.disk_total(),
            disk_bytes: result.disk_total(),
            verify,
        },
    )
}

pub fn undo(args: &TreeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let root = crate::target::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    let undone = pyprune_steps::undo(&root)?;
    printer.verbose(&format!("{undone} journaled actions undone"));
    super::write_report(
        global.format,
        &serde_json::json!({ "root": display_path(&root), "undone": undone }),
        |_| {
            format!(
                "{}: restored ({undone} actions undone)\n",
                display_path(&root)
            )
        },
    )?;
    Ok(Outcome::Success)
}

pub fn commit(args: &TreeArgs, global: &GlobalArgs, _printer: &Printer) -> anyhow::Result<Outcome> {
    let root = crate::target::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    pyprune_steps::commit(&root)?;
    super::write_report(
        global.format,
        &serde_json::json!({ "root": display_path(&root), "committed": true }),
        |_| {
            format!(
                "{}: committed (the journal is gone; no undo)\n",
                display_path(&root)
            )
        },
    )?;
    Ok(Outcome::Success)
}

fn partial_name(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.pyprune-partial-{}", std::process::id()))
}

/// Builds the result of `steps` in `dir` (which must not exist), for a tree
/// that will live at `installed_at` (names compiled code embeds come from it).
pub(super) fn build(
    steps: &[StepName],
    prepared: &super::plan::Prepared,
    dir: &Path,
    installed_at: &Path,
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
        installed_at: installed_at.to_path_buf(),
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
        verify: None,
    })
}

/// Steps that keep their promise only through the runtime are refused on a
/// tree with nowhere to install it, before anything changes.
fn refuse_without_runtime(
    prepared: &super::plan::Prepared,
    steps: &[StepName],
) -> anyhow::Result<()> {
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

fn chosen_steps(args: &ApplyArgs) -> anyhow::Result<Vec<StepName>> {
    steps_of(args.profile.as_deref(), args.config.as_deref(), &args.steps)
}

/// The steps of a profile (built in or from `config`), or the steps named.
pub(super) fn steps_of(
    profile: Option<&str>,
    config: Option<&Path>,
    steps: &[String],
) -> anyhow::Result<Vec<StepName>> {
    if let Some(name) = profile {
        let profiles = super::plan::profiles(config)?;
        let profile = profiles.iter().find(|p| p.name == name).with_context(|| {
            let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            format!("no profile `{name}` (there are: {})", names.join(", "))
        })?;
        return Ok(profile.steps.clone());
    }
    steps
        .iter()
        .map(|id| {
            StepName::parse(id).with_context(|| format!("no step `{id}` (see `pyprune plan`)"))
        })
        .collect()
}
