//! Venvs of other releases than the tests' wheels are pinned for, made by
//! each interpreter's own `venv` (with the pip and setuptools its ensurepip
//! bundles): `container` applied with `--out` and verified by the result's
//! own interpreter. On pyenv's 3.8 the venv holds its installers alone, so
//! the result is an empty venv that still starts; on 3.13 (whose venv has
//! pip alone) a pure-Python wheel stays and imports. Every RECORD left is
//! true of the disk, as pip's own `importlib.metadata` reads it.

use crate::harness::*;
use crate::pythons::find_or_note;
use crate::venvs::{site_packages, wheelhouse};
use std::path::Path;

/// `python -m venv DIR` of `python`, with what its ensurepip bundles.
fn venv_of(python: &Path, dir: &Path) {
    let made = std::process::Command::new(python)
        .args(["-m", "venv"])
        .arg(dir)
        .output()
        .expect("venv");
    assert!(made.status.success(), "{}", stderr(&made));
}

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

#[test]
fn container_on_venvs_of_other_releases() {
    let env = TestEnv::new();
    for (version, wheel) in [("3.8", None), ("3.13", Some("sqlparse"))] {
        let Some(installed) = find_or_note(version, "container_on_venvs_of_other_releases") else {
            continue;
        };
        let venv = env.path().join(format!("venv-{version}"));
        venv_of(&installed.python, &venv);
        if let Some(wheel) = wheel {
            let pip = pyprune_python::clean_command(venv.join("bin/python").as_os_str())
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-index",
                    "--find-links",
                ])
                .arg(wheelhouse())
                .arg(wheel)
                .output()
                .expect("pip");
            assert!(pip.status.success(), "{}", stderr(&pip));
        }
        let out = env.path().join(format!("container-{version}"));
        let report = apply_to(&venv, &out, &["--profile", "container"]);
        let verify = &report["verify"];
        assert_eq!(verify["regressions"], serde_json::json!([]), "{version}");
        let removed: Vec<&str> = verify["removed"]
            .as_array()
            .expect("removed")
            .iter()
            .filter_map(|m| m.as_str())
            .collect();
        assert!(removed.contains(&"pip"), "{version}: {removed:?}");
        // The installers went whole, scripts included; site-packages stays.
        let site = site_packages(&out);
        assert!(site.is_dir(), "{version}");
        assert!(!out.join("bin/pip").exists(), "{version}");
        assert!(!site.join("pip").exists(), "{version}");
        let listed = run(&out, RECORDS);
        assert!(listed.status.success(), "{version}: {}", stderr(&listed));
        let listed = String::from_utf8_lossy(&listed.stdout).trim().to_owned();
        match wheel {
            // 3.8's venv held pip and setuptools alone: nothing is left, and
            // verify says so rather than failing for want of a module.
            None => {
                assert_eq!(listed, "[] []", "{version}");
                let notes = verify["notes"].to_string();
                assert!(notes.contains("removed every module"), "{notes}");
            }
            Some(_) => {
                assert_eq!(listed, "['sqlparse'] []", "{version}");
                let imported = run(&out, "import sqlparse; print(sqlparse.format('select 1'))");
                assert!(imported.status.success(), "{}", stderr(&imported));
            }
        }
    }
}
