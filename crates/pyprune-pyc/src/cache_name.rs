//! PEP 3147/488 cache file names (`__pycache__/NAME.TAG[.opt-N].pyc`): what
//! they say, and which source a cache belongs to.

use crate::magic::Magic;
use std::path::{Path, PathBuf};

/// The parts of a PEP 3147/488 cache file name: `NAME.TAG[.opt-N].pyc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheFileName<'a> {
    /// The module's own name (`os`, `__init__`).
    pub module: &'a str,
    /// The interpreter's cache tag (`cpython-311`, `pypy39`).
    pub tag: &'a str,
    /// 0 for the plain cache, else the `opt-N` level.
    pub optimization: u32,
}

impl<'a> CacheFileName<'a> {
    /// Parses a file name such as `os.cpython-311.opt-1.pyc`; `None` if it is not one.
    pub fn parse(file_name: &'a str) -> Option<Self> {
        let stem = file_name.strip_suffix(".pyc")?;
        let (rest, optimization) = match stem.rsplit_once('.') {
            Some((rest, last)) if last.starts_with("opt-") => {
                let level: u32 = last["opt-".len()..].parse().ok()?;
                // PEP 488: an empty optimization tag means no `.opt-` part at all.
                if level == 0 {
                    return None;
                }
                (rest, level)
            }
            _ => (stem, 0),
        };
        let (module, tag) = rest.rsplit_once('.')?;
        if module.is_empty() || tag.is_empty() {
            return None;
        }
        Some(CacheFileName {
            module,
            tag,
            optimization,
        })
    }

    /// The file name, as [`CacheFileName::parse`] reads it (`os.cpython-311.opt-1.pyc`).
    pub fn file_name(&self) -> String {
        match self.optimization {
            0 => format!("{}.{}.pyc", self.module, self.tag),
            level => format!("{}.{}.opt-{level}.pyc", self.module, self.tag),
        }
    }
}

/// Where the source of the bytecode file at `pyc` would be, by name alone:
/// `dir/__pycache__/NAME.TAG[.opt-N].pyc` belongs to `dir/NAME.py`. A `.pyc`
/// outside `__pycache__` (sourceless) has none.
pub fn source_of_cache(pyc: &Path) -> Option<PathBuf> {
    let pycache = pyc.parent()?;
    if pycache.file_name()? != "__pycache__" {
        return None;
    }
    let name = CacheFileName::parse(pyc.file_name()?.to_str()?)?;
    Some(pycache.parent()?.join(format!("{}.py", name.module)))
}

/// Whether a cache tag (`cpython-311`) and a magic number agree; `None` when the
/// tag is not CPython's and so cannot be compared.
pub fn tag_agrees(tag: &str, magic: &Magic) -> Option<bool> {
    tag.starts_with("cpython-")
        .then(|| tag == magic.version.cache_tag())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cache_names() {
        assert_eq!(
            CacheFileName::parse("os.cpython-311.pyc"),
            Some(CacheFileName {
                module: "os",
                tag: "cpython-311",
                optimization: 0
            })
        );
        assert_eq!(
            CacheFileName::parse("__init__.pypy39.opt-2.pyc"),
            Some(CacheFileName {
                module: "__init__",
                tag: "pypy39",
                optimization: 2
            })
        );
        assert_eq!(CacheFileName::parse("os.pyc"), None);
        assert_eq!(CacheFileName::parse("os.cpython-311.opt-0.pyc"), None);
        assert_eq!(CacheFileName::parse("os.cpython-311.opt-x.pyc"), None);
        assert_eq!(CacheFileName::parse(".cpython-311.pyc"), None);
        for name in ["os.cpython-311.pyc", "__init__.pypy39.opt-2.pyc"] {
            let parsed = CacheFileName::parse(name).expect("parses");
            assert_eq!(parsed.file_name(), name, "written back as read");
        }
    }

    #[test]
    fn finds_sources_of_caches() {
        let source = |p: &str| source_of_cache(Path::new(p));
        assert_eq!(
            source("pkg/__pycache__/mod.cpython-311.opt-2.pyc"),
            Some(PathBuf::from("pkg/mod.py"))
        );
        assert_eq!(
            source("__pycache__/a.b.cpython-311.pyc"),
            Some(PathBuf::from("a.b.py"))
        );
        assert_eq!(source("pkg/mod.pyc"), None);
        assert_eq!(source("pkg/__pycache__/junk.pyc"), None);
    }

    #[test]
    fn compares_tags_with_magic() {
        let magic = Magic::lookup(3495).expect("3.11");
        assert_eq!(tag_agrees("cpython-311", &magic), Some(true));
        assert_eq!(tag_agrees("cpython-310", &magic), Some(false));
        assert_eq!(tag_agrees("pypy39", &magic), None);
    }
}
