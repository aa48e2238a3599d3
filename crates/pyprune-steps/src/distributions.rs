//! The distributions installed in a tree the steps work on, read once per
//! scan (its `*.dist-info` directories, see `pyprune-dist`): which
//! distribution owns a file, and whose RECORD must stay true.

use pyprune_dist::Distributions;
use pyprune_tree::Inventory;
use std::path::PathBuf;

/// The distributions of the scanned tree: every `*.dist-info` directory it holds.
pub fn read_distributions(inventory: &Inventory) -> Distributions {
    let dist_infos: Vec<PathBuf> = inventory
        .directories_list
        .iter()
        .map(|(dir, _)| dir)
        .filter(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"))
        })
        .cloned()
        .collect();
    Distributions::read(&inventory.root, &dist_infos)
}
