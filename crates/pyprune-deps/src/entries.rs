//! An application's entry points as `apply --keep-for` names them (a
//! script, a directory of application code, a module name) and the modules
//! they need: each source's imports resolved (relative ones from the
//! directory's own packages), and the imports of computed names found on
//! the way, by file and line, for the user to hear of.

use pyprune_source::{ComputedImport, source_imports};
use std::path::{Path, PathBuf};

/// A module something outside the tree's modules needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Who needs it, as reports name it (`app.py`, `start-up (-OO -m site)`, `--keep`).
    pub by: String,
    /// Its dotted name; with `prefix`, the literal start of the names a
    /// computed import may load (`encodings.`).
    pub module: String,
    pub prefix: bool,
}

impl Need {
    pub fn module(by: &str, module: &str) -> Need {
        Need {
            by: by.to_owned(),
            module: module.to_owned(),
            prefix: false,
        }
    }
}

/// One entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A script run as `python FILE`.
    Script(PathBuf),
    /// A directory of application code: every `.py` file under it, named
    /// as modules from the directory (`pkg/mod.py` is `pkg.mod`).
    Directory(PathBuf),
    /// A module run as `python -m NAME` (or imported).
    Module(String),
}

impl Entry {
    /// What the user wrote: an existing file or directory, else a dotted
    /// module name; `None` for neither.
    pub fn parse(given: &Path) -> Option<Entry> {
        match given.symlink_metadata() {
            Ok(meta) if meta.is_dir() => Some(Entry::Directory(given.to_path_buf())),
            Ok(_) => Some(Entry::Script(given.to_path_buf())),
            Err(_) => {
                let name = given.to_str()?;
                let dotted = !name.is_empty()
                    && name.split('.').all(|part| {
                        !part.is_empty()
                            && !part.starts_with(|c: char| c.is_ascii_digit())
                            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                    });
                dotted.then(|| Entry::Module(name.to_owned()))
            }
        }
    }
}

/// What the entry points need.
#[derive(Debug, Clone, Default)]
pub struct EntryNeeds {
    pub needs: Vec<Need>,
    /// Imports of computed names in the application's files: (file, where).
    pub computed: Vec<(PathBuf, ComputedImport)>,
    /// Files whose imports are unknown, and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// The modules `entries` import.
pub fn entry_needs(entries: &[Entry]) -> EntryNeeds {
    let mut found = EntryNeeds::default();
    for entry in entries {
        match entry {
            Entry::Module(name) => {
                let by = format!("--keep-for {name}");
                found.needs.push(Need::module(&by, name));
                // `python -m PACKAGE` runs its `__main__`.
                found
                    .needs
                    .push(Need::module(&by, &format!("{name}.__main__")));
            }
            Entry::Script(path) => read_source(&mut found, path, "__main__", false),
            Entry::Directory(dir) => {
                for (path, module, is_package) in sources_under(dir) {
                    read_source(&mut found, &path, &module, is_package);
                }
            }
        }
    }
    found
}

/// Adds the imports of the source at `path` (of module `module`).
fn read_source(found: &mut EntryNeeds, path: &Path, module: &str, is_package: bool) {
    let by = path.display().to_string();
    let bytes = match pyprune_fs::read_regular(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            found
                .unreadable
                .push((path.to_path_buf(), format!("cannot read it: {e}")));
            return;
        }
    };
    let Some(imports) = source_imports(&bytes) else {
        found.unreadable.push((
            path.to_path_buf(),
            "cannot parse it (a syntax error or a multi-byte encoding): its imports are unknown"
                .to_owned(),
        ));
        return;
    };
    for import in &imports.imports {
        for name in import.resolve(module, is_package).into_iter().flatten() {
            found.needs.push(Need::module(&by, &name));
        }
    }
    for computed in imports.computed {
        if let Some(prefix) = &computed.prefix {
            found.needs.push(Need {
                by: by.clone(),
                module: prefix.clone(),
                prefix: true,
            });
        }
        found.computed.push((path.to_path_buf(), computed));
    }
}

/// The `.py` files under `dir` (symlinks and hidden directories not
/// followed), with their module names from `dir` and whether each is a
/// package's `__init__`; sorted.
fn sources_under(dir: &Path) -> Vec<(PathBuf, String, bool)> {
    let mut found = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), Vec::<String>::new())];
    while let Some((at, parts)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if kind.is_dir() && !name.starts_with('.') && name != "__pycache__" {
                let mut inner = parts.clone();
                inner.push(name);
                pending.push((entry.path(), inner));
            } else if kind.is_file()
                && let Some(stem) = name.strip_suffix(".py")
            {
                let (module, is_package) = if stem == "__init__" {
                    (parts.join("."), true)
                } else {
                    let mut all = parts.clone();
                    all.push(stem.to_owned());
                    (all.join("."), false)
                };
                let module = if module.is_empty() {
                    "__main__".to_owned()
                } else {
                    module
                };
                found.push((entry.path(), module, is_package));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_names_its_modules_and_resolves_relative_imports() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/sub")).expect("mkdir");
        std::fs::write(root.join("main.py"), "import app.sub.b\n").expect("write");
        std::fs::write(root.join("app/__init__.py"), "from . import a\n").expect("write");
        std::fs::write(root.join("app/a.py"), "import json\n").expect("write");
        std::fs::write(
            root.join("app/sub/b.py"),
            "from ..a import x\nmod = __import__(name)\n",
        )
        .expect("write");
        let found = entry_needs(&[Entry::Directory(root.to_path_buf())]);
        let mut names: Vec<&str> = found.needs.iter().map(|n| n.module.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names,
            ["app", "app.a", "app.a.x", "app.sub", "app.sub.b", "json"]
        );
        assert_eq!(found.computed.len(), 1);
        assert_eq!(found.computed[0].0, root.join("app/sub/b.py"));
        assert_eq!(found.computed[0].1.line, 2);
    }

    #[test]
    fn entries_are_files_directories_or_module_names() {
        let dir = tempfile::tempdir().expect("tmp");
        let script = dir.path().join("s.py");
        std::fs::write(&script, "").expect("write");
        assert_eq!(Entry::parse(&script), Some(Entry::Script(script.clone())));
        assert_eq!(
            Entry::parse(dir.path()),
            Some(Entry::Directory(dir.path().to_path_buf()))
        );
        assert_eq!(
            Entry::parse(Path::new("http.server")),
            Some(Entry::Module("http.server".into()))
        );
        assert_eq!(Entry::parse(Path::new("no/such.py")), None);
        assert_eq!(Entry::parse(Path::new("1x")), None);
    }
}
