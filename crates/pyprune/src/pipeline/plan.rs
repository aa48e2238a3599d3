//! The plan of a tree, as `plan` prints it and `report --html` draws it:
//! the tree prepared, every step and profile predicted, and, with
//! `--measure-import`, each layout built and timed.

use super::LeftOut;
use super::measure::{self, Space};
use super::prepare::{Prepared, adopt_default_interpreter, prepare, unknown_release};
use crate::printer::Printer;
use crate::settings::{ImportSet, PlanSettings};
use pyprune_fs::display_path;
use pyprune_steps::{Footprint, PlanRow, StepName};
use pyprune_tree::Tally;
use serde::Serialize;
use std::sync::Arc;

/// A tree and its plan.
pub struct Planned {
    pub prepared: Prepared,
    /// Every step alone, then every profile.
    pub rows: Vec<PlanRow>,
    /// With `--measure-import`: the temporary space its layouts took.
    pub measure_space: Option<Space>,
    /// With `--measure-import`: the modules timed.
    pub import_set: Option<ImportSet>,
    /// The tree's footprint by installed distribution (worked out while the rows are).
    pub footprint: Footprint,
}

impl std::fmt::Debug for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned")
            .field("root", &self.prepared.inventory.root)
            .field("rows", &self.rows.len())
            .finish_non_exhaustive()
    }
}

/// The JSON document of `plan --format json` (docs/json-schema.md), which
/// `report --format json` carries too.
#[derive(Debug, Serialize)]
pub struct PlanDocument<'a> {
    pub root: String,
    /// `du -s` of the tree less `left_out`.
    pub disk_bytes: u64,
    pub cache_tag: &'a str,
    /// The third-party packages no step touches, not counted in the sizes.
    pub left_out: &'a LeftOut,
    pub rows: &'a [PlanRow],
    /// The tree's footprint by installed distribution (as `analyze` gives
    /// it); each row's `by_distribution` says what it saves each.
    pub footprint: &'a Footprint,
    /// Where pyprune's runtime goes for the steps that need it; absent when
    /// the tree has no place for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimePlace>,
    /// With `--measure-import`: the temporary space its layouts took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_space: Option<&'a Space>,
    /// With `--measure-import`: the modules timed, and whence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_set: Option<&'a ImportSet>,
}

impl Planned {
    /// `du -s` of the tree less what the steps leave out: what the sizes are of.
    pub fn disk_bytes(&self) -> u64 {
        self.prepared.model.disk_total() - self.prepared.left_out.disk_bytes
    }

    pub fn document(&self) -> PlanDocument<'_> {
        let prepared = &self.prepared;
        PlanDocument {
            root: display_path(&prepared.inventory.root),
            disk_bytes: self.disk_bytes(),
            cache_tag: &prepared.context.cache_tag,
            left_out: &prepared.left_out,
            rows: &self.rows,
            footprint: &self.footprint,
            runtime: runtime_place(prepared),
            measure_space: self.measure_space.as_ref(),
            import_set: self.import_set.as_ref(),
        }
    }
}

/// Prepares the tree of `settings` and plans every step and profile on it.
pub fn plan_tree(settings: &PlanSettings, printer: &Printer) -> anyhow::Result<Planned> {
    let mut prepared = prepare(&settings.tree, printer)?;
    settings
        .zip
        .set_on(&mut prepared.context, settings.keep_for.is_some());
    // Every step is planned: the interpreter `apply` would use answers what the tree cannot.
    adopt_default_interpreter(
        &mut prepared,
        &StepName::ALL,
        settings.tree.python.as_deref(),
        printer,
    );
    if let Some(why) = unknown_release(&prepared.inventory.root, prepared.context.version) {
        printer.warn(&format!(
            "{why}: planned anyway (the module lists may not be that release's), and apply refuses it"
        ));
    }
    if let Some(request) = &settings.keep_for {
        super::resolve_keep_for(request, &mut prepared, printer)?;
    }
    if prepared.context.version.is_none() {
        printer.note("no Python release known for this tree (no caches, no --python): the zip steps plan nothing, and the module lists of exclude-dev-modules and exclude-dead-batteries are every release's");
    }
    let (mut rows, footprint) = {
        let tally = Arc::new(Tally::new("plan rows done"));
        let _progress = printer.progress(Arc::clone(&tally));
        let (model, context) = (&prepared.model, &prepared.context);
        // The footprint needs none of the rows: worked out beside them.
        let (rows, footprint) = rayon::join(
            || pyprune_steps::plan(model, context, &settings.profiles, Some(&tally)),
            || Footprint::of(&prepared.inventory, &context.distributions),
        );
        (rows?, footprint)
    };
    let mut measure_space = None;
    let mut measured_set = None;
    if let Some(runs) = settings.measure_runs {
        let python = prepared
            .context
            .interpreter
            .clone()
            .unwrap_or_else(|| pyprune_python::DEFAULT_PYTHON.into());
        let measured_row = |row: &PlanRow| !settings.measure_profiles_only || row.kind == "profile";
        let layouts: Vec<_> = rows
            .iter()
            .filter(|r| measured_row(r))
            .map(|r| (r.name.clone(), r.steps.clone()))
            .collect();
        printer.note(&format!(
            "building {} layouts one at a time and timing imports against the unchanged tree; this takes a while",
            layouts.len()
        ));
        let mut import_set =
            measure::timed_set(&settings.zip.import_set, settings.keep_for.as_ref());
        let measured = measure::measure(&prepared, &python, &layouts, &import_set, runs, printer)?;
        import_set.modules = measured.modules;
        for (row, ratios) in rows
            .iter_mut()
            .filter(|r| measured_row(r))
            .zip(measured.layouts)
        {
            if let Err(why) = &ratios {
                printer.warn(&format!(
                    "the {} layout did not import the module set: {why}",
                    row.name
                ));
            }
            row.imports = Some(ratios.is_ok());
            row.import_ratio = ratios.as_ref().ok().map(|r| r.median);
            row.import_range = ratios.as_ref().ok().map(|r| [r.min, r.max]);
        }
        measure_space = Some(measured.space);
        measured_set = Some(import_set);
    }
    Ok(Planned {
        prepared,
        rows,
        measure_space,
        import_set: measured_set,
        footprint,
    })
}

/// Where pyprune's runtime goes in the tree, and what loads it.
#[derive(Debug, Serialize)]
pub struct RuntimePlace {
    /// The module, in the stdlib directory.
    module: String,
    /// The `.pth` that loads it at start; absent when only a `sitecustomize` would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pth: Option<String>,
    /// Whether the tree's interpreter said where its `site` reads `.pth`
    /// files (else the stdlib's own site-packages is taken).
    pth_place_asked: bool,
    /// Whether pyprune's `sitecustomize` goes beside the module (it loads the
    /// runtime in venvs; not when the stdlib has its own, as Debian's does).
    sitecustomize: bool,
}

/// Where pyprune's runtime would go in the prepared tree; `None` where it has no place.
pub fn runtime_place(prepared: &Prepared) -> Option<RuntimePlace> {
    let (model, context) = (&prepared.model, &prepared.context);
    Some(RuntimePlace {
        module: display_path(&pyprune_steps::runtime_module(model, context)?),
        pth: pyprune_steps::runtime_pth(model, context).map(|p| display_path(&p)),
        pth_place_asked: context.site_dirs.is_some(),
        sitecustomize: !pyprune_steps::has_own_sitecustomize(model, context),
    })
}

impl RuntimePlace {
    /// The line that says where the runtime goes.
    pub fn line(&self) -> String {
        let place = self;
        let venvs = if place.sitecustomize {
            " and, in venvs, by a sitecustomize beside it"
        } else {
            ""
        };
        let loaded = match (&place.pth, place.pth_place_asked, place.sitecustomize) {
        (Some(pth), true, _) => {
            format!("loaded by `{pth}` (where this Python's site reads it){venvs}")
        }
        (Some(pth), false, _) => format!("loaded by `{pth}`{venvs}"),
        (None, _, true) => "loaded by a sitecustomize beside it only".to_owned(),
        (None, _, false) => {
            "but nothing would load it (no site-packages in the tree, a sitecustomize of the stdlib's own)"
                .to_owned()
        }
    };
        format!(
            "pyprune's runtime, for the steps that need it, goes in `{}`, {loaded}",
            place.module
        )
    }
}
