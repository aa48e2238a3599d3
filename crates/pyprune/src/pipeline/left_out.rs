//! What a command leaves out of a tree that holds a standard library: its
//! site-packages and dist-packages (unless `--site-packages`), said with
//! their size in every report that measures the tree.

use pyprune_fs::display_path;
use serde::Serialize;
use std::path::PathBuf;

/// The third-party directories left out, and their disk usage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LeftOut {
    /// Relative to the tree root.
    pub dirs: Vec<String>,
    /// `du -s` of them together (each inode once, directories included).
    pub disk_bytes: u64,
}

impl LeftOut {
    pub fn new(dirs: &[PathBuf], disk_bytes: u64) -> LeftOut {
        LeftOut {
            dirs: dirs.iter().map(|d| display_path(d)).collect(),
            disk_bytes,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// The two lines reports print (without the last newline), or `None`
    /// when nothing was left out.
    pub fn lines(&self, what: &str) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        Some(format!(
            "third-party packages {what}: {} ({})\n(--site-packages takes them in)",
            self.dirs.join(", "),
            crate::format::size(self.disk_bytes)
        ))
    }
}
