//! The hot path of a zip: the modules imported at start-up and by an import
//! set (common entry points, or the application's own list), or those an
//! application needs (`--keep-for`: what `keep-for` keeps), whose bytecode
//! the zip steps store rather than deflate, since inflating bytecode at each
//! import costs more time than its bytes save on disk.

use super::keep_for::application_files;
use super::startup::StartupSources;
use super::{Context, StepError};
use crate::model::Model;
use pyprune_tree::Kind;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Entry points common programs start from: what the hot path is made of
/// when no import set is given, and what `plan --measure-import` times (less
/// `unittest`, which `minimal` removes). Their imports cover the stdlib's
/// most used packages (encodings, collections, re, email, http, asyncio,
/// logging, ...).
pub const COMMON_ENTRY_POINTS: &[&str] = &[
    "json",
    "asyncio",
    "email.message",
    "email.mime.text",
    "email.utils",
    "http.client",
    "urllib.request",
    "decimal",
    "logging",
    "argparse",
    "csv",
    "datetime",
    "pathlib",
    "subprocess",
    "typing",
    "dataclasses",
    "collections",
    "re",
    "textwrap",
    "tempfile",
    "shutil",
    "xml.etree.ElementTree",
    "zipfile",
    "tarfile",
    "hashlib",
    "unittest",
    "random",
    "sqlite3",
    "ssl",
];

/// Asks the tree's interpreter which source files importing the modules
/// loads, relative to its stdlib directory; `None` when it could not say.
pub type HotPathFn = dyn Fn(&[String]) -> Option<Arc<[PathBuf]>> + Send + Sync;

/// The import set and how to learn its imports.
#[derive(Clone)]
pub struct HotPath {
    /// The modules (dotted names) whose imports are the hot path; none with
    /// `--keep-for` alone (the application's needs are the hot path then).
    pub modules: Arc<[String]>,
    /// The interpreter to ask; without one, the modules' own files (and
    /// their packages') are the hot path.
    pub ask: Option<Arc<HotPathFn>>,
}

impl Default for HotPath {
    fn default() -> HotPath {
        HotPath {
            modules: COMMON_ENTRY_POINTS
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            ask: None,
        }
    }
}

impl std::fmt::Debug for HotPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotPath")
            .field("modules", &self.modules)
            .field("ask", &self.ask.is_some())
            .finish()
    }
}

/// The sources of `model`'s stdlib (paths in the model) on the hot path:
/// the start-up modules at every level, those the import set imports (none
/// when it is empty), and with `--keep-for` the sources of the modules the
/// application needs, as `keep-for` finds them.
pub(crate) fn hot_sources(
    model: &Model,
    context: &Context,
    stdlib: &Path,
) -> Result<BTreeSet<PathBuf>, StepError> {
    let mut hot: BTreeSet<PathBuf> = StartupSources::of(model, context)
        .all()
        .into_iter()
        .cloned()
        .collect();
    let hot_path = &context.zip.hot_path;
    if !hot_path.modules.is_empty() {
        match hot_path.ask.as_ref().and_then(|ask| ask(&hot_path.modules)) {
            Some(sources) => hot.extend(sources.iter().map(|rel| stdlib.join(rel))),
            None => {
                for module in hot_path.modules.iter() {
                    hot.extend(own_files(model, stdlib, module));
                }
            }
        }
    }
    if let Some(needed) = application_files(model, context)? {
        hot.extend(
            needed
                .into_iter()
                .filter(|path| model.file(path).is_some_and(|f| f.kind == Kind::Source)),
        );
    }
    Ok(hot)
}

/// The source of dotted `module` and the `__init__.py` of each package
/// above it, those that are in the model.
fn own_files(model: &Model, stdlib: &Path, module: &str) -> Vec<PathBuf> {
    let parts: Vec<&str> = module.split('.').collect();
    let mut files = Vec::new();
    for depth in 1..=parts.len() {
        let dir = parts[..depth]
            .iter()
            .fold(stdlib.to_path_buf(), |p, part| p.join(part));
        let package = dir.join("__init__.py");
        let plain = dir.with_extension("py");
        files.extend([package, plain].into_iter().filter(|p| model.has_file(p)));
    }
    files
}
