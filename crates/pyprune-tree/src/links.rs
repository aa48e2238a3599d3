//! Where a symlink in the tree leads, found without ever looking outside the
//! tree: resolution goes one path component at a time from inside the root and
//! stops the moment a step would leave it.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Linux's own limit on symlinks followed while resolving one path.
const MAX_HOPS: usize = 40;

/// Where a symlink leads.
#[derive(Debug)]
pub(crate) enum LinkTarget {
    /// To an existing file or directory inside the tree.
    Inside,
    /// Out of the tree; carries the link text that first left it.
    Outside(PathBuf),
    /// To nothing.
    Dangling,
    /// Round in a circle (or through more than 40 links).
    Loop,
    /// A step could not be examined: the path of that step (the link itself,
    /// or a directory or link on the way) and why.
    Unreadable { path: PathBuf, error: io::Error },
}

/// Resolves the symlink `link` (an absolute path whose parent is a real
/// directory inside the canonical `root`). `aliases` are other spellings of the
/// root (the path the user gave, before its symlinks were resolved): an
/// absolute target under one of them is inside too.
pub(crate) fn resolve(root: &Path, aliases: &[PathBuf], link: &Path) -> LinkTarget {
    let (Some(parent), Some(name)) = (link.parent(), link.file_name()) else {
        return LinkTarget::Dangling;
    };
    let mut current = parent.to_path_buf();
    // Components still to walk, the next one last.
    let mut pending: Vec<PathBuf> = vec![PathBuf::from(name)];
    let mut hops = 0;
    // The link text being resolved, for the message when it leads out.
    let mut last_target = PathBuf::new();
    while let Some(component) = pending.pop() {
        if component == Path::new("..") {
            // `current` never contains a symlink, so going up is a lexical step.
            if current == root {
                return LinkTarget::Outside(last_target);
            }
            current.pop();
            continue;
        }
        let next = current.join(&component);
        let metadata = match next.symlink_metadata() {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return LinkTarget::Dangling,
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => return LinkTarget::Dangling,
            Err(error) => return LinkTarget::Unreadable { path: next, error },
        };
        if !metadata.file_type().is_symlink() {
            if !pending.is_empty() && !metadata.is_dir() {
                return LinkTarget::Dangling;
            }
            current = next;
            continue;
        }
        hops += 1;
        if hops > MAX_HOPS {
            return LinkTarget::Loop;
        }
        let target = match std::fs::read_link(&next) {
            Ok(target) => target,
            Err(error) => return LinkTarget::Unreadable { path: next, error },
        };
        let relative = if target.is_absolute() {
            let inside = std::iter::once(root)
                .chain(aliases.iter().map(PathBuf::as_path))
                .find_map(|r| target.strip_prefix(r).ok());
            let Some(inside) = inside else {
                return LinkTarget::Outside(target);
            };
            current = root.to_path_buf();
            inside.to_path_buf()
        } else {
            target.clone()
        };
        // Pushed in reverse, so that the target's first component is walked first.
        for part in relative.components().rev() {
            match part {
                Component::ParentDir => pending.push(PathBuf::from("..")),
                Component::Normal(name) => pending.push(PathBuf::from(name)),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        last_target = target;
    }
    LinkTarget::Inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/f.py"), "x = 1\n").expect("write");
        (dir, root)
    }

    #[test]
    fn classifies_targets() {
        let (_dir, root) = tree();
        symlink("b/f.py", root.join("a/in")).expect("link");
        symlink("../a/./b/../b", root.join("a/up-and-in")).expect("link");
        symlink("../../etc", root.join("a/out")).expect("link");
        symlink("/etc/passwd", root.join("a/abs-out")).expect("link");
        symlink(root.join("a/b/f.py"), root.join("a/abs-in")).expect("link");
        symlink("nothing", root.join("a/dangling")).expect("link");
        symlink("b/f.py/x", root.join("a/through-file")).expect("link");
        symlink("loop2", root.join("a/loop1")).expect("link");
        symlink("loop1", root.join("a/loop2")).expect("link");
        symlink("in", root.join("a/chain")).expect("link");
        symlink("out/x", root.join("a/via-out")).expect("link");

        let check = |name: &str| resolve(&root, &[], &root.join("a").join(name));
        assert!(matches!(check("in"), LinkTarget::Inside));
        assert!(matches!(check("up-and-in"), LinkTarget::Inside));
        assert!(matches!(check("chain"), LinkTarget::Inside));
        assert!(matches!(check("abs-in"), LinkTarget::Inside));
        assert!(matches!(check("out"), LinkTarget::Outside(t) if t == Path::new("../../etc")));
        assert!(matches!(check("via-out"), LinkTarget::Outside(_)));
        assert!(matches!(check("abs-out"), LinkTarget::Outside(_)));
        assert!(matches!(check("dangling"), LinkTarget::Dangling));
        assert!(matches!(check("through-file"), LinkTarget::Dangling));
        assert!(matches!(check("loop1"), LinkTarget::Loop));
    }

    #[test]
    fn names_the_step_that_could_not_be_examined() {
        let (_dir, root) = tree();
        // A name longer than any filesystem allows fails to `lstat` even as root.
        let long = "n".repeat(300);
        symlink(format!("b/{long}/x"), root.join("a/too-long")).expect("link");
        match resolve(&root, &[], &root.join("a/too-long")) {
            LinkTarget::Unreadable { path, error } => {
                assert_eq!(path, root.join("a/b").join(&long));
                assert_eq!(error.kind(), io::ErrorKind::InvalidFilename);
            }
            other => panic!("{other:?}"),
        }
    }
}
