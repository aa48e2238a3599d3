//! `exclude-installers`: pip, setuptools and wheel taken out of a venv or a
//! site-packages as `pip uninstall` takes a distribution out: every file its
//! RECORD lists (its console scripts in `bin/`, setuptools'
//! `distutils-precedence.pth`), what Python wrote into its package
//! directories since, and its `*.dist-info`. Containers built in stages
//! install with them and run without them.
//!
//! A distribution stays whole when another installed distribution requires
//! it (`Requires-Dist`, extras aside), when a module it does not own imports
//! one of its modules (the imports `keep_imported` reads: `pkg_resources`
//! imported at run time keeps setuptools), or when its RECORD cannot be
//! trusted (then no step touches it).

use super::keep_imported::{Outcome, keep_imported};
use super::{Context, LeftAsIs, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_dist::{Distribution, RecordState, normalized_name};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The distributions the step takes out, by normalized name.
const INSTALLERS: [&str; 3] = ["pip", "setuptools", "wheel"];

/// The removals, and the installers kept with why.
pub(crate) struct Installers {
    pub outcome: Outcome,
    pub left: Vec<LeftAsIs>,
}

pub(crate) fn installers(model: &Model, context: &Context) -> Result<Installers, StepError> {
    let dists = &context.distributions.dists;
    let left_out = context.left_out(model);
    let mut left: Vec<LeftAsIs> = Vec::new();
    // Installed installers, with the files each would take.
    let mut candidates: BTreeMap<usize, BTreeSet<PathBuf>> = BTreeMap::new();
    for (index, dist) in dists.iter().enumerate() {
        let name = normalized_name(&dist.name);
        if !INSTALLERS.contains(&name.as_str())
            || left_out.iter().any(|dir| dist.dist_info.starts_with(dir))
        {
            continue;
        }
        if !matches!(dist.record, RecordState::Listed(_)) {
            left.push(LeftAsIs {
                what: dist.name.clone(),
                why: "its RECORD cannot be trusted (or is missing): its files are not known"
                    .to_owned(),
            });
            continue;
        }
        candidates.insert(index, files_of(dist, index, model, context));
    }
    // Requirements of the distributions that stay, to a fixpoint (a kept
    // setuptools' own requirements stay too).
    loop {
        let staying: Vec<&Distribution> = dists
            .iter()
            .enumerate()
            .filter(|(i, _)| !candidates.contains_key(i))
            .map(|(_, d)| d)
            .collect();
        let required: Vec<(usize, &Distribution)> = candidates
            .keys()
            .filter_map(|&i| {
                let name = normalized_name(&dists[i].name);
                staying
                    .iter()
                    .find(|d| d.requires.contains(&name))
                    .map(|by| (i, *by))
            })
            .collect();
        if required.is_empty() {
            break;
        }
        for (index, by) in required {
            candidates.remove(&index);
            left.push(LeftAsIs {
                what: dists[index].name.clone(),
                why: format!("{} {} requires it", by.name, by.version),
            });
        }
    }
    // Imports by modules that stay, to a fixpoint: a distribution goes whole
    // or not at all.
    loop {
        let removals: Vec<Action> = candidates
            .values()
            .flatten()
            .map(|path| Action::Remove(path.clone()))
            .collect();
        let outcome = keep_imported(model, context, removals)?;
        let mut kept_any = false;
        let tops: Vec<(usize, BTreeSet<&str>)> = candidates
            .iter()
            .map(|(i, files)| {
                let tops = files
                    .iter()
                    .filter_map(|p| model.file(p))
                    .map(|f| f.module.as_str())
                    .collect();
                (*i, tops)
            })
            .collect();
        for (index, own) in tops {
            // Its modules' importers that are not its own modules (those
            // come back only with a module an outsider imports).
            let own = &own;
            let outside = outcome.kept.iter().flat_map(|import| {
                let one_of_ours = own.contains(top(&import.module));
                import
                    .imported_by
                    .iter()
                    .filter(move |by| one_of_ours && !own.contains(top(by)))
                    .map(move |by| (by, &import.module))
            });
            let Some((by, module)) = outside.min() else {
                continue;
            };
            candidates.remove(&index);
            kept_any = true;
            left.push(LeftAsIs {
                what: dists[index].name.clone(),
                why: format!("`{by}` imports its module `{module}`"),
            });
        }
        if !kept_any {
            left.sort_by(|a, b| a.what.cmp(&b.what));
            return Ok(Installers { outcome, left });
        }
    }
}

/// The top-level package of a dotted module name.
fn top(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// The files of `dist` in the model: those its RECORD lists, its
/// `*.dist-info`, and what else lies in the package directories it
/// installed (caches Python wrote since) that no other RECORD lists.
fn files_of(
    dist: &Distribution,
    index: usize,
    model: &Model,
    context: &Context,
) -> BTreeSet<PathBuf> {
    let mut files: BTreeSet<PathBuf> = dist
        .files
        .iter()
        .filter(|path| model.has_file(path))
        .cloned()
        .collect();
    let package_dirs: BTreeSet<PathBuf> = dist
        .files
        .iter()
        .filter_map(|path| crate::distributions::top_dir(&dist.site_dir, path))
        .filter(|dir| {
            !dir.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"))
        })
        .collect();
    let owned_here = |path: &Path| {
        context
            .distributions
            .listed(path)
            .is_none_or(|owner| owner == index)
    };
    for dir in package_dirs.iter().chain([&dist.dist_info]) {
        files.extend(
            model
                .files_below(dir)
                .filter(|(path, _)| owned_here(path))
                .map(|(path, _)| path.to_path_buf()),
        );
    }
    files
}

#[cfg(test)]
#[path = "installers_tests.rs"]
mod tests;
