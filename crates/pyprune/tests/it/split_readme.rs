//! The README's packaging commands for `pyprune split` (between its
//! `split-commands` markers): each of its blocks is run by a test (the RPM
//! spec by `split_rpm.rs`, the Dockerfile by `split_container.rs`), and here
//! the Debian/apk block as a shell script, with the variables its first line
//! sets, on a small stdlib of real files in `debian/tmp`: dh_install's lists
//! against the tree, and the APKBUILD's loop with abuild's `amove`.

use crate::harness::{TestEnv, stderr};
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

/// `PATH` with cargo's `pyprune` first, then `first` (if any), then the test's own.
pub fn path_with_pyprune(first: Option<&Path>) -> String {
    let binary = assert_cmd::cargo::cargo_bin("pyprune");
    let mut dirs = vec![binary.parent().expect("bin dir").to_path_buf()];
    dirs.extend(first.map(Path::to_path_buf));
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs)
        .expect("a PATH")
        .to_string_lossy()
        .into_owned()
}

/// Runs `script` with `sh -e` in `cwd` with `envs`; it must succeed.
pub fn run_sh<K: AsRef<std::ffi::OsStr>, V: AsRef<std::ffi::OsStr>>(
    script: &str,
    cwd: &Path,
    envs: impl IntoIterator<Item = (K, V)>,
) {
    let out = std::process::Command::new("sh")
        .args(["-e", "-c", script])
        .current_dir(cwd)
        .envs(envs)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{script}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

/// The `pyprune` lines of `text` (a Dockerfile's `RUN` dropped).
fn pyprune_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().trim_start_matches("RUN ").to_owned())
        .filter(|l| l.starts_with("pyprune "))
        .collect()
}

#[test]
fn every_readme_packaging_command_is_run_by_a_test() {
    // The spec's by split_rpm.rs, the Dockerfile's by split_container.rs,
    // the Debian/apk block's by the test below: no other block, and no
    // `pyprune` line outside them.
    let blocks: Vec<String> = ["spec", "sh", "dockerfile"]
        .iter()
        .map(|lang| readme_block(lang))
        .collect();
    let section = readme_section();
    assert_eq!(section.matches("\n```\n").count(), 3, "{section}");
    let in_blocks: Vec<String> = blocks.iter().flat_map(|b| pyprune_lines(b)).collect();
    assert_eq!(in_blocks, pyprune_lines(&section));
    assert_eq!(in_blocks.len(), 6, "{in_blocks:#?}");
}

/// `amove` as abuild defines it for one path: moved from the package's
/// directory to the subpackage's, relative to both.
const AMOVE: &str =
    r#"amove() { mkdir -p "$subpkgdir/$(dirname "$1")" && mv "$pkgdir/$1" "$subpkgdir/$1"; }"#;

#[test]
fn the_readme_debian_and_apk_split_runs_as_written() {
    let block = readme_block("sh");
    // The block's first line sets its variables, as debian/rules would.
    let settings: Vec<(String, String)> = block
        .lines()
        .next()
        .and_then(|l| l.split_once(": "))
        .expect("the settings line")
        .1
        .split(' ')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("NAME=VALUE");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let setting = |name: &str| -> String {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not set"))
            .1
            .clone()
    };
    let env = TestEnv::new();
    let source = env.path().join("source");
    let pylib = setting("PYLIB");
    let installed = source
        .join(setting("BUILDROOT"))
        .join(pylib.trim_start_matches('/'));
    // A stdlib with a test suite, as `make install` leaves it in debian/tmp.
    let prefix = env.path().join("prefix");
    let stdlib = crate::split::layered_stdlib(&prefix);
    std::fs::create_dir_all(installed.parent().expect("parent")).expect("mkdir");
    std::fs::rename(&stdlib, &installed).expect("move into debian/tmp");
    let path = path_with_pyprune(None);
    let run = |script: &str, extra: &[(&str, &Path)]| {
        let envs = settings
            .iter()
            .map(|(k, v)| (k.as_str(), std::ffi::OsStr::new(v)))
            .chain([("PATH", std::ffi::OsStr::new(&path))])
            .chain(extra.iter().map(|(k, v)| (*k, v.as_os_str())));
        run_sh(script, &source, envs);
    };
    run(&block, &[]);
    // dh_install's lists: paths relative to debian/tmp, every one there, the
    // tests in the test suite's package only.
    let buildroot = source.join(setting("BUILDROOT"));
    let list = |name: &str| -> Vec<String> {
        std::fs::read_to_string(source.join("debian").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let stdlib_list = list("libpython3.12-stdlib.install");
    let tests_list = list("libpython3.12-testsuite.install");
    let rel = pylib.trim_start_matches('/');
    assert!(stdlib_list.contains(&format!("{rel}/json/__init__.py")));
    assert!(tests_list.contains(&format!("{rel}/test/__init__.py")));
    assert!(tests_list.contains(&format!("{rel}/unittest/test/__init__.py")));
    for path in stdlib_list.iter().chain(&tests_list) {
        assert!(buildroot.join(path).is_file(), "{path}");
    }
    assert!(
        !stdlib_list.iter().any(|p| p.contains("/test/")),
        "{stdlib_list:?}"
    );
    // The APKBUILD's loop (the block's comment), with abuild's `amove`: the
    // tests leave the package for the subpackage, nothing else does.
    let apk = block
        .lines()
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("while read"))
        .map(|rest| format!("{AMOVE}\nwhile read{rest}"))
        .expect("the APKBUILD line");
    let subpackage = env.path().join("subpkg");
    run(&apk, &[("pkgdir", &buildroot), ("subpkgdir", &subpackage)]);
    for path in &tests_list {
        assert!(subpackage.join(path).is_file(), "{path} not moved");
        assert!(!buildroot.join(path).exists(), "{path} still there");
    }
    for path in &stdlib_list {
        assert!(buildroot.join(path).is_file(), "{path} moved");
    }
}
