//! pyprune interrupted: SIGINT, SIGTERM and SIGHUP at set moments of `plan
//! --measure-import`, `apply --out`, `apply --in-place`, `compile` and
//! `verify` (each moment marked by a file a planted module writes, by a
//! compile worker running, or by the debug build's pause hook: the walk, the
//! copy, the in-place actions, the cleanup), a second SIGINT while the
//! cleanup is held, and SIGKILL with a worker blocked opening a FIFO or with
//! a process a module started in the worker's group. After each: the exit status, nothing
//! left in the run's own `$TMPDIR` or beside the target, no process left
//! (every process of a run carries an environment variable naming it), and
//! an in-place tree restored byte for byte, or restorable by the `pyprune
//! undo` its message names.

use crate::harness::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: the machine may be loaded.
const DEADLINE: Duration = Duration::from_secs(120);
/// How long pyprune may take to stop once signalled (it takes well under a
/// second; this is for a loaded machine).
const PROMPTLY: Duration = Duration::from_secs(20);

/// A module imported by verify (it is in the tree) and by nothing else: when
/// the environment names a marker, it writes it and waits; with a FIFO named,
/// it blocks opening it; with a journal named, only once that exists; asked
/// to, it first starts a process of its own (in the worker's process group).
const PROBE: &str = r#"import os, time
_marker = os.environ.get("PYPRUNE_TEST_PROBE_MARKER")
_journal = os.environ.get("PYPRUNE_TEST_PROBE_JOURNAL")
_fifo = os.environ.get("PYPRUNE_TEST_PROBE_FIFO")
if _marker and (not _journal or os.path.exists(_journal)):
    if os.environ.get("PYPRUNE_TEST_PROBE_SPAWN"):
        import subprocess
        subprocess.Popen(["sleep", "600"])
    open(_marker + ".%d" % os.getpid(), "w").close()
    if _fifo:
        open(_fifo).read()
    time.sleep(600)
"#;

/// Prepended to the tree's `json`, which `plan --measure-import` imports first
/// in each layout: it waits there (marked) when the layout is in the scratch
/// directory the environment names, and nowhere else (discovery imports json too).
const JSON_PROBE: &str = r#"import os as _os, time as _time
_scratch = _os.environ.get("PYPRUNE_TEST_PROBE_SCRATCH")
if _scratch and _os.environ.get("PYTHONHOME", "").startswith(_scratch):
    open(_os.environ["PYPRUNE_TEST_PROBE_MARKER"] + ".%d" % _os.getpid(), "w").close()
    _time.sleep(600)
"#;

/// One test's tree, its private `$TMPDIR`, and a name every process of its
/// run carries (in its environment).
struct Scene {
    env: TestEnv,
    /// The tree pyprune is pointed at.
    tree: PathBuf,
    tmp: PathBuf,
    tag: String,
}

impl Scene {
    fn with_tree(name: &str, make: impl FnOnce(&Path) -> PathBuf) -> Scene {
        let env = TestEnv::new();
        let tree = make(env.path());
        let tmp = env.path().join("tmp");
        std::fs::create_dir(&tmp).expect("tmp");
        let tag = format!("{name}-{}", env.path().display());
        Scene {
            env,
            tree,
            tmp,
            tag,
        }
    }

    /// A package directory of real stdlib files ([`package_tree`]) and the probe.
    fn package(name: &str) -> Scene {
        Scene::with_tree(name, |dir| {
            let tree = dir.join("tree");
            std::fs::create_dir(&tree).expect("tree");
            std::fs::write(tree.join("zz_probe.py"), PROBE).expect("probe");
            package_tree(&tree)
        })
    }

    /// A stdlib directory (`prefix/lib/python3.X`) Python can start on with
    /// `-S` (`encodings`), whose `json` holds the measure probe.
    fn stdlib(name: &str) -> Scene {
        Scene::with_tree(name, |dir| {
            let version = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
            let stdlib = dir.join(format!("prefix/lib/python{version}"));
            copy_from_stdlib(
                &stdlib,
                &[
                    "os.py",
                    "stat.py",
                    "encodings/__init__.py",
                    "encodings/aliases.py",
                    "encodings/utf_8.py",
                    "json/__init__.py",
                    "json/decoder.py",
                    "json/encoder.py",
                    "json/scanner.py",
                ],
            );
            std::fs::create_dir_all(stdlib.join("site-packages")).expect("mkdir");
            let json = stdlib.join("json/__init__.py");
            let original = std::fs::read_to_string(&json).expect("json");
            std::fs::write(&json, format!("{JSON_PROBE}{original}")).expect("json probe");
            compileall_all_levels(&stdlib);
            stdlib
        })
    }

    fn marker(&self) -> PathBuf {
        self.env.path().join("probe")
    }

    /// Starts pyprune with `args`, its stderr kept in a file.
    fn start(&self, args: &[&str], probe: &[(&str, &Path)]) -> Child {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("pyprune"));
        command
            .args(args)
            .env("TMPDIR", &self.tmp)
            .env("PYPRUNE_TEST_RUN", &self.tag)
            .env("PYPRUNE_TEST_PROBE_MARKER", self.marker())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.env.path().join("stderr")).expect("stderr"));
        for (key, value) in probe {
            command.env(key, value);
        }
        command.spawn().expect("pyprune starts")
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.env.path().join("stderr")).unwrap_or_default()
    }

    /// Waits until a probe has written its marker (a module is blocked in a worker).
    fn wait_for_probe(&self, child: &mut Child) {
        let dir = self.env.path();
        wait_until(child, &self.stderr_path(), || {
            std::fs::read_dir(dir)
                .expect("ls")
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("probe."))
        });
    }

    /// The environment that makes pyprune pause at `moments` (comma-separated:
    /// the debug build's test hook, `pyprune_interrupt::pause_point`).
    fn pause_at(&self, moments: &'static str) -> [(&'static str, PathBuf); 2] {
        [
            ("PYPRUNE_TEST_PAUSE_AT", PathBuf::from(moments)),
            ("PYPRUNE_TEST_PAUSE_MARKER", self.env.path().join("paused")),
        ]
    }

    /// Waits until pyprune pauses at `moment`.
    fn wait_for_pause(&self, child: &mut Child, moment: &str) {
        let marker = self.env.path().join(format!("paused.{moment}"));
        wait_until(child, &self.stderr_path(), || marker.exists());
    }

    fn stderr_path(&self) -> PathBuf {
        self.env.path().join("stderr")
    }

    /// Processes of this run still alive (zombies have no environment to read).
    fn processes_left(&self) -> Vec<String> {
        let needle = format!("PYPRUNE_TEST_RUN={}", self.tag);
        let mut left = Vec::new();
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            if environ.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let shown: String = String::from_utf8_lossy(&cmdline)
                    .chars()
                    .take(200)
                    .collect();
                left.push(format!("{name}: {}", shown.replace('\0', " ")));
            }
        }
        left
    }

    /// Nothing of the run is left: no process (a killed one may take a
    /// moment to be reaped by init), nothing in its `$TMPDIR`.
    fn assert_nothing_left(&self) {
        let in_tmp: Vec<_> = std::fs::read_dir(&self.tmp)
            .expect("tmp")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(
            in_tmp.is_empty(),
            "left in $TMPDIR: {in_tmp:?}\n{}",
            self.stderr()
        );
        self.assert_no_process_left();
    }

    /// No process of the run is left (one that was killed may take a moment
    /// to be reaped).
    fn assert_no_process_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut left = self.processes_left();
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            left = self.processes_left();
        }
        assert!(
            left.is_empty(),
            "processes left: {left:?}\n{}",
            self.stderr()
        );
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        // A failed test leaves no sleeper behind either.
        for line in self.processes_left() {
            if let Some(pid) = line.split(':').next() {
                let _ = Command::new("kill").args(["-s", "KILL", pid]).status();
            }
        }
    }
}

/// Polls `ready` until it holds; fails if pyprune exits first or the deadline passes.
fn wait_until(child: &mut Child, stderr: &Path, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "pyprune ended ({status}) before the moment came:\n{}",
                std::fs::read_to_string(stderr).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "the moment never came");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// The exit status of pyprune, just signalled: it must stop promptly, well
/// before any timeout of its own (verify's is a minute) could end what it waits on.
fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + PROMPTLY;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "pyprune did not exit within {PROMPTLY:?} of the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every entry under `root`: files by content and mode, symlinks by target, directories by mode.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut all = BTreeMap::new();
    for path in paths_under(root) {
        let meta = path.symlink_metadata().expect("lstat");
        let rel = path.strip_prefix(root).expect("inside").to_path_buf();
        let content = if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .expect("readlink")
                .into_os_string()
                .into_encoded_bytes()
        } else if meta.is_file() {
            std::fs::read(&path).expect("read")
        } else {
            Vec::new()
        };
        all.insert(rel, (content, meta.permissions().mode()));
    }
    all
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

#[test]
fn measure_import_interrupted_removes_its_layouts() {
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let scene = Scene::stdlib("measure");
        let mut child = scene.start(
            &[
                "plan",
                "--measure-import=profiles",
                "--runs",
                "1",
                path(&scene.tree),
            ],
            &[("PYPRUNE_TEST_PROBE_SCRATCH", &scene.tmp)],
        );
        // The layouts are built, and the first is being timed.
        scene.wait_for_probe(&mut child);
        send(&child, signal);
        assert_eq!(exit_code(&mut child), Some(status), "{}", scene.stderr());
        scene.assert_nothing_left();
    }
}

/// What the test's own directory holds besides the tree, its `$TMPDIR`,
/// pyprune's stderr and the probes' markers: what pyprune left beside the tree.
fn beside_the_tree(scene: &Scene) -> Vec<String> {
    std::fs::read_dir(scene.env.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !matches!(n.as_str(), "tree" | "tmp" | "stderr" | "prefix"))
        .filter(|n| !n.starts_with("probe.") && !n.starts_with("paused.") && n != "fifo")
        .collect()
}

#[test]
fn apply_out_interrupted_leaves_no_result_and_no_staging() {
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let scene = Scene::package("apply-out");
        let before = snapshot(&scene.tree);
        let out = scene.env.path().join("out");
        let mut child = scene.start(
            &[
                "apply",
                "--profile",
                "minimal",
                "--out",
                path(&out),
                path(&scene.tree),
            ],
            &[],
        );
        // The result is built, and verify is importing the probe.
        scene.wait_for_probe(&mut child);
        send(&child, signal);
        assert_eq!(exit_code(&mut child), Some(status), "{}", scene.stderr());
        assert_eq!(
            beside_the_tree(&scene),
            Vec::<String>::new(),
            "{}",
            scene.stderr()
        );
        scene.assert_nothing_left();
        assert!(snapshot(&scene.tree) == before, "the input changed");
        let stderr = scene.stderr();
        let name = if signal == "INT" { "SIGINT" } else { "SIGTERM" };
        assert!(
            stderr.contains(&format!("interrupted by {name}")),
            "{stderr}"
        );
    }
}

#[test]
fn apply_in_place_interrupted_is_undone_or_names_its_undo() {
    // Before the change (verify records the original): nothing changed, nothing to undo.
    let scene = Scene::package("in-place-before");
    let before = snapshot(&scene.tree);
    let mut child = scene.start(
        &[
            "apply",
            "--in-place",
            "--profile",
            "minimal",
            path(&scene.tree),
        ],
        &[],
    );
    scene.wait_for_probe(&mut child);
    send(&child, "TERM");
    assert_eq!(exit_code(&mut child), Some(143), "{}", scene.stderr());
    scene.assert_nothing_left();
    assert!(
        snapshot(&scene.tree) == before,
        "the tree changed:\n{}",
        scene.stderr()
    );
    assert!(
        !scene.stderr().contains("pyprune undo"),
        "{}",
        scene.stderr()
    );

    // After the change (verify checks the result): the journal stays, and the
    // message names the command that restores the tree byte for byte.
    let scene = Scene::package("in-place-after");
    let before = snapshot(&scene.tree);
    let journal = scene.tree.join(".pyprune-journal");
    let mut child = scene.start(
        &[
            "apply",
            "--in-place",
            "--profile",
            "minimal",
            path(&scene.tree),
        ],
        &[("PYPRUNE_TEST_PROBE_JOURNAL", &journal)],
    );
    scene.wait_for_probe(&mut child);
    send(&child, "INT");
    assert_eq!(exit_code(&mut child), Some(130), "{}", scene.stderr());
    scene.assert_nothing_left();
    let stderr = scene.stderr();
    let undo = format!("`pyprune undo {}`", scene.tree.display());
    assert!(stderr.contains(&undo), "no {undo} in:\n{stderr}");
    assert!(journal.is_dir());
    let undone = pyprune()
        .arg("undo")
        .arg(&scene.tree)
        .output()
        .expect("undo");
    assert!(undone.status.success(), "{}", stderr_of(&undone));
    assert!(
        snapshot(&scene.tree) == before,
        "undo did not restore the tree"
    );
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn compile_interrupted_ends_its_workers_and_leaves_no_partial_cache() {
    let scene = Scene::package("compile");
    // A source that takes each worker seconds at each level (its docstring
    // and assert make the three levels differ).
    let mut big = String::from("\"\"\"Big.\"\"\"\nassert True\nx = [\n");
    for i in 0..600_000 {
        big.push_str(&format!("    {i},\n"));
    }
    big.push_str("]\n");
    std::fs::write(scene.tree.join("big.py"), big).expect("big.py");
    let mut child = scene.start(
        &[
            "compile",
            "-o",
            "0",
            "-o",
            "1",
            "-o",
            "2",
            path(&scene.tree),
        ],
        &[],
    );
    // A worker is running (the largest source goes first).
    wait_until(&mut child, &scene.stderr_path(), || {
        scene
            .processes_left()
            .iter()
            .any(|p| p.contains("A pyprune compile worker"))
    });
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "INT");
    assert_eq!(exit_code(&mut child), Some(130), "{}", scene.stderr());
    scene.assert_nothing_left();
    // Only sources and whole caches: no `CFILE.N` a killed write left.
    let odd: Vec<_> = paths_under(&scene.tree)
        .into_iter()
        .filter(|p| p.is_file())
        .filter(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("py" | "pyc")))
        .collect();
    assert!(odd.is_empty(), "left in the tree: {odd:?}");
}

#[test]
fn verify_interrupted_by_sigint_or_sighup_ends_its_worker_and_its_group() {
    for (signal, status) in [("INT", 130), ("HUP", 129)] {
        let scene = Scene::package("verify");
        // The module starts a process: the group goes with the worker.
        let mut child = scene.start(
            &["verify", path(&scene.tree)],
            &[("PYPRUNE_TEST_PROBE_SPAWN", Path::new("1"))],
        );
        scene.wait_for_probe(&mut child);
        send(&child, signal);
        assert_eq!(exit_code(&mut child), Some(status), "{}", scene.stderr());
        scene.assert_nothing_left();
    }
}

/// The environment of [`Scene::pause_at`] as [`Scene::start`] takes it.
fn as_probe<'a>(pause: &'a [(&'static str, PathBuf); 2]) -> [(&'static str, &'a Path); 2] {
    [(pause[0].0, &pause[0].1), (pause[1].0, &pause[1].1)]
}

/// `apply --out` on the scene's tree (not verified: the moments come before).
fn apply_out_args(scene: &Scene) -> Vec<String> {
    let out = scene.env.path().join("out");
    [
        "apply",
        "--no-verify",
        "--profile",
        "minimal",
        "--out",
        path(&out),
        path(&scene.tree),
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn apply_out_interrupted_during_the_walk_or_the_copy_leaves_nothing() {
    for (moment, signal, status) in [("walk", "TERM", 143), ("copy", "INT", 130)] {
        let scene = Scene::package(moment);
        let before = snapshot(&scene.tree);
        let pause = scene.pause_at(moment);
        let args = apply_out_args(&scene);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = scene.start(&args, &as_probe(&pause));
        scene.wait_for_pause(&mut child, moment);
        if moment == "copy" {
            // The copy is under way beside where the result goes.
            assert_eq!(beside_the_tree(&scene).len(), 1, "no partial copy");
        }
        send(&child, signal);
        assert_eq!(exit_code(&mut child), Some(status), "{}", scene.stderr());
        assert_eq!(
            beside_the_tree(&scene),
            Vec::<String>::new(),
            "{moment}: {}",
            scene.stderr()
        );
        scene.assert_nothing_left();
        assert!(
            snapshot(&scene.tree) == before,
            "{moment}: the input changed"
        );
    }
}

#[test]
fn apply_in_place_interrupted_while_it_changes_the_tree_is_rolled_back() {
    let scene = Scene::package("perform");
    let before = snapshot(&scene.tree);
    let pause = scene.pause_at("perform");
    let mut child = scene.start(
        &[
            "apply",
            "--in-place",
            "--no-verify",
            "--profile",
            "minimal",
            path(&scene.tree),
        ],
        &as_probe(&pause),
    );
    scene.wait_for_pause(&mut child, "perform");
    // One action done and journaled.
    assert!(scene.tree.join(".pyprune-journal").is_dir());
    assert!(snapshot(&scene.tree) != before, "nothing changed yet");
    send(&child, "TERM");
    assert_eq!(exit_code(&mut child), Some(143), "{}", scene.stderr());
    scene.assert_nothing_left();
    let stderr = scene.stderr();
    assert!(
        stderr.contains(&format!(
            "`{}` is as it was: the change was undone",
            scene.tree.display()
        )),
        "{stderr}"
    );
    assert!(
        snapshot(&scene.tree) == before,
        "not restored byte for byte:\n{stderr}"
    );
}

/// A second SIGINT while the first one's cleanup is under way (held there
/// by the test hook for two minutes) ends pyprune at once, naming what it
/// left; were it ignored, pyprune would still be holding.
#[test]
fn a_second_sigint_during_cleanup_exits_at_once() {
    let scene = Scene::package("second");
    let pause = scene.pause_at("copy,cleanup");
    let args = apply_out_args(&scene);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = scene.start(&args, &as_probe(&pause));
    scene.wait_for_pause(&mut child, "copy");
    send(&child, "INT");
    scene.wait_for_pause(&mut child, "cleanup");
    let second = Instant::now();
    send(&child, "INT");
    assert_eq!(exit_code(&mut child), Some(130), "{}", scene.stderr());
    assert!(
        second.elapsed() < PROMPTLY,
        "the second SIGINT was not honoured at once"
    );
    scene.assert_no_process_left();
    let stderr = scene.stderr();
    // The partial copy it had no time to remove is named.
    let partial = beside_the_tree(&scene);
    assert_eq!(partial.len(), 1, "{partial:?}");
    assert!(
        stderr.contains("interrupted again by SIGINT: exiting now") && stderr.contains(&partial[0]),
        "{stderr}"
    );
}

#[test]
fn sigkill_of_pyprune_ends_a_worker_blocked_opening_a_fifo() {
    let scene = Scene::package("sigkill");
    let fifo = scene.env.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let mut child = scene.start(
        &["verify", "--timeout", "600", path(&scene.tree)],
        &[("PYPRUNE_TEST_PROBE_FIFO", &fifo)],
    );
    scene.wait_for_probe(&mut child);
    // The worker's pid is in its marker's name; wait until it blocks in open.
    let worker: u32 = std::fs::read_dir(scene.env.path())
        .expect("ls")
        .flatten()
        .find_map(|e| e.file_name().to_str()?.strip_prefix("probe.")?.parse().ok())
        .expect("a marker");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let wchan = std::fs::read_to_string(format!("/proc/{worker}/wchan")).unwrap_or_default();
        if wchan.contains("fifo") || wchan.contains("partner") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    send(&child, "KILL");
    let _ = child.wait();
    let killed = Instant::now();
    while alive(worker) {
        assert!(
            killed.elapsed() < Duration::from_secs(1),
            "the worker {worker} outlived pyprune by a second"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGKILL of pyprune while a module verify imports has started a process
/// of its own (in the worker's process group): the worker dies with pyprune,
/// and the watchdog kills the rest of its group, then goes itself.
#[test]
fn sigkill_of_pyprune_ends_what_a_verified_module_started() {
    let scene = Scene::package("sigkill-group");
    let mut child = scene.start(
        &["verify", "--timeout", "600", path(&scene.tree)],
        &[("PYPRUNE_TEST_PROBE_SPAWN", Path::new("1"))],
    );
    scene.wait_for_probe(&mut child);
    send(&child, "KILL");
    let _ = child.wait();
    // Every process of the run (the sleeper the module started among them)
    // is gone within seconds: polled, for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = scene.processes_left();
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = scene.processes_left();
    }
    assert!(left.is_empty(), "outlived pyprune: {left:?}");
}

/// Whether `pid` runs (a zombie is not running).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z'))
    })
}
