//! Steps on bytecode caches: link identical levels, drop levels, mark
//! `__pycache__` directories as not to be written.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::CacheFileName;
use pyprune_tree::Kind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The marker file name of the draft PEP.
pub(crate) const MARKER: &str = "__dont_write_bytecode__";

fn is_cache(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
    )
}

/// `(dir/__pycache__, NAME.TAG)` of a cache path.
fn cache_group(path: &Path) -> Option<(PathBuf, String)> {
    let name = CacheFileName::parse(path.file_name()?.to_str()?)?;
    Some((
        path.parent()?.to_path_buf(),
        format!("{}.{}", name.module, name.tag),
    ))
}

/// Each module's caches that hold the same bytes become hardlinks of the first (in path order).
pub(crate) fn dedupe(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    let mut groups: BTreeMap<(PathBuf, String), Vec<&PathBuf>> = BTreeMap::new();
    for (path, file) in &model.files {
        if is_cache(file.kind)
            && let Some(group) = cache_group(path)
        {
            groups.entry(group).or_default().push(path);
        }
    }
    let mut actions = Vec::new();
    for paths in groups.values().filter(|p| p.len() > 1) {
        // (inode, bytes) of the files kept so far; later equal files link to them.
        let mut kept: Vec<(&PathBuf, u64, std::sync::Arc<[u8]>)> = Vec::new();
        for path in paths {
            let file = &model.files[*path];
            if kept.iter().any(|(_, inode, _)| *inode == file.inode) {
                continue;
            }
            let bytes = context.read(file)?;
            match kept.iter().find(|(_, _, b)| **b == *bytes) {
                Some((existing, _, _)) => actions.push(Action::Link {
                    existing: (*existing).clone(),
                    target: (*path).clone(),
                }),
                None => kept.push((path, file.inode, bytes)),
            }
        }
    }
    Ok(actions)
}

/// Modules the interpreter imports from disk before site runs, so before
/// pyprune's runtime can stop it writing their caches: their caches stay.
const STARTUP_MODULES: &[&str] = &["__init__", "aliases", "utf_8"];

fn is_startup_cache(path: &Path) -> bool {
    let package = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name);
    package.is_some_and(|p| p == "encodings")
        && cache_group(path).is_some_and(|(_, name)| {
            STARTUP_MODULES.contains(&name.split('.').next().unwrap_or_default())
        })
}

/// Removes every cache of the given levels, but those of the start-up modules.
pub(crate) fn drop_levels(model: &Model, levels: &[Kind]) -> Vec<Action> {
    model
        .files
        .iter()
        .filter(|(path, f)| levels.contains(&f.kind) && !is_startup_cache(path))
        .map(|(path, _)| Action::Remove(path.clone()))
        .collect()
}

/// An empty `__dont_write_bytecode__` in every `__pycache__` and at the root;
/// and, since the start-up modules are imported before any runtime can stop
/// the interpreter writing their caches, those caches at every level, where
/// missing (a tree shipped without caches, as Debian's is), compiled by the
/// tree's interpreter.
pub(crate) fn markers(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    let marker = |dir: &Path| Action::Write {
        path: dir.join(MARKER),
        bytes: Vec::new(),
        mode: 0o644,
        kind: Kind::Data,
        module: String::new(),
    };
    let mut actions: Vec<Action> = model
        .dirs
        .iter()
        .filter(|d| d.file_name().is_some_and(|n| n == "__pycache__"))
        .filter(|d| !model.files.contains_key(&d.join(MARKER)))
        .map(|d| marker(d))
        .collect();
    if !model.files.contains_key(Path::new(MARKER)) {
        actions.push(marker(Path::new("")));
    }
    let Some(encodings) = context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .map(|stdlib| stdlib.join("encodings"))
    else {
        return Ok(actions);
    };
    for module in STARTUP_MODULES {
        let path = encodings.join(format!("{module}.py"));
        if let Some(file) = model.files.get(&path).filter(|f| f.kind == Kind::Source) {
            let source = context.read(file)?;
            let missing = |cache: &Path| !model.files.contains_key(cache);
            actions.extend(super::runtime::compiled_caches(
                context, &path, &source, missing,
            ));
        }
    }
    Ok(actions)
}
