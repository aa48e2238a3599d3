//! The minimization steps: what each is, what it costs the user, and the
//! actions it takes on a given model.

mod caches;
mod changes;
mod content;
mod devel;
mod elf_layout;
mod exclude;
mod extensions;
mod hot_path;
mod import_reach;
mod info;
mod installers;
mod keep_for;
mod keep_imported;
mod loader;
mod memo;
mod normalize;
mod removed_modules;
mod runtime;
mod sourceless;
mod startup;
mod zip;
mod zip_write;

use crate::action::Action;
use crate::model::{Model, ModelFile, Origin, TreeKey};
use pyprune_pyc::PythonVersion;
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use changes::{Changes, changes, step_changes};
pub use changes::{
    LeftAsIs, ModuleRemovals, kept_by_imports, left_as_is, module_removals, step_actions,
};
pub(crate) use content::Content;
pub use hot_path::{COMMON_ENTRY_POINTS, HotPath, HotPathFn};
pub use info::StepInfo;
pub use keep_for::{KeepFor, Need};
pub use keep_imported::{ComputedIn, KeptImport};
pub(crate) use memo::Memo;
pub use removed_modules::{REMOVED_FILE, Removed, error_message, list_text, missing_stdlib_info};
pub(crate) use runtime::install as install_runtime;
pub use runtime::{
    REMOVED_MODULE, RUNTIME_MODULE, RUNTIME_PTH, RUNTIME_SOURCE, SITECUSTOMIZE, SourceCompiler,
    SourceCompilerFn, has_own_sitecustomize, installs_runtime, keeps_traceback_lines,
    needs_runtime, promises_no_writes, removes_modules, runtime_module, runtime_pth,
    steps_missing_runtime,
};
pub use startup::{StartupModules, StartupModulesFn};
pub use zip::{BytecodePacking, ZipOptions, ZipOverrides, ZipSettings};
pub(crate) use zip_write::{Packing, read_members, write_zip};

/// The deflate level of the gzip files the steps write (`__pysources__`, and
/// `compress-pycs`' sizes): zlib's default. Its best level (9) saves 0.8%
/// more of Python sources at 2.6 times the time, and `plan` compresses every
/// source and cache of a tree for those rows. (The stdlib's zip stays at 9:
/// `minimal` is held to 15% of the tree, and a zip is made once per row.)
pub(crate) const GZIP_LEVEL: u32 = 6;

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
    ExcludeInstallers,
    ExcludeIdleTk,
    ExcludeDevModules,
    ExcludeDeadBatteries,
    ExcludeDevel,
    StripExtensions,
    ZipDataModules,
    ZipStdlib,
    ZipStdlibDeflated,
    ZipStdlibStored,
    ZipStdlibBytecode,
    ZipStdlibBytecodeStored,
    CompressPycs,
    KeepFor,
    Normalize,
}

impl StepName {
    /// Whether the step only exists in plans: applying it would break Python.
    pub fn plan_only(self) -> bool {
        self.info().plan_only
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
    #[error("`{}` is a symlink: pyprune does not read through it", pyprune_fs::display_path(.0))]
    Symlink(PathBuf),
    #[error("cannot strip `{}`: {message}", pyprune_fs::display_path(.path))]
    Strip { path: PathBuf, message: String },
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
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
    /// The source files the tree's interpreter imports at each level before
    /// pyprune's runtime loads; `None`: no interpreter to ask (the `encodings`
    /// modules every release imports are assumed).
    pub startup: Option<StartupModules>,
    /// Where the tree's interpreter's `site` reads site-packages under a
    /// prefix, relative to it, in its order; `None`: no interpreter was asked
    /// (the runtime's `.pth` goes in the stdlib's own site-packages).
    pub site_dirs: Option<Vec<PathBuf>>,
    /// Whether the tree's interpreter has `zlib` compiled in, as it says;
    /// `None`: not asked. (Where it is neither compiled in nor an extension
    /// module of the tree, zipimport cannot read deflated members.)
    pub zlib_built_in: Option<bool>,
    /// Whether the steps act on the `site-packages` (`dist-packages`) of a
    /// tree that holds a stdlib: only when the user names them. Otherwise
    /// they are left out of every step (pyprune's runtime still puts its
    /// `.pth` there), and read only to keep the stdlib modules they import.
    pub site_packages: bool,
    /// The distributions installed in the tree (`*.dist-info`), by path
    /// relative to [`Context::root`]: who owns each file.
    pub distributions: std::sync::Arc<pyprune_dist::Distributions>,
    /// The tree's own interpreter (its program), for what only running it
    /// tells: whether the dynamic loader still loads a stripped library.
    /// `None`: none known, and `strip-extensions` strips nothing.
    pub interpreter: Option<std::ffi::OsString>,
    /// The distributor's word on how to get a removed module back, which
    /// the `ModuleNotFoundError` for it ends with (`None`: pyprune's own).
    pub missing_module_message: Option<String>,
    /// What `keep-for` keeps (`apply --keep-for`); `None`: the step removes nothing.
    pub keep_for: Option<Arc<KeepFor>>,
    /// What the user asked of the zip steps, and their hot path.
    pub zip: ZipSettings,
}

impl Context {
    /// The directories of `model` the steps leave alone: its third-party
    /// packages, unless [`Context::site_packages`] says otherwise.
    pub fn left_out(&self, model: &Model) -> Vec<PathBuf> {
        if self.site_packages {
            return Vec::new();
        }
        pyprune_tree::third_party_dirs(model.dirs.iter().map(crate::TreePath::as_path), |p| {
            model.has_file(p)
        })
    }

    /// The bytes of a file of the model; never through a symlink (it may
    /// lead out of the tree, and its target is not the steps' to change).
    pub fn read(&self, file: &ModelFile) -> Result<Arc<[u8]>, StepError> {
        match &file.origin {
            Origin::Bytes(bytes) => Ok(Arc::clone(bytes)),
            Origin::Disk(rel) if file.symlink => Err(StepError::Symlink(rel.to_path_buf())),
            Origin::Disk(rel) => {
                let path = self.root.join(rel);
                std::fs::read(&path)
                    .map(Arc::from)
                    .map_err(|source| StepError::Read { path, source })
            }
        }
    }

    /// The first `len` bytes of `file` (all of a shorter one): a header,
    /// without reading the rest from disk.
    pub fn read_head(&self, file: &ModelFile, len: usize) -> Result<Vec<u8>, StepError> {
        use std::io::Read as _;
        match &file.origin {
            Origin::Bytes(bytes) => Ok(bytes[..len.min(bytes.len())].to_vec()),
            Origin::Disk(rel) if file.symlink => Err(StepError::Symlink(rel.to_path_buf())),
            Origin::Disk(rel) => {
                let path = self.root.join(rel);
                let mut head = Vec::with_capacity(len);
                std::fs::File::open(&path)
                    .and_then(|f| f.take(len as u64).read_to_end(&mut head))
                    .map_err(|source| StepError::Read { path, source })?;
                Ok(head)
            }
        }
    }
}

/// The stdlib directory of the model: the root itself, or `lib/python3.X`
/// (`lib64/...`) below it.
pub(crate) fn stdlib_dir(model: &Model, version: PythonVersion) -> Option<PathBuf> {
    pyprune_tree::find_stdlib_dir(std::path::Path::new(""), version, |path| {
        model.has_file(path)
    })
}

/// Directories the actions leave empty (that were not empty before), deepest first.
fn emptied_dirs(model: &Model, actions: &[Action]) -> Vec<Action> {
    // What the actions take away and add, in their order, without a copy
    // of the model (a clone per step was a good part of `plan`'s time).
    // (`Remove` takes files away, `RemoveDir` directories, as `Model::apply` does.)
    // (Ordered sets in the model's order, hashed ones by a fast hash: a
    // venv's steps remove tens of thousands of files.)
    let mut gone: FxHashSet<&Path> = FxHashSet::default();
    let mut gone_dirs: FxHashSet<&Path> = FxHashSet::default();
    let mut added: BTreeSet<&TreeKey> = BTreeSet::new();
    for action in actions {
        match action {
            Action::Remove(path) => {
                gone.insert(path);
                added.remove(TreeKey::of(path));
            }
            Action::RemoveDir(path) => {
                gone_dirs.insert(path);
            }
            Action::Move { from, to, .. } => {
                gone.insert(from);
                added.remove(TreeKey::of(from));
                added.insert(TreeKey::of(to));
                gone.remove(to.as_path());
            }
            Action::Write { path: to, .. } | Action::Link { target: to, .. } => {
                added.insert(TreeKey::of(to));
                gone.remove(to.as_path());
            }
        }
    }
    // Only a directory something left can be emptied: those above each
    // removed or moved path.
    let mut candidates: BTreeSet<&TreeKey> = BTreeSet::new();
    for path in gone.iter().chain(&gone_dirs) {
        let mut dir = path.parent();
        while let Some(at) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !candidates.insert(TreeKey::of(at)) {
                break;
            }
            dir = at.parent();
        }
    }
    // A site-packages stays when its last distribution goes (a venv whose
    // only packages were its installers): it is where Python looks, and
    // where the next install goes.
    candidates.retain(|dir| {
        let dir = dir.as_path();
        model.has_dir(dir)
            && model.holds_anything(dir)
            && !dir
                .file_name()
                .is_some_and(|n| pyprune_tree::THIRD_PARTY_DIRS.iter().any(|t| n == *t))
    });
    let mut removed = Vec::new();
    // Removing a directory may empty its parent: repeat until nothing changes.
    loop {
        let held = |dir: &Path| {
            let key = TreeKey::of(dir);
            added
                .range::<&TreeKey, _>((Excluded(&key), Unbounded))
                .next()
                .is_some_and(|p| p.as_path().starts_with(dir))
                || model
                    .files_below(dir)
                    .any(|(p, _)| !gone.contains(p.as_path()))
                || model
                    .dirs_below(dir)
                    .any(|p| !gone_dirs.contains(p.as_path()))
        };
        let newly: Vec<&TreeKey> = candidates
            .iter()
            .copied()
            .filter(|dir| !gone_dirs.contains(dir.as_path()) && !held(dir.as_path()))
            .collect();
        if newly.is_empty() {
            break;
        }
        for dir in newly {
            candidates.remove(dir);
            gone_dirs.insert(dir.as_path());
            removed.push(Action::RemoveDir(dir.as_path().to_path_buf()));
        }
    }
    removed
}

#[cfg(test)]
mod emptied_dirs_tests {
    use super::emptied_dirs;
    use crate::action::Action;
    use crate::model_builder::{TreeBuilder, remove, remove_dir};
    use pyprune_tree::Kind;
    use std::path::PathBuf;

    /// What the old way found (a copy of the model, every directory asked
    /// each round), to hold the new one to.
    fn by_copy(model: &crate::model::Model, actions: &[Action]) -> Vec<Action> {
        let before: std::collections::BTreeSet<PathBuf> = model.empty_dirs().into_iter().collect();
        let mut after = model.clone();
        for action in actions {
            after.apply(action);
        }
        let mut removed = Vec::new();
        loop {
            let newly: Vec<PathBuf> = after
                .empty_dirs()
                .into_iter()
                .filter(|d| !before.contains(d))
                .collect();
            if newly.is_empty() {
                return removed;
            }
            for dir in newly {
                after.apply(&Action::RemoveDir(dir.clone()));
                removed.push(Action::RemoveDir(dir));
            }
        }
    }

    #[test]
    fn directories_emptied_deepest_first_and_only_those() {
        let model = TreeBuilder::new()
            .file("a/b/c/x.py", "")
            .file("a/b/y.py", "")
            .file("a/keep.py", "")
            .file("d/e/z.py", "")
            .file("f/moved.py", "")
            .file("g/rewritten.py", "")
            .dir("empty/before")
            .build();
        let write = |path: &str| Action::Write {
            path: PathBuf::from(path),
            bytes: Vec::new().into(),
            mode: 0o644,
            kind: Kind::Source,
            module: String::new(),
        };
        let cases: Vec<Vec<Action>> = vec![
            vec![remove("a/b/c/x.py"), remove("a/b/y.py")],
            vec![remove("d/e/z.py")],
            vec![remove("d/e/z.py"), remove_dir("d/e")],
            vec![Action::Move {
                from: PathBuf::from("f/moved.py"),
                to: PathBuf::from("h/moved.pyc"),
                kind: Kind::Sourceless,
            }],
            vec![remove("g/rewritten.py"), write("g/rewritten.py")],
            vec![write("d/e/new.py"), remove("d/e/z.py")],
            vec![remove("empty/before")],
        ];
        for actions in cases {
            assert_eq!(
                emptied_dirs(&model, &actions),
                by_copy(&model, &actions),
                "{actions:?}"
            );
        }
        let gone = emptied_dirs(&model, &[remove("a/b/c/x.py"), remove("a/b/y.py")]);
        assert_eq!(gone, [remove_dir("a/b/c"), remove_dir("a/b")]);
    }
}
