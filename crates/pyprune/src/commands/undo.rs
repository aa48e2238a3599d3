//! `pyprune undo`: the tree as it was before an in-place apply, finished or killed.

use crate::Outcome;
use crate::cli::{GlobalArgs, TreeArgs};
use crate::pipeline;
use crate::printer::Printer;
use pyprune_fs::display_path;

pub fn run(args: &TreeArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let root = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    let undone = pyprune_steps::undo(&root)?;
    printer.verbose(&format!("{undone} journaled actions undone"));
    super::write_report(
        global.format,
        &serde_json::json!({ "root": display_path(&root), "undone": undone }),
        |_| {
            format!(
                "{}: restored ({undone} actions undone)\n",
                display_path(&root)
            )
        },
    )?;
    Ok(Outcome::Success)
}
