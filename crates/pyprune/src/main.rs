//! The `pyprune` binary: parses the command line, runs one command, and maps
//! the outcome to an exit code (0 ok, 1 finished with problems, 2 usage or
//! fatal, 128 + the signal when interrupted by SIGINT, SIGTERM or SIGHUP).

mod cli;
mod cli_split;
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
    if let Err(error) = pyprune_interrupt::install(move |event| tell_interrupted(&printer, &event))
    {
        printer.warn(&format!("cannot handle interruptions: {error}"));
    }
    let outcome = commands::run(&cli, &printer);
    if let Some(interrupted) = pyprune_interrupt::interrupted() {
        return finish_interrupted(&printer, interrupted, outcome.err());
    }
    match outcome {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            printer.error(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}

/// What the user sees when a signal comes: the first stops the work, a second ends pyprune now.
fn tell_interrupted(printer: &printer::Printer, event: &pyprune_interrupt::Event) {
    use pyprune_interrupt::{Event, signal_name};
    match event {
        Event::Stopping(interrupted) => printer.warn(&format!(
            "{interrupted}: stopping, ending child processes and removing temporary files \
             (interrupt again to exit at once)"
        )),
        Event::ExitingNow {
            signal,
            left_behind,
        } => {
            let left: Vec<String> = left_behind
                .iter()
                .map(|p| format!("`{}`", pyprune_fs::display_path(p)))
                .collect();
            let left = if left.is_empty() {
                String::new()
            } else {
                format!("; not removed: {}", left.join(", "))
            };
            printer.error(&format!(
                "interrupted again by {}: exiting now, child processes ended{left}",
                signal_name(signal)
            ));
        }
    }
}

/// The end of an interrupted run: any temporary still there removed, the
/// interruption said (with what the work said as it stopped, when verbose),
/// and 128 + the signal as the status.
fn finish_interrupted(
    printer: &printer::Printer,
    interrupted: pyprune_interrupt::Interrupted,
    error: Option<anyhow::Error>,
) -> ExitCode {
    for (path, why) in pyprune_interrupt::remove_left_behind() {
        printer.warn(&format!(
            "cannot remove the temporary `{}`: {why}",
            pyprune_fs::display_path(&path)
        ));
    }
    if let Some(error) = error {
        printer.verbose(&format!("as it stopped: {error:#}"));
    }
    printer.error(&interrupted.to_string());
    ExitCode::from(interrupted.exit_status())
}

/// A reader that went away (`pyprune analyze | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
