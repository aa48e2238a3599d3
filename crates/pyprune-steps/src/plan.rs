//! The plan: every step alone and every profile, predicted on the model of
//! one tree, with the size each leaves and what it costs the user.

use crate::action::{Action, ActionError, perform};
use crate::footprint::{DistCost, costs, disk_by_owner};
use crate::model::Model;
use crate::profiles::ProfileDef;
use crate::step_tree::{Ran, StepTree};
use crate::steps::{
    Context, LeftAsIs, ModuleRemovals, Removed, StepError, StepName, ZipOverrides, stdlib_dir,
    step_changes,
};
use pyprune_tree::Tally;
use rayon::prelude::*;
use serde::Serialize;

/// One row of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    /// `step` or `profile`.
    pub kind: &'static str,
    pub name: String,
    /// Where the source documents propose it (steps), or what it promises (profiles).
    pub about: String,
    /// `du -s` of the tree after it.
    pub disk_bytes: u64,
    pub saved_bytes: i64,
    pub saved_percent: f64,
    /// What the user gives up, one item per step that costs something.
    pub gives_up: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<StepName>,
    /// For an exclusion step's row: the modules it removes on this tree, and
    /// those it keeps because kept modules import them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modules: Option<ModuleRemovals>,
    /// What it saves each distribution of the tree (and the files no
    /// distribution owns), largest saving first; only those it changes.
    /// Empty in a tree without distributions.
    pub by_distribution: Vec<DistCost>,
    /// For a step's row: what it would change but leaves as it is, and why
    /// (libraries strip cannot shrink safely, distributions that read their sources).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_as_is: Vec<LeftAsIs>,
    /// With `--measure-import`: median import time of the module set, as a ratio to
    /// the unchanged tree's (`None` when not measured or when the imports failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_ratio: Option<f64>,
    /// With `--measure-import`: the least and the greatest ratio of the
    /// interleaved pairs whose median is `import_ratio`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_range: Option<[f64; 2]>,
    /// With `--measure-import`: whether the module set imported at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imports: Option<bool>,
}

/// What a plan row says when its steps need the runtime and the tree has no place for it.
pub const NO_RUNTIME_HERE: &str = "this tree holds no stdlib (of a release pyprune knows: --python names it), so pyprune's runtime has no place to go: Python would ignore what it needs the runtime for, and apply refuses it";

/// What a plan row says when its steps need the runtime and the stdlib's own
/// `sitecustomize` leaves pyprune's no way into venvs.
pub const VENVS_WITHOUT_RUNTIME: &str = "venvs made from this Python run without pyprune's runtime (its stdlib has a sitecustomize of its own, which pyprune leaves alone)";

/// Predicts `steps` in order on `model`; returns the final model.
pub fn predict(model: &Model, steps: &[StepName], context: &Context) -> Result<Model, StepError> {
    actions_for(model, steps, context).map(|(_, model)| model)
}

/// Every step alone (the plan-only ones only where the tree holds a stdlib),
/// then every profile of `profiles` (the built-in ones and any from a file),
/// each row counted on `progress`. Sizes are of the tree
/// less what the steps leave out ([`Context::left_out`]).
pub fn plan(
    model: &Model,
    context: &Context,
    profiles: &[ProfileDef],
    progress: Option<&Tally>,
) -> Result<Vec<PlanRow>, StepError> {
    // Third-party packages left out of the steps are left out of the sizes
    // too (as they were: a `.pth` the runtime adds there counts).
    let left_out = model.disk_under(&context.left_out(model));
    let distributions = &context.distributions;
    let sizes = Sizes {
        before: model,
        left_out,
        baseline: model.disk_total() - left_out,
        owned_before: (!distributions.dists.is_empty())
            .then(|| disk_by_owner(model, distributions)),
    };
    // A plan-only row (`compress-pycs`) shows what the Fedora document
    // sized on the stdlib and nothing can apply; without a stdlib it would
    // only cost time (deflating every cache of a large venv was a seventh of
    // `plan`'s).
    let plan_only_rows = context
        .version
        .and_then(|version| stdlib_dir(model, version))
        .is_some();
    // `keep-for` only when the user named what to keep (`--keep-for`).
    let keep_for = context.keep_for.is_some().then_some(StepName::KeepFor);
    let asked = context.zip.overrides;
    let mut rows: Vec<RowJob> = StepName::ALL
        .iter()
        .filter(|s| plan_only_rows || !s.plan_only())
        .chain(&keep_for)
        .map(|s| s.info())
        .map(|s| RowJob {
            kind: "step",
            name: s.id.to_owned(),
            about: s.origin.to_owned(),
            steps: vec![s.name],
            zip: asked,
        })
        .collect();
    rows.extend(profiles.iter().map(|p| RowJob {
        kind: "profile",
        name: p.name.clone(),
        about: p.what.clone(),
        steps: p.steps.clone(),
        zip: asked.over(p.zip),
    }));
    if let Some(tally) = progress {
        tally.begin("plan rows done", rows.len() as u64);
    }
    // A profile file's zip options hold for its own rows: rows share the
    // work of their first steps only under the same options.
    let mut groups: Vec<(ZipOverrides, Vec<usize>)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match groups.iter_mut().find(|(zip, _)| *zip == row.zip) {
            Some((_, members)) => members.push(index),
            None => groups.push((row.zip, vec![index])),
        }
    }
    let done: Vec<(usize, PlanRow)> = groups
        .into_par_iter()
        .map(|(zip, members)| {
            let own_context;
            let context = if zip == asked {
                context
            } else {
                own_context = Context {
                    zip: crate::steps::ZipSettings {
                        overrides: zip,
                        hot_path: context.zip.hot_path.clone(),
                    },
                    ..context.clone()
                };
                &own_context
            };
            let tree = StepTree::of(members.iter().map(|&i| (i, rows[i].steps.as_slice())));
            tree.run(model, context, &|index, ran| {
                let row = sizes.row(&rows[index], ran, context)?;
                pyprune_tree::count(progress);
                Ok(row)
            })
        })
        .collect::<Result<Vec<_>, StepError>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut by_index: Vec<Option<PlanRow>> = vec![None; rows.len()];
    for (index, row) in done {
        by_index[index] = Some(row);
    }
    Ok(by_index.into_iter().flatten().collect())
}

/// A row to plan: a step alone, or a profile.
struct RowJob {
    /// `step` or `profile`.
    kind: &'static str,
    name: String,
    about: String,
    steps: Vec<StepName>,
    zip: ZipOverrides,
}

/// What every row's sizes are measured against.
struct Sizes<'a> {
    before: &'a Model,
    /// Disk bytes of what the steps leave out.
    left_out: u64,
    /// Disk bytes of the tree less `left_out`.
    baseline: u64,
    /// Disk bytes of each distribution (and of no distribution's files)
    /// before any step; `None` without distributions.
    owned_before: Option<std::collections::HashMap<Option<usize>, u64>>,
}

impl Sizes<'_> {
    /// The plan row of `job`, whose steps `ran` ran.
    fn row(&self, job: &RowJob, ran: Ran<'_>, context: &Context) -> Result<PlanRow, StepError> {
        let model = self.before;
        let steps = &job.steps;
        let (modules, left_as_is) = match (job.kind, ran.last()) {
            ("step", Some(changes)) => (changes.modules.clone(), changes.left.clone()),
            _ => (None, Vec::new()),
        };
        let after = ran.finish(model, steps, context)?;
        let disk_bytes = after.disk_total().saturating_sub(self.left_out);
        let distributions = &context.distributions;
        let by_distribution = match &self.owned_before {
            Some(before) => costs(before, &disk_by_owner(&after, distributions), distributions),
            None => Vec::new(),
        };
        let saved_bytes = self.baseline as i64 - disk_bytes as i64;
        let mut gives_up = steps
            .iter()
            .map(|s| s.info().gives_up)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .fold(Vec::<String>::new(), |mut all, item| {
                // Two steps can cost the same thing: say it once.
                if !all.contains(&item) {
                    all.push(item);
                }
                all
            });
        if !crate::steps_missing_runtime(model, steps, context).is_empty() {
            gives_up.push(NO_RUNTIME_HERE.to_owned());
        } else if crate::needs_runtime(steps) && crate::has_own_sitecustomize(model, context) {
            gives_up.push(VENVS_WITHOUT_RUNTIME.to_owned());
        }
        Ok(PlanRow {
            kind: job.kind,
            name: job.name.clone(),
            about: job.about.clone(),
            disk_bytes,
            saved_bytes,
            saved_percent: if self.baseline == 0 {
                0.0
            } else {
                saved_bytes as f64 * 100.0 / self.baseline as f64
            },
            gives_up,
            steps: steps.clone(),
            modules,
            by_distribution,
            left_as_is,
            import_ratio: None,
            import_range: None,
            imports: None,
        })
    }
}

/// Why applying stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
}

/// Every action of `steps` in order, all computed from the model before anything
/// changes (so every file a step reads is still as it was), with the model of the result.
pub fn actions_for(
    model: &Model,
    steps: &[StepName],
    context: &Context,
) -> Result<(Vec<Action>, Model), StepError> {
    let mut after = model.clone();
    let mut all = Vec::new();
    let mut removed = Vec::new();
    for &step in steps {
        let (actions, modules) = step_changes(step, &after, context)?;
        for action in &actions {
            after.apply(action);
        }
        all.extend(actions);
        removed.extend(modules.into_iter().map(|module| Removed { module, step }));
    }
    let last = finish(model, &mut after, steps, &all, &removed, context)?;
    all.extend(last);
    Ok((all, after))
}

/// The actions every run of `steps` ends with, applied to `after` (what
/// `before` became by the steps' actions, `done`, which removed the modules
/// `removed`): pyprune's runtime where the steps need it, then every RECORD
/// the steps made stale rewritten to tell the truth.
pub(crate) fn finish<'a>(
    before: &Model,
    after: &mut Model,
    steps: &[StepName],
    done: impl IntoIterator<Item = &'a Action>,
    removed: &[Removed],
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    let mut last = Vec::new();
    let hooks = crate::needs_runtime(steps);
    if hooks || !removed.is_empty() {
        let fallback = steps.contains(&StepName::CacheFallback);
        for action in crate::steps::install_runtime(after, context, fallback, hooks, removed) {
            after.apply(&action);
            last.push(action);
        }
    }
    let mut touched: Vec<&std::path::Path> = Vec::new();
    for action in done {
        touched.extend(action.paths());
    }
    for action in &last {
        touched.extend(action.paths());
    }
    let records = crate::records::rewrite_records(before, after, touched, context)?;
    for action in &records {
        after.apply(action);
    }
    last.extend(records);
    Ok(last)
}

/// Performs `steps` on the tree at `context.root`, whose model is `model`;
/// `done` hears of each action performed. Returns the model of the result.
pub fn apply(
    model: Model,
    steps: &[StepName],
    context: &Context,
    mut done: impl FnMut(&Action),
) -> Result<Model, ApplyError> {
    let (actions, result) = actions_for(&model, steps, context)?;
    for action in &actions {
        pyprune_interrupt::check()?;
        perform(&context.root, action)?;
        done(action);
    }
    Ok(result)
}
