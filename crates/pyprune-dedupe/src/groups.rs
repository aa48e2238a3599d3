//! Which files may be merged: grouped by what must be equal before their
//! content is even read — scope, filesystem, size, and unless only content
//! counts, mode, owner and group — from what the walk already knows.

use pyprune_pyc::CacheFileName;
use pyprune_tree::{Inventory, Kind};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A file that may be merged with its equals, as the walk saw it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Relative to the tree root.
    pub path: PathBuf,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub disk: u64,
    /// As the walk saw them: re-checked right before the file is replaced.
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

/// A module's caches: its `__pycache__` directory and `NAME.TAG`.
type CacheGroup = Option<(PathBuf, String)>;

/// What must be equal for two files to be compared at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    cache: CacheGroup,
    dev: u64,
    size: u64,
    /// Mode, owner and group, unless only content counts.
    attributes: Option<(u32, u32, u32)>,
    /// A source's modification time as its caches record it (whole seconds),
    /// always: a merged source takes its twin's mtime, which must not make its
    /// own caches stale.
    source_mtime: Option<i128>,
}

/// Groups (sorted by path) of two or more distinct inodes that may hold equal content.
pub(crate) fn size_groups(
    inventory: &Inventory,
    caches_only: bool,
    content_only: bool,
) -> Vec<Vec<Candidate>> {
    const S_IFMT: u32 = 0o170_000;
    const S_IFREG: u32 = 0o100_000;
    let mut groups: HashMap<Key, Vec<Candidate>> = HashMap::new();
    for file in &inventory.files {
        // Regular files only (never a symlink), empty ones are not worth a link.
        if file.mode & S_IFMT != S_IFREG || file.apparent == 0 {
            continue;
        }
        let cache = if caches_only {
            if !matches!(
                file.kind,
                Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
            ) {
                continue;
            }
            match cache_group(&file.path) {
                Some(group) => Some(group),
                None => continue,
            }
        } else {
            None
        };
        let key = Key {
            cache,
            dev: file.inode.0,
            size: file.apparent,
            attributes: (!content_only).then_some((file.mode, file.uid, file.gid)),
            source_mtime: (file.kind == Kind::Source).then(|| recorded_mtime(file.mtime_ns)),
        };
        groups.entry(key).or_default().push(Candidate {
            path: file.path.clone(),
            ino: file.inode.1,
            nlink: file.nlink,
            mode: file.mode,
            uid: file.uid,
            gid: file.gid,
            size: file.apparent,
            disk: file.disk,
            mtime_ns: file.mtime_ns,
            ctime_ns: file.ctime_ns,
        });
    }
    let mut groups: Vec<Vec<Candidate>> = groups
        .into_values()
        .filter(|g| g.iter().any(|c| c.ino != g[0].ino))
        .map(|mut g| {
            // Inventory files are sorted by path already; keep that order.
            g.sort_by(|a, b| a.path.cmp(&b.path));
            g
        })
        .collect();
    // Largest files first, so that no worker is left with a big one at the end.
    groups.sort_by(|a, b| (b[0].disk * b.len() as u64).cmp(&(a[0].disk * a.len() as u64)));
    groups
}

/// The mtime a cache of this source records (`int(st_mtime)`, as importlib computes it).
fn recorded_mtime(mtime_ns: i128) -> i128 {
    let (sec, nsec) = (
        mtime_ns.div_euclid(1_000_000_000),
        mtime_ns.rem_euclid(1_000_000_000),
    );
    i128::from(pyprune_pyc::SourceStat::new(sec as i64, nsec as i64, 0).mtime)
}

/// `(dir/__pycache__, "NAME.TAG")` for a cache file: the caches of one module.
fn cache_group(rel: &Path) -> CacheGroup {
    let dir = rel.parent()?;
    if dir.file_name()? != "__pycache__" {
        return None;
    }
    let name = CacheFileName::parse(rel.file_name()?.to_str()?)?;
    Some((dir.to_path_buf(), format!("{}.{}", name.module, name.tag)))
}

/// A file's extended attributes (security labels included), sorted.
pub(crate) fn xattrs(path: &Path) -> std::io::Result<Vec<(OsString, Vec<u8>)>> {
    let mut all = Vec::new();
    for name in xattr::list(path)? {
        let value = xattr::get(path, &name)?.unwrap_or_default();
        all.push((name, value));
    }
    all.sort();
    Ok(all)
}
