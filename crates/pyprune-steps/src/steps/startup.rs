//! The modules Python imports from source files before pyprune's runtime
//! loads, as the tree's interpreter says (see `pyprune_python::startup_sources`):
//! nothing can stop it writing their caches, so the cache-dropping steps keep
//! them and `no-write-marker` compiles the missing ones.

use super::Context;
use crate::model::Model;
use pyprune_pyc::CacheFileName;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Asks the tree's interpreter which source files it imports at an
/// optimization level (0, 1, 2) before the runtime loads, relative to its
/// stdlib directory; `None` when it could not say. The answer is the
/// interpreter's, so it is asked once per level however many steps and plan
/// rows want it.
#[derive(Clone)]
pub struct StartupModules(pub Arc<StartupModulesFn>);

/// What a [`StartupModules`] calls.
pub type StartupModulesFn = dyn Fn(u8) -> Option<Arc<[PathBuf]>> + Send + Sync;

impl std::fmt::Debug for StartupModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StartupModules")
    }
}

/// What is assumed when no interpreter can be asked: the codec package every
/// release 3.8–3.13 imports from source at start, with its aliases and the
/// UTF-8 codec. (3.8–3.10 import more: os, site, io, ...; only their
/// interpreter can say which.)
const WITHOUT_AN_INTERPRETER: &[&str] = &[
    "encodings/__init__.py",
    "encodings/aliases.py",
    "encodings/utf_8.py",
];

/// The optimization levels there are.
const LEVELS: [u8; 3] = [0, 1, 2];

/// The start-up sources of the model (paths in it, whether there or not) at each level.
pub(crate) struct StartupSources {
    by_level: [BTreeSet<PathBuf>; 3],
}

impl StartupSources {
    /// Those of `model`'s stdlib, as `context`'s interpreter says (or, without
    /// one, [`WITHOUT_AN_INTERPRETER`]); none when the model holds no stdlib.
    pub(crate) fn of(model: &Model, context: &Context) -> StartupSources {
        let stdlib = context.version.and_then(|v| super::stdlib_dir(model, v));
        let by_level = LEVELS.map(|level| {
            let Some(stdlib) = &stdlib else {
                return BTreeSet::new();
            };
            let asked = context.startup.as_ref().and_then(|s| (s.0)(level));
            match asked {
                Some(sources) => sources.iter().map(|rel| stdlib.join(rel)).collect(),
                None => WITHOUT_AN_INTERPRETER
                    .iter()
                    .map(|rel| stdlib.join(rel))
                    .collect(),
            }
        });
        StartupSources { by_level }
    }

    /// Every start-up source, at any level.
    pub(crate) fn all(&self) -> BTreeSet<&PathBuf> {
        self.by_level.iter().flatten().collect()
    }

    /// Whether `source` is imported before the runtime at `level`.
    pub(crate) fn imports_at(&self, source: &Path, level: u32) -> bool {
        usize::try_from(level)
            .ok()
            .and_then(|l| self.by_level.get(l))
            .is_some_and(|set| set.contains(source))
    }

    /// Whether `cache` (`DIR/__pycache__/NAME.TAG[.opt-N].pyc`) is the cache
    /// of a start-up source at the level it is imported at.
    pub(crate) fn is_startup_cache(&self, cache: &Path) -> bool {
        cache_source(cache).is_some_and(|(source, level)| self.imports_at(&source, level))
    }
}

/// The source (`DIR/NAME.py`) and level of a cache path.
pub(crate) fn cache_source(cache: &Path) -> Option<(PathBuf, u32)> {
    let name = CacheFileName::parse(cache.file_name()?.to_str()?)?;
    let pycache = cache.parent()?;
    (pycache.file_name()? == "__pycache__").then_some(())?;
    let dir = pycache.parent()?;
    Some((dir.join(format!("{}.py", name.module)), name.optimization))
}
