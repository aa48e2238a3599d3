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
//!
//! `keep-for` asks the same question the other way round ([`Needs`]): every
//! module is a candidate, and what comes back is what an application (its
//! imports given from outside the tree) needs, optional imports included, a
//! computed import with a literal start (`"encodings." + codec`) bringing
//! every candidate that starts so, and a bundled wheel (`ensurepip`'s)
//! bringing what its sources import.

use super::import_reach::{Reach, Scan};
use super::keep_for::{hidden_imports, starting_with, wheel_imports};
use super::{Context, StepError};
use crate::action::Action;
use crate::model::{Model, ModelFile};
use pyprune_deps::{Imported, ModuleNames, imported_modules};
use pyprune_source::{SourceImports, chain, source_imports};
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
#[derive(Default)]
pub(crate) struct Outcome {
    pub actions: Vec<Action>,
    /// The modules removed, by dotted name, sorted; a package stands for its
    /// submodules (`test`, not `test.test_json` too).
    pub removed: Vec<String>,
    pub kept: Vec<KeptImport>,
    /// With [`Needs::whole_application`]: the imports of a computed name in
    /// the modules kept, which nothing resolves (sorted by file and line).
    pub computed: Vec<ComputedIn>,
}

/// An import of a computed name in a kept module of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComputedIn {
    /// The file, relative to the tree.
    pub path: PathBuf,
    pub line: usize,
    /// The call as written.
    pub call: String,
}

/// What is needed besides what the kept modules import.
#[derive(Debug, Default)]
pub(crate) struct Needs<'a> {
    /// Modules needed by something outside the tree's modules (an
    /// application, the interpreter's start-up): (who, module or prefix).
    pub from_outside: &'a [pyprune_deps::Need],
    /// Follow optional imports too, computed imports with a literal start,
    /// and the sources of bundled wheels (`keep-for`: an application keeps
    /// every feature it had).
    pub whole_application: bool,
    /// Modules (with their submodules) never taken back.
    pub never: &'a [String],
}

/// Takes back from `removals` every file of a module a kept module imports.
pub(crate) fn keep_imported(
    model: &Model,
    context: &Context,
    removals: Vec<Action>,
) -> Result<Outcome, StepError> {
    keep_needed(model, context, removals, &Needs::default())
}

/// Takes back from `removals` every file of a module a kept module imports,
/// or `needs` asks for.
pub(crate) fn keep_needed(
    model: &Model,
    context: &Context,
    removals: Vec<Action>,
    needs: &Needs<'_>,
) -> Result<Outcome, StepError> {
    let removed: rustc_hash::FxHashSet<&Path> = removals
        .iter()
        .filter_map(|a| match a {
            Action::Remove(path) => Some(path.as_path()),
            _ => None,
        })
        .collect();
    if removed.is_empty() {
        return Ok(Outcome {
            actions: removals,
            ..Outcome::default()
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
            ..Outcome::default()
        });
    }
    let mut candidate_names: Vec<&str> = candidates.keys().map(String::as_str).collect();
    candidate_names.sort_unstable();
    // Only the imports of candidates and of packages with candidate data
    // matter, unless an application's every import is followed.
    let reach = (!needs.whole_application).then(|| {
        Reach::of(
            candidates
                .keys()
                .chain(candidate_data.keys())
                .map(String::as_str),
        )
    });
    let computed = std::sync::Mutex::new(Vec::new());
    let imports_of_module = |name: &str, files: &[(&Path, &ModelFile)]| {
        let found = imported(
            name,
            files,
            context,
            &names,
            &modules,
            needs,
            reach.as_ref(),
        )?;
        let mut imports = found.imports;
        for prefix in &found.prefixes {
            imports.extend(starting_with(&candidate_names, prefix));
        }
        if let Some(bytes) = found.unknown {
            // Unknown imports: every candidate the bytes name.
            imports.extend(mentioned(&bytes, &candidate_names));
        }
        if !found.computed.is_empty() {
            computed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(found.computed);
        }
        Ok::<_, StepError>(imports)
    };
    let mut queue: Vec<(String, Vec<Imported>)> = kept
        .par_iter()
        .map(|(name, files)| Ok((name.clone(), imports_of_module(name, files)?)))
        .collect::<Result<_, StepError>>()?;
    for need in needs.from_outside {
        let imports = if need.prefix {
            starting_with(&candidate_names, &need.module)
        } else {
            chain(&need.module)
                .into_iter()
                .map(|name| Imported {
                    direct: name == need.module,
                    name,
                })
                .collect()
        };
        queue.push((need.by.clone(), imports));
    }
    let never = |name: &str| {
        needs.never.iter().any(|n| {
            name == n
                || name
                    .strip_prefix(n.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    };
    let mut importers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut taken_back: BTreeSet<&Path> = BTreeSet::new();
    while let Some((importer, imports)) = queue.pop() {
        for Imported { name, direct } in imports {
            if never(&name) {
                continue;
            }
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
                    for path in data {
                        if taken_back.insert(path) && needs.whole_application {
                            // A wheel the package installs runs on this stdlib.
                            if let Some(imports) = wheel_imports(model, context, path, &modules)? {
                                queue.push((pyprune_fs::display_path(path), imports));
                            }
                        }
                    }
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
                    files.iter().map(|p| (*p, model.file_at(p))).collect();
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
    let mut computed = computed
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    computed.sort_by(|a: &ComputedIn, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    computed.dedup();
    Ok(Outcome {
        actions,
        removed,
        kept,
        computed,
    })
}

/// What one module imports, as far as its files say.
#[derive(Default)]
struct Found {
    imports: Vec<Imported>,
    /// Computed imports' literal starts (with [`Needs::whole_application`]).
    prefixes: Vec<String>,
    /// Computed imports nothing resolves.
    computed: Vec<ComputedIn>,
    /// Its imports are unknown: its bytes (bytecode, or a source that
    /// cannot be parsed), to look for names in.
    unknown: Option<Arc<[u8]>>,
}

/// The modules that `files` (one module's) import, package chains included;
/// with `reach`, none when its source cannot import what `reach` holds.
fn imported(
    name: &str,
    files: &[(&Path, &ModelFile)],
    context: &Context,
    names: &ModuleNames,
    modules: &HashSet<String>,
    needs: &Needs<'_>,
    reach: Option<&Reach<'_>>,
) -> Result<Found, StepError> {
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
    let mut found = Found::default();
    if needs.whole_application {
        let (imports, prefixes) = hidden_imports(name);
        found.imports.extend(imports);
        found.prefixes.extend(prefixes);
    }
    let Some((path, file)) = source.or(bytecode) else {
        return Ok(found);
    };
    let parsed = if file.kind == Kind::Source {
        parsed(context, file, reach.map(|reach| (reach, name)))?
    } else {
        Parsed::Unknown
    };
    let parsed = match parsed {
        Parsed::Imports(parsed) => parsed,
        Parsed::Unreached => return Ok(found),
        Parsed::Unknown => {
            found.unknown = Some(context.read(file)?);
            return Ok(found);
        }
    };
    let is_package = names.owner(path, file.kind).is_some_and(|o| o.is_package);
    found.imports.extend(
        parsed
            .imports
            .iter()
            .filter(|r| needs.whole_application || !r.optional)
            .filter_map(|r| imported_modules(r, name, is_package, |n| modules.contains(n)))
            .flatten(),
    );
    if needs.whole_application {
        for computed in &parsed.computed {
            match &computed.prefix {
                Some(prefix) => found.prefixes.push(prefix.clone()),
                None => found.computed.push(ComputedIn {
                    path: path.to_path_buf(),
                    line: computed.line,
                    call: computed.call.clone(),
                }),
            }
        }
    }
    Ok(found)
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

/// A source's imports, as far as an exclusion asks.
enum Parsed {
    Imports(Arc<SourceImports>),
    /// Its words cannot spell an import of what the exclusion asks about.
    Unreached,
    /// It cannot be parsed (or is no source): its imports are unknown.
    Unknown,
}

/// The imports of a source, parsed once per content for the whole process
/// (`plan` runs the exclusions on many rows over the same files); with
/// `reach` (and the source's module), not parsed when its words cannot
/// import what `reach` holds.
fn parsed(
    context: &Context,
    file: &ModelFile,
    reach: Option<(&Reach<'_>, &str)>,
) -> Result<Parsed, StepError> {
    static CACHE: super::memo::Memo<blake3::Hash, Option<Arc<SourceImports>>> =
        super::memo::Memo::new();
    static SCANS: super::memo::Memo<blake3::Hash, Arc<Scan>> = super::memo::Memo::new();
    let mut content = super::content::Content::of(context, file)?;
    let hash = content.hash;
    if let Some((reach, module)) = reach {
        let scan = SCANS.get_or_try(hash, || {
            Ok::<_, StepError>(Arc::new(Scan::of(&content.load(context, file)?)))
        })?;
        if !reach.may_import(module, &scan) {
            return Ok(Parsed::Unreached);
        }
    }
    let imports = CACHE.get_or_try(hash, || {
        Ok::<_, StepError>(source_imports(&content.load(context, file)?).map(Arc::new))
    })?;
    Ok(imports.map_or(Parsed::Unknown, Parsed::Imports))
}

/// The dotted names of `model`'s files (the rules: `pyprune_deps::ModuleNames`).
pub(crate) fn names_of(model: &Model, context: &Context) -> ModuleNames {
    let stdlib = context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .or_else(|| {
            pyprune_tree::is_stdlib_dir(Path::new(""), |p| model.has_file(p)).then(PathBuf::new)
        });
    ModuleNames::new(
        stdlib,
        model.dirs.iter().map(crate::TreePath::as_path),
        model.files.iter().map(|(p, f)| (p.as_path(), f.kind)),
    )
}

#[cfg(test)]
#[path = "keep_imported_tests.rs"]
mod tests;
