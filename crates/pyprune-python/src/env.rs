//! Running an interpreter without the caller's Python settings leaking in.

use std::ffi::OsStr;
use std::process::Command;

/// A command for `python` with every inherited `PYTHON*` variable removed
/// (this environment may export `PYTHONDONTWRITEBYTECODE`, `PYTHONHOME`, ...),
/// so that what the interpreter reports or does does not depend on the shell.
pub fn clean_command(python: &OsStr) -> Command {
    let mut command = Command::new(python);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYTHON") {
            command.env_remove(key);
        }
    }
    command
}
