//! Installs: sets of layers a system may have (`core`, `core+bytecode-opt0`,
//! ...). The default chain adds one layer at a time, caches first; each
//! install of a chain must be a file-wise subset of the next. Their sizes
//! count each inode once, and the directories that hold their files.

use crate::split::{Split, SplitFile};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// A set of layers, by index, in the split's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// `core+bytecode-opt0`.
    pub name: String,
    pub layers: BTreeSet<usize>,
}

/// Why an install was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstallError {
    #[error("install `{install}` names no layer `{layer}` (layers: {known})")]
    UnknownLayer {
        install: String,
        layer: String,
        known: String,
    },
}

/// Sizes of a set of files and directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sizes {
    pub files: u64,
    /// `st_size` of every file.
    pub apparent_bytes: u64,
    /// Disk usage of the files, each inode once, and of the directories
    /// that hold them (what `du` says of the install laid out alone).
    pub disk_bytes: u64,
}

impl Install {
    /// Parses `core+bytecode-opt0` against the split's layer names.
    pub fn parse(text: &str, split: &Split) -> Result<Install, InstallError> {
        let layers = text
            .split('+')
            .map(str::trim)
            .map(|name| {
                split
                    .layer_named(name)
                    .ok_or_else(|| InstallError::UnknownLayer {
                        install: text.to_owned(),
                        layer: name.to_owned(),
                        known: split
                            .layers
                            .iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect::<Result<BTreeSet<usize>, InstallError>>()?;
        Ok(Install {
            name: text.to_owned(),
            layers,
        })
    }

    /// Whether the install holds `file`.
    pub fn holds(&self, file: &SplitFile) -> bool {
        file.layers.iter().any(|l| self.layers.contains(l))
    }
}

/// The order layers are installed in: the base, the cache layers, the rest
/// as the split orders them. Directories are owned by the first layer of
/// this order that needs them.
pub fn install_order(split: &Split) -> Vec<usize> {
    let base = split.base();
    let caches = (0..split.layers.len()).filter(|&l| l != base && split.is_bytecode_layer(l));
    let others = (0..split.layers.len()).filter(|&l| l != base && !split.is_bytecode_layer(l));
    std::iter::once(base).chain(caches).chain(others).collect()
}

/// The default chain: the base alone, then one layer more at a time in
/// [`install_order`], empty layers left out.
pub fn default_chain(split: &Split) -> Vec<Install> {
    let mut chain: Vec<Install> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut layers = BTreeSet::new();
    for layer in install_order(split) {
        if split.files_of(layer).next().is_none() && !chain.is_empty() {
            continue;
        }
        names.push(&split.layers[layer].name);
        layers.insert(layer);
        chain.push(Install {
            name: names.join("+"),
            layers: layers.clone(),
        });
    }
    chain
}

/// A file of an install that the next install of its chain lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotASubset {
    pub smaller: String,
    pub larger: String,
    /// The first few files missing from the larger (relative paths, as shown).
    pub missing: Vec<String>,
    pub missing_count: u64,
}

/// Where an install of `chain` is not a file-wise subset of the next.
pub fn subset_failures(split: &Split, chain: &[Install]) -> Vec<NotASubset> {
    chain
        .windows(2)
        .filter_map(|pair| {
            let missing: Vec<&SplitFile> = split
                .files
                .iter()
                .filter(|f| pair[0].holds(f) && !pair[1].holds(f))
                .collect();
            (!missing.is_empty()).then(|| NotASubset {
                smaller: pair[0].name.clone(),
                larger: pair[1].name.clone(),
                missing: missing
                    .iter()
                    .take(10)
                    .map(|f| pyprune_fs::display_path(&f.path))
                    .collect(),
                missing_count: missing.len() as u64,
            })
        })
        .collect()
}

/// The directories (relative) an install lays out: those above its files,
/// and the directories holding no file at all, which go with every install.
pub fn directories_of<'a>(split: &'a Split, install: &Install) -> Vec<&'a Path> {
    let mut needed: BTreeSet<&Path> = BTreeSet::new();
    let mut any: BTreeSet<&Path> = BTreeSet::new();
    for file in &split.files {
        let holds = install.holds(file);
        for dir in file.path.ancestors().skip(1) {
            if dir.as_os_str().is_empty() {
                break;
            }
            any.insert(dir);
            if holds {
                needed.insert(dir);
            }
        }
    }
    split
        .directories
        .iter()
        .map(|(dir, _)| dir.as_path())
        .filter(|dir| needed.contains(dir) || !any.contains(dir))
        .collect()
}

/// The sizes of an install, as the inventory measured its files and directories.
pub fn sizes_of(split: &Split, install: &Install) -> Sizes {
    let mut sizes = Sizes::default();
    let mut inodes = BTreeSet::new();
    for file in split.files.iter().filter(|f| install.holds(f)) {
        sizes.files += 1;
        sizes.apparent_bytes += file.apparent;
        if inodes.insert(file.inode) {
            sizes.disk_bytes += file.disk;
        }
    }
    let dirs: BTreeSet<&Path> = directories_of(split, install).into_iter().collect();
    sizes.disk_bytes += split.root_disk
        + split
            .directories
            .iter()
            .filter(|(dir, _)| dirs.contains(dir.as_path()))
            .map(|(_, disk)| disk)
            .sum::<u64>();
    sizes
}

/// The sizes of one layer's files alone (each inode once; no directories).
pub fn layer_sizes(split: &Split, layer: usize) -> Sizes {
    let mut sizes = Sizes::default();
    let mut inodes = BTreeSet::new();
    for file in split.files_of(layer) {
        sizes.files += 1;
        sizes.apparent_bytes += file.apparent;
        if inodes.insert(file.inode) {
            sizes.disk_bytes += file.disk;
        }
    }
    sizes
}
