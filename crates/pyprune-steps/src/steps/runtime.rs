//! pyprune's runtime (`python/pyprune_runtime.py`): the import-system help
//! some steps need and CPython lacks — honouring `__dont_write_bytecode__`
//! markers, falling back to a less optimized cache, serving sources from
//! `__pysources__/`. Installed into the tree's site-packages with a `.pth`
//! file, so that it loads at every start without users changing how they run
//! Python.

use super::{Context, StepName};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::{CacheFileName, PythonVersion};
use pyprune_tree::Kind;
use std::path::PathBuf;

/// The runtime's source, as installed.
pub const RUNTIME_SOURCE: &str = include_str!("../../python/pyprune_runtime.py");
/// Its module file name in site-packages.
pub const RUNTIME_MODULE: &str = "pyprune_runtime.py";
/// The `.pth` that loads it; `00-` so that site runs it before other `.pth` imports.
pub const RUNTIME_PTH: &str = "00-pyprune-runtime.pth";

/// Whether `step` needs the runtime to keep its promise.
fn step_needs_runtime(step: StepName) -> bool {
    matches!(
        step,
        StepName::NoWriteMarker
            | StepName::SourcesCompressed
            | StepName::CacheFallback
            // The interpreter's own printer reads lines from files only, never from zips.
            | StepName::ZipDataModules
            | StepName::ZipStdlib
            | StepName::ZipStdlibStored
    )
}

/// Whether any of `steps` needs the runtime to keep its promise.
pub fn needs_runtime(steps: &[StepName]) -> bool {
    steps.iter().any(|&s| step_needs_runtime(s))
}

/// The steps of `steps` that need the runtime, when the tree has no stdlib
/// whose site-packages could hold it (a bare package directory, a
/// site-packages on its own): empty when there is nothing to miss. Without
/// the runtime Python would ignore the markers and the compressed sources,
/// so `apply` refuses such steps and `plan` says why.
pub fn steps_missing_runtime(
    model: &Model,
    steps: &[StepName],
    version: Option<PythonVersion>,
) -> Vec<StepName> {
    if site_packages(model, version).is_some() {
        return Vec::new();
    }
    steps
        .iter()
        .copied()
        .filter(|&s| step_needs_runtime(s))
        .collect()
}

/// Whether, after `steps`, a traceback through any module still shows its source line.
pub fn keeps_traceback_lines(steps: &[StepName]) -> bool {
    !steps.iter().any(|s| {
        matches!(
            s,
            StepName::Sourceless | StepName::ZipStdlibBytecode | StepName::ZipStdlibBytecodeStored
        )
    })
}

/// Whether `steps` remove modules on purpose (the exclusions).
pub fn removes_modules(steps: &[StepName]) -> bool {
    steps.iter().any(|s| {
        matches!(
            s,
            StepName::ExcludeTests
                | StepName::ExcludeIdleTk
                | StepName::ExcludeDevModules
                | StepName::ExcludeDeadBatteries
        )
    })
}

/// Whether, after `steps`, Python promises to write no bytecode into the tree.
pub fn promises_no_writes(steps: &[StepName]) -> bool {
    steps.contains(&StepName::NoWriteMarker)
}

/// The `.pth` line. The runtime is imported with bytecode writing off: it must
/// not write a cache of itself into a tree whose markers it is about to honour.
fn pth_line(fallback: bool) -> String {
    format!(
        "import sys; _pyprune_w = sys.dont_write_bytecode; sys.dont_write_bytecode = True; \
         import pyprune_runtime; pyprune_runtime.install(fallback={}); \
         sys.dont_write_bytecode = _pyprune_w\n",
        if fallback { "True" } else { "False" }
    )
}

/// The site-packages directory of the model: one that exists in the stdlib
/// directory (`site-packages`, else Debian's `dist-packages`), else a new
/// `site-packages` there. `None` when the tree holds no stdlib. (A tree that
/// is a site-packages on its own is not given the runtime: `verify` puts such
/// a tree on `PYTHONPATH`, where no `.pth` file runs, so it could not prove it.)
pub(crate) fn site_packages(model: &Model, version: Option<PythonVersion>) -> Option<PathBuf> {
    if let Some(stdlib) = version.and_then(|v| super::stdlib_dir(model, v)) {
        let existing = ["site-packages", "dist-packages"]
            .iter()
            .map(|name| stdlib.join(name))
            .find(|dir| model.dirs.contains(dir));
        return Some(existing.unwrap_or_else(|| stdlib.join("site-packages")));
    }
    None
}

/// Where the runtime's module goes in the tree, if anywhere.
pub fn runtime_module_path(model: &Model, version: Option<PythonVersion>) -> Option<PathBuf> {
    site_packages(model, version).map(|dir| dir.join(RUNTIME_MODULE))
}

/// The runtime's files, written into site-packages (none when the tree has
/// none): the module, its `.pth`, and its caches when the context has them
/// (a level identical to the one below is a hardlink of it).
pub(crate) fn install(model: &Model, context: &Context, fallback: bool) -> Vec<Action> {
    let Some(dir) = site_packages(model, context.version) else {
        return Vec::new();
    };
    let write = |name: &str, bytes: Vec<u8>, kind: Kind| Action::Write {
        path: dir.join(name),
        bytes,
        mode: 0o644,
        kind,
        module: name.split('.').next().unwrap_or_default().to_owned(),
    };
    let mut actions = vec![
        write(
            RUNTIME_MODULE,
            RUNTIME_SOURCE.as_bytes().to_vec(),
            Kind::Source,
        ),
        write(RUNTIME_PTH, pth_line(fallback).into_bytes(), Kind::Data),
    ];
    let mut below: Option<(PathBuf, &[u8])> = None;
    for (level, bytes) in &context.runtime_caches {
        let name = CacheFileName {
            module: RUNTIME_MODULE.trim_end_matches(".py"),
            tag: &context.cache_tag,
            optimization: u32::from(*level),
        };
        let path = dir.join("__pycache__").join(name.file_name());
        match &below {
            Some((existing, same)) if same == &&bytes[..] => actions.push(Action::Link {
                existing: existing.clone(),
                target: path.clone(),
            }),
            _ => actions.push(Action::Write {
                path: path.clone(),
                bytes: bytes.to_vec(),
                mode: 0o644,
                kind: Kind::of(&path),
                module: "pyprune_runtime".to_owned(),
            }),
        }
        below = Some((path, &bytes[..]));
    }
    actions
}
