//! The distributions installed in a tree the steps work on, read once per
//! scan (its `*.dist-info` directories, see `pyprune-dist`): which
//! distribution owns a file, and whose RECORD must stay true.

use pyprune_dist::Distributions;
use pyprune_tree::Inventory;
use std::path::PathBuf;

/// The distributions installed in the scanned tree: every `*.dist-info`
/// directory directly in one of its import roots (site-packages). Those
/// deeper down are vendored copies (setuptools keeps its dependencies'
/// under `setuptools/_vendor/`): their files are the vendoring
/// distribution's, listed in its own RECORD.
pub fn read_distributions(inventory: &Inventory) -> Distributions {
    let roots = inventory.layout.roots();
    let dist_infos: Vec<PathBuf> = inventory
        .directories_list
        .iter()
        .map(|(dir, _)| dir)
        .filter(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"))
                && dir.parent().is_some_and(|p| roots.iter().any(|r| r == p))
        })
        .cloned()
        .collect();
    Distributions::read(&inventory.root, &dist_infos)
}
