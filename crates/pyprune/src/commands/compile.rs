//! `pyprune compile`: bytecode as compileall writes it, faster.

use crate::Outcome;
use crate::cli::{CompileArgs, GlobalArgs, InvalidationModeArg};
use crate::pipeline;
use crate::printer::Printer;
use anyhow::Context as _;
use pyprune_compile::{CompileOptions, CompileReport, compile_tree};
use pyprune_fs::display_path;
use pyprune_python::InvalidationMode;
use pyprune_tree::Tally;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(args: &CompileArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    // Compiling needs the interpreter whose bytecode the tree gets: always ask
    // one. Unnamed, the tree's own (a prefix's, a venv's): `python3` may be
    // another release, whose caches the tree's interpreter would never read.
    let own = match (global.python.as_deref(), args.path.as_deref()) {
        (None, Some(path)) => pipeline::own_interpreter(path, &Default::default()),
        _ => None,
    };
    let python = own.as_deref().map_or_else(
        || pyprune_python::named_or_default(global.python.as_deref()),
        Path::as_os_str,
    );
    let target = pipeline::resolve(args.path.as_deref(), Some(python))?;
    let interpreter = target.python.context("no interpreter to compile with")?;
    refuse_another_release(&target.root, &interpreter)?;
    if args.pycache_prefix.is_none() {
        pipeline::refuse_read_only(&target.root, "compile")?;
    }
    printer.verbose(&format!(
        "compiling with {} {} (cache tag {})",
        interpreter.implementation, interpreter.version, interpreter.cache_tag
    ));

    let mut levels = if args.levels.is_empty() {
        vec![0]
    } else {
        args.levels.clone()
    };
    levels.sort_unstable();
    levels.dedup();
    let mode = match args.invalidation_mode {
        Some(InvalidationModeArg::Timestamp) => InvalidationMode::Timestamp,
        Some(InvalidationModeArg::CheckedHash) => InvalidationMode::CheckedHash,
        Some(InvalidationModeArg::UncheckedHash) => InvalidationMode::UncheckedHash,
        // As py_compile decides when not told.
        None if std::env::var_os("SOURCE_DATE_EPOCH").is_some_and(|v| !v.is_empty()) => {
            InvalidationMode::CheckedHash
        }
        None => InvalidationMode::Timestamp,
    };
    let exclude = args
        .exclude
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .context("--exclude is not a valid regular expression")?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let options = CompileOptions {
        root: target.root.clone(),
        python: interpreter.program().to_os_string(),
        cache_tag: interpreter.cache_tag.clone(),
        magic: interpreter.magic,
        levels,
        mode,
        strip_prefix: args.strip_prefix.clone(),
        prepend_prefix: args.prepend_prefix.clone(),
        exclude,
        jobs: jobs.max(1),
        force: args.force,
        dedupe: !args.no_dedupe,
        skip_identical_levels: !args.compile_every_level,
        pycache_prefix: args.pycache_prefix.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
        site_packages: global.site_packages,
        normalize: args.normalize,
    };

    let started = Instant::now();
    let tally = Arc::new(Tally::new("entries scanned"));
    let report = {
        let _progress = printer.progress(Arc::clone(&tally));
        compile_tree(&options, Some(&tally))?
    };
    for warning in &report.warnings {
        printer.warn(&warning.to_string());
    }
    for failure in &report.failures {
        printer.error(&format!("{}: {}", failure.path, failure.message));
    }
    let elapsed = started.elapsed();
    super::write_report(global.format, &report, |report| {
        summary(report, &display_path(&target.root), elapsed)
    })?;
    Ok(if report.failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}

fn summary(report: &CompileReport, root: &str, elapsed: Duration) -> String {
    let mut text = format!(
        "{root}: {} sources, {} compiled ({} compilations), {} up to date, {} failed; \
         {} levels skipped as identical, {} links made ({} saved), {} copies; {:.1} s\n",
        report.sources,
        report.compiled,
        report.compilations,
        report.up_to_date,
        report.failures.len(),
        report.levels_skipped,
        report.links,
        crate::format::size(report.bytes_saved),
        report.copies,
        elapsed.as_secs_f64(),
    );
    if report.normalized > 0 {
        text.push_str(&format!(
            "{} caches normalized (reference marks rewritten)\n",
            report.normalized
        ));
    }
    if let Some(lines) = pipeline::left_out_lines(&report.left_out, "not compiled") {
        text.push_str(&lines);
        text.push('\n');
    }
    text
}

/// Refuses to compile a standard library of one release with another's
/// interpreter: the tree `root` is a stdlib directory `python3.X`, or a
/// prefix whose `lib/python3.X` directories are all of other releases.
fn refuse_another_release(
    root: &Path,
    interpreter: &pyprune_python::Interpreter,
) -> anyhow::Result<()> {
    let is_stdlib = |dir: &Path| pyprune_tree::is_stdlib_dir(dir, Path::is_file);
    let named_release = |dir: &Path| {
        dir.file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.starts_with("python3.") && is_stdlib(dir))
            .map(str::to_owned)
    };
    let mut releases: Vec<String> = named_release(root).into_iter().collect();
    if releases.is_empty() && !is_stdlib(root) {
        for lib in pyprune_tree::LIB_DIRS {
            let Ok(entries) = std::fs::read_dir(root.join(lib)) else {
                continue;
            };
            releases.extend(entries.filter_map(|e| named_release(&e.ok()?.path())));
        }
    }
    let ours = pyprune_pyc::PythonVersion::parse(&interpreter.version)
        .map(pyprune_pyc::PythonVersion::stdlib_dir_name);
    if releases.is_empty() || ours.is_some_and(|ours| releases.contains(&ours)) {
        return Ok(());
    }
    releases.sort();
    anyhow::bail!(
        "`{}` is the standard library of {}, and `{}` is {} {}: its caches would be {}'s, which that release never reads; name the tree's interpreter with --python",
        display_path(root),
        releases.join(", "),
        interpreter.command.to_string_lossy(),
        interpreter.implementation,
        interpreter.version,
        interpreter.cache_tag
    )
}
