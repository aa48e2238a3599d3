//! `pyprune split`'s rules: a tree's files given to layers (the packages a
//! distributor ships a Python as: `core`, a layer per bytecode level, tests,
//! IDLE and Tk, developer modules, build files, a sourceless layout's
//! sources), each file to exactly one; the installs those layers make and
//! their sizes; the layers' file lists in the formats packagers use; an
//! install laid out alone for verification. The binary adds the command.

mod install;
mod layer;
mod lists;
mod materialize;
mod split;

pub use install::{
    Install, InstallError, NotASubset, Sizes, default_chain, directories_of, install_order,
    layer_sizes, sizes_of, subset_failures,
};
pub use layer::{
    CORE, Layer, LayerError, Selector, Term, default_layers, layers_with, selectable_steps,
};
pub use lists::{List, ListFormat, directory_owners, list, read_plain};
pub use materialize::{MaterializeError, materialize};
pub use split::{Split, SplitFile, removed_by};
