//! What kind of file a path is, said for people: the walk's warnings about
//! what it leaves out and the refusals of output paths pyprune will not
//! replace name the kind the same way.

/// What a path that is neither a directory, a regular file nor a symlink is
/// (`lstat`'s answer), said for a warning; `None` for those three.
pub fn special_kind(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_dir() || file_type.is_file() || file_type.is_symlink() {
        None
    } else {
        Some("a file of an unknown type")
    }
}
