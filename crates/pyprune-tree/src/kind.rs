//! What a file is to Python, decided from its path alone: source, a bytecode
//! cache of one optimization level (PEP 3147/488 names), sourceless bytecode,
//! an extension module, packaging metadata, or data.

use pyprune_pyc::CacheFileName;
use serde::Serialize;
use std::path::{Component, Path};

/// The file kinds of the footprint tables, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A `.py` file.
    Source,
    /// `__pycache__/NAME.TAG.pyc`: the cache for `python` without `-O`.
    BytecodeOpt0,
    /// `__pycache__/NAME.TAG.opt-1.pyc`: the cache for `python -O`.
    BytecodeOpt1,
    /// `__pycache__/NAME.TAG.opt-2.pyc`: the cache for `python -OO`.
    BytecodeOpt2,
    /// A `.pyc` outside `__pycache__`, imported when no `.py` is beside it.
    Sourceless,
    /// A compiled extension module (`.so`, `.pyd`).
    Extension,
    /// Anything inside a `*.dist-info` or `*.egg-info` directory.
    Metadata,
    /// Everything else.
    Data,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 8] = [
        Kind::Source,
        Kind::BytecodeOpt0,
        Kind::BytecodeOpt1,
        Kind::BytecodeOpt2,
        Kind::Sourceless,
        Kind::Extension,
        Kind::Metadata,
        Kind::Data,
    ];

    /// The name used in reports and JSON (`bytecode-opt1`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::BytecodeOpt0 => "bytecode-opt0",
            Kind::BytecodeOpt1 => "bytecode-opt1",
            Kind::BytecodeOpt2 => "bytecode-opt2",
            Kind::Sourceless => "sourceless",
            Kind::Extension => "extension",
            Kind::Metadata => "metadata",
            Kind::Data => "data",
        }
    }

    /// Classifies a path relative to the tree root.
    pub fn of(rel: &Path) -> Kind {
        let Some(file_name) = rel.file_name().map(|n| n.to_string_lossy()) else {
            return Kind::Data;
        };
        if is_metadata(rel, &file_name) {
            return Kind::Metadata;
        }
        if file_name.ends_with(".py") {
            return Kind::Source;
        }
        if file_name.ends_with(".pyc") {
            if !in_pycache(rel) {
                return Kind::Sourceless;
            }
            // A .pyc in __pycache__ without a PEP 3147 name is never loaded by Python.
            return match CacheFileName::parse(&file_name).map(|c| c.optimization) {
                Some(0) => Kind::BytecodeOpt0,
                Some(1) => Kind::BytecodeOpt1,
                Some(2) => Kind::BytecodeOpt2,
                _ => Kind::Data,
            };
        }
        if file_name.ends_with(".so") || file_name.ends_with(".pyd") {
            return Kind::Extension;
        }
        Kind::Data
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn is_metadata(rel: &Path, file_name: &str) -> bool {
    let metadata_dir = |name: &str| name.ends_with(".dist-info") || name.ends_with(".egg-info");
    // An old-style `foo.egg-info` may be a single file instead of a directory.
    metadata_dir(file_name)
        || rel.parent().is_some_and(|parent| {
            parent
                .components()
                .any(|c| matches!(c, Component::Normal(n) if metadata_dir(&n.to_string_lossy())))
        })
}

fn in_pycache(rel: &Path) -> bool {
    rel.parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "__pycache__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        let cases = [
            ("email/mime/text.py", Kind::Source),
            (
                "email/__pycache__/utils.cpython-311.pyc",
                Kind::BytecodeOpt0,
            ),
            ("__pycache__/os.cpython-311.opt-1.pyc", Kind::BytecodeOpt1),
            ("__pycache__/os.cpython-312.opt-2.pyc", Kind::BytecodeOpt2),
            ("__pycache__/os.pyc", Kind::Data),
            ("pkg/mod.pyc", Kind::Sourceless),
            (
                "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
                Kind::Extension,
            ),
            ("pip-23.2.1.dist-info/RECORD", Kind::Metadata),
            ("six-1.16.0.egg-info", Kind::Metadata),
            ("foo.egg-info/sub/x.py", Kind::Metadata),
            ("pydoc_data/_pydoc.css", Kind::Data),
            ("libpython3.11.so.1.0", Kind::Data),
        ];
        for (path, kind) in cases {
            assert_eq!(Kind::of(Path::new(path)), kind, "{path}");
        }
    }
}
