//! Lists the modules under a directory that find files through `__file__`.
//! Usage: cargo run --release -p pyprune-source --example zip_unsafe -- DIR

mod py_files;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    for path in py_files::py_files(&dir) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        if pyprune_source::uses_file_relative_paths(&bytes) != Some(false) {
            println!("{}", path.strip_prefix(&dir).unwrap_or(&path).display());
        }
    }
}
