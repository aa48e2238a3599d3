//! `pyprune completions SHELL` and `pyprune man [COMMAND]`: the shell
//! completion scripts and the man pages, generated from the one CLI
//! definition (`cli.rs`), so they never disagree with `--help`.

use crate::Outcome;
use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};
use anyhow::Context as _;
use clap::CommandFactory as _;
use std::io::Write as _;

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pyprune", &mut script);
    write_stdout(&script)
}

pub fn man(args: &ManArgs) -> anyhow::Result<Outcome> {
    let mut cli = Cli::command();
    // Built, a command's page is titled `pyprune-plan` and shows the global options.
    cli.build();
    let page = match &args.command {
        None => cli,
        Some(name) => cli.find_subcommand(name).cloned().with_context(|| {
            let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
            format!(
                "no command `{name}` (pyprune's commands: {})",
                names.join(", ")
            )
        })?,
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .context("cannot write the man page")?;
    write_stdout(&roff)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<Outcome> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
    Ok(Outcome::Success)
}
