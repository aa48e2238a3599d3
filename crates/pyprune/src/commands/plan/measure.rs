//! `plan --measure-import`: each layout built for real in a temporary
//! directory and timed importing a fixed module set with the interpreter, as
//! a ratio to the unchanged tree (the source documents' "speed impact").

use crate::pipeline::{self, Prepared};
use anyhow::Context as _;
use pyprune_python::clean_command;
use pyprune_steps::StepName;
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

/// The median import time of each layout (`None` where the imports failed),
/// and of the unchanged tree.
pub(super) struct Measured {
    pub baseline: Duration,
    pub layouts: Vec<Option<Duration>>,
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
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (i, steps) in std::iter::once(&Vec::new()).chain(layouts).enumerate() {
        let dir = scratch.path().join(format!("layout-{i}"));
        pipeline::stage_copy(prepared, steps, &dir, &dir)?;
        dirs.push(dir);
    }
    let cwd = scratch.path().join("cwd");
    std::fs::create_dir(&cwd)
        .with_context(|| format!("cannot make the scratch directory `{}`", cwd.display()))?;
    let code = format!("import {}", MODULES.join(", "));
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); dirs.len()];
    let mut failed = vec![false; dirs.len()];
    // One warm-up round, then timed rounds; each round visits every layout once,
    // starting one further along each time, so that no layout always runs first.
    let count = dirs.len();
    for round in 0..=runs {
        for i in (0..count).map(|k| (k + round) % count) {
            let dir = &dirs[i];
            if failed[i] {
                continue;
            }
            let started = Instant::now();
            let ok = run(python, dir, &cwd, &code)?;
            let elapsed = started.elapsed();
            if !ok {
                failed[i] = true;
            } else if round > 0 {
                times[i].push(elapsed);
            }
        }
    }
    let median = |mut values: Vec<Duration>| -> Option<Duration> {
        values.sort();
        values.get(values.len() / 2).copied()
    };
    let mut medians = times
        .into_iter()
        .zip(failed)
        .map(|(t, failed)| if failed { None } else { median(t) });
    let baseline = medians
        .next()
        .flatten()
        .context("the unchanged tree did not import the module set")?;
    Ok(Measured {
        baseline,
        layouts: medians.collect(),
    })
}

/// Runs the imports with `PYTHONHOME=prefix`, isolated and writing no bytecode.
fn run(python: &OsStr, prefix: &Path, cwd: &Path, code: &str) -> anyhow::Result<bool> {
    let status = clean_command(python)
        .args(["-S", "-s", "-P", "-B", "-c", code])
        .env("PYTHONHOME", prefix)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run `{}`", python.to_string_lossy()))?;
    Ok(status.success())
}
