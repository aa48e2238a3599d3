//! The modules an interpreter holds without a file in its tree: those built
//! into the binary (`sys.builtin_module_names`) and the frozen ones
//! (`_imp._frozen_module_names()`, 3.11 and later), and the modules it has
//! loaded once started (`-c pass`, site included): asked once, in one run.

use crate::env::{Answered, Unanswered, ask, clean_command};
use std::ffi::{OsStr, OsString};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Prints four lines: built-in, frozen, loaded and stdlib module names
/// (`sys.stdlib_module_names`, 3.10+; empty before), each space-separated.
const SCRIPT: &str = "import sys, _imp\n\
frozen = getattr(_imp, '_frozen_module_names', lambda: ())()\n\
print(' '.join(sorted(sys.builtin_module_names)))\n\
print(' '.join(sorted(n for n in frozen if not n.startswith('<'))))\n\
print(' '.join(sorted(sys.modules)))\n\
print(' '.join(sorted(getattr(sys, 'stdlib_module_names', ()))))\n";

/// What [`interpreter_modules`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterpreterModules {
    /// Compiled into the interpreter (`sys`, `_io`, `posix`).
    pub builtin: Vec<String>,
    /// Frozen into it (`_frozen_importlib`, on 3.11+ `os`, `site`, ...).
    pub frozen: Vec<String>,
    /// Loaded by the time `-c pass` runs, site included.
    pub at_startup: Vec<String>,
    /// The top-level modules of its standard library (`sys.stdlib_module_names`,
    /// 3.10+; empty on older releases).
    pub stdlib: Vec<String>,
}

/// Why the interpreter could not say.
#[derive(Debug, thiserror::Error)]
pub enum InterpreterModulesError {
    /// It could not be started, or did not answer in time.
    #[error(transparent)]
    Unanswered(#[from] Unanswered),
    #[error("`{}` did not list its built-in modules (it exited with {status}){}", .command.to_string_lossy(), crate::discover::stderr_suffix(.stderr))]
    BadAnswer {
        command: OsString,
        status: String,
        stderr: String,
    },
}

/// Asks `python` (isolated: `-I`, nothing written: `-B`) for its built-in,
/// frozen, start-up and standard library modules.
pub fn interpreter_modules(python: &OsStr) -> Result<InterpreterModules, InterpreterModulesError> {
    let command = python.to_os_string();
    let mut run = clean_command(python);
    run.args(["-I", "-B", "-c", SCRIPT]);
    let Answered {
        status,
        stdout,
        stderr,
    } = ask(&mut run, TIMEOUT)?;
    let lines: Vec<&str> = stdout.lines().collect();
    let [builtin, frozen, loaded, stdlib] = lines[..] else {
        return Err(InterpreterModulesError::BadAnswer {
            command,
            status: status.to_string(),
            stderr,
        });
    };
    let words = |line: &str| line.split_whitespace().map(str::to_owned).collect();
    Ok(InterpreterModules {
        builtin: words(builtin),
        frozen: words(frozen),
        at_startup: words(loaded),
        stdlib: words(stdlib),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_python3_lists_sys_as_built_in_and_loads_site() {
        let modules = interpreter_modules(OsStr::new("python3")).expect("asked");
        assert!(modules.builtin.iter().any(|m| m == "sys"), "{modules:?}");
        assert!(
            modules.at_startup.iter().any(|m| m == "site"),
            "{modules:?}"
        );
        assert!(
            !modules.at_startup.iter().any(|m| m == "json"),
            "{modules:?}"
        );
        // python3 is 3.11 here: `os` is frozen.
        assert!(modules.frozen.iter().any(|m| m == "os"), "{modules:?}");
    }

    #[test]
    fn a_missing_interpreter_is_a_spawn_error() {
        let err = interpreter_modules(OsStr::new("/nonexistent/python3")).expect_err("fails");
        assert!(
            matches!(
                err,
                InterpreterModulesError::Unanswered(Unanswered::Spawn { .. })
            ),
            "{err}"
        );
    }
}
