//! `plan --measure-import`: each layout built for real in a temporary
//! directory and timed importing a fixed module set with the interpreter, as
//! a ratio to the unchanged tree (the source documents' "speed impact").

use crate::pipeline::{self, Prepared};
use anyhow::Context as _;
use pyprune_python::clean_command;
use pyprune_steps::{StepName, VenvPaths};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Modules every layout keeps (none of them excluded by any step), imported in one process.
const MODULES: &[&str] = &[
    "json",
    "email.mime.text",
    "email.utils",
    "http.client",
    "urllib.request",
    "asyncio",
    "decimal",
    "xml.etree.ElementTree",
    "argparse",
    "logging",
    "datetime",
    "pathlib",
    "subprocess",
    "csv",
    "typing",
    "dataclasses",
    "tempfile",
    "zipfile",
    "tarfile",
    "shutil",
    "textwrap",
    "random",
    "sqlite3",
    "ssl",
];

/// The median import time of each layout (or the interpreter's last words
/// where the imports failed), and of the unchanged tree.
pub(super) struct Measured {
    pub baseline: Duration,
    pub layouts: Vec<Result<Duration, String>>,
}

/// Builds `layouts` (lists of steps) and the unchanged tree under a temporary
/// directory and times them round-robin, `runs` rounds.
pub(super) fn measure(
    prepared: &Prepared,
    python: &OsStr,
    layouts: &[Vec<StepName>],
    runs: usize,
) -> anyhow::Result<Measured> {
    let scratch = tempfile::Builder::new()
        .prefix("pyprune-measure-")
        .tempdir()
        .context("cannot make a scratch directory")?;
    // Removed by this guard however measuring ends (a failure, a signal), and
    // named if pyprune must exit before it could be (a second signal).
    let scratch = pyprune_interrupt::Temporary::new(&scratch.keep());
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (i, steps) in std::iter::once(&Vec::new()).chain(layouts).enumerate() {
        let dir = scratch.path().join(format!("layout-{i}"));
        // Only imports are timed: a venv's scripts need not name the layout.
        pipeline::stage_copy(prepared, steps, &dir, &dir, VenvPaths::Original)?;
        dirs.push(dir);
    }
    let cwd = scratch.path().join("cwd");
    std::fs::create_dir(&cwd)
        .with_context(|| format!("cannot make the scratch directory `{}`", cwd.display()))?;
    let code = format!("import {}", MODULES.join(", "));
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); dirs.len()];
    let mut failed: Vec<Option<String>> = vec![None; dirs.len()];
    // One warm-up round, then timed rounds; each round visits every layout once,
    // starting one further along each time, so that no layout always runs first.
    let count = dirs.len();
    for round in 0..=runs {
        for i in (0..count).map(|k| (k + round) % count) {
            let dir = &dirs[i];
            if failed[i].is_some() {
                continue;
            }
            pyprune_interrupt::check()?;
            let started = Instant::now();
            let outcome = run(python, dir, &cwd, &code)?;
            let elapsed = started.elapsed();
            match outcome {
                Err(why) => failed[i] = Some(why),
                Ok(()) if round > 0 => times[i].push(elapsed),
                Ok(()) => {}
            }
        }
    }
    let median = |mut values: Vec<Duration>| -> Result<Duration, String> {
        values.sort();
        values
            .get(values.len() / 2)
            .copied()
            .ok_or_else(|| "no timed run".to_owned())
    };
    let mut medians = times
        .into_iter()
        .zip(failed)
        .map(|(t, failed)| failed.map_or_else(|| median(t), Err));
    let baseline = medians
        .next()
        .expect("the unchanged tree is measured first")
        .map_err(|why| {
            anyhow::anyhow!(
                "the unchanged tree did not import the module set with `{}`: {why}",
                python.to_string_lossy()
            )
        })?;
    Ok(Measured {
        baseline,
        layouts: medians.collect(),
    })
}

/// Runs the imports with `PYTHONHOME=prefix`, isolated and writing no
/// bytecode; a failure is the last line the interpreter wrote. (No `-P`:
/// 3.8–3.10 do not know it, and the directory `-c` puts first on `sys.path`
/// is `cwd`, an empty scratch directory.)
fn run(
    python: &OsStr,
    prefix: &Path,
    cwd: &Path,
    code: &str,
) -> anyhow::Result<Result<(), String>> {
    let output = clean_command(python)
        .args(["-S", "-s", "-B", "-c", code])
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    Ok(Err(
        last.map_or_else(|| output.status.to_string(), str::to_owned)
    ))
}
