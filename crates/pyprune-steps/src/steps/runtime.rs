//! pyprune's runtime (`python/pyprune_runtime.py`): the import-system help
//! some steps need and CPython lacks — honouring `__dont_write_bytecode__`
//! markers, falling back to a less optimized cache, serving sources from
//! `__pysources__/`; and its finder (`python/pyprune_removed.py`) saying
//! which step removed a module an import asks for (`removed_modules`), the
//! only part installed for steps that just remove modules. Installed into the stdlib directory, loaded first by a
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
/// The finder that explains removed modules (`python/pyprune_removed.py`),
/// beside the runtime: the runtime installs it, and where the steps only
/// remove modules it is installed alone.
const REMOVED_SOURCE: &str = include_str!("../../python/pyprune_removed.py");
/// Its module file name, beside the runtime's.
pub const REMOVED_MODULE: &str = "pyprune_removed.py";
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

/// Whether `steps` install the runtime where the tree has a place for it:
/// those that need it, and the exclusions, for the error that names a
/// removed module's step (they need nothing else of it: without a place they
/// still apply, and the error stays Python's own).
pub fn installs_runtime(steps: &[StepName]) -> bool {
    needs_runtime(steps) || removes_modules(steps)
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
    let loaded = runtime_dir(model, context).is_some()
        && (site_packages(model, context).is_some() || !has_own_sitecustomize(model, context));
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
/// Without `hooks` (the steps only removed modules), it loads the finder
/// that explains them alone.
fn pth_line(fallback: bool, hooks: bool) -> String {
    let (module, call) = if hooks {
        (
            "pyprune_runtime",
            format!("install(fallback={})", python_bool(fallback)),
        )
    } else {
        ("pyprune_removed", "install()".to_owned())
    };
    format!(
        "import sys; exec(\"w = sys.dont_write_bytecode\\nsys.dont_write_bytecode = True\\n\
         try:\\n    import {module}\\n    {module}.{call}\\n\
         except ImportError as e:\\n    if e.name != '{module}': raise\\n\
         finally:\\n    sys.dont_write_bytecode = w\", {{'sys': sys}})\n"
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

/// The site-packages directory of the model, for the `.pth`: where the
/// tree's interpreter's `site` reads it (see [`asked_site_packages`]), else,
/// with no interpreter asked, one that is a directory of the stdlib directory
/// (`site-packages`, else Debian's `dist-packages`), else a new `site-packages`
/// there. `None` when the tree holds no stdlib, or when the directory is
/// there but not a directory of the tree (a symlink leading out of it:
/// nothing is written through it).
/// (A tree that is a site-packages on its own is not given the runtime:
/// `verify` puts such a tree on `PYTHONPATH`, where no `.pth` file runs, so it
/// could not prove it.)
pub(crate) fn site_packages(model: &Model, context: &Context) -> Option<PathBuf> {
    let Some(stdlib) = context.version.and_then(|v| super::stdlib_dir(model, v)) else {
        return venv_site_packages(model, context);
    };
    if let (Some(dirs), Some(version)) = (&context.site_dirs, context.version) {
        return asked_site_packages(model, &stdlib, dirs, version);
    }
    let existing = ["site-packages", "dist-packages"]
        .iter()
        .map(|name| stdlib.join(name))
        .find(|dir| model.has_dir(dir));
    let new = stdlib.join("site-packages");
    existing.or_else(|| (!model.has_file(&new)).then_some(new))
}

/// Of the directories the interpreter's `site` reads under a prefix
/// (`site_dirs`, relative to it, in its order), mapped into the tree, the one
/// for the `.pth`: the first that is a directory of the tree; else the first
/// inside the stdlib directory (a stdlib and its site-packages go together),
/// else the first at all, to be made (site reads it once it is there).
/// Mapped: a tree holding `lib*/python3.X` is a prefix, each directory is
/// taken as it is; a tree that is a stdlib directory on its own holds those
/// below `*/python3.X/` (`lib/python3.11/dist-packages` is its `dist-packages`).
/// A directory whose place is a file of the tree (a symlink out of it) or
/// below one is not.
fn asked_site_packages(
    model: &Model,
    stdlib: &Path,
    site_dirs: &[PathBuf],
    version: PythonVersion,
) -> Option<PathBuf> {
    let prefix = stdlib.parent().and_then(Path::parent);
    let stdlib_name = version.stdlib_dir_name();
    let in_tree = |dir: &PathBuf| -> Option<PathBuf> {
        let plain = dir
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            return None;
        }
        match prefix {
            Some(prefix) => Some(prefix.join(dir)),
            None => {
                let mut parts = dir.components();
                let _lib = parts.next()?;
                (parts.next()?.as_os_str() == stdlib_name.as_str())
                    .then(|| parts.as_path().to_path_buf())
                    .filter(|rest| !rest.as_os_str().is_empty())
            }
        }
    };
    let usable = |dir: &PathBuf| {
        dir.ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .all(|a| !model.has_file(a))
    };
    let candidates: Vec<PathBuf> = site_dirs
        .iter()
        .filter_map(in_tree)
        .filter(usable)
        .collect();
    candidates
        .iter()
        .find(|dir| model.has_dir(dir))
        .or_else(|| candidates.iter().find(|dir| dir.starts_with(stdlib)))
        .or_else(|| candidates.first())
        .cloned()
}

/// Where `install` puts the runtime's module (none when the tree holds no stdlib).
pub fn runtime_module(model: &Model, context: &Context) -> Option<PathBuf> {
    runtime_dir(model, context).map(|dir| dir.join(RUNTIME_MODULE))
}

/// Where `install` puts the runtime's `.pth` (none when the tree has no place for it).
pub fn runtime_pth(model: &Model, context: &Context) -> Option<PathBuf> {
    site_packages(model, context).map(|dir| dir.join(RUNTIME_PTH))
}

/// Where the runtime's module goes: the stdlib directory, on `sys.path` of
/// every interpreter that uses it, venvs included.
pub(crate) fn runtime_dir(model: &Model, context: &Context) -> Option<PathBuf> {
    context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .or_else(|| venv_site_packages(model, context))
}

/// The site-packages of a venv that holds no stdlib (`pyvenv.cfg` at its
/// root, `lib/python3.X/site-packages`): the venv's `site` reads it, so the
/// runtime's module and its `.pth` both go there (no `sitecustomize`: the
/// base interpreter's own would be shadowed by it).
fn venv_site_packages(model: &Model, context: &Context) -> Option<PathBuf> {
    let version = context.version?;
    if !crate::venv_paths::is_venv(model) {
        return None;
    }
    let dir = Path::new("lib")
        .join(version.stdlib_dir_name())
        .join("site-packages");
    model.has_dir(&dir).then_some(dir)
}

/// Whether the stdlib already has a `sitecustomize` of its own (Debian's),
/// not one pyprune installed: pyprune does not replace it, so venvs made from
/// the tree run without the runtime.
pub fn has_own_sitecustomize(model: &Model, context: &Context) -> bool {
    let Some(dir) = runtime_dir(model, context) else {
        return false;
    };
    [
        SITECUSTOMIZE,
        "sitecustomize.pyc",
        "sitecustomize/__init__.py",
    ]
    .iter()
    .filter_map(|name| model.file(&dir.join(name)).map(|f| (*name, f)))
    .any(|(name, file)| {
        let ours = name == SITECUSTOMIZE
            && context
                .read(file)
                .is_ok_and(|b| b.starts_with(SITECUSTOMIZE_FIRST_LINE.as_bytes()));
        !ours
    })
}

/// The runtime's files (none when the tree holds no stdlib and is no venv):
/// the module and a `sitecustomize` in the stdlib directory, the `.pth` in
/// site-packages (in a venv of its own, the module and the `.pth` in its
/// site-packages),
/// and the caches of both Python files when the context can compile them (a
/// level identical to the one below is a hardlink of it); with `removed`
/// modules, the list of them beside the module (`removed_modules`).
/// Without `hooks`, the runtime only explains removed modules.
pub(crate) fn install(
    model: &Model,
    context: &Context,
    fallback: bool,
    hooks: bool,
    removed: &[super::Removed],
) -> Vec<Action> {
    let Some(stdlib) = runtime_dir(model, context) else {
        return Vec::new();
    };
    // What a runtime installed by an earlier run turned on stays on: a later
    // exclusion alone must not turn off its markers or its fallback.
    let earlier = site_packages(model, context)
        .and_then(|site| model.file(&site.join(RUNTIME_PTH)))
        .and_then(|file| context.read(file).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let (fallback, hooks) = match &earlier {
        Some(line) => (
            fallback || line.contains("fallback=True"),
            hooks || line.contains("pyprune_runtime"),
        ),
        None => (fallback, hooks),
    };
    let mut actions = Vec::new();
    let mut python_file = |name: &str, source: Vec<u8>| {
        let path = stdlib.join(name);
        let module = file_module(&path);
        let caches = compiled_caches(context, &path, &source, &module, |_| true);
        actions.push(write(path, source, Kind::Source));
        actions.extend(caches);
    };
    if hooks {
        python_file(RUNTIME_MODULE, RUNTIME_SOURCE.as_bytes().to_vec());
    }
    python_file(REMOVED_MODULE, REMOVED_SOURCE.as_bytes().to_vec());
    let beside_stdlib = context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .is_some();
    // Without hooks (the steps only removed modules) no `sitecustomize`: the
    // smallest profiles count its blocks, and venvs made from the tree then
    // give Python's plain message for a removed module.
    if beside_stdlib && hooks && !has_own_sitecustomize(model, context) {
        python_file(SITECUSTOMIZE, sitecustomize(fallback).into_bytes());
    }
    if let Some(site) = site_packages(model, context) {
        actions.push(write(
            site.join(RUNTIME_PTH),
            pth_line(fallback, hooks).into_bytes(),
            Kind::Data,
        ));
    }
    actions.extend(super::removed_modules::actions(
        model, context, &stdlib, removed,
    ));
    actions
}

/// The caches of the source at `path` (in the tree, of the top-level module
/// `module`) at every level that `wanted` accepts (by cache path), compiled
/// by the context's interpreter; a level identical to the one written below
/// it is a hardlink of it. None without an interpreter.
pub(crate) fn compiled_caches(
    context: &Context,
    path: &Path,
    source: &[u8],
    module: &str,
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
            _ => actions.push(Action::Write {
                path: cache.clone(),
                bytes: Arc::from(bytes.as_slice()),
                mode: 0o644,
                kind: Kind::of(&cache),
                module: module.to_owned(),
            }),
        }
        below = Some((cache, bytes));
    }
    actions
}

/// The top-level module a file directly in an import root belongs to: its
/// name up to the first dot (the runtime's files are all such).
fn file_module(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .and_then(|n| n.split('.').next().map(str::to_owned))
        .unwrap_or_default()
}

fn write(path: PathBuf, bytes: Vec<u8>, kind: Kind) -> Action {
    let module = file_module(&path);
    Action::Write {
        path,
        bytes: bytes.into(),
        mode: 0o644,
        kind,
        module,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_builder::{
        ROOT, TreeBuilder, cache_path, compiled, context, context_with_compiler, link,
    };

    const LIB: &str = "lib/python3.11";

    /// A prefix whose stdlib has (or not) a site-packages directory.
    fn prefix() -> TreeBuilder {
        TreeBuilder::new()
            .file("bin/python3.11", "")
            .module(&format!("{LIB}/os.py"), "import sys\n")
    }

    const RUNTIME_STEPS: &[StepName] = &[
        StepName::NoWriteMarker,
        StepName::SourcesCompressed,
        StepName::CacheFallback,
        StepName::ZipDataModules,
        StepName::ZipStdlib,
        StepName::ZipStdlibDeflated,
        StepName::ZipStdlibStored,
    ];

    /// Every step, in table order.
    fn all_steps() -> Vec<StepName> {
        StepName::ALL.to_vec()
    }

    #[test]
    fn the_steps_that_need_the_runtime() {
        let needing: Vec<StepName> = all_steps()
            .into_iter()
            .filter(|&s| needs_runtime(&[s]))
            .collect();
        let mut expected = RUNTIME_STEPS.to_vec();
        expected.sort_by_key(|s| all_steps().iter().position(|t| t == s));
        assert_eq!(needing, expected);
        assert!(!needs_runtime(&[]));
        assert!(needs_runtime(&[StepName::DropOpt2, StepName::ZipStdlib]));
    }

    #[test]
    fn what_steps_cost_in_tracebacks_modules_and_writes() {
        for step in all_steps() {
            let lines_lost = matches!(
                step,
                StepName::Sourceless
                    | StepName::ZipStdlibBytecode
                    | StepName::ZipStdlibBytecodeStored
            );
            assert_eq!(keeps_traceback_lines(&[step]), !lines_lost, "{step:?}");
            // Build files are not modules: exclude-devel removes none.
            let excludes = step.info().id.starts_with("exclude-") && step != StepName::ExcludeDevel;
            assert_eq!(removes_modules(&[step]), excludes, "{step:?}");
            assert_eq!(
                promises_no_writes(&[step]),
                step == StepName::NoWriteMarker,
                "{step:?}"
            );
        }
    }

    #[test]
    fn no_runtime_for_a_tree_without_a_stdlib() {
        let package = TreeBuilder::new().module("mypkg/__init__.py", "").build();
        let mut steps = all_steps();
        steps.reverse();
        let mut expected = RUNTIME_STEPS.to_vec();
        expected.sort_by_key(|s| steps.iter().position(|t| t == s));
        assert_eq!(
            steps_missing_runtime(&package, &steps, &context()),
            expected
        );
        assert_eq!(
            steps_missing_runtime(&package, &[StepName::DropOpt2], &context()),
            []
        );
        assert!(!has_own_sitecustomize(&package, &context()));
        assert_eq!(install(&package, &context(), false, true, &[]), []);
        // A stdlib of a release not known is no stdlib.
        let unknown = Context {
            version: None,
            ..context()
        };
        let stdlib = prefix().dir(&format!("{LIB}/site-packages")).build();
        assert_eq!(
            steps_missing_runtime(&stdlib, RUNTIME_STEPS, &unknown),
            RUNTIME_STEPS
        );
        assert_eq!(
            steps_missing_runtime(&stdlib, RUNTIME_STEPS, &context()),
            []
        );
    }

    #[test]
    fn a_site_packages_that_is_not_a_directory_of_the_tree() {
        // A symlink out of the tree (Homebrew's) is a file to the model.
        let linked_out = || prefix().file(&format!("{LIB}/site-packages"), "");
        let model = linked_out().build();
        assert_eq!(site_packages(&model, &context()), None);
        // The sitecustomize pyprune installs loads the runtime all the same.
        assert_eq!(steps_missing_runtime(&model, RUNTIME_STEPS, &context()), []);
        // Unless the stdlib has its own: then nothing would load it.
        let debian = linked_out()
            .file(&format!("{LIB}/sitecustomize.py"), "import apport\n")
            .build();
        assert_eq!(
            steps_missing_runtime(&debian, RUNTIME_STEPS, &context()),
            RUNTIME_STEPS
        );
        // With a site-packages of its own, the .pth loads it there.
        let with_site = prefix()
            .dir(&format!("{LIB}/site-packages"))
            .file(&format!("{LIB}/sitecustomize.py"), "import apport\n")
            .build();
        assert_eq!(
            steps_missing_runtime(&with_site, RUNTIME_STEPS, &context()),
            []
        );
        // Debian's dist-packages is one too; with none, a new site-packages will be made.
        let dist = prefix().dir(&format!("{LIB}/dist-packages")).build();
        assert_eq!(
            site_packages(&dist, &context()),
            Some(PathBuf::from(format!("{LIB}/dist-packages")))
        );
        assert_eq!(
            site_packages(&prefix().build(), &context()),
            Some(PathBuf::from(format!("{LIB}/site-packages")))
        );
    }

    /// The context of an interpreter whose site reads `dirs` under a prefix.
    fn site_reads(dirs: &[&str]) -> Context {
        Context {
            site_dirs: Some(dirs.iter().map(PathBuf::from).collect()),
            ..context()
        }
    }

    const DEBIAN: &[&str] = &[
        "local/lib/python3.11/dist-packages",
        "lib/python3/dist-packages",
        "lib/python3.11/dist-packages",
    ];

    #[test]
    fn the_pth_goes_where_the_interpreters_site_reads_it() {
        let pth = |model: &Model, context: &Context| {
            runtime_pth(model, context).map(|p| p.to_string_lossy().into_owned())
        };
        let debian = site_reads(DEBIAN);
        // The first of site's directories that the tree has.
        let shipped = prefix().dir("lib/python3/dist-packages").build();
        assert_eq!(
            pth(&shipped, &debian).as_deref(),
            Some("lib/python3/dist-packages/00-pyprune-runtime.pth")
        );
        // None there: the first inside the stdlib directory, made.
        let bare = prefix().build();
        assert_eq!(
            pth(&bare, &debian).as_deref(),
            Some("lib/python3.11/dist-packages/00-pyprune-runtime.pth")
        );
        // A stdlib-only `site-packages` the interpreter's site never reads is not it.
        let pyenv_style = prefix().dir(&format!("{LIB}/site-packages")).build();
        assert_eq!(
            pth(&pyenv_style, &debian).as_deref(),
            Some("lib/python3.11/dist-packages/00-pyprune-runtime.pth")
        );
        // A symlink out of the tree where a directory would be: the next.
        let linked = prefix().file("lib/python3/dist-packages", "").build();
        assert_eq!(
            pth(&linked, &debian).as_deref(),
            Some("lib/python3.11/dist-packages/00-pyprune-runtime.pth")
        );
        // A stdlib directory on its own holds those below `*/python3.11/`.
        let alone = TreeBuilder::new().module("os.py", "import sys\n").build();
        assert_eq!(
            pth(&alone, &debian).as_deref(),
            Some("dist-packages/00-pyprune-runtime.pth")
        );
        assert_eq!(
            pth(&alone, &site_reads(&["lib/python3/dist-packages"])),
            None
        );
        // Fedora's lib64 stdlib: its site reads lib64's, then lib's.
        let fedora = site_reads(&[
            "lib64/python3.11/site-packages",
            "lib/python3.11/site-packages",
        ]);
        let lib64 = TreeBuilder::new()
            .module("lib64/python3.11/os.py", "import sys\n")
            .dir("lib/python3.11/site-packages")
            .build();
        assert_eq!(
            pth(&lib64, &fedora).as_deref(),
            Some("lib/python3.11/site-packages/00-pyprune-runtime.pth")
        );
        let lib64_only = TreeBuilder::new()
            .module("lib64/python3.11/os.py", "import sys\n")
            .build();
        assert_eq!(
            pth(&lib64_only, &fedora).as_deref(),
            Some("lib64/python3.11/site-packages/00-pyprune-runtime.pth")
        );
        // Paths that leave the prefix are not the tree's.
        assert_eq!(pth(&bare, &site_reads(&["../elsewhere", "/abs"])), None);
        // No place: the runtime's steps are refused, unless the sitecustomize loads it.
        assert_eq!(
            steps_missing_runtime(&bare, RUNTIME_STEPS, &site_reads(&[])),
            []
        );
        let own = prefix()
            .file(&format!("{LIB}/sitecustomize.py"), "import apport\n")
            .build();
        assert_eq!(
            steps_missing_runtime(&own, RUNTIME_STEPS, &site_reads(&[])),
            RUNTIME_STEPS
        );
        assert_eq!(steps_missing_runtime(&own, RUNTIME_STEPS, &debian), []);
    }

    #[test]
    fn own_sitecustomize_is_any_but_pyprunes() {
        let with = |name: &str, text: &str| {
            has_own_sitecustomize(
                &prefix().file(&format!("{LIB}/{name}"), text).build(),
                &context(),
            )
        };
        assert!(!has_own_sitecustomize(&prefix().build(), &context()));
        assert!(with("sitecustomize.py", "import apport\n"));
        assert!(!with("sitecustomize.py", &sitecustomize(false)));
        assert!(!with("sitecustomize.py", &sitecustomize(true)));
        assert!(with("sitecustomize.pyc", SITECUSTOMIZE_FIRST_LINE));
        assert!(with("sitecustomize/__init__.py", SITECUSTOMIZE_FIRST_LINE));
        // Elsewhere than the stdlib directory, it is not the stdlib's.
        let elsewhere = prefix()
            .file(&format!("{LIB}/site-packages/sitecustomize.py"), "")
            .build();
        assert!(!has_own_sitecustomize(&elsewhere, &context()));
    }

    fn written(path: &str, bytes: impl Into<Vec<u8>>, kind: Kind, module: &str) -> Action {
        let bytes: Vec<u8> = bytes.into();
        Action::Write {
            path: PathBuf::from(path),
            bytes: bytes.into(),
            mode: 0o644,
            kind,
            module: module.to_owned(),
        }
    }

    #[test]
    fn install_writes_the_module_the_sitecustomize_and_the_pth() {
        let model = prefix().dir(&format!("{LIB}/site-packages")).build();
        let runtime = format!("{LIB}/{RUNTIME_MODULE}");
        let finder = format!("{LIB}/{REMOVED_MODULE}");
        let custom = format!("{LIB}/{SITECUSTOMIZE}");
        let pth = format!("{LIB}/site-packages/{RUNTIME_PTH}");
        let source =
            |path: &str, text: &str, module: &str| written(path, text, Kind::Source, module);
        assert_eq!(
            install(&model, &context(), true, true, &[]),
            [
                source(&runtime, RUNTIME_SOURCE, "pyprune_runtime"),
                source(&finder, REMOVED_SOURCE, "pyprune_removed"),
                source(&custom, &sitecustomize(true), "sitecustomize"),
                written(&pth, pth_line(true, true), Kind::Data, "00-pyprune-runtime"),
            ]
        );
        assert!(sitecustomize(true).contains("\nFALLBACK = True\n"));
        assert!(sitecustomize(false).contains("\nFALLBACK = False\n"));
        assert!(pth_line(true, true).contains("pyprune_runtime.install(fallback=True)"));
        assert!(pth_line(false, true).contains("pyprune_runtime.install(fallback=False)"));
        assert!(pth_line(false, false).contains("pyprune_removed.install()"));
        assert!(!pth_line(false, false).contains("pyprune_runtime"));
        assert!(pth_line(false, true).starts_with("import sys;"));
        assert_eq!(pth_line(false, true).lines().count(), 1);
        assert_eq!(pth_line(false, false).lines().count(), 1);

        // Removed modules alone: the finder without the runtime, the list
        // beside it (3.11 has no _missing_stdlib_info).
        let removed = [super::super::Removed {
            module: "tkinter".to_owned(),
            step: StepName::ExcludeIdleTk,
        }];
        let list = format!("{LIB}/{}", super::super::REMOVED_FILE);
        assert_eq!(
            install(&model, &context(), false, false, &removed),
            [
                source(&finder, REMOVED_SOURCE, "pyprune_removed"),
                written(
                    &pth,
                    pth_line(false, false),
                    Kind::Data,
                    "00-pyprune-runtime"
                ),
                written(
                    &list,
                    super::super::list_text(&removed, None),
                    Kind::Data,
                    ""
                ),
            ]
        );

        // The stdlib's own sitecustomize stays; compiled, each Python file gets its caches.
        let debian = prefix()
            .dir(&format!("{LIB}/site-packages"))
            .file(&custom, "import apport\n")
            .build();
        let cache = |file: &str, module: &str, level: u8| {
            written(
                &cache_path(file, level),
                compiled(&format!("{ROOT}/{file}"), level),
                Kind::of(Path::new(&cache_path(file, level))),
                module,
            )
        };
        assert_eq!(
            install(&debian, &context_with_compiler(), false, true, &[]),
            [
                source(&runtime, RUNTIME_SOURCE, "pyprune_runtime"),
                cache(&runtime, "pyprune_runtime", 0),
                link(&cache_path(&runtime, 0), &cache_path(&runtime, 1)),
                cache(&runtime, "pyprune_runtime", 2),
                source(&finder, REMOVED_SOURCE, "pyprune_removed"),
                cache(&finder, "pyprune_removed", 0),
                link(&cache_path(&finder, 0), &cache_path(&finder, 1)),
                cache(&finder, "pyprune_removed", 2),
                written(
                    &pth,
                    pth_line(false, true),
                    Kind::Data,
                    "00-pyprune-runtime"
                ),
            ]
        );
    }

    #[test]
    fn what_an_earlier_runtime_turned_on_stays_on() {
        let pth = format!("{LIB}/site-packages/{RUNTIME_PTH}");
        let installed = |earlier: &str| {
            let model = prefix().file(&pth, earlier).build();
            install(&model, &context(), false, false, &[])
                .into_iter()
                .find_map(|a| match a {
                    Action::Write { path, bytes, .. } if path == Path::new(&pth) => {
                        Some(String::from_utf8(bytes.to_vec()).expect("utf-8"))
                    }
                    _ => None,
                })
                .expect("the .pth")
        };
        assert_eq!(installed(&pth_line(true, true)), pth_line(true, true));
        assert_eq!(installed(&pth_line(false, false)), pth_line(false, false));
        // A runtime from before the hooks could be off had them on.
        let older = pth_line(true, true).replace(", hooks=True", "");
        assert_eq!(installed(&older), pth_line(true, true));
    }

    #[test]
    fn pyprunes_sitecustomize_stays_a_source_and_pyprunes() {
        let custom = format!("{LIB}/{SITECUSTOMIZE}");
        let model = prefix()
            .dir(&format!("{LIB}/site-packages"))
            .module(&custom, &sitecustomize(false))
            .build();
        assert!(!has_own_sitecustomize(&model, &context()));
        let after = crate::model_builder::applied(
            &model,
            &crate::model_builder::actions(StepName::Sourceless, &model),
        );
        assert!(after.has_file(Path::new(&custom)));
        assert!(!after.has_file(Path::new(&format!("{LIB}/sitecustomize.pyc"))));
        assert!(!has_own_sitecustomize(&after, &context()));
    }
}
