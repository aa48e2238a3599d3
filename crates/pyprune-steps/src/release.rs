//! Which Python release a tree's bytecode is for: what an interpreter says,
//! else what the tree's own caches say, and when an interpreter may speak for
//! a tree whose caches say nothing.

use crate::steps::Context;
use pyprune_pyc::PythonVersion;
use std::collections::BTreeMap;
use std::path::Path;

/// The cache tag and release a tree is for, from the tree alone: the tag
/// most of its caches carry (by count of caches), and the CPython release it
/// names. An empty tag when the tree has no caches.
pub fn release_of_caches(cache_tags: &BTreeMap<String, u64>) -> (String, Option<PythonVersion>) {
    let tag = cache_tags
        .iter()
        .max_by_key(|(_, count)| **count)
        .map(|(tag, _)| tag.clone())
        .unwrap_or_default();
    let release = PythonVersion::from_cache_tag(&tag);
    (tag, release)
}

/// The Python implementation a tree is for when it is not CPython, from
/// what is known of it: the interpreter's `sys.implementation.name`, the
/// cache tag of its caches (`pypy39`), or its layout (a `pypy3.X` library
/// directory, as the tree itself or under `lib/`). pyprune minimizes CPython
/// only: another implementation's import system ignores `PYTHONHOME` and
/// pyprune's runtime, so neither the steps nor `verify` could keep their word.
pub fn other_implementation(
    root: &Path,
    cache_tag: &str,
    interpreter: Option<&str>,
) -> Option<String> {
    if let Some(name) = interpreter.filter(|n| *n != "cpython") {
        return Some(name.to_owned());
    }
    let tagged = cache_tag
        .split('-')
        .next()
        .map(|name| name.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|name| !name.is_empty() && *name != "cpython");
    if let Some(name) = tagged {
        return Some(name.to_owned());
    }
    // PyPy's layout: the tree is a `pypy3.X` directory, or its `lib/` holds
    // one and no CPython `python3.X` (a shared `/usr/lib` holds both).
    let named = |entry: &std::fs::DirEntry, prefix: &str| {
        entry.file_name().to_string_lossy().starts_with(prefix)
    };
    let lib: Vec<std::fs::DirEntry> = std::fs::read_dir(root.join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    let laid_out = root
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("pypy3"))
        || (lib.iter().any(|e| named(e, "pypy3")) && !lib.iter().any(|e| named(e, "python3.")));
    laid_out.then(|| "pypy".to_owned())
}

impl Context {
    /// Takes `release` and its `cache_tag` from an interpreter when the tree
    /// could not tell (it has no caches) and is laid out for that release (it
    /// is a `python3.X` directory, or holds `lib/python3.X`). Returns whether
    /// it did.
    pub fn adopt_release(&mut self, release: PythonVersion, cache_tag: &str) -> bool {
        if self.version.is_some() || !self.cache_tag.is_empty() {
            return false;
        }
        let name = release.stdlib_dir_name();
        let laid_out = self.root.file_name().is_some_and(|n| *n == *name)
            || self.root.join("lib").join(&name).is_dir();
        if laid_out {
            self.version = Some(release);
            self.cache_tag = cache_tag.to_owned();
        }
        laid_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn context(root: &Path, cache_tag: &str) -> Context {
        Context {
            root: root.to_path_buf(),
            installed_at: root.to_path_buf(),
            cache_tag: cache_tag.to_owned(),
            version: PythonVersion::from_cache_tag(cache_tag),
            ..crate::model_builder::context()
        }
    }

    #[test]
    fn the_most_common_tag_speaks_for_the_tree() {
        let tags = BTreeMap::from([
            ("cpython-311".to_owned(), 900),
            ("cpython-312".to_owned(), 3),
        ]);
        assert_eq!(
            release_of_caches(&tags),
            ("cpython-311".to_owned(), Some(PythonVersion::new(3, 11)))
        );
        let pypy = BTreeMap::from([("pypy39".to_owned(), 10)]);
        assert_eq!(release_of_caches(&pypy), ("pypy39".to_owned(), None));
        assert_eq!(release_of_caches(&BTreeMap::new()), (String::new(), None));
    }

    #[test]
    fn an_interpreter_speaks_only_for_a_cacheless_tree_laid_out_for_it() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("lib/python3.11")).expect("mkdir");
        let v311 = PythonVersion::new(3, 11);
        let mut prefix = context(dir.path(), "");
        assert!(prefix.adopt_release(v311, "cpython-311"));
        assert_eq!(
            (prefix.version, prefix.cache_tag.as_str()),
            (Some(v311), "cpython-311")
        );
        let mut other_release = context(dir.path(), "");
        assert!(!other_release.adopt_release(PythonVersion::new(3, 12), "cpython-312"));
        assert_eq!(other_release.version, None);
        let mut stdlib_dir = context(&dir.path().join("lib/python3.11"), "");
        assert!(stdlib_dir.adopt_release(v311, "cpython-311"));
        let mut cached = context(&PathBuf::from("/nonexistent/python3.11"), "cpython-312");
        assert!(!cached.adopt_release(v311, "cpython-311"));
        assert_eq!(cached.cache_tag, "cpython-312");
        // Caches of a release pyprune cannot name (PyPy's) are not overruled either.
        let mut pypy = context(&dir.path().join("lib/python3.11"), "pypy39");
        assert!(!pypy.adopt_release(v311, "cpython-311"));
    }

    #[test]
    fn other_implementations_are_known_by_interpreter_tag_or_layout() {
        let dir = tempfile::tempdir().expect("tmp");
        let none = |root: &Path, tag: &str, name| other_implementation(root, tag, name);
        assert_eq!(none(dir.path(), "cpython-311", Some("cpython")), None);
        assert_eq!(none(dir.path(), "", None), None);
        assert_eq!(
            none(dir.path(), "cpython-311", Some("pypy")),
            Some("pypy".to_owned())
        );
        assert_eq!(none(dir.path(), "pypy39", None), Some("pypy".to_owned()));
        assert_eq!(
            none(&dir.path().join("pypy3.9"), "", None),
            Some("pypy".to_owned())
        );
        std::fs::create_dir_all(dir.path().join("lib/pypy3.10")).expect("mkdir");
        assert_eq!(none(dir.path(), "", None), Some("pypy".to_owned()));
        // A prefix shared with CPython (`/usr/lib` holds both) is CPython's.
        std::fs::create_dir_all(dir.path().join("lib/python3.11")).expect("mkdir");
        assert_eq!(none(dir.path(), "", None), None);
        assert_eq!(none(dir.path(), "cpython-311", Some("cpython")), None);
    }
}
