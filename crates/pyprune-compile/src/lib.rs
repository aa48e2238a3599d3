//! `pyprune compile`: bytecode for the chosen optimization levels, written by
//! the target interpreter itself (through `py_compile`, as `compileall` does)
//! so the bytes are `compileall`'s, but faster: levels that the source's
//! syntax tree proves identical are not compiled again but hardlinked (or
//! copied), files are fed largest first to a pool of long-lived workers, and
//! identical results are hardlinked as `compileall --hardlink-dupes` would.

mod cache_path;
mod run;

pub use cache_path::{cache_file, embedded_path};
pub use run::{CompileError, CompileOptions, CompileReport, FileFailure, compile_tree};
