//! pyprune's runtime (`python/pyprune_runtime.py`): the import-system help
//! some steps need and CPython lacks — honouring `__dont_write_bytecode__`
//! markers, falling back to a less optimized cache, serving sources from
//! `__pysources__/`. Installed into the stdlib directory, loaded first by a
//! `.pth` file in site-packages and, in venvs made from the tree (which do
//! not read its site-packages), by a `sitecustomize` beside it: it loads at
//! every start without users changing how they run Python.

use super::{Context, StepName};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::{CacheFileName, PythonVersion};
use pyprune_tree::Kind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The runtime's source, as installed.
pub const RUNTIME_SOURCE: &str = include_str!("../../python/pyprune_runtime.py");
/// Its module file name in the stdlib directory.
pub const RUNTIME_MODULE: &str = "pyprune_runtime.py";
/// The module that loads it in venvs made from the tree, in the stdlib directory.
pub const SITECUSTOMIZE: &str = "sitecustomize.py";
/// Its source (with `FALLBACK = False`, set as the steps ask).
const SITECUSTOMIZE_SOURCE: &str = include_str!("../../python/sitecustomize.py");
/// How pyprune's `sitecustomize` begins: one that does not is the stdlib's own.
const SITECUSTOMIZE_FIRST_LINE: &str = "# Installed by pyprune:";
/// The `.pth` that loads it; `00-` so that site runs it before other `.pth` imports.
pub const RUNTIME_PTH: &str = "00-pyprune-runtime.pth";

/// Whether any of `steps` needs the runtime to keep its promise.
pub fn needs_runtime(steps: &[StepName]) -> bool {
    steps.iter().any(|s| s.info().needs_runtime)
}

/// The steps of `steps` that need the runtime, when the tree has no place
/// for it and nothing to load it: no stdlib (a bare package directory, a
/// site-packages on its own), or a stdlib whose site-packages is not a
/// directory of the tree (a symlink out of it, as Homebrew's) and whose
/// `sitecustomize` is its own. Empty when there is nothing to miss. Without
/// the runtime Python would ignore the markers and the compressed sources,
/// so `apply` refuses such steps and `plan` says why.
pub fn steps_missing_runtime(
    model: &Model,
    steps: &[StepName],
    context: &Context,
) -> Vec<StepName> {
    let loaded = runtime_dir(model, context.version).is_some()
        && (site_packages(model, context.version).is_some()
            || !has_own_sitecustomize(model, context));
    if loaded {
        return Vec::new();
    }
    steps
        .iter()
        .copied()
        .filter(|s| s.info().needs_runtime)
        .collect()
}

/// Whether, after `steps`, a traceback through any module still shows its source line.
pub fn keeps_traceback_lines(steps: &[StepName]) -> bool {
    !steps.iter().any(|s| s.info().drops_traceback_lines)
}

/// Whether `steps` remove modules on purpose (the exclusions).
pub fn removes_modules(steps: &[StepName]) -> bool {
    steps.iter().any(|s| s.info().removes_modules)
}

/// Whether, after `steps`, Python promises to write no bytecode into the tree.
pub fn promises_no_writes(steps: &[StepName]) -> bool {
    steps.iter().any(|s| s.info().promises_no_writes)
}

/// The `.pth` line that loads the runtime first in the base interpreter
/// (`00-` sorts before other `.pth` files, whose imports it must precede).
/// The runtime is imported with bytecode writing off (it must not write a
/// cache of itself into a tree whose markers it is about to honour), and
/// writing is turned back on whatever happens; a missing runtime is skipped
/// quietly, as the `sitecustomize` skips it. A `.pth` line is one line, so
/// the `try` goes through `exec`.
fn pth_line(fallback: bool) -> String {
    format!(
        "import sys; exec(\"w = sys.dont_write_bytecode\\nsys.dont_write_bytecode = True\\n\
         try:\\n    import pyprune_runtime\\n    pyprune_runtime.install(fallback={})\\n\
         except ImportError as e:\\n    if e.name != 'pyprune_runtime': raise\\n\
         finally:\\n    sys.dont_write_bytecode = w\", {{'sys': sys}})\n",
        python_bool(fallback)
    )
}

/// The `sitecustomize` that loads the runtime in every interpreter of this
/// stdlib, virtual environments included: they do not read its
/// site-packages, where the `.pth` is. It then runs the `sitecustomize` it
/// shadows further along `sys.path`, if there is one.
fn sitecustomize(fallback: bool) -> String {
    SITECUSTOMIZE_SOURCE.replacen(
        "FALLBACK = False",
        &format!("FALLBACK = {}", python_bool(fallback)),
        1,
    )
}

fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Compiles a Python source the runtime installs, with the tree's
/// interpreter: given the path it will have (the name its code embeds) and
/// its bytes, the cache files' bytes by level (`None` if it could not).
/// Steps are pure data; this is the one thing they ask of an interpreter, so
/// that the runtime's files are not compiled at every start (nor, in a venv,
/// written as caches before the runtime can stop it).
#[derive(Clone)]
pub struct SourceCompiler(pub Arc<SourceCompilerFn>);

/// What a [`SourceCompiler`] calls.
pub type SourceCompilerFn = dyn Fn(&Path, &[u8]) -> Option<Vec<(u8, Vec<u8>)>> + Send + Sync;

impl std::fmt::Debug for SourceCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceCompiler")
    }
}

/// The site-packages directory of the model, for the `.pth`: one that is a
/// directory of the stdlib directory (`site-packages`, else Debian's
/// `dist-packages`), else a new `site-packages` there. `None` when the tree
/// holds no stdlib, or when `site-packages` is there but not a directory of
/// the tree (a symlink leading out of it: nothing is written through it).
/// (A tree that is a site-packages on its own is not given the runtime:
/// `verify` puts such a tree on `PYTHONPATH`, where no `.pth` file runs, so it
/// could not prove it.)
pub(crate) fn site_packages(model: &Model, version: Option<PythonVersion>) -> Option<PathBuf> {
    let stdlib = version.and_then(|v| super::stdlib_dir(model, v))?;
    let existing = ["site-packages", "dist-packages"]
        .iter()
        .map(|name| stdlib.join(name))
        .find(|dir| model.dirs.contains(dir));
    let new = stdlib.join("site-packages");
    existing.or_else(|| (!model.files.contains_key(&new)).then_some(new))
}

/// Where the runtime's module goes: the stdlib directory, on `sys.path` of
/// every interpreter that uses it, venvs included.
fn runtime_dir(model: &Model, version: Option<PythonVersion>) -> Option<PathBuf> {
    version.and_then(|v| super::stdlib_dir(model, v))
}

/// Whether the stdlib already has a `sitecustomize` of its own (Debian's),
/// not one pyprune installed: pyprune does not replace it, so venvs made from
/// the tree run without the runtime.
pub fn has_own_sitecustomize(model: &Model, context: &Context) -> bool {
    let Some(dir) = runtime_dir(model, context.version) else {
        return false;
    };
    [
        SITECUSTOMIZE,
        "sitecustomize.pyc",
        "sitecustomize/__init__.py",
    ]
    .iter()
    .filter_map(|name| model.files.get(&dir.join(name)).map(|f| (*name, f)))
    .any(|(name, file)| {
        let ours = name == SITECUSTOMIZE
            && context
                .read(file)
                .is_ok_and(|b| b.starts_with(SITECUSTOMIZE_FIRST_LINE.as_bytes()));
        !ours
    })
}

/// The runtime's files (none when the tree holds no stdlib): the module and
/// a `sitecustomize` in the stdlib directory, the `.pth` in site-packages,
/// and the caches of both Python files when the context can compile them (a
/// level identical to the one below is a hardlink of it).
pub(crate) fn install(model: &Model, context: &Context, fallback: bool) -> Vec<Action> {
    let Some(stdlib) = runtime_dir(model, context.version) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    let mut python_file = |name: &str, source: Vec<u8>| {
        let path = stdlib.join(name);
        let caches = compiled_caches(context, &path, &source, |_| true);
        actions.push(write(path, source, Kind::Source));
        actions.extend(caches);
    };
    python_file(RUNTIME_MODULE, RUNTIME_SOURCE.as_bytes().to_vec());
    if !has_own_sitecustomize(model, context) {
        python_file(SITECUSTOMIZE, sitecustomize(fallback).into_bytes());
    }
    if let Some(site) = site_packages(model, context.version) {
        actions.push(write(
            site.join(RUNTIME_PTH),
            pth_line(fallback).into_bytes(),
            Kind::Data,
        ));
    }
    actions
}

/// The caches of the source at `path` (in the tree) at every level that
/// `wanted` accepts (by cache path), compiled by the context's interpreter;
/// a level identical to the one written below it is a hardlink of it. None
/// without an interpreter.
pub(crate) fn compiled_caches(
    context: &Context,
    path: &Path,
    source: &[u8],
    wanted: impl Fn(&Path) -> bool,
) -> Vec<Action> {
    let (Some(compiler), Some(stem), Some(dir)) = (
        &context.compiler,
        path.file_stem().and_then(|s| s.to_str()),
        path.parent(),
    ) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    let mut below: Option<(PathBuf, Vec<u8>)> = None;
    for (level, bytes) in (compiler.0)(&context.installed_at.join(path), source).unwrap_or_default()
    {
        let name = CacheFileName {
            module: stem,
            tag: &context.cache_tag,
            optimization: u32::from(level),
        };
        let cache = dir.join("__pycache__").join(name.file_name());
        if !wanted(&cache) {
            below = None;
            continue;
        }
        match &below {
            Some((existing, same)) if *same == bytes => actions.push(Action::Link {
                existing: existing.clone(),
                target: cache.clone(),
            }),
            _ => actions.push(write(cache.clone(), bytes.clone(), Kind::of(&cache))),
        }
        below = Some((cache, bytes));
    }
    actions
}

fn write(path: PathBuf, bytes: Vec<u8>, kind: Kind) -> Action {
    let module = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .and_then(|n| n.split('.').next().map(str::to_owned))
        .unwrap_or_default();
    Action::Write {
        path,
        bytes,
        mode: 0o644,
        kind,
        module,
    }
}
