//! The inventory of a tree: every file classified, and the totals of the
//! footprint tables (per kind, per top-level module) with each inode counted
//! once, attributed to the first of its paths in sorted order.

use crate::kind::Kind;
use crate::layout::{Layout, ModuleRole};
use crate::walk::{self, ScanOptions, TreeError, Warning};
use pyprune_pyc::CacheFileName;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

/// A count of files with their apparent size (`st_size`) and real disk usage (`st_blocks` × 512).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sizes {
    /// Paths counted (every hardlink is a path).
    pub files: u64,
    /// Sum of `st_size`, each inode once.
    pub apparent_bytes: u64,
    /// Sum of `st_blocks` × 512, each inode once.
    pub disk_bytes: u64,
}

impl Sizes {
    /// Counts `file`: its path always, its bytes if it is its inode's first path.
    pub fn add(&mut self, file: &InventoryFile) {
        self.files += 1;
        if file.first_link {
            self.apparent_bytes += file.apparent;
            self.disk_bytes += file.disk;
        }
    }
}

/// Totals per kind; in a [`Summary`] every kind is present, in a module only those it has.
pub type KindTotals = BTreeMap<Kind, Sizes>;

/// One file of the tree.
#[derive(Debug, Clone)]
pub struct InventoryFile {
    /// Relative to the tree root.
    pub path: PathBuf,
    /// What the file is to Python.
    pub kind: Kind,
    /// The top-level module it belongs to.
    pub module: String,
    /// `st_size`.
    pub apparent: u64,
    /// `st_blocks` × 512.
    pub disk: u64,
    /// Device and inode number: equal for hardlinks.
    pub inode: (u64, u64),
    /// `st_nlink`: how many paths the inode has, in the tree or outside it.
    pub nlink: u64,
    /// Whether this is the first path of its inode in sorted order, the one its bytes count for.
    pub first_link: bool,
    /// `st_mode` (file type and permissions), `st_uid`, `st_gid`.
    pub mode: u32,
    /// `st_mtime` and `st_ctime` in nanoseconds, as the walk saw them.
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub uid: u32,
    pub gid: u32,
    /// A symlink, counted as itself and never followed by the walk.
    pub is_symlink: bool,
    /// False for a symlink that leads nowhere or out of the tree (true for other files).
    pub target_inside: bool,
}

/// A scanned tree.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The canonical root.
    pub root: PathBuf,
    /// Its import roots.
    pub layout: Layout,
    /// Every non-directory entry, sorted by path.
    pub files: Vec<InventoryFile>,
    /// The directories, the root included (`files` counts directories here).
    pub directories: Sizes,
    /// Every directory (relative; the root is the empty path) with its disk bytes.
    pub directories_list: Vec<(PathBuf, u64)>,
    /// Problems met on the way, sorted by path.
    pub warnings: Vec<Warning>,
    /// A venv's `bin/python*` links to its base interpreter, out of the
    /// tree as every venv's are: expected, so not among the warnings.
    pub interpreter_links: Vec<PathBuf>,
}

/// Paths sharing an inode with another path of the tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Hardlinks {
    /// How many paths share their inode with at least one other path in the tree.
    pub paths: u64,
    /// Disk bytes that separate copies of those paths would take on top of what they take now.
    pub saved_bytes: u64,
}

/// One top-level module's share of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleSummary {
    /// `email`, `_ssl`, `bin/` (files outside every import root, grouped by top directory).
    pub name: String,
    /// Its totals.
    #[serde(flatten)]
    pub sizes: Sizes,
    /// Its totals per kind, only kinds it has.
    pub by_kind: KindTotals,
    /// Whether it is a module, or a directory that only looks like one
    /// (`numpy.libs`, `config-3.11-x86_64-linux-gnu`, `bin/`).
    pub role: ModuleRole,
}

/// The footprint tables of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// All files.
    pub totals: Sizes,
    /// Per kind, every kind present.
    pub by_kind: KindTotals,
    /// Per top-level module, largest disk usage first.
    pub modules: Vec<ModuleSummary>,
    /// Hardlink sharing inside the tree.
    pub hardlinks: Hardlinks,
    /// How many bytecode caches carry each cache tag (`cpython-311`: 1200).
    pub cache_tags: BTreeMap<String, u64>,
}

impl Inventory {
    /// Walks and classifies the tree at `root`.
    pub fn scan(root: &Path, options: &ScanOptions<'_>) -> Result<Inventory, TreeError> {
        let root_as_given = std::path::absolute(root).ok();
        let root = root.canonicalize().map_err(|source| TreeError::Root {
            path: root.to_path_buf(),
            source,
        })?;
        let given = root_as_given.filter(|given| *given != root);
        let walked = walk::walk(&root, given.as_slice(), options.progress)?;

        let hints: Vec<PathBuf> = options
            .import_roots
            .iter()
            .filter_map(|hint| hint.canonicalize().ok())
            .filter_map(|hint| hint.strip_prefix(&root).ok().map(Path::to_path_buf))
            .collect();
        let has_pyvenv_cfg = walked
            .files
            .iter()
            .any(|f| f.rel == Path::new("pyvenv.cfg"));
        let layout = Layout::detect(
            walked.dirs.iter().map(|d| d.rel.as_path()),
            &hints,
            has_pyvenv_cfg,
        );

        let mut directories = Sizes::default();
        let mut directories_list: Vec<(PathBuf, u64)> = walked
            .dirs
            .iter()
            .map(|d| (d.rel.clone(), d.disk))
            .collect();
        directories_list.sort_by(|a, b| compare_paths(&a.0, &b.0));
        for dir in &walked.dirs {
            directories.files += 1;
            directories.apparent_bytes += dir.apparent;
            directories.disk_bytes += dir.disk;
        }

        let mut raw = walked.files;
        raw.par_sort_unstable_by(|a, b| compare_paths(&a.rel, &b.rel));
        let mut files: Vec<InventoryFile> = raw
            .into_par_iter()
            .map(|raw| InventoryFile {
                kind: Kind::of(&raw.rel),
                module: layout.module_of(&raw.rel),
                path: raw.rel,
                apparent: raw.apparent,
                disk: raw.disk,
                inode: (raw.dev, raw.ino),
                nlink: raw.nlink,
                first_link: true,
                mode: raw.mode,
                mtime_ns: raw.mtime_ns,
                ctime_ns: raw.ctime_ns,
                uid: raw.uid,
                gid: raw.gid,
                is_symlink: raw.is_symlink,
                target_inside: raw.target_inside,
            })
            .collect();
        // Only inodes with several links can be met twice; the first path in sorted order keeps the bytes.
        let mut seen_inodes: HashSet<(u64, u64)> = HashSet::new();
        for file in files.iter_mut().filter(|f| f.nlink > 1) {
            file.first_link = seen_inodes.insert(file.inode);
        }

        let mut warnings = walked.warnings;
        let interpreter_links = if has_pyvenv_cfg {
            venv_interpreter_links(&root, &files)
        } else {
            Vec::new()
        };
        warnings.retain(|w| {
            !interpreter_links
                .iter()
                .any(|link| w.path.strip_prefix(&root) == Ok(link.as_path()))
        });
        sort_warnings(&mut warnings);
        Ok(Inventory {
            root,
            layout,
            files,
            directories,
            directories_list,
            warnings,
            interpreter_links,
        })
    }

    /// Computes the footprint tables.
    pub fn summary(&self) -> Summary {
        let mut totals = Sizes::default();
        let mut by_kind: KindTotals = Kind::ALL.iter().map(|&k| (k, Sizes::default())).collect();
        let mut modules: HashMap<&str, (Sizes, KindTotals, ModuleRole)> = HashMap::new();
        let mut cache_tags: BTreeMap<String, u64> = BTreeMap::new();
        let mut links_per_inode: HashMap<(u64, u64), (u64, u64)> = HashMap::new();

        for file in &self.files {
            totals.add(file);
            by_kind.entry(file.kind).or_default().add(file);
            let (module_sizes, module_kinds, _) =
                modules.entry(&file.module).or_insert_with(|| {
                    (
                        Sizes::default(),
                        KindTotals::new(),
                        self.layout.role_of(&file.path),
                    )
                });
            module_sizes.add(file);
            module_kinds.entry(file.kind).or_default().add(file);
            if matches!(
                file.kind,
                Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
            ) {
                let name = file
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                if let Some(cache) = CacheFileName::parse(&name) {
                    *cache_tags.entry(cache.tag.to_owned()).or_default() += 1;
                }
            }
            if file.nlink > 1 {
                let (count, disk) = links_per_inode.entry(file.inode).or_default();
                *count += 1;
                if file.first_link {
                    *disk = file.disk;
                }
            }
        }

        let mut hardlinks = Hardlinks::default();
        for (count, disk) in links_per_inode
            .into_values()
            .filter(|(count, _)| *count > 1)
        {
            hardlinks.paths += count;
            hardlinks.saved_bytes += (count - 1) * disk;
        }

        let mut modules: Vec<ModuleSummary> = modules
            .into_iter()
            .map(|(name, (sizes, by_kind, role))| ModuleSummary {
                name: name.to_owned(),
                sizes,
                by_kind,
                role,
            })
            .collect();
        modules.sort_by(|a, b| {
            b.sizes
                .disk_bytes
                .cmp(&a.sizes.disk_bytes)
                .then_with(|| a.name.cmp(&b.name))
        });

        Summary {
            totals,
            by_kind,
            modules,
            hardlinks,
            cache_tags,
        }
    }
}

/// The `bin/python*` symlinks of a venv that lead out of the tree to an
/// existing file (`python -m venv` links them to the base interpreter). One
/// that leads nowhere is a broken venv, and still warned about.
fn venv_interpreter_links(root: &Path, files: &[InventoryFile]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| f.is_symlink && !f.target_inside)
        .filter(|f| {
            f.path.parent() == Some(Path::new("bin"))
                && f.path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("python"))
        })
        .filter(|f| root.join(&f.path).metadata().is_ok_and(|m| m.is_file()))
        .map(|f| f.path.clone())
        .collect()
}

/// Warnings are reported in path order, then by message.
pub(crate) fn sort_warnings(warnings: &mut [Warning]) {
    warnings
        .sort_by(|a, b| compare_paths(&a.path, &b.path).then_with(|| a.message.cmp(&b.message)));
}

/// The order of `Path::cmp` (component by component) computed on the bytes:
/// for normalized paths it is byte order with `/` ranked below every other
/// byte, and much cheaper than splitting both paths into components.
fn compare_paths(a: &Path, b: &Path) -> std::cmp::Ordering {
    let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
    let (a, b) = (a.as_os_str().as_bytes(), b.as_os_str().as_bytes());
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    match (a.get(common), b.get(common)) {
        (Some(&x), Some(&y)) => rank(x).cmp(&rank(y)),
        _ => a.len().cmp(&b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_agrees_with_component_order() {
        let mut paths: Vec<&Path> = [
            "a-b/x", "a/x", "a/x/y", "a", "a.b", "a/b", "ab", "A", "a/x-y", "a/x/a", "é", "z/\u{1}",
        ]
        .iter()
        .map(Path::new)
        .collect();
        let mut expected = paths.clone();
        expected.sort();
        paths.sort_by(|a, b| compare_paths(a, b));
        assert_eq!(paths, expected);
    }
}
