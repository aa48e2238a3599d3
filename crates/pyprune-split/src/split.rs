//! The split itself: each file of an inventory given to the first layer
//! whose selector matches it, or read back from layer lists written before
//! (where a file may then be in no layer or in two, which `--check` finds).

use crate::layer::{CORE, Layer, Term};
use pyprune_steps::{Action, Context, Model, StepError, StepName};
use pyprune_tree::{Inventory, Kind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One file of the tree, with what the split needs of it.
#[derive(Debug, Clone)]
pub struct SplitFile {
    /// Relative to the tree root.
    pub path: PathBuf,
    pub kind: Kind,
    /// Its top-level module, as the inventory names it.
    pub module: String,
    /// Device and inode: equal for hardlinks.
    pub inode: (u64, u64),
    pub apparent: u64,
    pub disk: u64,
    pub symlink: bool,
    /// A sourceless layout's source (see [`Term::PySources`]).
    pub pysource: bool,
    /// The layers it is in (by index): one, unless lists read back say otherwise.
    pub layers: Vec<usize>,
}

/// A tree split into layers.
#[derive(Debug, Clone)]
pub struct Split {
    /// The tree's root (canonical).
    pub root: PathBuf,
    pub layers: Vec<Layer>,
    /// Sorted by path.
    pub files: Vec<SplitFile>,
    /// Every directory of the tree but the root, relative, with its disk bytes.
    pub directories: Vec<(PathBuf, u64)>,
    /// The root's own disk bytes.
    pub root_disk: u64,
    /// Paths a list names that the tree does not have: (layer, path).
    pub listed_absent: Vec<(usize, PathBuf)>,
    /// The files under the left-out directories (in no layer), sorted.
    pub third_party: Vec<SplitFile>,
}

/// The files an exclusion step removes from `model`, as `apply` would.
pub fn removed_by(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<BTreeSet<PathBuf>, StepError> {
    Ok(pyprune_steps::step_actions(step, model, context)?
        .into_iter()
        .filter_map(|action| match action {
            Action::Remove(path) => Some(path),
            _ => None,
        })
        .collect())
}

impl Split {
    /// Splits `inventory` by `layers`, first match wins; `removed_by_step`
    /// answers the `step:` terms (each step asked once). What is under
    /// `left_out` (relative directories: third-party packages) is not split.
    pub fn assign<E>(
        inventory: &Inventory,
        left_out: &[PathBuf],
        layers: Vec<Layer>,
        mut removed_by_step: impl FnMut(StepName) -> Result<BTreeSet<PathBuf>, E>,
    ) -> Result<Split, E> {
        let mut by_step: BTreeMap<StepName, BTreeSet<PathBuf>> = BTreeMap::new();
        for layer in &layers {
            for term in layer.selector.terms() {
                if let Term::Step(step) = term
                    && !by_step.contains_key(step)
                {
                    by_step.insert(*step, removed_by_step(*step)?);
                }
            }
        }
        let mut split = Split::empty(inventory, left_out, layers);
        for file in &mut split.files {
            let matches = |term: &Term| match term {
                Term::All => true,
                Term::Kind(kind) => file.kind == *kind,
                Term::Step(step) => by_step.get(step).is_some_and(|s| s.contains(&file.path)),
                Term::Module(name) => file.module == *name,
                Term::Path(prefix) => file.path.starts_with(prefix),
                Term::PySources => file.pysource,
            };
            file.layers = split
                .layers
                .iter()
                .position(|layer| layer.selector.matches(matches))
                .into_iter()
                .collect();
        }
        Ok(split)
    }

    /// The layers as lists name them: `lists` gives each layer's paths,
    /// relative to the tree root.
    pub fn from_lists(
        inventory: &Inventory,
        left_out: &[PathBuf],
        layers: Vec<Layer>,
        lists: &[Vec<PathBuf>],
    ) -> Split {
        let mut split = Split::empty(inventory, left_out, layers);
        let index: HashMap<PathBuf, usize> = split
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
        for (layer, paths) in lists.iter().enumerate() {
            for path in paths {
                match index.get(path) {
                    Some(&i) => split.files[i].layers.push(layer),
                    None => split.listed_absent.push((layer, path.clone())),
                }
            }
        }
        split
    }

    fn empty(inventory: &Inventory, left_out: &[PathBuf], layers: Vec<Layer>) -> Split {
        // pyprune's runtime's `.pth` goes in site-packages, but is the stdlib's.
        let outside = |path: &Path| {
            left_out.iter().any(|dir| path.starts_with(dir))
                && path.file_name() != Some(std::ffi::OsStr::new(pyprune_steps::RUNTIME_PTH))
        };
        let sourceless: BTreeSet<&Path> = inventory
            .files
            .iter()
            .filter(|f| f.kind == Kind::Sourceless)
            .map(|f| f.path.as_path())
            .collect();
        let (mut files, mut third_party): (Vec<SplitFile>, Vec<SplitFile>) = inventory
            .files
            .iter()
            .map(|f| SplitFile {
                path: f.path.clone(),
                kind: f.kind,
                module: f.module.clone(),
                inode: f.inode,
                apparent: f.apparent,
                disk: f.disk,
                symlink: f.is_symlink,
                pysource: is_pysource(&f.path, f.kind, &sourceless),
                layers: Vec::new(),
            })
            .partition(|f| !outside(&f.path));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        third_party.sort_by(|a, b| a.path.cmp(&b.path));
        let root_disk = std::fs::symlink_metadata(&inventory.root)
            .map(|m| std::os::unix::fs::MetadataExt::blocks(&m) * 512)
            .unwrap_or(0);
        let mut directories: Vec<(PathBuf, u64)> = inventory
            .directories_list
            .iter()
            // A left-out directory itself stays, empty: its parent's package
            // owns it (a stdlib's site-packages), not what is in it.
            .filter(|(p, _)| {
                !p.as_os_str().is_empty()
                    && !left_out.iter().any(|dir| p.starts_with(dir) && p != dir)
            })
            .cloned()
            .collect();
        directories.sort();
        Split {
            root: inventory.root.clone(),
            layers,
            files,
            directories,
            root_disk,
            listed_absent: Vec::new(),
            third_party,
        }
    }

    /// The index of a layer by name.
    pub fn layer_named(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|l| l.name == name)
    }

    /// The layer every install holds: `core`, else the last.
    pub fn base(&self) -> usize {
        self.layer_named(CORE)
            .unwrap_or(self.layers.len().saturating_sub(1))
    }

    /// The files of one layer.
    pub fn files_of(&self, layer: usize) -> impl Iterator<Item = &SplitFile> {
        self.files.iter().filter(move |f| f.layers.contains(&layer))
    }

    /// Whether a layer holds bytecode caches only (and some): an optional
    /// cache layer, whose files the base layer lists as `%ghost`.
    pub fn is_bytecode_layer(&self, layer: usize) -> bool {
        let mut files = self.files_of(layer).peekable();
        files.peek().is_some()
            && files.all(|f| {
                matches!(
                    f.kind,
                    Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
                )
            })
    }

    /// [`Split::is_bytecode_layer`] of every layer, by index.
    pub fn bytecode_layers(&self) -> Vec<bool> {
        (0..self.layers.len())
            .map(|l| self.is_bytecode_layer(l))
            .collect()
    }

    /// The layers holding a sourceless layout's sources: an install without
    /// one of them shows no source lines for some modules.
    pub fn source_layers(&self) -> BTreeSet<usize> {
        self.files
            .iter()
            .filter(|f| f.pysource)
            .flat_map(|f| f.layers.iter().copied())
            .collect()
    }

    /// Files in no layer.
    pub fn unassigned(&self) -> impl Iterator<Item = &SplitFile> {
        self.files.iter().filter(|f| f.layers.is_empty())
    }

    /// Files in more than one layer.
    pub fn in_several(&self) -> impl Iterator<Item = &SplitFile> {
        self.files.iter().filter(|f| f.layers.len() > 1)
    }

    /// Groups of paths sharing an inode whose paths are in different layers:
    /// two packages cannot ship one hardlinked file.
    pub fn cross_layer_links(&self) -> Vec<Vec<&SplitFile>> {
        let mut by_inode: BTreeMap<(u64, u64), Vec<&SplitFile>> = BTreeMap::new();
        for file in self.files.iter().filter(|f| !f.symlink) {
            by_inode.entry(file.inode).or_default().push(file);
        }
        by_inode
            .into_values()
            .filter(|group| {
                let layers: BTreeSet<&Vec<usize>> = group.iter().map(|f| &f.layers).collect();
                group.len() > 1 && layers.len() > 1
            })
            .collect()
    }
}

/// A sourceless layout's source: under `__pysources__`, or a `.py` whose
/// sourceless `.pyc` is beside it.
fn is_pysource(path: &Path, kind: Kind, sourceless: &BTreeSet<&Path>) -> bool {
    path.components().any(|c| c.as_os_str() == "__pysources__")
        || (kind == Kind::Source && sourceless.contains(path.with_extension("pyc").as_path()))
}
