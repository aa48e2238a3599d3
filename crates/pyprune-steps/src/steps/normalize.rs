//! The `normalize` step: every bytecode file rewritten so that its bytes
//! depend on the code alone ([`pyprune_pyc::normalize_pyc`]), as Fedora's
//! `add-determinism` does to every RPM build. Files hardlinked together stay
//! linked: the first path of each is written, the others linked to it.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// The writes (and links) that normalize the model's bytecode; a file that
/// is normalized already, or that does not read as a pyc, is left as it is.
pub(crate) fn normalize(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    let pycs = super::sourceless::bytecode_files(model);
    // One write per inode, the first path in name order; its other names are linked to it.
    let mut first_of_inode: HashMap<u64, &crate::TreePath> = HashMap::new();
    let mut links = Vec::new();
    let mut writes = Vec::new();
    for (path, file) in pycs {
        match first_of_inode.get(&file.inode) {
            Some(&existing) => links.push((existing, path)),
            None => {
                first_of_inode.insert(file.inode, path);
                writes.push((path, file));
            }
        }
    }
    let written: Vec<Option<Action>> = writes
        .into_par_iter()
        .map(|(path, file)| {
            let bytes = context.read(file)?;
            Ok(pyprune_pyc::normalize_pyc(&bytes)
                .ok()
                .flatten()
                .map(|bytes| Action::Write {
                    path: path.to_path_buf(),
                    bytes: bytes.into(),
                    mode: file.mode,
                    kind: file.kind,
                    module: file.module.clone(),
                }))
        })
        .collect::<Result<_, StepError>>()?;
    let mut actions: Vec<Action> = written.into_iter().flatten().collect();
    // A set: a venv's caches are tens of thousands, and so are their links.
    let rewritten: rustc_hash::FxHashSet<&Path> = actions.iter().map(|a| a.paths()[0]).collect();
    let relinked: Vec<Action> = links
        .into_iter()
        .filter(|(existing, _)| rewritten.contains(existing.as_path()))
        .map(|(existing, target)| Action::Link {
            existing: existing.to_path_buf(),
            target: target.to_path_buf(),
        })
        .collect();
    actions.extend(relinked);
    Ok(actions)
}
