//! Running an interpreter without the caller's Python settings leaking in.

use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt as _;

/// A command for `python` with every inherited `PYTHON*` variable removed
/// (this environment may export `PYTHONDONTWRITEBYTECODE`, `PYTHONHOME`, ...),
/// so that what the interpreter reports or does does not depend on the shell.
/// It dies with pyprune (even by SIGKILL): it must be waited for by the
/// thread that starts it.
pub fn clean_command(python: &OsStr) -> Command {
    let mut command = Command::new(python);
    pyprune_interrupt::die_with_parent(&mut command);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYTHON") {
            command.env_remove(key);
        }
    }
    command
}

/// What a short question to an interpreter printed.
pub(crate) struct Answered {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Why a short question to an interpreter got no answer; each question's
/// own error carries it.
#[derive(Debug, thiserror::Error)]
pub enum Unanswered {
    /// It could not be started at all.
    #[error("cannot run `{}`", .command.to_string_lossy())]
    Spawn {
        /// The program.
        command: OsString,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It did not answer in time (and was killed).
    #[error("`{}` did not answer within {} seconds", .command.to_string_lossy(), .seconds)]
    Timeout {
        /// The program.
        command: OsString,
        /// How long it was given.
        seconds: u64,
    },
}

/// Runs `command` (stdin closed) to its end or for `timeout` at most, and
/// returns what it printed. For questions whose answer is a few lines, far
/// below a pipe's buffer, so waiting before reading cannot block.
pub(crate) fn ask(command: &mut Command, timeout: Duration) -> Result<Answered, Unanswered> {
    let program = command.get_program().to_os_string();
    let spawn = |source| Unanswered::Spawn {
        command: program.clone(),
        source,
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn)?;
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Unanswered::Timeout {
                command: program,
                seconds: timeout.as_secs(),
            });
        }
        Err(source) => return Err(spawn(source)),
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    Ok(Answered {
        status,
        stdout,
        stderr,
    })
}
