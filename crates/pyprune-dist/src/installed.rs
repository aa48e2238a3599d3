//! The distributions installed in a tree: each `*.dist-info` directory with
//! its name and version (METADATA), its top-level names (`top_level.txt`),
//! and the files its RECORD lists, resolved to paths in the tree. Which
//! distribution owns a file is read from here; a file no RECORD lists is
//! unowned.

use crate::record::Record;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// What a distribution's RECORD could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    /// Read, every path inside the tree: the files are the distribution's,
    /// and its RECORD is kept true when they change.
    Listed(Record),
    /// No RECORD (distro-installed; PEP 627 allows it): its files are
    /// unowned, and nothing is written for it.
    Missing,
    /// A RECORD that cannot be trusted (malformed, or naming paths outside
    /// the tree), and why: the distribution is left untouched.
    Unusable(String),
}

/// One installed distribution.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// As METADATA names it (else as the directory name does).
    pub name: String,
    pub version: String,
    /// The `NAME-VERSION.dist-info` directory, relative to the tree root.
    pub dist_info: PathBuf,
    /// The directory that holds it (RECORD's paths are relative to it).
    pub site_dir: PathBuf,
    pub record: RecordState,
    /// The files RECORD lists, relative to the tree root, in RECORD's order
    /// (empty unless the RECORD is [`RecordState::Listed`]).
    pub files: Vec<PathBuf>,
    /// The import names `top_level.txt` gives (empty without one).
    pub top_level: Vec<String>,
    /// For an [`RecordState::Unusable`] RECORD: the paths inside the tree
    /// its rows still name (the first field of each line it can split),
    /// relative to the tree root, so that what it claims is left untouched
    /// too (empty otherwise).
    pub claimed: Vec<PathBuf>,
    /// The distributions it needs to run, by normalized name
    /// (`Requires-Dist` of its METADATA, extras aside).
    pub requires: Vec<String>,
}

impl Distribution {
    /// The RECORD file, relative to the tree root.
    pub fn record_path(&self) -> PathBuf {
        self.dist_info.join("RECORD")
    }
}

/// Something about a distribution said to the user, with the path it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistWarning {
    pub path: PathBuf,
    pub message: String,
}

/// Every distribution of a tree, and who owns each listed file.
#[derive(Debug, Clone, Default)]
pub struct Distributions {
    pub dists: Vec<Distribution>,
    /// Each file some RECORD lists (relative to the root) and the indexes in
    /// `dists` of those that list it (two or more: a shared file, stated).
    /// (Hashed, by a fast hash: `plan` asks for every file of every row's model.)
    pub owners: HashMap<PathBuf, Vec<usize>, rustc_hash::FxBuildHasher>,
    pub warnings: Vec<DistWarning>,
    /// The directories below site-packages and their one owner, for
    /// [`Distributions::owner_of`]: made on first need, once per tree (plan
    /// asks it for every row).
    pub(crate) dir_owners: std::sync::OnceLock<crate::owners::DirOwners>,
}

impl Distributions {
    /// The distributions in the tree at `root` whose `*.dist-info`
    /// directories are `dist_infos` (relative to the root).
    pub fn read(root: &Path, dist_infos: &[PathBuf]) -> Distributions {
        Distributions::read_with(dist_infos, |rel| std::fs::read(root.join(rel)))
    }

    /// [`Distributions::read`] with the files' bytes from `read` (given a
    /// path relative to the tree root): a tree on disk, or one in memory.
    pub fn read_with(
        dist_infos: &[PathBuf],
        read: impl Fn(&Path) -> std::io::Result<Vec<u8>>,
    ) -> Distributions {
        let mut found = Distributions::default();
        for dist_info in dist_infos {
            let dist = read_one(&read, dist_info, &mut found.warnings);
            let index = found.dists.len();
            for file in &dist.files {
                found.owners.entry(file.clone()).or_default().push(index);
            }
            found.dists.push(dist);
        }
        let mut shared: Vec<(&PathBuf, &Vec<usize>)> = found
            .owners
            .iter()
            .filter(|(_, owners)| owners.len() > 1)
            .collect();
        shared.sort();
        for (file, owners) in shared {
            {
                let names: Vec<&str> = owners
                    .iter()
                    .map(|&i| found.dists[i].name.as_str())
                    .collect();
                found.warnings.push(DistWarning {
                    path: file.clone(),
                    message: format!(
                        "listed by the RECORDs of {}: it stays in each of them",
                        names.join(" and ")
                    ),
                });
            }
        }
        found
    }
}

fn read_one(
    read: &impl Fn(&Path) -> std::io::Result<Vec<u8>>,
    dist_info: &Path,
    warnings: &mut Vec<DistWarning>,
) -> Distribution {
    let site_dir = dist_info.parent().unwrap_or(Path::new("")).to_path_buf();
    let (dir_name, dir_version) = name_from_dir(dist_info);
    let metadata = read(&dist_info.join("METADATA")).unwrap_or_default();
    let metadata = String::from_utf8_lossy(&metadata);
    let name = crate::metadata::header(&metadata, "Name").unwrap_or(dir_name);
    let version = crate::metadata::header(&metadata, "Version").unwrap_or(dir_version);
    let requires = crate::metadata::requirements(&metadata);
    let top_level = read(&dist_info.join("top_level.txt"))
        .map(|t| {
            String::from_utf8_lossy(&t)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let record_path = dist_info.join("RECORD");
    let mut claimed = Vec::new();
    let (record, files) = match read(&record_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            warnings.push(DistWarning {
                path: dist_info.to_path_buf(),
                message: "no RECORD: its files are counted as unowned, and no RECORD is written"
                    .to_owned(),
            });
            (RecordState::Missing, Vec::new())
        }
        Err(e) => unusable(&record_path, format!("cannot be read: {e}"), warnings),
        Ok(bytes) => match Record::parse(&bytes) {
            Err(e) => {
                claimed = claimed_paths(&site_dir, &bytes);
                unusable(&record_path, e.to_string(), warnings)
            }
            Ok(record) => {
                let resolved: Result<Vec<PathBuf>, String> = record
                    .rows
                    .iter()
                    .map(|row| {
                        resolve(&site_dir, &row.path)
                            .ok_or_else(|| format!("lists `{}`, outside the tree", row.path))
                    })
                    .collect();
                match resolved {
                    Ok(files) => (RecordState::Listed(record), files),
                    Err(why) => {
                        claimed = claimed_paths(&site_dir, &bytes);
                        unusable(&record_path, why, warnings)
                    }
                }
            }
        },
    };
    Distribution {
        name,
        version,
        dist_info: dist_info.to_path_buf(),
        site_dir,
        record,
        files,
        top_level,
        claimed,
        requires,
    }
}

/// The paths inside the tree that the lines of an unusable RECORD still
/// name: the first comma-separated field of each line (quotes dropped), as
/// far as it resolves inside the tree.
fn claimed_paths(site_dir: &Path, bytes: &[u8]) -> Vec<PathBuf> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.split(',').next())
        .map(|field| field.trim().trim_matches('"'))
        .filter(|field| !field.is_empty())
        .filter_map(|field| resolve(site_dir, field))
        .filter(|path| !path.as_os_str().is_empty())
        .collect()
}

fn unusable(
    record_path: &Path,
    why: String,
    warnings: &mut Vec<DistWarning>,
) -> (RecordState, Vec<PathBuf>) {
    warnings.push(DistWarning {
        path: record_path.to_path_buf(),
        message: format!("{why}: this distribution is left untouched"),
    });
    (RecordState::Unusable(why), Vec::new())
}

/// `NAME-VERSION.dist-info` → (NAME, VERSION), as well as it can be read.
fn name_from_dir(dist_info: &Path) -> (String, String) {
    let stem = dist_info
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let stem = stem.strip_suffix(".dist-info").unwrap_or(&stem);
    match stem.split_once('-') {
        Some((name, version)) => (name.to_owned(), version.to_owned()),
        None => (stem.to_owned(), String::new()),
    }
}

/// A RECORD path (relative to `site_dir`, `/`-separated, `..` allowed) as a
/// path relative to the tree root, or `None` when it leads out of the tree
/// (or is absolute).
pub fn resolve(site_dir: &Path, record_path: &str) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for component in site_dir.join(record_path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// `file` (relative to the tree root) as a RECORD of a distribution in
/// `site_dir` spells it: relative to `site_dir`, with `..` where it is
/// outside (console scripts in `bin/`), `/`-separated.
pub fn record_spelling(site_dir: &Path, file: &Path) -> String {
    let site: Vec<Component> = site_dir.components().collect();
    let target: Vec<Component> = file.components().collect();
    let common = site.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); site.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_resolve_inside_the_tree_and_back() {
        let site = Path::new("lib/python3.11/site-packages");
        for (spelled, file) in [
            (
                "pkg/__init__.py",
                "lib/python3.11/site-packages/pkg/__init__.py",
            ),
            ("../../../bin/pip", "bin/pip"),
        ] {
            assert_eq!(resolve(site, spelled), Some(PathBuf::from(file)));
            assert_eq!(record_spelling(site, Path::new(file)), spelled);
        }
        assert_eq!(resolve(site, "../../../../etc/passwd"), None);
        assert_eq!(resolve(site, "/usr/bin/tool"), None);
    }

    #[test]
    fn a_tree_of_distributions_good_and_bad() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "site/good-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Good\nVersion: 1.0\n\nName: not a header\n",
        );
        write("site/good-1.0.dist-info/top_level.txt", "good\n");
        write(
            "site/good-1.0.dist-info/RECORD",
            "good/__init__.py,sha256=x,1\ngood-1.0.dist-info/RECORD,,\nshared.py,,\n",
        );
        write("site/other-2.dist-info/RECORD", "shared.py,,\n");
        write("site/bad-3.dist-info/RECORD", "a.py,sha256=x\n");
        write("site/out-4.dist-info/RECORD", "../../elsewhere.py,,\n");
        std::fs::create_dir_all(root.join("site/distro-5.dist-info")).expect("mkdir");
        let names = [
            "site/good-1.0.dist-info",
            "site/other-2.dist-info",
            "site/bad-3.dist-info",
            "site/out-4.dist-info",
            "site/distro-5.dist-info",
        ];
        let dist_infos: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        let found = Distributions::read(root, &dist_infos);
        let good = &found.dists[0];
        assert_eq!((good.name.as_str(), good.version.as_str()), ("Good", "1.0"));
        assert_eq!(good.top_level, ["good"]);
        assert_eq!(found.listed(Path::new("site/good/__init__.py")), Some(0));
        assert_eq!(found.owners[Path::new("site/shared.py")], [0, 1]);
        assert!(matches!(found.dists[2].record, RecordState::Unusable(_)));
        assert!(matches!(found.dists[3].record, RecordState::Unusable(_)));
        // What an untrusted RECORD still names inside the tree is kept, to be left alone.
        assert_eq!(found.dists[2].claimed, [PathBuf::from("site/a.py")]);
        assert!(found.dists[3].claimed.is_empty());
        assert!(found.dists[0].claimed.is_empty());
        assert_eq!(found.dists[4].record, RecordState::Missing);
        assert_eq!(
            (
                found.dists[4].name.as_str(),
                found.dists[4].version.as_str()
            ),
            ("distro", "5")
        );
        let warned: Vec<String> = found
            .warnings
            .iter()
            .map(|w| w.path.display().to_string())
            .collect();
        assert_eq!(
            warned,
            [
                "site/bad-3.dist-info/RECORD",
                "site/out-4.dist-info/RECORD",
                "site/distro-5.dist-info",
                "site/shared.py"
            ]
        );
    }
}
