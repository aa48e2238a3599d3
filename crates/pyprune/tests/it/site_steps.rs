//! The steps that are safe in site-packages, on copies of the shared venv
//! (numpy with its patchelf-rewritten `numpy.libs/`, Django with its public
//! `django/test`, MarkupSafe's C speedups, pip, setuptools): after
//! `container`, `compact` and `minimal` numpy imports and computes, Django's
//! own test runner runs a `SimpleTestCase` through `django.test.Client`,
//! markupsafe's `_speedups` load, and every `*.dist-info` is still there.
//! The smoke script is shown to fail on the faults the issue met (a stripped
//! `numpy.libs` library, a removed `django/test`).

use crate::harness::*;
use crate::venvs::{dist_infos, shared_venv, site_packages, venv_copy};
use std::path::Path;

/// What every distribution of the venv must still do, run by the venv's own
/// interpreter from a scratch directory (the Django settings and test module
/// are written there). Prints `smoke ok` when all of it passed.
const SMOKE: &str = r#"
import sys
import numpy as np
rng = np.random.default_rng(12)
a = rng.random((60, 60)) + 60 * np.eye(60)
assert np.allclose(a @ np.linalg.inv(a), np.eye(60)), "linalg.inv"
x = rng.random(64)
assert np.allclose(np.fft.ifft(np.fft.fft(x)).real, x), "fft round trip"
assert abs(np.fft.fft(np.arange(16.0))[0] - 120) < 1e-9, "fft sum"
import numpy.testing
numpy.testing.assert_allclose(np.sort(rng.permutation(10)), np.arange(10))

import markupsafe, markupsafe._speedups
assert markupsafe._speedups.__file__.endswith(".so"), markupsafe._speedups.__file__
assert str(markupsafe.escape("<a href='x'>")) == "&lt;a href=&#39;x&#39;&gt;"

import django
from django.conf import settings
settings.configure(
    DEBUG=False, SECRET_KEY="smoke", ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF="smoke_tests", INSTALLED_APPS=[], MIDDLEWARE=[], DATABASES={},
)
django.setup()
from django.test.utils import get_runner
failures = get_runner(settings)(verbosity=0).run_tests(["smoke_tests"])
assert failures == 0, "django's runner: %d failures" % failures
print("smoke ok")
"#;

/// The test module Django's runner runs: a view through the test client.
const SMOKE_TESTS: &str = r#"
from django.http import HttpResponse
from django.test import SimpleTestCase
from django.urls import path

urlpatterns = [path("hello/<name>", lambda request, name: HttpResponse("hello " + name))]

class Hello(SimpleTestCase):
    def test_view(self):
        self.assertEqual(self.client.get("/hello/numpy").content, b"hello numpy")
"#;

/// Runs the smoke script with `venv`'s interpreter: its stdout and stderr, and whether it passed.
fn smoke(env: &TestEnv, venv: &Path) -> (bool, String) {
    let dir = env.path().join("smoke");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("smoke_tests.py"), SMOKE_TESTS).expect("write");
    let out = pyprune_python::clean_command(venv.join("bin/python").as_os_str())
        .args(["-B", "-c", SMOKE])
        .current_dir(&dir)
        .env("PYTHONPATH", &dir)
        .output()
        .expect("python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("smoke ok"), text)
}

/// The names of the files in each `*.dist-info` of `venv`.
fn dist_info_files(venv: &Path) -> Vec<String> {
    let mut names: Vec<String> = dist_infos(venv)
        .iter()
        .flat_map(|info| paths_under(&venv.join(info)))
        .map(|p| p.strip_prefix(venv).expect("inside").display().to_string())
        .collect();
    names.sort();
    names
}

/// `apply --in-place --commit --no-verify --profile PROFILE VENV`: its JSON report.
fn apply_in_place(venv: &Path, profile: &str) -> serde_json::Value {
    let out = pyprune()
        .args([
            "apply",
            "--in-place",
            "--commit",
            "--no-verify",
            "--format",
            "json",
        ])
        .args(["--profile", profile])
        .arg(venv)
        .output()
        .expect("apply");
    assert!(
        out.status.success(),
        "{profile}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn every_distribution_works_after_container_compact_and_minimal() {
    let env = TestEnv::new();
    let (ok, text) = smoke(&env, shared_venv());
    assert!(ok, "the shared venv itself: {text}");
    let infos = dist_info_files(shared_venv());
    for profile in ["container", "compact", "minimal"] {
        let venv = venv_copy(&env, profile);
        let before = du_bytes(&venv, false);
        let report = apply_in_place(&venv, profile);
        // The report says what strip left as it was, and why.
        let left = report["left_as_is"].as_array().cloned().unwrap_or_default();
        assert!(
            left.iter().any(|l| l["step"] == "strip-extensions"
                && l["what"]
                    .as_str()
                    .is_some_and(|w| w.contains("numpy.libs/"))
                && l["why"]
                    .as_str()
                    .is_some_and(|w| w.starts_with("a vendored shared library"))),
            "{profile}: {left:?}"
        );
        let (ok, text) = smoke(&env, &venv);
        assert!(ok, "{profile}: {text}");
        let site = site_packages(&venv);
        // Nothing of a distribution's metadata goes (RECORD may be
        // rewritten), but for a whole distribution's: `container` and
        // `minimal` uninstall pip (`exclude-installers`).
        let kept: Vec<&String> = infos
            .iter()
            .filter(|f| profile == "compact" || !f.contains("/pip-"))
            .collect();
        assert_eq!(
            dist_info_files(&venv).iter().collect::<Vec<_>>(),
            kept,
            "{profile}"
        );
        assert_eq!(
            site.join("pip").exists(),
            profile == "compact",
            "{profile}: pip"
        );
        // The vendored OpenBLAS is byte for byte the wheel's.
        for lib in std::fs::read_dir(site.join("numpy.libs")).expect("numpy.libs") {
            let lib = lib.expect("entry").path();
            let original = site_packages(shared_venv())
                .join("numpy.libs")
                .join(lib.file_name().expect("name"));
            assert!(
                std::fs::read(&lib).expect("read") == std::fs::read(&original).expect("read"),
                "{profile}: {} changed",
                lib.display()
            );
        }
        assert!(site.join("django/test").is_dir(), "{profile}");
        assert!(site.join("numpy/testing").is_dir(), "{profile}");
        eprintln!(
            "{profile}: {} of {} bytes ({:.1}%)",
            du_bytes(&venv, false),
            before,
            du_bytes(&venv, false) as f64 * 100.0 / before as f64
        );
    }
}

/// The smoke script fails on the faults the issue met: numpy's OpenBLAS
/// stripped (what `strip-extensions` did), `django/test` removed (what
/// `exclude-tests` did). Without these, a passing smoke would prove nothing.
#[test]
fn the_smoke_script_fails_on_the_issues_faults() {
    let env = TestEnv::new();
    let stripped = venv_copy(&env, "stripped");
    let libs = site_packages(&stripped).join("numpy.libs");
    let openblas = std::fs::read_dir(&libs)
        .expect("numpy.libs")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains("openblas"))
        .expect("OpenBLAS");
    let status = std::process::Command::new("strip")
        .arg("--strip-unneeded")
        .arg(&openblas)
        .status()
        .expect("strip");
    assert!(status.success());
    let (ok, text) = smoke(&env, &stripped);
    assert!(!ok, "{text}");
    assert!(text.contains("not page-aligned"), "{text}");

    let no_test = venv_copy(&env, "no-django-test");
    std::fs::remove_dir_all(site_packages(&no_test).join("django/test")).expect("rm");
    let (ok, text) = smoke(&env, &no_test);
    assert!(!ok, "{text}");
    assert!(text.contains("django.test"), "{text}");
}

/// What plan says of the venv: what strip leaves as it is and why (found by
/// reading the ELF files, not by name: the three extension modules auditwheel
/// gave an rpath), that the public testing packages stay, which
/// distributions keep their sources under `sourceless`.
#[test]
fn plan_says_what_the_steps_leave_in_site_packages_and_why() {
    let rows = plan_rows(shared_venv());
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let left = |name: &str| -> Vec<(String, String)> {
        row(name)["left_as_is"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        (
                            l["what"].as_str().expect("what").to_owned(),
                            l["why"].as_str().expect("why").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let strip = left("strip-extensions");
    let rewritten: Vec<&str> = strip
        .iter()
        .filter(|(_, why)| why.contains("ELF layout was rewritten"))
        .map(|(what, _)| what.rsplit('/').next().expect("name"))
        .collect();
    assert_eq!(
        rewritten,
        [
            "_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
            "_umath_linalg.cpython-311-x86_64-linux-gnu.so",
            "lapack_lite.cpython-311-x86_64-linux-gnu.so",
        ],
        "{strip:?}"
    );
    assert!(
        strip
            .iter()
            .any(|(what, why)| what.contains("numpy.libs/libscipy_openblas")
                && why.starts_with("a vendored shared library")),
        "{strip:?}"
    );
    // markupsafe's speedups are stripped: they load stripped.
    assert!(
        !strip.iter().any(|(what, _)| what.contains("markupsafe")),
        "{strip:?}"
    );

    let tests = &row("exclude-tests")["modules"];
    let removed: Vec<&str> = tests["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .map(|m| m.as_str().expect("name"))
        .collect();
    assert!(removed.contains(&"numpy.tests"), "{removed:?}");
    assert!(removed.contains(&"numpy.testing.tests"), "{removed:?}");
    for public in ["django.test", "numpy.testing"] {
        assert!(
            !removed.iter().any(|m| *m == public
                || m.starts_with(&format!("{public}."))
                    && !m.starts_with(&format!("{public}.tests"))),
            "{public}: {removed:?}"
        );
    }

    let sources: Vec<String> = left("sourceless")
        .into_iter()
        .map(|(what, _)| what)
        .collect();
    assert!(
        sources.iter().any(|d| d.starts_with("Django ")),
        "{sources:?}"
    );
    assert!(
        !sources.iter().any(|d| d.starts_with("numpy ")),
        "{sources:?}"
    );
}
