//! A pool of long-lived interpreters that compile sources, one file at a time
//! per worker (the shape uv uses): a handshake when each starts, a timeout per
//! file after which the worker is killed and replaced, warnings returned with
//! the file they belong to, stderr kept to explain a crash, and every worker
//! ended when the pool is done. When pyprune is interrupted, no file is
//! started after the signal, and whatever a killed worker was writing is removed.

use crate::env::clean_command;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCRIPT: &str = include_str!("../python/compile_worker.py");
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this much of a worker's stderr is kept.
const STDERR_LIMIT: usize = 64 * 1024;

/// How a cache records what it was compiled from (PEP 552).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidationMode {
    Timestamp,
    CheckedHash,
    UncheckedHash,
}

impl InvalidationMode {
    pub fn name(self) -> &'static str {
        match self {
            InvalidationMode::Timestamp => "timestamp",
            InvalidationMode::CheckedHash => "checked-hash",
            InvalidationMode::UncheckedHash => "unchecked-hash",
        }
    }
}

/// One source to compile into one cache file per optimization level.
#[derive(Debug, Clone)]
pub struct CompileRequest {
    pub source: PathBuf,
    /// The path embedded as `co_filename`; `None`: the source path as given.
    pub dfile: Option<PathBuf>,
    pub mode: InvalidationMode,
    /// (optimization level, cache file) pairs.
    pub targets: Vec<(u8, PathBuf)>,
}

/// What compiling one source gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileOutcome {
    /// Written; with the warnings the compiler gave (`SyntaxWarning`, ...).
    Compiled { warnings: Vec<String> },
    /// Not written: the interpreter's own message (a syntax error, say).
    Failed { message: String },
}

/// Why the pool could not work at all.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("cannot start `{}`", .command.to_string_lossy())]
    Spawn {
        command: OsString,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` did not start as a compile worker: {reason}", .command.to_string_lossy())]
    Handshake { command: OsString, reason: String },
    #[error(transparent)]
    Interrupted(#[from] pyprune_interrupt::Interrupted),
}

/// Settings of a pool.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub python: OsString,
    pub workers: usize,
    /// How long one file may take before its worker is killed.
    pub timeout: Duration,
}

/// Compiles `requests` on `options.workers` interpreters, in the order given
/// (put the largest first), calling `done` on this thread as each finishes.
pub fn compile_all(
    options: &PoolOptions,
    requests: &[CompileRequest],
    mut done: impl FnMut(usize, CompileOutcome),
) -> Result<(), PoolError> {
    let next = AtomicUsize::new(0);
    let (results, received) = mpsc::channel::<Result<(usize, CompileOutcome), PoolError>>();
    std::thread::scope(|scope| {
        for _ in 0..options.workers.max(1).min(requests.len().max(1)) {
            let results = results.clone();
            let next = &next;
            scope.spawn(move || {
                let mut worker = None;
                loop {
                    if pyprune_interrupt::interrupted().is_some() {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(index) else {
                        break;
                    };
                    let live = match worker.take() {
                        Some(live) => live,
                        None => match Worker::start(&options.python) {
                            Ok(started) => started,
                            Err(error) => {
                                // Stop the others from taking more work, and report once.
                                next.store(usize::MAX / 2, Ordering::Relaxed);
                                let _ = results.send(Err(error));
                                break;
                            }
                        },
                    };
                    let (outcome, survivor) = live.compile(index, request, options.timeout);
                    worker = survivor;
                    if results.send(Ok((index, outcome))).is_err() {
                        break;
                    }
                }
                if let Some(worker) = worker {
                    worker.finish();
                }
            });
        }
        drop(results);
        let mut failure = None;
        for message in received {
            match message {
                Ok((index, outcome)) => done(index, outcome),
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
        // After a signal, the outcomes of workers it killed say nothing of their files.
        pyprune_interrupt::check()?;
        failure.map_or(Ok(()), Err)
    })
}

/// A worker's answer to one request.
struct Reply {
    id: usize,
    error: Option<String>,
    warnings: Vec<String>,
}

impl Reply {
    /// `ID ok WARNINGS` or `ID error MESSAGE WARNINGS` (hex-encoded text).
    fn parse(line: &str) -> Option<Reply> {
        let mut fields = line.split('\t');
        let id = fields.next()?.parse().ok()?;
        let error = match fields.next()? {
            "ok" => None,
            "error" => Some(text(fields.next()?)?),
            _ => return None,
        };
        let warnings = text(fields.next()?)?;
        let warnings = warnings
            .split('\0')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        Some(Reply {
            id,
            error,
            warnings,
        })
    }
}

fn text(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(String::from_utf8_lossy(&bytes?).into_owned())
}

fn hex(path: &std::path::Path) -> String {
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One running interpreter.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Worker {
    fn start(python: &OsStr) -> Result<Worker, PoolError> {
        pyprune_interrupt::check()?;
        let command = python.to_os_string();
        // Not -I: it would ignore the fixed hash seed (see the script's head).
        let mut child = clean_command(python)
            .args(["-s", "-S", "-u", "-c", SCRIPT])
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| PoolError::Spawn {
                command: command.clone(),
                source,
            })?;
        let handshake = |reason: String| PoolError::Handshake {
            command: command.clone(),
            reason,
        };
        let (stdin, stdout, stderr_pipe) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(handshake("its pipes could not be opened".into())),
            };
        // Readers on their own threads, so that waiting can time out and a chatty
        // stderr can never fill its pipe and stall the worker.
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut pipe = stderr_pipe;
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
                let room = STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        });
        let mut worker = Worker {
            child,
            stdin,
            lines,
            stderr,
        };
        match worker.lines.recv_timeout(HANDSHAKE_TIMEOUT) {
            Ok(line) if line.starts_with("ready\t") => Ok(worker),
            Ok(line) => {
                worker.kill();
                Err(handshake(format!("it said {line:?}")))
            }
            Err(RecvTimeoutError::Timeout) => {
                let stderr = worker.take_stderr();
                worker.kill();
                Err(handshake(format!(
                    "no answer within {} s{}",
                    HANDSHAKE_TIMEOUT.as_secs(),
                    with_stderr(&stderr)
                )))
            }
            Err(RecvTimeoutError::Disconnected) => {
                // It ended before saying it was ready (an import it needs is
                // missing, say): its stderr says why, once the pipe is drained.
                let status = worker.child.wait().ok();
                let stderr = worker.stderr_when_drained();
                Err(handshake(format!(
                    "it exited ({}) before it was ready{}",
                    status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string()),
                    with_stderr(&stderr)
                )))
            }
        }
    }

    /// Compiles one request; the worker comes back unless it had to be killed.
    fn compile(
        mut self,
        id: usize,
        request: &CompileRequest,
        timeout: Duration,
    ) -> (CompileOutcome, Option<Worker>) {
        let targets: Vec<String> = request
            .targets
            .iter()
            .map(|(level, cfile)| format!("{level}:{}", hex(cfile)))
            .collect();
        let dfile = request.dfile.as_deref().map_or_else(|| "-".to_owned(), hex);
        let line = format!(
            "{id}\t{}\t{dfile}\t{}\t{}",
            hex(&request.source),
            request.mode.name(),
            targets.join(",")
        );
        if writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .is_err()
        {
            return self.died(request, "the worker stopped reading requests");
        }
        match self.lines.recv_timeout(timeout) {
            Ok(line) => match Reply::parse(&line) {
                Some(Reply {
                    id: replied,
                    error: None,
                    warnings,
                }) if replied == id => (CompileOutcome::Compiled { warnings }, Some(self)),
                Some(Reply {
                    id: replied,
                    error: Some(message),
                    ..
                }) if replied == id => (CompileOutcome::Failed { message }, Some(self)),
                _ => {
                    let shown: String = line.chars().take(200).collect();
                    self.died(request, &format!("the worker answered {shown:?}"))
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                remove_partial_writes(request);
                let message = format!(
                    "timed out after {} s; the worker was killed",
                    timeout.as_secs()
                );
                (CompileOutcome::Failed { message }, None)
            }
            Err(RecvTimeoutError::Disconnected) => self.died(request, "the worker exited"),
        }
    }

    fn died(mut self, request: &CompileRequest, what: &str) -> (CompileOutcome, Option<Worker>) {
        self.kill();
        remove_partial_writes(request);
        // Give the stderr reader a moment to collect the last words.
        std::thread::sleep(Duration::from_millis(50));
        let stderr = self.take_stderr();
        (
            CompileOutcome::Failed {
                message: format!("{what}{}", with_stderr(&stderr)),
            },
            None,
        )
    }

    /// Its stderr once the reader has seen the pipe close (or after a short wait).
    fn stderr_when_drained(&self) -> String {
        for _ in 0..100 {
            if Arc::strong_count(&self.stderr) == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.take_stderr()
    }

    fn take_stderr(&self) -> String {
        let mut kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&std::mem::take(&mut *kept)).into_owned()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ends a worker that did its work: end of input, then a short wait, then kill.
    fn finish(mut self) {
        drop(self.stdin);
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes what a worker killed in the middle of `request` may have left:
/// `py_compile` writes each cache as `CFILE.N` (N: a decimal number) and
/// renames it, so a kill between the two leaves that name beside the cache.
fn remove_partial_writes(request: &CompileRequest) {
    for (_, cfile) in &request.targets {
        let (Some(dir), Some(name)) = (cfile.parent(), cfile.file_name()) else {
            continue;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let prefix = [name.as_bytes(), b"."].concat();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(rest) = file_name.as_bytes().strip_prefix(prefix.as_slice()) else {
                continue;
            };
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn with_stderr(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!(":\n{stderr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_write_is_removed_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfile = dir.path().join("m.cpython-311.pyc");
        let names = [
            "m.cpython-311.pyc",
            "m.cpython-311.pyc.140234",
            "m.cpython-311.pyc.tmp",
            "m.cpython-311.pyc.",
            "m.cpython-311.opt-1.pyc.140234",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"x").expect("written");
        }
        remove_partial_writes(&CompileRequest {
            source: dir.path().join("m.py"),
            dfile: None,
            mode: InvalidationMode::Timestamp,
            targets: vec![(0, cfile)],
        });
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "m.cpython-311.opt-1.pyc.140234",
                "m.cpython-311.pyc",
                "m.cpython-311.pyc.",
                "m.cpython-311.pyc.tmp"
            ]
        );
    }
}
