//! Times the optimization-level analysis over every `.py` under a directory.
//! Usage: cargo run --release -p pyprune-source --example profile_tree -- DIR

mod py_files;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let files: Vec<Vec<u8>> = py_files::py_files(&dir)
        .iter()
        .map(|path| std::fs::read(path).unwrap_or_default())
        .collect();
    let bytes: usize = files.iter().map(Vec::len).sum();
    let started = std::time::Instant::now();
    let analysed = files
        .iter()
        .filter(|f| pyprune_source::OptimizationProfile::of(f).is_some())
        .count();
    let elapsed = started.elapsed();
    println!(
        "{} files, {:.1} MB, {analysed} analysed, {:.2} s on one thread",
        files.len(),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64()
    );
}
