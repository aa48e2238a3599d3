//! pyprune as Python users install it: maturin (the pinned wheel of
//! scripts/test-wheels-tools.txt, run from that wheel unpacked) builds the
//! wheel that pyproject.toml describes, with the workspace's `wheel-test`
//! profile (nothing optimized, no debug info: the cheapest whole build, no
//! release build added to the suite's time); pip installs it into a fresh venv, and
//! the `pyprune` on that venv's PATH is the binary cargo built for it, and
//! runs.
//!
//! maturin builds in a target directory of its own, kept between runs in
//! Cargo's scratch directory. `cargo test` builds with the `test` profile and
//! maturin runs `cargo rustc --profile wheel-test`: a profile's name is part
//! of every unit's hash, so its build is a whole one whatever the profile
//! (with `dev`, 317 s of CPU on CI; `wheel-test` compiles no dependency
//! optimized). In the suite's own target directory such a build once
//! replaced `target/debug/pyprune` while other tests ran it.

use crate::harness::*;
use crate::venvs::{make_venv_with, wheelhouse};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root, where pyproject.toml is.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace")
}

/// The pinned maturin, unpacked from its wheel into `dir`; returns its binary.
fn maturin(dir: &Path) -> PathBuf {
    let pinned = std::fs::read_to_string(workspace_root().join("scripts/test-wheels-tools.txt"))
        .expect("scripts/test-wheels-tools.txt");
    let version = pinned
        .lines()
        .find_map(|l| l.trim().strip_prefix("maturin=="))
        .expect("maturin pinned");
    let wheel = std::fs::read_dir(wheelhouse())
        .expect("the wheelhouse")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("maturin-{version}-"))
            })
        })
        .expect("maturin's wheel in the wheelhouse (scripts/test-wheels.sh)");
    let file = std::fs::File::open(&wheel).expect("open the wheel");
    zip::ZipArchive::new(file)
        .expect("a zip")
        .extract(dir)
        .expect("unpack maturin");
    let binary = dir.join(format!("maturin-{version}.data/scripts/maturin"));
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    binary
}

#[test]
fn the_wheel_installs_a_pyprune_that_runs() {
    let env = TestEnv::new();
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheel-target");
    let built = target_dir.join("wheel-test/pyprune");
    let wheels = env.path().join("wheels");
    let output = Command::new(maturin(&env.path().join("maturin")))
        .args([
            "build",
            "--profile",
            "wheel-test",
            "--compatibility",
            "linux",
            "--auditwheel",
            "skip",
        ])
        .arg("--out")
        .arg(&wheels)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir)
        // Cargo rebuilds everything when this differs from the last build in
        // that directory (`cargo test` runs without it); it may be set to run
        // this binary with `--report-time`.
        .env_remove("RUSTC_BOOTSTRAP")
        .output()
        .expect("run maturin");
    assert!(output.status.success(), "maturin: {}", stderr(&output));
    let wheel = std::fs::read_dir(&wheels)
        .expect("wheels")
        .map(|e| e.expect("entry").path())
        .next()
        .expect("a wheel");
    let name = wheel
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&format!(
            "pyprune-{}-py3-none-linux_x86_64",
            env!("CARGO_PKG_VERSION")
        )),
        "{name}"
    );

    // A fresh venv, and pip (the machine's, for that venv) installing the wheel alone.
    let venv = env.path().join("venv");
    make_venv_with(&venv, &[wheel.to_str().expect("UTF-8")]);

    // On the venv's PATH (and only there), `pyprune` is the binary cargo built, and runs.
    let run = Command::new("sh")
        .args([
            "-c",
            "command -v pyprune && pyprune --version && pyprune completions bash | head -n 1",
        ])
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", venv.join("bin").display()),
        )
        .output()
        .expect("sh");
    assert!(run.status.success(), "{}", stderr(&run));
    let said = String::from_utf8_lossy(&run.stdout);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(
        lines,
        [
            venv.join("bin/pyprune").to_str().expect("UTF-8"),
            &format!("pyprune {}", env!("CARGO_PKG_VERSION")),
            "_pyprune() {",
        ]
    );
    assert!(
        std::fs::read(venv.join("bin/pyprune")).expect("installed")
            == std::fs::read(&built).expect("built"),
        "the installed pyprune is not the binary cargo built"
    );
}
