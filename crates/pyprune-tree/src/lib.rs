//! The inventory of a Python installation: one parallel walk of a directory tree
//! in which every file gets a top-level module, a kind (source, bytecode per
//! optimization level, extension, ...), and its apparent and real disk size,
//! with hardlinked inodes counted once.
//!
//! The walk never follows a symlink and never reads anything outside the tree;
//! problems with single files become [`Warning`]s and the walk goes on.

mod bytecode;
mod extra_space;
mod inventory;
mod kind;
mod layout;
mod links;
mod tally;
mod third_party;
mod walk;

pub use bytecode::{BytecodeOptions, BytecodeReport, Finding, Findings};
pub use extra_space::{Beside, beside_tree};
pub use inventory::{
    Hardlinks, Inventory, InventoryFile, KindTotals, ModuleSummary, Sizes, Summary,
};
pub use kind::Kind;
pub use layout::{LIB_DIRS, Layout, ModuleRole, STDLIB_LANDMARKS, find_stdlib_dir, is_stdlib_dir};
pub use pyprune_fs::display_path;
pub use tally::{Tally, count};
pub use third_party::{LeftOut, THIRD_PARTY_DIRS, third_party_dirs};
pub use walk::{ScanOptions, TreeError, Warning};
