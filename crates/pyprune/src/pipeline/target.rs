//! Which tree a command works on, and which interpreter (if any) speaks for it.

use anyhow::Context as _;
use pyprune_python::{Interpreter, named_or_default};
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

/// Refuses to run `python` on a tree whose bytecode is another release's
/// (`tree_cache_tag`, empty when it has no caches): every cache would fail
/// to load, one regression per file, instead of one clear error.
pub fn refuse_foreign_bytecode(
    root: &Path,
    tree_cache_tag: &str,
    python: &Interpreter,
) -> anyhow::Result<()> {
    if tree_cache_tag.is_empty() || tree_cache_tag == python.cache_tag {
        return Ok(());
    }
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
