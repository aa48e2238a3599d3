//! What `split` reports, as JSON (docs/json-schema.md) and for the text
//! summary: each layer with its files and sizes, each install's sizes, the
//! links across layers, the lists written, and `--check`'s findings.

use pyprune_fs::display_path;
use pyprune_split::{Install, Sizes, Split};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct SplitReport {
    pub root: String,
    /// Where the lists say the tree is (`--prefix`); `None`: at `root`.
    pub prefix: Option<String>,
    pub layers: Vec<LayerReport>,
    pub installs: Vec<InstallReport>,
    /// Groups of paths sharing one inode across layers.
    pub cross_layer_links: Vec<Vec<LinkedPath>>,
    /// Paths whose link across layers `--links break` replaced by a copy.
    pub links_broken: u64,
    /// Files no layer took.
    pub unassigned: Vec<String>,
    /// The third-party packages not split (unless `--site-packages`).
    pub left_out: pyprune_tree::LeftOut,
    /// Paths a list format could not spell (left out of that list).
    pub unlistable: Vec<Unlistable>,
    /// The files `--out` wrote.
    pub written: Vec<String>,
    /// The installs `--materialize` laid out.
    pub materialized: Vec<String>,
    pub check: Option<super::check::CheckReport>,
}

#[derive(Debug, Serialize)]
pub struct LayerReport {
    pub name: String,
    pub selector: String,
    /// Every install holds it.
    pub base: bool,
    /// Bytecode caches only: the base layer lists its files as `%ghost`.
    pub bytecode_cache: bool,
    /// Its files alone, each inode once (directories not counted).
    pub sizes: Sizes,
    /// Relative to the root, sorted.
    pub files: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct InstallReport {
    pub name: String,
    pub layers: Vec<String>,
    /// Its files, each inode once, and the directories holding them.
    pub sizes: Sizes,
}

#[derive(Debug, Serialize)]
pub struct LinkedPath {
    pub path: String,
    pub layers: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Unlistable {
    pub layer: String,
    pub format: &'static str,
    pub path: String,
    pub why: &'static str,
}

/// The report of `split` over `installs`.
pub fn build(
    split: &Split,
    installs: &[Install],
    shown_root: &Path,
    prefixed: bool,
) -> SplitReport {
    let names = |layers: &mut dyn Iterator<Item = usize>| -> Vec<String> {
        layers.map(|l| split.layers[l].name.clone()).collect()
    };
    let base = split.base();
    SplitReport {
        root: display_path(&split.root),
        prefix: prefixed.then(|| display_path(shown_root)),
        layers: split
            .layers
            .iter()
            .enumerate()
            .map(|(i, layer)| LayerReport {
                name: layer.name.clone(),
                selector: layer.selector.text.clone(),
                base: i == base,
                bytecode_cache: split.is_bytecode_layer(i),
                sizes: pyprune_split::layer_sizes(split, i),
                files: split.files_of(i).map(|f| display_path(&f.path)).collect(),
            })
            .collect(),
        installs: installs
            .iter()
            .map(|install| InstallReport {
                name: install.name.clone(),
                layers: names(&mut install.layers.iter().copied()),
                sizes: pyprune_split::sizes_of(split, install),
            })
            .collect(),
        cross_layer_links: split
            .cross_layer_links()
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|f| LinkedPath {
                        path: display_path(&f.path),
                        layers: names(&mut f.layers.iter().copied()),
                    })
                    .collect()
            })
            .collect(),
        links_broken: 0,
        unassigned: split.unassigned().map(|f| display_path(&f.path)).collect(),
        left_out: pyprune_tree::LeftOut::default(),
        unlistable: Vec::new(),
        written: Vec::new(),
        materialized: Vec::new(),
        check: None,
    }
}
