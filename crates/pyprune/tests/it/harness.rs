//! A temp-dir harness: build trees from the installed standard library, compile
//! them with the real `compileall`, run pyprune on them, and compute what pyprune
//! should report with an independent implementation (Python, `du`).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A fresh temporary directory that is removed at the end of the test.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir_in(scratch_dir()).expect("create a temp dir"),
        }
    }

    /// A temporary directory in the usual place, on disk (see [`scratch_dir`]):
    /// for a test whose subject is a disk filesystem's accounting (a directory
    /// takes blocks there, none on tmpfs).
    pub fn on_disk() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("create a temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Creates `rel` with `contents`, and its parent directories.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        path
    }
}

/// Where tests make their temporary trees: `$PYPRUNE_TEST_TMPDIR` if set;
/// else `/dev/shm` where it is a RAM filesystem with 4 GiB free that runs
/// programs (each test's trees go when it ends; two run at a time); else the
/// usual temporary directory. On the suite's machines the disk is ext4,
/// which after the suite's thousands of deletions spends most of each file
/// creation looking for an inode not recently freed (`recently_deleted` in
/// `perf`): one row applied to the shared reduced tree took 6.6 s of wall
/// time into /tmp and 1.0 s into /dev/shm. Trees built once per run stay in
/// Cargo's scratch directory, on disk: a RAM filesystem keeps what a killed
/// run leaves.
pub fn scratch_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PYPRUNE_TEST_TMPDIR") {
            return PathBuf::from(dir);
        }
        let shm = Path::new("/dev/shm");
        let free = std::process::Command::new("df")
            .args(["--output=fstype,avail", "-B1"])
            .arg(shm)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| {
                let text = String::from_utf8(out.stdout).ok()?;
                let (fstype, avail) = text.lines().nth(1)?.split_once(char::is_whitespace)?;
                (fstype == "tmpfs").then(|| avail.trim().parse::<u64>().ok())?
            });
        // Writable, and not mounted `noexec` (as containers often mount it):
        // tests run interpreters they copied into their trees.
        let runs_programs = || {
            let Ok(dir) = tempfile::tempdir_in(shm) else {
                return false;
            };
            let program = dir.path().join("true");
            std::fs::copy("/bin/true", &program).is_ok()
                && std::process::Command::new(&program)
                    .status()
                    .is_ok_and(|status| status.success())
        };
        if free.is_some_and(|bytes| bytes >= 4 << 30) && runs_programs() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    })
}

/// The installed interpreter's standard library directory.
pub fn stdlib() -> PathBuf {
    PathBuf::from(python_print(
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
    ))
}

/// Runs `python3 -c code` and returns its trimmed stdout.
pub fn python_print(code: &str) -> String {
    let out = python3().args(["-c", code]).output().expect("run python3");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// `python3` with the caller's `PYTHON*` settings removed.
pub fn python3() -> std::process::Command {
    pyprune_python::clean_command(std::ffi::OsStr::new("python3"))
}

/// Copies `rels` (files or directories, relative to the installed stdlib) into `dest`,
/// leaving out any `__pycache__` so that the caches are ours to make.
pub fn copy_from_stdlib(dest: &Path, rels: &[&str]) {
    let stdlib = stdlib();
    for rel in rels {
        let from = stdlib.join(rel);
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().expect("has a parent")).expect("mkdir");
        let status = std::process::Command::new("cp")
            .args(["-a", "--no-preserve=links"])
            .arg(&from)
            .arg(&to)
            .status()
            .expect("run cp");
        assert!(status.success(), "cp {from:?}");
    }
    remove_caches(dest);
}

/// Runs the real `python3 -m compileall -q ARGS PATH`, which must succeed.
pub fn compileall(args: &[&str], path: &Path) {
    let out = python3()
        .args(["-m", "compileall", "-q"])
        .args(args)
        .arg(path)
        .output()
        .expect("run compileall");
    assert!(
        out.status.success(),
        "compileall: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Compiles `dir` with the real `compileall` at all three levels, duplicates hardlinked.
pub fn compileall_all_levels(dir: &Path) {
    compileall(&["-o0", "-o1", "-o2", "--hardlink-dupes"], dir);
}

/// A stdlib-shaped tree made of real stdlib files: packages, top-level modules,
/// extension modules in lib-dynload, a real dist-info in site-packages, compiled
/// at all levels with duplicates hardlinked, and one sourceless module.
pub fn real_stdlib_tree(env: &TestEnv) -> PathBuf {
    let root = env.path().join("lib");
    std::fs::create_dir_all(&root).expect("mkdir");
    copy_from_stdlib(
        &root,
        &[
            "email",
            "json",
            "encodings",
            "collections",
            "importlib",
            "os.py",
            "ast.py",
            "typing.py",
            "this.py",
        ],
    );
    let dynload = stdlib().join("lib-dynload");
    let mut copied = 0;
    for entry in std::fs::read_dir(&dynload).expect("read lib-dynload") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if name.starts_with("_json.") || name.starts_with("_csv.") || name.starts_with("math.") {
            copy_from_stdlib(&root, &[&format!("lib-dynload/{name}")]);
            copied += 1;
        }
    }
    assert!(copied >= 2, "expected extension modules in {dynload:?}");
    let site_packages = stdlib().join("site-packages");
    let dist_info = std::fs::read_dir(&site_packages)
        .expect("read site-packages")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("pip-") && n.ends_with(".dist-info"))
        .expect("pip's dist-info in site-packages");
    copy_from_stdlib(&root, &[&format!("site-packages/{dist_info}")]);
    compileall_all_levels(&root);
    // A sourceless module: bytecode where the source would be, the source gone.
    let cache = root
        .join("__pycache__")
        .join(format!("this.{}.pyc", cache_tag()));
    std::fs::copy(&cache, root.join("this.pyc")).expect("copy pyc");
    std::fs::remove_file(root.join("this.py")).expect("remove source");
    root
}

pub fn cache_tag() -> String {
    python_print("import sys; print(sys.implementation.cache_tag)")
}

/// The `pyprune` binary under test.
pub fn pyprune() -> Command {
    let mut command = Command::cargo_bin("pyprune").expect("the pyprune binary");
    // Reports are as wide as a terminal only when asked (COLUMNS): the snapshots are of 100.
    command
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("COLUMNS");
    command
}

/// Runs `pyprune analyze --format json PATH` and parses the report.
pub fn analyze_json(path: &Path, extra: &[&str]) -> (serde_json::Value, Output) {
    let output = pyprune()
        .args(["analyze", "--format", "json"])
        .args(extra)
        .arg(path)
        .output()
        .expect("run pyprune");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout {:?}, stderr {:?}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output)
}

/// What pyprune should report, computed by `expected_inventory.py` (os.walk + lstat).
pub fn expected_inventory(root: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/expected_inventory.py");
    let out = python3()
        .arg(script)
        .arg(root)
        .output()
        .expect("run the reference");
    assert!(
        out.status.success(),
        "reference failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reference JSON")
}

/// `du -s -B1` of `root`: disk bytes (or apparent bytes), each inode once, directories included.
pub fn du_bytes(root: &Path, apparent: bool) -> u64 {
    let mut command = std::process::Command::new("du");
    command.args(["-s", "-B1"]);
    if apparent {
        command.arg("--apparent-size");
    }
    let out = command.arg(root).output().expect("run du");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.split_whitespace()
        .next()
        .expect("a number")
        .parse()
        .expect("a number")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every .pyc under `root`: bytes and mode by relative path, and the hardlink groups.
#[derive(Debug, PartialEq, Eq)]
pub struct Caches {
    pub files: BTreeMap<PathBuf, (Vec<u8>, u32)>,
    pub links: Vec<Vec<PathBuf>>,
}

pub fn caches(root: &Path) -> Caches {
    let mut files = BTreeMap::new();
    let mut by_inode: BTreeMap<u64, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = path.symlink_metadata().expect("lstat");
            if meta.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "pyc") {
                let rel = path.strip_prefix(root).expect("inside").to_path_buf();
                files.insert(
                    rel.clone(),
                    (std::fs::read(&path).expect("read"), meta.mode()),
                );
                by_inode.entry(meta.ino()).or_default().push(rel);
            }
        }
    }
    let mut links: Vec<Vec<PathBuf>> = by_inode.into_values().filter(|g| g.len() > 1).collect();
    for group in &mut links {
        group.sort();
    }
    links.sort();
    Caches { files, links }
}

pub fn remove_caches(root: &Path) {
    let status = std::process::Command::new("find")
        .arg(root)
        .args([
            "-name",
            "__pycache__",
            "-prune",
            "-exec",
            "rm",
            "-rf",
            "{}",
            "+",
        ])
        .status()
        .expect("find");
    assert!(status.success());
}

/// Fails naming the files that differ (not dumping their bytes).
pub fn assert_same_caches(ours: &Caches, reference: &Caches) {
    let differing: Vec<_> = reference
        .files
        .keys()
        .chain(ours.files.keys())
        .filter(|k| reference.files.get(*k) != ours.files.get(*k))
        .take(5)
        .collect();
    assert!(
        differing.is_empty(),
        "{} vs {} files; differing: {differing:?}",
        reference.files.len(),
        ours.files.len()
    );
    assert_eq!(reference.links, ours.links, "hardlink structure");
}

/// One "libs" tree for every test of this run that only reads it (building
/// one costs a compileall of the whole stdlib at three levels). It lives in
/// Cargo's scratch directory for integration tests and is rebuilt at each run.
pub fn shared_libs_tree() -> &'static Path {
    static TREE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-libs");
        let _ = std::fs::remove_dir_all(&prefix);
        libs_tree_at(&prefix)
    })
}

/// Builds the "libs" tree in the prefix `prefix` with the repository's
/// `scripts/make-libs-tree.sh` (the tree the README's figures are measured on);
/// returns its stdlib directory.
fn libs_tree_at(prefix: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-libs-tree.sh");
    // From `python3`, as everything here runs it: the caller's PYTHON* settings
    // (`$PYTHON`, which would pick another interpreter, among them) removed.
    let out = pyprune_python::clean_command(script.as_os_str())
        .arg(prefix)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "make-libs-tree.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let stdlib = prefix.join("lib").join(format!("python{version}"));
    let printed = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(Path::new(printed.trim()), stdlib, "the stdlib it printed");
    // What it leaves out, what it adds, and that it compiled at every level.
    for gone in ["test", "idlelib", "tkinter", "turtledemo", "turtle.py"] {
        assert!(!stdlib.join(gone).exists(), "{gone} is still there");
    }
    assert!(stdlib.join("site-packages").is_dir());
    let tag = cache_tag();
    for level in ["", ".opt-1", ".opt-2"] {
        let cache = stdlib.join(format!("json/__pycache__/decoder.{tag}{level}.pyc"));
        assert!(cache.is_file(), "no {}", cache.display());
    }
    stdlib
}

/// The interpreter binary behind `python3`.
pub fn python_binary() -> String {
    python_print("import sys; print(sys.executable)")
}

/// The top-level modules that import from the installation at `prefix` (`importable.py`).
pub fn importable(prefix: &Path) -> std::collections::BTreeSet<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/importable.py");
    let out = python3()
        .arg(script)
        .arg(python_binary())
        .arg(prefix)
        .output()
        .expect("importable.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("EXIT"), "{text}");
    text.lines()
        .filter_map(|l| l.strip_prefix("OK "))
        .map(str::to_owned)
        .collect()
}

/// Whether the `minimal` profile removes `module` on purpose (tests, developer tools, PEP 594).
/// Written out here, apart from pyprune's own lists, as what the issue promises.
pub fn removed_by_minimal(module: &str) -> bool {
    module.starts_with("_test")
        || matches!(
            module,
            "aifc"
                | "asynchat"
                | "asyncore"
                | "audioop"
                | "cgi"
                | "cgitb"
                | "chunk"
                | "crypt"
                | "_crypt"
                | "distutils"
                | "doctest"
                | "ensurepip"
                | "imghdr"
                | "imp"
                | "lib2to3"
                | "mailcap"
                | "nis"
                | "nntplib"
                | "ossaudiodev"
                | "pipes"
                | "pydoc_data"
                | "smtpd"
                | "sndhdr"
                | "spwd"
                | "sunau"
                | "telnetlib"
                | "unittest"
                | "uu"
                | "venv"
                | "xdrlib"
                | "_ctypes_test"
                | "_xxtestfuzz"
                | "xxlimited"
                | "xxlimited_35"
        )
}

/// The rows of `pyprune plan --format json ROOT`, which must succeed.
pub fn plan_rows(root: &Path) -> Vec<serde_json::Value> {
    plan_report(root)["rows"].as_array().expect("rows").clone()
}

/// `pyprune plan --format json ROOT`, which must succeed.
pub fn plan_report(root: &Path) -> serde_json::Value {
    let output = pyprune()
        .args(["plan", "--format", "json"])
        .arg(root)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// A plan row's steps (`plan --format json`), in order.
pub fn row_steps(row: &serde_json::Value) -> Vec<&str> {
    row["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s.as_str().expect("step"))
        .collect()
}

/// `pyprune apply ARGS --out OUT TREE --format json`, which must succeed; its report.
pub fn apply_to(tree: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let output = pyprune()
        .arg("apply")
        .args(args)
        .args(["--format", "json", "--out"])
        .arg(out)
        .arg(tree)
        .output()
        .expect("apply");
    assert!(
        output.status.success(),
        "{}: {}\n{}",
        out.display(),
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// The interpreter on the prefix `home`, as a user runs it: site on (so the
/// runtime loads), bytecode writing on, nothing from the caller's environment.
/// It must succeed unless the code raises on purpose.
pub fn python_on(home: &Path, cwd: &Path, flags: &[&str], code: &str) -> (String, String) {
    let output = std::process::Command::new(python_binary())
        .args(["-s", "-P"])
        .args(flags)
        .args(["-c", code])
        .env_clear()
        .env("PYTHONHOME", home)
        .current_dir(cwd)
        .output()
        .expect("python");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        output.status.success() || code.contains("raise"),
        "{}",
        text(&output.stderr)
    );
    (text(&output.stdout), text(&output.stderr))
}

/// What a snapshot test shows of one run: the exit code, stdout and stderr.
pub fn run_shown(output: &Output) -> String {
    format!(
        "exit code: {}\n[stdout]\n{}[stderr]\n{}",
        output
            .status
            .code()
            .map_or_else(|| "none (killed)".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Insta settings that hide what varies by machine and run: the `dirs` given
/// (as `[TMP]`, `[TMP1]`, ...; raw and canonical spellings), temp dirs pyprune
/// makes of its own, the interpreter's path, release, cache tag and magic
/// number, and elapsed times. Sizes are kept: see [`hide_sizes`].
pub fn snapshot_settings(dirs: &[&Path]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let mut literal: Vec<(String, String)> = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        let name = if index == 0 {
            "[TMP]".to_owned()
        } else {
            format!("[TMP{index}]")
        };
        let raw = dir.display().to_string();
        let canonical = dir
            .canonicalize()
            .map_or_else(|_| raw.clone(), |c| c.display().to_string());
        literal.push((canonical, name.clone()));
        literal.push((raw, name));
    }
    let python = python_binary();
    let real = Path::new(&python)
        .canonicalize()
        .map_or_else(|_| python.clone(), |p| p.display().to_string());
    literal.push((real, "[PYTHON]".to_owned()));
    literal.push((python, "[PYTHON]".to_owned()));
    // Longest first, so that no path is cut by a shorter one it contains.
    literal.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
    for (text, name) in &literal {
        settings.add_filter(&regex::escape(text), name.as_str());
    }
    // Scratch directories pyprune's libraries make with tempfile.
    settings.add_filter(r"/[^\s:`']*/\.tmp[A-Za-z0-9]{6}", "[SCRATCH]");
    // Partial output names carry the process id.
    settings.add_filter(r"pyprune-partial-\d+", "pyprune-partial-[PID]");
    let version = python_print("import sys; print('%d.%d.%d' % sys.version_info[:3])");
    let (major_minor, _) = version.rsplit_once('.').expect("X.Y.Z");
    let tag = cache_tag();
    settings.add_filter(&regex::escape(&version), "[VERSION]");
    settings.add_filter(&regex::escape(&tag), "[TAG]");
    settings.add_filter(
        &format!(r"\bpython{}\.zip\b", major_minor.replace('.', "")),
        "python[XY].zip",
    );
    settings.add_filter(
        &format!(r"\bpython{}\b", regex::escape(major_minor)),
        "python[X.Y]",
    );
    settings.add_filter(&format!(r"\b{}\b", regex::escape(major_minor)), "[X.Y]");
    let magic = python_print(
        "import importlib.util as u; print(int.from_bytes(u.MAGIC_NUMBER[:2], 'little'))",
    );
    settings.add_filter(&format!(r"\bmagic {magic}\b"), "magic [MAGIC]");
    settings.add_filter(r"\b\d+\.\d s\b", "[TIME] s");
    settings
}

/// Hides sizes and shares (`12.3 KiB`, `4.5%`) that depend on the interpreter's
/// files, and the padding around them, which moves with their widths.
pub fn hide_sizes(settings: &mut insta::Settings) {
    settings.add_filter(r"-?\b\d+(\.\d)? (B|KiB|MiB|GiB)\b", "[SIZE]");
    settings.add_filter(r"\b\d+\.\d%", "[PCT]");
    settings.add_filter(r"-{3,}", "---");
    settings.add_filter(r" {2,}", " ");
}

/// Runs `pyprune ARGS` and returns its output and a transcript of it for a
/// snapshot: the command line, the exit code, stdout and stderr.
pub fn transcript<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Output, String) {
    let output = pyprune().args(args).output().expect("run pyprune");
    let line: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let shown = format!("$ pyprune {}\n{}", line.join(" "), run_shown(&output));
    (output, shown)
}

/// A bare package directory (no stdlib) at `dir` of real stdlib files: the
/// `json` package (less its tool) and `colorsys`, compiled at all levels with
/// duplicates hardlinked.
pub fn package_tree(dir: &Path) -> PathBuf {
    copy_from_stdlib(
        dir,
        &[
            "json/__init__.py",
            "json/decoder.py",
            "json/encoder.py",
            "json/scanner.py",
            "colorsys.py",
        ],
    );
    compileall_all_levels(dir);
    dir.to_path_buf()
}

/// A tiny standard library at `prefix/lib/python3.X` of a few real stdlib
/// files (`os.py` makes it one) and an empty site-packages, compiled at all
/// levels with duplicates hardlinked; returns the stdlib directory. Too small
/// to run an interpreter on.
pub fn tiny_stdlib(prefix: &Path) -> PathBuf {
    let stdlib = tiny_stdlib_sources(prefix);
    compileall_all_levels(&stdlib);
    stdlib
}

/// [`tiny_stdlib`]'s files without their caches.
pub fn tiny_stdlib_sources(prefix: &Path) -> PathBuf {
    let version = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let stdlib = prefix.join("lib").join(format!("python{version}"));
    copy_from_stdlib(
        &stdlib,
        &[
            "os.py",
            "stat.py",
            "colorsys.py",
            "json/__init__.py",
            "json/decoder.py",
            "json/encoder.py",
            "json/scanner.py",
        ],
    );
    std::fs::create_dir_all(stdlib.join("site-packages")).expect("mkdir");
    stdlib
}

/// A tiny stdlib in `prefix` (see [`tiny_stdlib`]) and its directory name (`python3.X`).
pub fn tiny_prefix(prefix: &Path) -> (PathBuf, String) {
    let stdlib = tiny_stdlib(prefix);
    let release = stdlib
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    (stdlib, release)
}

/// Every path under `root`, directories included (symlinks not followed).
pub fn paths_under(root: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.symlink_metadata().expect("lstat").is_dir() {
                stack.push(path.clone());
            }
            found.insert(path);
        }
    }
    found
}

/// pyenv's interpreter of `version`'s minor release (`3.8.18` finds the
/// newest 3.8 installed) and its stdlib, if installed.
pub fn pyenv_python(version: &str) -> Option<(PathBuf, PathBuf)> {
    crate::pythons::find(version)
        .filter(|found| found.layout == crate::pythons::Layout::Pyenv)
        .map(|found| (found.python, found.stdlib))
}

/// The names of what `dir` holds, sorted (none when it cannot be read).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
