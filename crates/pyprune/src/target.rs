//! Which tree a command works on, and which interpreter (if any) speaks for it.

use anyhow::Context as _;
use pyprune_python::Interpreter;
use std::ffi::{OsStr, OsString};
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
            let python = discover(python.unwrap_or(OsStr::new("python3"))).context(
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
        let shown: OsString = python.to_os_string();
        format!(
            "could not ask `{}` about itself (choose one with --python)",
            shown.to_string_lossy()
        )
    })
}
