//! `pyprune verify`: the interpreter proves the tree still behaves as Python.

use crate::Outcome;
use crate::cli::{GlobalArgs, VerifyArgs};
use crate::pipeline;
use crate::printer::Printer;
use crate::settings::VerifySettings;
use pyprune_verify::Against;

pub fn run(args: &VerifyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let settings = VerifySettings::resolve(args, global)?;
    let tree = &settings.tree;
    let target = pipeline::resolve(tree.path.as_deref(), tree.python.as_deref())?;
    let python = pipeline::interpreter_for_tree(target.python, tree.python.as_deref())?;
    // The tree's own caches may say it is another implementation's (a look
    // at the file names; verify walks the tree again for itself).
    let scanned = pyprune_tree::Inventory::scan(&target.root, &Default::default())?;
    let tags = scanned.summary().cache_tags;
    let (cache_tag, _) = pyprune_steps::release_of_caches(&tags);
    pipeline::refuse_other_implementation(&target.root, &cache_tag, Some(&python.implementation))?;
    pipeline::refuse_foreign_bytecode(&target.root, &tags, &python)?;
    let promises = match &settings.steps {
        Some(steps) => pipeline::promises_of(steps),
        None => pipeline::default_promises(&target.root),
    };
    let report = pipeline::verify_tree(
        &target.root,
        settings.against.as_deref().map(Against::Tree),
        promises,
        &python,
        settings.run,
        printer,
    )?;
    super::write_report(global.format, &report, crate::verify_text::render)?;
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}
