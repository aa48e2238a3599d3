//! `apply --out`: the result built as a copy of the tree, beside where it
//! will live, under a temporary name that is renamed into place when done, so
//! that OUT appears whole or not at all. A standard library directory is laid
//! out as a prefix (`OUT/lib/python3.X`), so that the zip steps' `pythonXY.zip`
//! lands inside OUT, beside it, where the interpreter looks. A venv's files that
//! name its own path are made to name OUT (`venv_paths.rs`) before the steps run.

use crate::action::perform;
use crate::model::Model;
use crate::plan::{ApplyError, apply, predict};
use crate::steps::{Context, StepError, StepName};
use crate::venv_paths::{VenvPaths, VenvRelocation, relocation_actions};
use pyprune_fs::display_path;
use pyprune_tree::{Inventory, ScanOptions, Tally, TreeError, count};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// The names `apply --out OUT` works with.
#[derive(Debug, Clone)]
pub struct OutLayout {
    /// Where the result goes.
    pub out: PathBuf,
    /// Where it is built: a hidden name beside OUT, unique to this process.
    pub partial: PathBuf,
    /// Where the result will be, spelled without `..` or symlinks when its
    /// parent exists: compiled code names its files from it.
    pub installed_at: PathBuf,
}

impl OutLayout {
    pub fn new(out: &Path) -> OutLayout {
        let name = out.file_name().unwrap_or_default();
        let partial = out.with_file_name(format!(
            ".{}.pyprune-partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let installed_at = out
            .file_name()
            .and_then(|name| {
                let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
                let parent = parent.map_or_else(std::env::current_dir, Path::canonicalize);
                parent.ok().map(|p| p.join(name))
            })
            .unwrap_or_else(|| out.to_path_buf());
        OutLayout {
            out: out.to_path_buf(),
            partial,
            installed_at,
        }
    }
}

/// Where, inside the directory `dir` a result is built in, the copy of the
/// tree at `root` goes: `dir/lib/python3.X` for a stdlib directory (named
/// by `release`, as its interpreter expects, else as it was named), else `dir`.
pub fn copy_destination(
    dir: &Path,
    root: &Path,
    release: Option<pyprune_pyc::PythonVersion>,
) -> PathBuf {
    if !pyprune_tree::is_stdlib_dir(root, Path::is_file) {
        return dir.to_path_buf();
    }
    let name = match release {
        Some(release) => release.stdlib_dir_name().into(),
        None => root.file_name().map(ToOwned::to_owned).unwrap_or_default(),
    };
    dir.join("lib").join(name)
}

/// Why a result could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("cannot create `{}`", display_path(.path))]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot copy the tree to `{}`", display_path(.path))]
    Copy {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Scan(#[from] TreeError),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct Staged {
    pub actions: u64,
    /// `du -s` of the result as predicted on the copy's model, and as done.
    pub predicted_disk_bytes: u64,
    pub disk_bytes: u64,
    /// For a venv: the files that name its own path, rewritten for where the
    /// result lands or kept naming the original.
    pub venv: Option<VenvRelocation>,
    /// How many files were hardlinked to the tree's at the copy (some since
    /// replaced by the steps); 0 when every file was copied.
    pub linked_files: u64,
}

/// Where and how a result is built.
#[derive(Debug, Clone, Copy)]
pub struct StageTo<'a> {
    /// The directory it is built in (it must not exist).
    pub dir: &'a Path,
    /// Where it will live: compiled code and a venv's files name it.
    pub installed_at: &'a Path,
    /// Whether a venv's files name `installed_at` or the original.
    pub venv_paths: VenvPaths,
    /// How the tree's files reach the copy.
    pub bytes: CopyBytes,
    /// Counts the files copied, for a progress display.
    pub progress: Option<&'a Tally>,
}

/// How the files of the tree reach its copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyBytes {
    /// Every file copied: the result shares nothing with the tree.
    Copy,
    /// Every file hardlinked to the tree's where the filesystem allows (else
    /// copied). The steps only ever replace a file (a new inode, renamed into
    /// place) or unlink it, never write through a name, so the tree keeps its
    /// bytes and the copy holds new space only for what the steps write.
    LinkUnchanged,
}

/// Builds the result of `steps` where `to` says from the tree of
/// `inventory` with its `context`.
pub fn stage(
    inventory: &Inventory,
    context: &Context,
    block_size: u64,
    steps: &[StepName],
    to: &StageTo<'_>,
) -> Result<Staged, StageError> {
    let StageTo {
        dir,
        installed_at,
        venv_paths,
        ..
    } = *to;
    let copy_to = copy_destination(dir, &inventory.root, context.version);
    if let Some(parent) = copy_to.parent().filter(|_| copy_to != dir) {
        std::fs::create_dir_all(parent).map_err(|source| StageError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let linked = copy_tree(inventory, &copy_to, to.bytes, to.progress).map_err(|source| {
        StageError::Copy {
            path: copy_to.clone(),
            source,
        }
    })?;
    let copy = Inventory::scan(dir, &ScanOptions::default())?;
    let mut model = Model::from_inventory(&copy, block_size);
    // The copy's own paths: a stdlib directory's copy sits under lib/python3.X.
    let context = Context {
        root: copy.root.clone(),
        installed_at: installed_at.to_path_buf(),
        distributions: std::sync::Arc::new(crate::read_distributions(
            &copy,
            &if context.site_packages {
                Vec::new()
            } else {
                copy.third_party_dirs()
            },
        )),
        ..context.clone()
    };
    let mut actions = 0u64;
    // The venv's own paths first: the steps (and what reads the model after
    // them) see the scripts as they will be.
    let venv = if crate::venv_paths::is_venv(&model) {
        let from = crate::venv_paths::own_spellings(&inventory.root);
        let (writes, relocation) =
            relocation_actions(&model, &context, &from, installed_at, venv_paths)?;
        for action in &writes {
            perform(&context.root, action).map_err(ApplyError::from)?;
            model.apply(action);
            actions += 1;
        }
        Some(relocation)
    } else {
        None
    };
    if let Some(tally) = to.progress {
        tally.begin("steps run on the copy, actions done", 0);
    }
    let predicted = predict(&model, steps, &context)?.disk_total();
    let result = apply(model, steps, &context, |_| {
        actions += 1;
        count(to.progress);
    })?;
    Ok(Staged {
        actions,
        predicted_disk_bytes: predicted,
        disk_bytes: result.disk_total(),
        venv,
        linked_files: linked,
    })
}

/// Copies the tree of `inventory` to `to` (which must not exist):
/// directories, files with their modes and modification times (caches are
/// checked against their sources' mtimes), hardlinks as hardlinks, symlinks
/// as symlinks; with [`CopyBytes::LinkUnchanged`], files as hardlinks to the
/// tree's where the filesystem allows. Every error names its path (escaped as
/// pyprune shows paths: a name in the tree may hold any byte). Returns how
/// many files were linked to the tree's.
pub fn copy_tree(
    inventory: &Inventory,
    to: &Path,
    bytes: CopyBytes,
    progress: Option<&Tally>,
) -> io::Result<u64> {
    if let Some(tally) = progress {
        let stage = match bytes {
            CopyBytes::Copy => "files copied",
            CopyBytes::LinkUnchanged => "files linked or copied",
        };
        tally.begin(stage, inventory.files.len() as u64);
    }
    let mut linked = 0u64;
    std::fs::create_dir(to).map_err(at(to))?;
    for (dir, _) in &inventory.directories_list {
        if !dir.as_os_str().is_empty() {
            let target = to.join(dir);
            std::fs::create_dir(&target).map_err(at(&target))?;
        }
    }
    let mut first_copy: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for (index, file) in inventory.files.iter().enumerate() {
        count(progress);
        if index == 1 {
            // One file copied, the rest to go.
            pyprune_interrupt::pause_point("copy");
        }
        pyprune_interrupt::check()?;
        let source = inventory.root.join(&file.path);
        let target = to.join(&file.path);
        if file.is_symlink {
            let link = std::fs::read_link(&source).map_err(at(&source))?;
            std::os::unix::fs::symlink(link, &target).map_err(at(&target))?;
            continue;
        }
        if let Some(existing) = first_copy.get(&file.inode) {
            std::fs::hard_link(existing, &target).map_err(at(&target))?;
            continue;
        }
        // Only a regular file is linked (a FIFO swapped in since the walk is
        // not); where links cannot be made (another filesystem, too many
        // links), it is copied.
        if bytes == CopyBytes::LinkUnchanged
            && source.symlink_metadata().is_ok_and(|m| m.is_file())
            && std::fs::hard_link(&source, &target).is_ok()
        {
            linked += 1;
            first_copy.insert(file.inode, target);
            continue;
        }
        pyprune_fs::copy_regular(&source, &target)?;
        first_copy.insert(file.inode, target);
    }
    // Directory mtimes last: creating their entries changed them. A
    // directory of the original gone since the walk keeps its new time.
    for (dir, _) in inventory.directories_list.iter().rev() {
        if let Ok(modified) = std::fs::metadata(inventory.root.join(dir)).and_then(|m| m.modified())
            && let Ok(handle) = std::fs::File::open(to.join(dir))
        {
            let _ = handle.set_times(std::fs::FileTimes::new().set_modified(modified));
        }
    }
    Ok(linked)
}

/// An I/O error that names `path` (and keeps its kind).
fn at(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("`{}`: {e}", display_path(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyprune_pyc::PythonVersion;
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    #[test]
    fn out_is_built_beside_itself_and_named_for_where_it_lands() {
        let layout = OutLayout::new(Path::new("/srv/build/out"));
        assert_eq!(
            layout.partial,
            PathBuf::from(format!(
                "/srv/build/.out.pyprune-partial-{}",
                std::process::id()
            ))
        );
        assert_eq!(layout.out, PathBuf::from("/srv/build/out"));
        let here = std::env::current_dir().expect("cwd");
        assert_eq!(
            OutLayout::new(Path::new("out")).installed_at,
            here.join("out")
        );
    }

    #[test]
    fn a_stdlib_directory_is_copied_into_a_prefix_layout() {
        let dir = tempfile::tempdir().expect("tmp");
        let stdlib = dir.path().join("stdlib-copy");
        std::fs::create_dir(&stdlib).expect("mkdir");
        std::fs::write(stdlib.join("os.py"), "").expect("write");
        let v311 = Some(PythonVersion::new(3, 11));
        let at = Path::new("/x/out");
        assert_eq!(
            copy_destination(at, &stdlib, v311),
            at.join("lib/python3.11")
        );
        assert_eq!(
            copy_destination(at, &stdlib, None),
            at.join("lib/stdlib-copy")
        );
        assert_eq!(copy_destination(at, dir.path(), v311), at);
    }

    #[test]
    fn linked_copies_share_inodes_and_steps_replace_rather_than_write_through() {
        let dir = tempfile::tempdir().expect("tmp");
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("pkg")).expect("mkdir");
        std::fs::write(tree.join("pkg/a.py"), "a = 1\n").expect("write");
        std::fs::write(tree.join("pkg/b.py"), "b = 1\n").expect("write");
        std::os::unix::fs::symlink("a.py", tree.join("pkg/c.py")).expect("symlink");
        let inventory = Inventory::scan(&tree, &ScanOptions::default()).expect("scan");
        let copy = dir.path().join("copy");
        let tally = Tally::new("starting");
        let linked =
            copy_tree(&inventory, &copy, CopyBytes::LinkUnchanged, Some(&tally)).expect("copied");
        assert_eq!(linked, 2);
        assert_eq!(tally.read(), ("files linked or copied".to_owned(), 3, 3));
        let ino = |p: &Path| std::fs::symlink_metadata(p).expect("stat").ino();
        assert_eq!(ino(&tree.join("pkg/a.py")), ino(&copy.join("pkg/a.py")));
        assert!(
            std::fs::symlink_metadata(copy.join("pkg/c.py"))
                .expect("stat")
                .is_symlink()
        );
        // What the steps do to the copy leaves the tree's bytes alone.
        let write = crate::Action::Write {
            path: "pkg/a.py".into(),
            bytes: b"a = 2\n".to_vec().into(),
            mode: 0o644,
            kind: pyprune_tree::Kind::Source,
            module: "pkg.a".to_owned(),
        };
        perform(&copy, &write).expect("written");
        perform(&copy, &crate::Action::Remove("pkg/b.py".into())).expect("removed");
        assert_eq!(
            std::fs::read(tree.join("pkg/a.py")).expect("read"),
            b"a = 1\n"
        );
        assert_eq!(
            std::fs::read(copy.join("pkg/a.py")).expect("read"),
            b"a = 2\n"
        );
        assert!(tree.join("pkg/b.py").is_file());
        // Copying shares nothing.
        let plain = dir.path().join("plain");
        assert_eq!(
            copy_tree(&inventory, &plain, CopyBytes::Copy, None).expect("copied"),
            0
        );
        assert_ne!(ino(&tree.join("pkg/b.py")), ino(&plain.join("pkg/b.py")));
    }

    #[test]
    fn copies_keep_modes_links_and_symlinks_and_errors_name_the_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("pkg")).expect("mkdir");
        std::fs::write(tree.join("pkg/a.py"), "a = 1\n").expect("write");
        std::fs::set_permissions(
            tree.join("pkg/a.py"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        std::fs::hard_link(tree.join("pkg/a.py"), tree.join("pkg/b.py")).expect("link");
        std::os::unix::fs::symlink("a.py", tree.join("pkg/c.py")).expect("symlink");
        let inventory = Inventory::scan(&tree, &ScanOptions::default()).expect("scan");
        let copy = dir.path().join("copy");
        copy_tree(&inventory, &copy, CopyBytes::Copy, None).expect("copied");
        let meta = |p: &str| std::fs::symlink_metadata(copy.join(p)).expect("stat");
        assert_eq!(meta("pkg/a.py").mode() & 0o7777, 0o600);
        assert_eq!(meta("pkg/a.py").ino(), meta("pkg/b.py").ino());
        assert_eq!(
            std::fs::read_link(copy.join("pkg/c.py")).expect("a link"),
            Path::new("a.py")
        );
        let again = copy_tree(&inventory, &copy, CopyBytes::Copy, None).expect_err("exists");
        assert!(
            again.to_string().contains(&copy.display().to_string()),
            "{again}"
        );
    }
}
