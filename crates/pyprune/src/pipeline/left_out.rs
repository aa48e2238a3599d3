//! What a command leaves out of a tree that holds a standard library: its
//! site-packages and dist-packages (unless `--site-packages`), said with
//! their size in every report that measures or changes the tree.

pub use pyprune_tree::LeftOut;

/// The two lines reports print about `left_out` (without the last newline),
/// or `None` when nothing was left out.
pub fn left_out_lines(left_out: &LeftOut, what: &str) -> Option<String> {
    if left_out.is_empty() {
        return None;
    }
    Some(format!(
        "third-party packages {what}: {} ({})\n(--site-packages takes them in)",
        left_out.dirs.join(", "),
        crate::format::size(left_out.disk_bytes)
    ))
}

/// A path the walk left out of the inventory (a FIFO, a socket, a device, an
/// unreadable file or directory), with its warning's words: `--out` leaves
/// it out of the result, an in-place change leaves it as it was.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotOpened {
    pub path: String,
    pub reason: String,
}

/// The paths the walk of `inventory` left out.
pub fn not_opened(inventory: &pyprune_tree::Inventory) -> Vec<NotOpened> {
    inventory
        .warnings
        .iter()
        .filter(|w| w.left_out())
        .map(|w| NotOpened {
            path: pyprune_fs::display_path(&w.path),
            reason: w.message.clone(),
        })
        .collect()
}
