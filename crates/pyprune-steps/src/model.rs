//! The model of a tree that steps plan against: its files (with sizes and
//! inodes, hardlinks shared) and directories, updated by actions exactly as
//! the disk would be, so that its size is the prediction.

use crate::action::Action;
pub use crate::tree_path::{TreeKey, TreePath};
use pyprune_tree::{Inventory, Kind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound::{Excluded, Unbounded};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a file's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// In the tree, at this relative path as it was scanned.
    Disk(TreePath),
    /// Written by an earlier step.
    Bytes(Arc<[u8]>),
}

/// One file as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    pub origin: Origin,
    /// `st_mode` permission bits.
    pub mode: u32,
    pub kind: Kind,
    /// Top-level module it belongs to.
    pub module: String,
    pub apparent: u64,
    pub disk: u64,
    /// Identity of its data: files sharing it are hardlinks.
    pub inode: u64,
    /// A symlink: steps may remove it or leave it, never read through it,
    /// rewrite it or take its mode (which is the link's, not the target's).
    pub symlink: bool,
}

/// A tree as planned: files by relative path, directories, and the block size new files round to.
#[derive(Debug, Clone)]
pub struct Model {
    pub files: BTreeMap<TreePath, ModelFile>,
    pub dirs: BTreeSet<TreePath>,
    pub block_size: u64,
    /// Disk bytes of each directory, as found (new ones take one block).
    dir_disk: rustc_hash::FxHashMap<PathBuf, u64>,
    next_inode: u64,
}

impl Model {
    /// The model of a scanned tree.
    pub fn from_inventory(inventory: &Inventory, block_size: u64) -> Model {
        let mut inodes: HashMap<(u64, u64), u64> = HashMap::new();
        let mut files = BTreeMap::new();
        for file in &inventory.files {
            let next = inodes.len() as u64;
            let inode = *inodes.entry(file.inode).or_insert(next);
            let path = TreePath::from(file.path.as_path());
            files.insert(
                path.clone(),
                ModelFile {
                    origin: Origin::Disk(path),
                    mode: file.mode & 0o7777,
                    kind: file.kind,
                    module: file.module.clone(),
                    apparent: file.apparent,
                    disk: file.disk,
                    inode,
                    symlink: file.is_symlink,
                },
            );
        }
        let dirs: BTreeSet<TreePath> = inventory
            .directories_list
            .iter()
            .map(|(p, _)| TreePath::from(p.as_path()))
            .collect();
        let dir_disk = inventory.directories_list.iter().cloned().collect();
        Model {
            files,
            dirs,
            block_size,
            dir_disk,
            next_inode: inodes.len() as u64,
        }
    }

    /// Disk bytes of files (each inode once) and directories: what `du -s` would say.
    pub fn disk_total(&self) -> u64 {
        let mut seen = HashMap::new();
        for file in self.files.values() {
            seen.insert(file.inode, file.disk);
        }
        let dirs: u64 = self.dirs.iter().map(|d| self.dir_disk(d)).sum();
        seen.values().sum::<u64>() + dirs
    }

    /// Disk bytes of the files (each inode once) and directories at or below
    /// `dirs`: the part of [`Model::disk_total`] they hold.
    pub fn disk_under(&self, dirs: &[PathBuf]) -> u64 {
        let under = |path: &Path| dirs.iter().any(|d| path.starts_with(d));
        let mut seen = HashMap::new();
        for (_, file) in self.files.iter().filter(|(path, _)| under(path)) {
            seen.insert(file.inode, file.disk);
        }
        let dirs: u64 = self
            .dirs
            .iter()
            .filter(|d| under(d))
            .map(|d| self.dir_disk(d))
            .sum();
        seen.values().sum::<u64>() + dirs
    }

    /// Disk bytes of the directory `dir` of the model (a new one takes one block).
    pub fn dir_disk(&self, dir: &Path) -> u64 {
        self.dir_disk.get(dir).copied().unwrap_or(self.block_size)
    }

    /// Disk bytes a new file of `len` bytes takes.
    pub fn blocks_for(&self, len: u64) -> u64 {
        len.div_ceil(self.block_size) * self.block_size
    }

    /// The file at `path`, if the model has one.
    pub fn file(&self, path: &Path) -> Option<&ModelFile> {
        self.files.get(TreeKey::of(path))
    }

    /// The file at `path`, which the model has.
    ///
    /// # Panics
    /// If the model has no file at `path`.
    pub fn file_at(&self, path: &Path) -> &ModelFile {
        &self.files[TreeKey::of(path)]
    }

    /// Whether the model has a file at `path`.
    pub fn has_file(&self, path: &Path) -> bool {
        self.files.contains_key(TreeKey::of(path))
    }

    /// Whether the model has the directory `path`.
    pub fn has_dir(&self, path: &Path) -> bool {
        self.dirs.contains(TreeKey::of(path))
    }

    /// Takes the file at `path` out of the model.
    pub fn take_file(&mut self, path: &Path) -> Option<ModelFile> {
        self.files.remove(TreeKey::of(path))
    }

    /// Applies one action to the model.
    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::Remove(path) => {
                self.take_file(path);
            }
            Action::Link { existing, target } => {
                if let Some(file) = self.file(existing).cloned() {
                    self.files.insert(TreePath::from(target.as_path()), file);
                }
            }
            Action::Write {
                path,
                bytes,
                kind,
                module,
                mode,
            } => {
                let len = bytes.len() as u64;
                self.next_inode += 1;
                let file = ModelFile {
                    origin: Origin::Bytes(Arc::clone(bytes)),
                    mode: *mode,
                    kind: *kind,
                    module: module.clone(),
                    apparent: len,
                    disk: self.blocks_for(len),
                    inode: self.next_inode,
                    symlink: false,
                };
                // Most writes rewrite a file in place (its directories are there).
                if let Some(slot) = self.files.get_mut(TreeKey::of(path)) {
                    *slot = file;
                    return;
                }
                self.ensure_parents(path);
                self.files.insert(TreePath::from(path.as_path()), file);
            }
            Action::Move { from, to, kind } => {
                if let Some(mut file) = self.take_file(from) {
                    file.kind = *kind;
                    self.ensure_parents(to);
                    self.files.insert(TreePath::from(to.as_path()), file);
                }
            }
            Action::RemoveDir(path) => {
                self.dirs.remove(TreeKey::of(path));
            }
        }
    }

    /// Adds the directories above `path` that the model lacks; a path that
    /// leaves the tree (`../pythonXY.zip` beside a stdlib directory) adds
    /// none of the directories outside it.
    fn ensure_parents(&mut self, path: &Path) {
        let mut dir = path.parent();
        let inside = |d: &Path| {
            !d.as_os_str().is_empty()
                && d.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        };
        while let Some(d) = dir.filter(|d| inside(d)) {
            // Most are there already: no path made for them.
            if !self.has_dir(d) {
                self.dirs.insert(TreePath::from(d));
            }
            dir = d.parent();
        }
    }

    /// The files below `dir`, in the model's order. (Below a path come, in
    /// that order, exactly the paths under it.)
    pub fn files_below<'a>(
        &'a self,
        dir: &'a Path,
    ) -> impl Iterator<Item = (&'a TreePath, &'a ModelFile)> + 'a {
        self.files
            .range::<TreeKey, _>((Excluded(TreeKey::of(dir)), Unbounded))
            .take_while(move |(p, _)| p.starts_with(dir))
    }

    /// The directories below `dir`, in the model's order.
    pub fn dirs_below<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = &'a TreePath> + 'a {
        self.dirs
            .range::<TreeKey, _>((Excluded(TreeKey::of(dir)), Unbounded))
            .take_while(move |p| p.starts_with(dir))
    }

    /// Whether a file or directory of the model is below `dir`.
    pub fn holds_anything(&self, dir: &Path) -> bool {
        self.files_below(dir).next().is_some() || self.dirs_below(dir).next().is_some()
    }

    /// Directories that hold nothing (no file and no other directory below them).
    pub fn empty_dirs(&self) -> Vec<PathBuf> {
        let mut used: BTreeSet<&Path> = BTreeSet::new();
        for path in self.files.keys().chain(self.dirs.iter()) {
            let mut parent = path.parent();
            while let Some(p) = parent {
                if !used.insert(p) {
                    break;
                }
                parent = p.parent();
            }
        }
        self.dirs
            .iter()
            .filter(|d| !used.contains(d.as_path()) && !d.as_os_str().is_empty())
            .map(PathBuf::from)
            .collect()
    }
}
