//! Lists the modules under a directory that read Python source at run time
//! (what keeps a distribution's sources under `sourceless`), with why.
//! Usage: cargo run --release -p pyprune-source --example source_readers -- DIR

mod py_files;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    for path in py_files::py_files(&dir) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let shown = path.strip_prefix(&dir).unwrap_or(&path).display();
        if let Some(why) = pyprune_source::reads_python_source(&bytes) {
            println!("{shown}: {why}");
        }
    }
}
