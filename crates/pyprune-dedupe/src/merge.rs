//! Merging a group of identical files into one inode (or into clones), one
//! atomic replacement at a time, each checked again just before it is made.

use crate::groups::{Candidate, size_groups, xattrs};
use pyprune_fs::{display_path, replace_with_link};
use pyprune_tree::{Inventory, ScanOptions, Tally, TreeError, Warning, count};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Which files may be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Only the caches of one module across optimization levels (`NAME.TAG[.opt-N].pyc`
    /// in one `__pycache__`), as `compileall --hardlink-dupes` and rpm's brp-python-hardlink do.
    Caches,
    /// Any identical regular files of the tree.
    Tree,
}

#[derive(Debug, Clone, Copy)]
pub struct DedupeOptions {
    pub scope: Scope,
    /// Merge files whose content is equal even if mode, owner, group or extended attributes differ.
    pub content_only: bool,
    /// Copy-on-write clones instead of hardlinks (where the filesystem has them).
    pub reflink: bool,
    /// Only say what would be merged and saved.
    pub dry_run: bool,
    /// Merge in the site-packages and dist-packages of a tree that holds a
    /// standard library too (else they are left out, and said so).
    pub site_packages: bool,
}

/// What a run merged (or, with `dry_run`, would merge).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DedupeReport {
    /// Groups of identical files found (two or more distinct inodes each).
    pub groups: u64,
    /// Paths made a link (or clone) of their group's first file.
    pub merged: u64,
    /// Disk bytes freed: those of every inode whose last path was merged.
    pub bytes_saved: u64,
    pub dry_run: bool,
    /// Problems met on the way; each file named here was left as it was.
    pub warnings: Vec<Warning>,
    /// The third-party directories not looked at.
    pub left_out: pyprune_tree::LeftOut,
}

/// Files up to this size are compared by their bytes; larger ones by a BLAKE3
/// hash first, then byte by byte just before they are merged.
const COMPARE_IN_MEMORY: u64 = 16 * 1024 * 1024;

/// Merges the identical files of the tree at `root`; `progress` counts the
/// entries scanned, then the candidate files compared.
pub fn dedupe_tree(
    root: &Path,
    options: &DedupeOptions,
    progress: Option<&Tally>,
) -> Result<DedupeReport, TreeError> {
    let scan = ScanOptions {
        progress,
        ..ScanOptions::default()
    };
    let mut inventory = Inventory::scan(root, &scan)?;
    let left_out = inventory.leave_out_third_party(options.site_packages);
    let root = inventory.root.clone();
    let groups = size_groups(
        &inventory,
        options.scope == Scope::Caches,
        options.content_only,
    );
    if let Some(tally) = progress {
        tally.begin(
            "files compared",
            groups.iter().map(|g| g.len() as u64).sum(),
        );
    }
    // Each group holds files of one size, so an inode belongs to one group only:
    // groups are merged in parallel and their savings simply add up.
    let outcomes: Vec<DedupeReport> = groups
        .par_iter()
        // After a signal no group starts; each merge is atomic, so a group
        // under way ends whole.
        .filter(|_| pyprune_interrupt::interrupted().is_none())
        .map(|group| merge_group(&root, group, options, progress))
        .collect();
    pyprune_interrupt::check()?;
    let mut report = DedupeReport {
        dry_run: options.dry_run,
        warnings: inventory.warnings.clone(),
        left_out,
        ..DedupeReport::default()
    };
    for outcome in outcomes {
        report.groups += outcome.groups;
        report.merged += outcome.merged;
        report.bytes_saved += outcome.bytes_saved;
        report.warnings.extend(outcome.warnings);
    }
    report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// A file's content as far as equality goes.
#[derive(PartialEq, Eq, Hash)]
enum Content {
    Bytes(Vec<u8>),
    Hash([u8; 32]),
}

fn read_content(path: &Path, size: u64) -> io::Result<Content> {
    let (file, _) = pyprune_fs::open_regular(path).map_err(|e| io::Error::other(e.to_string()))?;
    if size <= COMPARE_IN_MEMORY {
        let mut bytes = Vec::with_capacity(size as usize);
        let mut file = file;
        io::Read::read_to_end(&mut file, &mut bytes)?;
        return Ok(Content::Bytes(bytes));
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file)?;
    Ok(Content::Hash(*hasher.finalize().as_bytes()))
}

/// Reads a group of same-size files once, splits it into sets of equal
/// content, and merges each set into its first file (in path order).
fn merge_group(
    root: &Path,
    group: &[Candidate],
    options: &DedupeOptions,
    progress: Option<&Tally>,
) -> DedupeReport {
    let mut report = DedupeReport::default();
    let mut sets: HashMap<Content, Vec<&Candidate>> = HashMap::new();
    let mut read_inodes: HashMap<u64, ()> = HashMap::new();
    for candidate in group {
        count(progress);
        let path = root.join(&candidate.path);
        // A second path of an inode already read has the same content.
        if read_inodes.insert(candidate.ino, ()).is_some() {
            continue;
        }
        match read_content(&path, candidate.size) {
            Ok(content) => sets.entry(content).or_default().push(candidate),
            Err(e) => report.warnings.push(Warning {
                path,
                message: format!("cannot read: {e}; left as it was"),
            }),
        }
    }
    let mut links_left: HashMap<u64, u64> = HashMap::new();
    for set in sets.into_values().filter(|set| set.len() > 1) {
        report.groups += 1;
        let keeper = set[0];
        let keeper_path = root.join(&keeper.path);
        let keeper_xattrs = if options.content_only {
            None
        } else {
            match xattrs(&keeper_path) {
                Ok(found) => Some(found),
                Err(e) => {
                    // Without the keeper's labels nothing can be compared: leave the set alone.
                    let message = format!(
                        "cannot read its extended attributes: {e}; its identical twins were left as they were"
                    );
                    report.warnings.push(Warning {
                        path: keeper_path,
                        message,
                    });
                    continue;
                }
            }
        };
        for candidate in &set[1..] {
            // Every path of the candidate's inode in the tree becomes the keeper's.
            for (nth, path_of_inode) in group.iter().filter(|c| c.ino == candidate.ino).enumerate()
            {
                let path = root.join(&path_of_inode.path);
                // Replacing the inode's first path changed its ctime (one link fewer): only
                // the first path can be held to the ctime the walk saw.
                if let Err(reason) = check(
                    &path,
                    path_of_inode,
                    nth == 0,
                    keeper,
                    &keeper_path,
                    keeper_xattrs.as_deref(),
                ) {
                    report.warnings.push(Warning {
                        path,
                        message: format!("{reason}; left as it was"),
                    });
                    continue;
                }
                if !options.dry_run {
                    let result = if options.reflink {
                        replace_with_clone(&keeper_path, &path, path_of_inode)
                    } else {
                        replace_with_link(&keeper_path, &path)
                    };
                    if let Err(error) = result {
                        let message =
                            format!("{}; left as it was", explain(&error, options.reflink));
                        report.warnings.push(Warning { path, message });
                        continue;
                    }
                }
                report.merged += 1;
                let left = links_left.entry(candidate.ino).or_insert(candidate.nlink);
                *left = left.saturating_sub(1);
                if *left == 0 {
                    report.bytes_saved += candidate.disk;
                }
            }
        }
    }
    report
}

/// Whether the file at `path` is still the one the walk saw: same inode, size,
/// mode, owner and times (the contents were compared from that file).
fn unchanged(path: &Path, seen: &Candidate, with_ctime: bool) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    path.symlink_metadata().is_ok_and(|m| {
        m.is_file()
            && m.ino() == seen.ino
            && m.len() == seen.size
            && m.mode() == seen.mode
            && (m.uid(), m.gid()) == (seen.uid, seen.gid)
            && i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()) == seen.mtime_ns
            && (!with_ctime
                || i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec())
                    == seen.ctime_ns)
    })
}

/// Why `path` must not be merged into the keeper, if it must not.
fn check(
    path: &Path,
    candidate: &Candidate,
    first_path: bool,
    keeper: &Candidate,
    keeper_path: &Path,
    keeper_xattrs: Option<&[(std::ffi::OsString, Vec<u8>)]>,
) -> Result<(), String> {
    if candidate.mode & 0o200 == 0 {
        return Err("read-only".into());
    }
    // The keeper gains links as the set is merged: its ctime moves too.
    if !unchanged(path, candidate, first_path) || !unchanged(keeper_path, keeper, false) {
        return Err("changed since it was examined".into());
    }
    if let Some(keeper_xattrs) = keeper_xattrs {
        let own = xattrs(path).map_err(|e| format!("cannot read its extended attributes: {e}"))?;
        if own != keeper_xattrs {
            return Err("extended attributes differ from its identical twin's".into());
        }
    }
    // Large files were compared by hash: their bytes decide, right before the change.
    if candidate.size > COMPARE_IN_MEMORY {
        let same = std::fs::read(path)
            .ok()
            .zip(std::fs::read(keeper_path).ok())
            .is_some_and(|(a, b)| a == b);
        if !same {
            return Err("changed since it was examined".into());
        }
    }
    Ok(())
}

/// Why a link or clone failed, for the warning about the file it would have
/// replaced. The errors of the link, clone and rename calls stay plain
/// `io::Error`s (no path wrapped in, as `fs_err` would) because their errno is
/// read here; a failure met on another path is wrapped by [`on_twin`] instead.
fn explain(error: &io::Error, reflink: bool) -> String {
    match error.raw_os_error() {
        Some(18) => "on another filesystem than its twin (EXDEV)".into(),
        Some(31) => "its twin has as many links as the filesystem allows (EMLINK)".into(),
        Some(1) => "the filesystem did not permit the link (EPERM)".into(),
        Some(95) if reflink => "this filesystem cannot make copy-on-write clones".into(),
        _ => format!("cannot {}: {error}", if reflink { "clone" } else { "link" }),
    }
}

/// Replaces `target` with a copy-on-write clone of `keeper` that keeps the
/// target's mode, owner and extended attributes: clone into a new temporary
/// file beside it (created here, so never anyone else's), then rename.
fn replace_with_clone(keeper: &Path, target: &Path, candidate: &Candidate) -> io::Result<()> {
    let temporary = pyprune_fs::temporary_beside(target)?;
    let clone = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    let result = (|| {
        let source = std::fs::File::open(keeper).map_err(|e| on_twin(keeper, e))?;
        reflink_copy::reflink_file(&source, &clone)?;
        // Past the clone itself, an errno says nothing of cloning: each error
        // names its stage, so that `explain` does not read EPERM from fchown or
        // EOPNOTSUPP from xattrs as the filesystem refusing clones.
        clone
            .set_permissions(std::fs::Permissions::from_mode(candidate.mode & 0o7777))
            .map_err(|e| after_clone("give the clone its mode", e))?;
        std::os::unix::fs::fchown(&clone, Some(candidate.uid), Some(candidate.gid))
            .map_err(|e| after_clone("give the clone its owner", e))?;
        for (name, value) in xattrs(target).map_err(|e| after_clone("read its xattrs", e))? {
            xattr::set(&temporary, &name, &value)
                .map_err(|e| after_clone("copy its xattrs to the clone", e))?;
        }
        std::fs::rename(&temporary, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// `error`, met while finishing a clone (`what`): its errno is not the clone's.
fn after_clone(what: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("cannot {what}: {error}"))
}

/// `error`, met on the twin `keeper` rather than on the file a warning names:
/// the twin is named (its errno is not one [`explain`] tells of).
fn on_twin(keeper: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot open its twin `{}`: {error}", display_path(keeper)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn errors_after_the_clone_are_not_read_as_the_clones() {
        let eperm = after_clone(
            "give the clone its owner",
            io::Error::from_raw_os_error(libc_errno::EPERM),
        );
        let text = explain(&eperm, true);
        assert!(!text.contains("did not permit the link"), "{text}");
        assert!(text.contains("give the clone its owner"), "{text}");
        let unsupported = after_clone(
            "copy its xattrs to the clone",
            io::Error::from_raw_os_error(libc_errno::EOPNOTSUPP),
        );
        let text = explain(&unsupported, true);
        assert!(!text.contains("cannot make copy-on-write clones"), "{text}");
        assert!(text.contains("xattrs"), "{text}");
    }

    #[test]
    fn the_errno_of_a_failed_link_is_explained() {
        let exdev = io::Error::from_raw_os_error(libc_errno::EXDEV);
        assert_eq!(
            explain(&exdev, false),
            "on another filesystem than its twin (EXDEV)"
        );
        let emlink = io::Error::from_raw_os_error(libc_errno::EMLINK);
        assert!(explain(&emlink, false).contains("(EMLINK)"));
        let eperm = io::Error::from_raw_os_error(libc_errno::EPERM);
        assert!(explain(&eperm, true).contains("(EPERM)"));
        let unsupported = io::Error::from_raw_os_error(libc_errno::EOPNOTSUPP);
        assert_eq!(
            explain(&unsupported, true),
            "this filesystem cannot make copy-on-write clones"
        );
        assert!(explain(&unsupported, false).starts_with("cannot link: "));
    }

    #[test]
    fn a_twin_that_cannot_be_opened_is_named_and_the_target_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("b.py");
        std::fs::write(&target, "x = 1\n").expect("write");
        let keeper = dir.path().join("gone\n.py");
        let candidate = Candidate {
            path: PathBuf::from("b.py"),
            ino: 0,
            nlink: 1,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            size: 6,
            disk: 0,
            mtime_ns: 0,
            ctime_ns: 0,
        };
        let error = replace_with_clone(&keeper, &target, &candidate).expect_err("no twin");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        let message = explain(&error, true);
        assert!(
            message.starts_with("cannot clone: cannot open its twin `")
                && message.contains(&display_path(&keeper))
                && message.contains("gone\\x0A.py"),
            "{message}"
        );
        assert_eq!(std::fs::read(&target).expect("read"), b"x = 1\n");
        // Nothing temporary is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    /// Linux's numbers, as `explain` matches them.
    mod libc_errno {
        pub const EPERM: i32 = 1;
        pub const EXDEV: i32 = 18;
        pub const EMLINK: i32 = 31;
        pub const EOPNOTSUPP: i32 = 95;
    }
}
