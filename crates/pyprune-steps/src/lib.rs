//! Minimization steps. Each step looks at a [`Model`] of the tree and returns
//! the [`Action`]s it takes (remove this, link that, write these bytes). The
//! same actions are applied to the model to predict sizes (`plan`) and to the
//! disk to do the work (`apply`), so a prediction cannot drift from what is done.

mod action;
mod distributions;
mod footprint;
#[doc(hidden)]
pub mod fuzzing;
mod journal;
mod model;
#[cfg(test)]
mod model_builder;
pub mod module_history;
mod plan;
#[cfg(test)]
mod plan_tests;
mod profiles;
mod records;
#[cfg(test)]
mod records_tests;
mod release;
mod staging;
mod step_tree;
mod steps;
mod tree_path;
mod venv_paths;

pub use action::{Action, ActionError, perform};
pub use distributions::read_distributions;
pub use footprint::{
    DirSizes, DistCost, DistFootprint, Footprint, Parts, Unowned, costs, disk_by_owner,
};
pub use journal::{
    JOURNAL_DIR, Journal, JournalError, RollbackError, Skip, Undone, commit, has_journal, undo,
};
pub use model::{Model, ModelFile, Origin, TreeKey, TreePath};
pub use plan::{ApplyError, PlanRow, actions_for, apply, plan, predict};
pub use profiles::{
    PROFILES, Profile, ProfileDef, ProfileError, choose_steps, load_profiles, parse_profiles,
};
pub use release::{other_implementation, release_of_caches};
pub use staging::{
    CopyBytes, OutLayout, StageError, StageTo, Staged, copy_destination, copy_tree, stage,
};
pub use steps::{
    BytecodePacking, COMMON_ENTRY_POINTS, HotPath, HotPathFn, ZipOverrides, ZipSettings,
};
pub use steps::{
    ComputedIn, Context, KeepFor, KeptImport, LeftAsIs, ModuleRemovals, Need, StartupModules,
    StartupModulesFn, StepError, StepInfo, StepName, ZipOptions, kept_by_imports, left_as_is,
    module_removals, step_actions,
};
pub use steps::{REMOVED_FILE, Removed, error_message, list_text, missing_stdlib_info};
pub use steps::{
    REMOVED_MODULE, RUNTIME_MODULE, RUNTIME_PTH, RUNTIME_SOURCE, SITECUSTOMIZE, SourceCompiler,
    SourceCompilerFn, has_own_sitecustomize, installs_runtime, keeps_traceback_lines,
    needs_runtime, promises_no_writes, removes_modules, runtime_module, runtime_pth,
    steps_missing_runtime,
};
pub use venv_paths::{VenvPaths, VenvRelocation};
