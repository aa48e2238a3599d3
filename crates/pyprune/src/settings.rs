//! Flags resolved once into plain settings (as uv's `settings.rs` does): the
//! commands turn clap's arguments into these, and nothing below the commands
//! sees a clap type. Resolving also loads profiles and parses step names, so
//! that a mistyped step fails before any tree is read.

use crate::cli::{
    ApplyArgs, GlobalArgs, KeepForArgs, PlanArgs, VerifyArgs, VerifyRunArgs, ZipArgs, ZipBytecode,
    ZipHashes,
};
use anyhow::Context as _;
use pyprune_steps::{
    BytecodePacking, COMMON_ENTRY_POINTS, ProfileDef, StepName, VenvPaths, ZipOverrides,
    choose_steps, load_profiles,
};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Which tree, and which interpreter was named for it.
#[derive(Debug, Clone)]
pub struct TreeChoice {
    /// The tree; `None`: the standard library of the interpreter.
    pub path: Option<PathBuf>,
    /// `--python`.
    pub python: Option<OsString>,
    /// `--site-packages`: the steps act on the site-packages of a tree that
    /// holds a stdlib too (by default they are left out).
    pub site_packages: bool,
}

impl TreeChoice {
    pub fn new(path: Option<&std::path::Path>, global: &GlobalArgs) -> TreeChoice {
        TreeChoice {
            path: path.map(ToOwned::to_owned),
            python: global.python.clone(),
            site_packages: global.site_packages,
        }
    }
}

/// How verification runs the interpreter.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRun {
    /// What one module's import (or one file's check) may take.
    pub timeout: Duration,
    /// Interpreter processes at once.
    pub jobs: usize,
}

impl From<&VerifyRunArgs> for VerifyRun {
    fn from(args: &VerifyRunArgs) -> VerifyRun {
        VerifyRun {
            timeout: Duration::from_secs(args.timeout.max(1)),
            jobs: args
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        }
    }
}

/// Where `apply` puts its result.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A new directory; the original is left as it is. A venv's own paths in it
    /// name it, or the original (`--keep-venv-paths`).
    Out(PathBuf, VenvPaths),
    /// The tree itself, journaled; `commit`: drop the journal when verified;
    /// `yes`: also a tree a live interpreter of this system runs from.
    InPlace { commit: bool, yes: bool },
}

#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub tree: TreeChoice,
    pub steps: Vec<StepName>,
    pub destination: Destination,
    /// With --out: hardlink unchanged files to the tree's (`--link-unchanged`).
    pub link_unchanged: bool,
    /// `None` with `--no-verify`.
    pub verify: Option<VerifyRun>,
    /// How to get a removed module back, said by the error importing it
    /// raises: `--missing-module-message`, else the profile's.
    pub missing_module_message: Option<String>,
    /// `--keep-for` (its step is then first of `steps`).
    pub keep_for: Option<KeepForRequest>,
    /// The zip steps' overrides (the flags', over the profile's) and import set.
    pub zip: ZipChoice,
}

/// What `--keep-for` asks for.
#[derive(Debug, Clone)]
pub struct KeepForRequest {
    pub entries: Vec<pyprune_deps::Entry>,
    /// `--keep`, `--drop`.
    pub keep: Vec<String>,
    pub drop: Vec<String>,
    /// `--trace`: how long a traced run may take.
    pub trace: Option<Duration>,
}

impl KeepForRequest {
    /// `None` without `--keep-for`; an entry that is neither a file, a
    /// directory nor a module name is refused.
    pub fn resolve(args: &KeepForArgs) -> anyhow::Result<Option<KeepForRequest>> {
        if args.keep_for.is_empty() {
            return Ok(None);
        }
        let entries = args
            .keep_for
            .iter()
            .map(|given| {
                pyprune_deps::Entry::parse(given).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--keep-for `{}`: no such file or directory, and not a module name",
                        pyprune_fs::display_path(given)
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Some(KeepForRequest {
            entries,
            keep: args.keep.clone(),
            drop: args.drop.clone(),
            trace: args
                .trace
                .then(|| Duration::from_secs(args.trace_timeout.max(1))),
        }))
    }
}

/// What the zip flags and a profile file asked of the zip steps.
#[derive(Debug, Clone)]
pub struct ZipChoice {
    /// The flags' overrides (a profile file's apply under them).
    pub overrides: ZipOverrides,
    pub import_set: ImportSet,
}

/// The modules whose imports are the hot path (and `--measure-import` times).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSet {
    /// `--import-set`'s file; `None`: the common entry points, or the
    /// application's imports with `keep_for`.
    #[serde(serialize_with = "pyprune_fs::serialize_optional_path")]
    pub file: Option<PathBuf>,
    pub modules: Vec<String>,
    /// Whether the modules are what `--keep-for`'s entry points import
    /// (those the unchanged tree has, once timed).
    pub keep_for: bool,
}

impl ZipChoice {
    pub fn resolve(args: &ZipArgs) -> anyhow::Result<ZipChoice> {
        let overrides = ZipOverrides {
            bytecode: args.zip_bytecode.map(|b| match b {
                ZipBytecode::Hot => BytecodePacking::Hot,
                ZipBytecode::Stored => BytecodePacking::Stored,
                ZipBytecode::Deflate => BytecodePacking::Deflated,
            }),
            checked_hashes: args.zip_hashes.map(|h| h == ZipHashes::Checked),
            zopfli: args.zopfli.then_some(true),
        };
        let import_set = match &args.import_set {
            None => ImportSet {
                file: None,
                modules: COMMON_ENTRY_POINTS
                    .iter()
                    .map(|m| (*m).to_owned())
                    .collect(),
                keep_for: false,
            },
            Some(file) => ImportSet {
                file: Some(file.clone()),
                modules: read_import_set(file)?,
                keep_for: false,
            },
        };
        Ok(ZipChoice {
            overrides,
            import_set,
        })
    }
}

impl ZipChoice {
    /// The overrides and the import set put where the steps read them. With
    /// `keep_for`, the application's needs replace the common entry points
    /// on the zips' hot path (an `--import-set` file still adds its modules).
    pub fn set_on(&self, context: &mut pyprune_steps::Context, keep_for: bool) {
        context.zip.overrides = self.overrides;
        context.zip.hot_path.modules = if keep_for && self.import_set.file.is_none() {
            Arc::from([])
        } else {
            self.import_set.modules.iter().cloned().collect()
        };
    }
}

/// The dotted module names of an import-set file: one a line, blank lines
/// and `#` comments skipped; a name that is not dotted identifiers is refused.
fn read_import_set(file: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read the import set `{}`",
            pyprune_fs::display_path(file)
        )
    })?;
    let mut modules = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let name = line.split('#').next().unwrap_or_default().trim();
        if name.is_empty() {
            continue;
        }
        let dotted = name.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c == '_' || c.is_alphabetic())
                && part.chars().all(|c| c == '_' || c.is_alphanumeric())
        });
        anyhow::ensure!(
            dotted,
            "`{}` line {}: `{name}` is not a module name (dotted identifiers, one a line)",
            pyprune_fs::display_path(file),
            number + 1
        );
        if !modules.iter().any(|m| m == name) {
            modules.push(name.to_owned());
        }
    }
    anyhow::ensure!(
        !modules.is_empty(),
        "`{}` names no module (one dotted name a line)",
        pyprune_fs::display_path(file)
    );
    Ok(modules)
}

impl ApplySettings {
    pub fn resolve(args: &ApplyArgs, global: &GlobalArgs) -> anyhow::Result<ApplySettings> {
        let profiles = load_profiles(args.config.as_deref())?;
        let keep_for = KeepForRequest::resolve(&args.keep_for)?;
        let mut steps = match (&keep_for, args.profile.is_none() && args.steps.is_empty()) {
            (Some(_), true) => Vec::new(),
            _ => choose_steps(args.profile.as_deref(), &profiles, &args.steps)?,
        };
        if keep_for.is_some() {
            steps.insert(0, StepName::KeepFor);
        }
        let chosen = args
            .profile
            .as_deref()
            .and_then(|name| profiles.iter().find(|p| p.name == name));
        let profile_message = chosen.and_then(|p| p.missing_module_message.clone());
        let mut zip = ZipChoice::resolve(&args.zip)?;
        if let Some(profile) = chosen {
            zip.overrides = zip.overrides.over(profile.zip);
        }
        let destination = match (&args.out, args.in_place) {
            (_, true) => Destination::InPlace {
                commit: args.commit,
                yes: args.yes,
            },
            (Some(out), false) => Destination::Out(
                out.clone(),
                if args.keep_venv_paths {
                    VenvPaths::Original
                } else {
                    VenvPaths::NewPlace
                },
            ),
            (None, false) => anyhow::bail!("--out or --in-place is required"),
        };
        Ok(ApplySettings {
            tree: TreeChoice::new(args.path.as_deref(), global),
            steps,
            destination,
            link_unchanged: args.link_unchanged,
            verify: (!args.no_verify).then(|| VerifyRun::from(&args.verify)),
            missing_module_message: args.missing_module_message.clone().or(profile_message),
            keep_for,
            zip,
        })
    }
}

#[derive(Debug, Clone)]
pub struct PlanSettings {
    pub tree: TreeChoice,
    /// The built-in profiles and those of `--config`.
    pub profiles: Vec<ProfileDef>,
    /// With `--measure-import`: timed rounds per layout.
    pub measure_runs: Option<usize>,
    /// With `--measure-import=profiles`: the profiles' layouts only.
    pub measure_profiles_only: bool,
    /// `--keep-for`: a `keep-for` row.
    pub keep_for: Option<KeepForRequest>,
    /// The zip flags and the import set.
    pub zip: ZipChoice,
}

impl PlanSettings {
    pub fn resolve(args: &PlanArgs, global: &GlobalArgs) -> anyhow::Result<PlanSettings> {
        Ok(PlanSettings {
            tree: TreeChoice::new(args.path.as_deref(), global),
            profiles: load_profiles(args.config.as_deref())?,
            measure_runs: args.measure_import.map(|_| args.runs.max(1)),
            measure_profiles_only: args.measure_import == Some(crate::cli::MeasureWhich::Profiles),
            keep_for: KeepForRequest::resolve(&args.keep_for)?,
            zip: ZipChoice::resolve(&args.zip)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct VerifySettings {
    pub tree: TreeChoice,
    /// The tree before minimization.
    pub against: Option<PathBuf>,
    /// The steps whose promises the tree is held to (`--profile`, `--steps`);
    /// `None`: tracebacks, and no writes where the root has a marker.
    pub steps: Option<Vec<StepName>>,
    pub run: VerifyRun,
}

impl VerifySettings {
    pub fn resolve(args: &VerifyArgs, global: &GlobalArgs) -> anyhow::Result<VerifySettings> {
        let steps = if args.profile.is_some() || !args.steps.is_empty() {
            let profiles = load_profiles(args.config.as_deref())?;
            Some(choose_steps(
                args.profile.as_deref(),
                &profiles,
                &args.steps,
            )?)
        } else {
            None
        };
        Ok(VerifySettings {
            tree: TreeChoice::new(args.path.as_deref(), global),
            against: args.against.clone(),
            steps,
            run: VerifyRun::from(&args.run),
        })
    }
}
