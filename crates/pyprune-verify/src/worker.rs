//! Running `verify_worker.py` in the interpreter under test over a list of
//! items, in parallel batches, each item under a timeout; a batch that crashes or hangs
//! costs only the item it was on (the worker names each before starting it),
//! and the rest run again in a fresh process. Items that fail can be run
//! again one by one ([`Worker::settle`]), so that a verdict never depends on
//! what an earlier item of the same process imported. Each worker leads a
//! process group of its own and dies with pyprune (`clean_command`); a signal
//! to pyprune ends the group (`pyprune_interrupt::end_children`).

use crate::launch::{RunMode, TreePython};
use std::collections::BTreeMap;
use std::io::{BufRead as _, Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use wait_timeout::ChildExt as _;

const WORKER: &str = include_str!("../python/verify_worker.py");
const PREFIX: &[u8] = b"\0pyprune ";

/// What the worker said of one item: `OK`, `FAIL`, `NOLINE` or `SKIP`, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub word: String,
    pub reason: String,
    /// Modules found loaded from outside the tree while this item ran (name,
    /// file), when the worker watches isolation.
    pub outside: Vec<(String, PathBuf)>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.word == "OK"
    }
}

/// The items that hung (no answer within the timeout) in one tree, with
/// why: shared by every run on that tree, so that an item costs one timeout,
/// not one per optimization level and retry.
#[derive(Debug, Default)]
pub struct Hung(std::sync::Mutex<BTreeMap<Vec<u8>, String>>);

impl Hung {
    fn get(&self, item: &[u8]) -> Option<String> {
        self.0.lock().ok()?.get(item).cloned()
    }

    pub(crate) fn insert(&self, item: Vec<u8>, why: String) {
        if let Ok(mut hung) = self.0.lock() {
            hung.entry(item).or_insert(why);
        }
    }

    /// Every item that hung, with why.
    pub(crate) fn all(&self) -> BTreeMap<Vec<u8>, String> {
        self.0.lock().map(|h| h.clone()).unwrap_or_default()
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
    /// Report every module loaded from outside the tree (the tree under
    /// test; an original is only asked how it behaved).
    pub watch_isolation: bool,
    /// The items that hung in an earlier run on this tree: not run again.
    pub hung: &'a Hung,
    /// Kills a worker's process group if pyprune is killed outright (the
    /// worker dies with pyprune; what a module started would not).
    pub watchdog: Option<&'a pyprune_interrupt::Watchdog>,
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

    /// Imports `names` at optimization level `optimize`, failures retried
    /// by package ([`Worker::settle`]); whether one is retried alone is the
    /// caller's to say, by what the original did ([`Worker::imports_alone`]).
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
        self.settle("import", mode, names, false)
    }

    /// Like [`Worker::run`], then every item that did not pass runs again in
    /// a fresh process, and that verdict stands: a module that fails only
    /// after others were imported in the same process is not the tree's
    /// fault. The failures run first with the others of their top-level
    /// package only (one process per package: cheap), and, if `alone`, those
    /// that still fail then alone. What was seen of isolation in every run is kept.
    pub fn settle(
        &self,
        mode: &str,
        run: RunMode,
        items: &[Vec<u8>],
        alone: bool,
    ) -> BTreeMap<Vec<u8>, Verdict> {
        let mut verdicts = self.run(mode, run, items);
        // The failures by top-level package, or one by one.
        let group = |failed: Vec<Vec<u8>>, alone: bool| -> Vec<Vec<Vec<u8>>> {
            let mut groups: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
            for item in failed {
                let key = if alone {
                    item.clone()
                } else {
                    item.split(|b| *b == b'.')
                        .next()
                        .unwrap_or_default()
                        .to_vec()
                };
                groups.entry(key).or_default().push(item);
            }
            groups.into_values().collect()
        };
        let rounds = [
            ("verify, retrying failures by package", false),
            ("verify, retrying failures alone", true),
        ];
        let rounds = if alone { &rounds[..] } else { &rounds[..1] };
        // Items that already ran alone (the only failure of their package) are not run again.
        let mut ran_alone = std::collections::BTreeSet::new();
        for &(what, alone) in rounds {
            let failed: Vec<Vec<u8>> = items
                .iter()
                .filter(|item| verdicts.get(*item).is_some_and(|v| !v.ok()))
                .filter(|item| !ran_alone.contains(*item))
                // What hung keeps the verdict that says so: a retry would only wait again.
                .filter(|item| self.hung.get(item).is_none())
                .cloned()
                .collect();
            if failed.is_empty() {
                break;
            }
            if let Some(tally) = self.tally {
                tally.begin(what, failed.len() as u64);
            }
            let groups = group(failed, alone);
            ran_alone.extend(groups.iter().filter(|g| g.len() == 1).map(|g| g[0].clone()));
            merge(&mut verdicts, self.run_groups(mode, run, &groups));
        }
        verdicts
    }

    /// Each group of items in a process of its own, `jobs` at once.
    fn run_groups(
        &self,
        mode: &str,
        run: RunMode,
        groups: &[Vec<Vec<u8>>],
    ) -> BTreeMap<Vec<u8>, Verdict> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let all = std::sync::Mutex::new(BTreeMap::new());
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1).min(groups.len()) {
                scope.spawn(|| {
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(group) = groups.get(at) else { break };
                        let verdicts = self.run_chunk(mode, run, group);
                        if let Ok(mut all) = all.lock() {
                            all.extend(verdicts);
                        }
                    }
                });
            }
        });
        all.into_inner().unwrap_or_default()
    }

    /// Imports each of `names` alone in a fresh process, at optimization
    /// level `optimize`: how a module that failed among others is judged,
    /// in the tree and in the original (like against like).
    pub fn imports_alone(
        &self,
        optimize: u8,
        write_bytecode: bool,
        names: &[Vec<u8>],
    ) -> BTreeMap<Vec<u8>, Verdict> {
        let mode = RunMode {
            optimize,
            write_bytecode,
        };
        let groups: Vec<Vec<Vec<u8>>> = names.iter().map(|n| vec![n.clone()]).collect();
        self.run_groups("import", mode, &groups)
    }

    fn run_chunk(&self, mode: &str, run: RunMode, items: &[Vec<u8>]) -> BTreeMap<Vec<u8>, Verdict> {
        let mut verdicts = BTreeMap::new();
        let mut remaining: Vec<Vec<u8>> = Vec::with_capacity(items.len());
        for item in items {
            match self.hung.get(item) {
                Some(why) => {
                    let verdict = Verdict {
                        word: "FAIL".into(),
                        reason: format!("hung in an earlier run, not tried again; {why}"),
                        outside: Vec::new(),
                    };
                    verdicts.insert(item.clone(), verdict);
                    if let Some(tally) = self.tally {
                        tally.add(1);
                    }
                }
                None => remaining.push(item.clone()),
            }
        }
        while !remaining.is_empty() {
            let batch = self.batch(mode, run, &remaining);
            let answered = batch.lines.iter().filter(|l| is_verdict(l)).count();
            let mut started: Option<Vec<u8>> = None;
            let mut outside = Vec::new();
            for (word, item, reason) in batch.lines {
                match word.as_str() {
                    "START" => started = Some(item),
                    "LEAK" => outside.extend(leak(&reason)),
                    _ => {
                        started = None;
                        let outside = std::mem::take(&mut outside);
                        verdicts.insert(
                            item,
                            Verdict {
                                word,
                                reason,
                                outside,
                            },
                        );
                    }
                }
            }
            // The process ended early: the item it was on is the culprit (or, when it
            // never started one, every item is: the interpreter itself failed).
            let failure = |what: &str| Verdict {
                word: "FAIL".into(),
                reason: format!("{what}; {}", batch.ending),
                outside: Vec::new(),
            };
            match started {
                Some(item) => {
                    if batch.timed_out {
                        self.hung.insert(item.clone(), batch.ending.clone());
                    }
                    let died = Verdict {
                        outside,
                        ..failure("the interpreter died or hung here")
                    };
                    verdicts.insert(item, died);
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
        // After a signal nothing new starts; the caller reports the interruption.
        if let Some(interrupted) = pyprune_interrupt::interrupted() {
            return Batch {
                lines: Vec::new(),
                ending: interrupted.to_string(),
                ending_is_clean: false,
                timed_out: false,
            };
        }
        let mut command = self.python.command(run, self.cwd);
        command.args(["-c", WORKER, mode]);
        if self.watch_isolation {
            command.args(self.python.isolation_args());
        }
        command
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
                    timed_out: false,
                };
            }
        };
        if let Some(watchdog) = self.watchdog {
            watchdog.watch(child.id());
        }
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
        // Reaped: struck off before its id can name anyone else's group.
        if let Some(watchdog) = self.watchdog {
            watchdog.forget(child.id());
        }
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
            timed_out,
        }
    }
}

/// Puts the verdicts of a later run over earlier ones, keeping what both
/// saw of isolation.
pub fn merge(verdicts: &mut BTreeMap<Vec<u8>, Verdict>, again: BTreeMap<Vec<u8>, Verdict>) {
    for (item, mut verdict) in again {
        if let Some(before) = verdicts.remove(&item) {
            verdict.outside.extend(before.outside);
        }
        verdicts.insert(item, verdict);
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
    /// Killed for giving no answer within the timeout.
    timed_out: bool,
}

/// Whether a line of the worker is a verdict (not the marker it prints
/// before starting an item, nor a module loaded from outside).
fn is_verdict(line: &(String, Vec<u8>, String)) -> bool {
    line.0 != "START" && line.0 != "LEAK"
}

/// The module and file of a `LEAK` line's rest: `NAME HEXPATH`.
fn leak(rest: &str) -> Option<(String, PathBuf)> {
    use std::os::unix::ffi::OsStringExt as _;
    let (name, path) = rest.split_once(' ')?;
    let path = std::ffi::OsString::from_vec(unhex(path.trim())?);
    Some((name.to_owned(), PathBuf::from(path)))
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod worker_tests;

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
