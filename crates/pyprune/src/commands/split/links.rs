//! Files hardlinked across layers: packages cannot share a hardlink (each
//! installs its own copy), so split names them, or with `--links break`
//! gives each layer's paths a copy of their own inside the tree.

use crate::printer::Printer;
use pyprune_fs::display_path;
use pyprune_split::{Split, SplitFile, install_order};
use std::collections::BTreeMap;

/// The warning naming the first few links across layers.
pub fn warning(split: &Split) -> String {
    let groups = split.cross_layer_links();
    let shown: Vec<String> = groups
        .iter()
        .take(3)
        .map(|group| {
            group
                .iter()
                .map(|f| format!("`{}` ({})", display_path(&f.path), layer_names(split, f)))
                .collect::<Vec<_>>()
                .join(" = ")
        })
        .collect();
    let more = groups.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!("; {more} more in the report")
    } else {
        String::new()
    };
    format!(
        "{} files are hardlinked across layers, which packages cannot share (each installs its own copy: installs take more than the sizes say): {}{more}; `--links break` gives each layer its own copy",
        groups.len(),
        shown.join("; ")
    )
}

fn layer_names(split: &Split, file: &SplitFile) -> String {
    file.layers
        .iter()
        .map(|&l| split.layers[l].name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What breaking the links did.
#[derive(Debug, Default)]
pub struct Broken {
    pub broken: u64,
    pub failed: u64,
}

/// Gives the paths of each cross-layer link outside the first layer (in
/// install order) a copy of their own: per layer, one path gets a copy
/// (written beside it and renamed over it) and that layer's other paths
/// are linked to the copy. Each failure is warned about, naming the path.
pub fn break_links(split: &Split, printer: &Printer) -> Broken {
    let order = install_order(split);
    let rank = |f: &SplitFile| {
        f.layers
            .iter()
            .filter_map(|l| order.iter().position(|o| o == l))
            .min()
            .unwrap_or(usize::MAX)
    };
    let mut outcome = Broken::default();
    for group in split.cross_layer_links() {
        let mut by_rank: BTreeMap<usize, Vec<&SplitFile>> = BTreeMap::new();
        for file in group {
            by_rank.entry(rank(file)).or_default().push(file);
        }
        for paths in by_rank.into_values().skip(1) {
            let copy = split.root.join(&paths[0].path);
            match copy_in_place(&copy) {
                Ok(()) => outcome.broken += 1,
                Err(error) => {
                    printer.warn(&format!("cannot copy `{}`: {error}", display_path(&copy)));
                    outcome.failed += paths.len() as u64;
                    continue;
                }
            }
            for other in &paths[1..] {
                let target = split.root.join(&other.path);
                match pyprune_fs::replace_with_link(&copy, &target) {
                    Ok(()) => outcome.broken += 1,
                    Err(error) => {
                        printer.warn(&format!("cannot link `{}`: {error}", display_path(&target)));
                        outcome.failed += 1;
                    }
                }
            }
        }
    }
    outcome
}

/// Replaces `path` by a copy of itself (same bytes, mode and times),
/// atomically: the copy is made beside it, then renamed over it.
fn copy_in_place(path: &std::path::Path) -> std::io::Result<()> {
    let temporary = pyprune_fs::temporary_beside(path)?;
    let copied =
        pyprune_fs::copy_regular(path, &temporary).and_then(|()| std::fs::rename(&temporary, path));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}
