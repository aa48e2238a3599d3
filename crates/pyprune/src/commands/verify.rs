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
    // The tree's own caches may say it is another implementation's, and
    // which release its own interpreter must be (a look at the file names;
    // verify walks the tree again for itself).
    let scanned = pyprune_tree::Inventory::scan(&target.root, &Default::default())?;
    let tags = scanned.summary().cache_tags;
    let python =
        pipeline::interpreter_for_tree(target.python, tree.python.as_deref(), &target.root, &tags)?;
    let (cache_tag, _) = pyprune_steps::release_of_caches(&tags);
    pipeline::refuse_other_implementation(&target.root, &cache_tag, Some(&python.implementation))?;
    pipeline::refuse_foreign_bytecode(&scanned, &python)?;
    let promises = match &settings.steps {
        Some(steps) => pipeline::promises_of(steps),
        None => pipeline::default_promises(&target.root),
    };
    // The original runs its own interpreter, if it has one (else this one).
    let original = match settings.against.as_deref() {
        Some(path) => {
            let tags = pyprune_tree::Inventory::scan(path, &Default::default())?
                .summary()
                .cache_tags;
            let own = pipeline::own_interpreter(path, &tags)
                .filter(|_| tree.python.is_none())
                .map(|own| pipeline::interpreter_for_tree(None, Some(own.as_os_str()), path, &tags))
                .transpose()?;
            Some((path, own))
        }
        None => None,
    };
    let against = original
        .as_ref()
        .map(|(path, own)| (Against::Tree(path), own.as_ref().unwrap_or(&python)));
    let mut report = pipeline::verify_tree(
        &target.root,
        against,
        promises,
        &python,
        settings.run,
        printer,
    )?;
    report
        .notes
        .extend(pipeline::mixed_tags_note(&target.root, &tags, &python));
    super::write_report(global.format, &report, crate::verify_text::render)?;
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}
