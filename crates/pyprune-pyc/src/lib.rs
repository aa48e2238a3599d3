//! Reading CPython `.pyc` files without trusting them.
//!
//! The magic number says which release wrote a file ([`Magic`]); the PEP 552
//! header says how it is checked against its source ([`Header`], [`Freshness`]);
//! the marshalled code object says where it was compiled and what it contains
//! ([`marshal`], [`CodeSummary`]); [`normalize_pyc`] makes its bytes independent of
//! the process that compiled it. Every parser is bounded in recursion and
//! allocation and returns an error, never panics, on arbitrary bytes.

mod cache_name;
mod file;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod magic;
pub mod marshal;
mod normalize;
mod pyc;
mod rename;
mod source_hash;
mod summary;

pub use cache_name::{CacheFileName, source_of_cache, tag_agrees};
pub use file::{CacheContext, FileError, FileReport, QuickReport, check_file, check_file_quick};
pub use header::{Header, HeaderError, Invalidation};
pub use magic::{Magic, PythonVersion, UnknownMagic};
pub use normalize::{NormalizeError, normalize_marshal, normalize_pyc};
pub use pyc::{Freshness, Pyc, PycError, SourceStat, freshness};
pub use rename::{RenameError, rename_code_file};
pub use source_hash::source_hash;
pub use summary::{CodeKind, CodeObjectSummary, CodeSummary};
