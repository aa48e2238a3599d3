//! Refusals that keep `apply` from destroying by accident: an in-place change
//! to the tree a live interpreter of this system runs from (without `--yes`),
//! and `--out` inside the input tree or the input inside `--out`.

use anyhow::bail;
use pyprune_fs::display_path;
use pyprune_python::Interpreter;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// `path` made absolute with every symlink and `..` resolved, also when it
/// does not exist yet: its nearest existing ancestor is canonicalized and the
/// rest is appended as it is spelled.
pub fn canonical_even_if_missing(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    };
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return missing
                .iter()
                .rev()
                .fold(canonical, |path, name| path.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_owned());
                existing = parent;
            }
            // `..` at the end of a missing path, or the root: spelled as given.
            _ => return absolute,
        }
    }
}

/// Refuses `--out` inside the input tree (the copy would copy itself, and
/// the input would change), or the input inside `--out`.
pub fn refuse_nested_out(root: &Path, out: &Path) -> anyhow::Result<()> {
    let input = canonical_even_if_missing(root);
    let output = canonical_even_if_missing(out);
    if output.starts_with(&input) {
        bail!(
            "--out `{}` is inside the tree `{}`: the result would be written into the tree it is made from; choose a directory outside it",
            display_path(out),
            display_path(root)
        );
    }
    if input.starts_with(&output) {
        bail!(
            "the tree `{}` is inside --out `{}`: choose a new directory outside the tree",
            display_path(root),
            display_path(out)
        );
    }
    Ok(())
}

/// The directories an interpreter runs from: its prefixes and library directories.
fn homes(python: &Interpreter) -> Vec<PathBuf> {
    let mut homes = vec![
        python.stdlib.clone(),
        python.platstdlib.clone(),
        python.purelib.clone(),
        python.platlib.clone(),
        python.prefix.clone(),
        python.base_prefix.clone(),
    ];
    for home in &mut homes {
        *home = canonical_even_if_missing(home);
    }
    homes.sort();
    homes.dedup();
    homes
}

/// Whether changing `root` changes what `python` runs: `root` holds one of
/// its prefixes or library directories, or lies inside a library directory
/// (a package of its stdlib or site-packages).
fn runs_from(root: &Path, python: &Interpreter) -> bool {
    let libraries = [
        &python.stdlib,
        &python.platstdlib,
        &python.purelib,
        &python.platlib,
    ]
    .map(|dir| canonical_even_if_missing(dir));
    homes(python).iter().any(|home| home.starts_with(root))
        || libraries.iter().any(|library| root.starts_with(library))
}

/// Refuses an in-place change of a tree that the default interpreter
/// (`python3`) or `--python` runs from, unless `yes`: every program of the
/// system that runs it would meet the change. An interpreter that cannot be
/// asked runs nothing here, and refuses nothing.
pub fn refuse_live_tree(root: &Path, python: Option<&OsStr>, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    let root = canonical_even_if_missing(root);
    let mut named = vec![OsStr::new(pyprune_python::DEFAULT_PYTHON)];
    named.extend(python.filter(|p| *p != named[0]));
    for name in named {
        let Ok(interpreter) = pyprune_python::discover(name) else {
            continue;
        };
        if runs_from(&root, &interpreter) {
            bail!(
                "`{}` is where `{}` (Python {}) runs from: changing it in place changes Python \
                 for every program on this system that runs it. Pass --yes to change it all the \
                 same, or apply to a copy with --out",
                display_path(&root),
                display_path(&interpreter.executable),
                interpreter.version,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_canonical_from_its_nearest_existing_ancestor() {
        let dir = tempfile::tempdir().expect("tmp");
        let real = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(real.join("tree")).expect("mkdir");
        std::os::unix::fs::symlink(real.join("tree"), real.join("link")).expect("symlink");
        assert_eq!(
            canonical_even_if_missing(&real.join("link/new/out")),
            real.join("tree/new/out")
        );
        assert_eq!(
            canonical_even_if_missing(&real.join("tree/../tree/out")),
            real.join("tree/out")
        );
        assert!(refuse_nested_out(&real.join("tree"), &real.join("link/out")).is_err());
        assert!(refuse_nested_out(&real.join("link/a"), &real.join("tree")).is_err());
        assert!(refuse_nested_out(&real.join("tree"), &real.join("tree-out")).is_ok());
    }
}
