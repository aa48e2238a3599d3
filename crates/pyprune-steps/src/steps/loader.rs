//! Asking the tree's interpreter whether the dynamic loader loads a library:
//! `ctypes.CDLL` in a child the interpreter forks for each library, so every
//! load starts from a fresh interpreter's address space (nothing an earlier
//! library brought in is mapped), while the interpreter starts once per
//! worker instead of twice per library (`plan` on a venv of pandas asked
//! about 78 libraries: 156 interpreter starts were a third of its time).
//! Workers are kept per interpreter for the whole process, one per thread
//! that asks at once; each ends when pyprune's end closes its stdin.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::Mutex;

/// The worker: first says `ready`, or `cannot` with why (an interpreter
/// without ctypes, as a tree pruned for an application may be, cannot ask
/// the loader anything). Then it reads NUL-terminated paths, forks a child
/// that loads each and leaves at once with `os._exit` (an extension module's
/// static destructors may call into an interpreter that is finalizing:
/// matplotlib's ft2font aborts there, which says nothing of whether it
/// loads), and answers a line per path: `exit N` or `signal N`, a tab, and
/// what the loader said.
const WORKER: &str = r#"
import os, sys
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
try:
    import ctypes
except BaseException as e:
    stdout.write(b"cannot\t%s\n" % ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace"))
    stdout.flush()
    sys.exit(0)
stdout.write(b"ready\n")
stdout.flush()
pending = b""
while True:
    while b"\0" not in pending:
        more = stdin.read1(65536)
        if not more:
            sys.exit(0)
        pending += more
    raw, pending = pending.split(b"\0", 1)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            ctypes.CDLL(os.fsdecode(raw))
        except OSError as e:
            os.write(w, str(e).encode("utf-8", "replace"))
            code = 3
        os._exit(code)
    os.close(w)
    said = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        said += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        how = b"signal %d" % os.WTERMSIG(status)
    else:
        how = b"exit %d" % os.WEXITSTATUS(status)
    stdout.write(how + b"\t" + said.replace(b"\n", b" ") + b"\n")
    stdout.flush()
"#;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Why a library was not found loadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotLoaded {
    /// The loader refused it, or the child loading it died: what was said.
    Refused(String),
    /// The interpreter cannot ask the loader at all (it does not start, or
    /// has no ctypes): why. Says nothing of the library.
    CannotAsk(String),
}

impl std::fmt::Display for NotLoaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotLoaded::Refused(said) | NotLoaded::CannotAsk(said) => f.write_str(said),
        }
    }
}

impl Worker {
    fn start(python: &OsStr) -> Result<Worker, NotLoaded> {
        let shown = python.to_string_lossy();
        let cannot = |why: String| NotLoaded::CannotAsk(why);
        let mut child = pyprune_python::clean_command(python)
            .args(["-I", "-S", "-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| cannot(format!("cannot run `{shown}`: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(cannot("the loader's pipes were not made".to_owned()));
        };
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let mut line = String::new();
        let _ = worker.stdout.read_line(&mut line);
        match line.trim_end().split_once('\t') {
            _ if line == "ready\n" => Ok(worker),
            Some(("cannot", why)) => Err(cannot(format!(
                "`{shown}` cannot ask the dynamic loader ({why})"
            ))),
            _ => Err(cannot(format!(
                "`{shown}` stopped before it could ask the dynamic loader"
            ))),
        }
    }

    /// The worker's answer for `path`: `None` when the worker itself is gone.
    fn ask(&mut self, path: &Path) -> Option<(String, String)> {
        let mut request = path.as_os_str().as_bytes().to_vec();
        request.push(0);
        self.stdin.write_all(&request).ok()?;
        self.stdin.flush().ok()?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let (how, said) = line.trim_end_matches('\n').split_once('\t')?;
        Some((how.to_owned(), said.trim().to_owned()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Idle workers, by interpreter.
static IDLE: Mutex<Option<HashMap<OsString, Vec<Worker>>>> = Mutex::new(None);

/// Whether `python` can `ctypes.CDLL` the library at `path`: `dlopen` maps
/// it with every dependency and resolves its symbols (ctypes asks for
/// `RTLD_NOW`); an extension module's `PyInit` is not run. Otherwise what
/// the loader said.
pub(crate) fn loads(python: &OsStr, path: &Path) -> Result<(), NotLoaded> {
    let idle = |workers: &mut Option<HashMap<OsString, Vec<Worker>>>| {
        workers
            .get_or_insert_with(HashMap::new)
            .get_mut(python)
            .and_then(Vec::pop)
    };
    // An idle worker may be gone (killed with the thread that started it:
    // its parent-death signal follows that thread): a fresh one is asked then.
    let taken = IDLE.lock().ok().and_then(|mut w| idle(&mut w));
    let (worker, (how, said)) = match taken.map(|mut w| (w.ask(path), w)) {
        Some((Some(answer), worker)) => (worker, answer),
        _ => {
            let mut fresh = Worker::start(python)?;
            let Some(answer) = fresh.ask(path) else {
                return Err(NotLoaded::Refused(format!(
                    "`{}` stopped while loading it",
                    python.to_string_lossy()
                )));
            };
            (fresh, answer)
        }
    };
    if let Ok(mut workers) = IDLE.lock() {
        workers
            .get_or_insert_with(HashMap::new)
            .entry(python.to_owned())
            .or_default()
            .push(worker);
    }
    match how.as_str() {
        "exit 0" => Ok(()),
        "exit 3" => Err(NotLoaded::Refused(said)),
        _ => Err(NotLoaded::Refused(format!(
            "`{}` failed loading it ({how}){}",
            python.to_string_lossy(),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library that loads, one that is no library, and a missing one; the
    /// worker goes on after each.
    #[test]
    fn the_loader_answers_for_each_library_in_turn() {
        let python = OsStr::new("python3");
        let libc = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
        ]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());
        if let Some(libc) = libc {
            assert_eq!(loads(python, libc), Ok(()));
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let fake = dir.path().join("fake.so");
        std::fs::write(&fake, b"not an ELF file").expect("write");
        let said = loads(python, &fake).expect_err("not a library").to_string();
        assert!(said.contains("fake.so"), "{said}");
        let missing = loads(python, &dir.path().join("missing.so"))
            .expect_err("missing")
            .to_string();
        assert!(missing.contains("missing.so"), "{missing}");
        if let Some(libc) = libc {
            assert_eq!(loads(python, libc), Ok(()));
        }
    }

    /// An interpreter that has no ctypes cannot ask: said as such, naming
    /// ctypes, never as the library's refusal. (The real python3 with ctypes
    /// made unimportable, as in a tree pruned for an application.)
    #[test]
    fn an_interpreter_without_ctypes_cannot_ask() {
        let dir = tempfile::tempdir().expect("tempdir");
        let python = dir.path().join("python");
        std::fs::write(
            &python,
            "#!/bin/sh\n# -I -S -c WORKER\nexec python3 -I -S -c \"import sys; sys.modules['ctypes'] = None; exec(sys.argv[1])\" \"$4\"\n",
        )
        .expect("write");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let libc = dir.path().join("any.so");
        std::fs::write(&libc, b"not looked at").expect("write");
        match loads(python.as_os_str(), &libc) {
            Err(NotLoaded::CannotAsk(why)) => assert!(why.contains("ctypes"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
