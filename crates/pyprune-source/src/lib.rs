//! Python source analysis. For now: which optimization levels can change a
//! module's bytecode. `-O` (level 1) removes `assert` statements and code on
//! `__debug__`; `-OO` (level 2) also drops docstrings. A module with neither
//! compiles to the same bytes at every level, so only one level needs compiling.

mod levels;

pub use levels::OptimizationProfile;
