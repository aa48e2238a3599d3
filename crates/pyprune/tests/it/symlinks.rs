//! Symlinks stay symlinks: no step or profile reads through a link, rewrites
//! it, takes a file mode from it, or stops at a dangling one. The tree is a
//! small prefix of real stdlib files with the links real installations have:
//! `lib/libpython3.X.so` (pyenv), an extension module that is a link, a
//! dangling `config-3.X/libpython3.X.so` (Debian's, in any copy), a module
//! whose source is a link inside the tree, and one leading out of it.

use crate::harness::*;
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

/// Every path below `root`: a link's target, or a file's mode.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Link(PathBuf),
    File(u32),
    Dir,
}

fn entries(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            let meta = path.symlink_metadata().expect("lstat");
            let rel = path.strip_prefix(root).expect("inside").to_path_buf();
            let kind = if meta.file_type().is_symlink() {
                Entry::Link(std::fs::read_link(&path).expect("a link"))
            } else if meta.is_dir() {
                stack.push(path);
                Entry::Dir
            } else {
                Entry::File(meta.mode() & 0o7777)
            };
            out.insert(rel, kind);
        }
    }
    out
}

/// The prefix, and the file outside it that one of its links leads to.
fn linked_prefix(env: &TestEnv) -> (PathBuf, PathBuf) {
    let prefix = env.path().join("prefix");
    let (stdlib, release) = tiny_prefix(&prefix);
    let dynload = stdlib.join("lib-dynload");
    std::fs::create_dir_all(&dynload).expect("mkdir");
    let extension = std::fs::read_dir(self::stdlib().join("lib-dynload"))
        .expect("lib-dynload")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("_json.") && n.ends_with(".so"))
        .expect("_json's extension module");
    std::fs::copy(
        self::stdlib().join("lib-dynload").join(&extension),
        dynload.join(&extension),
    )
    .expect("copy");
    let suffix = extension.trim_start_matches("_json");
    symlink(&extension, dynload.join(format!("_jsonlink{suffix}"))).expect("symlink");
    let lib_so = format!("lib{release}.so");
    symlink(
        Path::new(&release).join("lib-dynload").join(&extension),
        prefix.join("lib").join(&lib_so),
    )
    .expect("symlink");
    let config = stdlib.join(format!("config-{}", &release["python".len()..]));
    std::fs::create_dir_all(&config).expect("mkdir");
    symlink(
        Path::new("../../nowhere").join(&lib_so),
        config.join(&lib_so),
    )
    .expect("symlink");
    symlink("decoder.py", stdlib.join("json/alias.py")).expect("symlink");
    let outside = env.write("outside/mod.py", "X = 1\n");
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    symlink(&outside, stdlib.join("outside_mod.py")).expect("symlink");
    (prefix, outside)
}

#[test]
fn no_step_or_profile_follows_rewrites_or_takes_a_mode_from_a_symlink() {
    let env = TestEnv::new();
    let (prefix, outside) = linked_prefix(&env);
    let outside_before = std::fs::symlink_metadata(&outside).expect("stat");
    let before = entries(&prefix);
    let links = before
        .values()
        .filter(|e| matches!(e, Entry::Link(_)))
        .count();
    assert_eq!(links, 5, "{before:#?}");
    // plan reads the whole tree, dangling link included, and does not stop.
    let rows = plan_rows(&prefix);
    let mut runs: Vec<(String, Vec<&str>)> = rows
        .iter()
        .filter(|r| r["name"] != "compress-pycs")
        .map(|r| {
            let name = r["name"].as_str().expect("name").to_owned();
            let flag = if r["kind"] == "step" {
                "--steps"
            } else {
                "--profile"
            };
            (name, vec![flag])
        })
        .collect();
    runs.sort();
    assert!(runs.len() >= 20, "{runs:?}");
    for (name, flag) in &runs {
        let out = env.path().join(format!("out-{name}"));
        let mut args = flag.clone();
        args.extend([name.as_str(), "--no-verify"]);
        apply_to(&prefix, &out, &args);
        let after = entries(&out);
        for (path, entry) in &before {
            let now = after.get(path);
            match (entry, now) {
                // Removed by the step, or kept as it was.
                (_, None) => {}
                (Entry::Link(target), Some(now)) => assert_eq!(
                    now,
                    &Entry::Link(target.clone()),
                    "{name}: the link {path:?} became {now:?}"
                ),
                (Entry::File(mode), Some(Entry::File(now))) => {
                    assert_eq!(mode, now, "{name}: the mode of {path:?}")
                }
                (_, Some(now)) => assert_eq!(entry, now, "{name}: {path:?}"),
            }
        }
        for (path, entry) in &after {
            if let Entry::File(mode) = entry {
                assert_eq!(mode & 0o022, 0, "{name}: {path:?} is writable by others");
            }
        }
    }
    let outside_after = std::fs::symlink_metadata(&outside).expect("stat");
    assert_eq!(std::fs::read(&outside).expect("read"), b"X = 1\n");
    assert_eq!(outside_before.mtime(), outside_after.mtime());
    assert_eq!(entries(&prefix), before, "the input changed");
}
