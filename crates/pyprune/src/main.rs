//! The `pyprune` binary: parses the command line, runs one command, and maps
//! the outcome to an exit code (0 ok, 1 finished with problems, 2 usage or fatal).

mod cli;
mod commands;
mod format;
mod pipeline;
mod printer;
mod settings;
mod verify_text;

use clap::Parser as _;
use std::process::ExitCode;

/// How a command finished when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went well.
    Success,
    /// The command ran to the end but found problems (with `--strict`: warnings).
    Problems,
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let printer = printer::Printer::new(cli.global.color, cli.global.quiet, cli.global.verbose);
    match commands::run(&cli, &printer) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            printer.error(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}

/// A reader that went away (`pyprune analyze | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
