//! `apply --out`: the result built as a copy of the tree, beside where it
//! will live, under a temporary name that is renamed into place when done, so
//! that OUT appears whole or not at all. A standard library directory is laid
//! out as a prefix (`OUT/lib/python3.X`), so that the zip steps' `pythonXY.zip`
//! lands inside OUT, beside it, where the interpreter looks.

use crate::model::Model;
use crate::plan::{ApplyError, apply, predict};
use crate::steps::{Context, StepError, StepName};
use fs_err as fs;
use pyprune_fs::display_path;
use pyprune_tree::{Inventory, ScanOptions, TreeError};
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
#[derive(Debug, Clone, Copy)]
pub struct Staged {
    pub actions: u64,
    /// `du -s` of the result as predicted on the copy's model, and as done.
    pub predicted_disk_bytes: u64,
    pub disk_bytes: u64,
}

/// Builds the result of `steps` in `dir` (which must not exist) from the
/// tree of `inventory` with its `context`, for a tree that will live at
/// `installed_at`.
pub fn stage(
    inventory: &Inventory,
    context: &Context,
    block_size: u64,
    steps: &[StepName],
    dir: &Path,
    installed_at: &Path,
) -> Result<Staged, StageError> {
    let copy_to = copy_destination(dir, &inventory.root, context.version);
    if let Some(parent) = copy_to.parent().filter(|_| copy_to != dir) {
        fs::create_dir_all(parent).map_err(|source| StageError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    copy_tree(inventory, &copy_to).map_err(|source| StageError::Copy {
        path: copy_to.clone(),
        source,
    })?;
    let copy = Inventory::scan(dir, &ScanOptions::default())?;
    let model = Model::from_inventory(&copy, block_size);
    let context = Context {
        root: copy.root.clone(),
        installed_at: installed_at.to_path_buf(),
        ..context.clone()
    };
    let predicted = predict(&model, steps, &context)?.disk_total();
    let mut actions = 0u64;
    let result = apply(model, steps, &context, |_| actions += 1)?;
    Ok(Staged {
        actions,
        predicted_disk_bytes: predicted,
        disk_bytes: result.disk_total(),
    })
}

/// Copies the tree of `inventory` to `to` (which must not exist):
/// directories, files with their modes and modification times (caches are
/// checked against their sources' mtimes), hardlinks as hardlinks, symlinks
/// as symlinks. Every error names its path.
pub fn copy_tree(inventory: &Inventory, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for (dir, _) in &inventory.directories_list {
        if !dir.as_os_str().is_empty() {
            fs::create_dir(to.join(dir))?;
        }
    }
    let mut first_copy: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for file in &inventory.files {
        let source = inventory.root.join(&file.path);
        let target = to.join(&file.path);
        if file.is_symlink {
            fs::os::unix::fs::symlink(fs::read_link(&source)?, &target)?;
            continue;
        }
        if let Some(existing) = first_copy.get(&file.inode) {
            fs::hard_link(existing, &target)?;
            continue;
        }
        let (input, meta) = pyprune_fs::open_regular(&source)
            .map_err(|e| io::Error::other(format!("{}: {e}", display_path(&source))))?;
        let mut input = fs::File::from_parts(input, &source);
        let mut output = fs::File::create(&target)?;
        io::copy(&mut input, &mut output)?;
        output.set_permissions(meta.permissions())?;
        let times = std::fs::FileTimes::new()
            .set_modified(meta.modified()?)
            .set_accessed(meta.accessed()?);
        output.set_times(times)?;
        first_copy.insert(file.inode, target);
    }
    // Directory mtimes last: creating their entries changed them.
    for (dir, _) in inventory.directories_list.iter().rev() {
        if let Ok(meta) = std::fs::metadata(inventory.root.join(dir))
            && let Ok(handle) = std::fs::File::open(to.join(dir))
        {
            let _ = handle.set_times(std::fs::FileTimes::new().set_modified(meta.modified()?));
        }
    }
    Ok(())
}
