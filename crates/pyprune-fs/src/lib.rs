//! Filesystem helpers shared by pyprune's crates. For now: how a path is shown
//! to people and written into JSON, where every byte must survive.

mod path_display;

pub use path_display::{display_path, serialize_optional_path, serialize_path};
