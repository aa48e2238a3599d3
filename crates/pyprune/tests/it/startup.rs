//! Issue 11: pyprune's runtime goes where the tree's interpreter's `site`
//! reads `.pth` files (Debian's dist-packages, a lib64 layout), as `plan`
//! says; an interpreter that cannot say which modules it imports before the
//! runtime loads is one warning, not a failure. That no start of a result
//! writes a cache after `fedora-default` (start-up modules kept and compiled
//! at the levels the interpreter names), and that the runtime loads on
//! Debian's python3.11, is checked on every interpreter of the machine by
//! `version_matrix`.

use crate::harness::{TestEnv, pyenv_python, pyprune, stderr};
use crate::pythons::{find_or_note, reduced_copy};
use std::path::{Path, PathBuf};

/// The `.pth` of `site.getsitepackages([tree])` by `python`, computed here:
/// the first that exists, else the first inside the stdlib directory, else the first.
fn site_reads(python: &Path, tree: &Path, stdlib: &Path) -> PathBuf {
    let code = "import site, sys; print('\\n'.join(site.getsitepackages([sys.argv[1]])))";
    let out = std::process::Command::new(python)
        .env_clear()
        .args(["-I", "-c", code])
        .arg(tree)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", stderr(&out));
    let dirs: Vec<PathBuf> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(PathBuf::from)
        .collect();
    let dir = dirs
        .iter()
        .find(|d| d.is_dir())
        .or_else(|| dirs.iter().find(|d| d.starts_with(stdlib)))
        .or_else(|| dirs.first())
        .expect("site reads a directory");
    dir.strip_prefix(tree)
        .expect("in the tree")
        .join("00-pyprune-runtime.pth")
}

/// What `plan --format json --python PYTHON TREE` says of the runtime.
fn planned_runtime(python: &Path, tree: &Path) -> serde_json::Value {
    let output = pyprune()
        .args(["plan", "--format", "json", "--python"])
        .arg(python)
        .arg(tree)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    report["runtime"].clone()
}

/// A `lib64/python3.X` stdlib (Fedora's layout) cannot be run by a
/// `lib`-built interpreter (it looks for `lib/python3.X`), so what is tested
/// is where `plan` puts the runtime: where the tree's interpreter's site reads
/// `.pth` files under the tree, as the interpreter says. Debian's, on a
/// prefix with a `lib/python3/dist-packages`, is that directory; on the same
/// stdlib alone, its `dist-packages`.
#[test]
fn plan_puts_the_runtime_where_the_interpreters_site_reads_it() {
    let Some((python, stdlib)) = pyenv_python("3.12") else {
        eprintln!("note: pyenv has no Python 3.12: the lib64 test skipped");
        return;
    };
    let env = TestEnv::new();
    let lib64 = env.path().join("fedora");
    let tree_stdlib = lib64.join("lib64/python3.12");
    for file in ["os.py", "stat.py", "colorsys.py"] {
        std::fs::create_dir_all(&tree_stdlib).expect("mkdir");
        std::fs::copy(stdlib.join(file), tree_stdlib.join(file)).expect("copy");
    }
    let runtime = planned_runtime(&python, &lib64);
    assert_eq!(runtime["module"], "lib64/python3.12/pyprune_runtime.py");
    let expected = site_reads(&python, &lib64, &tree_stdlib);
    assert_eq!(runtime["pth"], expected.to_string_lossy().as_ref());
    assert_eq!(runtime["pth_place_asked"], true);

    let debian = Path::new("/usr/bin/python3.11");
    if !debian.is_file() {
        return;
    }
    let prefix = env.path().join("usr");
    let debian_stdlib = prefix.join("lib/python3.11");
    std::fs::create_dir_all(&debian_stdlib).expect("mkdir");
    for file in ["os.py", "stat.py", "colorsys.py"] {
        std::fs::copy(
            Path::new("/usr/lib/python3.11").join(file),
            debian_stdlib.join(file),
        )
        .expect("copy");
    }
    std::fs::create_dir_all(prefix.join("lib/python3/dist-packages")).expect("mkdir");
    let runtime = planned_runtime(debian, &prefix);
    let expected = site_reads(debian, &prefix, &debian_stdlib);
    assert_eq!(
        expected,
        Path::new("lib/python3/dist-packages/00-pyprune-runtime.pth")
    );
    assert_eq!(runtime["pth"], expected.to_string_lossy().as_ref());
    let alone = planned_runtime(debian, &debian_stdlib);
    assert_eq!(alone["module"], "pyprune_runtime.py");
    assert_eq!(alone["pth"], "dist-packages/00-pyprune-runtime.pth");
}

/// An interpreter that cannot say what it imports at start (its `site`
/// planted to fail when imported after `-S`, as the question imports it;
/// discovery, which runs site as usual, still works; 3.10, whose site is not
/// frozen) gets a warning naming it
/// and why, and the plan goes on with the `encodings` modules assumed.
#[test]
fn an_interpreter_that_cannot_say_is_a_warning_not_a_failure() {
    let Some(installed) = find_or_note("3.10", "the start-up question's fault test") else {
        return;
    };
    let env = TestEnv::new();
    let reduced = reduced_copy(&installed, &env.path().join("usr/local"), &[]);
    let (copy, prefix) = (reduced.python, reduced.prefix);
    let site = prefix.join("lib/python3.10/site.py");
    let mut text = std::fs::read_to_string(&site).expect("site.py");
    text.push_str("\nif sys.flags.no_site:\n    raise RuntimeError('planted fault')\n");
    std::fs::write(&site, text).expect("plant");
    let output = pyprune()
        .args(["plan", "--format", "json", "--python"])
        .arg(&copy)
        .arg(&prefix)
        .output()
        .expect("plan");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "`{}` did not say which modules it imports at start",
            copy.display()
        )) && err.contains("planted fault"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let fedora = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "fedora-default")
        .expect("fedora-default");
    // Not asked again at the other levels, nor for each row: said once.
    assert_eq!(err.matches("did not say").count(), 1, "{err}");
    assert!(fedora["disk_bytes"].as_u64().is_some());
}
