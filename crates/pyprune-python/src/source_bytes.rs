//! Compiling source that is not on disk yet (pyprune's runtime, which
//! `apply` is about to install): written to a scratch directory, compiled by
//! the pool exactly as a file of the tree would be, the caches read back.

use crate::pool::{
    CompileOutcome, CompileRequest, InvalidationMode, PoolError, PoolOptions, compile_all,
};
use std::path::Path;

/// Why the source could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum SourceBytesError {
    #[error("cannot use a scratch directory")]
    Scratch(#[source] std::io::Error),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("the interpreter could not compile it: {0}")]
    Failed(String),
}

/// The cache files' bytes for `source` at each of `levels` (in that order),
/// with `dfile` as the name inside the code, as `py_compile` writes them.
pub fn compile_source_bytes(
    pool: &PoolOptions,
    source: &[u8],
    dfile: &Path,
    levels: &[u8],
    mode: InvalidationMode,
) -> Result<Vec<(u8, Vec<u8>)>, SourceBytesError> {
    let scratch = tempfile::tempdir().map_err(SourceBytesError::Scratch)?;
    let path = scratch.path().join("source.py");
    // fs_err: the error names the scratch file (the variant's message does not).
    fs_err::write(&path, source).map_err(SourceBytesError::Scratch)?;
    let target = |level: u8| scratch.path().join(format!("level-{level}.pyc"));
    let request = CompileRequest {
        source: path.clone(),
        dfile: Some(dfile.to_path_buf()),
        mode,
        targets: levels.iter().map(|&level| (level, target(level))).collect(),
    };
    let mut failure = None;
    compile_all(pool, std::slice::from_ref(&request), |_, outcome| {
        if let CompileOutcome::Failed { message } = outcome {
            failure = Some(message);
        }
    })?;
    if let Some(message) = failure {
        return Err(SourceBytesError::Failed(message));
    }
    levels
        .iter()
        .map(|&level| {
            fs_err::read(target(level))
                .map(|bytes| (level, bytes))
                .map_err(SourceBytesError::Scratch)
        })
        .collect()
}
