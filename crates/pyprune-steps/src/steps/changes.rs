//! What one step does to one model: its actions (less what no step may
//! touch, plus the directories it empties), the modules it removes, and what
//! a plan row reports of it (an exclusion's modules, what it leaves as it
//! is). All of it comes from one run of the step: `plan` used to run an
//! exclusion three times per row for these.

use super::{Context, KeptImport, StepError, StepName};
use super::{caches, devel, exclude, extensions, installers, keep_for, keep_imported};
use super::{normalize, sourceless, zip};
use crate::action::Action;
use crate::model::Model;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What an exclusion step takes away on one tree, module by module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleRemovals {
    /// The modules it removes, by dotted name, sorted; a package stands for
    /// its submodules (`test`, not `test.test_json` too).
    pub removed: Vec<String>,
    /// The modules it would remove but keeps, because kept modules import them.
    pub kept: Vec<KeptImport>,
    /// `keep-for`'s: imports of computed names in the modules it keeps,
    /// which nothing resolved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<super::ComputedIn>,
}

/// Something a step would change but leaves as it is, and why: a library
/// `strip-extensions` must not or cannot strip safely, a third-party test
/// directory `exclude-tests` keeps, a distribution `sourceless` keeps the
/// sources of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftAsIs {
    /// A path relative to the tree (as pyprune shows paths), or a distribution's name.
    pub what: String,
    pub why: String,
}

/// One step's changes to one model.
pub(crate) struct Changes {
    /// Its actions, directories it empties included.
    pub actions: Vec<Action>,
    /// The modules it removes by dotted name (an exclusion's; none for the other steps).
    pub removed: Vec<String>,
    /// What an exclusion removes and keeps, module by module; `None` for the other steps.
    pub modules: Option<ModuleRemovals>,
    /// What it would change but leaves as it is, and why.
    pub left: Vec<LeftAsIs>,
}

/// The actions `step` takes on `model`, directories it empties included.
pub fn step_actions(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    changes(step, model, context).map(|c| c.actions)
}

/// The actions `step` takes on `model`, with the modules it removes by
/// dotted name (an exclusion's; none for the other steps).
pub(crate) fn step_changes(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<(Vec<Action>, Vec<String>), StepError> {
    changes(step, model, context).map(|c| (c.actions, c.removed))
}

/// Everything `step` does to `model`.
pub(crate) fn changes(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Changes, StepError> {
    let mut worked = work(step, model, context)?;
    let left_out = context.left_out(model);
    // Only a whole distribution's uninstall takes its metadata with it.
    let keeps_dist_info = step != StepName::ExcludeInstallers;
    worked.actions.retain(|action| {
        let in_left_out = changes_any(action, |path| left_out.iter().any(|d| path.starts_with(d)));
        let in_dist_info = keeps_dist_info && changes_dist_info(action);
        !in_left_out && !in_dist_info
    });
    // A distribution whose RECORD cannot be trusted is left as it is, by every step.
    let untouchable = crate::distributions::Untouchable::of(&context.distributions);
    if !untouchable.is_empty() {
        worked
            .actions
            .retain(|action| !changes_any(action, |path| untouchable.covers(path)));
    }
    let emptied = super::emptied_dirs(model, &worked.actions);
    worked.actions.extend(emptied);
    worked.left.retain(|l| {
        !left_out
            .iter()
            .any(|dir| Path::new(&l.what).starts_with(dir))
    });
    Ok(worked)
}

/// The step's own work, before what holds for every step.
fn work(step: StepName, model: &Model, context: &Context) -> Result<Changes, StepError> {
    let plain = |actions| Changes {
        actions,
        removed: Vec::new(),
        modules: None,
        left: Vec::new(),
    };
    let excluded = |outcome: keep_imported::Outcome, left| Changes {
        removed: outcome.removed.clone(),
        modules: Some(ModuleRemovals {
            removed: outcome.removed,
            kept: outcome.kept,
            computed: outcome.computed,
        }),
        actions: outcome.actions,
        left,
    };
    Ok(match step {
        StepName::DedupeCaches => plain(caches::dedupe(model, context)?),
        StepName::DropOpt2 => plain(caches::drop_levels(
            model,
            context,
            &[pyprune_tree::Kind::BytecodeOpt2],
        )),
        StepName::DropOptimizedCaches => plain(caches::drop_levels(
            model,
            context,
            &[
                pyprune_tree::Kind::BytecodeOpt1,
                pyprune_tree::Kind::BytecodeOpt2,
            ],
        )),
        StepName::DropCaches => plain(caches::drop_levels(
            model,
            context,
            &[
                pyprune_tree::Kind::BytecodeOpt0,
                pyprune_tree::Kind::BytecodeOpt1,
                pyprune_tree::Kind::BytecodeOpt2,
            ],
        )),
        StepName::NoWriteMarker => plain(caches::markers(model, context)?),
        // All it does is the runtime's fallback, installed with the runtime.
        StepName::CacheFallback => plain(Vec::new()),
        StepName::Sourceless | StepName::SourcesCompressed => {
            let compress = step == StepName::SourcesCompressed;
            // Both ask which distributions read their own sources.
            let readers = sourceless::source_readers(model, context)?;
            let actions = sourceless::sourceless(model, context, compress, &readers)?;
            let left = sourceless::kept_sources(&readers, model, context);
            Changes {
                left,
                ..plain(actions)
            }
        }
        StepName::ExcludeTests => {
            let (outcome, left) = exclude::tests_and_left(model, context)?;
            excluded(outcome, left)
        }
        StepName::ExcludeInstallers => {
            let found = installers::installers(model, context)?;
            excluded(found.outcome, found.left)
        }
        StepName::ExcludeIdleTk => excluded(exclude::idle_tk(model, context)?, Vec::new()),
        StepName::ExcludeDevModules => excluded(exclude::dev_modules(model, context)?, Vec::new()),
        StepName::ExcludeDeadBatteries => {
            excluded(exclude::dead_batteries(model, context)?, Vec::new())
        }
        StepName::KeepFor => excluded(keep_for::keep_for(model, context)?, Vec::new()),
        StepName::ExcludeDevel => plain(devel::devel(model)),
        StepName::StripExtensions => {
            let stripping = extensions::strip(model, context)?;
            Changes {
                left: stripping.left,
                ..plain(stripping.actions)
            }
        }
        StepName::CompressPycs => plain(sourceless::compress_each_pyc(model, context)?),
        StepName::Normalize => plain(normalize::normalize(model, context)?),
        StepName::ZipDataModules
        | StepName::ZipStdlib
        | StepName::ZipStdlibDeflated
        | StepName::ZipStdlibStored
        | StepName::ZipStdlibBytecode
        | StepName::ZipStdlibBytecodeStored => plain(match step.info().zip {
            Some(options) => zip::zip(model, context, options)?,
            None => Vec::new(),
        }),
    })
}

/// Whether `action` changes anything in a `*.dist-info` directory: no step
/// does (a distribution's metadata is what `importlib.metadata` and pip
/// read; a `licenses/tests/` in it is no test suite).
fn changes_dist_info(action: &Action) -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    changes_any(action, |path| {
        // Most paths hold no `.dist-info` at all: said without parsing them.
        let bytes = path.as_os_str().as_bytes();
        bytes.windows(DIST_INFO.len()).any(|w| w == DIST_INFO)
            && path.components().any(|c| {
                matches!(c, std::path::Component::Normal(name)
                if name.to_string_lossy().ends_with(".dist-info"))
            })
    })
}

const DIST_INFO: &[u8] = b".dist-info";

/// Whether `action` changes a path that `held` holds.
fn changes_any(action: &Action, held: impl Fn(&Path) -> bool) -> bool {
    let changed: &[&PathBuf] = match action {
        Action::Remove(path) | Action::RemoveDir(path) | Action::Write { path, .. } => &[path],
        Action::Link { target, .. } => &[target],
        Action::Move { from, to, .. } => &[from, to],
    };
    changed.iter().any(|path| held(path))
}

/// What `step` removes and keeps of the modules of `model`; `None` for a step
/// that removes no modules by name (every step but the exclusions).
pub fn module_removals(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Option<ModuleRemovals>, StepError> {
    // The exclusions remove modules by name; their entry says so.
    if !step.info().removes_modules {
        return Ok(None);
    }
    work(step, model, context).map(|c| c.modules)
}

/// What `step` leaves as it is on `model` although it would change it, with
/// why (empty for the steps that leave nothing so).
pub fn left_as_is(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Vec<LeftAsIs>, StepError> {
    changes(step, model, context).map(|c| c.left)
}

/// The modules `step` (an exclusion; other steps remove no modules) keeps on
/// `model` because modules it keeps import them, with who imports each.
pub fn kept_by_imports(
    step: StepName,
    model: &Model,
    context: &Context,
) -> Result<Vec<KeptImport>, StepError> {
    Ok(module_removals(step, model, context)?
        .map(|r| r.kept)
        .unwrap_or_default())
}
