//! `split --check`: every file in exactly one layer (and every listed path in
//! the tree), each install a file-wise subset of the next, and each install
//! laid out alone and verified against a record of the whole tree.

use super::report::LinkedPath;
use crate::pipeline;
use crate::printer::Printer;
use crate::settings::{TreeChoice, VerifyRun};
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_split::{Install, NotASubset, Split, materialize, subset_failures};
use pyprune_verify::{Against, Promises, Report};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub passed: bool,
    /// Files of the tree in no layer.
    pub in_no_layer: Vec<String>,
    /// Files in more than one layer.
    pub in_several: Vec<LinkedPath>,
    /// Paths a list names that the tree does not have.
    pub listed_absent: Vec<ListedAbsent>,
    pub not_subsets: Vec<NotASubset>,
    /// Each install's verification, in order.
    pub verified: Vec<Verified>,
}

#[derive(Debug, Serialize)]
pub struct ListedAbsent {
    pub layer: String,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct Verified {
    pub install: String,
    pub passed: bool,
    pub report: Report,
}

/// Runs the checks; `verify` false leaves the installs unverified.
pub fn check(
    split: &Split,
    installs: &[Install],
    tree: &TreeChoice,
    cache_tags: &BTreeMap<String, u64>,
    verify: bool,
    run: VerifyRun,
    printer: &Printer,
) -> anyhow::Result<CheckReport> {
    let name = |l: usize| split.layers[l].name.clone();
    let mut report = CheckReport {
        passed: true,
        in_no_layer: split.unassigned().map(|f| display_path(&f.path)).collect(),
        in_several: split
            .in_several()
            .map(|f| LinkedPath {
                path: display_path(&f.path),
                layers: f.layers.iter().map(|&l| name(l)).collect(),
            })
            .collect(),
        listed_absent: split
            .listed_absent
            .iter()
            .map(|(layer, path)| ListedAbsent {
                layer: name(*layer),
                path: display_path(path),
            })
            .collect(),
        not_subsets: subset_failures(split, installs),
        verified: Vec::new(),
    };
    if verify {
        report.verified = verify_installs(split, installs, tree, cache_tags, run, printer)?;
    }
    report.passed = report.in_no_layer.is_empty()
        && report.in_several.is_empty()
        && report.listed_absent.is_empty()
        && report.not_subsets.is_empty()
        && report.verified.iter().all(|v| v.passed);
    Ok(report)
}

/// Records the whole tree once, then lays out each install in a scratch
/// directory (removed after it, and if the run is interrupted) and verifies it.
fn verify_installs(
    split: &Split,
    installs: &[Install],
    tree: &TreeChoice,
    cache_tags: &BTreeMap<String, u64>,
    run: VerifyRun,
    printer: &Printer,
) -> anyhow::Result<Vec<Verified>> {
    let target = pipeline::resolve(tree.path.as_deref(), tree.python.as_deref())?;
    let python = pipeline::interpreter_for_tree(
        target.python,
        tree.python.as_deref(),
        &split.root,
        cache_tags,
    )?;
    let baseline = pipeline::record_before(&split.root, &python, run, printer)?;
    let scratch = tempfile::Builder::new()
        .prefix("pyprune-split-")
        .tempdir()
        .context("cannot make a scratch directory")?;
    let scratch = pyprune_interrupt::Temporary::new(&scratch.keep());
    let sources = split.source_layers();
    let mut verified = Vec::new();
    for (i, install) in installs.iter().enumerate() {
        printer.note(&format!("verifying install `{}`", install.name));
        let home = scratch.path().join(i.to_string());
        let dest = placed_like(&home, &split.root);
        let parent = dest.parent().unwrap_or(&home);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot make `{}`", display_path(parent)))?;
        materialize(split, install, true, &dest)?;
        let python_here = pipeline::interpreter_in_copy(&python, &split.root, &dest);
        let promises = Promises {
            tracebacks: sources.iter().all(|l| install.layers.contains(l)),
            no_writes: pipeline::default_promises(&dest).no_writes,
            removals: (0..split.layers.len()).any(|l| {
                !install.layers.contains(&l)
                    && !split.is_bytecode_layer(l)
                    && split.files_of(l).next().is_some()
            }),
        };
        let mut report = pipeline::verify_tree(
            &dest,
            Some((Against::Recorded(&baseline), &python)),
            promises,
            &python_here,
            run,
            printer,
        )?;
        // Shown as the install, not the scratch directory it was laid out in.
        report.tree = install.name.clone();
        verified.push(Verified {
            install: install.name.clone(),
            passed: report.passed(),
            report,
        });
        std::fs::remove_dir_all(&home)
            .with_context(|| format!("cannot remove `{}`", display_path(&home)))?;
    }
    scratch
        .remove()
        .context("cannot remove the scratch directory")?;
    Ok(verified)
}

/// Where an install of the tree at `root` is laid out under `home`: a
/// stdlib directory `lib/python3.X` keeps those two names (its interpreter
/// finds it as a prefix's), anything else keeps its own name.
fn placed_like(home: &Path, root: &Path) -> PathBuf {
    let name = root
        .file_name()
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| "tree".into());
    let lib = root
        .parent()
        .and_then(Path::file_name)
        .filter(|lib| pyprune_tree::LIB_DIRS.iter().any(|l| lib == l));
    match lib {
        Some(lib) if name.to_string_lossy().starts_with("python") => home.join(lib).join(name),
        _ => home.join(name),
    }
}
