//! What `--out` and `--materialize` write, outside the tree: each written
//! file whole or not at all (a temporary renamed into place, removed if the
//! run is interrupted), each install laid out under its own name.

use super::report::{SplitReport, Unlistable};
use crate::printer::Printer;
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_split::{Install, ListFormat, Split};
use std::path::{Path, PathBuf};

/// Writes every layer's list in every format into `dir`; returns the paths written.
pub fn write_lists(
    split: &Split,
    dir: &Path,
    roots: &[(PathBuf, bool)],
    report: &mut SplitReport,
    printer: &Printer,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make `{}`", display_path(dir)))?;
    let mut written = Vec::new();
    for (layer, named) in split.layers.iter().enumerate() {
        for format in ListFormat::ALL {
            let (root, own) = &roots[layer];
            let list = pyprune_split::list(split, layer, format, root, *own);
            for (path, why) in list.unlistable {
                printer.warn(&format!(
                    "`{}` left out of {}.{}: {why}",
                    display_path(&path),
                    named.name,
                    format.extension()
                ));
                report.unlistable.push(Unlistable {
                    layer: named.name.clone(),
                    format: format.extension(),
                    path: display_path(&path),
                    why,
                });
            }
            let path = dir.join(format!("{}.{}", named.name, format.extension()));
            write_whole(&path, &list.bytes)?;
            written.push(display_path(&path));
        }
    }
    written.push(display_path(&dir.join("split.json")));
    Ok(written)
}

/// Writes the JSON report beside the lists.
pub fn write_json(dir: &Path, report: &SplitReport) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(report).context("cannot write the report")?;
    bytes.push(b'\n');
    write_whole(&dir.join("split.json"), &bytes)
}

fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = pyprune_fs::temporary_beside(path)
        .with_context(|| format!("cannot write `{}`", display_path(path)))?;
    let guard = pyprune_interrupt::Temporary::new(&temporary);
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("cannot write `{}`", display_path(path)))?;
    guard.keep();
    Ok(())
}

/// Lays out each install at `dir/INSTALL`, the tree's root becoming that
/// directory; an install already laid out there is refused.
pub fn materialize_all(
    split: &Split,
    installs: &[Install],
    dir: &Path,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make `{}`", display_path(dir)))?;
    let mut made = Vec::new();
    for install in installs {
        let dest: PathBuf = dir.join(&install.name);
        if dest.symlink_metadata().is_ok() {
            anyhow::bail!(
                "`{}` exists: --materialize lays out each install in a directory of its own",
                display_path(&dest)
            );
        }
        // Removed if the run stops before the install is whole.
        let guard = pyprune_interrupt::Temporary::new(&dest);
        pyprune_split::materialize(split, install, false, &dest)?;
        guard.keep();
        made.push(display_path(&dest));
    }
    Ok(made)
}
