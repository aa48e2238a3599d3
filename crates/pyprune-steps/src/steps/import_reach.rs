//! Which kept modules' sources need parsing at all: an exclusion only asks
//! whether kept modules import one of its candidates (or the package of a
//! candidate's data), and a source whose words cannot spell such an import
//! imports none. Parsing every source of a large venv was a fifth of `plan`.
//!
//! Every name an `import` or `from` statement loads is the package chain of
//! the module it names: in an absolute import each part of it is written in
//! the source; a relative import starts from the importer's own package, so
//! what it loads is either a package above the importer (named nowhere) or
//! ends in a part written in the source, in the importer's top-level package.
//! So a module can import a name only if the name is the module itself or a
//! package above it, or the name's last part is a word of the source and its
//! top-level package is the module's own or a word of the source too. This
//! holds for sources whose names are ASCII words ([`Scan::plain`]):
//! `__import__` and `import_module` calls take a string literal, whose
//! escapes and concatenations can spell a name no word of the file holds.

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
    /// By the hash of a name's last part: the hashes of the top-level
    /// packages of the names that end so.
    tops_by_last: HashMap<u64, Vec<u64>, WordHasher>,
    /// Whether every name is ASCII (else no source is left unparsed).
    ascii: bool,
}

impl<'a> Reach<'a> {
    pub(crate) fn of(names: impl IntoIterator<Item = &'a str>) -> Reach<'a> {
        let names: HashSet<&str> = names.into_iter().collect();
        let mut tops_by_last: HashMap<u64, Vec<u64>, WordHasher> = HashMap::default();
        for name in &names {
            let top = name.split('.').next().unwrap_or(name);
            let last = name.rsplit('.').next().unwrap_or(name);
            let tops = tops_by_last.entry(word_hash(last.as_bytes())).or_default();
            let top = word_hash(top.as_bytes());
            if !tops.contains(&top) {
                tops.push(top);
            }
        }
        let ascii = names.iter().all(|n| n.is_ascii());
        Reach {
            names,
            tops_by_last,
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
        let own_top = word_hash(module.split('.').next().unwrap_or(module).as_bytes());
        scan.words.iter().any(|word| {
            self.tops_by_last.get(word).is_some_and(|tops| {
                tops.iter()
                    .any(|top| *top == own_top || scan.words.contains(top))
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
        // A relative import within the package needs only the last part...
        assert!(may(&names, "numpy.core", "from .tests import test_x\n"));
        assert!(may(&names, "numpy.core", "from . import tests\n"));
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
