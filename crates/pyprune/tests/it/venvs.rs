//! Virtual environments made of real wheels (`scripts/test-wheels.txt`:
//! numpy with its vendored `numpy.libs/`, Django with its public
//! `django/test` package, MarkupSafe's C extension, pip and setuptools),
//! installed by pip from the wheelhouse `scripts/test-wheels.sh` fills; and
//! the check that pyprune reads and writes their RECORDs as pip does.

use crate::harness::*;
use std::path::{Path, PathBuf};

/// The wheelhouse, filled by `scripts/test-wheels.sh` (from PyPI) on first use.
pub fn wheelhouse() -> &'static Path {
    static WHEELHOUSE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WHEELHOUSE.get_or_init(|| {
        let script = scripts_dir().join("test-wheels.sh");
        let out = pyprune_python::clean_command(script.as_os_str())
            .env_remove("PYTHON")
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} (it downloads the test wheels from PyPI): {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

/// One venv of `python3` with every test wheel installed, for the tests of
/// this run that only read it (others copy it with [`venv_copy`]). It lives
/// in Cargo's scratch directory for integration tests and is rebuilt at each run.
pub fn shared_venv() -> &'static Path {
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-venv");
        let _ = std::fs::remove_dir_all(&venv);
        make_venv(&venv);
        venv
    })
}

/// Makes a venv at `venv` and installs every test wheel into it with pip,
/// from the wheelhouse alone.
pub fn make_venv(venv: &Path) {
    make_venv_with(venv, &[]);
}

/// Makes a venv of `python3` at `venv` with `wheels` (project names; the
/// wheelhouse pins their versions), or every test wheel when there are none,
/// installed by pip from the wheelhouse alone.
pub fn make_venv_with(venv: &Path, wheels: &[&str]) {
    let made = python3()
        .args(["-m", "venv", "--without-pip"])
        .arg(venv)
        .output()
        .expect("python3 -m venv");
    assert!(made.status.success(), "venv: {}", stderr(&made));
    // The machine's pip installs into the venv (`--python`), pip itself included.
    let mut pip = python3();
    pip.args(["-m", "pip", "--disable-pip-version-check", "--python"])
        .arg(venv.join("bin/python"))
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(wheelhouse());
    if wheels.is_empty() {
        pip.arg("-r").arg(scripts_dir().join("test-wheels.txt"));
    } else {
        pip.args(wheels);
    }
    let installed = pip.output().expect("pip install");
    assert!(
        installed.status.success(),
        "pip install: {}",
        stderr(&installed)
    );
}

/// A copy of the shared venv at `env/name` (`cp -a`: links and modes kept;
/// its scripts still name the shared venv in their shebangs).
pub fn venv_copy(env: &TestEnv, name: &str) -> PathBuf {
    let copy = env.path().join(name);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(shared_venv())
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());
    copy
}

/// The `*.dist-info` directories of a venv's site-packages, relative to it.
pub fn dist_infos(venv: &Path) -> Vec<PathBuf> {
    let site = site_packages(venv);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&site)
        .expect("site-packages")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "dist-info"))
        .map(|p| p.strip_prefix(venv).expect("inside").to_path_buf())
        .collect();
    found.sort();
    found
}

/// `venv/lib/python3.X/site-packages`.
pub fn site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .expect("lib")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python3"))
        })
        .expect("lib/python3.X");
    python.join("site-packages")
}

/// Every RECORD pip wrote is read and written back byte for byte, and every
/// hash it holds is the one pyprune computes for the file on disk.
#[test]
fn records_pip_wrote_are_read_and_written_back_byte_for_byte() {
    let venv = shared_venv();
    let infos = dist_infos(venv);
    let names: Vec<String> = infos
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    for wanted in ["numpy-", "django-", "markupsafe-", "pip-", "setuptools-"] {
        assert!(
            names.iter().any(|n| n.to_lowercase().starts_with(wanted)),
            "{wanted} not installed: {names:?}"
        );
    }
    let found = pyprune_dist::Distributions::read(venv, &infos);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let mut hashed = 0;
    for dist in &found.dists {
        let pyprune_dist::RecordState::Listed(record) = &dist.record else {
            panic!("{}: {:?}", dist.name, dist.record);
        };
        let bytes = std::fs::read(venv.join(dist.record_path())).expect("RECORD");
        assert_eq!(
            String::from_utf8_lossy(&record.to_pip_bytes()),
            String::from_utf8_lossy(&bytes),
            "{}",
            dist.name
        );
        for (row, file) in record.rows.iter().zip(&dist.files) {
            let Some(hash) = &row.hash else { continue };
            let data = std::fs::read(venv.join(file)).expect("listed file");
            assert_eq!(
                &pyprune_dist::record_hash(&data),
                hash,
                "{}",
                file.display()
            );
            assert_eq!(row.size, Some(data.len() as u64), "{}", file.display());
            hashed += 1;
        }
        // Console scripts are listed relative to site-packages, in the venv's bin/.
        if dist.name == "pip" {
            assert!(
                dist.files.contains(&PathBuf::from("bin/pip")),
                "{:?}",
                dist.files
            );
        }
    }
    assert!(hashed > 1000, "{hashed}");
}
