//! The bytecode checks of `analyze`: every `.pyc` in the tree is read and
//! checked in parallel, and what deserves attention is counted — caches whose
//! source changed since, caches for another Python, pycs that embed a path
//! outside the tree (a leaked build root), cache tags that disagree with the
//! magic number, and files that cannot be read as bytecode at all.

use crate::inventory::Inventory;
use crate::kind::Kind;
use crate::walk::Warning;
use pyprune_fs::display_path;
use pyprune_pyc::{Freshness, Magic, PythonVersion, QuickReport, check_file_quick};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file behind a count, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Relative to the tree root.
    pub path: String,
    pub detail: String,
}

/// How many files have one problem, and (with `list`) which.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<Finding>>,
}

impl Findings {
    fn add(&mut self, path: &Path, detail: String, list: bool) {
        self.count += 1;
        if list {
            self.files.get_or_insert_with(Vec::new).push(Finding {
                path: display_path(path),
                detail,
            });
        }
    }
}

/// The bytecode checks' results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BytecodeReport {
    /// Bytecode files read (caches and sourceless).
    pub checked: u64,
    /// The release the tree's bytecode should be for: the interpreter's, or else
    /// the one most of the tree's bytecode is for.
    pub expected_version: Option<PythonVersion>,
    /// Caches whose source changed since they were written (import recompiles them).
    pub stale: Findings,
    /// Bytecode for another release than `expected_version`.
    pub other_version: Findings,
    /// Bytecode whose embedded source path is absolute and outside the tree.
    pub leaked_paths: Findings,
    /// Caches whose file name's tag names another release than their magic number.
    pub tag_mismatch: Findings,
    /// Files that are not readable bytecode (truncated, corrupt, unknown magic).
    pub unreadable: Findings,
}

impl BytecodeReport {
    /// How many findings deserve attention (for `--strict`).
    pub fn problems(&self) -> u64 {
        [
            &self.stale,
            &self.other_version,
            &self.leaked_paths,
            &self.tag_mismatch,
            &self.unreadable,
        ]
        .iter()
        .map(|f| f.count)
        .sum()
    }
}

/// What to check against.
#[derive(Debug, Clone, Default)]
pub struct BytecodeOptions {
    /// The interpreter's magic number, when one was asked.
    pub expected_magic: Option<u16>,
    /// The root as the user gave it (before symlinks were resolved): embedded
    /// paths under it are inside the tree too.
    pub given_root: Option<PathBuf>,
    /// Keep the files behind each count.
    pub list: bool,
}

impl Inventory {
    /// Reads and checks every bytecode file; unreadable ones also become warnings.
    pub fn check_bytecode(&mut self, options: &BytecodeOptions) -> BytecodeReport {
        let root = &self.root;
        let results: Vec<(&Path, Result<QuickReport, String>)> = self
            .files
            .par_iter()
            .filter(|f| is_bytecode(f.kind) && !f.is_symlink)
            .map(|f| {
                (
                    f.path.as_path(),
                    check_file_quick(&root.join(&f.path)).map_err(|e| e.to_string()),
                )
            })
            .collect();

        let expected_version = options
            .expected_magic
            .and_then(|m| Magic::lookup(m).ok())
            .map(|m| m.version)
            .or_else(|| most_common_version(&results));
        let roots: Vec<&Path> = std::iter::once(root.as_path())
            .chain(options.given_root.as_deref())
            .collect();
        let list = options.list;
        let mut report = BytecodeReport {
            expected_version,
            ..BytecodeReport::default()
        };
        let mut warnings = Vec::new();
        for (path, result) in results {
            report.checked += 1;
            let file = match result {
                Ok(file) => file,
                Err(error) => {
                    warnings.push(Warning {
                        path: root.join(path),
                        message: format!("not readable bytecode: {error}"),
                    });
                    report.unreadable.add(path, error, list);
                    continue;
                }
            };
            let version = file.header.magic.version;
            if let Freshness::Stale { reason } = &file.context.freshness {
                report.stale.add(path, reason.clone(), list);
            }
            if expected_version.is_some_and(|expected| expected != version) {
                report
                    .other_version
                    .add(path, format!("written by CPython {version}"), list);
            }
            let embedded = file.filename.as_deref().map(Path::new);
            if let Some(embedded) =
                embedded.filter(|e| e.is_absolute() && !roots.iter().any(|r| e.starts_with(r)))
            {
                report.leaked_paths.add(path, display_path(embedded), list);
            }
            if file.context.tag_agrees == Some(false) {
                let tag = file.context.cache_tag.unwrap_or_default();
                report.tag_mismatch.add(
                    path,
                    format!("named {tag}, magic number of CPython {version}"),
                    list,
                );
            }
        }
        self.warnings.extend(warnings);
        crate::inventory::sort_warnings(&mut self.warnings);
        report
    }
}

fn is_bytecode(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 | Kind::Sourceless
    )
}

fn most_common_version(results: &[(&Path, Result<QuickReport, String>)]) -> Option<PythonVersion> {
    let mut counts: BTreeMap<PythonVersion, u64> = BTreeMap::new();
    for file in results.iter().filter_map(|(_, r)| r.as_ref().ok()) {
        *counts.entry(file.header.magic.version).or_default() += 1;
    }
    // Ties go to the newer release (the map iterates oldest first; `max_by_key` keeps the last).
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(version, _)| version)
}
