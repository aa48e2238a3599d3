//! A tree's footprint by installed distribution (what each RECORD lists
//! that is on disk), the files no RECORD owns grouped by directory, and the
//! stdlib, third-party and other parts apart: what `analyze` reports beside
//! the by-kind table. And what a change costs each distribution, from two
//! models of the tree, whatever the actions between them were (`plan`).

use crate::model::Model;
use pyprune_dist::{Distributions, RecordState};
use pyprune_fs::display_path;
use pyprune_tree::{Inventory, Sizes, THIRD_PARTY_DIRS};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One distribution's share of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistFootprint {
    pub name: String,
    pub version: String,
    /// Its `*.dist-info` directory.
    pub dist_info: String,
    /// `listed` (RECORD read), `missing` (no RECORD: its files are counted
    /// as unowned) or `unusable` (malformed, or naming paths outside the tree).
    pub record: &'static str,
    /// The files its RECORD lists that are in the tree, each inode once
    /// (counted for the first of its paths in sorted order).
    #[serde(flatten)]
    pub sizes: Sizes,
    /// RECORD entries naming files that are not in the tree.
    pub listed_not_found: u64,
}

/// Files no RECORD lists, with the directories that hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unowned {
    #[serde(flatten)]
    pub sizes: Sizes,
    /// Grouped as the module table groups files (an import root's top-level
    /// directory, the import root itself, a top directory of the tree),
    /// largest disk usage first.
    pub dirs: Vec<DirSizes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirSizes {
    /// Relative to the tree root (`.` is the root).
    pub dir: String,
    #[serde(flatten)]
    pub sizes: Sizes,
}

/// The tree in three parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Parts {
    /// In an import root that is a standard library (it has `os.py`) or its `lib-dynload`.
    pub stdlib: Sizes,
    /// In a `site-packages` (`dist-packages`), in an import root holding
    /// `*.dist-info` directories, or listed by a RECORD (console scripts).
    pub third_party: Sizes,
    /// The rest: the interpreter, headers, a venv's `bin/` and `pyvenv.cfg`.
    pub other: Sizes,
}

/// The footprint of a tree by distribution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    /// Largest disk usage first.
    pub distributions: Vec<DistFootprint>,
    pub unowned: Unowned,
    pub parts: Parts,
}

impl Footprint {
    /// Counts every file of `inventory` for the distribution whose RECORD
    /// lists it (`distributions` read from the same tree), or as unowned.
    pub fn of(inventory: &Inventory, distributions: &Distributions) -> Footprint {
        let mut per_dist = vec![Sizes::default(); distributions.dists.len()];
        let mut unowned = Sizes::default();
        let mut unowned_dirs: HashMap<PathBuf, Sizes> = HashMap::new();
        let mut parts = Parts::default();
        let part_of_root = root_parts(inventory);
        let mut present: HashSet<&Path> = HashSet::with_capacity(inventory.files.len());
        for file in &inventory.files {
            present.insert(&file.path);
            let owner = distributions.listed(&file.path);
            match owner {
                Some(index) => per_dist[index].add(file),
                None => {
                    unowned.add(file);
                    unowned_dirs
                        .entry(inventory.layout.top_dir_of(&file.path))
                        .or_default()
                        .add(file);
                }
            }
            let part = match (owner, inventory.layout.import_root_of(&file.path)) {
                (Some(_), _) => Part::ThirdParty,
                (None, Some(root)) => part_of_root.get(root).copied().unwrap_or(Part::Other),
                (None, None) => Part::Other,
            };
            match part {
                Part::Stdlib => parts.stdlib.add(file),
                Part::ThirdParty => parts.third_party.add(file),
                Part::Other => parts.other.add(file),
            }
        }
        let mut dists: Vec<DistFootprint> = distributions
            .dists
            .iter()
            .zip(per_dist)
            .map(|(dist, sizes)| DistFootprint {
                name: dist.name.clone(),
                version: dist.version.clone(),
                dist_info: display_path(&dist.dist_info),
                record: match dist.record {
                    RecordState::Listed(_) => "listed",
                    RecordState::Missing => "missing",
                    RecordState::Unusable(_) => "unusable",
                },
                sizes,
                listed_not_found: dist
                    .files
                    .iter()
                    .filter(|f| !present.contains(f.as_path()))
                    .count() as u64,
            })
            .collect();
        dists.sort_by(|a, b| {
            (b.sizes.disk_bytes.cmp(&a.sizes.disk_bytes)).then_with(|| a.name.cmp(&b.name))
        });
        let mut dirs: Vec<DirSizes> = unowned_dirs
            .into_iter()
            .map(|(dir, sizes)| DirSizes {
                dir: if dir.as_os_str().is_empty() {
                    ".".to_owned()
                } else {
                    display_path(&dir)
                },
                sizes,
            })
            .collect();
        dirs.sort_by(|a, b| {
            (b.sizes.disk_bytes.cmp(&a.sizes.disk_bytes)).then_with(|| a.dir.cmp(&b.dir))
        });
        Footprint {
            distributions: dists,
            unowned: Unowned {
                sizes: unowned,
                dirs,
            },
            parts,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Stdlib,
    ThirdParty,
    Other,
}

/// Which part each import root's files (that no RECORD lists) are in.
fn root_parts(inventory: &Inventory) -> HashMap<&Path, Part> {
    let files: HashSet<&Path> = inventory.files.iter().map(|f| f.path.as_path()).collect();
    let holds_dist_info: HashSet<&Path> = inventory
        .directories_list
        .iter()
        .filter(|(dir, _)| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"))
        })
        .filter_map(|(dir, _)| dir.parent())
        .collect();
    inventory
        .layout
        .roots()
        .iter()
        .map(|root| {
            let name = root.file_name().unwrap_or_default();
            let part = if THIRD_PARTY_DIRS.iter().any(|t| name == *t)
                || holds_dist_info.contains(root.as_path())
            {
                Part::ThirdParty
            } else if name == "lib-dynload"
                || pyprune_tree::is_stdlib_dir(root, |p| files.contains(p))
            {
                Part::Stdlib
            } else {
                Part::Other
            };
            (root.as_path(), part)
        })
        .collect()
}

/// What a change of the tree saves one distribution: disk bytes of the
/// files and directories it owns before less after (negative: it grew).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistCost {
    /// `None`: files no distribution owns.
    pub distribution: Option<String>,
    pub saved_bytes: i64,
}

/// Disk bytes per owner in a model (the index in `Distributions::dists`,
/// `None` for unowned), files each inode once (for its first path) and
/// directories: attributed with [`Distributions::owner_of`], so that a file a step adds
/// in a distribution's directory is that distribution's.
pub fn disk_by_owner(model: &Model, distributions: &Distributions) -> HashMap<Option<usize>, u64> {
    let mut by_owner: HashMap<Option<usize>, u64> = HashMap::new();
    let mut seen = HashSet::new();
    for (path, file) in &model.files {
        if seen.insert(file.inode) {
            *by_owner.entry(distributions.owner_of(path)).or_default() += file.disk;
        }
    }
    for dir in &model.dirs {
        *by_owner.entry(distributions.owner_of(dir)).or_default() += model.dir_disk(dir);
    }
    by_owner
}

/// The cost per distribution of going from the model whose
/// [`disk_by_owner`] is `before` to `after`: distributions that changed,
/// largest saving first, unowned files last among equals.
pub fn costs(
    before: &HashMap<Option<usize>, u64>,
    after: &HashMap<Option<usize>, u64>,
    distributions: &Distributions,
) -> Vec<DistCost> {
    let mut saved: BTreeMap<Option<usize>, i64> = BTreeMap::new();
    for (owner, bytes) in before {
        *saved.entry(*owner).or_default() += *bytes as i64;
    }
    for (owner, bytes) in after {
        *saved.entry(*owner).or_default() -= *bytes as i64;
    }
    let mut costs: Vec<DistCost> = saved
        .into_iter()
        .filter(|(_, bytes)| *bytes != 0)
        .map(|(owner, saved_bytes)| DistCost {
            distribution: owner.map(|i| distributions.dists[i].name.clone()),
            saved_bytes,
        })
        .collect();
    costs.sort_by(|a, b| {
        b.saved_bytes
            .cmp(&a.saved_bytes)
            .then_with(|| a.distribution.is_none().cmp(&b.distribution.is_none()))
            .then_with(|| a.distribution.cmp(&b.distribution))
    });
    costs
}
