//! Filesystem helpers shared by pyprune's crates: opening files of an
//! untrusted tree safely, replacing files atomically, and showing paths (and text taken from files) to
//! people and in JSON so that every byte survives and none can forge output.

mod kind;
mod open;
mod path_display;
mod read_only;
mod replace;

pub use kind::special_kind;
pub use open::{OpenError, copy_regular, open_regular, read_regular};
pub use path_display::{display_path, display_text, serialize_optional_path, serialize_path};
pub use read_only::on_read_only_filesystem;
pub use replace::{replace_with_bytes, replace_with_link, temporary_beside};
