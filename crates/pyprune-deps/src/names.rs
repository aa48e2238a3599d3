//! Dotted module names of a tree's files, from its import roots: the stdlib
//! directory, its `lib-dynload` and `site-packages`; without a stdlib, the
//! tree root and any `site-packages`, `dist-packages`, `lib-dynload`
//! directory. What `keep_imported` and the import graph both name modules by.

use pyprune_pyc::CacheFileName;
use pyprune_tree::Kind;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a file belongs to, by dotted name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    /// A source, bytecode or extension of the module itself (not data).
    pub module_file: bool,
    /// The file is the package's `__init__`.
    pub is_package: bool,
}

/// Dotted names of the files of one tree.
#[derive(Debug, Clone)]
pub struct ModuleNames {
    /// Import roots, deepest first.
    roots: Vec<PathBuf>,
    /// Directories holding an `__init__`.
    packages: BTreeSet<PathBuf>,
}

impl ModuleNames {
    /// The names of `files` (paths relative to the tree root, with their
    /// kinds), for a tree whose stdlib directory is `stdlib` (if it has
    /// one) and whose directories are `dirs`.
    pub fn new<'a>(
        stdlib: Option<PathBuf>,
        dirs: impl IntoIterator<Item = &'a Path>,
        files: impl IntoIterator<Item = (&'a Path, Kind)>,
    ) -> ModuleNames {
        let mut roots: Vec<PathBuf> = match stdlib {
            Some(dir) => vec![dir.join("lib-dynload"), dir.join("site-packages"), dir],
            None => dirs
                .into_iter()
                .filter(|d| {
                    d.file_name().is_some_and(|n| {
                        n == "site-packages" || n == "dist-packages" || n == "lib-dynload"
                    })
                })
                .map(Path::to_path_buf)
                .chain([PathBuf::new()])
                .collect(),
        };
        roots.sort_by_key(|r| std::cmp::Reverse(r.components().count()));
        let mut names = ModuleNames {
            roots,
            packages: BTreeSet::new(),
        };
        for (path, kind) in files {
            if let Some((_, true)) = names.module_name(path, kind)
                && let Some(dir) = path.parent()
            {
                let in_pycache = matches!(
                    kind,
                    Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
                );
                let dir = if in_pycache {
                    dir.parent().unwrap_or(dir)
                } else {
                    dir
                };
                names.packages.insert(dir.to_path_buf());
            }
        }
        names
    }

    fn inner<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        self.roots.iter().find_map(|r| path.strip_prefix(r).ok())
    }

    /// The module a module file is of, and whether it is a package's `__init__`.
    pub fn module_name(&self, path: &Path, kind: Kind) -> Option<(String, bool)> {
        let inner = self.inner(path)?;
        let file_name = inner.file_name()?.to_str()?;
        let (dir, stem) = match kind {
            Kind::Source => (inner.parent()?, file_name.strip_suffix(".py")?),
            Kind::Sourceless => (inner.parent()?, file_name.strip_suffix(".pyc")?),
            Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 => {
                let pycache = inner.parent()?;
                (pycache.parent()?, CacheFileName::parse(file_name)?.module)
            }
            Kind::Extension => (inner.parent()?, file_name.split('.').next()?),
            _ => return None,
        };
        let dir = dotted(dir)?;
        Some(match (stem, dir.is_empty()) {
            ("__init__", true) => return None,
            ("__init__", false) => (dir, true),
            (_, true) => (stem.to_owned(), false),
            (_, false) => (format!("{dir}.{stem}"), false),
        })
        .filter(|(n, _)| importable(n))
    }

    /// What `path` belongs to: its module, or for other files the package
    /// whose directory (or a plain directory inside it) holds it.
    pub fn owner(&self, path: &Path, kind: Kind) -> Option<Owner> {
        if let Some((name, is_package)) = self.module_name(path, kind) {
            return Some(Owner {
                name,
                module_file: true,
                is_package,
            });
        }
        let root = self.roots.iter().find(|r| path.starts_with(r))?;
        let package = path
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(root) && *a != root.as_path())
            .find(|a| self.packages.contains(*a))?;
        Some(Owner {
            name: dotted(package.strip_prefix(root).ok()?)?,
            module_file: false,
            is_package: false,
        })
    }
}

/// Whether Python can import `name`: dotted identifiers. A file named
/// otherwise (`pyinstaller-smoke.py`, the build configuration's
/// `config-3.12-x86_64-linux-gnu/python-config.py`) is no module: data of
/// the package holding it, if any.
fn importable(name: &str) -> bool {
    name.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// `email/mime` as `email.mime`; `None` for names Python cannot import.
fn dotted(dir: &Path) -> Option<String> {
    let parts: Vec<&str> = dir
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    Some(parts.join("."))
}
