//! Which kept modules' sources need parsing at all: an exclusion only asks
//! whether kept modules import one of its candidates (or the package of a
//! candidate's data), and a source whose words cannot spell such an import
//! imports none. Parsing every source of a large venv was a fifth of `plan`.
//!
//! Every name an `import` or `from` statement loads is in the package chain
//! of the module it names. In an absolute import each part of that module is
//! written in the source; a relative one starts from a package above the
//! importer (a prefix of its dotted name) and writes the parts after it. So
//! a module can load a name only if the name is the module itself or a
//! package above it, or every part of the name after the prefix it shares
//! with the module is a word of the source (`pandas.tests.io` from
//! `pandas.core.frame`: `tests` and `io`). This holds for sources whose names
//! are ASCII words ([`Scan::plain`]): `__import__` and `import_module` calls
//! take a string literal, whose escapes and concatenations can spell a name
//! no word of the file holds.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault};

type WordHasher = BuildHasherDefault<rustc_hash::FxHasher>;

fn word_hash(word: &[u8]) -> u64 {
    WordHasher::default().hash_one(word)
}

/// What a source's bytes say of the names its imports can hold.
#[derive(Debug)]
pub(crate) struct Scan {
    /// The hashes of its words (runs of ASCII letters, digits and `_`), and
    /// of each word less its first byte (as `keep_imported` looks for names
    /// in what it cannot parse).
    words: HashSet<u64, WordHasher>,
    /// Whether its imports can name modules only by words: the source is
    /// ASCII and calls neither `__import__` nor `import_module`.
    plain: bool,
}

impl Scan {
    pub(crate) fn of(bytes: &[u8]) -> Scan {
        // Each distinct run once (most repeat), then its two hashes.
        let runs: HashSet<&[u8], WordHasher> = bytes
            .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .filter(|run| !run.is_empty())
            .collect();
        let plain = bytes.is_ascii()
            && !runs.contains(&b"__import__"[..])
            && !runs.contains(&b"import_module"[..]);
        let words = runs
            .iter()
            .flat_map(|run| [word_hash(run), word_hash(&run[1..])])
            .collect();
        Scan { words, plain }
    }
}

/// The names whose import matters to an exclusion.
#[derive(Debug)]
pub(crate) struct Reach<'a> {
    names: HashSet<&'a str>,
    /// By the hash of a name's last part: each name that ends so, as the hashes of its parts.
    by_last: HashMap<u64, Vec<Vec<u64>>, WordHasher>,
    /// Whether every name is ASCII (else no source is left unparsed).
    ascii: bool,
}

fn part_hashes(name: &str) -> Vec<u64> {
    name.split('.')
        .map(|part| word_hash(part.as_bytes()))
        .collect()
}

impl<'a> Reach<'a> {
    pub(crate) fn of(names: impl IntoIterator<Item = &'a str>) -> Reach<'a> {
        let names: HashSet<&str> = names.into_iter().collect();
        let mut by_last: HashMap<u64, Vec<Vec<u64>>, WordHasher> = HashMap::default();
        for name in &names {
            let parts = part_hashes(name);
            if let Some(&last) = parts.last() {
                by_last.entry(last).or_default().push(parts);
            }
        }
        let ascii = names.iter().all(|n| n.is_ascii());
        Reach {
            names,
            by_last,
            ascii,
        }
    }

    /// Whether the module `module`, whose source scans as `scan`, may import one of the names.
    pub(crate) fn may_import(&self, module: &str, scan: &Scan) -> bool {
        if !self.ascii || !scan.plain {
            return true;
        }
        // The module itself and the packages above it: a relative import
        // reaches them without naming them.
        let mut above = Some(module);
        while let Some(name) = above {
            if self.names.contains(name) {
                return true;
            }
            above = name.rsplit_once('.').map(|(parent, _)| parent);
        }
        let own = part_hashes(module);
        scan.words.iter().any(|word| {
            self.by_last.get(word).is_some_and(|names| {
                names.iter().any(|parts| {
                    let shared = parts.iter().zip(&own).take_while(|(a, b)| a == b).count();
                    parts[shared..].iter().all(|part| scan.words.contains(part))
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(names: &[&str], module: &str, source: &str) -> bool {
        Reach::of(names.iter().copied()).may_import(module, &Scan::of(source.as_bytes()))
    }

    #[test]
    fn a_source_reaches_a_name_it_spells_or_a_package_above_it() {
        let names = ["numpy.tests", "numpy.tests.test_x", "pip._internal"];
        // Absolute imports spell every part.
        assert!(may(&names, "pandas.core", "import numpy.tests.test_x\n"));
        assert!(may(&names, "pandas.core", "from numpy import tests\n"));
        assert!(may(&names, "app", "from pip import _internal\n"));
        // Another top-level package's `tests` is not spelled by `tests` alone.
        assert!(!may(&names, "pandas.core", "from . import tests\n"));
        assert!(!may(&names, "pandas.core", "import numpy\nimport os\n"));
        // A relative import within the package needs the parts below what
        // the names share with the importer...
        assert!(may(&names, "numpy.core", "from .tests import test_x\n"));
        assert!(may(&names, "numpy.core", "from . import tests\n"));
        assert!(!may(&names, "numpy.core", "from . import test_x\n"));
        // ...or none, for the packages above the importer.
        assert!(may(&names, "numpy.tests.helpers", "from . import other\n"));
        assert!(may(&names, "numpy.tests", "x = 1\n"));
        // Names a string could spell otherwise, or non-ASCII text: parsed.
        assert!(may(&names, "app", "__import__('nu' 'mpy.tests')\n"));
        assert!(may(&names, "app", "importlib.import_module('x')\n"));
        assert!(may(&names, "app", "# caf\u{e9}\nimport os\n"));
        assert!(may(&["caf\u{e9}"], "app", "import os\n"));
    }
}
