//! Where the import roots of a tree are (directories on `sys.path`), and so
//! which top-level module each file belongs to: `email/mime/text.py` belongs to
//! `email`, `lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so` to `_ssl`,
//! `__pycache__/os.cpython-311.pyc` to `os`.

use pyprune_pyc::{CacheFileName, PythonVersion};
use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// The import roots of one tree, as paths relative to the tree root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Sorted deepest first, so the first ancestor found is the innermost one.
    roots: Vec<PathBuf>,
}

impl Layout {
    /// Finds the import roots among the tree's directories.
    ///
    /// A directory is an import root when it is named `site-packages`,
    /// `dist-packages` or `lib-dynload`, when it is a versioned library
    /// directory such as `lib/python3.11` or `lib/pypy3.9`, or when the
    /// interpreter said so (`hints`: its `sys.path` entries inside the tree).
    /// The tree root is one too, unless the tree is an installation prefix or
    /// a venv (it has a versioned library directory or a `pyvenv.cfg`): then
    /// files outside every import root (`bin/`, `include/`) are grouped by
    /// their top directory.
    pub fn detect<'a>(
        dirs: impl IntoIterator<Item = &'a Path>,
        hints: &[PathBuf],
        root_has_pyvenv_cfg: bool,
    ) -> Layout {
        let mut roots: Vec<PathBuf> = Vec::new();
        let mut is_prefix = root_has_pyvenv_cfg;
        for dir in dirs {
            let Some(name) = dir.file_name().and_then(OsStr::to_str) else {
                continue;
            };
            if matches!(name, "site-packages" | "dist-packages" | "lib-dynload") {
                roots.push(dir.to_path_buf());
            } else if is_versioned_lib_dir(dir, name) {
                is_prefix = true;
                roots.push(dir.to_path_buf());
            }
        }
        roots.extend(hints.iter().cloned());
        if !is_prefix {
            roots.push(PathBuf::new());
        }
        roots.sort_by(|a, b| {
            let depth = |p: &Path| p.components().count();
            depth(b).cmp(&depth(a)).then_with(|| a.cmp(b))
        });
        roots.dedup();
        Layout { roots }
    }

    /// The import roots, relative to the tree root (the empty path is the root).
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The top-level module that `rel` (a file path relative to the tree root) belongs to.
    pub fn module_of(&self, rel: &Path) -> String {
        match self.inside_import_root(rel) {
            Some(inner) => module_in_import_root(inner),
            None => outside_import_roots(rel),
        }
    }

    /// What the group [`Layout::module_of`] puts `rel` in is: a module, or
    /// a directory of an import root that only looks like one.
    pub fn role_of(&self, rel: &Path) -> ModuleRole {
        let Some(inner) = self.inside_import_root(rel) else {
            return ModuleRole::OutsideImportRoots;
        };
        let mut components = inner.components();
        let first = components.next().map(|c| c.as_os_str().to_string_lossy());
        let (Some(first), false) = (first, components.as_path() == Path::new("")) else {
            return ModuleRole::Module;
        };
        if first.ends_with(".libs") || first.ends_with(".dylibs") {
            // auditwheel (`numpy.libs/`) and delocate (`.dylibs`) put a
            // wheel's vendored shared libraries there: no import name has a dot.
            ModuleRole::VendoredLibraries
        } else if first.starts_with("config-")
            && first[7..].starts_with(|c: char| c.is_ascii_digit())
        {
            // `config-3.11-x86_64-linux-gnu/`: libpython, Makefile, Setup, for building extensions.
            ModuleRole::BuildFiles
        } else {
            ModuleRole::Module
        }
    }

    fn inside_import_root<'p>(&self, rel: &'p Path) -> Option<&'p Path> {
        self.roots
            .iter()
            .find_map(|root| rel.strip_prefix(root).ok().filter(|r| *r != Path::new("")))
    }

    /// The innermost import root that holds `rel`, if one does.
    pub fn import_root_of(&self, rel: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .find(|root| rel.strip_prefix(root).is_ok_and(|r| r != Path::new("")))
            .map(PathBuf::as_path)
    }

    /// The directory that holds `rel`'s group of [`Layout::module_of`]: an
    /// import root's top-level directory (`…/site-packages/numpy`), the
    /// import root itself for a file directly in it, a top directory of the
    /// tree (`bin`) outside them, or the root (the empty path).
    pub fn top_dir_of(&self, rel: &Path) -> PathBuf {
        let root = self.import_root_of(rel).unwrap_or(Path::new(""));
        let inner = rel.strip_prefix(root).unwrap_or(rel);
        let mut components = inner.components();
        match (components.next(), components.next()) {
            (Some(first), Some(_)) => root.join(first),
            _ => root.to_path_buf(),
        }
    }
}

/// What a group of the module table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleRole {
    /// A top-level module or package (or its metadata, or its caches).
    Module,
    /// A wheel's vendored shared libraries (`numpy.libs/`, `*.dylibs/`): part
    /// of a distribution, never imported by name.
    VendoredLibraries,
    /// A stdlib's `config-3.X*/` directory: what building extensions needs.
    BuildFiles,
    /// Files outside every import root, grouped by top directory (`bin/`).
    OutsideImportRoots,
}

impl ModuleRole {
    /// How the text report names a group that is not a module.
    pub fn describe(self) -> &'static str {
        match self {
            ModuleRole::Module => "module",
            ModuleRole::VendoredLibraries => "shared libraries vendored by a wheel",
            ModuleRole::BuildFiles => "build files for compiling extensions: libpython, Makefile",
            ModuleRole::OutsideImportRoots => "outside the import roots",
        }
    }
}

/// `lib/python3.11`, `lib64/python3.13t`, `lib/pypy3.9`, `Lib` (Windows).
fn is_versioned_lib_dir(dir: &Path, name: &str) -> bool {
    let parent_is_lib = dir
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|p| p == "lib" || p == "lib64");
    let versioned = ["python", "pypy"].iter().any(|prefix| {
        name.strip_prefix(prefix).is_some_and(|version| {
            let version = version.strip_suffix('t').unwrap_or(version);
            !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
    });
    parent_is_lib && versioned
}

fn module_in_import_root(inner: &Path) -> String {
    let mut components = inner.components();
    let Some(Component::Normal(first)) = components.next() else {
        return inner.to_string_lossy().into_owned();
    };
    let first = first.to_string_lossy();
    let rest = components.as_path();
    if rest == Path::new("") {
        // A file directly in the import root: `os.py`, `_ssl.cpython-311-....so`.
        return name_before_first_dot(&first);
    }
    if first == "__pycache__" {
        // Named after the entry directly inside `__pycache__`.
        let file_name = rest
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy())
            .unwrap_or_default();
        return match CacheFileName::parse(&file_name) {
            Some(cache) => cache.module.to_owned(),
            None => name_before_first_dot(&file_name),
        };
    }
    if let Some(dist) = first
        .strip_suffix(".dist-info")
        .or_else(|| first.strip_suffix(".egg-info"))
    {
        // `pip-23.2.1.dist-info` is the metadata of the distribution `pip`.
        return dist.split('-').next().unwrap_or(dist).to_owned();
    }
    first.into_owned()
}

fn outside_import_roots(rel: &Path) -> String {
    let mut components = rel.components();
    let first = components
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if components.next().is_some() {
        format!("{first}/")
    } else {
        first
    }
}

fn name_before_first_dot(file_name: &str) -> String {
    match file_name.split('.').next() {
        Some(stem) if !stem.is_empty() => stem.to_owned(),
        _ => file_name.to_owned(),
    }
}

/// The files that make a directory a standard library: the `os` module,
/// CPython's own landmark, as a source or as sourceless bytecode.
pub const STDLIB_LANDMARKS: [&str; 2] = ["os.py", "os.pyc"];

/// The directories of a prefix that hold a `python3.X` standard library.
pub const LIB_DIRS: [&str; 2] = ["lib", "lib64"];

/// Whether `dir` is a standard library directory; `is_file` answers for the
/// disk or for a model of it.
pub fn is_stdlib_dir(dir: &Path, is_file: impl Fn(&Path) -> bool) -> bool {
    STDLIB_LANDMARKS.iter().any(|f| is_file(&dir.join(f)))
}

/// The standard library directory of the tree at `root` for `release`: the
/// root itself, or `lib/python3.X` (`lib64/...`) below it.
pub fn find_stdlib_dir(
    root: &Path,
    release: PythonVersion,
    is_file: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if is_stdlib_dir(root, &is_file) {
        return Some(root.to_path_buf());
    }
    LIB_DIRS
        .iter()
        .map(|lib| root.join(lib).join(release.stdlib_dir_name()))
        .find(|dir| is_stdlib_dir(dir, &is_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dirs: &[&str], pyvenv: bool) -> Layout {
        Layout::detect(dirs.iter().map(Path::new), &[], pyvenv)
    }

    #[test]
    fn stdlib_root_is_an_import_root() {
        let l = layout(
            &["email", "email/mime", "lib-dynload", "__pycache__"],
            false,
        );
        let module = |p: &str| l.module_of(Path::new(p));
        assert_eq!(module("email/mime/text.py"), "email");
        assert_eq!(
            module("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"),
            "_ssl"
        );
        assert_eq!(module("__pycache__/os.cpython-311.opt-2.pyc"), "os");
        assert_eq!(module("email/__pycache__/utils.cpython-311.pyc"), "email");
        assert_eq!(module("os.py"), "os");
        assert_eq!(module("LICENSE.txt"), "LICENSE");
    }

    #[test]
    fn vendored_libraries_and_build_files_are_not_modules() {
        let l = layout(
            &[
                "bin",
                "lib",
                "lib/python3.11",
                "lib/python3.11/site-packages",
            ],
            true,
        );
        let role = |p: &str| l.role_of(Path::new(p));
        let site = "lib/python3.11/site-packages";
        assert_eq!(
            role(&format!(
                "{site}/numpy.libs/libscipy_openblas64_-ff651d7f.so"
            )),
            ModuleRole::VendoredLibraries
        );
        assert_eq!(
            role(&format!("{site}/pkg.dylibs/libz.dylib")),
            ModuleRole::VendoredLibraries
        );
        assert_eq!(
            role("lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile"),
            ModuleRole::BuildFiles
        );
        assert_eq!(
            role(&format!("{site}/numpy/__init__.py")),
            ModuleRole::Module
        );
        // A module file with such a name is still a module file.
        assert_eq!(role(&format!("{site}/config-3.py")), ModuleRole::Module);
        assert_eq!(role("lib/python3.11/configparser.py"), ModuleRole::Module);
        assert_eq!(role("bin/python3"), ModuleRole::OutsideImportRoots);
    }

    #[test]
    fn prefix_groups_non_library_files_by_directory() {
        let l = layout(
            &[
                "bin",
                "lib",
                "lib/python3.11",
                "lib/python3.11/site-packages",
                "lib/python3.11/lib-dynload",
            ],
            false,
        );
        let module = |p: &str| l.module_of(Path::new(p));
        assert_eq!(module("bin/python3.11"), "bin/");
        assert_eq!(module("lib/libpython3.11.a"), "lib/");
        assert_eq!(module("lib/python3.11/json/decoder.py"), "json");
        assert_eq!(
            module("lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so"),
            "_json"
        );
        assert_eq!(
            module("lib/python3.11/site-packages/pip/__init__.py"),
            "pip"
        );
        assert_eq!(
            module("lib/python3.11/site-packages/pip-23.2.1.dist-info/RECORD"),
            "pip"
        );
    }

    #[test]
    fn stdlib_found_at_the_root_or_in_a_prefix() {
        let files = ["lib64/python3.12/os.pyc", "pkg/os.py"];
        let is_file = |p: &Path| files.iter().any(|f| Path::new(f) == p);
        let v = |minor| PythonVersion::new(3, minor);
        assert_eq!(
            find_stdlib_dir(Path::new(""), v(12), is_file),
            Some(PathBuf::from("lib64/python3.12"))
        );
        assert_eq!(find_stdlib_dir(Path::new(""), v(11), is_file), None);
        assert_eq!(
            find_stdlib_dir(Path::new("pkg"), v(11), is_file),
            Some(PathBuf::from("pkg"))
        );
        assert!(!is_stdlib_dir(Path::new("lib64"), is_file));
    }

    #[test]
    fn venv_root_is_not_an_import_root() {
        let l = layout(&["bin", "lib", "lib/python3.11/site-packages"], true);
        assert_eq!(l.module_of(Path::new("pyvenv.cfg")), "pyvenv.cfg");
        assert_eq!(
            l.module_of(Path::new("lib/python3.11/site-packages/six.py")),
            "six"
        );
    }

    #[test]
    fn unversioned_python_dir_is_not_a_library() {
        assert!(!is_versioned_lib_dir(Path::new("lib/python"), "python"));
        assert!(is_versioned_lib_dir(
            Path::new("lib64/python3.13t"),
            "python3.13t"
        ));
        assert!(!is_versioned_lib_dir(
            Path::new("share/python3.11"),
            "python3.11"
        ));
    }
}
