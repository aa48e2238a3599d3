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
