//! `plan --measure-import`: each layout built for real in a temporary
//! directory and timed importing an import set with the interpreter, as
//! ratios to the unchanged tree in interleaved pairs (the source documents'
//! "speed impact").
//! One layout exists at a time, its unchanged files hardlinked to the tree,
//! so the space it takes stays near what the steps write.

use crate::pipeline::{self, Prepared};
use crate::printer::Printer;
use crate::settings::{ImportSet, KeepForRequest};
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_python::clean_command;
use pyprune_steps::{CopyBytes, StageTo, StepName, VenvPaths};
use pyprune_tree::{Tally, beside_tree};
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The modules timed: the import set given; else, with `--keep-for`, what
/// its entry points import (and `--keep`), as candidates: [`measure`] times
/// those the unchanged tree imports; else the common entry points less
/// `unittest`, which `minimal` removes (every layout keeps the others).
pub fn timed_set(set: &ImportSet, keep_for: Option<&KeepForRequest>) -> ImportSet {
    let mut timed = set.clone();
    match keep_for {
        _ if set.file.is_some() => {}
        Some(request) => {
            let needs = pyprune_deps::entry_needs(&request.entries).needs;
            let mut modules: Vec<String> = needs
                .into_iter()
                .filter(|need| !need.prefix)
                .map(|need| need.module)
                .chain(request.keep.iter().cloned())
                .collect();
            modules.sort();
            modules.dedup();
            timed = ImportSet {
                file: None,
                modules,
                keep_for: true,
            };
        }
        None => timed.modules.retain(|m| m != "unittest"),
    }
    timed
}

/// Each layout's import time as ratios to the unchanged tree's (or the
/// interpreter's last words where the imports failed), the temporary space
/// it took, and the modules timed.
pub struct Measured {
    pub layouts: Vec<Result<Ratios, String>>,
    pub space: Space,
    pub modules: Vec<String>,
}

/// A layout's import time over the unchanged tree's, one ratio per
/// interleaved pair of runs: their median, least and greatest.
#[derive(Debug, Clone, Copy)]
pub struct Ratios {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// The temporary space `--measure-import` held.
#[derive(Debug, serde::Serialize)]
pub struct Space {
    /// The most held at once: the unchanged tree's copy and one layout, less
    /// what they share with the tree by hardlinks (what `du -s TREE SCRATCH`
    /// says of SCRATCH), measured when each layout is built.
    pub peak_extra_bytes: u64,
    /// Where the layouts were built (removed since).
    pub scratch: String,
    /// Files hardlinked to the tree's rather than copied, over all layouts
    /// (none when the scratch directory is on another filesystem).
    pub linked_files: u64,
}

/// Builds the unchanged tree and then each of `layouts` (a name and its
/// steps), one at a time, in a temporary directory, with hardlinks to the
/// tree for the files a layout does not rewrite; times each against the
/// unchanged tree in alternating rounds (one warm-up, then `runs`), and
/// deletes it before the next. An import set from `--keep-for` is first cut
/// to the modules the unchanged tree imports (an application's optional
/// imports, its own modules and third-party packages are not the stdlib's to time).
pub fn measure(
    prepared: &Prepared,
    python: &OsStr,
    layouts: &[(String, Vec<StepName>)],
    import_set: &ImportSet,
    runs: usize,
    printer: &Printer,
) -> anyhow::Result<Measured> {
    // Removed when dropped, on success or error.
    let scratch = tempfile::Builder::new()
        .prefix("pyprune-measure-")
        .tempdir()
        .context("cannot make a scratch directory")?;
    // Removed by this guard however measuring ends (a failure, a signal), and
    // named if pyprune must exit before it could be (a second signal).
    let scratch = pyprune_interrupt::Temporary::new(&scratch.keep());
    let tally = Arc::new(Tally::new("import timing, the unchanged tree: building"));
    let _progress = printer.progress(Arc::clone(&tally));
    let shared = prepared.inventory.file_inodes();
    let cwd = scratch.path().join("cwd");
    std::fs::create_dir(&cwd)
        .with_context(|| format!("cannot make the scratch directory `{}`", cwd.display()))?;
    let baseline = scratch.path().join("unchanged");
    let mut linked_files = build(prepared, &[], &baseline)?;
    let modules = if import_set.keep_for {
        importable(python, &baseline, &cwd, &import_set.modules)?
    } else {
        import_set.modules.clone()
    };
    anyhow::ensure!(
        !modules.is_empty(),
        "nothing --keep-for's entry points import is in the unchanged tree: nothing to time (--import-set FILE names modules)"
    );
    let code = format!("import {}", modules.join(", "));
    let mut peak_extra_bytes = 0u64;
    let mut results = Vec::with_capacity(layouts.len());
    for (index, (name, steps)) in layouts.iter().enumerate() {
        let at = format!(
            "import timing, layout {}/{} ({name})",
            index + 1,
            layouts.len()
        );
        tally.begin(format!("{at}: building"), 0);
        let dir = scratch.path().join("layout");
        linked_files += build(prepared, steps, &dir)?;
        let beside = beside_tree(scratch.path(), &shared).with_context(|| {
            format!(
                "cannot measure the scratch directory `{}`",
                scratch.path().display()
            )
        })?;
        peak_extra_bytes = peak_extra_bytes.max(beside.extra_bytes);
        tally.begin(format!("{at}: rounds timed"), runs as u64 + 1);
        let timed = time_pair(python, [&baseline, &dir], &cwd, &code, runs, &tally)?;
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the layout `{}`", dir.display()))?;
        let [unchanged, layout] = timed;
        let unchanged = unchanged.map_err(|why| {
            anyhow::anyhow!(
                "the unchanged tree did not import the module set with `{}`: {why}",
                python.to_string_lossy()
            )
        })?;
        results.push(layout.map(|times| ratios(&unchanged, &times)));
    }
    Ok(Measured {
        layouts: results,
        space: Space {
            peak_extra_bytes,
            scratch: display_path(scratch.path()),
            linked_files,
        },
        modules,
    })
}

/// Builds the layout of `steps` in `dir`, unchanged files linked to the
/// tree's; returns how many were linked.
fn build(prepared: &Prepared, steps: &[StepName], dir: &Path) -> anyhow::Result<u64> {
    // Only imports are timed: a venv's scripts need not name the layout.
    let to = StageTo {
        dir,
        installed_at: dir,
        venv_paths: VenvPaths::Original,
        bytes: CopyBytes::LinkUnchanged,
        progress: None,
    };
    Ok(pipeline::stage_copy(prepared, steps, &to)?.linked_files)
}

/// The import times of the two prefixes, timed in turns: one warm-up
/// round, then `runs` rounds, each starting with the other one so that
/// neither always runs first. A prefix that fails once is not run again.
fn time_pair(
    python: &OsStr,
    prefixes: [&Path; 2],
    cwd: &Path,
    code: &str,
    runs: usize,
    tally: &Tally,
) -> anyhow::Result<[Result<Vec<Duration>, String>; 2]> {
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut failed: [Option<String>; 2] = [None, None];
    for round in 0..=runs {
        for i in [round % 2, (round + 1) % 2] {
            if failed[i].is_some() {
                continue;
            }
            pyprune_interrupt::check()?;
            let started = Instant::now();
            let outcome = run(python, prefixes[i], cwd, code)?;
            let elapsed = started.elapsed();
            match outcome {
                Err(why) => failed[i] = Some(why),
                Ok(()) if round > 0 => times[i].push(elapsed),
                Ok(()) => {}
            }
        }
        tally.add(1);
    }
    let [a, b] = times;
    let [fa, fb] = failed;
    let timed = |times: Vec<Duration>| {
        if times.is_empty() {
            Err("no timed run".to_owned())
        } else {
            Ok(times)
        }
    };
    Ok([
        fa.map_or_else(|| timed(a), Err),
        fb.map_or_else(|| timed(b), Err),
    ])
}

/// The ratio of each round's `layout` time to the same round's `unchanged`
/// time (the two ran one after the other, under the same load): median, least, greatest.
fn ratios(unchanged: &[Duration], layout: &[Duration]) -> Ratios {
    let mut pairs: Vec<f64> = unchanged
        .iter()
        .zip(layout)
        .map(|(u, l)| l.as_secs_f64() / u.as_secs_f64().max(f64::MIN_POSITIVE))
        .collect();
    pairs.sort_by(f64::total_cmp);
    Ratios {
        median: pairs.get(pairs.len() / 2).copied().unwrap_or(f64::NAN),
        min: pairs.first().copied().unwrap_or(f64::NAN),
        max: pairs.last().copied().unwrap_or(f64::NAN),
    }
}

/// Those of `candidates` that import on the tree at `prefix`, each tried
/// alone in one process as [`run`] runs the timed imports.
fn importable(
    python: &OsStr,
    prefix: &Path,
    cwd: &Path,
    candidates: &[String],
) -> anyhow::Result<Vec<String>> {
    const TRY_EACH: &str = "import importlib, sys\nfor name in sys.argv[1:]:\n    try:\n        importlib.import_module(name)\n    except BaseException:\n        continue\n    print(name)\n";
    let output = clean_command(python)
        .args([SITE_ON[0], SITE_ON[1], "-c", TRY_EACH])
        .args(candidates)
        .env("PYTHONHOME", prefix)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{}`", python.to_string_lossy()))?;
    // Each import is tried under `except BaseException`: a failure here is the
    // interpreter's own (it does not start on the tree).
    if !output.status.success() {
        anyhow::bail!(
            "`{}` did not start on the unchanged tree: {}",
            python.to_string_lossy(),
            last_words(&output)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// How the interpreter runs the imports: as Python starts by default, with
/// `site` (so pyprune's runtime loads where a layout installs it: its cost is
/// counted, and its saving, zipimport's second load of every zipped module),
/// without the user's site-packages and writing no bytecode.
const SITE_ON: [&str; 2] = ["-s", "-B"];

/// Runs the imports with `PYTHONHOME=prefix` as [`SITE_ON`] says; a failure
/// is the last line the interpreter wrote. (No `-P`:
/// 3.8–3.10 do not know it, and the directory `-c` puts first on `sys.path`
/// is `cwd`, an empty scratch directory.)
fn run(
    python: &OsStr,
    prefix: &Path,
    cwd: &Path,
    code: &str,
) -> anyhow::Result<Result<(), String>> {
    let output = clean_command(python)
        .args([SITE_ON[0], SITE_ON[1], "-c", code])
        .env("PYTHONHOME", prefix)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .with_context(|| format!("cannot run `{}`", python.to_string_lossy()))?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    Ok(Err(last_words(&output)))
}

/// The last line an interpreter that failed wrote on stderr, or else how it ended.
fn last_words(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    last.map_or_else(|| output.status.to_string(), str::to_owned)
}
