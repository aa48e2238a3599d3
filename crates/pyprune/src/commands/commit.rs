//! `pyprune commit`: an in-place apply kept for good; its journal goes.

use crate::Outcome;
use crate::cli::{GlobalArgs, TreeArgs};
use crate::pipeline;
use pyprune_fs::display_path;

pub fn run(args: &TreeArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let root = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?.root;
    pyprune_steps::commit(&root)?;
    super::write_report(
        global.format,
        &serde_json::json!({ "root": display_path(&root), "committed": true }),
        |_| {
            format!(
                "{}: committed (the journal is gone; no undo)\n",
                display_path(&root)
            )
        },
    )?;
    Ok(Outcome::Success)
}
