//! The command line itself: help, usage errors, exit codes, colors, broken pipes.

use crate::harness::*;
use std::io::Read as _;
use std::process::Stdio;

#[test]
fn every_command_has_help() {
    for command in [
        "analyze", "inspect", "compile", "dedupe", "plan", "apply", "verify", "undo", "commit",
        "report", "split",
    ] {
        let output = pyprune().args([command, "--help"]).output().expect("run");
        assert!(output.status.success());
        let text = String::from_utf8_lossy(&output.stdout);
        for option in ["--format", "--color", "--quiet", "--verbose", "--python"] {
            assert!(text.contains(option), "{command} --help lacks {option}");
        }
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let output = pyprune()
        .args(["analyze", "--format", "xml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let output = pyprune().arg("frobnicate").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn colors_follow_the_flag_and_no_color() {
    let env = TestEnv::new();
    env.write("m.py", "x = 1\n");
    let run = |args: &[&str], no_color: bool| {
        let mut command = pyprune();
        command.arg("analyze").args(args).arg(env.path());
        if no_color {
            command.env("NO_COLOR", "1");
        }
        String::from_utf8(command.output().expect("run").stdout).expect("utf-8")
    };
    assert!(run(&["--color", "always"], false).contains("\x1b["));
    assert!(!run(&["--color", "never"], false).contains("\x1b["));
    // Not a terminal: no colors unless asked.
    assert!(!run(&[], false).contains("\x1b["));
    assert!(!run(&[], true).contains("\x1b["));
    // An explicit flag wins over NO_COLOR.
    assert!(run(&["--color", "always"], true).contains("\x1b["));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pyprune"))
        .args(["analyze", "--top", "100000"])
        .arg(stdlib())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn plan_predicts_every_step_and_profile() {
    let env = TestEnv::new();
    env.write("m.py", "x = 1\n");
    let output = pyprune().arg("plan").arg(env.path()).output().expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for row in ["drop-caches", "sourceless", "lossless", "fedora-default"] {
        assert!(text.contains(row), "{row} missing:\n{text}");
    }
    // No caches and no --python: the release is unknown, and plan says what that costs.
    assert!(
        stderr(&output).contains("no Python release known"),
        "{}",
        stderr(&output)
    );
    let quiet = pyprune()
        .args(["plan", "-q"])
        .arg(env.path())
        .output()
        .expect("run");
    assert!(quiet.stderr.is_empty(), "-q hides notes");
}
