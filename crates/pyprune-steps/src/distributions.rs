//! The distributions installed in a tree the steps work on, read once per
//! scan (its `*.dist-info` directories, see `pyprune-dist`): which
//! distribution owns a file, and whose RECORD must stay true.

use pyprune_dist::{Distributions, RecordState};
use pyprune_tree::Inventory;
use std::path::{Path, PathBuf};

/// The distributions installed in the scanned tree: every `*.dist-info`
/// directory directly in one of its import roots (site-packages). Those
/// deeper down are vendored copies (setuptools keeps its dependencies'
/// under `setuptools/_vendor/`): their files are the vendoring
/// distribution's, listed in its own RECORD. Those in `left_out` (the
/// site-packages of a stdlib tree, which the steps leave alone) are not
/// read: nothing is done to them, so nothing is said of them either.
pub fn read_distributions(inventory: &Inventory, left_out: &[PathBuf]) -> Distributions {
    let roots = inventory.layout.roots();
    let dist_infos: Vec<PathBuf> = inventory
        .directories_list
        .iter()
        .map(|(dir, _)| dir)
        .filter(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"))
                && dir.parent().is_some_and(|p| roots.iter().any(|r| r == p))
                && !left_out.iter().any(|d| dir.starts_with(d))
        })
        .cloned()
        .collect();
    Distributions::read(&inventory.root, &dist_infos)
}

/// What no step may change, add to or remove: the directories and files of
/// each distribution whose RECORD cannot be trusted (malformed, or naming
/// paths outside the tree). Its RECORD could not be kept true, so it is left
/// exactly as it is: its `*.dist-info`, the packages and modules its
/// `top_level.txt` names, and whatever its RECORD's lines still name.
#[derive(Debug, Default)]
pub(crate) struct Untouchable {
    /// Paths at or below these.
    below: Vec<PathBuf>,
    /// A module `NAME` directly in a directory: `NAME.py`, `NAME.*.so`,
    /// `NAME.pth`, and its caches or compressed source there.
    modules: Vec<(PathBuf, String)>,
}

impl Untouchable {
    pub(crate) fn of(dists: &Distributions) -> Untouchable {
        let mut untouchable = Untouchable::default();
        for dist in &dists.dists {
            if !matches!(dist.record, RecordState::Unusable(_)) {
                continue;
            }
            let site = &dist.site_dir;
            untouchable.below.push(dist.dist_info.clone());
            for name in &dist.top_level {
                untouchable.below.push(site.join(name));
                untouchable.modules.push((site.clone(), name.clone()));
            }
            for path in &dist.claimed {
                if !path.starts_with(site) {
                    // A script in bin/ or a header: that file.
                    untouchable.below.push(path.clone());
                    continue;
                }
                match top_dir(site, path) {
                    Some(dir) => untouchable.below.push(dir),
                    None => untouchable
                        .modules
                        .push((site.clone(), module_name(path).to_owned())),
                }
            }
        }
        untouchable
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.below.is_empty() && self.modules.is_empty()
    }

    /// Whether `path` (relative to the root) is one no step may change.
    pub(crate) fn covers(&self, path: &Path) -> bool {
        if self.below.iter().any(|dir| path.starts_with(dir)) {
            return true;
        }
        // A cache or a compressed source stands for its source.
        let source = pyprune_dist::source_of_generated(path);
        let path = source.as_deref().unwrap_or(path);
        let (Some(dir), name) = (path.parent(), module_name(path)) else {
            return false;
        };
        self.modules.iter().any(|(d, n)| d == dir && n == name)
    }
}

/// The directory directly in `site` that `path` lies in (a package,
/// `numpy.libs`, a `*.dist-info`); `None` for a path outside `site`,
/// directly in it, or in its `__pycache__` (a top-level module's cache).
pub(crate) fn top_dir(site: &Path, path: &Path) -> Option<PathBuf> {
    let mut parts = path.strip_prefix(site).ok()?.components();
    let first = parts.next()?.as_os_str();
    parts.next()?;
    (first != "__pycache__").then(|| site.join(first))
}

/// A file's name up to its first dot: the module `six.py`,
/// `six.cpython-311.pyc`, `six.py.gz` and `_cffi.cpython-311-x86_64-linux-gnu.so` are of.
fn module_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrusted_distribution_covers_what_it_names_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        // Malformed at its last row; its rows still name a package, a
        // module, a script in bin/ and an extension module.
        write(
            "site/bad-1.dist-info/RECORD",
            "pkg/__init__.py,,\nsolo.py,,\n../bin/tool,,\n_ext.cpython-311-x86_64-linux-gnu.so,,\nbroken\n",
        );
        write("site/bad-1.dist-info/top_level.txt", "named\n");
        write("site/good-1.dist-info/RECORD", "good.py,,\n");
        let infos = [
            PathBuf::from("site/bad-1.dist-info"),
            PathBuf::from("site/good-1.dist-info"),
        ];
        let untouchable = Untouchable::of(&Distributions::read(dir.path(), &infos));
        for covered in [
            "site/bad-1.dist-info/METADATA",
            "site/pkg/sub/__pycache__/x.cpython-311.pyc",
            "site/solo.py",
            "site/__pycache__/solo.cpython-311.opt-1.pyc",
            "site/__pysources__/solo.py.gz",
            "bin/tool",
            "site/_ext.cpython-311-x86_64-linux-gnu.so",
            "site/named/__init__.py",
            "site/named.py",
        ] {
            assert!(untouchable.covers(Path::new(covered)), "{covered}");
        }
        for free in [
            "site/good.py",
            "site/__pycache__/good.cpython-311.pyc",
            "site/solo_other.py",
            "site/pkgs/x.py",
            "bin/other",
            "site/pyprune-runtime.pth",
        ] {
            assert!(!untouchable.covers(Path::new(free)), "{free}");
        }
    }
}
