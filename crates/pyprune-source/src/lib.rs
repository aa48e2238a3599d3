//! Python source analysis: which optimization levels can change a module's
//! bytecode, whether a module finds files through `__file__` (and so
//! cannot be imported from a zip), and which modules a module imports.
//! `-O` (level 1) removes `assert` statements and code on
//! `__debug__`; `-OO` (level 2) also drops docstrings. A module with neither
//! compiles to the same bytes at every level, so only one level needs compiling.

mod computed;
mod file_relative;
mod imports;
mod levels;
mod source_reads;

pub use computed::ComputedImport;
pub use file_relative::uses_file_relative_paths;
pub use imports::{ImportRef, SourceImports, chain, imports_of, source_imports};
pub use levels::OptimizationProfile;
pub use source_reads::reads_python_source;
