//! Module removals keep what kept modules import. An exclusion step names the
//! files it would remove; this takes back every module (with its package
//! chain, and its files: source, caches, sourceless bytecode, extension)
//! that a kept module imports, transitively, to a fixpoint. A package's data
//! (the files of its directory that are not modules) comes back when the
//! package or one of its own plain modules is imported by name, not when a
//! subpackage only runs it as a parent: `lib2to3.pygram` brings
//! `lib2to3/Grammar.txt`, `test.support` brings no test data. On 3.8–3.10 `email` imports `uu`, `http.client` imports
//! `email`, `wave` imports `audioop` and `chunk`: those stay.
//!
//! What counts as an import: any `import`/`from` statement of a kept module's
//! source, wherever it is (functions, `try`, `if`: conditional imports
//! count), `from a import b` as an import of `a.b` too, relative imports
//! resolved from the file's module, literal `__import__`/`import_module`
//! calls; not an import in the body of a `try` that catches `ImportError`:
//! the importer is written to do without it (`pydoc` without `pydoc_data`, as
//! `exclude-dev-modules` promises). A kept module whose source cannot be
//! analysed (a syntax error, a multi-byte encoding) or that has only bytecode
//! (sourceless, or caches whose source is gone) imports, conservatively, every
//! candidate each part of whose dotted name appears as a word in its bytes
//! (bytecode keeps imported names, and its file's path, as strings).
//! Extension modules and symlinked files (never read through) count as
//! importing nothing.
//!
//! Modules are named from the import roots: the stdlib directory, its
//! `lib-dynload` and `site-packages`; without a stdlib, the tree root and any
//! `site-packages`, `dist-packages`, `lib-dynload` directory.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::{Model, ModelFile};
use pyprune_deps::{Imported, ModuleNames, imported_modules};
use pyprune_source::{ImportRef, chain, imports_of};
use pyprune_tree::Kind;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A module an exclusion keeps because kept modules import it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptImport {
    /// Its dotted name (`uu`, `distutils.version`).
    pub module: String,
    /// The modules that import it, sorted.
    pub imported_by: Vec<String>,
}

/// The removals that remain, and what was kept back.
pub(crate) struct Outcome {
    pub actions: Vec<Action>,
    /// The modules removed, by dotted name, sorted; a package stands for its
    /// submodules (`test`, not `test.test_json` too).
    pub removed: Vec<String>,
    pub kept: Vec<KeptImport>,
}

/// Takes back from `removals` every file of a module a kept module imports.
pub(crate) fn keep_imported(
    model: &Model,
    context: &Context,
    removals: Vec<Action>,
) -> Result<Outcome, StepError> {
    let removed: BTreeSet<&Path> = removals
        .iter()
        .filter_map(|a| match a {
            Action::Remove(path) => Some(path.as_path()),
            _ => None,
        })
        .collect();
    if removed.is_empty() {
        return Ok(Outcome {
            actions: removals,
            removed: Vec::new(),
            kept: Vec::new(),
        });
    }
    let names = names_of(model, context);
    // Candidates: the removed module files of each module, and the removed
    // data files of each package directory.
    let mut candidates: HashMap<String, Vec<&Path>> = HashMap::new();
    let mut candidate_data: HashMap<String, Vec<&Path>> = HashMap::new();
    // The module files of each kept module.
    let mut kept: BTreeMap<String, Vec<(&Path, &ModelFile)>> = BTreeMap::new();
    // The modules that are packages.
    let mut packages: HashSet<String> = HashSet::new();
    // Every module of the tree, by dotted name.
    let mut modules: HashSet<String> = HashSet::new();
    for (path, file) in &model.files {
        let Some(owner) = names.owner(path, file.kind) else {
            continue;
        };
        if owner.is_package {
            packages.insert(owner.name.clone());
        }
        if owner.module_file {
            modules.insert(owner.name.clone());
        }
        if removed.contains(path.as_path()) {
            if owner.module_file {
                candidates.entry(owner.name).or_default().push(path);
            } else {
                candidate_data.entry(owner.name).or_default().push(path);
            }
        } else if owner.module_file {
            kept.entry(owner.name).or_default().push((path, file));
        }
    }
    if candidates.is_empty() && candidate_data.is_empty() {
        return Ok(Outcome {
            actions: removals,
            removed: Vec::new(),
            kept: Vec::new(),
        });
    }
    let candidate_names: Vec<&str> = candidates.keys().map(String::as_str).collect();
    let imports_of_module = |name: &str, files: &[(&Path, &ModelFile)]| {
        imported(name, files, context, &names, &candidate_names, &modules)
    };
    let mut queue: Vec<(String, Vec<Imported>)> = kept
        .par_iter()
        .map(|(name, files)| Ok((name.clone(), imports_of_module(name, files)?)))
        .collect::<Result<_, StepError>>()?;
    let mut importers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut taken_back: BTreeSet<&Path> = BTreeSet::new();
    while let Some((importer, imports)) = queue.pop() {
        for Imported { name, direct } in imports {
            // A package's data (files of its directory that are not
            // modules) goes with the package itself or one of its own plain
            // modules, when imported by name: not when a subpackage merely
            // runs it as a parent (`test.support` needs no test data).
            if direct {
                let owner = if packages.contains(&name) {
                    Some(name.as_str())
                } else {
                    name.rsplit_once('.').map(|(parent, _)| parent)
                };
                if let Some(data) = owner.and_then(|o| candidate_data.get(o)) {
                    taken_back.extend(data.iter().copied());
                }
            }
            if name == importer || !candidates.contains_key(&name) {
                continue;
            }
            let first = !importers.contains_key(&name);
            importers
                .entry(name.clone())
                .or_default()
                .insert(importer.clone());
            if first {
                let files = &candidates[&name];
                taken_back.extend(files.iter().copied());
                let module_files: Vec<(&Path, &ModelFile)> =
                    files.iter().map(|p| (*p, &model.files[*p])).collect();
                let next = imports_of_module(&name, &module_files)?;
                queue.push((name, next));
            }
        }
    }
    let actions = removals
        .into_iter()
        .filter(|a| !matches!(a, Action::Remove(p) if taken_back.contains(p.as_path())))
        .collect();
    let gone: BTreeSet<&str> = candidates
        .keys()
        .filter(|name| !importers.contains_key(*name))
        .map(String::as_str)
        .collect();
    let removed = gone
        .iter()
        .filter(|name| {
            // Named by its package when that goes too.
            !chain(name)
                .iter()
                .any(|parent| parent != *name && gone.contains(parent.as_str()))
        })
        .map(|name| (*name).to_owned())
        .collect();
    let kept = importers
        .into_iter()
        .map(|(module, by)| KeptImport {
            module,
            imported_by: by.into_iter().collect(),
        })
        .collect();
    Ok(Outcome {
        actions,
        removed,
        kept,
    })
}

/// The modules that `files` (one module's) import, package chains included.
fn imported(
    name: &str,
    files: &[(&Path, &ModelFile)],
    context: &Context,
    names: &ModuleNames,
    candidates: &[&str],
    modules: &HashSet<String>,
) -> Result<Vec<Imported>, StepError> {
    let readable = |kind: Kind| {
        files
            .iter()
            .find(|(_, f)| f.kind == kind && !f.symlink)
            .map(|(p, f)| (*p, *f))
    };
    let source = readable(Kind::Source);
    let bytecode = [
        Kind::Sourceless,
        Kind::BytecodeOpt0,
        Kind::BytecodeOpt1,
        Kind::BytecodeOpt2,
    ]
    .into_iter()
    .find_map(readable);
    let Some((path, file)) = source.or(bytecode) else {
        return Ok(Vec::new());
    };
    let refs = if file.kind == Kind::Source {
        parsed(context, file)?
    } else {
        None
    };
    let Some(refs) = refs else {
        // Unknown imports: every candidate the bytes name.
        return Ok(mentioned(&context.read(file)?, candidates));
    };
    let is_package = names.owner(path, file.kind).is_some_and(|o| o.is_package);
    Ok(refs
        .iter()
        .filter(|r| !r.optional)
        .filter_map(|r| imported_modules(r, name, is_package, |n| modules.contains(n)))
        .flatten()
        .collect())
}

/// The `candidates` every part of whose name appears as a word (a run of
/// ASCII letters, digits and `_`, or such a run less its first byte: in
/// bytecode a marshalled name's length byte may read as a letter) in
/// `bytes`, with their package chains.
fn mentioned(bytes: &[u8], candidates: &[&str]) -> Vec<Imported> {
    let words: HashSet<&[u8]> = bytes
        .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .filter(|run| !run.is_empty())
        .flat_map(|run| [run, &run[1..]])
        .collect();
    candidates
        .iter()
        .filter(|name| name.split('.').all(|part| words.contains(part.as_bytes())))
        .flat_map(|name| {
            chain(name).into_iter().map(|part| Imported {
                direct: part == *name,
                name: part,
            })
        })
        .collect()
}

/// The imports of a source, parsed once per content for the whole process
/// (`plan` runs the exclusions on many rows over the same files).
fn parsed(context: &Context, file: &ModelFile) -> Result<Option<Arc<[ImportRef]>>, StepError> {
    static CACHE: super::memo::Memo<blake3::Hash, Option<Arc<[ImportRef]>>> =
        super::memo::Memo::new();
    let content = super::content::Content::of(context, file)?;
    CACHE.get_or_try(content.hash, || {
        Ok(imports_of(&content.bytes(context, file)?).map(Arc::from))
    })
}

/// The dotted names of `model`'s files (the rules: `pyprune_deps::ModuleNames`).
fn names_of(model: &Model, context: &Context) -> ModuleNames {
    let stdlib = context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .or_else(|| {
            pyprune_tree::is_stdlib_dir(Path::new(""), |p| model.files.contains_key(p))
                .then(PathBuf::new)
        });
    ModuleNames::new(
        stdlib,
        model.dirs.iter().map(PathBuf::as_path),
        model.files.iter().map(|(p, f)| (p.as_path(), f.kind)),
    )
}

#[cfg(test)]
#[path = "keep_imported_tests.rs"]
mod tests;
