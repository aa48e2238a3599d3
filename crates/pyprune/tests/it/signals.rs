//! pyprune interrupted: SIGINT, SIGTERM and SIGHUP at set moments of `plan
//! --measure-import`, `apply --out`, `apply --in-place`, `compile` and
//! `verify` (each moment marked by a file a planted module writes, or by a
//! compile worker running), a second SIGINT while cleaning up, and SIGKILL
//! with a worker blocked opening a FIFO. After each: the exit status, nothing
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

/// A module imported by verify (it is in the tree) and by nothing else: when
/// the environment names a marker, it writes it and waits; with a FIFO named,
/// it blocks opening it; with a journal named, only once that exists.
const PROBE: &str = r#"import os, time
_marker = os.environ.get("PYPRUNE_TEST_PROBE_MARKER")
_journal = os.environ.get("PYPRUNE_TEST_PROBE_JOURNAL")
_fifo = os.environ.get("PYPRUNE_TEST_PROBE_FIFO")
if _marker and (not _journal or os.path.exists(_journal)):
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
                let shown: String = String::from_utf8_lossy(&cmdline).chars().take(80).collect();
                left.push(format!("{name}: {}", shown.replace('\0', " ")));
            }
        }
        left
    }

    /// Nothing of the run is left: no process (a killed one may take a
    /// moment to be reaped by init), nothing in its `$TMPDIR`.
    fn assert_nothing_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
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

/// The exit status of pyprune, which must come within the deadline.
fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        assert!(Instant::now() < deadline, "pyprune did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every entry under `root`: files by content and mode, symlinks by target, directories by mode.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
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
