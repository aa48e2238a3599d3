//! `pyprune split`: a tree's files given to layers (`pyprune-split`), the
//! layers' lists written, each install's size, and with `--check` the proof
//! that the installs nest and work. Nothing of the tree is changed unless
//! `--links break`.

mod check;
mod links;
mod out;
mod report;
mod text;

use crate::Outcome;
use crate::cli::{GlobalArgs, LinksArg, SplitArgs};
use crate::pipeline;
use crate::printer::Printer;
use crate::settings::{TreeChoice, VerifyRun};
use anyhow::Context as _;
use pyprune_fs::display_path;
use pyprune_split::{Install, Layer, Split, default_chain, layers_with};
use std::path::{Path, PathBuf};

pub fn run(args: &SplitArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let user: Vec<Layer> = args
        .layers
        .iter()
        .map(|text| Layer::parse(text))
        .collect::<Result<_, _>>()?;
    let layers = layers_with(user, !args.no_default_layers)?;
    if layers.is_empty() {
        anyhow::bail!("no layers: give --layer NAME=SELECTOR, or leave out --no-default-layers");
    }
    let tree = TreeChoice::new(args.path.as_deref(), global);
    let mut prepared = prepare(&tree, global, printer)?;
    for dir in [&args.out, &args.materialize, &args.lists]
        .into_iter()
        .flatten()
    {
        refuse_inside(dir, &prepared.inventory.root)?;
    }
    let shown_root = args
        .prefix
        .clone()
        .unwrap_or_else(|| prepared.inventory.root.clone());
    let roots = layer_roots(&layers, &args.layer_prefixes, &shown_root)?;
    let mut split = split_of(
        &prepared,
        layers.clone(),
        args.lists.as_deref(),
        &roots,
        printer,
    )?;
    let mut broken = 0;
    let linked = split.cross_layer_links().len();
    if linked > 0 {
        match args.links {
            LinksArg::Report => printer.warn(&links::warning(&split)),
            LinksArg::Refuse => {
                printer.error(&links::warning(&split));
                return Ok(Outcome::Problems);
            }
            LinksArg::Break => {
                let outcome = links::break_links(&split, printer);
                broken = outcome.broken;
                if outcome.failed > 0 {
                    printer.warn(&format!(
                        "{} paths kept their cross-layer link (named above)",
                        outcome.failed
                    ));
                }
                // Sizes change with the links: measure the tree again.
                prepared = prepare(&tree, global, printer)?;
                split = split_of(&prepared, layers, args.lists.as_deref(), &roots, printer)?;
            }
        }
    }
    let installs = installs_of(&split, &args.installs)?;
    let mut report = report::build(&split, &installs, &shown_root, args.prefix.is_some());
    report.left_out = prepared.left_out.clone();
    report.links_broken = broken;
    for path in &report.unassigned {
        printer.warn(&format!("`{path}`: no layer's selector matches it"));
    }
    if let Some(dir) = &args.out {
        report.written = out::write_lists(&split, dir, &roots, &mut report, printer)?;
    }
    if let Some(dir) = &args.materialize {
        report.materialized = out::materialize_all(&split, &installs, dir)?;
    }
    let mut outcome = Outcome::Success;
    if args.check {
        let run = VerifyRun::from(&args.run);
        let cache_tags = prepared.inventory.summary().cache_tags;
        let checked = check::check(
            &split,
            &installs,
            &tree,
            &cache_tags,
            !args.no_verify,
            run,
            printer,
        )?;
        if !checked.passed {
            outcome = Outcome::Problems;
        }
        report.check = Some(checked);
    }
    if let Some(dir) = &args.out {
        out::write_json(dir, &report)?;
    }
    super::write_report(global.format, &report, text::render)?;
    Ok(outcome)
}

/// The tree scanned, with its own interpreter (else `--python` or
/// `python3`, when its bytecode is theirs) to say which modules it imports
/// before pyprune's runtime loads: their caches stay in the base layer.
fn prepare(
    tree: &TreeChoice,
    global: &GlobalArgs,
    printer: &Printer,
) -> anyhow::Result<pipeline::Prepared> {
    let mut prepared = pipeline::prepare(tree, printer)?;
    pipeline::adopt_default_interpreter(&mut prepared, &[], global.python.as_deref(), printer);
    Ok(prepared)
}

/// The split made now, or read back from `lists` (DIR/LAYER.list).
fn split_of(
    prepared: &pipeline::Prepared,
    layers: Vec<Layer>,
    lists: Option<&Path>,
    roots: &[(PathBuf, bool)],
    printer: &Printer,
) -> anyhow::Result<Split> {
    let inventory = &prepared.inventory;
    let left_out = prepared.context.left_out(&prepared.model);
    match lists {
        // Each step's removals take a while on a whole stdlib (the
        // exclusions read what kept modules import): shown as they run.
        None => Split::assign(inventory, &left_out, layers, |step| {
            let tally = std::sync::Arc::new(pyprune_tree::Tally::new(format!(
                "layers: what {} removes",
                step.info().id
            )));
            let _progress = printer.progress(std::sync::Arc::clone(&tally));
            pyprune_split::removed_by(step, &prepared.model, &prepared.context)
        })
        .with_context(|| format!("cannot split `{}`", display_path(&inventory.root))),
        Some(dir) => {
            let read = layers
                .iter()
                .zip(roots)
                .map(|(layer, (shown_root, _))| {
                    let path = dir.join(format!("{}.list", layer.name));
                    std::fs::read(&path)
                        .map(|bytes| pyprune_split::read_plain(&bytes, shown_root))
                        .with_context(|| {
                            format!(
                                "cannot read `{}` (--lists needs a LAYER.list for every layer)",
                                display_path(&path)
                            )
                        })
                })
                .collect::<anyhow::Result<Vec<Vec<PathBuf>>>>()?;
            Ok(Split::from_lists(inventory, &left_out, layers, &read))
        }
    }
}

/// Where each layer's lists put it: its `--layer-prefix` (and whether it
/// has one), else `shown_root`.
fn layer_roots(
    layers: &[Layer],
    given: &[String],
    shown_root: &Path,
) -> anyhow::Result<Vec<(PathBuf, bool)>> {
    let mut roots: Vec<(PathBuf, bool)> = vec![(shown_root.to_path_buf(), false); layers.len()];
    for text in given {
        let (name, dir) = text
            .split_once('=')
            .with_context(|| format!("--layer-prefix `{text}` is not NAME=DIR"))?;
        let index = layers
            .iter()
            .position(|l| l.name == name)
            .with_context(|| format!("--layer-prefix names no layer `{name}`"))?;
        roots[index] = (PathBuf::from(dir), true);
    }
    Ok(roots)
}

/// `--install` as given, or the default chain.
fn installs_of(split: &Split, given: &[String]) -> anyhow::Result<Vec<Install>> {
    if given.is_empty() {
        return Ok(default_chain(split));
    }
    given
        .iter()
        .map(|text| Install::parse(text, split).map_err(anyhow::Error::from))
        .collect()
}

/// Refuses a directory split would write into inside the tree: split never
/// writes there (but with `--links break`).
fn refuse_inside(dir: &Path, root: &Path) -> anyhow::Result<()> {
    let absolute = std::path::absolute(dir)
        .with_context(|| format!("cannot resolve `{}`", display_path(dir)))?;
    // The nearest existing ancestor, resolved (the rest does not exist yet).
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().unwrap_or_default().to_owned());
        existing = existing.parent().unwrap_or(Path::new("/"));
    }
    let mut resolved = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    resolved.extend(rest.iter().rev());
    if resolved.starts_with(root) {
        anyhow::bail!(
            "`{}` is inside the tree `{}`: split writes nothing into the tree",
            display_path(dir),
            display_path(root)
        );
    }
    Ok(())
}
