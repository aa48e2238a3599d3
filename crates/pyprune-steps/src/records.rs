//! RECORD kept true: the last pass after every step, comparing the model
//! before the steps with the model after them, rewrites the RECORD of each
//! distribution whose files changed, in pip's own format. Removed files are
//! dropped, changed files re-hashed, and files pyprune added inside a
//! distribution's directories listed as pip lists them (caches with neither
//! hash nor size). `plan`, `--out` and `--in-place` all take it from here,
//! as the `Write` actions it returns.

use crate::action::Action;
use crate::model::{Model, ModelFile, Origin};
use crate::steps::{Content, Context, Memo, StepError};
use pyprune_dist::{Distribution, RecordRow, RecordState, record_hash};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The `Write` actions that make every affected RECORD true of `after`,
/// the model `before` became. A RECORD whose rows do not change is not
/// written; nor is one that cannot be trusted, or that is missing.
pub(crate) fn rewrite_records<'t>(
    before: &Model,
    after: &Model,
    touched: impl IntoIterator<Item = &'t Path>,
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    let dists = &context.distributions;
    if dists.dists.is_empty() {
        return Ok(Vec::new());
    }
    // Only the distributions whose files the steps touched are looked at
    // (plan predicts every profile: the pass must cost little).
    let mut dirty: BTreeSet<usize> = BTreeSet::new();
    let mut added: BTreeMap<usize, BTreeSet<&Path>> = BTreeMap::new();
    // Files whose bytes the model holds were written by pyprune, perhaps
    // before the steps (a venv's scripts, rewritten for where it lands):
    // their rows are checked whatever the steps did.
    let written = after
        .files
        .iter()
        .filter(|(_, f)| matches!(f.origin, Origin::Bytes(_)))
        .map(|(p, _)| p.as_path());
    // Every path whose file may differ between the models: what the steps
    // did not touch is the same in both (as is its row, below).
    let mut may_differ: rustc_hash::FxHashSet<&Path> = written.collect();
    for path in touched {
        may_differ.insert(path);
    }
    for &path in &may_differ {
        if let Some(listing) = dists.owners.get(path) {
            // Handled with the rows of each RECORD that lists it.
            dirty.extend(listing);
        } else if after.has_file(path)
            && !before.has_file(path)
            // A file pyprune adds belongs to the distribution its source or
            // its directory says; one directly in site-packages, like
            // pyprune's `.pth`, is no distribution's.
            && let Some(index) = dists.owner_of(path)
        {
            added.entry(index).or_default().insert(path);
            dirty.insert(index);
        }
    }
    let mut actions = Vec::new();
    for index in dirty {
        let dist = &dists.dists[index];
        let RecordState::Listed(record) = &dist.record else {
            continue;
        };
        let record_path = dist.record_path();
        let mut rows = Vec::with_capacity(record.rows.len());
        let mut changed = false;
        for (row, file) in record.rows.iter().zip(&dist.files) {
            if *file == record_path || !may_differ.contains(file.as_path()) {
                rows.push(row.clone());
                continue;
            }
            let new = match (before.file(file), after.file(file)) {
                // Removed by a step: pip must not look for it.
                (Some(_), None) => None,
                (Some(was), Some(now))
                    if was.origin == now.origin && !matches!(now.origin, Origin::Bytes(_)) =>
                {
                    Some(row.clone())
                }
                // Changed, or made where RECORD listed a file that was missing.
                (_, Some(now)) => Some(row_for(dist, file, now, context, row.hash.is_none())?),
                // Listed and missing before the steps: not pyprune's to drop.
                (None, None) => Some(row.clone()),
            };
            changed |= new.as_ref() != Some(row);
            rows.extend(new);
        }
        for path in added.get(&index).into_iter().flatten() {
            let now = after.file_at(path);
            rows.push(row_for(dist, path, now, context, is_cache(path))?);
            changed = true;
        }
        // The RECORD itself: rewritten as it was (mode, kind), unless a step took it.
        let Some(file) = after.file(&record_path).filter(|_| changed) else {
            continue;
        };
        actions.push(Action::Write {
            path: record_path,
            bytes: pyprune_dist::Record { rows }.to_pip_bytes().into(),
            mode: file.mode,
            kind: file.kind,
            module: file.module.clone(),
        });
    }
    Ok(actions)
}

/// The row of `file` (relative to the root) of `dist` as the model has it
/// now: hashed, or (a cache, or a row pip left without a hash) bare.
fn row_for(
    dist: &Distribution,
    file: &Path,
    now: &ModelFile,
    context: &Context,
    bare: bool,
) -> Result<RecordRow, StepError> {
    let path = pyprune_dist::record_spelling(&dist.site_dir, file);
    // A symlink is never read through (its target is not the tree's to vouch for).
    if bare || now.symlink {
        return Ok(RecordRow {
            path,
            hash: None,
            size: None,
        });
    }
    // Once per content for the whole process: `plan` rewrites the same
    // RECORDs for many rows.
    static HASHES: Memo<blake3::Hash, String> = Memo::new();
    let content = Content::of(context, now)?;
    let size = content.len;
    let hash = HASHES.get_or_try(content.hash, || {
        Ok::<_, StepError>(record_hash(&content.bytes(context, now)?))
    })?;
    Ok(RecordRow {
        path,
        hash: Some(hash),
        size: Some(size),
    })
}

/// A cache in `__pycache__`: pip lists those it compiles with neither hash
/// nor size (their bytes are not fixed at install), and so does pyprune.
fn is_cache(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "pyc")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "__pycache__")
}
