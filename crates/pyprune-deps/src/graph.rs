//! Building the graph: each module of the tree named, its source parsed (in
//! parallel) and each import resolved to the modules it loads; the
//! interpreter's built-in and frozen modules added as nodes without files.

use crate::names::ModuleNames;
use crate::resolve::imported_modules;
use pyprune_source::imports_of;
use pyprune_tree::Kind;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One file of the tree, as the graph needs it.
#[derive(Debug, Clone)]
pub struct ModuleFile {
    /// Relative to the tree root.
    pub path: PathBuf,
    pub kind: Kind,
    /// Disk bytes counted for it (0 for a further hardlink of an inode).
    pub disk_bytes: u64,
    /// A symlink: never read through.
    pub symlink: bool,
}

/// What the graph is built from.
#[derive(Debug)]
pub struct GraphInput<'a> {
    /// The files of the tree (every kind: those that are no module file are skipped).
    pub files: &'a [ModuleFile],
    /// The tree's directories (relative), for its import roots.
    pub dirs: &'a [PathBuf],
    /// Its stdlib directory (relative), if it holds one.
    pub stdlib: Option<PathBuf>,
    /// The interpreter's built-in, frozen and start-up module names (empty
    /// when none was asked).
    pub builtin: &'a [String],
    pub frozen: &'a [String],
    pub at_startup: &'a [String],
    /// The interpreter's top-level stdlib modules (`sys.stdlib_module_names`):
    /// in a tree without a stdlib (a venv, a site-packages), an import of one
    /// the tree lacks is an import from the stdlib outside it, not unresolved.
    pub stdlib_names: &'a [String],
}

/// What a node is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A `.py` source (with or without caches).
    Source,
    /// Bytecode without its source: its imports are unknown.
    Sourceless,
    /// An extension module (`.so`): its imports are unknown.
    Extension,
    /// Compiled into the interpreter.
    Builtin,
    /// Frozen into the interpreter, with no file in the tree.
    Frozen,
}

/// One module.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Its dotted name.
    pub name: String,
    pub kind: NodeKind,
    /// A package (its `__init__`).
    pub is_package: bool,
    /// Whether its imports were read: false for sourceless bytecode,
    /// extensions, built-in and frozen modules, and sources that cannot be parsed.
    pub imports_known: bool,
    /// Loaded by the interpreter at start (`-c pass`, site included).
    pub at_startup: bool,
    /// Frozen into the interpreter (on 3.11+ `os`, `site`, ... also have a source).
    pub frozen: bool,
    /// Its files' disk bytes: source, caches, sourceless bytecode, extension.
    pub disk_bytes: u64,
    /// Its files, relative to the tree root.
    pub files: Vec<PathBuf>,
    /// The distribution it belongs to (set by the caller; `None`: none or stdlib).
    pub distribution: Option<String>,
}

/// How an import is written; an edge with no mark is hard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EdgeMarks {
    /// In a `try` that catches `ImportError`, or under `if 'x' in sys.modules`.
    pub optional: bool,
    /// In a function body.
    pub lazy: bool,
    /// Under `if TYPE_CHECKING` or a platform test.
    pub conditional: bool,
    /// A literal `__import__` / `importlib.import_module` call.
    pub dynamic: bool,
    /// Not an import statement: a submodule runs its package first.
    pub parent: bool,
}

impl EdgeMarks {
    /// Runs whenever the importer is imported, on every platform.
    pub fn is_hard(self) -> bool {
        !(self.optional || self.lazy || self.conditional)
    }

    /// Two imports of the same module: a mark stays when both carry it.
    fn merge(self, other: EdgeMarks) -> EdgeMarks {
        EdgeMarks {
            optional: self.optional && other.optional,
            lazy: self.lazy && other.lazy,
            conditional: self.conditional && other.conditional,
            dynamic: self.dynamic && other.dynamic,
            parent: self.parent && other.parent,
        }
    }

    /// The words the reports use: `hard`, or the marks joined by `+`.
    pub fn describe(self) -> String {
        let marks: Vec<&str> = [
            (self.parent, "package"),
            (self.optional, "optional"),
            (self.lazy, "lazy"),
            (self.conditional, "conditional"),
            (self.dynamic, "dynamic"),
        ]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
        if marks.is_empty() {
            "hard".to_owned()
        } else {
            marks.join("+")
        }
    }
}

/// An edge to a node (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub to: usize,
    pub marks: EdgeMarks,
}

/// The import graph.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Sorted by name.
    pub nodes: Vec<Node>,
    /// Each node's edges, by target index.
    pub edges: Vec<Vec<Edge>>,
    /// Each node's imports that name no module of the graph (a module of
    /// another platform, a missing dependency), sorted.
    pub unresolved: Vec<Vec<String>>,
    /// Each node's imports of stdlib modules outside the tree (a venv's,
    /// a site-packages' imports of the interpreter's stdlib), sorted.
    pub outside: Vec<Vec<String>>,
    /// Sources that could not be read or parsed: (path, why).
    pub warnings: Vec<(PathBuf, String)>,
    index: HashMap<String, usize>,
}

impl Graph {
    /// Builds the graph of `input`, reading sources through `read` (given
    /// a path relative to the tree root).
    pub fn build(
        input: &GraphInput<'_>,
        read: impl Fn(&Path) -> std::io::Result<Vec<u8>> + Sync,
    ) -> Graph {
        let names = ModuleNames::new(
            input.stdlib.clone(),
            input.dirs.iter().map(PathBuf::as_path),
            input.files.iter().map(|f| (f.path.as_path(), f.kind)),
        );
        // Each module's files.
        let mut by_name: BTreeMap<String, (bool, Vec<&ModuleFile>)> = BTreeMap::new();
        for file in input.files {
            if let Some((name, is_package)) = names.module_name(&file.path, file.kind) {
                let entry = by_name.entry(name).or_default();
                entry.0 |= is_package;
                entry.1.push(file);
            }
        }
        let builtin: BTreeSet<&str> = input.builtin.iter().map(String::as_str).collect();
        let frozen: BTreeSet<&str> = input.frozen.iter().map(String::as_str).collect();
        let startup: BTreeSet<&str> = input.at_startup.iter().map(String::as_str).collect();
        for name in builtin.iter().chain(&frozen) {
            by_name.entry((*name).to_owned()).or_default();
        }
        let mut nodes: Vec<Node> = by_name
            .iter()
            .map(|(name, (is_package, files))| {
                let has = |kind: Kind| files.iter().any(|f| f.kind == kind);
                let kind = if has(Kind::Source) {
                    NodeKind::Source
                } else if has(Kind::Extension) {
                    NodeKind::Extension
                } else if !files.is_empty() {
                    NodeKind::Sourceless
                } else if builtin.contains(name.as_str()) {
                    NodeKind::Builtin
                } else {
                    NodeKind::Frozen
                };
                Node {
                    name: name.clone(),
                    kind,
                    is_package: *is_package,
                    imports_known: false,
                    at_startup: startup.contains(name.as_str()),
                    frozen: frozen.contains(name.as_str()),
                    disk_bytes: files.iter().map(|f| f.disk_bytes).sum(),
                    files: files.iter().map(|f| f.path.clone()).collect(),
                    distribution: None,
                }
            })
            .collect();
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let sources: Vec<Option<&ModuleFile>> = by_name
            .values()
            .map(|(_, files)| {
                files
                    .iter()
                    .find(|f| f.kind == Kind::Source && !f.symlink)
                    .copied()
            })
            .collect();
        // Parse every source at once.
        let parsed: Vec<Result<Option<Vec<pyprune_source::ImportRef>>, String>> = sources
            .par_iter()
            .map(|source| match source {
                None => Ok(None),
                Some(file) => match read(&file.path) {
                    Err(e) => Err(format!("cannot read it: {e}")),
                    Ok(bytes) => imports_of(&bytes).map(Some).ok_or_else(|| {
                        "cannot parse it (a syntax error or a multi-byte encoding): its imports are unknown"
                            .to_owned()
                    }),
                },
            })
            .collect();
        let mut edges = vec![Vec::new(); nodes.len()];
        let mut unresolved = vec![Vec::new(); nodes.len()];
        let mut outside = vec![Vec::new(); nodes.len()];
        let stdlib_names: BTreeSet<&str> = if input.stdlib.is_none() {
            input.stdlib_names.iter().map(String::as_str).collect()
        } else {
            BTreeSet::new()
        };
        let mut warnings = Vec::new();
        for (i, result) in parsed.into_iter().enumerate() {
            let refs = match (result, sources[i]) {
                (Ok(Some(refs)), _) => {
                    nodes[i].imports_known = true;
                    refs
                }
                (Err(why), Some(file)) => {
                    warnings.push((file.path.clone(), why));
                    Vec::new()
                }
                _ => Vec::new(),
            };
            let name = nodes[i].name.clone();
            let mut targets: BTreeMap<usize, EdgeMarks> = BTreeMap::new();
            let mut add = |to: usize, marks: EdgeMarks| {
                if to != i {
                    targets
                        .entry(to)
                        .and_modify(|m| *m = m.merge(marks))
                        .or_insert(marks);
                }
            };
            // A submodule runs its package first.
            if let Some((parent, _)) = name.rsplit_once('.')
                && let Some(&to) = index.get(parent)
            {
                add(
                    to,
                    EdgeMarks {
                        parent: true,
                        ..EdgeMarks::default()
                    },
                );
            }
            let mut missing = BTreeSet::new();
            for import in &refs {
                let marks = EdgeMarks {
                    optional: import.optional,
                    lazy: import.lazy,
                    conditional: import.conditional,
                    dynamic: import.dynamic,
                    parent: false,
                };
                let is_package = nodes[i].is_package;
                let Some(loaded) =
                    imported_modules(import, &name, is_package, |n| index.contains_key(n))
                else {
                    continue;
                };
                for module in loaded {
                    if let Some(&to) = index.get(&module.name) {
                        add(to, marks);
                    }
                }
                // The module named and its packages must exist; the names
                // imported from it may be attributes.
                if let Some((parents, base, _)) = import.resolve_split(&name, is_package) {
                    missing.extend(
                        parents
                            .into_iter()
                            .chain([base])
                            .filter(|m| !index.contains_key(m)),
                    );
                }
            }
            edges[i] = targets
                .into_iter()
                .map(|(to, marks)| Edge { to, marks })
                .collect();
            let (stdlib, missing): (Vec<String>, Vec<String>) = missing
                .into_iter()
                .partition(|m| stdlib_names.contains(m.split('.').next().unwrap_or_default()));
            unresolved[i] = missing;
            outside[i] = stdlib;
        }
        Graph {
            nodes,
            edges,
            unresolved,
            outside,
            warnings,
            index,
        }
    }

    /// The index of the module named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
