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

/// Refuses to run `python` on a tree whose caches (`cache_tags`: how many
/// carry each tag) are all another release's: that tree is for another
/// interpreter, and verifying it with this one would give a regression per
/// module instead of one clear error. A tree with no caches, or with some of
/// this interpreter's among others (left over from an upgrade), is run.
pub fn refuse_foreign_bytecode(
    root: &Path,
    cache_tags: &BTreeMap<String, u64>,
    python: &Interpreter,
) -> anyhow::Result<()> {
    if cache_tags.is_empty() || cache_tags.contains_key(&python.cache_tag) {
        return Ok(());
    }
    let (tree_cache_tag, _) = pyprune_steps::release_of_caches(cache_tags);
    anyhow::bail!(
        "the bytecode of `{}` is for {tree_cache_tag}, and `{}` is {} {} ({}): verify runs the tree's own interpreter; name it with --python",
        pyprune_fs::display_path(root),
        python.command.to_string_lossy(),
        python.implementation,
        python.version,
        python.cache_tag
    )
}

/// The interpreter to run on a tree: `known` (the one that described it),
/// else `--python` or `python3`.
pub fn interpreter_for_tree(
    known: Option<Interpreter>,
    python: Option<&OsStr>,
) -> anyhow::Result<Interpreter> {
    if let Some(known) = known {
        return Ok(known);
    }
    let command = named_or_default(python);
    pyprune_python::discover(command).with_context(|| {
        format!(
            "verify runs the tree's interpreter, and `{}` could not be asked about itself (choose one with --python)",
            command.to_string_lossy()
        )
    })
}
