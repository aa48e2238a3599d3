//! One parallel walk over a tree: every directory is read once, every entry
//! is `lstat`ed once relative to its directory, nothing is followed. Per-entry
//! problems become warnings; only an unusable root is an error.

use crate::links::{self, LinkTarget};
use crate::tally::Tally;
use pyprune_fs::{display_path, special_kind};
use serde::Serialize;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a scan may be told besides the root.
#[derive(Debug, Default)]
pub struct ScanOptions<'a> {
    /// Import roots the interpreter reported (absolute paths; those outside the tree are ignored).
    pub import_roots: Vec<PathBuf>,
    /// Counts the entries seen, for a progress display.
    pub progress: Option<&'a Tally>,
}

/// A problem with one path; the walk went on without it (or counted it anyway, as the message says).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The full path the warning is about.
    #[serde(serialize_with = "pyprune_fs::serialize_path")]
    pub path: PathBuf,
    /// What is wrong, in words.
    pub message: String,
}

/// How the message of a path the walk left out ends.
const LEFT_OUT: &str = "; left out";

impl Warning {
    /// Whether the walk left the path out of the inventory (a FIFO, a
    /// socket, a device, an unreadable file or directory): no step, copy or
    /// worker meets it, so `--out` leaves it out of the result and an
    /// in-place change leaves it as it was.
    pub fn left_out(&self) -> bool {
        self.message.ends_with(LEFT_OUT)
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", display_path(&self.path), self.message)
    }
}

/// Why a tree could not be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The root does not exist or cannot be examined.
    #[error("cannot read `{}`", display_path(path))]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The root is a file, not a directory.
    #[error("`{}` is not a directory", display_path(.0))]
    NotADirectory(PathBuf),
    /// pyprune was interrupted: the walk stopped part way.
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
}

/// A non-directory entry as the walk saw it (symlinks included, as themselves).
#[derive(Debug)]
pub(crate) struct RawFile {
    pub rel: PathBuf,
    pub apparent: u64,
    pub disk: u64,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    /// `st_mode`, `st_uid`, `st_gid`.
    pub mode: u32,
    /// `st_mtime` and `st_ctime`, in nanoseconds.
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub uid: u32,
    pub gid: u32,
    pub is_symlink: bool,
    /// False for a symlink that leads nowhere or out of the tree.
    pub target_inside: bool,
}

/// A directory as the walk saw it.
#[derive(Debug)]
pub(crate) struct RawDir {
    pub rel: PathBuf,
    pub apparent: u64,
    pub disk: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub files: Vec<RawFile>,
    pub dirs: Vec<RawDir>,
    pub warnings: Vec<Warning>,
}

/// Walks `root` (already canonical) in parallel.
pub(crate) fn walk(
    root: &Path,
    aliases: &[PathBuf],
    progress: Option<&Tally>,
) -> Result<Walked, TreeError> {
    let metadata = root.symlink_metadata().map_err(|source| TreeError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(TreeError::NotADirectory(root.to_path_buf()));
    }
    let walker = Walker {
        root,
        aliases,
        progress,
        out: Mutex::new(Walked::default()),
    };
    walker.push_dir(RawDir {
        rel: PathBuf::new(),
        apparent: metadata.size(),
        disk: metadata.blocks() * 512,
    });
    rayon::scope(|scope| walker.read_dir(scope, PathBuf::new()));
    // A walk cut short by a signal is no inventory.
    pyprune_interrupt::check()?;
    Ok(walker.out.into_inner().unwrap_or_else(|e| e.into_inner()))
}

struct Walker<'a> {
    root: &'a Path,
    aliases: &'a [PathBuf],
    progress: Option<&'a Tally>,
    out: Mutex<Walked>,
}

impl<'a> Walker<'a> {
    fn read_dir<'s>(&'s self, scope: &rayon::Scope<'s>, rel: PathBuf) {
        if pyprune_interrupt::interrupted().is_some() {
            return;
        }
        let abs = self.root.join(&rel);
        let entries = match std::fs::read_dir(&abs) {
            Ok(entries) => entries,
            Err(e) if rel.as_os_str().is_empty() => {
                return self.warn(abs, format!("cannot read directory: {e}"));
            }
            // Nothing in it is known: it is left out like its files, so that
            // a copy does not hold an empty, readable stand-in for it (which
            // Python would import as a namespace package).
            Err(e) => {
                self.lock().dirs.retain(|d| d.rel != rel);
                let warning = left_out(&abs, format!("cannot read directory: {e}"));
                return self.lock().warnings.push(warning);
            }
        };
        let mut files = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = 0;
        for entry in entries {
            seen += 1;
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    warnings.push(warning(&abs, format!("cannot list directory entry: {e}")));
                    continue;
                }
            };
            let child_rel = rel.join(entry.file_name());
            // `DirEntry::metadata` is an `fstatat` relative to the open directory: no symlink
            // is followed and the path is not resolved again from the root.
            let metadata = entry.metadata();
            match examine_entry(self.root, self.aliases, &child_rel, metadata, &mut warnings) {
                Some(Entry::Dir(dir)) => {
                    let child = dir.rel.clone();
                    self.push_dir(dir);
                    scope.spawn(move |scope| self.read_dir(scope, child));
                }
                Some(Entry::File(file)) => files.push(file),
                None => {}
            }
        }
        if let Some(progress) = self.progress {
            progress.add(seen);
        }
        if rel.as_os_str().is_empty() {
            // The root read, its subdirectories queued: the walk is under way.
            pyprune_interrupt::pause_point("walk");
        }
        let mut out = self.lock();
        out.files.append(&mut files);
        out.warnings.append(&mut warnings);
    }

    fn push_dir(&self, dir: RawDir) {
        self.lock().dirs.push(dir);
    }

    fn warn(&self, path: PathBuf, message: String) {
        self.lock().warnings.push(warning(&path, message));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Walked> {
        // A panic elsewhere must not hide what was already collected.
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) enum Entry {
    Dir(RawDir),
    File(RawFile),
}

fn warning(path: &Path, message: String) -> Warning {
    Warning {
        path: path.to_path_buf(),
        message,
    }
}

/// The warning for a path the walk leaves out of the inventory, `why` said.
fn left_out(path: &Path, why: String) -> Warning {
    warning(path, format!("{why}{LEFT_OUT}"))
}

/// Turns the `lstat` result of the entry `rel` (inside the canonical `root`)
/// into an entry, or into a warning when it cannot be counted.
pub(crate) fn examine_entry(
    root: &Path,
    aliases: &[PathBuf],
    rel: &Path,
    metadata: io::Result<std::fs::Metadata>,
    warnings: &mut Vec<Warning>,
) -> Option<Entry> {
    // The full path is only needed for warnings and symlinks: not built for every file.
    let abs = || root.join(rel);
    if rel.file_name().is_some_and(|n| n.to_str().is_none()) {
        warnings.push(warning(
            &abs(),
            "file name is not valid UTF-8; counted, shown with \\x escapes".into(),
        ));
    }
    let metadata = match metadata {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            warnings.push(warning(
                &abs(),
                "vanished during the walk; not counted".into(),
            ));
            return None;
        }
        Err(e) => {
            warnings.push(warning(&abs(), format!("cannot examine: {e}; not counted")));
            return None;
        }
    };
    if metadata.is_dir() {
        return Some(Entry::Dir(RawDir {
            rel: rel.to_path_buf(),
            apparent: metadata.size(),
            disk: metadata.blocks() * 512,
        }));
    }
    if let Some(what) = special_kind(&metadata.file_type()) {
        // Opening one could block (a FIFO), fail oddly (a socket) or read a
        // device: no step, copy or worker may meet it, so it is not in the inventory.
        warnings.push(left_out(
            &abs(),
            format!("{what}, not a regular file: never opened"),
        ));
        return None;
    }
    let mut target_inside = true;
    if metadata.file_type().is_symlink() {
        let abs = abs();
        let problem = match links::resolve(root, aliases, &abs) {
            LinkTarget::Inside => None,
            LinkTarget::Outside(target) => Some(format!(
                "symlink leads out of the tree (to `{}`); not followed",
                display_path(&target)
            )),
            LinkTarget::Dangling => Some("dangling symlink; counted as a link".into()),
            LinkTarget::Loop => Some("symlink loop; counted as a link".into()),
            LinkTarget::Unreadable { path, error } if path == abs => Some(format!(
                "cannot resolve symlink: {error}; counted as a link"
            )),
            // A step on the way failed: the warning is about the link, so name the step.
            LinkTarget::Unreadable { path, error } => Some(format!(
                "cannot resolve symlink: cannot examine `{}`: {error}; counted as a link",
                display_path(&path)
            )),
        };
        target_inside = problem.is_none();
        if let Some(message) = problem {
            warnings.push(warning(&abs, message));
        }
    }
    // Later steps, the copy and verify's workers read files: one that cannot
    // be read is left out like a FIFO (a copy would stop on it, a worker fail
    // on it). Opening is tried only when some read bit is off, so the common
    // case costs nothing.
    if metadata.is_file()
        && metadata.mode() & 0o444 != 0o444
        && let Err(e) = std::fs::File::open(abs())
    {
        warnings.push(left_out(&abs(), format!("unreadable file: {e}")));
        return None;
    }
    Some(Entry::File(RawFile {
        rel: rel.to_path_buf(),
        apparent: metadata.size(),
        disk: metadata.blocks() * 512,
        dev: metadata.dev(),
        ino: metadata.ino(),
        nlink: metadata.nlink(),
        mode: metadata.mode(),
        mtime_ns: i128::from(metadata.mtime()) * 1_000_000_000 + i128::from(metadata.mtime_nsec()),
        ctime_ns: i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec()),
        uid: metadata.uid(),
        gid: metadata.gid(),
        is_symlink: metadata.file_type().is_symlink(),
        target_inside,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_and_sockets_are_left_out_with_a_warning_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join("m.py"), "x = 1\n").expect("write");
        let fifo = root.join("x.py");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo")
                .success()
        );
        let socket = root.join("s.py");
        drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
        // A character device where the system lets the tests make one (as root).
        let device = root.join("null.py");
        let made_device = std::process::Command::new("mknod")
            .arg(&device)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let walked = walk(&root, &[], None).expect("walk");
        let files: Vec<&Path> = walked.files.iter().map(|f| f.rel.as_path()).collect();
        assert_eq!(files, [Path::new("m.py")]);
        let mut warnings: Vec<(PathBuf, String)> = walked
            .warnings
            .into_iter()
            .map(|w| (w.path, w.message))
            .collect();
        warnings.sort();
        let left_out = |what: &str| format!("{what}, not a regular file: never opened; left out");
        let mut expected = vec![
            (socket, left_out("a socket")),
            (fifo, left_out("a FIFO (named pipe)")),
        ];
        if made_device {
            expected.insert(0, (device, left_out("a character device")));
        } else {
            eprintln!("note: mknod is not allowed here: the device case was skipped");
        }
        assert_eq!(warnings, expected);
    }

    #[test]
    fn vanished_entry_is_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut warnings = Vec::new();
        let abs = dir.path().join("gone.py");
        let metadata = abs.symlink_metadata();
        let entry = examine_entry(
            dir.path(),
            &[],
            Path::new("gone.py"),
            metadata,
            &mut warnings,
        );
        assert!(entry.is_none());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, abs);
        assert!(
            warnings[0].message.contains("vanished"),
            "{}",
            warnings[0].message
        );
    }

    #[test]
    fn a_symlink_that_cannot_be_resolved_names_the_step_that_failed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let long = "n".repeat(300);
        std::os::unix::fs::symlink(format!("{long}/x"), root.join("link")).expect("symlink");
        let mut warnings = Vec::new();
        let rel = Path::new("link");
        let entry = examine_entry(
            &root,
            &[],
            rel,
            root.join(rel).symlink_metadata(),
            &mut warnings,
        );
        assert!(matches!(entry, Some(Entry::File(f)) if f.is_symlink && !f.target_inside));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, root.join("link"));
        let message = &warnings[0].message;
        assert!(
            message.starts_with("cannot resolve symlink: cannot examine `")
                && message.contains(&display_path(&root.join(&long)))
                && message.ends_with("; counted as a link"),
            "{message}"
        );
    }
}
