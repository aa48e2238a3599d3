//! One `compile` run: find the sources as `compileall` would, skip the fresh
//! ones, plan which levels to compile, compile on the pool, then make the
//! levels that came out identical hardlinks (or copies) of each other.

use crate::cache_path::{cache_file, embedded_path};
use pyprune_fs::{display_path, replace_with_bytes, replace_with_link};
use pyprune_pyc::SourceStat;
use pyprune_python::{
    CompileOutcome, CompileRequest, InvalidationMode, PoolError, PoolOptions, compile_all,
};
use pyprune_source::OptimizationProfile;
use pyprune_tree::{Inventory, ScanOptions, Tally, TreeError, Warning, count};
use rayon::prelude::*;
use serde::Serialize;
use std::ffi::OsString;
use std::io::Read as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// What to compile and how.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// The tree, spelled as the user gave it: sources are named (and embedded) from it, as compileall does.
    pub root: PathBuf,
    pub python: OsString,
    /// The interpreter's cache tag and magic number.
    pub cache_tag: String,
    pub magic: [u8; 4],
    /// Optimization levels, sorted, without duplicates.
    pub levels: Vec<u8>,
    pub mode: InvalidationMode,
    pub strip_prefix: Option<PathBuf>,
    pub prepend_prefix: Option<PathBuf>,
    pub exclude: Option<regex::Regex>,
    pub jobs: usize,
    /// Compile even sources whose caches look fresh.
    pub force: bool,
    /// Hardlink identical levels (else they are separate copies).
    pub dedupe: bool,
    /// Compile only the levels the syntax tree says can differ.
    pub skip_identical_levels: bool,
    pub pycache_prefix: Option<PathBuf>,
    pub timeout: Duration,
    /// Compile the site-packages and dist-packages of a tree that holds a
    /// standard library too (else they are left out, and said so).
    pub site_packages: bool,
    /// Rewrite each cache compiled so its bytes do not depend on the worker
    /// process ([`pyprune_pyc::normalize_pyc`]), before identical levels are linked.
    pub normalize: bool,
}

/// A source that could not be compiled.
#[derive(Debug, Clone, Serialize)]
pub struct FileFailure {
    pub path: String,
    /// The interpreter's own message.
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompileReport {
    /// `.py` files found.
    pub sources: u64,
    /// Sources skipped because every cache looked fresh (compileall's check).
    pub up_to_date: u64,
    /// Sources compiled.
    pub compiled: u64,
    /// Compilations the interpreter ran (one per source and level compiled).
    pub compilations: u64,
    /// Levels not compiled because the syntax tree proved them identical to the one below.
    pub levels_skipped: u64,
    /// Cache files made hardlinks of an identical level.
    pub links: u64,
    /// Cache files written as copies of an identical level (with --no-dedupe, or where links failed).
    pub copies: u64,
    /// Disk bytes the links save.
    pub bytes_saved: u64,
    /// Caches whose reference marks `--normalize` rewrote (the others were normalized already).
    pub normalized: u64,
    pub failures: Vec<FileFailure>,
    /// Problems met on the way (walk warnings, compiler warnings, links that failed).
    pub warnings: Vec<Warning>,
    /// The third-party directories not compiled.
    pub left_out: pyprune_tree::LeftOut,
}

/// Why a run could not be done at all.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("cannot find the current directory")]
    Cwd(#[source] std::io::Error),
}

/// One source and its plan.
struct Job {
    source: PathBuf,
    size: u64,
    /// (level, cache file, compiled here) in level order.
    levels: Vec<(u8, PathBuf, bool)>,
}

/// Compiles the tree at `options.root`; `progress` counts the entries
/// scanned, then the sources done.
pub fn compile_tree(
    options: &CompileOptions,
    progress: Option<&Tally>,
) -> Result<CompileReport, CompileError> {
    let cwd = std::env::current_dir().map_err(CompileError::Cwd)?;
    let scan = ScanOptions {
        progress,
        ..ScanOptions::default()
    };
    let mut inventory = Inventory::scan(&options.root, &scan)?;
    let left_out = inventory.leave_out_third_party(options.site_packages);
    let mut report = CompileReport {
        warnings: inventory.warnings.clone(),
        left_out,
        ..CompileReport::default()
    };

    let sources: Vec<(PathBuf, u64)> = inventory
        .files
        .iter()
        // compileall compiles every `*.py`, those inside `*.dist-info` included; a link
        // that leads out of the tree is not followed (a warning from the walk says so).
        .filter(|f| {
            f.path.extension().is_some_and(|e| e == "py") && f.target_inside && !in_pycache(&f.path)
        })
        .map(|f| options.root.join(&f.path))
        .filter(|source| {
            options
                .exclude
                .as_ref()
                .is_none_or(|rx| !rx.is_match(&source.to_string_lossy()))
        })
        .filter_map(|source| {
            // compileall's `os.path.isfile`: a regular file, through an in-tree link.
            let meta = std::fs::metadata(&source)
                .ok()
                .filter(std::fs::Metadata::is_file)?;
            Some((source, meta.len()))
        })
        .collect();
    report.sources = sources.len() as u64;
    if let Some(tally) = progress {
        tally.begin("sources done", report.sources);
    }

    let planned: Vec<Planned> = sources
        .into_par_iter()
        .map(|(source, size)| plan(options, &cwd, source, size))
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    for planned in planned {
        match planned {
            Planned::Compile(job) => jobs.push(job),
            Planned::UpToDate => {
                report.up_to_date += 1;
                count(progress);
            }
            Planned::Refused(path, message) => {
                report.warnings.push(Warning { path, message });
                count(progress);
            }
        }
    }
    // Largest first: the long compilations start early and no worker idles at the end.
    jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.source.cmp(&b.source)));

    let requests: Vec<CompileRequest> = jobs
        .iter()
        .map(|job| CompileRequest {
            source: job.source.clone(),
            dfile: embedded_path(
                &job.source,
                options.strip_prefix.as_deref(),
                options.prepend_prefix.as_deref(),
            ),
            mode: options.mode,
            targets: job
                .levels
                .iter()
                .filter(|l| l.2)
                .map(|(level, cfile, _)| (*level, cfile.clone()))
                .collect(),
        })
        .collect();
    let pool = PoolOptions {
        python: options.python.clone(),
        workers: options.jobs,
        timeout: options.timeout,
    };
    compile_all(&pool, &requests, |index, outcome| {
        let job = &jobs[index];
        match outcome {
            CompileOutcome::Compiled { warnings } => {
                report.compiled += 1;
                report.compilations += requests[index].targets.len() as u64;
                for message in warnings {
                    report.warnings.push(Warning {
                        path: job.source.clone(),
                        message,
                    });
                }
                if options.normalize {
                    normalize_levels(job, &mut report);
                }
                finish_levels(options, job, &mut report);
            }
            CompileOutcome::Failed { message } => {
                report.failures.push(FileFailure {
                    path: display_path(&job.source),
                    message,
                });
            }
        }
        count(progress);
    })?;
    report.failures.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

fn in_pycache(rel: &Path) -> bool {
    rel.components()
        .any(|c| c == Component::Normal("__pycache__".as_ref()))
}

/// What to do with one source.
enum Planned {
    Compile(Job),
    /// compileall would find every cache fresh.
    UpToDate,
    /// Not compiled, for the reason given.
    Refused(PathBuf, String),
}

/// The plan for one source.
fn plan(options: &CompileOptions, cwd: &Path, source: PathBuf, size: u64) -> Planned {
    let cfiles: Vec<PathBuf> = options
        .levels
        .iter()
        .map(|&level| {
            cache_file(
                &source,
                &options.cache_tag,
                level,
                options.pycache_prefix.as_deref(),
                cwd,
            )
        })
        .collect();
    // A `__pycache__` that is a symlink would carry the writes wherever it leads.
    if options.pycache_prefix.is_none()
        && let Some(dir) = cfiles.first().and_then(|c| c.parent())
        && dir
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    {
        let message =
            "its __pycache__ is a symlink, which pyprune does not write through; not compiled"
                .into();
        return Planned::Refused(source, message);
    }
    if !options.force && looks_fresh(&source, &cfiles, options.magic) {
        return Planned::UpToDate;
    }
    let profile = if options.skip_identical_levels && options.levels.len() > 1 {
        pyprune_fs::read_regular(&source)
            .ok()
            .and_then(|bytes| OptimizationProfile::of(&bytes))
    } else {
        None
    };
    let mut levels = Vec::with_capacity(cfiles.len());
    for (i, (&level, cfile)) in options.levels.iter().zip(cfiles).enumerate() {
        let previous = i.checked_sub(1).map(|p| options.levels[p]);
        let same = match (previous, profile) {
            (Some(previous), Some(profile)) => identical_levels(profile, previous, level),
            _ => false,
        };
        levels.push((level, cfile, !same));
    }
    Planned::Compile(Job {
        source,
        size,
        levels,
    })
}

/// Whether `low` and `high` (> low) compile to the same code.
fn identical_levels(profile: OptimizationProfile, low: u8, high: u8) -> bool {
    (low..high).all(|below| profile.same_as_previous_level(below + 1))
}

/// compileall's check: every cache's first 12 bytes are the magic number,
/// flags 0 and the source's mtime (its size is not compared).
fn looks_fresh(source: &Path, cfiles: &[PathBuf], magic: [u8; 4]) -> bool {
    let Ok(meta) = std::fs::metadata(source) else {
        return false;
    };
    let mtime = SourceStat::new(meta.mtime(), meta.mtime_nsec(), meta.len()).mtime;
    let mut expect = magic.to_vec();
    expect.extend_from_slice(&[0, 0, 0, 0]);
    expect.extend_from_slice(&((mtime & 0xffff_ffff) as u32).to_le_bytes());
    cfiles.iter().all(|cfile| {
        // A FIFO or a symlink in a cache's place is not a fresh cache (and must not block).
        let mut head = [0u8; 12];
        pyprune_fs::open_regular(cfile).is_ok_and(|(mut f, _)| f.read_exact(&mut head).is_ok())
            && head[..] == expect[..]
    })
}

/// Rewrites the levels just compiled with their reference marks normalized.
fn normalize_levels(job: &Job, report: &mut CompileReport) {
    for (_, cfile, _) in job.levels.iter().filter(|level| level.2) {
        let warn = |report: &mut CompileReport, message: String| {
            report.warnings.push(Warning {
                path: cfile.clone(),
                message,
            });
        };
        // The worker wrote it with its source's mode, as py_compile does.
        let read = pyprune_fs::read_regular(cfile).and_then(|bytes| {
            let meta = std::fs::symlink_metadata(cfile).map_err(pyprune_fs::OpenError::Io)?;
            Ok((bytes, meta.permissions().mode() & 0o7777))
        });
        let (bytes, mode) = match read {
            Ok(read) => read,
            Err(e) => {
                warn(report, format!("cannot read it to normalize: {e}"));
                continue;
            }
        };
        match pyprune_pyc::normalize_pyc(&bytes) {
            Ok(None) => {}
            Ok(Some(normalized)) => match replace_with_bytes(cfile, &normalized, mode) {
                Ok(()) => report.normalized += 1,
                Err(e) => warn(report, format!("cannot write it normalized: {e}")),
            },
            Err(e) => warn(report, format!("not normalized: {e}")),
        }
    }
}

/// After the compiled levels are written: each level identical to the one
/// below becomes a hardlink of it (a copy with `--no-dedupe`), as
/// `compileall --hardlink-dupes` links a level to the previous one.
fn finish_levels(options: &CompileOptions, job: &Job, report: &mut CompileReport) {
    for pair in job.levels.windows(2) {
        let ((_, previous, _), (_, cfile, compiled)) = (&pair[0], &pair[1]);
        // Read as regular files only: a FIFO left in a cache's place must not block.
        let Ok(previous_bytes) = pyprune_fs::read_regular(previous) else {
            continue;
        };
        if *compiled
            && !(options.dedupe
                && pyprune_fs::read_regular(cfile).is_ok_and(|bytes| bytes == previous_bytes))
        {
            continue;
        }
        if *compiled {
            // Compiled, and the same bytes: link it as compileall would.
        } else {
            report.levels_skipped += 1;
        }
        let saved = std::fs::metadata(previous)
            .map(|m| m.blocks() * 512)
            .unwrap_or_default();
        let linked = options.dedupe && replace_with_link(previous, cfile).is_ok();
        if linked {
            report.links += 1;
            report.bytes_saved += saved;
            continue;
        }
        let mode = std::fs::metadata(previous)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        match replace_with_bytes(cfile, &previous_bytes, mode) {
            Ok(()) => report.copies += 1,
            Err(e) => report.warnings.push(Warning {
                path: cfile.clone(),
                message: format!("cannot write this level: {e}"),
            }),
        }
        if options.dedupe {
            report.warnings.push(Warning {
                path: cfile.clone(),
                message: "cannot hardlink it to the identical level below; copied instead".into(),
            });
        }
    }
}
