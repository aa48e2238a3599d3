//! Issue 14, point 4: importing a module a step removed raises
//! `ModuleNotFoundError` saying so, by which step and how to get it back,
//! while everything else about imports stays as CPython has it. Reduced
//! copies of pyenv's 3.8, 3.12 and 3.13 (its 3.11 carries a
//! site-packages whose imports keep tkinter) (tkinter and unittest with what
//! they import), given `exclude-idle-tk` and `exclude-tests` with `--out`
//! (and verified: `apply` fails otherwise), then run by their own binary:
//!
//! - `import tkinter` (and `importlib.import_module`, a submodule) raise
//!   `ModuleNotFoundError` with `.name` set and the message, the
//!   distributor's where one was given (by the option, by a profile file);
//! - `importlib.util.find_spec` of the removed module is `None`, of a
//!   present one a spec; `try: import tkinter except ImportError` falls back;
//!   a module that never existed gets CPython's plain message;
//! - the finder is the last of `sys.meta_path`, and a start that imports
//!   nothing missing has not read the list;
//! - with the list corrupt, then gone, the plain message, never a crash.

use crate::harness::{TestEnv, pyprune, stderr};
use crate::pythons::{find_or_note, reduced_copy};
use pyprune_steps::{REMOVED_FILE, StepName, error_message};
use std::path::Path;

/// tkinter (with `_tkinter`) for exclude-idle-tk; unittest, whose `test`
/// package exclude-tests removes, only where the release has it (before
/// 3.12): a smaller copy is quicker to compile and verify.
fn wanted(minor: u32) -> &'static [&'static str] {
    if minor < 12 {
        &["tkinter", "unittest"]
    } else {
        &["tkinter"]
    }
}

/// What the checks print, one `key: value` line each.
const CHECKS: &str = r#"
import importlib, importlib.util, sys
finder = [f for f in sys.meta_path if getattr(f, "__name__", "") == "RemovedModules"]
print("last:", bool(finder) and sys.meta_path[-1] is finder[0])
print("unread at start:", bool(finder) and finder[0]._table is None)
print("find_spec removed:", importlib.util.find_spec("tkinter"))
print("find_spec present:", importlib.util.find_spec("json").name)
def attempt(key, how):
    try:
        how()
    except ImportError as error:
        print(key + ":", type(error).__name__, error.name, "|", error)
    else:
        print(key + ": imported")
attempt("import", lambda: __import__("tkinter"))
attempt("import_module", lambda: importlib.import_module("tkinter.ttk"))
attempt("never", lambda: __import__("no_such_module_ever"))
if sys.version_info < (3, 12):
    attempt("submodule", lambda: importlib.import_module("unittest.test"))
try:
    import tkinter
except ImportError:
    tkinter = None
print("fallback:", tkinter)
"#;

/// How a run names the distributor's message.
enum Message {
    None,
    Option(&'static str),
    ProfileFile(&'static str),
}

fn removed_modules_explained(version: &str, message: Message) {
    let Some(installed) = find_or_note(version, "removed_modules") else {
        return;
    };
    let minor: u32 = installed.short[2..].parse().expect("3.X");
    let env = TestEnv::new();
    let reduced = reduced_copy(&installed, &env.path().join("input"), wanted(minor));
    assert!(
        reduced.modules.iter().any(|m| m == "tkinter"),
        "{}: the copy has no tkinter",
        installed.label
    );
    let out = env.path().join("out");
    let mut apply = pyprune();
    apply.args(["apply", "--format", "json", "--out"]).arg(&out);
    let given = match message {
        Message::None => {
            apply.args(["--steps", "exclude-idle-tk,exclude-tests"]);
            None
        }
        Message::Option(text) => {
            apply.args(["--steps", "exclude-idle-tk,exclude-tests"]);
            apply.args(["--missing-module-message", text]);
            Some(text)
        }
        Message::ProfileFile(text) => {
            let config = env.write(
                "profiles.toml",
                format!(
                    "[profile.slim]\nsteps = [\"exclude-idle-tk\", \"exclude-tests\"]\n\
                     missing-module-message = {text:?}\n"
                ),
            );
            apply.args(["--profile", "slim", "--config"]).arg(config);
            Some(text)
        }
    };
    let output = apply.arg(&reduced.prefix).output().expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    let python = out.join(
        reduced
            .python
            .strip_prefix(&reduced.prefix)
            .expect("inside"),
    );
    let stdlib = out.join(
        reduced
            .stdlib
            .strip_prefix(&reduced.prefix)
            .expect("inside"),
    );
    assert!(
        !stdlib.join("tkinter").exists(),
        "{}: tkinter was not removed: {}",
        installed.label,
        String::from_utf8_lossy(&output.stdout)
    );
    let cwd = env.path();

    let shown =
        |key: &str, kind: &str, name: &str, text: &str| format!("{key}: {kind} {name} | {text}");
    let explained = |name: &str, step: StepName| {
        let text = error_message(name, step, given);
        // The runtime's text and pyprune's agree, and say what the issue asks.
        assert!(
            text.contains("removed from this Python installation"),
            "{text}"
        );
        assert!(text.contains(step.info().id), "{text}");
        if let Some(given) = given {
            assert!(text.ends_with(given), "{text}");
        }
        text
    };
    let tk = explained("tkinter", StepName::ExcludeIdleTk);
    let mut expected = vec![
        "last: True".to_owned(),
        "unread at start: True".to_owned(),
        "find_spec removed: None".to_owned(),
        "find_spec present: json".to_owned(),
        shown("import", "ModuleNotFoundError", "tkinter", &tk),
        shown("import_module", "ModuleNotFoundError", "tkinter", &tk),
        shown(
            "never",
            "ModuleNotFoundError",
            "no_such_module_ever",
            "No module named 'no_such_module_ever'",
        ),
    ];
    if minor < 12 {
        let ut = explained("unittest.test", StepName::ExcludeTests);
        expected.push(shown(
            "submodule",
            "ModuleNotFoundError",
            "unittest.test",
            &ut,
        ));
    }
    expected.push("fallback: None".to_owned());
    assert_eq!(run(&python, cwd), expected, "{}", installed.label);

    // A list that cannot be read as one, then none at all: CPython's own message.
    let plain = shown(
        "import",
        "ModuleNotFoundError",
        "tkinter",
        "No module named 'tkinter'",
    );
    let list = stdlib.join(REMOVED_FILE);
    assert!(list.is_file(), "no {}", list.display());
    std::fs::write(&list, b"\xff\xfe\x00garbage\nno tab here\n").expect("corrupt the list");
    assert!(run(&python, cwd).contains(&plain), "{}", installed.label);
    std::fs::remove_file(&list).expect("remove the list");
    assert!(run(&python, cwd).contains(&plain), "{}", installed.label);
}

/// [`CHECKS`] run by `python` as users run it (site on, the user's site too,
/// in an empty base of the test's: site then tries `usercustomize`, which
/// fails at every start); its lines.
fn run(python: &Path, cwd: &Path) -> Vec<String> {
    let output = std::process::Command::new(python)
        .args(["-c", CHECKS])
        .env_clear()
        .env("PYTHONUSERBASE", cwd.join("no-user-base"))
        .current_dir(cwd)
        .output()
        .expect("python");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn on_3_8_with_pyprunes_own_message() {
    removed_modules_explained("3.8", Message::None);
}

#[test]
fn on_3_12_with_a_profile_files_message() {
    removed_modules_explained(
        "3.12",
        Message::ProfileFile("Install the python3-tk package: apt-get install python3-tk."),
    );
}

#[test]
fn on_3_13_with_the_distributors_message() {
    removed_modules_explained(
        "3.13",
        Message::Option("Ask your distributor for the full Python."),
    );
}
