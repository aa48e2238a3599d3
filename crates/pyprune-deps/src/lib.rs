//! The static import graph of a Python tree: every module (sources,
//! sourceless bytecode, extensions, and the interpreter's built-in and
//! frozen modules) a node, every import an edge marked hard, optional, lazy,
//! conditional or dynamic; and the questions asked of it (a closure, who
//! needs a module, what nothing imports). `pyprune deps` prints them; other
//! code (`apply --keep-for`) asks them.

mod entries;
mod graph;
mod names;
mod queries;
mod resolve;

pub use entries::{Entry, EntryNeeds, Need, entry_needs};
pub use graph::{Edge, EdgeMarks, Graph, GraphInput, ModuleFile, Node, NodeKind};
pub use names::{ModuleNames, Owner};
pub use queries::{Chain, EdgeFilter};
pub use resolve::{Imported, imported_modules};
