//! How to run the interpreter under test on a tree: as its home (`PYTHONHOME`)
//! when the tree is an installation prefix or the stdlib directory of one,
//! else with the tree put first on `sys.path` (`PYTHONPATH`).

use pyprune_python::Interpreter;
use serde::Serialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the interpreter finds the tree's modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "dir")]
pub enum Placement {
    /// `PYTHONHOME=DIR`: the tree is (in) this prefix; its stdlib replaces the interpreter's.
    Home(PathBuf),
    /// `PYTHONPATH=DIRS`: the tree's import roots come first on `sys.path`.
    Path(Vec<PathBuf>),
}

/// The interpreter under test, placed on one tree.
#[derive(Debug, Clone)]
pub struct TreePython {
    pub executable: PathBuf,
    pub placement: Placement,
    /// The stdlib directory of a home placement.
    stdlib: Option<PathBuf>,
    /// The interpreter knows `-P` (3.11+).
    safe_path: bool,
}

/// Which optimization level a run uses, and whether it may write bytecode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMode {
    pub optimize: u8,
    pub write_bytecode: bool,
}

impl TreePython {
    /// Places `python` on the tree at `root` (canonical).
    pub fn new(python: &Interpreter, root: &Path) -> TreePython {
        let release = python
            .version
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join(".");
        let stdlib_name = format!("python{release}");
        let is_stdlib = |dir: &Path| dir.join("os.py").is_file() || dir.join("os.pyc").is_file();
        let home = ["lib", "lib64"]
            .iter()
            .find(|lib| is_stdlib(&root.join(lib).join(&stdlib_name)))
            .map(|_| root.to_path_buf())
            .or_else(|| {
                // The stdlib directory of a prefix: PREFIX/lib/python3.X.
                let parent = root.parent()?;
                let lib_named = parent
                    .file_name()
                    .is_some_and(|n| n == "lib" || n == "lib64");
                (is_stdlib(root) && root.file_name()? == stdlib_name.as_str() && lib_named)
                    .then(|| parent.parent().map(Path::to_path_buf))
                    .flatten()
            });
        let stdlib = home.as_ref().and_then(|home| {
            ["lib", "lib64"]
                .iter()
                .map(|lib| home.join(lib).join(&stdlib_name))
                .find(|dir| is_stdlib(dir))
        });
        let placement = match home {
            Some(home) => Placement::Home(home),
            None => Placement::Path(path_entries(root, None)),
        };
        let safe_path = release
            .split_once('.')
            .and_then(|(major, minor)| {
                Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
            })
            .is_some_and(|v| v >= (3, 11));
        TreePython {
            executable: python.executable.clone(),
            placement,
            stdlib,
            safe_path,
        }
    }

    /// The same tree put on `sys.path` instead of being the home: how a tree is
    /// run when its original can only be run that way (a stdlib directory that
    /// is not in a prefix), so that the two are compared like for like.
    pub fn on_path(&self) -> TreePython {
        let placement = match (&self.placement, &self.stdlib) {
            (Placement::Home(_), Some(stdlib)) => {
                let release = stdlib
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix("python"))
                    .map(|v| v.replace('.', ""));
                let zip = release
                    .and_then(|r| Some(stdlib.parent()?.join(format!("python{r}.zip"))))
                    .filter(|z| z.is_file());
                Placement::Path(path_entries(stdlib, zip))
            }
            (placement, _) => placement.clone(),
        };
        TreePython {
            placement,
            ..self.clone()
        }
    }

    /// The directory the tree's modules are found in: the stdlib directory of a
    /// home, else the tree `root` itself.
    pub fn library_dir<'a>(&'a self, root: &'a Path) -> &'a Path {
        self.stdlib.as_deref().unwrap_or(root)
    }

    /// Whether the tree is the interpreter's home.
    pub fn is_home(&self) -> bool {
        matches!(self.placement, Placement::Home(_))
    }

    /// The interpreter on the tree, isolated from the caller's environment: no
    /// `PYTHON*` variables but the placement, no user site, no current
    /// directory on `sys.path`, run from `cwd` (an empty directory outside the tree).
    pub fn command(&self, mode: RunMode, cwd: &Path) -> Command {
        let mut command = pyprune_python::clean_command(self.executable.as_os_str());
        command.current_dir(cwd).arg("-s");
        if self.safe_path {
            command.arg("-P");
        }
        if !mode.write_bytecode {
            command.arg("-B");
        }
        match mode.optimize {
            0 => {}
            1 => {
                command.arg("-O");
            }
            _ => {
                command.arg("-OO");
            }
        }
        match &self.placement {
            Placement::Home(home) => {
                command.env("PYTHONHOME", home);
            }
            Placement::Path(dirs) => {
                let joined: OsString = std::env::join_paths(dirs).unwrap_or_default();
                command.env("PYTHONPATH", joined);
            }
        }
        command
    }
}

/// `sys.path` entries for a library directory: its zip first (as the
/// interpreter orders them), the directory, its `lib-dynload`.
fn path_entries(dir: &Path, zip: Option<PathBuf>) -> Vec<PathBuf> {
    zip.into_iter()
        .chain(std::iter::once(dir.to_path_buf()))
        .chain(Some(dir.join("lib-dynload")).filter(|d| d.is_dir()))
        .collect()
}
