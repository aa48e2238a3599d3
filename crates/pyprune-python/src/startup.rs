//! The modules an interpreter imports from source files before pyprune's
//! runtime loads (before site reads its first `.pth`): the runtime cannot
//! stop Python writing their caches, so the steps keep those caches and
//! `no-write-marker` writes the missing ones. They differ by release (3.11
//! freezes most of them), by locale (the codec) and by distribution (what its
//! `site` imports), so the interpreter is asked, never a list.

use crate::env::{Answered, Unanswered, ask, clean_command};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt as _;
use std::path::PathBuf;
use std::time::Duration;

const SCRIPT: &str = include_str!("../python/startup_probe.py");
/// Imports the modules it is given and prints the source files then loaded.
const IMPORT_SCRIPT: &str = include_str!("../python/import_probe.py");
/// The probe's `.pth`, named as the runtime's so that site reads it where it
/// would read the runtime's. It prints the source file of every module
/// imported so far (hex of its bytes, one a line) and ends the run at once,
/// before site goes on (sitecustomize, other `.pth` files).
const PROBE_PTH: (&str, &str) = (
    "00-pyprune-runtime.pth",
    "import sys, os; sys.stdout.write(''.join(os.fsencode(s.origin).hex() + '\\n' \
     for s in [getattr(m, '__spec__', None) for m in list(sys.modules.values())] \
     if s is not None and s.has_location and isinstance(s.origin, str) and s.origin.endswith('.py'))); \
     sys.stdout.flush(); os._exit(0)\n",
);
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why the interpreter could not say.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot use a scratch directory")]
    Scratch(#[source] std::io::Error),
    /// It could not be started, or did not answer in time.
    #[error(transparent)]
    Unanswered(#[from] Unanswered),
    #[error("`{}` did not say which modules it imports {when} ({reason}){}", .command.to_string_lossy(), crate::discover::stderr_suffix(.stderr))]
    BadAnswer {
        command: OsString,
        /// `at start`, `for the import set`.
        when: &'static str,
        reason: String,
        stderr: String,
    },
}

/// The source files (absolute, as `python` names them) of the modules
/// `python` imports at optimization `level` (0, 1 for `-O`, 2 for `-OO`)
/// before site reads its first `.pth`, in the order they were imported.
/// Asked with `-I` (no environment, no user site) and `-B` (nothing written).
pub fn startup_sources(python: &OsStr, level: u8) -> Result<Vec<PathBuf>, StartupError> {
    let scratch = tempfile::tempdir().map_err(StartupError::Scratch)?;
    let script = scratch.path().join("startup_probe.py");
    let site_dir = scratch.path().join("site-packages");
    fs_err::create_dir(&site_dir).map_err(StartupError::Scratch)?;
    fs_err::write(&script, SCRIPT).map_err(StartupError::Scratch)?;
    fs_err::write(site_dir.join(PROBE_PTH.0), PROBE_PTH.1).map_err(StartupError::Scratch)?;
    let optimize = match level {
        0 => None,
        1 => Some("-O"),
        _ => Some("-OO"),
    };
    let mut run = clean_command(python);
    // A script file, not `-c`: 3.13 imports linecache to keep `-c`'s source.
    run.args(["-I", "-S", "-B"])
        .args(optimize)
        .arg(&script)
        .arg(&site_dir)
        .current_dir(scratch.path());
    sources_said(&mut run, python, "at start")
}

/// The source files (absolute, as `python` names them) of the modules
/// loaded once `python` has imported `modules` (those it can), in the order
/// they were imported. Asked with `-I -S -B`, from an empty directory.
pub fn imported_sources(python: &OsStr, modules: &[String]) -> Result<Vec<PathBuf>, StartupError> {
    let scratch = tempfile::tempdir().map_err(StartupError::Scratch)?;
    let script = scratch.path().join("import_probe.py");
    fs_err::write(&script, IMPORT_SCRIPT).map_err(StartupError::Scratch)?;
    let cwd = scratch.path().join("cwd");
    fs_err::create_dir(&cwd).map_err(StartupError::Scratch)?;
    let mut run = clean_command(python);
    run.args(["-I", "-S", "-B"])
        .arg(&script)
        .args(modules)
        .current_dir(&cwd);
    sources_said(&mut run, python, "for the import set")
}

/// Runs a probe that prints source files (hex of their bytes, one a line) and reads them.
fn sources_said(
    run: &mut std::process::Command,
    python: &OsStr,
    when: &'static str,
) -> Result<Vec<PathBuf>, StartupError> {
    let command = python.to_os_string();
    let Answered {
        status,
        stdout,
        stderr,
    } = ask(run, TIMEOUT)?;
    let bad = |reason: String| StartupError::BadAnswer {
        command: command.clone(),
        when,
        reason,
        stderr: stderr.clone(),
    };
    if !status.success() {
        return Err(bad(format!("it exited with {status}")));
    }
    let mut sources: Vec<PathBuf> = Vec::new();
    for line in stdout.lines() {
        let bytes = crate::discover::decode_hex(line.trim())
            .ok_or_else(|| bad(format!("unexpected output: {line:?}")))?;
        let path = PathBuf::from(OsString::from_vec(bytes));
        // posixpath is in sys.modules twice, as itself and as os.path.
        if !sources.contains(&path) {
            sources.push(path);
        }
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_python3_names_its_codec_package_and_not_what_site_never_imports() {
        let python = crate::discover(OsStr::new("python3")).expect("python3");
        for level in [0, 1, 2] {
            let sources = startup_sources(python.program(), level).expect("asked");
            // Never frozen (it reads its aliases from the stdlib), on every release.
            let encodings = python.stdlib.join("encodings").join("__init__.py");
            assert!(sources.contains(&encodings), "{level}: {sources:?}");
            assert!(!sources.iter().any(|s| s.ends_with("json/__init__.py")));
            assert!(sources.iter().all(|s| s.is_file()), "{sources:?}");
        }
    }

    #[test]
    fn a_missing_interpreter_is_a_spawn_error() {
        let err = startup_sources(OsStr::new("/nonexistent/python3"), 0).expect_err("fails");
        assert!(
            matches!(err, StartupError::Unanswered(Unanswered::Spawn { .. })),
            "{err}"
        );
    }

    #[test]
    fn an_interpreter_whose_site_fails_is_a_bad_answer() {
        // A program that fails is no answer (not "no modules").
        let err = startup_sources(OsStr::new("false"), 0).expect_err("fails");
        assert!(matches!(err, StartupError::BadAnswer { .. }), "{err}");
    }

    #[test]
    fn the_import_set_names_what_importing_it_loads_and_passes_over_the_unknown() {
        let python = crate::discover(OsStr::new("python3")).expect("python3");
        let set = ["json".to_owned(), "no_such_module_here".to_owned()];
        let sources = imported_sources(python.program(), &set).expect("asked");
        let decoder = python.stdlib.join("json").join("decoder.py");
        assert!(sources.contains(&decoder), "{sources:?}");
        assert!(!sources.iter().any(|s| s.ends_with("email/message.py")));
        let without = imported_sources(python.program(), &[]).expect("asked");
        assert!(!without.contains(&decoder), "{without:?}");
    }
}
