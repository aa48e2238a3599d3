//! Which tree a command works on, and which interpreter (if any) speaks for it.

use anyhow::Context as _;
use pyprune_python::{Interpreter, named_or_default};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The tree to work on and the interpreter that describes it.
#[derive(Debug)]
pub struct Target {
    pub root: PathBuf,
    pub python: Option<Interpreter>,
}

impl Target {
    /// Walks the tree with progress on `printer`, taking the interpreter's
    /// `sys.path` entries in it (if one speaks for it) as import roots.
    pub fn scan(
        &self,
        printer: &crate::printer::Printer,
    ) -> Result<pyprune_tree::Inventory, pyprune_tree::TreeError> {
        let tally = std::sync::Arc::new(pyprune_tree::Tally::new("entries scanned"));
        let _progress = printer.progress(std::sync::Arc::clone(&tally));
        let options = pyprune_tree::ScanOptions {
            import_roots: self
                .python
                .as_ref()
                .map(|p| p.sys_path.clone())
                .unwrap_or_default(),
            progress: Some(&tally),
        };
        pyprune_tree::Inventory::scan(&self.root, &options)
    }
}

/// With a `path`, that tree, and an interpreter only when `--python` names one.
/// Without, the standard library of `--python` (default `python3`).
pub fn resolve(path: Option<&Path>, python: Option<&OsStr>) -> anyhow::Result<Target> {
    match path {
        Some(path) => {
            let python = python.map(discover).transpose()?;
            Ok(Target {
                root: path.to_path_buf(),
                python,
            })
        }
        None => {
            let python = discover(named_or_default(python)).context(
                "no PATH was given, so pyprune asked the interpreter for its standard library",
            )?;
            Ok(Target {
                root: python.stdlib.clone(),
                python: Some(python),
            })
        }
    }
}

fn discover(python: &OsStr) -> anyhow::Result<Interpreter> {
    pyprune_python::discover(python).with_context(|| {
        format!(
            "could not ask `{}` about itself (choose one with --python)",
            python.to_string_lossy()
        )
    })
}

/// Refuses to run `python` on a tree whose caches are all another
/// release's: that tree is for another interpreter, and verifying it with
/// this one would give a regression per module instead of one clear error.
/// Caches are told apart by their tag (`cpython-311` in the name) and, under
/// the interpreter's own tag, by the magic number they start with (an alpha
/// or a patched build of the same release writes another). A tree with no
/// caches, or with some of this interpreter's among others (left over from
/// an upgrade), is run.
pub fn refuse_foreign_bytecode(
    inventory: &pyprune_tree::Inventory,
    python: &Interpreter,
) -> anyhow::Result<()> {
    let root = &inventory.root;
    let cache_tags = inventory.summary().cache_tags;
    if cache_tags.is_empty() {
        return Ok(());
    }
    if !cache_tags.contains_key(&python.cache_tag) {
        let (tree_cache_tag, _) = pyprune_steps::release_of_caches(&cache_tags);
        anyhow::bail!(
            "the bytecode of `{}` is for {tree_cache_tag}, and `{}` is {} {} ({}): verify runs the tree's own interpreter; name it with --python",
            pyprune_fs::display_path(root),
            python.command.to_string_lossy(),
            python.implementation,
            python.version,
            python.cache_tag
        );
    }
    let magics = magic_numbers(inventory, &python.cache_tag);
    if !magics.is_empty() && !magics.contains_key(&python.magic_number()) {
        let (theirs, count) = magics
            .iter()
            .max_by_key(|(_, count)| **count)
            .expect("not empty");
        anyhow::bail!(
            "the {} bytecode of `{}` starts with magic number {theirs} ({count} files), and `{}` ({} {}) writes {}: it is another build of that release; verify runs the tree's own interpreter; name it with --python",
            python.cache_tag,
            pyprune_fs::display_path(root),
            python.command.to_string_lossy(),
            python.implementation,
            python.version,
            python.magic_number()
        );
    }
    Ok(())
}

/// How many of the tree's caches named with `tag` start with each magic
/// number (files too short or unreadable are not counted: verify judges them).
fn magic_numbers(inventory: &pyprune_tree::Inventory, tag: &str) -> BTreeMap<u16, u64> {
    use std::io::Read as _;
    let mut found = BTreeMap::new();
    for file in &inventory.files {
        let tagged = !file.is_symlink
            && file
                .path
                .file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|name| {
                    pyprune_pyc::CacheFileName::parse(name).is_some_and(|cache| cache.tag == tag)
                });
        if !tagged {
            continue;
        }
        let mut start = [0u8; 2];
        let read = std::fs::File::open(inventory.root.join(&file.path))
            .and_then(|mut f| f.read_exact(&mut start));
        if read.is_ok() {
            *found.entry(u16::from_le_bytes(start)).or_default() += 1;
        }
    }
    found
}

/// The interpreter to run on the tree at `root`: `known` (the one that
/// described it), else `--python`, else the tree's own ([`own_interpreter`]),
/// else `python3`. `cache_tags`: how many of the tree's caches carry each tag.
pub fn interpreter_for_tree(
    known: Option<Interpreter>,
    python: Option<&OsStr>,
    root: &Path,
    cache_tags: &BTreeMap<String, u64>,
) -> anyhow::Result<Interpreter> {
    if let Some(known) = known {
        return Ok(known);
    }
    if python.is_none()
        && let Some(own) = own_interpreter(root, cache_tags)
    {
        return pyprune_python::discover(own.as_os_str()).with_context(|| {
            format!(
                "`{}` is the interpreter of `{}`, and it cannot start (name another with --python)",
                pyprune_fs::display_path(&own),
                pyprune_fs::display_path(root)
            )
        });
    }
    let command = named_or_default(python);
    pyprune_python::discover(command).with_context(|| {
        format!(
            "verify runs the tree's interpreter, and `{}` could not be asked about itself (choose one with --python)",
            command.to_string_lossy()
        )
    })
}

/// The interpreter a tree brings with it, as the path to run (never resolved
/// through its symlink: a venv's `bin/python` must run as itself for its
/// `pyvenv.cfg` to apply): a venv's `bin/python`; a prefix's
/// `bin/python3.X` beside its `lib/python3.X`; for a prefix's stdlib
/// directory `PREFIX/lib/python3.X`, `PREFIX/bin/python3.X`. A prefix with
/// several releases' stdlibs runs the one most of its caches are for.
pub fn own_interpreter(root: &Path, cache_tags: &BTreeMap<String, u64>) -> Option<PathBuf> {
    let exists = |path: &Path| path.symlink_metadata().is_ok();
    if root.join("pyvenv.cfg").is_file() && exists(&root.join("bin/python")) {
        return Some(root.join("bin/python"));
    }
    let is_stdlib = |dir: &Path| pyprune_tree::is_stdlib_dir(dir, Path::is_file);
    // (bin/python3.X, python3.X) of every stdlib directory the prefix has.
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for lib in pyprune_tree::LIB_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(lib)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let python = root.join("bin").join(&name);
            if name.starts_with("python3.") && is_stdlib(&entry.path()) && exists(&python) {
                found.push((python, name));
            }
        }
    }
    if found.is_empty() {
        // The stdlib directory of a prefix: PREFIX/lib/python3.X.
        let name = root.file_name()?.to_str()?;
        let lib = root.parent()?;
        let lib_named = lib
            .file_name()
            .is_some_and(|n| pyprune_tree::LIB_DIRS.iter().any(|l| n == *l));
        let python = lib.parent()?.join("bin").join(name);
        return (name.starts_with("python3.") && lib_named && is_stdlib(root) && exists(&python))
            .then_some(python);
    }
    found.sort();
    let (_, release) = pyprune_steps::release_of_caches(cache_tags);
    let majority = release.map(pyprune_pyc::PythonVersion::stdlib_dir_name);
    let chosen = found
        .iter()
        .position(|(_, name)| Some(name) == majority.as_ref())
        .unwrap_or(found.len() - 1);
    Some(found.swap_remove(chosen).0)
}

/// The interpreter to run on `result` (a copy of `original` made by `apply
/// --out`): when `python` lives inside the original, its copy in the result
/// (a copied venv must run as itself), else `python`.
pub fn interpreter_in_copy(python: &Interpreter, original: &Path, result: &Path) -> Interpreter {
    let executable = &python.executable;
    let parent = executable.parent().and_then(|p| p.canonicalize().ok());
    let copied = parent
        .zip(executable.file_name())
        .and_then(|(parent, name)| {
            Some(result.join(parent.strip_prefix(original).ok()?).join(name))
        })
        .filter(|path| path.symlink_metadata().is_ok());
    match copied {
        Some(copied) => Interpreter {
            command: copied.clone().into_os_string(),
            executable: copied,
            ..python.clone()
        },
        None => python.clone(),
    }
}

/// The note saying a tree holds caches of several releases, and which one runs.
pub fn mixed_tags_note(
    root: &Path,
    cache_tags: &BTreeMap<String, u64>,
    python: &Interpreter,
) -> Option<pyprune_verify::Finding> {
    if cache_tags.len() < 2 {
        return None;
    }
    let counts: Vec<String> = cache_tags
        .iter()
        .map(|(tag, count)| format!("{count} {tag}"))
        .collect();
    Some(pyprune_verify::Finding {
        check: "interpreter",
        subject: pyprune_fs::display_path(root),
        reason: format!(
            "the tree holds caches of several releases ({}): verified with `{}` ({})",
            counts.join(", "),
            pyprune_fs::display_path(&python.executable),
            python.cache_tag
        ),
    })
}

/// Refuses to change the tree at `root` in place when its filesystem is
/// mounted read-only: one clear error before any work, rather than the first
/// write failing half way through. `what` says what would have changed it.
pub fn refuse_read_only(root: &Path, what: &str) -> anyhow::Result<()> {
    refuse_on_read_only(
        root,
        &format!(
            "{what} changes the tree in place, and nothing was changed \
             (copy it elsewhere, or use `apply --out` to write the result to a new directory)"
        ),
    )
}

/// Refuses `--out DIR` when the directory DIR would be made in is on a
/// read-only filesystem, before any work.
pub fn refuse_read_only_out(out: &Path) -> anyhow::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    refuse_on_read_only(
        parent,
        "--out cannot write the result there, and nothing was done",
    )
}

/// Fails with "`path` is on a read-only filesystem: {consequence}" when it is.
fn refuse_on_read_only(path: &Path, consequence: &str) -> anyhow::Result<()> {
    if pyprune_fs::on_read_only_filesystem(path).unwrap_or(false) {
        anyhow::bail!(
            "`{}` is on a read-only filesystem: {consequence}",
            pyprune_fs::display_path(path)
        );
    }
    Ok(())
}
