//! The README's packaging and container commands for `pyprune split`, run
//! as written (every `pyprune` line between its `split-commands` markers, in
//! order) on a small tree of real stdlib files, with the variables a build
//! would set pointing into a temp dir.

use crate::harness::{TestEnv, stderr};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// The README's text between its `split-commands` markers.
fn readme_section() -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(readme).expect("README");
    let start = text.find("<!-- split-commands").expect("the start marker");
    let end = text
        .find("<!-- /split-commands -->")
        .expect("the end marker");
    text[start..end].to_owned()
}

/// The README's one fenced block of `lang` (```` ```spec ````) in that section.
pub fn readme_block(lang: &str) -> String {
    let section = readme_section();
    let fence = format!("```{lang}\n");
    let mut blocks = section.match_indices(&fence).map(|(at, _)| {
        let body = &section[at + fence.len()..];
        body[..body.find("```").expect("the block's end")].to_owned()
    });
    let block = blocks.next().unwrap_or_else(|| panic!("no {lang} block"));
    assert!(blocks.next().is_none(), "two {lang} blocks");
    block
}

/// The `pyprune` lines of the README's split section (a Dockerfile's `RUN` dropped).
fn readme_commands() -> Vec<String> {
    readme_section()
        .lines()
        .map(|l| l.trim().trim_start_matches("RUN ").to_owned())
        .filter(|l| l.starts_with("pyprune "))
        .collect()
}

#[test]
fn the_readme_packaging_and_container_commands_run_as_written() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 6, "{commands:#?}");
    let env = TestEnv::new();
    let pylib = "/usr/lib/python3.X";
    let buildroot = env.path().join("buildroot");
    let tree =
        crate::split_check::package_with_tests(&buildroot.join(pylib.trim_start_matches('/')));
    // The container's stdlib: another copy (the container compiles its caches again).
    let stdlib = env.path().join("stdlib");
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&tree)
        .arg(&stdlib)
        .status()
        .expect("cp");
    assert!(copied.success());
    let binary = assert_cmd::cargo::cargo_bin("pyprune");
    let path = format!(
        "{}:{}",
        binary.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in &commands {
        let out = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(env.path())
            .env("PATH", &path)
            .env("BUILDROOT", &buildroot)
            .env("PYLIB", pylib)
            .env("LISTS", env.path().join("lists"))
            .env("STDLIB", &stdlib)
            .env("OUT", env.path().join("out"))
            .env("LAYERS", env.path().join("layers"))
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "{command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
    // compile --force --invalidation-mode checked-hash at every level: PEP 552
    // flags 3 in every cache; --no-dedupe: no cache linked to another.
    let caches: Vec<_> = std::fs::read_dir(tree.join("json/__pycache__"))
        .expect("caches")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(caches.len(), 12, "{caches:?}");
    for cache in caches {
        let bytes = std::fs::read(&cache).expect("read");
        assert_eq!(bytes[4..8], [3, 0, 0, 0], "{}", cache.display());
        assert_eq!(
            cache.metadata().expect("stat").nlink(),
            1,
            "{}",
            cache.display()
        );
    }
    // The lists name the installed paths; core ghosts the caches.
    let core = std::fs::read_to_string(env.path().join("lists/core.files")).expect("core.files");
    assert!(
        core.lines()
            .any(|l| l == format!("{pylib}/json/__init__.py")),
        "{core}"
    );
    assert!(
        core.lines()
            .any(|l| l.starts_with(&format!("%ghost {pylib}/json/__pycache__/"))),
        "{core}"
    );
    let tests =
        std::fs::read_to_string(env.path().join("lists/tests.install")).expect("tests.install");
    assert!(
        tests
            .lines()
            .any(|l| l == "usr/lib/python3.X/json/tests/test_x.py"),
        "{tests}"
    );
    // The container's layers: the minimized tree without tests, with and without caches.
    let layers = env.path().join("layers");
    assert!(layers.join("core/json/__init__.py").is_file());
    assert!(!layers.join("core/json/tests").exists());
    assert!(!layers.join("core/json/__pycache__").exists());
    assert!(layers.join("core+bytecode-opt0/json/__pycache__").is_dir());
}
