//! Sourceless layouts: the opt-0 cache moved to where the source was (so the
//! module imports from it with no source beside), the source and the other
//! caches removed — or the source kept gzip-compressed in `__pysources__/`.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use flate2::Compression;
use flate2::write::GzEncoder;
use pyprune_tree::Kind;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The `.py` sources that have an opt-0 cache for the context's tag, with that cache.
fn sources_with_caches<'a>(model: &'a Model, context: &Context) -> Vec<(&'a PathBuf, PathBuf)> {
    model
        .files
        .iter()
        .filter(|(_, f)| f.kind == Kind::Source)
        .filter_map(|(path, _)| {
            let stem = path.file_stem()?.to_str()?;
            let cache = path
                .parent()?
                .join("__pycache__")
                .join(format!("{stem}.{}.pyc", context.cache_tag));
            model
                .files
                .get(&cache)
                .is_some_and(|c| c.kind == Kind::BytecodeOpt0)
                .then_some((path, cache))
        })
        .collect()
}

pub(crate) fn sourceless(
    model: &Model,
    context: &Context,
    keep_compressed: bool,
) -> Result<Vec<Action>, StepError> {
    let mut actions = Vec::new();
    for (source, cache) in sources_with_caches(model, context) {
        let source_file = &model.files[source];
        if keep_compressed {
            let bytes = context.read(source_file)?;
            actions.push(Action::Write {
                path: compressed_source_path(source),
                bytes: gzip(&bytes),
                mode: source_file.mode,
                kind: Kind::Data,
                module: source_file.module.clone(),
            });
        }
        // Other caches of the module go: they would never be used without the source.
        let stem = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let prefix = format!("{stem}.{}.", context.cache_tag);
        let pycache = cache.parent().map(Path::to_path_buf).unwrap_or_default();
        for (path, _) in model.files.range(pycache.clone()..) {
            if !path.starts_with(&pycache) {
                break;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if *path != cache
                && path.parent() == Some(pycache.as_path())
                && name.starts_with(&prefix)
            {
                actions.push(Action::Remove(path.clone()));
            }
        }
        actions.push(Action::Move {
            from: cache,
            to: source.with_extension("pyc"),
            kind: Kind::Sourceless,
        });
        actions.push(Action::Remove(source.clone()));
    }
    Ok(actions)
}

/// `dir/__pysources__/NAME.py.gz` for `dir/NAME.py`.
pub(crate) fn compressed_source_path(source: &Path) -> PathBuf {
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    source
        .parent()
        .unwrap_or(Path::new(""))
        .join("__pysources__")
        .join(format!("{name}.gz"))
}

/// Gzip with no name and a zero timestamp: the same bytes on every run.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Fedora's solution 8, sized as the document sized it: each bytecode file
/// replaced by its own compressed form. Plan only: no CPython reads such files.
pub(crate) fn compress_each_pyc(
    model: &Model,
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    let mut actions = Vec::new();
    for (path, file) in &model.files {
        if matches!(
            file.kind,
            Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 | Kind::Sourceless
        ) {
            let bytes = context.read(file)?;
            actions.push(Action::Write {
                path: path.clone(),
                bytes: gzip(&bytes),
                mode: file.mode,
                kind: file.kind,
                module: file.module.clone(),
            });
        }
    }
    Ok(actions)
}
