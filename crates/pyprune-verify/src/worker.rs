//! Running `verify_worker.py` in the interpreter under test over a list of
//! items, in parallel batches, each item under a timeout; a batch that crashes or hangs
//! costs only the item it was on (the worker names each before starting it),
//! and the rest run again in a fresh process.

use crate::launch::{RunMode, TreePython};
use std::collections::BTreeMap;
use std::io::{BufRead as _, Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use wait_timeout::ChildExt as _;

const WORKER: &str = include_str!("../python/verify_worker.py");
const PREFIX: &[u8] = b"\0pyprune ";

/// What the worker said of one item: `OK`, `FAIL`, `NOLINE` or `SKIP`, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub word: String,
    pub reason: String,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.word == "OK"
    }
}

/// The interpreter, where it runs, how long it may go without answering, how many at once.
pub struct Worker<'a> {
    pub python: &'a TreePython,
    /// Counts the items answered, for a progress display.
    pub tally: Option<&'a pyprune_tree::Tally>,
    pub cwd: &'a Path,
    pub timeout: Duration,
    pub jobs: usize,
}

impl Worker<'_> {
    /// The verdict on every item (raw bytes: module names or paths), by item.
    pub fn run(&self, mode: &str, run: RunMode, items: &[Vec<u8>]) -> BTreeMap<Vec<u8>, Verdict> {
        let jobs = self.jobs.max(1).min(items.len().max(1));
        let chunk = items.len().div_ceil(jobs).max(1);
        let mut all = BTreeMap::new();
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| scope.spawn(move || self.run_chunk(mode, run, part)))
                .collect();
            for handle in handles {
                if let Ok(verdicts) = handle.join() {
                    all.extend(verdicts);
                }
            }
        });
        all
    }

    /// Imports `names` at optimization level `optimize`.
    pub fn imports(
        &self,
        optimize: u8,
        write_bytecode: bool,
        names: &[Vec<u8>],
    ) -> BTreeMap<Vec<u8>, Verdict> {
        let mode = RunMode {
            optimize,
            write_bytecode,
        };
        self.run("import", mode, names)
    }

    fn run_chunk(&self, mode: &str, run: RunMode, items: &[Vec<u8>]) -> BTreeMap<Vec<u8>, Verdict> {
        let mut verdicts = BTreeMap::new();
        let mut remaining: Vec<Vec<u8>> = items.to_vec();
        while !remaining.is_empty() {
            let batch = self.batch(mode, run, &remaining);
            let answered = batch.lines.iter().filter(|l| is_verdict(l)).count();
            let mut started: Option<Vec<u8>> = None;
            for (word, item, reason) in batch.lines {
                if word == "START" {
                    started = Some(item);
                } else {
                    started = None;
                    verdicts.insert(item, Verdict { word, reason });
                }
            }
            // The process ended early: the item it was on is the culprit (or, when it
            // never started one, every item is: the interpreter itself failed).
            let failure = |what: &str| Verdict {
                word: "FAIL".into(),
                reason: format!("{what}; {}", batch.ending),
            };
            match started {
                Some(item) => {
                    verdicts.insert(item, failure("the interpreter died or hung here"));
                }
                None if batch.ending_is_clean => {}
                None => {
                    for item in &remaining {
                        verdicts
                            .entry(item.clone())
                            .or_insert_with(|| failure("the interpreter failed"));
                    }
                }
            }
            let before = remaining.len();
            remaining.retain(|item| !verdicts.contains_key(item));
            if remaining.len() == before {
                // No progress (the worker read nothing): give up on these rather than loop.
                for item in remaining.drain(..) {
                    verdicts.insert(item, failure("the worker answered nothing"));
                }
            }
            if let Some(tally) = self.tally {
                // The answers were counted as they came; the failures given here were not.
                tally.add((before - remaining.len()).saturating_sub(answered) as u64);
            }
        }
        verdicts
    }

    fn batch(&self, mode: &str, run: RunMode, items: &[Vec<u8>]) -> Batch {
        let mut command = self.python.command(run, self.cwd);
        command
            .args(["-c", WORKER, mode])
            // Its own process group: a timeout kills whatever a module started too.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                return Batch {
                    lines: Vec::new(),
                    ending: format!(
                        "cannot run the interpreter `{}`: {error}",
                        pyprune_fs::display_path(&self.python.executable)
                    ),
                    ending_is_clean: false,
                };
            }
        };
        let mut input = Vec::new();
        for item in items {
            input.extend(hex(item).bytes());
            input.push(b'\n');
        }
        // Pipes are drained by threads, so that a chatty module cannot block the worker.
        let stdin = child.stdin.take();
        let feeder = std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&input);
            }
        });
        // stderr is drained by a thread, so that a chatty module cannot block the worker;
        // stdout is read line by line, each answer of the worker restarting the clock.
        let (stderr_sender, stderr_receiver) = std::sync::mpsc::channel::<Vec<u8>>();
        if let Some(mut pipe) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                let _ = stderr_sender.send(bytes);
            });
        }
        let (sender, receiver) = std::sync::mpsc::channel::<Vec<u8>>();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).split(b'\n') {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut lines = Vec::new();
        let mut timed_out = false;
        let mut deadline = Instant::now() + self.timeout;
        loop {
            match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let answers = parse(&line);
                    // What a module prints does not count as progress; the worker's answers do.
                    if !answers.is_empty() {
                        deadline = Instant::now() + self.timeout;
                    }
                    if let Some(tally) = self.tally {
                        tally.add(answers.iter().filter(|a| is_verdict(a)).count() as u64);
                    }
                    lines.extend(answers);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    timed_out = true;
                    kill_group(&mut child);
                    break;
                }
            }
        }
        // Output is over (or the group was killed): the worker ends promptly now.
        let status = child
            .wait_timeout(Duration::from_secs(5))
            .ok()
            .flatten()
            .or_else(|| {
                kill_group(&mut child);
                child.wait().ok()
            });
        // The group is killed only while the worker is unreaped, so that its id
        // cannot name anyone else's group. Something it started may still hold
        // stderr: wait a little for it, not forever.
        let _ = feeder.join();
        let stderr = stderr_receiver
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        // What the last item printed: stderr after the worker's last marker.
        let last = stderr
            .windows(PREFIX.len())
            .rposition(|w| w == PREFIX)
            .map_or(&stderr[..], |at| &stderr[at..]);
        let tail: String = String::from_utf8_lossy(last)
            .lines()
            .filter(|l| !l.starts_with('\0'))
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .chars()
            .take(300)
            .collect();
        let (ending, ending_is_clean) = match status {
            _ if timed_out => (
                format!("no answer within {} s", self.timeout.as_secs()),
                false,
            ),
            Some(status) if status.success() => ("exited".to_owned(), true),
            Some(status) => (format!("{status}: {tail}"), false),
            None => ("the interpreter could not be waited for".to_owned(), false),
        };
        Batch {
            lines,
            ending,
            ending_is_clean,
        }
    }
}

/// Kills the worker and everything in its process group (modules may start
/// processes). `kill` is util-linux's or procps'; the worker itself is killed
/// directly in any case.
fn kill_group(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
}

struct Batch {
    /// `(word, item, reason)` in the order printed.
    lines: Vec<(String, Vec<u8>, String)>,
    ending: String,
    ending_is_clean: bool,
}

/// Whether a line of the worker is a verdict (not the marker it prints before starting an item).
fn is_verdict(line: &(String, Vec<u8>, String)) -> bool {
    line.0 != "START"
}

fn parse(stdout: &[u8]) -> Vec<(String, Vec<u8>, String)> {
    stdout
        .split(|b| *b == b'\n')
        .filter_map(|line| {
            let start = line.windows(PREFIX.len()).position(|w| w == PREFIX)?;
            let text = String::from_utf8_lossy(&line[start + PREFIX.len()..]).into_owned();
            let mut words = text.splitn(3, ' ');
            let word = words.next()?.to_owned();
            let item = unhex(words.next()?)?;
            Some((word, item, words.next().unwrap_or_default().to_owned()))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trip() {
        let bytes = b"caf\xe9/x.py".to_vec();
        assert_eq!(super::unhex(&super::hex(&bytes)), Some(bytes));
        assert_eq!(super::unhex("zz"), None);
    }

    #[test]
    fn parses_lines_among_noise() {
        let out = b"noise\n\0pyprune OK 6a736f6e\nprinted\0pyprune FAIL 78 Error: boom here\n";
        let lines = super::parse(out);
        assert_eq!(lines[0], ("OK".into(), b"json".to_vec(), String::new()));
        assert_eq!(
            lines[1],
            ("FAIL".into(), b"x".to_vec(), "Error: boom here".into())
        );
    }
}
