//! How to run the interpreter under test on a tree: as its home (`PYTHONHOME`)
//! when the tree is an installation prefix or the stdlib directory of one,
//! else with the tree put first on `sys.path` (`PYTHONPATH`); and where the
//! modules it loads may come from.
//!
//! Isolation rule: every module a run loads (built-in and frozen ones aside)
//! must be read from a file inside the tree under test. A tree with a stdlib
//! (a prefix, a stdlib directory and the `pythonXY.zip` beside it) brings
//! everything: nothing may come from anywhere else. A tree without one (a
//! venv, a lone site-packages, a package directory) legitimately leans on
//! the interpreter's own stdlib (`stdlib`, `platstdlib`, a `pythonXY.zip` on
//! its path, less its site-packages): modules may come from there too, but
//! never from anywhere else (another venv, the interpreter's site-packages, a
//! `PYTHONPATH` leak), and each of the tree's own modules must come from the
//! tree. Such a tree runs without `site` (`-S`) unless the interpreter is the
//! tree's own venv's: the interpreter's site-packages and its `.pth` files
//! are not the tree's.

use pyprune_pyc::PythonVersion;
use pyprune_python::Interpreter;
use serde::Serialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the interpreter finds the tree's modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "dir")]
pub enum Placement {
    /// `PYTHONHOME=DIR`: the tree is (in) this prefix, or is the stdlib that DIR (a
    /// scratch prefix) links to; its stdlib replaces the interpreter's.
    Home(PathBuf),
    /// `PYTHONPATH=DIRS`: the tree's import roots come first on `sys.path`.
    Path(Vec<PathBuf>),
}

/// The interpreter under test, placed on one tree.
#[derive(Debug, Clone)]
pub struct TreePython {
    pub executable: PathBuf,
    pub placement: Placement,
    /// Where the tree's modules are, on disk (not through a symlink).
    library: PathBuf,
    /// The interpreter knows `-P` (3.11+).
    safe_path: bool,
    /// Where the tree's modules may be read from (real paths): the tree, and
    /// the `pythonXY.zip` beside a stdlib directory.
    inside: Vec<PathBuf>,
    /// Where other modules may be read from (real paths): the interpreter's
    /// stdlib, for a tree that has none.
    beside: Vec<PathBuf>,
    /// Where, inside `beside`, they may not (the interpreter's site-packages).
    never: Vec<PathBuf>,
    /// Run without `site`: the tree has no stdlib and is not the interpreter's own venv.
    no_site: bool,
}

/// Which optimization level a run uses, and whether it may write bytecode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMode {
    pub optimize: u8,
    pub write_bytecode: bool,
}

impl TreePython {
    /// Places `python` on the tree at `root` (canonical). A stdlib directory
    /// that is not inside a prefix is given one: `scratch/lib/python3.X`, a
    /// symlink to it (and to a `pythonXY.zip` beside it), so that it runs as
    /// the home too and the interpreter's own stdlib cannot stand in for what
    /// the tree lacks.
    pub fn new(python: &Interpreter, root: &Path, scratch: &Path) -> std::io::Result<TreePython> {
        let release = PythonVersion::parse(&python.version);
        let stdlib_name = release
            .map(PythonVersion::stdlib_dir_name)
            .unwrap_or_default();
        let zip_name = release
            .map(PythonVersion::stdlib_zip_name)
            .unwrap_or_default();
        let is_stdlib = |dir: &Path| pyprune_tree::is_stdlib_dir(dir, Path::is_file);
        let in_tree = pyprune_tree::LIB_DIRS
            .iter()
            .map(|lib| root.join(lib).join(&stdlib_name))
            .find(|dir| is_stdlib(dir))
            .map(|stdlib| (root.to_path_buf(), stdlib))
            .or_else(|| {
                // The stdlib directory of a prefix: PREFIX/lib/python3.X.
                let lib = root.parent()?;
                let lib_named = lib
                    .file_name()
                    .is_some_and(|n| pyprune_tree::LIB_DIRS.iter().any(|l| n == *l));
                (is_stdlib(root) && root.file_name()? == stdlib_name.as_str() && lib_named)
                    .then(|| Some((lib.parent()?.to_path_buf(), root.to_path_buf())))
                    .flatten()
            });
        // The zip beside a stdlib directory holds its modules too.
        let zip_beside = root
            .parent()
            .map(|p| p.join(&zip_name))
            .filter(|z| !zip_name.is_empty() && z.is_file());
        let (placement, library) = match in_tree {
            Some((home, stdlib)) => (Placement::Home(home), stdlib),
            None if is_stdlib(root) => {
                // fs_err: the errors name the paths (the caller's message does not).
                let lib = scratch.join("lib");
                fs_err::create_dir_all(&lib)?;
                fs_err::os::unix::fs::symlink(root, lib.join(&stdlib_name))?;
                if let Some(zip) = &zip_beside {
                    fs_err::os::unix::fs::symlink(zip, lib.join(&zip_name))?;
                }
                (Placement::Home(scratch.to_path_buf()), root.to_path_buf())
            }
            None => (Placement::Path(path_entries(root)), root.to_path_buf()),
        };
        let safe_path = release.is_some_and(|v| v >= PythonVersion::new(3, 11));
        let real = |path: &Path| path.canonicalize().ok();
        let inside = std::iter::once(root.to_path_buf())
            .chain(zip_beside.as_deref().and_then(real))
            .collect();
        let never: Vec<PathBuf> = [&python.purelib, &python.platlib]
            .into_iter()
            .filter_map(|p| real(p))
            .collect();
        // The tree is the interpreter's venv (it runs from the tree's bin/, the
        // tree has a pyvenv.cfg): site adds its site-packages. (The executable,
        // not sys.prefix: a copied venv runs as its copy's bin/python.)
        let own_venv = root.join("pyvenv.cfg").is_file()
            && python
                .executable
                .parent()
                .and_then(real)
                .is_some_and(|bin| bin.starts_with(root));
        let no_site = matches!(placement, Placement::Path(_)) && !own_venv;
        let beside = match placement {
            Placement::Home(_) => Vec::new(),
            Placement::Path(_) => {
                let zips = python
                    .sys_path
                    .iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "zip"));
                let mut dirs: Vec<PathBuf> = [&python.stdlib, &python.platstdlib]
                    .into_iter()
                    .chain(zips)
                    .filter_map(|p| real(p))
                    .collect();
                dirs.dedup();
                dirs
            }
        };
        Ok(TreePython {
            executable: python.executable.clone(),
            placement,
            library,
            safe_path,
            inside,
            beside,
            never,
            no_site,
        })
    }

    /// The worker's isolation arguments: the places modules may come from,
    /// inside the tree and beside it, and those beside it they may not
    /// (hex-encoded, comma-separated).
    pub(crate) fn isolation_args(&self) -> [String; 3] {
        use std::os::unix::ffi::OsStrExt as _;
        let join = |paths: &[PathBuf]| {
            let hexed: Vec<String> = paths
                .iter()
                .map(|p| crate::worker::hex(p.as_os_str().as_bytes()))
                .collect();
            hexed.join(",")
        };
        [join(&self.inside), join(&self.beside), join(&self.never)]
    }

    /// The directory the tree's modules are found in: its stdlib directory, or the tree itself.
    pub fn library_dir(&self) -> &Path {
        &self.library
    }

    /// The interpreter on the tree, isolated from the caller's environment: no
    /// `PYTHON*` variables but the placement, no user site, no current
    /// directory on `sys.path`, run from `cwd` (an empty directory outside the tree).
    pub fn command(&self, mode: RunMode, cwd: &Path) -> Command {
        let mut command = pyprune_python::clean_command(self.executable.as_os_str());
        command.current_dir(cwd).arg("-s");
        if self.no_site {
            command.arg("-S");
        }
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

/// `sys.path` entries for a directory of modules: it, and its `lib-dynload`.
fn path_entries(dir: &Path) -> Vec<PathBuf> {
    std::iter::once(dir.to_path_buf())
        .chain(Some(dir.join("lib-dynload")).filter(|d| d.is_dir()))
        .collect()
}
