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

/// The worker: reads NUL-terminated paths, forks a child that loads each
/// and leaves at once with `os._exit` (an extension module's static
/// destructors may call into an interpreter that is finalizing: matplotlib's
/// ft2font aborts there, which says nothing of whether it loads), and
/// answers a line per path: `exit N` or `signal N`, a tab, and what the
/// loader said.
const WORKER: &str = r#"
import ctypes, os, sys
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
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

impl Worker {
    fn start(python: &OsStr) -> Result<Worker, String> {
        let mut child = pyprune_python::clean_command(python)
            .args(["-I", "-S", "-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", python.to_string_lossy()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the loader's pipes were not made".to_owned());
        };
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
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
pub(crate) fn loads(python: &OsStr, path: &Path) -> Result<(), String> {
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
                return Err(format!(
                    "`{}` stopped while loading it",
                    python.to_string_lossy()
                ));
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
        "exit 3" => Err(said),
        _ => Err(format!(
            "`{}` failed loading it ({how}){}",
            python.to_string_lossy(),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        )),
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
        let said = loads(python, &fake).expect_err("not a library");
        assert!(said.contains("fake.so"), "{said}");
        let missing = loads(python, &dir.path().join("missing.so")).expect_err("missing");
        assert!(missing.contains("missing.so"), "{missing}");
        if let Some(libc) = libc {
            assert_eq!(loads(python, libc), Ok(()));
        }
    }
}
