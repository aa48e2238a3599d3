//! Everything pyprune learns from a Python interpreter, by running it: where
//! its standard library is, which cache tag and magic number its bytecode
//! carries, and which directories are on its `sys.path`.

mod discover;
mod env;

pub use discover::{DiscoverError, Interpreter, discover};
pub use env::clean_command;
