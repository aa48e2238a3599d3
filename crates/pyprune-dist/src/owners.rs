//! Which distribution a path of the tree belongs to, for files RECORD lists
//! and for those it does not yet: a cache or a file pyprune writes inside a
//! distribution's own package directory (`numpy/__pycache__/x.opt-1.pyc`)
//! is that distribution's. Sizes are attributed with it (analyze, plan's cost
//! per distribution), and new files are listed in the RECORD it names.

use crate::installed::Distributions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Each directory below a site-packages that holds files of RECORDs, and the
/// one distribution whose files alone are in it (`None`: files of two
/// distributions meet there, as in a namespace package).
pub(crate) type DirOwners = HashMap<PathBuf, Option<usize>, rustc_hash::FxBuildHasher>;

impl Distributions {
    /// The distribution (index in [`Distributions::dists`]) whose RECORD
    /// lists `path`: the first, for a file two RECORDs list.
    pub fn listed(&self, path: &Path) -> Option<usize> {
        self.owners.get(path).and_then(|o| o.first()).copied()
    }

    /// The distribution `path` (a file or directory) belongs to: the one
    /// whose RECORD lists it, else that of its source for a cache or
    /// compressed source, else the one whose files alone fill the nearest
    /// directory above it that holds any (`None`: unowned).
    pub fn owner_of(&self, path: &Path) -> Option<usize> {
        if let Some(index) = self.listed(path) {
            return Some(index);
        }
        // A cache or compressed source is its source's (even in a directory
        // two distributions share, as a namespace package is).
        if let Some(index) = source_of_generated(path).and_then(|s| self.listed(&s)) {
            return Some(index);
        }
        let dirs = self.dir_owners.get_or_init(|| dir_owners(self));
        let mut at = Some(path);
        while let Some(dir) = at {
            if let Some(owner) = dirs.get(dir) {
                return *owner;
            }
            at = dir.parent();
        }
        None
    }
}

/// The directory index of [`Distributions::owner_of`], made once per tree.
fn dir_owners(distributions: &Distributions) -> DirOwners {
    let mut dirs = DirOwners::default();
    for (index, dist) in distributions.dists.iter().enumerate() {
        for file in &dist.files {
            // Only below the site directory: `bin/` holds every
            // distribution's scripts and the venv's own files.
            let mut dir = file.parent();
            while let Some(at) =
                dir.filter(|d| d.starts_with(&dist.site_dir) && *d != dist.site_dir)
            {
                let entry = dirs.entry(at.to_path_buf()).or_insert(Some(index));
                if *entry != Some(index) {
                    *entry = None;
                }
                dir = at.parent();
            }
        }
    }
    dirs
}

/// The source `NAME.py` a file made from it stands for: a cache
/// (`__pycache__/NAME.TAG[.opt-N].pyc`) or a compressed source
/// (`__pysources__/NAME.py.gz`); `None` for any other path.
pub fn source_of_generated(path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    let made_in = dir.file_name()?;
    if made_in != "__pycache__" && made_in != "__pysources__" {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    let stem = name.split('.').next().filter(|s| !s.is_empty())?;
    Some(dir.parent()?.join(format!("{stem}.py")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_belong_to_the_distribution_whose_directory_holds_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "site/a-1.dist-info/RECORD",
            "a/__init__.py,,\na/sub/x.py,,\nns/a_part.py,,\n../bin/a-tool,,\n",
        );
        write("site/b-1.dist-info/RECORD", "ns/b_part.py,,\nb.py,,\n");
        let found = Distributions::read(
            root,
            &[
                PathBuf::from("site/a-1.dist-info"),
                PathBuf::from("site/b-1.dist-info"),
            ],
        );
        let of = |p: &str| found.owner_of(Path::new(p));
        assert_eq!(of("site/a/__init__.py"), Some(0));
        assert_eq!(
            of("site/a/__pycache__/__init__.cpython-311.opt-1.pyc"),
            Some(0)
        );
        assert_eq!(of("site/a/sub"), Some(0));
        assert_eq!(of("site/b.py"), Some(1));
        assert_eq!(of("bin/a-tool"), Some(0));
        // A cache or compressed source is its source's, even in a shared directory.
        assert_eq!(of("site/ns/__pycache__/b_part.cpython-311.pyc"), Some(1));
        assert_eq!(of("site/ns/__pysources__/a_part.py.gz"), Some(0));
        // Shared directories, the site directory and `bin/` give nothing away.
        assert_eq!(of("site/ns/new.py"), None);
        assert_eq!(of("site/__pycache__/new.cpython-311.pyc"), None);
        // A top-level module's cache is its own (pip lists it so).
        assert_eq!(of("site/__pycache__/b.cpython-311.pyc"), Some(1));
        assert_eq!(of("bin/activate"), None);
        assert_eq!(found.listed(Path::new("site/a/sub/new.py")), None);
    }
}
