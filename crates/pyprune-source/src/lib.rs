//! Python source analysis: which optimization levels can change a module's
//! bytecode, and whether a module finds files through `__file__` (and so
//! cannot be imported from a zip). `-O` (level 1) removes `assert` statements and code on
//! `__debug__`; `-OO` (level 2) also drops docstrings. A module with neither
//! compiles to the same bytes at every level, so only one level needs compiling.

mod file_relative;
mod levels;

pub use file_relative::uses_file_relative_paths;
pub use levels::OptimizationProfile;
