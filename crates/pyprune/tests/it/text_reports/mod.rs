//! Every text report of the binary as it reads today, as snapshots: each
//! snapshot is a transcript (command line, exit code, stdout, stderr) of runs
//! on small trees of real stdlib files compiled by the real `compileall`.
//! Temp paths, the interpreter and its release are filtered; so are sizes
//! wherever they come from the interpreter's files (with the table padding
//! that moves with them).

mod apply;

use crate::harness::*;
use std::path::Path;

/// Makes `rel` (under `root`) and all its caches gone.
pub(super) fn remove_module(root: &Path, rel: &str) {
    let path = root.join(rel);
    std::fs::remove_file(&path).expect("rm source");
    let stem = path
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let cache = path.parent().expect("parent").join("__pycache__");
    for entry in std::fs::read_dir(&cache).expect("ls __pycache__") {
        let entry = entry.expect("entry");
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{stem}."))
        {
            std::fs::remove_file(entry.path()).expect("rm cache");
        }
    }
}

/// Sets the mtime of `path` to `seconds` since the epoch.
pub(super) fn touch(path: &Path, seconds: u64) {
    assert!(
        std::process::Command::new("touch")
            .arg("-d")
            .arg(format!("@{seconds}"))
            .arg(path)
            .status()
            .expect("touch")
            .success()
    );
}

pub(super) fn sized(dirs: &[&Path]) -> insta::Settings {
    let mut settings = snapshot_settings(dirs);
    hide_sizes(&mut settings);
    settings
}

#[test]
fn analyze_bytecode_list() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let tag = cache_tag();
    // A stale cache: the source changed after compiling (at fixed times, so
    // that the mtimes shown are the same at every run).
    let colorsys = tree.join("colorsys.py");
    touch(&colorsys, 1_700_000_000);
    compileall(&["-f", "-o0", "-o1", "-o2", "--hardlink-dupes"], &colorsys);
    let mut source = std::fs::read(&colorsys).expect("read");
    source.extend_from_slice(b"\n# edited after compiling\n");
    std::fs::write(&colorsys, source).expect("write");
    touch(&colorsys, 1_700_000_100);
    // A cache for another Python (by its tag) with this one's bytes.
    std::fs::copy(
        tree.join(format!("json/__pycache__/scanner.{tag}.pyc")),
        tree.join("json/__pycache__/scanner.cpython-39.pyc"),
    )
    .expect("copy");
    // A leaked build root: compiled as if under /build/root.
    let extra = env.write("tree/extra.py", "VALUE = 1\n");
    compileall(&["-d", "/build/root"], &extra);
    // Unreadable bytecode.
    env.write(
        format!("tree/__pycache__/junk.{tag}.pyc"),
        b"not bytecode at all\n",
    );

    let mut text = String::new();
    for (args, code) in [
        (
            vec![
                "analyze".as_ref(),
                "--bytecode".as_ref(),
                "--list".as_ref(),
                "--top".as_ref(),
                "3".as_ref(),
                tree.as_os_str(),
            ],
            0,
        ),
        (
            vec![
                "analyze".as_ref(),
                "--bytecode".as_ref(),
                "--strict".as_ref(),
                "--top".as_ref(),
                "1".as_ref(),
                tree.as_os_str(),
            ],
            1,
        ),
        (
            vec![
                "analyze".as_ref(),
                "-v".as_ref(),
                "--python".as_ref(),
                "python3".as_ref(),
                "--apparent".as_ref(),
                "--top".as_ref(),
                "2".as_ref(),
                tree.as_os_str(),
            ],
            0,
        ),
    ] {
        let (output, shown) = transcript(&args);
        assert_eq!(output.status.code(), Some(code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("analyze_bytecode_list", text));
}

#[test]
fn inspect_reports() {
    let env = TestEnv::new();
    let source = env.write(
        "pkg/shapes.py",
        "\"\"\"Shapes.\"\"\"\n\n\nclass Square:\n    \"\"\"A square.\"\"\"\n\n    def area(self, side):\n        \"\"\"Its area.\"\"\"\n        return side * side\n\n\ndef scale(values):\n    return [v * 2 for v in values]\n\n\nKEY = lambda item: item[0]\n",
    );
    let hashed = env.write("pkg/hashed.py", "def f():\n    return 1\n");
    // A fixed mtime, so that the timestamp header is the same at every run.
    touch(&source, 1_700_000_000);
    compileall(&["-o0", "-o2"], &source);
    compileall(&["--invalidation-mode", "checked-hash"], &hashed);
    let tag = cache_tag();
    let cache = env.path().join("pkg/__pycache__");
    let opt0 = cache.join(format!("shapes.{tag}.pyc"));
    let opt2 = cache.join(format!("shapes.{tag}.opt-2.pyc"));
    let checked = cache.join(format!("hashed.{tag}.pyc"));

    let mut text = String::new();
    for args in [
        vec!["inspect".as_ref(), opt0.as_os_str(), checked.as_os_str()],
        vec!["inspect".as_ref(), "--objects".as_ref(), opt2.as_os_str()],
    ] {
        let (output, shown) = transcript(&args);
        assert!(output.status.success(), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    // The source changed since: stale.
    std::fs::write(&hashed, "def f():\n    return 2\n").expect("edit");
    let (_, shown) = transcript(&["inspect".as_ref(), checked.as_os_str()]);
    text.push_str(&shown);
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("inspect", text));
}

#[test]
fn inspect_bad_files() {
    let env = TestEnv::new();
    let good = env.write("ok.py", "x = 1\n");
    compileall(&[], &good);
    let real = std::fs::read(
        env.path()
            .join(format!("__pycache__/ok.{}.pyc", cache_tag())),
    )
    .expect("read");
    // A real header, then a marshal type that does not exist.
    let mut bad_marshal = real[..16].to_vec();
    bad_marshal.push(0xff);
    let bad_marshal = env.write("bad_marshal.pyc", bad_marshal);
    // A real header, then a code object cut short.
    let cut = env.write("cut.pyc", &real[..20]);
    let short = env.write("short.pyc", &real[..10]);
    let foreign = env.write("py27.pyc", [0x03, 0xf3, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]);
    let unknown = env.write(
        "unknown.pyc",
        [0x99, 0x99, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    let text_file = env.write("notes.pyc", "hello, this is text\n");
    let missing = env.path().join("missing.pyc");
    let (output, text) = transcript(&[
        "inspect".as_ref(),
        bad_marshal.as_os_str(),
        cut.as_os_str(),
        short.as_os_str(),
        foreign.as_os_str(),
        unknown.as_os_str(),
        text_file.as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{text}");
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("inspect_bad_files", text));
}

#[test]
fn compile_reports() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(
        &tree,
        &["json/__init__.py", "json/decoder.py", "colorsys.py"],
    );
    env.write("tree/broken.py", "def f(:\n");
    let mut text = String::new();
    for args in [
        vec![
            "compile".as_ref(),
            "-o0".as_ref(),
            "-o1".as_ref(),
            "-o2".as_ref(),
            "-j2".as_ref(),
            tree.as_os_str(),
        ],
        vec![
            "compile".as_ref(),
            "-o0".as_ref(),
            "-o1".as_ref(),
            "-o2".as_ref(),
            "-j2".as_ref(),
            tree.as_os_str(),
        ],
        vec![
            "compile".as_ref(),
            "--no-dedupe".as_ref(),
            "--force".as_ref(),
            "--exclude".as_ref(),
            "broken".as_ref(),
            "-o1".as_ref(),
            "-j1".as_ref(),
            tree.as_os_str(),
        ],
    ] {
        let (_, shown) = transcript(&args);
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("compile", text));
}

#[test]
fn dedupe_reports() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(
        &tree,
        &["json/__init__.py", "json/decoder.py", "colorsys.py"],
    );
    // Three levels, no links: the opt-1 caches of modules without asserts are
    // copies of the opt-0 ones.
    compileall(&["-o0", "-o1", "-o2"], &tree);
    let mut text = String::new();
    for args in [
        vec!["dedupe", "--dry-run"],
        vec!["dedupe", "--dry-run", "--scope", "tree"],
        vec!["dedupe"],
        vec!["dedupe"],
    ] {
        let mut args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        args.push(tree.as_os_str());
        let (output, shown) = transcript(&args);
        assert!(output.status.success(), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("dedupe", text));
}

fn kib(n: usize) -> Vec<u8> {
    (0..n * 1024).map(|i| b"abcdefgh"[i % 8]).collect()
}

/// A tree whose sizes the test fixes (multiples of 4 KiB), with no caches and
/// no stdlib: its plan is the same on every machine, table layout included.
#[test]
fn plan_fixed_tree() {
    // On disk: its directories take a block each, which the snapshot shows.
    let env = TestEnv::on_disk();
    env.write("tree/app/__init__.py", kib(8));
    env.write("tree/app/core.py", kib(40));
    env.write("tree/app/tests/test_core.py", kib(12));
    env.write("tree/app/data/table.csv", kib(4));
    env.write("tree/helper.py", kib(4));
    let tree = env.path().join("tree");
    let (output, text) = transcript(&["plan".as_ref(), tree.as_os_str()]);
    assert!(output.status.success(), "{text}");
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .all(|line| line.chars().count() <= 100 || line.starts_with("Plan for ")),
        "fits 100 columns:\n{text}"
    );
    let (output, colored) = transcript(&[
        "plan".as_ref(),
        "-q".as_ref(),
        "--color".as_ref(),
        "always".as_ref(),
        tree.as_os_str(),
    ]);
    assert!(output.status.success(), "{colored}");
    // Colors on: the headings in bold, the rest as without.
    let first = colored.lines().nth(3).expect("a heading");
    let plain = String::from_utf8_lossy(&output.stdout)
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "");
    assert!(text.contains(&plain), "only the headings differ");
    snapshot_settings(&[env.path()]).bind(|| {
        insta::assert_snapshot!("plan_fixed_tree", text);
        insta::assert_snapshot!(
            "plan_fixed_tree_heading_colored",
            first.escape_debug().to_string()
        );
    });
}

/// A stdlib for CPython 3.9 by its caches (fixed sizes, made-up bytecode):
/// `plan` plans its zip steps, and warns that no interpreter here can compile
/// pyprune's runtime for it.
#[test]
fn plan_tree_of_another_release() {
    // On disk: its directories take a block each, which the snapshot shows.
    let env = TestEnv::on_disk();
    assert_ne!(
        cache_tag(),
        "cpython-39",
        "this test needs a python3 other than 3.9"
    );
    env.write("prefix/lib/python3.9/os.py", kib(20));
    env.write(
        "prefix/lib/python3.9/__pycache__/os.cpython-39.pyc",
        kib(12),
    );
    env.write("prefix/lib/python3.9/json/__init__.py", kib(8));
    env.write(
        "prefix/lib/python3.9/json/__pycache__/__init__.cpython-39.pyc",
        kib(4),
    );
    env.write(
        "prefix/lib/python3.9/json/__pycache__/__init__.cpython-39.opt-1.pyc",
        kib(4),
    );
    std::fs::create_dir_all(env.path().join("prefix/lib/python3.9/site-packages")).expect("mkdir");
    let prefix = env.path().join("prefix");
    let (output, text) = transcript(&["plan".as_ref(), prefix.as_os_str()]);
    assert!(output.status.success(), "{text}");
    snapshot_settings(&[env.path()])
        .bind(|| insta::assert_snapshot!("plan_tree_of_another_release", text));
}

/// A small stdlib with caches, described by `--python python3`.
#[test]
fn plan_tiny_stdlib() {
    let env = TestEnv::new();
    let stdlib = tiny_stdlib(&env.path().join("prefix"));
    let (output, text) = transcript(&[
        "plan".as_ref(),
        "--python".as_ref(),
        "python3".as_ref(),
        stdlib.as_os_str(),
    ]);
    assert!(output.status.success(), "{text}");
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("plan_tiny_stdlib", text));
}

#[test]
fn deps_reports() {
    let env = TestEnv::new();
    let stdlib = tiny_stdlib(&env.path().join("prefix"));
    let mut text = String::new();
    for args in [
        vec!["deps"],
        vec!["deps", "--closure", "json"],
        vec!["deps", "--closure", "json", "--hard-only", "--limit", "3"],
        vec!["deps", "--why", "json.scanner"],
        vec!["deps", "--unused"],
        vec!["deps", "--why", "json.scanner", "--format", "dot"],
    ] {
        let mut args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        args.push(stdlib.as_os_str());
        let (output, shown) = transcript(&args);
        assert!(output.status.success(), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("deps", text));
}
