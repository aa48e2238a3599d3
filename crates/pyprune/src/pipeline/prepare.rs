//! The first stages of every run: the tree scanned into an inventory and a
//! model, with what the steps need to know beyond it (the release and cache
//! tag its bytecode is for, and an interpreter to compile pyprune's runtime).

use super::target;
use crate::printer::Printer;
use crate::settings::TreeChoice;
use pyprune_fs::display_path;
use pyprune_pyc::PythonVersion;
use pyprune_python::{Interpreter, named_or_default};
use pyprune_steps::{Context, Model, SourceCompiler, StartupModules, StepName, release_of_caches};

use pyprune_tree::{Inventory, ScanOptions};
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A scanned tree ready to plan against.
pub struct Prepared {
    pub inventory: Inventory,
    pub model: Model,
    pub context: Context,
    /// The third-party packages the steps leave alone.
    pub left_out: super::LeftOut,
    /// The tree's own interpreter, when [`adopt_default_interpreter`] asked
    /// it (the verifier runs it, without asking again).
    pub own_python: Option<pyprune_python::Interpreter>,
    /// With `--keep-for`: what its step removes and saves.
    pub keep_for: Option<super::KeepForReport>,
}

/// Scans the chosen tree and works out the cache tag and release its
/// bytecode is for: the interpreter's, when one described the tree, else
/// what its caches say.
pub fn prepare(tree: &TreeChoice, printer: &Printer) -> anyhow::Result<Prepared> {
    let target = target::resolve(tree.path.as_deref(), tree.python.as_deref())?;
    // Before the walk by what the interpreter and the layout say; after it, by the caches.
    let implementation = target.python.as_ref().map(|p| p.implementation.as_str());
    refuse_other_implementation(&target.root, "", implementation)?;
    let inventory = {
        let tally = Arc::new(pyprune_tree::Tally::new("entries scanned"));
        let _progress = printer.progress(Arc::clone(&tally));
        let options = ScanOptions {
            progress: Some(&tally),
            ..ScanOptions::default()
        };
        Inventory::scan(&target.root, &options)?
    };
    for warning in &inventory.warnings {
        printer.warn(&warning.to_string());
    }
    let (cache_tag, version) = match &target.python {
        Some(python) => (
            python.cache_tag.clone(),
            PythonVersion::parse(&python.version),
        ),
        None => release_of_caches(&inventory.summary().cache_tags),
    };
    refuse_other_implementation(&inventory.root, &cache_tag, implementation)?;
    let block_size = std::fs::metadata(&inventory.root)
        .map(|m| m.blksize())
        .unwrap_or(4096)
        .max(512);
    let model = Model::from_inventory(&inventory, block_size);
    let compiler = target
        .python
        .as_ref()
        .map(|python| runtime_compiler(python, *printer));
    let startup = target
        .python
        .as_ref()
        .map(|python| startup_modules(python, *printer));
    let site_dirs = target.python.as_ref().map(|p| p.site_dirs.clone());
    let zlib_built_in = target
        .python
        .as_ref()
        .map(|p| p.builtin_modules.iter().any(|m| m == "zlib"));
    let third_party = if tree.site_packages {
        Vec::new()
    } else {
        inventory.third_party_dirs()
    };
    let distributions = pyprune_steps::read_distributions(&inventory, &third_party);
    for warning in &distributions.warnings {
        printer.warn(&format!(
            "{}: {}",
            pyprune_fs::display_path(&warning.path),
            warning.message
        ));
    }
    let context = Context {
        root: inventory.root.clone(),
        installed_at: inventory.root.clone(),
        cache_tag,
        version,
        compiler,
        startup,
        site_dirs,
        zlib_built_in,
        site_packages: tree.site_packages,
        distributions: std::sync::Arc::new(distributions),
        interpreter: target.python.as_ref().map(|p| p.program().to_os_string()),
        missing_module_message: None,
        keep_for: None,
        zip: pyprune_steps::ZipSettings {
            hot_path: pyprune_steps::HotPath {
                ask: target
                    .python
                    .as_ref()
                    .map(|python| hot_path_asker(python, *printer)),
                ..Default::default()
            },
            ..Default::default()
        },
    };
    let left_out_dirs = context.left_out(&model);
    let left_out = super::LeftOut::new(&left_out_dirs, model.disk_under(&left_out_dirs));
    Ok(Prepared {
        inventory,
        model,
        context,
        left_out,
        own_python: None,
        keep_for: None,
    })
}

/// Refuses a tree of another Python implementation than CPython (PyPy),
/// before anything is planned, changed or run.
pub fn refuse_other_implementation(
    root: &Path,
    cache_tag: &str,
    interpreter: Option<&str>,
) -> anyhow::Result<()> {
    match pyprune_steps::other_implementation(root, cache_tag, interpreter) {
        None => Ok(()),
        Some(name) => anyhow::bail!(
            "`{}` is for {name}, not CPython: pyprune minimizes and verifies CPython installations only ({name} finds its library its own way, ignoring PYTHONHOME, and does not load pyprune's runtime)",
            display_path(root)
        ),
    }
}

/// What pyprune says of a tree of a release it does not know (outside
/// 3.8–3.14: its stdlib's modules, bytecode and layout are not in pyprune's
/// tables); `None` for a known or unknowable release.
pub fn unknown_release(root: &Path, version: Option<PythonVersion>) -> Option<String> {
    let version = version.filter(|v| !pyprune_steps::module_history::is_supported(*v))?;
    let supported = pyprune_steps::module_history::SUPPORTED;
    Some(format!(
        "`{}` is for Python {version}, and pyprune knows Python {} to {} only (which modules each release ships, its bytecode, its layout)",
        display_path(root),
        supported.start(),
        supported.end()
    ))
}

/// Refuses to change a tree of a release pyprune does not know: `apply`
/// would remove modules by lists that are not that release's, and `verify`
/// could not say what it broke. (`plan` and `analyze` only warn: measuring
/// changes nothing.)
pub fn refuse_unknown_release(root: &Path, version: Option<PythonVersion>) -> anyhow::Result<()> {
    match unknown_release(root, version) {
        None => Ok(()),
        Some(why) => anyhow::bail!("{why}: apply refuses it"),
    }
}

/// `apply` runs an interpreter anyway (to verify the result). When the tree
/// was named by its path, so that `prepare` ran none, an interpreter tells
/// what the tree's caches could not: the tree's own (a prefix's
/// `bin/python3.X`, a venv's `bin/python`; see [`target::own_interpreter`]) unless
/// `--python` names one, else `python3`. It gives the release, when the tree
/// has no caches but is laid out for one (`lib/python3.X`); and, when its
/// bytecode is the tree's (same cache tag), which modules it imports before
/// the runtime loads and, when `steps` install the runtime, it compiles the
/// runtime's files. Only the tree's own interpreter also says where its
/// `site` reads site-packages and whether it has `zlib` compiled in: another
/// build of the same release (pyenv's `python3` for Debian's tree) may not
/// agree. Otherwise things stay as `prepare` left them.
pub fn adopt_default_interpreter(
    prepared: &mut Prepared,
    steps: &[StepName],
    python: Option<&std::ffi::OsStr>,
    printer: &Printer,
) {
    let installs_runtime = pyprune_steps::installs_runtime(steps);
    // The zip steps compile the sources whose caches are stale (edited since).
    let needs_compiler = installs_runtime || steps.iter().any(|s| s.info().zip.is_some());
    let own = python
        .is_none()
        .then(|| {
            target::own_interpreter(
                &prepared.inventory.root,
                &prepared.inventory.summary().cache_tags,
            )
        })
        .flatten();
    let context = &prepared.context;
    let wanted = context.version.is_none()
        || (context.compiler.is_none() && needs_compiler)
        || context.startup.is_none()
        || (own.is_some() && context.site_dirs.is_none());
    let own_answer = own
        .as_deref()
        .filter(|_| wanted)
        .and_then(|own| pyprune_python::discover(own.as_os_str()).ok());
    if let Some(interpreter) = own_answer {
        adopt(&mut prepared.context, &interpreter, needs_compiler, printer);
        prepared.own_python = Some(interpreter.clone());
        let context = &mut prepared.context;
        if interpreter.cache_tag == context.cache_tag {
            context
                .site_dirs
                .get_or_insert_with(|| interpreter.site_dirs.clone());
            context
                .zlib_built_in
                .get_or_insert_with(|| interpreter.builtin_modules.iter().any(|m| m == "zlib"));
        }
    } else if wanted && let Ok(interpreter) = pyprune_python::discover(named_or_default(python)) {
        adopt(&mut prepared.context, &interpreter, needs_compiler, printer);
    }
    let context = &prepared.context;
    if installs_runtime && context.compiler.is_none() && context.version.is_some() {
        printer.warn(&format!(
            "no interpreter for this tree's bytecode ({}; --python names one) to compile pyprune's runtime with: \
             where it is installed it goes in without caches, is compiled at every start, and the first start \
             of a venv made from the tree writes the cache of its sitecustomize",
            context.cache_tag
        ));
    }
}

fn adopt(
    context: &mut Context,
    interpreter: &Interpreter,
    needs_compiler: bool,
    printer: &Printer,
) {
    let Some(release) = PythonVersion::parse(&interpreter.version) else {
        return;
    };
    if context.version.is_none() && !context.adopt_release(release, &interpreter.cache_tag) {
        return;
    }
    if interpreter.cache_tag != context.cache_tag {
        return;
    }
    if context.compiler.is_none() && needs_compiler {
        context.compiler = Some(runtime_compiler(interpreter, *printer));
    }
    if context.startup.is_none() {
        context.startup = Some(startup_modules(interpreter, *printer));
    }
    if context.zip.hot_path.ask.is_none() {
        context.zip.hot_path.ask = Some(hot_path_asker(interpreter, *printer));
    }
    context
        .interpreter
        .get_or_insert_with(|| interpreter.program().to_os_string());
}

/// Which source files of its stdlib `python` imports before pyprune's
/// runtime loads, per level, asked as [`asker`] asks. If it cannot say, the
/// steps assume what every release imports.
fn startup_modules(python: &Interpreter, printer: Printer) -> StartupModules {
    let ask = asker(
        python,
        printer,
        |program, level: &u8| pyprune_python::startup_sources(program, *level),
        "only the caches of encodings' start-up modules are kept for what Python imports before \
         pyprune's runtime loads",
    );
    StartupModules(Arc::new(move |level: u8| ask(&level)))
}

/// Which source files of its stdlib importing an import set loads, asked as
/// [`asker`] asks. If it cannot say, the zip steps take the set's own
/// modules for the hot path.
fn hot_path_asker(python: &Interpreter, printer: Printer) -> Arc<pyprune_steps::HotPathFn> {
    let ask = asker(
        python,
        printer,
        |program, modules: &Vec<String>| pyprune_python::imported_sources(program, modules),
        "the zips' hot path is the import set's own modules, without what they import",
    );
    Arc::new(move |modules: &[String]| ask(&modules.to_vec()))
}

/// Asks `python` a question whose answer is source files of its stdlib
/// (`question`'s), once per question and only when a step wants to know,
/// however many plan rows ask; the files relative to its stdlib directory,
/// so that they name the tree's copies. The first failure is one warning
/// (`instead`, what the steps do without the answer, then why) and nothing
/// is asked again: the interpreter that failed once (it does not start, it
/// hangs) would fail the next question too.
fn asker<Q, E>(
    python: &Interpreter,
    printer: Printer,
    question: impl Fn(&std::ffi::OsStr, &Q) -> Result<Vec<PathBuf>, E> + Send + Sync + 'static,
    instead: &'static str,
) -> impl Fn(&Q) -> Option<Arc<[PathBuf]>> + Send + Sync + 'static
where
    Q: std::hash::Hash + Eq + Clone + Send + 'static,
    E: std::fmt::Display,
{
    type Answer = Option<Arc<[PathBuf]>>;
    let program = python.program().to_os_string();
    let stdlib = python.stdlib.clone();
    let done: Mutex<(HashMap<Q, Answer>, bool)> = Mutex::default();
    move |asked: &Q| {
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        let (answers, failed) = &mut *done;
        if *failed {
            return None;
        }
        if let Some(answer) = answers.get(asked) {
            return answer.clone();
        }
        match question(&program, asked) {
            Ok(sources) => {
                let answer = Some(all_in_stdlib(&sources, &stdlib));
                answers.insert(asked.clone(), answer.clone());
                answer
            }
            Err(e) => {
                *failed = true;
                printer.warn(&format!("{instead}, because {e}"));
                None
            }
        }
    }
}

/// Those of `sources` that are in `stdlib`, relative to it.
fn all_in_stdlib(sources: &[PathBuf], stdlib: &Path) -> Arc<[PathBuf]> {
    sources
        .iter()
        .filter_map(|source| in_stdlib(source, stdlib))
        .collect()
}

/// `source` relative to `stdlib`, as named or with symlinks resolved (a
/// stdlib reached through a symlinked prefix names its files either way).
fn in_stdlib(source: &Path, stdlib: &Path) -> Option<PathBuf> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    source
        .strip_prefix(stdlib)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            let (source, stdlib) = (canonical(source)?, canonical(stdlib)?);
            source.strip_prefix(stdlib).ok().map(Path::to_path_buf)
        })
}

/// Compiles the runtime's files with `python` at every level, as checked-hash
/// caches named for where they are installed, so that they load at each
/// start without being compiled (or, in a venv, written). Each source is
/// compiled once however many plan rows ask. Without caches the runtime
/// still works, compiled at every start: a failure is only a warning.
fn runtime_compiler(python: &Interpreter, printer: Printer) -> SourceCompiler {
    type Compiled = Option<Vec<(u8, Vec<u8>)>>;
    let pool = pyprune_python::PoolOptions {
        python: python.program().to_os_string(),
        workers: 1,
        timeout: std::time::Duration::from_secs(60),
    };
    let done: Mutex<HashMap<(PathBuf, Vec<u8>), Compiled>> = Mutex::default();
    SourceCompiler(Arc::new(move |path: &Path, source: &[u8]| {
        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_path_buf(), source.to_vec());
        if let Some(compiled) = done.get(&key) {
            return compiled.clone();
        }
        let compiled = pyprune_python::compile_source_bytes(
            &pool,
            source,
            path,
            &[0, 1, 2],
            pyprune_python::InvalidationMode::CheckedHash,
        );
        let compiled = match compiled {
            Ok(levels) => Some(levels),
            Err(e) => {
                printer.warn(&format!(
                    "cannot compile pyprune's `{}` with `{}`: {e}; it goes in without caches and is compiled at every start",
                    display_path(path),
                    pool.python.to_string_lossy()
                ));
                None
            }
        };
        done.insert(key, compiled.clone());
        compiled
    }))
}
