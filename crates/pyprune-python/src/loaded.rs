//! The modules an interpreter really loads, as it says itself: to start
//! (`-c pass`, `-m site`, at `-O` and `-OO` too), and running an entry point
//! once (`apply --keep-for --trace`). `-X importtime` names every module an
//! import statement loads (the interpreter's own start-up before it is on
//! is read from `sys.modules`); `PYTHONPROFILEIMPORTTIME` carries it into
//! the children a program starts without `-I` or `-E`.

use crate::env::{Answered, Unanswered, ask, clean_command};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Why the interpreter could not say.
#[derive(Debug, thiserror::Error)]
pub enum LoadedError {
    /// It could not be started, or did not answer in time.
    #[error(transparent)]
    Unanswered(#[from] Unanswered),
    #[error("`{}` {how} failed ({status}){}", .command.to_string_lossy(), crate::discover::stderr_suffix(.stderr))]
    Failed {
        command: OsString,
        how: String,
        status: String,
        stderr: String,
    },
    #[error("cannot use a scratch file")]
    Scratch(#[source] std::io::Error),
}

/// The modules a start of `python` loads, by how it was started: `-c pass`
/// and `-m site`, each plain, with `-O` and with `-OO` (isolated, writing
/// nothing); each name once, under the first way that loaded it.
pub fn loaded_at_start(python: &OsStr) -> Result<Vec<(String, Vec<String>)>, LoadedError> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for level in ["", "-O", "-OO"] {
        let flags: Vec<&str> = ["-I", "-B", level]
            .into_iter()
            .filter(|f| !f.is_empty())
            .collect();
        // `-c`: what is in `sys.modules` once started.
        let script = "import sys; print(' '.join(sys.modules))";
        let mut run = clean_command(python);
        run.args(&flags).args(["-c", script]);
        let how = format!(
            "start-up ({})",
            [&flags[..], &["-c", "pass"]].concat().join(" ")
        );
        let answered = answer(python, &mut run, &how)?;
        let names = answered.stdout.split_whitespace().map(str::to_owned);
        found.push((how, names.filter(|n| seen.insert(n.clone())).collect()));
        // `-m`: runpy and what it imports, as `-X importtime` names them.
        let mut run = clean_command(python);
        run.args(&flags).args(["-X", "importtime", "-m", "site"]);
        let how = format!(
            "start-up ({})",
            [&flags[..], &["-m", "site"]].concat().join(" ")
        );
        let answered = answer(python, &mut run, &how)?;
        let names = importtime_names(&answered.stderr).into_iter();
        found.push((how, names.filter(|n| seen.insert(n.clone())).collect()));
    }
    Ok(found)
}

fn answer(
    python: &OsStr,
    run: &mut std::process::Command,
    how: &str,
) -> Result<Answered, LoadedError> {
    let answered = ask(run, TIMEOUT)?;
    if !answered.status.success() {
        return Err(LoadedError::Failed {
            command: python.to_os_string(),
            how: how.to_owned(),
            status: answered.status.to_string(),
            stderr: answered.stderr,
        });
    }
    Ok(answered)
}

/// The module names of `-X importtime` lines (`import time: self | cumulative | name`).
pub fn importtime_names(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("import time:"))
        .filter_map(|rest| rest.rsplit('|').next())
        .map(str::trim)
        // The header line's last column is `imported package`.
        .filter(|name| !name.is_empty() && !name.contains(' '))
        .map(str::to_owned)
        .collect()
}

/// Runs a script (`FILE ARGS...`) or a module (`-m NAME ARGS...`) as
/// `python` would, and writes the names in `sys.modules` to the file
/// `PYPRUNE_TRACE_OUT` names, every half second and at exit: `-X importtime`
/// does not see `importlib.import_module`, which plugin loaders use.
const TRACER: &str = r#"import _thread, atexit, os, runpy, sys, time
out = os.environ.pop("PYPRUNE_TRACE_OUT")
def dump():
    with open(out + ".tmp", "w") as file:
        file.write("\n".join(sorted(sys.modules)))
    os.replace(out + ".tmp", out)
def keep_dumping():
    while True:
        time.sleep(0.5)
        try:
            dump()
        except Exception:
            pass
atexit.register(dump)
_thread.start_new_thread(keep_dumping, ())
if sys.argv[1] == "-m":
    sys.argv = sys.argv[2:]
    sys.path[0] = os.getcwd()
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
    runpy.run_path(sys.argv[0], run_name="__main__")
"#;

/// What running `args` (a script and its arguments, or `-m MODULE`) once
/// with `python` loads: what is in its `sys.modules` at the end, and what
/// the children it starts import (as `-X importtime` names it; not those
/// run with `-I` or `-E`). The program runs in `cwd` with no user site
/// (`-s`), writing no bytecode, its output discarded; one still running
/// after `timeout` is ended, and what it had loaded by then counts. Whether
/// it exited with success, and the names.
pub fn trace_imports(
    python: &OsStr,
    args: &[OsString],
    cwd: &Path,
    timeout: Duration,
) -> Result<(bool, Vec<String>), LoadedError> {
    let scratch = tempfile::tempdir().map_err(LoadedError::Scratch)?;
    let tracer = scratch.path().join("pyprune_trace.py");
    let dump = scratch.path().join("modules.txt");
    fs_err::write(&tracer, TRACER).map_err(LoadedError::Scratch)?;
    let log = tempfile::tempfile_in(scratch.path()).map_err(LoadedError::Scratch)?;
    let mut run = clean_command(python);
    run.args(["-s", "-B"])
        .arg(&tracer)
        .args(args)
        .env("PYPRUNE_TRACE_OUT", &dump)
        .env("PYTHONPROFILEIMPORTTIME", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log.try_clone().map_err(LoadedError::Scratch)?);
    let mut child = run.spawn().map_err(|source| Unanswered::Spawn {
        command: python.to_os_string(),
        source,
    })?;
    use wait_timeout::ChildExt as _;
    let success = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status.success(),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            false
        }
    };
    let mut log = log;
    let mut text = Vec::new();
    use std::io::{Read as _, Seek as _};
    log.rewind()
        .and_then(|()| log.read_to_end(&mut text))
        .map_err(LoadedError::Scratch)?;
    let mut names = importtime_names(&String::from_utf8_lossy(&text));
    if let Ok(modules) = std::fs::read_to_string(&dump) {
        names.extend(modules.lines().map(str::to_owned));
    }
    names.sort();
    names.dedup();
    Ok((success, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importtime_lines_give_module_names() {
        let stderr = "import time: self [us] | cumulative | imported package\n\
                      import time:       120 |        120 |   _io\n\
                      import time:        80 |        400 | encodings.utf_8\n\
                      Traceback: not a line of it\n";
        assert_eq!(importtime_names(stderr), ["_io", "encodings.utf_8"]);
    }

    #[test]
    fn a_trace_sees_import_module_and_what_children_import() {
        let dir = tempfile::tempdir().expect("tmp");
        let script = dir.path().join("app.py");
        std::fs::write(
            &script,
            "import importlib, subprocess, sys\n\
             importlib.import_module(sys.argv[1])\n\
             subprocess.run([sys.executable, '-c', 'import wave'], check=True)\n",
        )
        .expect("write");
        let args = [script.into_os_string(), "colorsys".into()];
        let (success, names) =
            trace_imports(OsStr::new("python3"), &args, dir.path(), TIMEOUT).expect("traced");
        assert!(success);
        for name in ["colorsys", "subprocess", "wave"] {
            assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
        }
        assert!(!names.iter().any(|n| n == "json"), "{names:?}");
    }

    #[test]
    fn the_installed_python3_loads_runpy_for_m_and_encodings_always() {
        let found = loaded_at_start(OsStr::new("python3")).expect("asked");
        let hows: Vec<&str> = found.iter().map(|(how, _)| how.as_str()).collect();
        assert_eq!(hows.len(), 6, "{hows:?}");
        let all: Vec<&str> = found
            .iter()
            .flat_map(|(_, n)| n)
            .map(String::as_str)
            .collect();
        for name in ["encodings", "site", "runpy"] {
            assert!(all.contains(&name), "{name}: {found:?}");
        }
        assert!(!all.contains(&"json"), "{found:?}");
        // runpy comes with `-m`, not with `-c`.
        assert!(!found[0].1.iter().any(|n| n == "runpy"), "{found:?}");
    }
}
