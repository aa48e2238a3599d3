//! In-place changes that a kill cannot leave half done and that can be undone
//! byte for byte. Before each action, its reversible form is appended to a log
//! in `.pyprune-journal/` inside the tree; a file that goes is renamed into the
//! journal's trash (same inode: content, mode and times kept), a file that is
//! replaced is first hardlinked into the trash and then replaced atomically.
//! Each finished action also records what it left at its paths (inode, size and
//! modification time, or nothing), so that undo can tell pyprune's files from
//! those another program (pip) put there since. Undo replays the log backwards
//! (`journal_undo.rs`); each step of it checks what is on disk, so it is right
//! whether the last recorded action happened or not.

use crate::action::{Action, ActionError, perform};
use pyprune_fs::display_path;
use std::io::{self, Write as _};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The journal's directory, at the root of the tree it records.
pub const JOURNAL_DIR: &str = ".pyprune-journal";

/// Why a journaled change or an undo failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("`{root}` already has a journal of an earlier in-place change (or one still running): undo it first with `pyprune undo {root}`, or keep it with `pyprune commit {root}`", root = display_path(.0))]
    Exists(PathBuf),
    #[error("no journal at `{}`: nothing to undo", display_path(.0))]
    Missing(PathBuf),
    #[error("no journal at `{}`: nothing to commit", display_path(.0))]
    NothingToCommit(PathBuf),
    #[error("the journal in `{root}` cannot be read: {reason}", root = display_path(.0), reason = .1)]
    Corrupt(PathBuf, String),
    #[error("journal `{}`", display_path(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Action(ActionError),
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
}

/// Why a journaled change stopped: an action failed and the change was
/// undone, or undoing it failed too.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("the change failed and was undone")]
    Undone(#[source] JournalError),
    #[error("the change failed, and so did undoing it; run `pyprune undo` again")]
    NotUndone(#[source] JournalError),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether the tree at `root` has a journal (an unfinished or uncommitted change).
pub fn has_journal(root: &Path) -> bool {
    root.join(JOURNAL_DIR).symlink_metadata().is_ok()
}

/// An in-place change in progress.
#[derive(Debug)]
pub struct Journal {
    root: PathBuf,
    dir: PathBuf,
    log: std::fs::File,
    seq: u64,
}

fn hex(path: &Path) -> String {
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unhex(text: &str) -> Option<PathBuf> {
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes?)))
}

/// The paths an action changes (a move: both ends).
fn action_paths(action: &Action) -> Vec<&Path> {
    match action {
        Action::Remove(path) | Action::RemoveDir(path) => vec![path],
        Action::Link { target: path, .. } | Action::Write { path, .. } => vec![path],
        Action::Move { from, to, .. } => vec![from, to],
    }
}

/// What is at `full` now, as the journal records it: `-` for nothing, `d` for a
/// directory, else the inode, size and modification time of the very file. Another
/// program that replaces the file (pip unlinks and writes anew) changes the inode or
/// the time; a later hardlink or rename by pyprune itself changes neither.
pub(crate) fn left_state(full: &Path) -> String {
    match full.symlink_metadata() {
        Err(_) => "-".to_owned(),
        Ok(meta) if meta.is_dir() => "d".to_owned(),
        Ok(meta) => format!(
            "{}:{}:{}.{:09}",
            meta.ino(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec()
        ),
    }
}

impl Journal {
    /// Starts a journal in `root`; refuses when one is there already.
    pub fn begin(root: &Path) -> Result<Journal, JournalError> {
        let dir = root.join(JOURNAL_DIR);
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(JournalError::Exists(root.to_path_buf()));
            }
            other => other.map_err(io_error(&dir))?,
        }
        std::fs::create_dir(dir.join("trash")).map_err(io_error(&dir))?;
        let log_path = dir.join("log");
        let log = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&log_path)
            .map_err(io_error(&log_path))?;
        Ok(Journal {
            root: root.to_path_buf(),
            dir,
            log,
            seq: 0,
        })
    }

    fn record(&mut self, line: &str) -> Result<(), JournalError> {
        // One write per line: a kill leaves whole lines (a torn last line is ignored on undo).
        self.log
            .write_all(format!("{line}\n").as_bytes())
            .map_err(io_error(&self.dir))
    }

    fn trash(&self, seq: u64) -> PathBuf {
        self.dir.join("trash").join(seq.to_string())
    }

    /// Records the reversible form of `action`, then performs it.
    pub fn perform(&mut self, action: &Action) -> Result<(), JournalError> {
        // Before anything is recorded or any parent directory made.
        crate::action::check_paths(&self.root, action).map_err(JournalError::Action)?;
        self.seq += 1;
        let seq = self.seq;
        let root = self.root.clone();
        match action {
            Action::Remove(path) => {
                self.record(&format!("{seq}\tremove\t{}", hex(path)))?;
                std::fs::rename(root.join(path), self.trash(seq))
                    .map_err(io_error(&root.join(path)))?;
            }
            Action::Link { target: path, .. }
            | Action::Write { path, .. }
            | Action::Move { to: path, .. } => {
                self.make_parents(path)?;
                let full = root.join(path);
                if let Action::Move { from, .. } = action {
                    let mut seq = seq;
                    if full.symlink_metadata().is_ok() {
                        // The move replaces what is there (sourceless moves a cache onto
                        // a `x.pyc` that may exist): that goes to the trash first.
                        std::fs::hard_link(&full, self.trash(seq)).map_err(io_error(&full))?;
                        self.record(&format!("{seq}\treplace\t{}", hex(path)))?;
                        self.seq += 1;
                        seq = self.seq;
                    }
                    self.record(&format!("{seq}\tmove\t{}\t{}", hex(from), hex(path)))?;
                } else if full.symlink_metadata().is_ok() {
                    // Another name for the old file first: the path is never missing.
                    std::fs::hard_link(&full, self.trash(seq)).map_err(io_error(&full))?;
                    self.record(&format!("{seq}\treplace\t{}", hex(path)))?;
                } else {
                    self.record(&format!("{seq}\tcreate\t{}", hex(path)))?;
                }
                perform(&root, action).map_err(JournalError::Action)?;
            }
            Action::RemoveDir(path) => {
                let full = root.join(path);
                let mode = full
                    .symlink_metadata()
                    .map(|m| m.permissions().mode() & 0o7777)
                    .unwrap_or(0o755);
                self.record(&format!("{seq}\trmdir\t{}\t{mode:o}", hex(path)))?;
                perform(&root, action).map_err(JournalError::Action)?;
            }
        }
        // What the action left, on the same line as its end: a kill leaves both or neither.
        let mut done = format!("done\t{seq}");
        for path in action_paths(action) {
            done.push_str(&format!(
                "\t{}\t{}",
                hex(path),
                left_state(&root.join(path))
            ));
        }
        self.record(&done)
    }

    /// Creates the missing directories above `path`, each recorded for undo.
    fn make_parents(&mut self, path: &Path) -> Result<(), JournalError> {
        let mut missing = Vec::new();
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if self.root.join(d).symlink_metadata().is_ok() {
                break;
            }
            missing.push(d.to_path_buf());
            dir = d.parent();
        }
        for d in missing.into_iter().rev() {
            self.seq += 1;
            let seq = self.seq;
            self.record(&format!("{seq}\tmkdir\t{}", hex(&d)))?;
            std::fs::create_dir(self.root.join(&d)).map_err(io_error(&self.root.join(&d)))?;
        }
        Ok(())
    }

    /// Performs `actions` in order; when one fails, or pyprune is interrupted
    /// between two, the whole change is undone, so that the tree is the original again.
    pub fn perform_all(mut self, actions: &[Action]) -> Result<Journal, RollbackError> {
        for (index, action) in actions.iter().enumerate() {
            if index == 1 {
                // One action done and journaled, the rest to go.
                pyprune_interrupt::pause_point("perform");
            }
            let done = pyprune_interrupt::check()
                .map_err(JournalError::from)
                .and_then(|()| self.perform(action));
            if let Err(error) = done {
                let root = self.root.clone();
                drop(self);
                return Err(match undo(&root) {
                    Ok(_) => RollbackError::Undone(error),
                    Err(undo_error) => RollbackError::NotUndone(undo_error),
                });
            }
        }
        Ok(self)
    }

    /// Ends the change for good: the journal (and the old files kept for undo) goes.
    pub fn commit(self) -> Result<(), JournalError> {
        drop(self.log);
        std::fs::remove_dir_all(&self.dir).map_err(io_error(&self.dir))
    }
}

/// Drops the journal of a finished in-place change: it can no longer be undone.
pub fn commit(root: &Path) -> Result<(), JournalError> {
    let dir = root.join(JOURNAL_DIR);
    if dir.symlink_metadata().is_err() {
        return Err(JournalError::NothingToCommit(root.to_path_buf()));
    }
    std::fs::remove_dir_all(&dir).map_err(io_error(&dir))
}

pub(crate) use undo::names_in_log;
pub use undo::{Skip, Undone, undo};

#[path = "journal_undo.rs"]
mod undo;

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
