//! Stripping extension modules of debug and unneeded symbols with binutils'
//! `strip`, into a scratch copy, so that the bytes are known before anything
//! in the tree changes.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_tree::Kind;
use rayon::prelude::*;

pub(crate) fn strip(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    // Its own scratch directory: plan rows strip in parallel.
    let scratch_dir = tempfile::Builder::new()
        .prefix("pyprune-strip-")
        .tempdir()
        .map_err(|source| StepError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
    let scratch = scratch_dir.path();
    let extensions: Vec<_> = model
        .files
        .iter()
        .filter(|(_, f)| f.kind == Kind::Extension)
        .collect();
    let results: Vec<Result<Option<Action>, StepError>> = extensions
        .par_iter()
        .enumerate()
        .map(|(i, (path, file))| {
            let bytes = context.read(file)?;
            let input = scratch.join(format!("{i}.in"));
            let output = scratch.join(format!("{i}.out"));
            let fail = |message: String| StepError::Strip {
                path: (*path).clone(),
                message,
            };
            std::fs::write(&input, &bytes).map_err(|e| fail(e.to_string()))?;
            let run = std::process::Command::new("strip")
                .args(["--strip-unneeded", "-o"])
                .arg(&output)
                .arg(&input)
                .output()
                .map_err(|e| fail(format!("cannot run strip: {e}")))?;
            if !run.status.success() {
                return Err(fail(String::from_utf8_lossy(&run.stderr).trim().to_owned()));
            }
            let stripped = std::fs::read(&output).map_err(|e| fail(e.to_string()))?;
            let _ = std::fs::remove_file(&input);
            let _ = std::fs::remove_file(&output);
            Ok((stripped.len() < bytes.len()).then(|| Action::Write {
                path: (*path).clone(),
                bytes: stripped,
                mode: file.mode,
                kind: Kind::Extension,
                module: file.module.clone(),
            }))
        })
        .collect();
    drop(scratch_dir);
    results.into_iter().filter_map(Result::transpose).collect()
}
