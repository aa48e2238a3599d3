//! Installed Python distributions, as pip installs them (PEP 376/627
//! `*.dist-info` directories): which files each owns according to its
//! RECORD, and RECORD read and written exactly as pip writes it, so that
//! pyprune's changes leave every RECORD true (`pip show -f`, `pip
//! uninstall` and `importlib.metadata` see the disk as it is).

#[doc(hidden)]
pub mod fuzzing;
mod installed;
mod metadata;
mod owners;
mod record;

pub use installed::{
    DistWarning, Distribution, Distributions, RecordState, record_spelling, resolve,
};
pub use metadata::{normalized_name, requirements};
pub use owners::source_of_generated;
pub use record::{Record, RecordError, RecordRow, record_hash};
