//! Which modules a tree holds, by dotted name: every source, sourceless
//! module and extension module under its import roots, and every member of a
//! `pythonXY.zip` — less test suites and the modules whose import has side
//! effects, which the smoke test must not run.

use pyprune_tree::{Inventory, Kind};
use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Component, Path};

/// Top-level modules not imported: they open a browser or a window, print at
/// import, or are no modules at all.
pub const SIDE_EFFECTS: &[&str] = &[
    "antigravity",
    "this",
    "__hello__",
    "__phello__",
    "idlelib",
    "turtledemo",
    "turtle",
    "tkinter",
    "test",
    "__main__",
];

/// Directories below which no module is imported: test suites (they may run
/// at import) and what is not a package.
const SKIPPED_DIRS: &[&str] = &["test", "tests", "idle_test", "__pycache__"];

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The dotted module name of `inner` (a file path inside an import root), if it is a module to import.
pub fn module_name(inner: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let components: Vec<Component> = inner.components().collect();
    let (file, dirs) = components.split_last()?;
    for dir in dirs {
        let Component::Normal(dir) = dir else {
            return None;
        };
        let dir = dir.to_str()?;
        if SKIPPED_DIRS.contains(&dir) || !is_identifier(dir) {
            return None;
        }
        parts.push(dir.to_owned());
    }
    let Component::Normal(file) = file else {
        return None;
    };
    let stem = file.to_str()?.split('.').next()?;
    if !is_identifier(stem) || stem == "__main__" {
        return None;
    }
    if stem != "__init__" {
        parts.push(stem.to_owned());
    }
    let top = parts.first()?;
    if SIDE_EFFECTS.contains(&top.as_str()) {
        return None;
    }
    Some(parts.join("."))
}

/// Every module of the tree worth importing, with those that are minimized
/// (sourceless or zipped: the ones whose tracebacks need help to show lines).
#[derive(Debug, Default)]
pub struct Modules {
    pub all: BTreeSet<String>,
    pub minimized: BTreeSet<String>,
    /// Zips that could not be read (path, reason).
    pub unreadable_zips: Vec<(String, String)>,
}

impl Modules {
    /// Every module name as a worker item.
    pub fn items(&self) -> Vec<Vec<u8>> {
        self.all.iter().map(|m| m.as_bytes().to_vec()).collect()
    }
}

/// The modules of `inventory`, zips included.
pub fn modules(inventory: &Inventory) -> Modules {
    let mut found = Modules::default();
    let roots = inventory.layout.roots();
    for file in &inventory.files {
        if file.is_symlink {
            continue;
        }
        let is_zip = file.path.extension().is_some_and(|e| e == "zip")
            && file.kind == Kind::Data
            && file
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python"));
        if is_zip {
            match zip_members(&inventory.root.join(&file.path)) {
                Ok(names) => {
                    found.minimized.extend(names.iter().cloned());
                    found.all.extend(names);
                }
                Err(error) => found
                    .unreadable_zips
                    .push((pyprune_fs::display_path(&file.path), error)),
            }
            continue;
        }
        if !matches!(file.kind, Kind::Source | Kind::Sourceless | Kind::Extension) {
            continue;
        }
        let Some(inner) = roots
            .iter()
            .find_map(|root| file.path.strip_prefix(root).ok())
        else {
            continue;
        };
        if let Some(name) = module_name(inner) {
            if file.kind == Kind::Sourceless {
                found.minimized.insert(name.clone());
            }
            found.all.insert(name);
        }
    }
    found
}

/// Module names of a zip's `.py`/`.pyc` members.
fn zip_members(path: &Path) -> Result<BTreeSet<String>, String> {
    let (file, _) = pyprune_fs::open_regular(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    std::io::BufReader::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    zip_module_names(&bytes)
}

/// Module names of the `.py`/`.pyc` members of the zip `bytes`.
pub(crate) fn zip_module_names(bytes: &[u8]) -> Result<BTreeSet<String>, String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    Ok(archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.ends_with(".py") || n.ends_with(".pyc"))
        .filter_map(|n| module_name(Path::new(n.as_ref())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::module_name;
    use std::path::Path;

    #[test]
    fn names() {
        let name = |p: &str| module_name(Path::new(p));
        assert_eq!(
            name("email/mime/text.py").as_deref(),
            Some("email.mime.text")
        );
        assert_eq!(name("json/__init__.pyc").as_deref(), Some("json"));
        assert_eq!(
            name("_ssl.cpython-311-x86_64-linux-gnu.so").as_deref(),
            Some("_ssl")
        );
        assert_eq!(name("asyncio/__main__.py"), None);
        assert_eq!(name("ctypes/test/test_x.py"), None);
        assert_eq!(name("antigravity.py"), None);
        assert_eq!(name("pip-24.0.dist-info/x.py"), None);
    }

    #[test]
    fn only_importable_paths_are_modules() {
        let name = |p: &str| module_name(Path::new(p));
        // Sourceless modules, extension modules and package markers of any kind.
        assert_eq!(name("os.pyc").as_deref(), Some("os"));
        assert_eq!(
            name("_decimal.cpython-311-x86_64-linux-gnu.so").as_deref(),
            Some("_decimal")
        );
        assert_eq!(name("a/b/__init__.pyc").as_deref(), Some("a.b"));
        assert_eq!(name("_private/_x.py").as_deref(), Some("_private._x"));
        // The root's own `__init__` names no module.
        assert_eq!(name("__init__.py"), None);
        // Caches are not modules, nor is anything below a test suite.
        assert_eq!(name("__pycache__/os.cpython-311.pyc"), None);
        assert_eq!(name("tests/x.py"), None);
        assert_eq!(name("pkg/tests/x.py"), None);
        assert_eq!(name("idlelib/idle_test/x.py"), None);
        // Not identifiers: a hyphen, a leading digit, a name that is not UTF-8.
        assert_eq!(name("my-pkg/x.py"), None);
        assert_eq!(name("pkg/9lives.py"), None);
        {
            use std::os::unix::ffi::OsStrExt as _;
            let bytes = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
            assert_eq!(module_name(Path::new(bytes)), None);
        }
        // Only plain relative paths.
        assert_eq!(name("/abs/x.py"), None);
        assert_eq!(name("../x.py"), None);
        assert_eq!(name("./x.py"), None);
        // Side effects anywhere below their top-level package.
        assert_eq!(name("tkinter/ttk.py"), None);
        assert_eq!(name("this.py"), None);
        assert_eq!(name("__main__.py"), None);
        assert_eq!(name("thisisfine.py").as_deref(), Some("thisisfine"));
    }

    #[test]
    fn items_are_the_names_as_bytes_in_order() {
        let modules = super::Modules {
            all: ["b", "a.c"].iter().map(|&n| n.to_owned()).collect(),
            ..super::Modules::default()
        };
        assert_eq!(modules.items(), [b"a.c".to_vec(), b"b".to_vec()]);
    }
}
