//! Everything pyprune learns from a Python interpreter, by running it: where
//! its standard library is, which cache tag and magic number its bytecode
//! carries, and which directories are on its `sys.path` — and a pool of
//! long-lived interpreters that compile sources exactly as `compileall` does.

mod builtins;
mod discover;
mod env;
mod loaded;
mod pool;
mod source_bytes;
mod startup;

pub use builtins::{InterpreterModules, InterpreterModulesError, interpreter_modules};
pub use discover::{DiscoverError, Interpreter, discover};
pub use env::{Unanswered, clean_command};
pub use loaded::{LoadedError, importtime_names, loaded_at_start, trace_imports};
pub use pool::{
    CompileOutcome, CompileRequest, InvalidationMode, PoolError, PoolOptions, compile_all,
};
pub use source_bytes::{SourceBytesError, compile_source_bytes};
pub use startup::{StartupError, imported_sources, startup_sources};

/// The interpreter pyprune asks when none is named (`--python`).
pub const DEFAULT_PYTHON: &str = "python3";

/// The interpreter named, or the default one.
pub fn named_or_default(python: Option<&std::ffi::OsStr>) -> &std::ffi::OsStr {
    python.unwrap_or(std::ffi::OsStr::new(DEFAULT_PYTHON))
}
