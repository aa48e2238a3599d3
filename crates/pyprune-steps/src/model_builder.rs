//! Models of small trees, built in memory for tests: no disk, no interpreter.
//!
//! ```ignore
//! let model = TreeBuilder::new()
//!     .file("os.py", "import sys\n")
//!     .module("json/__init__.py", "import sys\n") // + caches at opt 0/1/2, opt-1 a link of opt-0
//!     .file(EXT, b"\x7fELF")
//!     .build();
//! ```
//!
//! The model is made the way `plan` makes one, by [`Model::from_inventory`],
//! from an inventory whose kinds and module names come from the paths exactly
//! as a walk of the tree gives them ([`Kind::of`], [`Layout::detect`]); only
//! the files' bytes are [`Origin::Bytes`] instead of on disk. Sizes are the
//! files' lengths, on disk rounded up to [`BLOCK`]; every directory takes one
//! block.

use crate::action::Action;
use crate::model::{Model, Origin};
use crate::steps::{Context, SourceCompiler, StepName, step_actions};
use pyprune_pyc::{Magic, PythonVersion};
use pyprune_tree::{Inventory, InventoryFile, Kind, Layout, Sizes};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The block size of built models.
pub(crate) const BLOCK: u64 = 4096;
/// The cache tag of built trees and of [`context`].
pub(crate) const TAG: &str = "cpython-311";
/// The root of [`context`]: nothing is there, so a step that reads the disk fails.
pub(crate) const ROOT: &str = "/nonexistent/pyprune-model-builder";

/// The Python release of built trees.
/// The path of the extension module `name` in `lib-dynload` (3.11, x86-64 Linux).
pub(crate) fn ext(name: &str) -> String {
    format!("lib-dynload/{name}.cpython-311-x86_64-linux-gnu.so")
}

pub(crate) fn version() -> PythonVersion {
    PythonVersion::new(3, 11)
}

/// The context of a built tree: a root that does not exist, tag `cpython-311`, 3.11, no compiler.
pub(crate) fn context() -> Context {
    Context {
        root: PathBuf::from(ROOT),
        installed_at: PathBuf::from(ROOT),
        cache_tag: TAG.to_owned(),
        version: Some(version()),
        compiler: None,
        startup: None,
        site_dirs: None,
        zlib_built_in: None,
        site_packages: false,
        distributions: Default::default(),
        interpreter: None,
        missing_module_message: None,
        keep_for: None,
        zip: Default::default(),
    }
}

/// The distributions of a built tree whose `*.dist-info` directories are
/// `dist_infos`, read from the model's bytes as from a disk.
pub(crate) fn distributions(model: &Model, dist_infos: &[&str]) -> pyprune_dist::Distributions {
    let infos: Vec<PathBuf> = dist_infos.iter().map(PathBuf::from).collect();
    pyprune_dist::Distributions::read_with(&infos, |rel| match model.file(rel) {
        Some(file) => Ok(context().read(file).expect("bytes in memory").to_vec()),
        None => Err(std::io::ErrorKind::NotFound.into()),
    })
}

/// [`context`] for a built tree of site-packages (the steps act on it) whose
/// distributions are those of `dist_infos`.
pub(crate) fn context_with_distributions(model: &Model, dist_infos: &[&str]) -> Context {
    Context {
        site_packages: true,
        distributions: Arc::new(distributions(model, dist_infos)),
        ..context()
    }
}

/// [`context`] with a compiler that compiles nothing: it returns [`compiled`]
/// for each level, opt-1 identical to opt-0 (so it becomes a link), opt-2 not.
pub(crate) fn context_with_compiler() -> Context {
    let compiler = |path: &Path, _source: &[u8]| {
        let name = path.to_string_lossy().into_owned();
        Some(vec![
            (0, compiled(&name, 0)),
            (1, compiled(&name, 0)),
            (2, compiled(&name, 2)),
        ])
    };
    Context {
        compiler: Some(SourceCompiler(Arc::new(compiler))),
        ..context()
    }
}

/// What [`context_with_compiler`]'s compiler gives for the file at `path` (as
/// installed: under [`ROOT`]) at `level`.
pub(crate) fn compiled(path: &str, level: u8) -> Vec<u8> {
    pyc(&format!("compiled {path} at {level}"))
}

/// A well-formed 3.11 cache (timestamp header, zero mtime and size) whose
/// marshal data is the string `text`: no code object, so no file name to
/// rename, and different texts give different bytes.
pub(crate) fn pyc(text: &str) -> Vec<u8> {
    let magic = Magic::of_version(version()).expect("3.11 has a magic number");
    let mut bytes = magic.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&[0; 12]);
    // A short ASCII string: type `z`, one length byte.
    let len = u8::try_from(text.len()).expect("a short string");
    bytes.push(b'z');
    bytes.push(len);
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// `dir/__pycache__/NAME.cpython-311[.opt-N].pyc` of the source `dir/NAME.py`.
pub(crate) fn cache_path(source: &str, level: u8) -> String {
    let source = Path::new(source);
    let stem = source
        .file_stem()
        .expect("a source file name")
        .to_string_lossy();
    let opt = match level {
        0 => String::new(),
        n => format!(".opt-{n}"),
    };
    source
        .parent()
        .unwrap_or(Path::new(""))
        .join("__pycache__")
        .join(format!("{stem}.{TAG}{opt}.pyc"))
        .to_string_lossy()
        .into_owned()
}

/// The bytes [`TreeBuilder::module`] gives the cache of `source` at `level`.
pub(crate) fn cache_bytes(source: &str, level: u8) -> Vec<u8> {
    pyc(&format!("{source} at {level}"))
}

/// The actions of `step` on `model` in [`context`].
pub(crate) fn actions(step: StepName, model: &Model) -> Vec<Action> {
    step_actions(step, model, &context()).expect("a built tree can be planned")
}

/// `model` after `actions`.
pub(crate) fn applied(model: &Model, actions: &[Action]) -> Model {
    let mut after = model.clone();
    for action in actions {
        after.apply(action);
    }
    after
}

/// The file paths of `model`, in order.
pub(crate) fn paths(model: &Model) -> Vec<String> {
    model
        .files
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// The directories of `model` (the root is `""`), in order.
pub(crate) fn dirs(model: &Model) -> Vec<String> {
    model
        .dirs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

pub(crate) fn remove(path: &str) -> Action {
    Action::Remove(PathBuf::from(path))
}

pub(crate) fn remove_dir(path: &str) -> Action {
    Action::RemoveDir(PathBuf::from(path))
}

pub(crate) fn link(existing: &str, target: &str) -> Action {
    Action::Link {
        existing: PathBuf::from(existing),
        target: PathBuf::from(target),
    }
}

/// The bytes the first of `actions` that writes `path` writes.
pub(crate) fn written(actions: &[Action], path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    actions
        .iter()
        .find_map(|action| match action {
            Action::Write { path: p, bytes, .. } if p == path => Some(bytes.to_vec()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing writes `{}`", path.display()))
}

/// The bytes of a file of `model`.
pub(crate) fn bytes_of(model: &Model, path: &str) -> Vec<u8> {
    let file = model
        .file(Path::new(path))
        .unwrap_or_else(|| panic!("`{path}` is in the model"));
    context().read(file).expect("bytes in memory").to_vec()
}

#[derive(Debug)]
enum Entry {
    File {
        bytes: Vec<u8>,
        mode: u32,
        ino: u64,
    },
    /// A hardlink of another path.
    Link(PathBuf),
}

/// A tree being described; [`TreeBuilder::build`] makes its model.
#[derive(Debug, Default)]
pub(crate) struct TreeBuilder {
    files: BTreeMap<PathBuf, Entry>,
    dirs: BTreeSet<PathBuf>,
    next_ino: u64,
}

impl TreeBuilder {
    pub(crate) fn new() -> TreeBuilder {
        TreeBuilder::default()
    }

    /// A regular file, mode 0644 (replacing what the path was).
    pub(crate) fn file(self, path: &str, bytes: impl AsRef<[u8]>) -> TreeBuilder {
        self.file_with_mode(path, bytes, 0o644)
    }

    /// A regular file with this mode.
    pub(crate) fn file_with_mode(
        mut self,
        path: &str,
        bytes: impl AsRef<[u8]>,
        mode: u32,
    ) -> TreeBuilder {
        self.next_ino += 1;
        self.files.insert(
            PathBuf::from(path),
            Entry::File {
                bytes: bytes.as_ref().to_vec(),
                mode,
                ino: self.next_ino,
            },
        );
        self
    }

    /// `target` a hardlink of the file `existing` (described before it).
    pub(crate) fn link(mut self, existing: &str, target: &str) -> TreeBuilder {
        assert!(
            self.files.contains_key(Path::new(existing)),
            "link to `{existing}`, which is not described yet"
        );
        self.files
            .insert(PathBuf::from(target), Entry::Link(PathBuf::from(existing)));
        self
    }

    /// A directory (with its parents), empty unless files go in it.
    pub(crate) fn dir(mut self, path: &str) -> TreeBuilder {
        self.dirs.insert(PathBuf::from(path));
        self
    }

    /// A source and its caches at `levels`, with [`cache_bytes`] (each level different).
    pub(crate) fn source_with_caches(self, source: &str, text: &str, levels: &[u8]) -> TreeBuilder {
        let mut builder = self.file(source, text);
        for &level in levels {
            builder = builder.file(&cache_path(source, level), cache_bytes(source, level));
        }
        builder
    }

    /// A source and its caches at opt 0, 1 and 2 as `compileall
    /// --hardlink-dupes` leaves a module without asserts or docstrings:
    /// opt-1 a hardlink of opt-0, opt-2 its own file.
    pub(crate) fn module(self, source: &str, text: &str) -> TreeBuilder {
        self.source_with_caches(source, text, &[0, 2])
            .link(&cache_path(source, 0), &cache_path(source, 1))
    }

    /// The model of the tree, as [`Model::from_inventory`] makes it from a
    /// walk; every file's origin is its bytes.
    pub(crate) fn build(self) -> Model {
        let mut dirs: BTreeSet<PathBuf> = self.dirs.clone();
        dirs.insert(PathBuf::new());
        for path in self.files.keys().chain(self.dirs.iter()) {
            let mut parent = path.parent();
            while let Some(p) = parent {
                dirs.insert(p.to_path_buf());
                parent = p.parent();
            }
        }
        let layout = Layout::detect(
            dirs.iter().map(PathBuf::as_path),
            &[],
            self.files.contains_key(Path::new("pyvenv.cfg")),
        );
        let resolve = |path: &Path| -> (&Vec<u8>, u32, u64) {
            let mut at = path;
            loop {
                match &self.files[at] {
                    Entry::File { bytes, mode, ino } => return (bytes, *mode, *ino),
                    Entry::Link(existing) => at = existing,
                }
            }
        };
        let nlinks: HashMap<u64, u64> =
            self.files.keys().fold(HashMap::new(), |mut counts, path| {
                *counts.entry(resolve(path).2).or_default() += 1;
                counts
            });
        let mut seen = BTreeSet::new();
        let mut bytes_of = BTreeMap::new();
        let files: Vec<InventoryFile> = self
            .files
            .keys()
            .map(|path| {
                let (bytes, mode, ino) = resolve(path);
                let len = bytes.len() as u64;
                bytes_of.insert(path.clone(), Arc::<[u8]>::from(bytes.as_slice()));
                InventoryFile {
                    path: path.clone(),
                    kind: Kind::of(path),
                    module: layout.module_of(path),
                    apparent: len,
                    disk: len.div_ceil(BLOCK) * BLOCK,
                    inode: (1, ino),
                    nlink: nlinks[&ino],
                    first_link: seen.insert(ino),
                    mode: 0o100_000 | mode,
                    mtime_ns: 0,
                    ctime_ns: 0,
                    uid: 0,
                    gid: 0,
                    is_symlink: false,
                    target_inside: false,
                }
            })
            .collect();
        let directories_list: Vec<(PathBuf, u64)> =
            dirs.iter().map(|d| (d.clone(), BLOCK)).collect();
        let inventory = Inventory {
            root: PathBuf::from(ROOT),
            layout,
            files,
            directories: Sizes {
                files: dirs.len() as u64,
                apparent_bytes: dirs.len() as u64 * BLOCK,
                disk_bytes: dirs.len() as u64 * BLOCK,
            },
            directories_list,
            warnings: Vec::new(),
            interpreter_links: Vec::new(),
        };
        let mut model = Model::from_inventory(&inventory, BLOCK);
        for (path, file) in &mut model.files {
            file.origin = Origin::Bytes(Arc::clone(&bytes_of[path.as_path()]));
        }
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_what_a_walk_would_find() {
        let ext = "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so";
        let model = TreeBuilder::new()
            .file("os.py", "import sys\n")
            .module("json/__init__.py", "from .decoder import JSONDecoder\n")
            .file(ext, vec![0u8; 5000])
            .file("test/test_json.py", "import json\n")
            .dir("site-packages")
            .build();
        let paths: Vec<&str> = model
            .files
            .keys()
            .map(|p| p.to_str().expect("utf-8"))
            .collect();
        assert_eq!(
            paths,
            [
                "json/__init__.py",
                "json/__pycache__/__init__.cpython-311.opt-1.pyc",
                "json/__pycache__/__init__.cpython-311.opt-2.pyc",
                "json/__pycache__/__init__.cpython-311.pyc",
                ext,
                "os.py",
                "test/test_json.py",
            ]
        );
        let file = |p: &str| model.file_at(Path::new(p));
        let kinds: Vec<Kind> = paths.iter().map(|p| file(p).kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Source,
                Kind::BytecodeOpt1,
                Kind::BytecodeOpt2,
                Kind::BytecodeOpt0,
                Kind::Extension,
                Kind::Source,
                Kind::Source,
            ]
        );
        let modules: Vec<&str> = paths.iter().map(|p| file(p).module.as_str()).collect();
        assert_eq!(
            modules,
            ["json", "json", "json", "json", "_json", "os", "test"]
        );
        let opt0 = cache_path("json/__init__.py", 0);
        let opt1 = cache_path("json/__init__.py", 1);
        let opt2 = cache_path("json/__init__.py", 2);
        assert_eq!(file(&opt0).inode, file(&opt1).inode);
        assert_ne!(file(&opt0).inode, file(&opt2).inode);
        assert_eq!(
            file(&opt1).origin,
            Origin::Bytes(Arc::from(cache_bytes("json/__init__.py", 0)))
        );
        assert_eq!(file(ext).apparent, 5000);
        assert_eq!(file(ext).disk, 2 * BLOCK);
        assert_eq!(file("os.py").mode, 0o644);
        let dirs: Vec<&str> = model
            .dirs
            .iter()
            .map(|p| p.to_str().expect("utf-8"))
            .collect();
        assert_eq!(
            dirs,
            [
                "",
                "json",
                "json/__pycache__",
                "lib-dynload",
                "site-packages",
                "test"
            ]
        );
        // Five files of one block (the linked cache once), one of two, six directories.
        assert_eq!(model.disk_total(), (5 + 2 + 6) * BLOCK);
    }

    #[test]
    fn modules_are_named_from_the_library_directory_of_a_prefix() {
        let model = TreeBuilder::new()
            .file("bin/python3.11", "")
            .module("lib/python3.11/email/mime/text.py", "")
            .file("lib/python3.11/site-packages/six.py", "")
            .build();
        let modules: Vec<(&str, &str)> = model
            .files
            .iter()
            .map(|(p, f)| (p.to_str().expect("utf-8"), f.module.as_str()))
            .collect();
        assert_eq!(
            modules,
            [
                ("bin/python3.11", "bin/"),
                (
                    "lib/python3.11/email/mime/__pycache__/text.cpython-311.opt-1.pyc",
                    "email"
                ),
                (
                    "lib/python3.11/email/mime/__pycache__/text.cpython-311.opt-2.pyc",
                    "email"
                ),
                (
                    "lib/python3.11/email/mime/__pycache__/text.cpython-311.pyc",
                    "email"
                ),
                ("lib/python3.11/email/mime/text.py", "email"),
                ("lib/python3.11/site-packages/six.py", "six"),
            ]
        );
    }
}
