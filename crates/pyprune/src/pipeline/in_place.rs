//! `apply --in-place`: the tree itself changed under a journal. The original
//! is recorded first (what imports, which sources compile), every action is
//! journaled before it is done, a failed action undoes the whole change, and
//! the result is verified against the record before any commit. Interrupted
//! while the actions run, the change is undone as after a failure; later (while
//! verifying), the tree keeps its journal and the message says how to undo it.

use super::{Applied, Prepared};
use crate::printer::Printer;
use crate::settings::{ApplySettings, TreeChoice};
use anyhow::bail;
use pyprune_fs::display_path;
use pyprune_steps::{Action, Journal, Staged};
use pyprune_tree::Tally;
use std::sync::Arc;

pub(super) fn apply(
    settings: &ApplySettings,
    commit: bool,
    yes: bool,
    printer: &Printer,
) -> anyhow::Result<Applied> {
    let steps = &settings.steps;
    let tree = &settings.tree;
    let root = super::resolve(tree.path.as_deref(), tree.python.as_deref())?.root;
    super::refuse_read_only(&root, "apply --in-place")?;
    super::guards::refuse_live_tree(&root, tree.python.as_deref(), yes)?;
    if pyprune_steps::has_journal(&root) {
        // An earlier change, finished, uncommitted or killed: the user says
        // whether it stays or goes (undoing it here could lose what they
        // meant to keep), as when another apply is still running.
        return Err(pyprune_steps::JournalError::Exists(root).into());
    }
    let choice = TreeChoice {
        path: Some(root),
        python: tree.python.clone(),
        site_packages: tree.site_packages,
    };
    let prepared = super::prepare_to_apply(settings, &choice, printer)?;
    let tally = Arc::new(Tally::new("working out the steps' actions"));
    let progress = printer.progress(Arc::clone(&tally));
    let (actions, result) = pyprune_steps::actions_for(&prepared.model, steps, &prepared.context)?;
    drop(progress);
    refuse_leaving_the_tree(&prepared, &actions)?;
    refuse_removing_what_was_not_opened(&prepared, &actions)?;
    // Said from the tree as it is, before it changes (the steps read its files).
    let left_as_is = super::left_as_is(&prepared, steps)?;
    let root = prepared.inventory.root.clone();
    // The original is about to go: what imports (and which sources compile) is recorded first.
    let python = super::verifier(settings, &prepared)?;
    let baseline = match (&python, settings.verify) {
        (Some(python), Some(run)) => {
            Some(super::check::record_before(&root, python, run, printer)?)
        }
        _ => None,
    };
    let journal = {
        let tally = Arc::new(Tally::new("changing the tree, journaled"));
        let _progress = printer.progress(Arc::clone(&tally));
        Journal::begin(&root)?
            .perform_all(&actions)
            .inspect_err(|_| undo_hint(&root, printer))?
    };
    // Verified before any commit: a tree that fails keeps its undo.
    let verify = match (&python, &baseline) {
        (Some(python), baseline) => {
            let original = baseline
                .as_ref()
                .map(|b| (pyprune_verify::Against::Recorded(b), python));
            let tags = super::prepared_tags(&prepared);
            super::verify_result(settings, tags, &root, original, python, printer)
                .inspect_err(|_| undo_hint(&root, printer))?
        }
        (None, _) => None,
    };
    let verified = verify.as_ref().is_none_or(pyprune_verify::Report::passed);
    if commit && verified {
        journal.commit()?;
    } else {
        if commit {
            printer.warn("verification failed: the change is not committed");
        }
        printer.note(&format!(
            "undo with `pyprune undo {0}`; keep it and free the space with `pyprune commit {0}`",
            display_path(&root)
        ));
    }
    Ok(Applied {
        tree: root,
        steps: steps.clone(),
        staged: Staged {
            actions: actions.len() as u64,
            predicted_disk_bytes: result.disk_total(),
            disk_bytes: result.disk_total(),
            venv: None,
            linked_files: 0,
        },
        verify,
        left_out: prepared.left_out.clone(),
        not_opened: super::not_opened(&prepared.inventory),
        untouched: super::untouched(&prepared),
        left_as_is,
        shared: None,
        keep_for: prepared.keep_for.clone(),
    })
}

/// After a failure or a signal: the exact command that undoes what is left of
/// the change, when something is (a change undone as it failed leaves nothing;
/// after a signal, which shows no error of its own, that is said).
fn undo_hint(root: &std::path::Path, printer: &Printer) {
    if pyprune_steps::has_journal(root) {
        printer.warn(&format!(
            "`{0}` is changed and not committed: restore it with `pyprune undo {0}`",
            display_path(root)
        ));
    } else if pyprune_interrupt::interrupted().is_some() {
        printer.note(&format!(
            "`{}` is as it was: the change was undone",
            display_path(root)
        ));
    }
}

/// Everything must stay inside the tree; the zip steps need the prefix for that.
fn refuse_leaving_the_tree(prepared: &Prepared, actions: &[Action]) -> anyhow::Result<()> {
    if actions.iter().any(Action::leaves_tree) {
        bail!(
            "these steps write pythonXY.zip beside the stdlib directory, outside `{}`: name the installation prefix instead, or use --out",
            display_path(&prepared.inventory.root)
        );
    }
    Ok(())
}

/// A directory the steps would remove that holds a path the walk left out
/// (unreadable, a FIFO): the removal would fail half way and the change be
/// rolled back, so it is refused before anything changes, naming both.
fn refuse_removing_what_was_not_opened(
    prepared: &Prepared,
    actions: &[Action],
) -> anyhow::Result<()> {
    let root = &prepared.inventory.root;
    let left_out = prepared.inventory.warnings.iter().filter(|w| w.left_out());
    for warning in left_out {
        let Ok(rel) = warning.path.strip_prefix(root) else {
            continue;
        };
        let removed = actions.iter().find_map(|action| match action {
            Action::RemoveDir(dir) if rel.starts_with(dir) && rel != dir => Some(dir),
            _ => None,
        });
        if let Some(dir) = removed {
            bail!(
                "the steps would remove the directory `{}`, which holds `{}` ({}): make it \
                 readable or move it away, or use --out (which leaves it out); nothing was changed",
                display_path(&root.join(dir)),
                display_path(&warning.path),
                warning.message
            );
        }
    }
    Ok(())
}
