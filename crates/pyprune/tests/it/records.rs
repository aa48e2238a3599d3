//! RECORD stays true: after `apply` (`--out` and `--in-place`) on a venv of
//! real wheels, pip and `importlib.metadata` see the disk as it is (`pip show
//! -f`, `pip check`, `pip uninstall`, every hash), `undo` gives the RECORDs
//! back byte for byte, and a distribution whose RECORD cannot be trusted is
//! left untouched. What they see is asked of the venv's own interpreter
//! (`record_checks.py`); each check is shown to fail on a planted fault.

use crate::harness::*;
use crate::venvs::{dist_infos, shared_venv, site_packages, venv_copy};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CHECKS: &str = include_str!("record_checks.py");

/// The lists of `record_checks.py check` that name what is untrue.
const PROBLEMS: [&str; 5] = [
    "missing",
    "wrong_hash",
    "unlisted",
    "shown_missing",
    "shown_not_listed",
];

/// Runs `record_checks.py ARGS` with the venv's own interpreter (no caches
/// written: the check must not add files of its own).
fn record_checks(venv: &Path, args: &[&str]) -> Value {
    let script = venv.with_extension("record_checks.py");
    std::fs::write(&script, CHECKS).expect("write the checks");
    let output = pyprune_python::clean_command(venv.join("bin/python").as_os_str())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // A venv without pip (`exclude-installers`) is asked with this one's.
        .env("OUTSIDE_PIP_PYTHON", "python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("run the checks");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// Asserts that every check passes on `venv`; returns its distributions
/// (name and version).
pub fn assert_records_true(venv: &Path) -> Vec<(String, String)> {
    let report = record_checks(venv, &["check"]);
    for key in PROBLEMS {
        assert_eq!(report[key], Value::Array(Vec::new()), "{key} in {venv:?}");
    }
    assert_eq!(report["pip_check"], Value::Null, "{venv:?}");
    let mut dists: Vec<(String, String)> = report["distributions"]
        .as_array()
        .expect("distributions")
        .iter()
        .map(|d| (d["name"].to_string(), d["version"].to_string()))
        .collect();
    dists.sort();
    dists
}

/// Every RECORD of a venv, by path relative to it.
fn records(venv: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    dist_infos(venv)
        .into_iter()
        .filter_map(|info| {
            let record = info.join("RECORD");
            std::fs::read(venv.join(&record)).ok().map(|b| (record, b))
        })
        .collect()
}

/// A RECORD that changed belongs to a distribution whose files changed, and
/// one whose files are all as they were is not rewritten; at least `changed`
/// were rewritten.
fn assert_rewritten_only_where_files_changed(original: &Path, result: &Path, changed: &[&str]) {
    let found = pyprune_dist::Distributions::read(original, &dist_infos(original));
    let before = records(original);
    let after = records(result);
    for dist in &found.dists {
        let record = dist.record_path();
        let same_files =
            dist.files.iter().filter(|f| **f != record).all(|f| {
                std::fs::read(original.join(f)).ok() == std::fs::read(result.join(f)).ok()
            });
        let same_record = before.get(&record) == after.get(&record);
        assert_eq!(same_files, same_record, "{}", dist.name);
        if changed.contains(&dist.name.as_str()) {
            assert!(!same_record, "{} should have changed", dist.name);
        }
    }
}

/// The distributions of the shared venv (name, version), whose RECORDs pip
/// wrote: checked once per run.
fn installed() -> &'static [(String, String)] {
    static INSTALLED: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let installed = assert_records_true(shared_venv());
        assert_eq!(installed.len(), 7, "{installed:?}");
        installed
    })
}

/// The distributions of `installed` that `profile` leaves installed: those
/// with `exclude-installers` uninstall pip (nothing requires or imports it;
/// setuptools stays: `numpy.distutils` imports it).
fn left_installed(installed: &[(String, String)], profile: &str) -> Vec<(String, String)> {
    let uninstalls_pip = matches!(profile, "container" | "minimal");
    installed
        .iter()
        .filter(|(name, _)| !(uninstalls_pip && name == "\"pip\""))
        .cloned()
        .collect()
}

/// `apply --profile PROFILE --out` of the shared venv, whose RECORDs must
/// all be true; the result's path.
fn apply_out_checked(env: &TestEnv, profile: &str, changed: &[&str]) -> PathBuf {
    let venv = shared_venv();
    let installed = installed();
    let out = env.path().join(profile);
    apply_to(venv, &out, &["--profile", profile, "--no-verify"]);
    assert_eq!(
        assert_records_true(&out),
        left_installed(installed, profile),
        "{profile}"
    );
    assert_rewritten_only_where_files_changed(venv, &out, changed);
    out
}

#[test]
fn apply_out_container_leaves_every_record_true() {
    let env = TestEnv::new();
    let out = apply_out_checked(&env, "container", &["numpy"]);
    // pip uninstalls the distribution whose tests went, and its vendored libraries.
    let gone = record_checks(&out, &["uninstall", "numpy"]);
    assert_eq!(gone["uninstalled"], Value::Bool(true), "{gone}");
    assert_eq!(gone["files_left"], Value::Array(Vec::new()));
    assert_eq!(gone["dirs_left"], Value::Array(Vec::new()));
}

#[test]
fn apply_out_minimal_leaves_every_record_true_and_pip_uninstalls_all_of_it() {
    let env = TestEnv::new();
    let minimal = apply_out_checked(&env, "minimal", &["numpy"]);
    // Sourceless leaves `.pyc` files where the sources were: RECORD names
    // them with their hashes, so pip removes them with the rest.
    let sourceless = dist_infos(&minimal).iter().any(|info| {
        let record = std::fs::read_to_string(minimal.join(info).join("RECORD")).expect("RECORD");
        record
            .lines()
            .any(|row| row.contains(".pyc,sha256=") && !row.contains("__pycache__/"))
    });
    assert!(sourceless, "no RECORD lists a sourceless .pyc");
    let names = [
        "numpy",
        "Django",
        "MarkupSafe",
        "sqlparse",
        "asgiref",
        "setuptools",
    ];
    let mut args = vec!["uninstall"];
    args.extend(names);
    let gone = record_checks(&minimal, &args);
    assert_eq!(gone["uninstalled"], Value::Bool(true), "{gone}");
    assert_eq!(gone["files_left"], Value::Array(Vec::new()));
    assert_eq!(gone["dirs_left"], Value::Array(Vec::new()));
    // Nothing of theirs is left in site-packages (pip went with
    // `exclude-installers`): only pyprune's finder for the removed modules,
    // which belongs to no distribution.
    assert_eq!(
        names_in(&site_packages(&minimal)),
        [
            pyprune_steps::RUNTIME_PTH,
            "__pycache__",
            pyprune_steps::REMOVED_FILE,
            pyprune_steps::REMOVED_MODULE
        ]
    );
}

#[test]
fn every_check_sees_a_planted_fault() {
    let env = TestEnv::new();
    let venv = venv_copy(&env, "venv");
    let site = site_packages(&venv);
    let info = |prefix: &str| -> PathBuf {
        dist_infos(&venv)
            .into_iter()
            .map(|d| venv.join(d))
            .find(|d| d.to_string_lossy().contains(prefix))
            .expect("installed")
    };
    // A stale RECORD (a file it lists is gone), a file no RECORD lists in a
    // package's directory, a file whose bytes are not those recorded, a
    // requirement missing.
    std::fs::remove_file(site.join("asgiref/wsgi.py")).expect("remove");
    std::fs::write(site.join("django/planted.py"), "x = 1\n").expect("plant");
    std::fs::write(site.join("sqlparse/__init__.py"), "changed = 1\n").expect("change");
    let sqlparse_info = info("sqlparse-");
    let report = record_checks(&venv, &["check"]);
    let named = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a path").to_owned())
            .collect()
    };
    assert_eq!(named("missing"), ["asgiref/wsgi.py"]);
    assert_eq!(named("shown_missing"), ["asgiref/wsgi.py"]);
    assert_eq!(named("unlisted"), ["django/planted.py"]);
    assert_eq!(named("wrong_hash"), ["sqlparse/__init__.py"]);
    assert_eq!(report["pip_check"], Value::Null);
    std::fs::remove_dir_all(&sqlparse_info).expect("remove sqlparse's metadata");
    let report = record_checks(&venv, &["check"]);
    let complaint = report["pip_check"].as_str().expect("pip check fails");
    assert!(complaint.contains("sqlparse"), "{complaint}");
    // pip uninstall leaves what its RECORD does not list, and its directory.
    let gone = record_checks(&venv, &["uninstall", "Django"]);
    assert_eq!(gone["uninstalled"], Value::Bool(true), "{gone}");
    assert_eq!(gone["files_left"], Value::Array(Vec::new()));
    assert_eq!(gone["dirs_left"], serde_json::json!(["django"]));
}

#[test]
fn apply_in_place_keeps_records_true_and_undo_gives_them_back() {
    let env = TestEnv::new();
    let venv = venv_copy(&env, "venv");
    let before = records(&venv);
    let output = pyprune()
        .args(["apply", "--profile", "minimal", "--in-place", "--no-verify"])
        .arg(&venv)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        assert_records_true(&venv),
        left_installed(installed(), "minimal")
    );
    assert_ne!(records(&venv), before);
    // pip uninstalls a minimized distribution whole (on a copy: undo comes next).
    let copy = env.path().join("uninstalled");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&venv)
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());
    let gone = record_checks(&copy, &["uninstall", "numpy", "sqlparse"]);
    assert_eq!(gone["uninstalled"], Value::Bool(true), "{gone}");
    assert_eq!(gone["files_left"], Value::Array(Vec::new()));
    assert_eq!(gone["dirs_left"], Value::Array(Vec::new()));
    let undone = pyprune().arg("undo").arg(&venv).output().expect("undo");
    assert!(undone.status.success(), "{}", stderr(&undone));
    assert_eq!(records(&venv), before);
    assert_eq!(relative_paths(&venv), relative_paths(shared_venv()));
}

/// Every path under `root`, relative to it.
fn relative_paths(root: &Path) -> Vec<PathBuf> {
    paths_under(root)
        .into_iter()
        .map(|p| p.strip_prefix(root).expect("under the root").to_path_buf())
        .collect()
}

/// Every file below `dir` with its bytes, by path relative to `dir`.
fn files_below(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    paths_under(dir)
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p.strip_prefix(dir).expect("below").to_path_buf(), bytes)
        })
        .collect()
}

#[test]
fn bad_records_leave_their_distribution_untouched_and_are_stated() {
    let env = TestEnv::new();
    let venv = venv_copy(&env, "venv");
    let site = site_packages(&venv);
    let append = |rel: &str, text: &str| {
        let path = site.join(rel);
        let mut bytes = std::fs::read(&path).expect("RECORD");
        bytes.extend_from_slice(text.as_bytes());
        std::fs::write(&path, bytes).expect("write");
    };
    // Malformed (a row of two fields), and naming a path outside the tree.
    append(
        "markupsafe-3.0.4.dist-info/RECORD",
        "markupsafe/extra.py,sha256=x\r\n",
    );
    append(
        "sqlparse-0.6.1.dist-info/RECORD",
        "../../../../outside.py,,\r\n",
    );
    // No RECORD at all (as a distro installs it).
    std::fs::remove_file(site.join("asgiref-3.13.0.dist-info/RECORD")).expect("remove");
    // One file listed by two distributions.
    let typed = std::fs::read(site.join("pip/py.typed")).expect("py.typed");
    let row = format!(
        "pip/py.typed,{},{}\r\n",
        pyprune_dist::record_hash(&typed),
        typed.len()
    );
    append("django-5.2.19.dist-info/RECORD", &row);
    let untouched = [
        "markupsafe",
        "markupsafe-3.0.4.dist-info",
        "sqlparse",
        "sqlparse-0.6.1.dist-info",
    ];
    let before: Vec<_> = untouched
        .iter()
        .map(|d| files_below(&site.join(d)))
        .collect();
    let out = env.path().join("out");
    let output = pyprune()
        .args([
            "apply",
            "--steps",
            "drop-caches",
            "--no-verify",
            "--format",
            "json",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&venv)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    let warnings = stderr(&output);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let reported: Vec<(&str, &str)> = report["untouched_distributions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            let name = d["name"].as_str().expect("name");
            let dist_info = d["dist_info"].as_str().expect("dist_info");
            (name, dist_info.rsplit('/').next().expect("a name"))
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("MarkupSafe", "markupsafe-3.0.4.dist-info"),
            ("sqlparse", "sqlparse-0.6.1.dist-info")
        ]
    );
    let out_site = site_packages(&out);
    for (dir, was) in untouched.iter().zip(&before) {
        assert_eq!(&files_below(&out_site.join(dir)), was, "{dir}");
    }
    // Each is stated, with its path.
    let said = |path: &str, what: &str| {
        assert!(
            warnings
                .lines()
                .any(|l| l.contains(&format!("site-packages/{path}")) && l.contains(what)),
            "{path}: {what}\n{warnings}"
        );
    };
    said("markupsafe-3.0.4.dist-info/RECORD", "left untouched");
    said("sqlparse-0.6.1.dist-info/RECORD", "outside the tree");
    said("asgiref-3.13.0.dist-info", "no RECORD");
    said("pip/py.typed", "Django and pip");
    // Without a RECORD, asgiref's files are unowned: changed, and no RECORD is made.
    assert!(!out_site.join("asgiref/__pycache__").exists());
    assert!(!out_site.join("asgiref-3.13.0.dist-info/RECORD").exists());
    // Both RECORDs were rewritten (their caches went) and both keep the shared file.
    for info in ["django-5.2.19.dist-info", "pip-26.3.dist-info"] {
        let record = std::fs::read_to_string(out_site.join(info).join("RECORD")).expect("RECORD");
        assert!(record.contains(&row), "{info}");
        assert!(!record.contains("__pycache__"), "{info} was rewritten");
    }
}
