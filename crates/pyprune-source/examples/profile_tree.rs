//! Times the optimization-level analysis over every `.py` under a directory.
//! Usage: cargo run --release -p pyprune-source --example profile_tree -- DIR

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
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
