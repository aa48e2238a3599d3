//! Venvs of other releases than the tests' wheels are pinned for, made by
//! each interpreter's own `venv`: profiles applied with `--out` and verified
//! by the result's own interpreter. Every RECORD left is true of the disk,
//! as `importlib.metadata` reads it.

use crate::harness::*;
use crate::pythons::find_or_note;
use crate::venvs::{site_packages, wheelhouse};
use std::path::Path;

/// The venv's own interpreter, isolated from the caller's environment.
fn run(venv: &Path, code: &str) -> std::process::Output {
    pyprune_python::clean_command(venv.join("bin/python").as_os_str())
        .args(["-B", "-c", code])
        .output()
        .expect("python")
}

/// What `importlib.metadata` finds of the venv's distributions, and every
/// RECORD row (with a hash) that does not match the disk.
const RECORDS: &str = r#"
import base64, hashlib, sys
from importlib import metadata
names, wrong = [], []
for dist in metadata.distributions(path=sys.path[1:]):
    names.append(dist.metadata["Name"])
    for f in dist.files or []:
        if f.hash is None:
            continue
        path = dist.locate_file(f)
        try:
            data = open(path, "rb").read()
        except OSError:
            wrong.append(str(f)); continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if digest != f.hash.value:
            wrong.append(str(f))
print(sorted(names), wrong)
"#;

/// `python -m venv DIR` of `python`; without pip, `wheel` is installed
/// by the machine's pip (`--python`).
fn venv_of(python: &Path, dir: &Path, wheel: Option<&str>) {
    let mut command = std::process::Command::new(python);
    command.args(["-m", "venv"]);
    if wheel.is_some() {
        command.arg("--without-pip");
    }
    let made = command.arg(dir).output().expect("venv");
    assert!(made.status.success(), "{}", stderr(&made));
    if let Some(wheel) = wheel {
        let pip = python3()
            .args(["-m", "pip", "--disable-pip-version-check", "--python"])
            .arg(dir.join("bin/python"))
            .args(["install", "--quiet", "--no-index", "--find-links"])
            .arg(wheelhouse())
            .arg(wheel)
            .output()
            .expect("pip");
        assert!(pip.status.success(), "{}", stderr(&pip));
    }
}

/// The summary of verify's check `name` in an apply report.
fn check<'r>(report: &'r serde_json::Value, name: &str) -> &'r serde_json::Value {
    report["verify"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .expect("the check ran")
}

/// 3.8's venv holds pip and setuptools alone: `container` uninstalls them,
/// and the result is a venv that starts, with its site-packages holding only
/// pyprune's runtime (whose error for `import pip` names the step), no
/// script of theirs and no RECORD of theirs.
#[test]
fn container_empties_a_venv_of_installers_alone() {
    let env = TestEnv::new();
    let Some(installed) = find_or_note("3.8", "container_empties_a_venv_of_installers_alone")
    else {
        return;
    };
    let venv = env.path().join("venv");
    venv_of(&installed.python, &venv, None);
    let out = env.path().join("container");
    let report = apply_to(&venv, &out, &["--profile", "container"]);
    assert_eq!(report["verify"]["regressions"], serde_json::json!([]));
    let removed = report["verify"]["removed"].to_string();
    assert!(
        removed.contains("\"pip\"") && removed.contains("\"setuptools\""),
        "{removed}"
    );
    assert!(site_packages(&out).is_dir());
    assert!(!out.join("bin/pip").exists());
    // What is left is pyprune's runtime, which says what became of them.
    assert_eq!(
        names_in(&site_packages(&out)),
        [
            pyprune_steps::RUNTIME_PTH,
            "__pycache__",
            pyprune_steps::REMOVED_FILE,
            pyprune_steps::REMOVED_MODULE
        ]
    );
    let pip = run(
        &out,
        "try:\n    import pip\nexcept ImportError as e:\n    print(type(e).__name__, e.name, e)",
    );
    assert_eq!(
        String::from_utf8_lossy(&pip.stdout).trim(),
        format!(
            "ModuleNotFoundError pip {}",
            pyprune_steps::error_message("pip", pyprune_steps::StepName::ExcludeInstallers, None)
        )
    );
    let listed = run(&out, RECORDS);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[] []");
}

/// On 3.13 a venv of one pure-Python wheel: `container` keeps it importable
/// with its RECORD true; `fedora-default` installs pyprune's runtime in the
/// venv's own site-packages, and verify proves Python writes no cache into
/// it; without the runtime's `.pth`, verify sees the writes.
#[test]
fn venv_profiles_on_3_13_keep_records_true_and_write_nothing() {
    let env = TestEnv::new();
    let Some(installed) = find_or_note(
        "3.13",
        "venv_profiles_on_3_13_keep_records_true_and_write_nothing",
    ) else {
        return;
    };
    let venv = env.path().join("venv");
    venv_of(&installed.python, &venv, Some("sqlparse"));
    let mut report = serde_json::Value::Null;
    for profile in ["container", "fedora-default"] {
        let out = env.path().join(profile);
        report = apply_to(&venv, &out, &["--profile", profile]);
        assert_eq!(
            report["verify"]["regressions"],
            serde_json::json!([]),
            "{profile}"
        );
        let listed = run(&out, RECORDS);
        assert!(listed.status.success(), "{}", stderr(&listed));
        assert_eq!(
            String::from_utf8_lossy(&listed.stdout).trim(),
            "['sqlparse'] []",
            "{profile}"
        );
        let imported = run(&out, "import sqlparse; print(sqlparse.format('select 1'))");
        assert!(imported.status.success(), "{}", stderr(&imported));
    }
    // fedora-default's report, last: its result wrote nothing.
    let marked = env.path().join("fedora-default");
    let writes = check(&report, "no writes");
    assert!(writes["checked"].as_u64().unwrap_or(0) > 0, "{writes}");
    assert_eq!(writes["failed"], 0, "{writes}");
    let site = site_packages(&marked);
    let pth = std::fs::read_dir(&site)
        .expect("site-packages")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "pth"))
        .expect("the runtime's .pth");
    std::fs::remove_file(&pth).expect("remove the .pth");
    let verified = pyprune()
        .args(["verify", "--profile", "fedora-default", "--format", "json"])
        .arg(&marked)
        .output()
        .expect("verify");
    assert_eq!(verified.status.code(), Some(1), "{}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).expect("JSON");
    assert!(
        report["regressions"]
            .as_array()
            .expect("regressions")
            .iter()
            .any(|r| r["check"] == "no writes"),
        "{report}"
    );
}

/// A venv of `release` (pyenv's, or `debian`) holding one pure-Python wheel:
/// `minimal` (every exclusion, sourceless) applied with `--out` and verified
/// by the result's own interpreter; the package still imports and runs from
/// its sourceless bytecode, and its RECORD is true of the disk.
fn minimal_keeps_a_venv_working(release: &str, test: &str) {
    let env = TestEnv::new();
    let Some(installed) = find_or_note(release, test) else {
        return;
    };
    let venv = env.path().join("venv");
    venv_of(&installed.python, &venv, Some("idna"));
    let out = env.path().join("minimal");
    let report = apply_to(&venv, &out, &["--profile", "minimal"]);
    assert_eq!(report["verify"]["regressions"], serde_json::json!([]));
    let imports = check(&report, "imports");
    assert!(imports["checked"].as_u64().unwrap_or(0) > 0, "{imports}");
    let package = site_packages(&out).join("idna");
    assert!(
        package.join("__init__.pyc").is_file() && !package.join("__init__.py").exists(),
        "{}: sourceless",
        installed.label
    );
    let listed = run(&out, RECORDS);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "['idna'] []",
        "{}",
        installed.label
    );
    let used = run(
        &out,
        "import idna; print(idna.encode('b\\u00fccher.example').decode())",
    );
    assert!(
        used.status.success(),
        "{}: {}",
        installed.label,
        stderr(&used)
    );
    assert_eq!(
        String::from_utf8_lossy(&used.stdout).trim(),
        "xn--bcher-kva.example"
    );
}

#[test]
fn minimal_keeps_a_3_9_venv_working() {
    minimal_keeps_a_venv_working("3.9", "minimal_keeps_a_3_9_venv_working");
}

#[test]
fn minimal_keeps_a_3_10_venv_working() {
    minimal_keeps_a_venv_working("3.10", "minimal_keeps_a_3_10_venv_working");
}

#[test]
fn minimal_keeps_a_3_12_venv_working() {
    minimal_keeps_a_venv_working("3.12", "minimal_keeps_a_3_12_venv_working");
}

#[test]
fn minimal_keeps_a_debian_python_venv_working() {
    minimal_keeps_a_venv_working("debian", "minimal_keeps_a_debian_python_venv_working");
}
