//! Lists the modules under a directory that find files through `__file__`.
//! Usage: cargo run --release -p pyprune-source --example zip_unsafe -- DIR

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if pyprune_source::uses_file_relative_paths(&bytes) != Some(false) {
                    println!("{}", path.strip_prefix(&dir).unwrap_or(&path).display());
                }
            }
        }
    }
}
