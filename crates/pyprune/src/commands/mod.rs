//! One module per command; `run` dispatches.

mod analyze;
mod analyze_text;
mod inspect;

use crate::Outcome;
use crate::cli::{Cli, Command};
use crate::printer::Printer;

pub fn run(cli: &Cli, printer: &Printer) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Analyze(args) => analyze::run(args, &cli.global, printer),
        Command::Inspect(args) => inspect::run(args, &cli.global, printer),
        Command::Plan(args) => {
            printer.note("`plan` shows the footprint analysis for now; per-step predictions are not implemented yet");
            analyze::run(args, &cli.global, printer)
        }
    }
}
