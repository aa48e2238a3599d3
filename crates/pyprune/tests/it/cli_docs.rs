//! `pyprune completions SHELL` and `pyprune man`: each script is parsed by
//! its own shell (bash -n, zsh -n, fish --no-execute) and then asked to
//! complete a command line, the way a user's shell would; the page is
//! rendered by man-db's `man -l` and checked by groff's warnings. Each
//! parser is shown to refuse a script cut in half, so the check can fail.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

fn generated(args: &[&str]) -> String {
    let output = pyprune().args(args).output().expect("run pyprune");
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Runs `shell` with `args` and returns its stdout, or its stderr as the error.
fn run_shell(shell: &str, args: &[&std::ffi::OsStr]) -> Result<String, String> {
    let output = Command::new(shell)
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {shell} (scripts/install-test-deps.sh installs it): {e}")
        });
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{shell} {:?} exited with {}: {}",
            args,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Whether `shell`'s parser accepts the script at `path`.
fn parses(shell: &str, path: &Path) -> Result<String, String> {
    let check = match shell {
        "fish" => "--no-execute",
        _ => "-n",
    };
    run_shell(shell, &[check.as_ref(), path.as_os_str()])
}

#[test]
fn completion_scripts_parse_and_complete_in_their_shells() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = generated(&["completions", shell]);
        let path = env.write(format!("pyprune.{shell}"), &script);
        parses(shell, &path).unwrap_or_else(|e| panic!("{e}\n{script}"));
        // The check can fail: the same script cut in half at a line's end, an
        // unterminated quote after it, is refused. (Cut anywhere alone, fish
        // accepted the half whose cut fell between two whole `complete` lines.)
        let cut = script[..script.len() / 2]
            .rfind('\n')
            .map_or(0, |at| at + 1);
        let half = env.write(format!("half.{shell}"), format!("{}'\n", &script[..cut]));
        assert!(
            parses(shell, &half).is_err(),
            "{shell} accepted half a script"
        );
    }

    // bash completes as the shell would on `pyprune pl<TAB>` and
    // `pyprune report --h<TAB>`, through the function the script registers.
    let bash_script = env.path().join("pyprune.bash");
    let complete = |words: &str| {
        let code = format!(
            "source '{}'; complete -p pyprune >/dev/null || exit 3; \
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             _pyprune pyprune \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            bash_script.display()
        );
        run_shell("bash", &["--norc".as_ref(), "-c".as_ref(), code.as_ref()])
            .expect("bash completes")
    };
    let offered = complete("pyprune pl");
    assert_eq!(offered.trim(), "plan", "{offered}");
    let offered = complete("pyprune report --h");
    let offered: Vec<&str> = offered.split_whitespace().collect();
    assert!(offered.contains(&"--html"), "{offered:?}");

    // fish lists what it would offer for a command line.
    let fish_script = env.path().join("pyprune.fish");
    let offered = |line: &str| {
        let code = format!("source '{}'; complete -C'{line}'", fish_script.display());
        let said = run_shell("fish", &["-c".as_ref(), code.as_ref()]).expect("fish completes");
        said.lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_owned())
            .collect::<Vec<String>>()
    };
    assert_eq!(offered("pyprune pl"), ["plan"]);
    assert_eq!(offered("pyprune report --h"), ["--help", "--html"]);
}

/// `text` without man's overstrikes (`X\bX` bold, `_\bX` underlined).
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn man_pages_render_without_warnings() {
    let env = TestEnv::new();
    for (args, must_say) in [
        (
            vec!["man"],
            vec!["pyprune", "report", "completions", "--format"],
        ),
        (
            vec!["man", "plan"],
            vec!["pyprune-plan", "--measure-import"],
        ),
    ] {
        let page = env.write("page.1", generated(&args));
        // groff's own check of the roff: no warning at all (-ww).
        let groff = Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff");
        assert!(
            groff.status.success() && groff.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&groff.stderr)
        );
        let shown = Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANWIDTH", "80")
            .env("PAGER", "cat")
            .output()
            .expect("man");
        let text = plain(&String::from_utf8_lossy(&shown.stdout));
        assert!(shown.status.success(), "{}", stderr(&shown));
        for word in must_say {
            assert!(text.contains(word), "{args:?}: no {word:?} in\n{text}");
        }
    }
    // A command that does not exist is a usage error naming the commands.
    let output = pyprune().args(["man", "nosuch"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no command `nosuch`"),
        "{}",
        stderr(&output)
    );
    let output = pyprune()
        .args(["completions", "bash", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
