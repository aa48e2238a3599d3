//! Undo of a journaled change: the log replayed backwards, restoring only what is
//! still pyprune's to restore. Other programs may have changed the tree since the
//! change (pip installs, upgrades and uninstalls packages in a venv changed in
//! place); a path whose file is no longer the one pyprune left there, or whose
//! directory is gone, belongs to them now: it is skipped and named, and the rest
//! is restored byte for byte.

use super::{JOURNAL_DIR, JournalError, io_error, left_state, unhex};
use crate::action::leaves_tree;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, BufRead};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// The trash names and paths a log names (entries first, then the recorded
/// states), as undo reads them: what the fuzzing entry checks.
pub(crate) fn names_in_log(bytes: &[u8]) -> Result<Vec<PathBuf>, JournalError> {
    let log = read_log(Path::new("root"), bytes, Path::new("log"))?;
    let mut names = Vec::new();
    for entry in &log.entries {
        names.push(PathBuf::from("trash").join(&entry.seq));
        names.extend(entry.paths.iter().cloned());
    }
    names.extend(log.left.into_keys());
    Ok(names)
}

/// Why undo left a path as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    /// Another file is there now than the one pyprune left (written or replaced since).
    Changed,
    /// The file pyprune left is gone (removed since); the original is not put back.
    Removed,
    /// The directory it would go back into is gone (a package uninstalled since).
    DirectoryGone,
    /// A directory pyprune made now holds files others put there.
    NotEmpty,
    /// One end of a move pyprune made, not moved back: the other end changed since.
    Moved,
}

impl Skip {
    /// The reason as people read it.
    pub fn describe(self) -> &'static str {
        match self {
            Skip::Changed => "changed since the apply",
            Skip::Removed => "removed since the apply",
            Skip::DirectoryGone => "its directory was removed since the apply",
            Skip::NotEmpty => "a directory pyprune made now holds other files",
            Skip::Moved => "moved by the apply; not moved back, as the other end changed since",
        }
    }
}

/// What an undo did.
#[derive(Debug, Default)]
pub struct Undone {
    /// Journaled actions undone (or found not to have happened).
    pub actions: u64,
    /// Paths left as they are, relative to the root, with why.
    pub skipped: BTreeMap<PathBuf, Skip>,
}

/// One action of the log: its sequence number, its kind and its fields.
struct Entry {
    seq: String,
    op: String,
    paths: Vec<PathBuf>,
    /// A directory's mode, for `rmdir`.
    mode: Option<u32>,
}

impl Entry {
    /// Every path the entry touches (a move: `from`, then `to`).
    fn touches(&self) -> &[PathBuf] {
        if self.op == "move" {
            &self.paths
        } else {
            &self.paths[..1]
        }
    }
}

/// The log, read: the entries in order, and per path what the change left there
/// when the last action on it finished (none when it did not finish: killed).
struct Log {
    entries: Vec<Entry>,
    left: HashMap<PathBuf, Option<String>>,
    /// The paths that held nothing before the change: their first action created them.
    absent_before: HashSet<PathBuf>,
}

fn read_log(root: &Path, log: impl BufRead, log_path: &Path) -> Result<Log, JournalError> {
    let corrupt =
        |field: &str| JournalError::Corrupt(root.to_path_buf(), format!("bad path {field:?}"));
    // Only paths inside the tree, as the journal records them: a damaged or
    // planted log must not make undo delete or move anything outside it.
    let inside = |field: &str| unhex(field).filter(|p| !leaves_tree(p));
    let mut entries = Vec::new();
    let mut left: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut absent_before = HashSet::new();
    for line in log.lines() {
        let line = line.map_err(io_error(log_path))?;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.first() == Some(&"done") {
            // `done SEQ (PATH STATE)*`: a torn last line is ignored like a torn entry.
            for pair in fields.get(2..).unwrap_or_default().chunks_exact(2) {
                if let Some(path) = unhex(pair[0]) {
                    if leaves_tree(&path) {
                        return Err(corrupt(pair[0]));
                    }
                    left.insert(path, Some(pair[1].to_owned()));
                }
            }
            continue;
        }
        if fields.len() < 3 {
            continue;
        }
        // The name of the entry's old file in the trash: a number, never a path.
        if fields[0].is_empty() || !fields[0].bytes().all(|b| b.is_ascii_digit()) {
            return Err(JournalError::Corrupt(
                root.to_path_buf(),
                format!("bad sequence number {:?}", fields[0]),
            ));
        }
        let op = fields[1].to_owned();
        let mut paths = vec![inside(fields[2]).ok_or_else(|| corrupt(fields[2]))?];
        let mut mode = None;
        match op.as_str() {
            "move" => {
                let to = fields.get(3).copied().unwrap_or_default();
                paths.push(inside(to).ok_or_else(|| corrupt(to))?);
            }
            "rmdir" => mode = fields.get(3).and_then(|m| u32::from_str_radix(m, 8).ok()),
            "remove" | "replace" | "create" | "mkdir" => {}
            other => {
                return Err(JournalError::Corrupt(
                    root.to_path_buf(),
                    format!("unknown entry {other:?}"),
                ));
            }
        }
        let entry = Entry {
            seq: fields[0].to_owned(),
            op,
            paths,
            mode,
        };
        for (i, path) in entry.touches().iter().enumerate() {
            // Touched again: what an earlier action left there no longer counts.
            let first = left.insert(path.clone(), None).is_none();
            let created = match entry.op.as_str() {
                "create" | "mkdir" => true,
                "move" => i == 1,
                _ => false,
            };
            if first && created {
                absent_before.insert(path.clone());
            }
        }
        entries.push(entry);
    }
    Ok(Log {
        entries,
        left,
        absent_before,
    })
}

/// The paths that are no longer pyprune's: what is there is not what the change
/// left. A move ties its two ends: when one is not pyprune's, neither is moved back.
fn taken_since(root: &Path, log: &Log, skipped: &mut BTreeMap<PathBuf, Skip>) -> BTreeSet<PathBuf> {
    let mut taken = BTreeSet::new();
    for (path, left) in &log.left {
        let Some(left) = left else { continue };
        let now = left_state(&root.join(path));
        if &now == left {
            continue;
        }
        taken.insert(path.clone());
        // Gone where it was not before the change: as it was, nothing to name.
        if !(now == "-" && log.absent_before.contains(path)) {
            let why = if now == "-" {
                Skip::Removed
            } else {
                Skip::Changed
            };
            skipped.insert(path.clone(), why);
        }
    }
    loop {
        let before = taken.len();
        for entry in log.entries.iter().filter(|e| e.op == "move") {
            if !entry.paths.iter().any(|p| taken.contains(p)) {
                continue;
            }
            for path in &entry.paths {
                // Named unless it is as it was before the change anyway.
                let newly = taken.insert(path.clone());
                let gone = root.join(path).symlink_metadata().is_err();
                let as_before = gone && log.absent_before.contains(path);
                if newly && !as_before {
                    skipped.insert(path.clone(), Skip::Moved);
                }
            }
        }
        if taken.len() == before {
            return taken;
        }
    }
}

/// Restores the tree at `root` as it was before the journaled change, whether
/// that change finished or was killed halfway, and removes the journal (with
/// the old files of what it skipped).
///
/// What is still pyprune's to restore: a path whose file is the very one the
/// change left there (same inode, size and modification time), or where the
/// change left nothing and nothing is. Anything else (a file written or replaced
/// since, a file the change left and something removed since, a path whose
/// directory was removed since, a directory pyprune made that now holds other
/// files) is left as it is and returned in [`Undone::skipped`]; so is any
/// earlier action on the same path. A path whose last action did not finish
/// (a killed run) is judged by the disk alone, as before the states existed.
pub fn undo(root: &Path) -> Result<Undone, JournalError> {
    let dir = root.join(JOURNAL_DIR);
    let log_path = dir.join("log");
    let log = match std::fs::File::open(&log_path) {
        Ok(log) => log,
        Err(e) if e.kind() == io::ErrorKind::NotFound && dir.symlink_metadata().is_err() => {
            return Err(JournalError::Missing(root.to_path_buf()));
        }
        // A journal directory without a log: killed before the first action.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::remove_dir_all(&dir).map_err(io_error(&dir))?;
            return Ok(Undone::default());
        }
        Err(e) => {
            return Err(JournalError::Io {
                path: log_path,
                source: e,
            });
        }
    };
    let log = read_log(root, io::BufReader::new(log), &log_path)?;
    let mut undone = Undone::default();
    let mut taken = taken_since(root, &log, &mut undone.skipped);
    let trash = |seq: &str| dir.join("trash").join(seq);
    let exists = |p: &Path| p.symlink_metadata().is_ok();
    // Putting something back needs its directory: gone, the package was uninstalled.
    // (Gone, or no longer a directory: a package replaced by a module of its name.)
    let parent_gone = |p: &Path| {
        p.parent()
            .is_some_and(|d| !d.symlink_metadata().is_ok_and(|m| m.is_dir()))
    };
    for entry in log.entries.iter().rev() {
        if entry.touches().iter().any(|p| taken.contains(p)) {
            continue;
        }
        let rel = &entry.paths[0];
        let path = root.join(rel);
        let mut skip = None;
        match entry.op.as_str() {
            // The old file is in the trash if the removal happened.
            "remove" | "replace" if exists(&trash(&entry.seq)) => {
                if parent_gone(&path) {
                    skip = Some(Skip::DirectoryGone);
                } else {
                    std::fs::rename(trash(&entry.seq), &path).map_err(io_error(&path))?;
                }
            }
            "create" if exists(&path) => std::fs::remove_file(&path).map_err(io_error(&path))?,
            "move" => {
                let to = root.join(&entry.paths[1]);
                if exists(&to) && !exists(&path) {
                    if parent_gone(&path) {
                        skip = Some(Skip::DirectoryGone);
                    } else {
                        std::fs::rename(&to, &path).map_err(io_error(&to))?;
                    }
                }
            }
            "rmdir" if !exists(&path) => {
                if parent_gone(&path) {
                    skip = Some(Skip::DirectoryGone);
                } else {
                    std::fs::create_dir(&path).map_err(io_error(&path))?;
                    let mode = entry.mode.unwrap_or(0o755);
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                        .map_err(io_error(&path))?;
                }
            }
            "mkdir" if exists(&path) => match std::fs::remove_dir(&path) {
                Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
                    skip = Some(Skip::NotEmpty);
                }
                // Something else than the directory it made is there now.
                Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                    skip = Some(Skip::Changed);
                }
                other => other.map_err(io_error(&path))?,
            },
            _ => {}
        }
        match skip {
            Some(why) => {
                // Earlier actions on the path are not pyprune's to undo either.
                for p in entry.touches() {
                    taken.insert(p.clone());
                }
                undone.skipped.entry(rel.clone()).or_insert(why);
            }
            None => undone.actions += 1,
        }
    }
    remove_temporaries(root, &log.entries);
    std::fs::remove_dir_all(&dir).map_err(io_error(&dir))?;
    Ok(undone)
}

/// A kill inside an atomic replacement leaves its temporary name behind.
fn remove_temporaries(root: &Path, entries: &[Entry]) {
    let dirs: BTreeSet<PathBuf> = entries
        .iter()
        .flat_map(|e| e.paths.iter())
        .filter_map(|p| p.parent().map(|d| root.join(d)))
        .collect();
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".pyprune-") && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
