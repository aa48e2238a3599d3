//! One module per command; `run` dispatches. Commands are leaves: they turn
//! flags into settings, call the libraries or `crate::pipeline`, and write
//! reports; none imports another.

mod analyze;
mod apply;
mod cli_docs;
mod commit;
mod compile;
mod dedupe;
mod deps;
mod inspect;
mod plan;
mod report;
mod split;
mod undo;
mod verify;

use crate::Outcome;
use crate::cli::{Cli, Command, Format};
use crate::printer::Printer;
use anyhow::Context as _;
use serde::Serialize;
use std::io::Write as _;

pub fn run(cli: &Cli, printer: &Printer) -> anyhow::Result<Outcome> {
    if cli.global.format == Format::Dot && !matches!(cli.command, Command::Deps(_)) {
        anyhow::bail!("--format dot is for `pyprune deps` only");
    }
    if cli.global.format == Format::Json
        && matches!(cli.command, Command::Completions(_) | Command::Man(_))
    {
        anyhow::bail!(
            "--format json is not for `pyprune completions` or `pyprune man`, which write a script or a page"
        );
    }
    match &cli.command {
        Command::Deps(args) => deps::run(args, &cli.global, printer),
        Command::Analyze(args) => analyze::run(args, &cli.global, printer),
        Command::Compile(args) => compile::run(args, &cli.global, printer),
        Command::Dedupe(args) => dedupe::run(args, &cli.global, printer),
        Command::Inspect(args) => inspect::run(args, &cli.global, printer),
        Command::Plan(args) => plan::run(args, &cli.global, printer),
        Command::Apply(args) => apply::run(args, &cli.global, printer),
        Command::Undo(args) => undo::run(args, &cli.global, printer),
        Command::Commit(args) => commit::run(args, &cli.global),
        Command::Verify(args) => verify::run(args, &cli.global, printer),
        Command::Split(args) => split::run(args, &cli.global, printer),
        Command::Report(args) => report::run(args, &cli.global, printer),
        Command::Completions(args) => cli_docs::completions(args),
        Command::Man(args) => cli_docs::man(args),
    }
}

/// Writes a report to stdout: `report` as one JSON document, or the text that
/// `render` makes of it.
fn write_report<T: Serialize>(
    format: Format,
    report: &T,
    render: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, report).context("cannot write the report")?;
            writeln!(stdout).context("cannot write the report")?;
        }
        Format::Text | Format::Dot => stdout
            .write_all(render(report).as_bytes())
            .context("cannot write the report")?,
    }
    stdout.flush().context("cannot write the report")
}
