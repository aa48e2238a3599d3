//! Progress: every long phase names itself on stderr while it runs, never on
//! stdout, hidden by `-q` and when stderr is not a terminal. The tests have
//! no terminal: `PYPRUNE_PROGRESS=lines` makes the printer write one
//! `progress: STAGE` line per stage instead of its spinner, through the same
//! tallies, so what they see is what a terminal would be shown.

use crate::harness::*;
use std::path::Path;
use std::process::Output;

/// `pyprune ARGS` with progress forced on as lines (or not); must succeed.
fn run(args: &[&std::ffi::OsStr], forced: bool) -> Output {
    let mut command = pyprune();
    command.args(args);
    if forced {
        command.env("PYPRUNE_PROGRESS", "lines");
    } else {
        command.env_remove("PYPRUNE_PROGRESS");
    }
    let output = command.output().expect("pyprune");
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

/// The stages shown, in order.
fn stages(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("progress: "))
        .map(str::to_owned)
        .collect()
}

/// Stdout is the JSON report alone.
fn assert_clean_json(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("progress"), "{stdout}");
    serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("stdout is the JSON alone");
}

fn os(text: &str) -> &std::ffi::OsStr {
    text.as_ref()
}

#[test]
fn long_phases_name_themselves_on_stderr_only_and_quiet_hides_them() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let plan = [os("plan"), os("--format"), os("json"), tree.as_os_str()];

    let shown = run(&plan, true);
    assert_clean_json(&shown);
    assert_eq!(stages(&shown), ["entries scanned", "plan rows done"]);
    // -q hides it, forced or not; so does a stderr that is not a terminal.
    let quiet = [&[os("-q")][..], &plan].concat();
    assert_eq!(stages(&run(&quiet, true)), Vec::<String>::new());
    let piped = run(&plan, false);
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
    assert_eq!(piped.stdout, shown.stdout);

    // apply --out: the walk, the copy, the steps, verify.
    let out = env.path().join("out");
    let apply = [
        os("apply"),
        os("--steps"),
        os("drop-opt2"),
        os("--format"),
        os("json"),
        os("--out"),
        out.as_os_str(),
        tree.as_os_str(),
    ];
    let applied = run(&apply, true);
    assert_clean_json(&applied);
    let seen = stages(&applied);
    for phase in [
        "entries scanned",
        "files copied",
        "steps run on the copy, actions done",
    ] {
        assert!(seen.iter().any(|s| s == phase), "{phase} not in {seen:?}");
    }
    assert!(seen.iter().any(|s| s.starts_with("verify, ")), "{seen:?}");

    // compile: its sources.
    let compiled = run(
        &[
            os("compile"),
            os("--format"),
            os("json"),
            Path::new(&out).as_os_str(),
        ],
        true,
    );
    assert_clean_json(&compiled);

    // apply --in-place: the walk, the steps worked out, the journaled change.
    let in_place = run(
        &[
            os("apply"),
            os("--in-place"),
            os("--steps"),
            os("drop-opt2"),
            os("--no-verify"),
            os("--format"),
            os("json"),
            out.as_os_str(),
        ],
        true,
    );
    assert_clean_json(&in_place);
    assert_eq!(
        stages(&in_place),
        [
            "entries scanned",
            "working out the steps' actions",
            "changing the tree, journaled"
        ]
    );
    assert!(
        stages(&compiled).iter().any(|s| s == "sources done"),
        "{:?}",
        stages(&compiled)
    );
}
