//! The minimization steps: what each is, what it costs the user, and the
//! actions it takes on a given model.

mod caches;
mod exclude;
mod extensions;
mod runtime;
mod sourceless;
mod zip;

use crate::action::Action;
use crate::model::{Model, ModelFile, Origin};
use pyprune_pyc::PythonVersion;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use runtime::install as install_runtime;
pub use runtime::{
    RUNTIME_MODULE, RUNTIME_PTH, RUNTIME_SOURCE, SITECUSTOMIZE, SourceCompiler, SourceCompilerFn,
    has_own_sitecustomize, keeps_traceback_lines, needs_runtime, promises_no_writes,
    removes_modules, steps_missing_runtime,
};

/// Every step, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepName {
    DedupeCaches,
    DropOpt2,
    DropOptimizedCaches,
    DropCaches,
    NoWriteMarker,
    CacheFallback,
    Sourceless,
    SourcesCompressed,
    ExcludeTests,
    ExcludeIdleTk,
    ExcludeDevModules,
    ExcludeDeadBatteries,
    StripExtensions,
    ZipDataModules,
    ZipStdlib,
    ZipStdlibStored,
    ZipStdlibBytecode,
    ZipStdlibBytecodeStored,
    CompressPycs,
}

/// What a step is for, in words.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StepInfo {
    pub name: StepName,
    /// How it is written on the command line and in profiles.
    pub id: &'static str,
    /// Where the source documents propose it.
    pub origin: &'static str,
    pub what: &'static str,
    /// What the user gives up; empty when nothing.
    pub gives_up: &'static str,
}

/// The steps, in the order a profile applies them.
pub const STEPS: &[StepInfo] = &[
    StepInfo {
        name: StepName::ExcludeTests,
        id: "exclude-tests",
        origin: "Fedora status quo (python3-test)",
        what: "remove the test suites (test, */tests, */test, idle_test, _test* extensions)",
        gives_up: "the test suites",
    },
    StepInfo {
        name: StepName::ExcludeIdleTk,
        id: "exclude-idle-tk",
        origin: "Fedora status quo (python3-idle, python3-tkinter)",
        what: "remove idlelib, tkinter, turtle, turtledemo",
        gives_up: "IDLE, tkinter and turtle",
    },
    StepInfo {
        name: StepName::ExcludeDevModules,
        id: "exclude-dev-modules",
        origin: "Fedora solution 2",
        what: "remove pydoc_data, ensurepip and its wheels, lib2to3, unittest, doctest, venv, distutils",
        gives_up: "venv, unittest, doctest, 2to3, distutils, help() on keywords and topics",
    },
    StepInfo {
        name: StepName::ExcludeDeadBatteries,
        id: "exclude-dead-batteries",
        origin: "Fedora solution 1 (PEP 594)",
        what: "remove the PEP 594 modules present",
        gives_up: "the PEP 594 modules (cgi, telnetlib, ...)",
    },
    StepInfo {
        name: StepName::StripExtensions,
        id: "strip-extensions",
        origin: "container builds",
        what: "strip debug and unneeded symbols from extension modules",
        gives_up: "debug symbols of extension modules",
    },
    StepInfo {
        name: StepName::ZipDataModules,
        id: "zip-data-modules",
        origin: "Fedora solution 3",
        what: "encodings and pydoc_data (sources and bytecode) into pythonXY.zip",
        gives_up: "encodings and pydoc_data cannot be hot-patched; tracebacks show their lines through pyprune's runtime",
    },
    StepInfo {
        name: StepName::ZipStdlib,
        id: "zip-stdlib",
        origin: "Fedora solution 4",
        what: "the zip-safe pure-Python stdlib, sources and bytecode, deflated into pythonXY.zip",
        gives_up: "source cannot be hot-patched; tracebacks show lines through pyprune's runtime (not the interpreter alone)",
    },
    StepInfo {
        name: StepName::ZipStdlibStored,
        id: "zip-stdlib-stored",
        origin: "Fedora solution 4",
        what: "like zip-stdlib, members stored (faster imports, larger)",
        gives_up: "source cannot be hot-patched; tracebacks show lines through pyprune's runtime (not the interpreter alone)",
    },
    StepInfo {
        name: StepName::ZipStdlibBytecode,
        id: "zip-stdlib-bytecode",
        origin: "Fedora solutions 4 and 7",
        what: "the zip-safe pure-Python stdlib as bytecode only, deflated into pythonXY.zip",
        gives_up: "tracebacks show no source lines; source cannot be read or hot-patched; -O runs non-optimized code",
    },
    StepInfo {
        name: StepName::ZipStdlibBytecodeStored,
        id: "zip-stdlib-bytecode-stored",
        origin: "Fedora solutions 4 and 7",
        what: "like zip-stdlib-bytecode, members stored",
        gives_up: "tracebacks show no source lines; source cannot be read or hot-patched; -O runs non-optimized code",
    },
    StepInfo {
        name: StepName::CompressPycs,
        id: "compress-pycs",
        origin: "Fedora solution 8 (plan only)",
        what: "every bytecode file compressed on its own, as the document sized it",
        gives_up: "cannot be applied: CPython cannot read compressed pycs (shown for comparison)",
    },
    StepInfo {
        name: StepName::Sourceless,
        id: "sourceless",
        origin: "Fedora solution 7, discussion \"minimal\"",
        what: "opt-0 bytecode where the .py was; sources and other caches removed",
        gives_up: "tracebacks show no source lines; source cannot be read or hot-patched; -O runs non-optimized code",
    },
    StepInfo {
        name: StepName::SourcesCompressed,
        id: "sources-compressed",
        origin: "discussion option 2, draft PEP option 2",
        what: "like sourceless, with each source kept gzip-compressed in __pysources__/",
        gives_up: "source cannot be hot-patched; tracebacks show lines through pyprune's runtime (not the interpreter alone); -O runs non-optimized code",
    },
    StepInfo {
        name: StepName::DropCaches,
        id: "drop-caches",
        origin: "Fedora solution 5, discussion option 1, optional bytecode cache \"no cache\"",
        what: "remove every bytecode cache (but the start-up modules': encodings, aliases, utf_8)",
        gives_up: "slower imports (every module compiled at every start); Python writes caches unless no-write-marker stops it",
    },
    StepInfo {
        name: StepName::DropOptimizedCaches,
        id: "drop-optimized-caches",
        origin: "Fedora solution 6, optional bytecode cache \"default\"",
        what: "remove the opt-1 and opt-2 caches (but the start-up modules'), keep opt-0",
        gives_up: "-O and -OO runs compile the stdlib at every start (or write caches)",
    },
    StepInfo {
        name: StepName::DropOpt2,
        id: "drop-opt2",
        origin: "Fedora \"optimization level 2 is already broken\", optional bytecode cache \"levels 0 and 1\"",
        what: "remove the opt-2 caches (but the start-up modules')",
        gives_up: "-OO runs compile the stdlib at every start (or write caches)",
    },
    StepInfo {
        name: StepName::DedupeCaches,
        id: "dedupe-caches",
        origin: "Fedora solution 9 (compileall --hardlink-dupes)",
        what: "hardlink a module's identical caches across levels",
        gives_up: "",
    },
    StepInfo {
        name: StepName::NoWriteMarker,
        id: "no-write-marker",
        origin: "Fedora problem 5.3, draft PEP option 1",
        what: "a __dont_write_bytecode__ marker in every __pycache__ and at the tree root, honoured by pyprune's runtime",
        gives_up: "",
    },
    StepInfo {
        name: StepName::CacheFallback,
        id: "cache-fallback",
        origin: "Fedora solution 6 (\"fall back to less optimized caches\")",
        what: "with -O/-OO and no cache of that level, pyprune's runtime loads the opt-1, then opt-0 cache, writing nothing",
        gives_up: "-O and -OO run less optimized stdlib code where caches were dropped (asserts and docstrings kept)",
    },
];

impl StepName {
    /// Whether the step only exists in plans: applying it would break Python.
    pub fn plan_only(self) -> bool {
        self == StepName::CompressPycs
    }

    pub fn info(self) -> &'static StepInfo {
        STEPS.iter().find(|s| s.name == self).unwrap_or(&STEPS[0])
    }

    /// Parses a step id (`drop-opt2`).
    pub fn parse(id: &str) -> Option<StepName> {
        STEPS.iter().find(|s| s.id == id).map(|s| s.name)
    }
}

/// Why a step could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("cannot read `{}`", pyprune_fs::display_path(.path))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot strip `{}`: {message}", pyprune_fs::display_path(.path))]
    Strip { path: PathBuf, message: String },
}

/// What steps need to know beyond the model.
#[derive(Debug, Clone)]
pub struct Context {
    /// The tree (canonical), to read files from.
    pub root: PathBuf,
    /// Where the tree lives once done: the root, or `--out`'s final name while
    /// the result is built under a temporary one. Compiled code is named from it.
    pub installed_at: PathBuf,
    /// The cache tag whose caches count (`cpython-311`).
    pub cache_tag: String,
    /// The Python release the tree is for.
    pub version: Option<PythonVersion>,
    /// Compiles the runtime's Python files with the tree's interpreter, so
    /// that their caches go in with them; `None`: they go in without.
    pub compiler: Option<SourceCompiler>,
}

impl Context {
    /// The bytes of a file of the model.
    pub fn read(&self, file: &ModelFile) -> Result<Arc<[u8]>, StepError> {
        match &file.origin {
            Origin::Bytes(bytes) => Ok(Arc::clone(bytes)),
            Origin::Disk(rel) => {
                let path = self.root.join(rel);
                std::fs::read(&path)
                    .map(Arc::from)
                    .map_err(|source| StepError::Read { path, source })
            }
        }
    }
}

/// The actions `step` takes on `model`, directories it empties included.
pub fn step_actions(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    let mut actions = match step {
        StepName::DedupeCaches => caches::dedupe(model, context)?,
        StepName::DropOpt2 => caches::drop_levels(model, &[pyprune_tree::Kind::BytecodeOpt2]),
        StepName::DropOptimizedCaches => caches::drop_levels(
            model,
            &[
                pyprune_tree::Kind::BytecodeOpt1,
                pyprune_tree::Kind::BytecodeOpt2,
            ],
        ),
        StepName::DropCaches => caches::drop_levels(
            model,
            &[
                pyprune_tree::Kind::BytecodeOpt0,
                pyprune_tree::Kind::BytecodeOpt1,
                pyprune_tree::Kind::BytecodeOpt2,
            ],
        ),
        StepName::NoWriteMarker => caches::markers(model, context)?,
        // All it does is the runtime's fallback, installed with the runtime.
        StepName::CacheFallback => Vec::new(),
        StepName::Sourceless => sourceless::sourceless(model, context, false)?,
        StepName::SourcesCompressed => sourceless::sourceless(model, context, true)?,
        StepName::ExcludeTests => exclude::tests(model),
        StepName::ExcludeIdleTk => exclude::idle_tk(model),
        StepName::ExcludeDevModules => exclude::dev_modules(model),
        StepName::ExcludeDeadBatteries => exclude::dead_batteries(model, context),
        StepName::StripExtensions => extensions::strip(model, context)?,
        StepName::CompressPycs => sourceless::compress_each_pyc(model, context)?,
        StepName::ZipDataModules => zip::zip(
            model,
            context,
            zip::ZipOptions {
                sources: true,
                deflate: true,
                only: Some(&["encodings", "pydoc_data"]),
            },
        )?,
        StepName::ZipStdlib => zip::zip(
            model,
            context,
            zip::ZipOptions {
                sources: true,
                deflate: true,
                only: None,
            },
        )?,
        StepName::ZipStdlibStored => zip::zip(
            model,
            context,
            zip::ZipOptions {
                sources: true,
                deflate: false,
                only: None,
            },
        )?,
        StepName::ZipStdlibBytecode => zip::zip(
            model,
            context,
            zip::ZipOptions {
                sources: false,
                deflate: true,
                only: None,
            },
        )?,
        StepName::ZipStdlibBytecodeStored => zip::zip(
            model,
            context,
            zip::ZipOptions {
                sources: false,
                deflate: false,
                only: None,
            },
        )?,
    };
    actions.extend(emptied_dirs(model, &actions));
    Ok(actions)
}

/// The stdlib directory of the model, found by its `os` landmark: the root
/// itself, or `lib/python3.X` (`lib64/...`) below it.
pub(crate) fn stdlib_dir(model: &Model, version: PythonVersion) -> Option<PathBuf> {
    let landmark = |dir: &std::path::Path| {
        ["os.py", "os.pyc"]
            .iter()
            .any(|f| model.files.contains_key(&dir.join(f)))
    };
    if landmark(std::path::Path::new("")) {
        return Some(PathBuf::new());
    }
    ["lib", "lib64"]
        .iter()
        .map(|lib| {
            std::path::Path::new(lib).join(format!("python{}.{}", version.major, version.minor))
        })
        .find(|stdlib| landmark(stdlib))
}

/// Directories the actions leave empty (that were not empty before), deepest first.
fn emptied_dirs(model: &Model, actions: &[Action]) -> Vec<Action> {
    let before: std::collections::BTreeSet<PathBuf> = model.empty_dirs().into_iter().collect();
    let mut after = model.clone();
    let mut removed = Vec::new();
    for action in actions {
        after.apply(action);
    }
    // Removing a directory may empty its parent: repeat until nothing changes.
    loop {
        let newly: Vec<PathBuf> = after
            .empty_dirs()
            .into_iter()
            .filter(|d| !before.contains(d))
            .collect();
        if newly.is_empty() {
            break;
        }
        for dir in newly {
            after.apply(&Action::RemoveDir(dir.clone()));
            removed.push(Action::RemoveDir(dir));
        }
    }
    removed
}
