//! `keep-for` (`apply --keep-for ENTRY...`): every module of the tree is a
//! candidate for removal, and `keep_imported` takes back what an
//! application needs: what its entry points import (given from outside the
//! tree, as [`Need`]s), what the interpreter imports to start, and what
//! those import in turn, optional imports included (the application keeps
//! every feature it had: `ssl` for `urllib.request`'s https). Only files
//! of modules and of packages are candidates: the build configuration, the
//! distributions' metadata and files outside any package stay.

use super::keep_imported::{Needs, Outcome, keep_needed};
use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
pub use pyprune_deps::Need;
use pyprune_deps::{Imported, imported_modules};
use pyprune_source::{chain, source_imports};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// What `keep-for` keeps, as the binary found it.
#[derive(Debug, Clone, Default)]
pub struct KeepFor {
    /// The modules needed from outside: the entry points' imports, the
    /// interpreter's start-up, `--keep`, what `--trace` saw imported.
    pub needs: Vec<Need>,
    /// Modules never kept, with their submodules (`--drop`).
    pub drop: Vec<String>,
}

/// The removals of `keep-for`: every file of a module or package the
/// application does not need. Nothing without [`Context::keep_for`].
pub(crate) fn keep_for(model: &Model, context: &Context) -> Result<Outcome, StepError> {
    Ok(application(model, context)?.unwrap_or_default())
}

/// The files of `model` that `keep-for` keeps: the zips store their
/// bytecode, as the hot path (files it cannot name as modules, such as
/// `_sysconfigdata_*` that `sysconfig` imports by a computed name, stay
/// and count as needed). `None` without [`Context::keep_for`].
pub(crate) fn application_files(
    model: &Model,
    context: &Context,
) -> Result<Option<BTreeSet<PathBuf>>, StepError> {
    let Some(outcome) = application(model, context)? else {
        return Ok(None);
    };
    let removed: BTreeSet<&Path> = outcome
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Remove(path) => Some(path.as_path()),
            _ => None,
        })
        .collect();
    Ok(Some(
        model
            .files
            .keys()
            .filter(|path| !removed.contains(path.as_path()))
            .map(PathBuf::from)
            .collect(),
    ))
}

/// The one answer to "which modules does the application need" that both
/// `keep-for` and the zips' hot path take: every module file of the tree
/// (but the third-party packages left out) is a candidate, and
/// `keep_needed` takes back what the application's needs reach.
fn application(model: &Model, context: &Context) -> Result<Option<Outcome>, StepError> {
    let Some(keep_for) = &context.keep_for else {
        return Ok(None);
    };
    let names = super::keep_imported::names_of(model, context);
    let left_out = context.left_out(model);
    let removals = model
        .files
        .iter()
        .filter(|(path, _)| !left_out.iter().any(|dir| path.starts_with(dir)))
        .filter(|(path, file)| names.owner(path, file.kind).is_some())
        .map(|(path, _)| Action::Remove(path.to_path_buf()))
        .collect();
    keep_needed(
        model,
        context,
        removals,
        &Needs {
            from_outside: &keep_for.needs,
            whole_application: true,
            never: &keep_for.drop,
        },
    )
    .map(Some)
}

/// The `candidates` (sorted) whose name starts with `prefix`, with their
/// package chains: what a computed import with that literal start may load.
pub(crate) fn starting_with(candidates: &[&str], prefix: &str) -> Vec<Imported> {
    let from = candidates.partition_point(|c| *c < prefix);
    candidates[from..]
        .iter()
        .take_while(|c| c.starts_with(prefix))
        .flat_map(|name| {
            chain(name).into_iter().map(|part| Imported {
                direct: part == *name,
                name: part,
            })
        })
        .collect()
}

/// What the stdlib loads by a name its source computes, or runs in a child
/// interpreter, which no import statement says (read in the sources of
/// 3.8–3.13): `sysconfig` imports `_sysconfigdata_*` (named by the build),
/// `venv` runs `-m ensurepip` in the environment it made.
const HIDDEN_IMPORTS: &[(&str, &str, bool)] = &[
    ("sysconfig", "_sysconfigdata", true),
    ("venv", "ensurepip.__main__", false),
];

/// What [`HIDDEN_IMPORTS`] says `module` loads: modules, and literal starts.
pub(crate) fn hidden_imports(module: &str) -> (Vec<Imported>, Vec<String>) {
    let mut imports = Vec::new();
    let mut prefixes = Vec::new();
    for (importer, loaded, prefix) in HIDDEN_IMPORTS {
        if *importer != module {
            continue;
        }
        if *prefix {
            prefixes.push((*loaded).to_owned());
        } else {
            imports.extend(chain(loaded).into_iter().map(|part| Imported {
                direct: part == *loaded,
                name: part,
            }));
        }
    }
    (imports, prefixes)
}

/// The absolute imports of the Python sources of the wheel at `path` (with
/// their package chains), if it is one: `ensurepip` installs its bundled
/// wheels and runs pip from one, on this stdlib.
pub(crate) fn wheel_imports(
    model: &Model,
    context: &Context,
    path: &Path,
    modules: &HashSet<String>,
) -> Result<Option<Vec<Imported>>, StepError> {
    if path.extension().is_none_or(|e| e != "whl") {
        return Ok(None);
    }
    let Some(file) = model.file(path).filter(|f| !f.symlink) else {
        return Ok(None);
    };
    let members = super::read_members(&context.read(file)?);
    let imports = members
        .par_iter()
        .filter(|(name, _)| name.ends_with(".py"))
        .filter_map(|(_, bytes)| source_imports(bytes))
        .flat_map_iter(|found| {
            found
                .imports
                .into_iter()
                .filter(|r| r.level == 0)
                .filter_map(|r| imported_modules(&r, "", false, |n| modules.contains(n)))
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(Some(imports))
}
