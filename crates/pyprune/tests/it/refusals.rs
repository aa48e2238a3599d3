//! Every refusal and error message of the binary as it reads today, as
//! snapshots of the command line, exit code, stdout and stderr. Each refusal
//! comes before anything is written: the tests check that too where a tree
//! could have been changed.

use crate::harness::*;
use std::ffi::OsStr;
use std::path::Path;

/// Runs each command line, checks its exit code, and appends its transcript.
fn transcripts(runs: &[(Vec<&OsStr>, i32)]) -> String {
    let mut text = String::new();
    for (args, code) in runs {
        let (output, shown) = transcript(args);
        assert_eq!(output.status.code(), Some(*code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    text
}

fn os(text: &str) -> &OsStr {
    OsStr::new(text)
}

/// Every file under `root` with its bytes, to show a refusal changed nothing.
fn contents(root: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut all = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("ls") {
            let path = entry.expect("entry").path();
            let kind = path.symlink_metadata().expect("lstat").file_type();
            if kind.is_dir() {
                all.insert(path.clone(), Vec::new());
                stack.push(path);
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                all.insert(path, target.into_os_string().into_encoded_bytes());
            } else {
                all.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    all
}

/// What `apply` refuses about its command line and the steps asked.
#[test]
fn apply_refuses_bad_requests() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let before = contents(env.path());
    let out = env.path().join("out");
    let existing = env.path().join("tree");
    let t = tree.as_os_str();
    let text = transcripts(&[
        (
            vec![
                os("apply"),
                os("--steps"),
                os("compress-pycs"),
                os("--out"),
                out.as_os_str(),
                t,
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("drop-opt2,compress-pycs"),
                os("--in-place"),
                t,
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("lossless"),
                os("--out"),
                existing.as_os_str(),
                t,
            ],
            2,
        ),
        (vec![os("apply"), os("--profile"), os("lossless"), t], 2),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("tiny"),
                os("--out"),
                out.as_os_str(),
                t,
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("drop-opt2,shrink"),
                os("--out"),
                out.as_os_str(),
                t,
            ],
            2,
        ),
        (vec![os("apply"), os("--out"), out.as_os_str(), t], 2),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("lossless"),
                os("--steps"),
                os("drop-opt2"),
                os("--out"),
                out.as_os_str(),
                t,
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("lossless"),
                os("--out"),
                out.as_os_str(),
                os("--in-place"),
                t,
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("lossless"),
                os("--commit"),
                os("--no-verify"),
                os("--out"),
                out.as_os_str(),
                t,
            ],
            // `--commit` does nothing with `--out`: a usage error naming both.
            2,
        ),
    ]);
    assert!(!out.exists(), "nothing written");
    assert_eq!(contents(env.path()), before, "nothing changed");
    // The copy's size is the interpreter's files'.
    let mut settings = snapshot_settings(&[env.path()]);
    hide_sizes(&mut settings);
    settings.bind(|| insta::assert_snapshot!("apply_requests", text));
}

/// Profile files refused by `apply`, `plan` and `verify`.
#[test]
fn config_files_refused() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/m.py", "x = 1\n");
    let out = env.path().join("out");
    let builtin = env.write(
        "builtin.toml",
        "[profile.lossless]\nsteps = [\"drop-opt2\"]\n",
    );
    let syntax = env.write("syntax.toml", "[profile.slim\nsteps = [\"drop-opt2\"]\n");
    let unknown_key = env.write(
        "unknown_key.toml",
        "[profile.slim]\nsteps = [\"drop-opt2\"]\nsize = 3\n",
    );
    let option = env.write(
        "option.toml",
        "[profile.slim]\nsteps = [{ step = \"drop-opt2\", sources = true }]\n",
    );
    let compression = env.write(
        "compression.toml",
        "[profile.slim]\nsteps = [{ step = \"zip-stdlib\", compression = \"xz\" }]\n",
    );
    let unknown_step = env.write(
        "unknown_step.toml",
        "[profile.slim]\nsteps = [\"shrink\"]\n",
    );
    let empty = env.write("empty.toml", "[profile.slim]\nsteps = []\n");
    let missing = env.path().join("missing.toml");
    let mut runs = Vec::new();
    for config in [
        &builtin,
        &syntax,
        &unknown_key,
        &option,
        &compression,
        &unknown_step,
        &empty,
        &missing,
    ] {
        runs.push((
            vec![
                os("apply"),
                os("--profile"),
                os("slim"),
                os("--config"),
                config.as_os_str(),
                os("--out"),
                out.as_os_str(),
                tree.as_os_str(),
            ],
            2,
        ));
    }
    runs.push((
        vec![
            os("plan"),
            os("--config"),
            syntax.as_os_str(),
            tree.as_os_str(),
        ],
        2,
    ));
    runs.push((
        vec![
            os("verify"),
            os("--profile"),
            os("slim"),
            os("--config"),
            builtin.as_os_str(),
            tree.as_os_str(),
        ],
        2,
    ));
    runs.push((
        vec![os("verify"), os("--profile"), os("tiny"), tree.as_os_str()],
        2,
    ));
    runs.push((
        vec![os("verify"), os("--steps"), os("shrink"), tree.as_os_str()],
        2,
    ));
    let text = transcripts(&runs);
    assert!(!out.exists(), "nothing written");
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("config_files", text));
}

/// Steps that need pyprune's runtime, and zip steps in place, where they cannot go.
#[test]
fn steps_refused_by_the_tree() {
    let env = TestEnv::new();
    // A bare package directory: no stdlib for the runtime.
    let bare = package_tree(&env.path().join("bare"));
    // A stdlib directory (it has os.py) with no caches, in no prefix: no release known.
    let unknown = env.path().join("unknown");
    copy_from_stdlib(&unknown, &["os.py", "stat.py"]);
    // A stdlib directory named directly, PREFIX/lib/python3.X: the zip goes beside it.
    let stdlib = tiny_stdlib(&env.path().join("prefix"));
    let before = contents(env.path());
    let out = env.path().join("out");
    let text = transcripts(&[
        (
            vec![
                os("apply"),
                os("--steps"),
                os("drop-caches,no-write-marker,cache-fallback"),
                os("--out"),
                out.as_os_str(),
                bare.as_os_str(),
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("sources-compressed"),
                os("--in-place"),
                bare.as_os_str(),
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("no-write-marker"),
                os("--out"),
                out.as_os_str(),
                unknown.as_os_str(),
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("zip-stdlib"),
                os("--in-place"),
                stdlib.as_os_str(),
            ],
            2,
        ),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("full-zip"),
                os("--in-place"),
                os("--python"),
                os("python3"),
                stdlib.as_os_str(),
            ],
            2,
        ),
    ]);
    assert!(!out.exists(), "nothing written");
    assert_eq!(contents(env.path()), before, "nothing changed");
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("steps_refused", text));
}

/// `undo` and `commit` with no journal, or a journal that cannot be read.
#[test]
fn journal_refusals() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/m.py", "x = 1\n");
    let corrupt = env.path().join("corrupt");
    env.write("corrupt/m.py", "x = 1\n");
    // A line of the journal's shape with an operation it never writes.
    env.write("corrupt/.pyprune-journal/log", "1\tfrobnicate\t6d2e7079\n");
    // A path that is not hex.
    let bad_path = env.path().join("bad_path");
    env.write("bad_path/m.py", "x = 1\n");
    env.write("bad_path/.pyprune-journal/log", "1\tremove\tnot-hex\n");
    let text = transcripts(&[
        (vec![os("undo"), tree.as_os_str()], 2),
        (vec![os("commit"), tree.as_os_str()], 2),
        (vec![os("undo"), corrupt.as_os_str()], 2),
        (vec![os("undo"), bad_path.as_os_str()], 2),
    ]);
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("journal", text));
}

/// No interpreter where one is needed, and other failures before any work.
#[test]
fn interpreter_and_input_refusals() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/m.py", "x = 1\n");
    let missing = env.path().join("missing");
    let nowhere = os("/nonexistent/python3");
    let t = tree.as_os_str();
    let mut text = transcripts(&[
        (vec![os("verify"), os("--python"), nowhere, t], 2),
        (vec![os("verify"), os("--python"), nowhere], 2),
        (vec![os("analyze"), os("--python"), nowhere, t], 2),
        (vec![os("plan"), os("--python"), nowhere], 2),
        (vec![os("compile"), os("--python"), nowhere, t], 2),
        (vec![os("dedupe"), os("--python"), nowhere], 2),
        (vec![os("undo"), os("--python"), nowhere], 2),
        (vec![os("commit"), os("--python"), nowhere], 2),
        (
            vec![
                os("apply"),
                os("--profile"),
                os("lossless"),
                os("--in-place"),
                os("--python"),
                nowhere,
                t,
            ],
            2,
        ),
        (vec![os("compile"), os("--exclude"), os("(unclosed"), t], 2),
        (vec![os("compile"), os("-o"), os("3"), t], 2),
        (vec![os("analyze"), missing.as_os_str()], 2),
        (vec![os("plan"), missing.as_os_str()], 2),
        (vec![os("dedupe"), missing.as_os_str()], 2),
        (vec![os("analyze"), os("--format"), os("xml"), t], 2),
        (vec![os("analyze"), os("--format"), os("dot"), t], 2),
        (
            vec![os("deps"), os("--closure"), os("no_such_module"), t],
            2,
        ),
        (vec![os("inspect")], 2),
        (vec![os("frobnicate")], 2),
    ]);
    // No `python3` on PATH: verify names the one it looked for.
    let output = pyprune()
        .env("PATH", env.path().join("empty-path"))
        .args([os("verify"), t])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    text.push_str(&format!(
        "$ PATH=[TMP]/empty-path pyprune verify {}\n{}",
        tree.display(),
        run_shown(&output)
    ));
    snapshot_settings(&[env.path()])
        .bind(|| insta::assert_snapshot!("interpreter_and_input", text));
}

/// Requests that could destroy by accident, or that ask for what does
/// nothing: each refused before anything changes, saying why and what to do.
#[test]
fn unsafe_requests_refused() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/m.py", "x = 1\n");
    let t = tree.as_os_str();
    let out = env.path().join("out");
    let inside = tree.join("sub/out");
    // A link to the tree: --out through it is inside the tree all the same.
    let link = env.path().join("link");
    std::os::unix::fs::symlink(&tree, &link).expect("symlink");
    let through_link = link.join("out");
    // An earlier in-place change, not committed: its journal must stay as it is.
    let journaled = env.path().join("journaled");
    env.write("journaled/m.py", "x = 1\n");
    env.write("journaled/.pyprune-journal/log", "");
    fn with<'a>(extra: &[&'a OsStr]) -> Vec<&'a OsStr> {
        [&[os("apply"), os("--profile"), os("lossless")], extra].concat()
    }
    let before = contents(env.path());
    let text = transcripts(&[
        // No PATH: the default interpreter's own standard library would
        // change. (An interpreter that does not exist is named, so that a
        // binary that let this through could change no real one.)
        (
            with(&[os("--in-place"), os("--python"), os("/nonexistent/python3")]),
            2,
        ),
        (with(&[os("--out"), inside.as_os_str(), t]), 2),
        (with(&[os("--out"), through_link.as_os_str(), t]), 2),
        (with(&[os("--out"), env.path().as_os_str(), t]), 2),
        (
            with(&[os("--in-place"), os("--no-verify"), journaled.as_os_str()]),
            2,
        ),
        (with(&[os("--yes"), os("--out"), out.as_os_str(), t]), 2),
        (
            with(&[
                os("--no-verify"),
                os("--timeout"),
                os("5"),
                os("--in-place"),
                t,
            ]),
            2,
        ),
        (
            with(&[os("--no-verify"), os("-j"), os("2"), os("--in-place"), t]),
            2,
        ),
        (
            vec![
                os("apply"),
                os("--steps"),
                os("drop-opt2"),
                os("--config"),
                os("x.toml"),
                os("--in-place"),
                t,
            ],
            2,
        ),
        (vec![os("plan"), os("--runs"), os("3"), t], 2),
        (
            vec![
                os("verify"),
                os("--steps"),
                os("drop-opt2"),
                os("--config"),
                os("x.toml"),
                t,
            ],
            2,
        ),
        (vec![os("verify"), os("--config"), os("x.toml"), t], 2),
    ]);
    assert!(!out.exists(), "nothing written");
    assert_eq!(contents(env.path()), before, "nothing changed");
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("unsafe_requests", text));
}

/// `apply --in-place` on a tree an interpreter of this system runs from (a
/// venv made for the test, its `python3` first on PATH or named by
/// --python) needs `--yes`; a tree it does not run from does not.
#[test]
fn in_place_on_a_live_interpreter_needs_yes() {
    let env = TestEnv::new();
    let venv = env.path().join("venv");
    let made = python3()
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .expect("venv");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let site = python_print(
        "import sysconfig; print(sysconfig.get_path('purelib', vars={'base': 'X', 'platbase': 'X'}))",
    );
    let site_packages = venv.join(Path::new(&site).strip_prefix("X").expect("under base"));
    assert!(site_packages.is_dir(), "{}", site_packages.display());
    let path = std::env::join_paths(std::iter::once(venv.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let venv_python = venv.join("bin/python3");
    let other = env.path().join("other");
    env.write("other/m.py", "x = 1\n");
    let before = contents(env.path());
    let mut text = String::new();
    let mut run = |args: &[&OsStr], code: i32| {
        let output = pyprune()
            .env("PATH", &path)
            .args(args)
            .output()
            .expect("run");
        let line: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let shown = format!(
            "$ PATH=[TMP]/venv/bin:$PATH pyprune {}\n{}",
            line.join(" "),
            run_shown(&output)
        );
        assert_eq!(output.status.code(), Some(code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    };
    fn args<'a>(extra: &[&'a OsStr]) -> Vec<&'a OsStr> {
        let apply = [
            os("apply"),
            os("--steps"),
            os("drop-opt2"),
            os("--no-verify"),
            os("--in-place"),
        ];
        [&apply[..], extra].concat()
    }
    // The default interpreter (the venv's python3, first on PATH): its prefix, its site-packages.
    run(&args(&[venv.as_os_str()]), 2);
    run(&args(&[site_packages.as_os_str()]), 2);
    // Named by --python, with PATH's python3 the venv's still.
    run(
        &args(&[os("--python"), venv_python.as_os_str(), venv.as_os_str()]),
        2,
    );
    assert_eq!(contents(env.path()), before, "nothing changed");
    // Not a tree it runs from: no --yes needed; with --yes, the venv too.
    run(&args(&[os("--commit"), other.as_os_str()]), 0);
    run(&args(&[os("--yes"), os("--commit"), venv.as_os_str()]), 0);
    let mut settings = snapshot_settings(&[env.path()]);
    hide_sizes(&mut settings);
    settings.bind(|| insta::assert_snapshot!("live_interpreter", text));
}
