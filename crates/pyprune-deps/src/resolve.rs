//! Which modules one import statement loads, given the modules the tree has:
//! the package chain above the module it names, that module, and the names
//! of a `from` import that are submodules. `keep_imported` and the graph
//! both resolve imports here.

use pyprune_source::ImportRef;

/// A module an import loads: by name (`direct`), or as the parent package
/// of one it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub direct: bool,
}

/// The modules `import` (in the module `module`, a package's `__init__` when
/// `is_package`) loads: its package chain, the module it names, and each
/// name of a `from` import as a submodule (it may be an attribute instead:
/// the caller looks it up). `is_module` says which names are modules of the
/// tree: the module named is loaded directly (not only as a parent) unless
/// every name imported from it is a submodule. `None` when a relative import climbs above the
/// top-level package.
pub fn imported_modules(
    import: &ImportRef,
    module: &str,
    is_package: bool,
    is_module: impl Fn(&str) -> bool,
) -> Option<Vec<Imported>> {
    let (parents, base, named) = import.resolve_split(module, is_package)?;
    // `from test import support` runs `test` only as the parent of the
    // submodule it names; `from json import loads` uses `json`.
    let base_direct = import.names.is_empty() || named.iter().any(|n| !is_module(n));
    let parents = parents.into_iter().map(|name| Imported {
        name,
        direct: false,
    });
    Some(
        parents
            .chain([Imported {
                name: base,
                direct: base_direct,
            }])
            .chain(
                named
                    .into_iter()
                    .map(|name| Imported { name, direct: true }),
            )
            .collect(),
    )
}
