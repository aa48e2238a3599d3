//! `pyprune split` on trees of real stdlib files compiled by the real
//! `compileall`: which layer each file lands in (against path rules written
//! out here), the lists in every format, sizes (against `lstat` and `du` on
//! the installs laid out alone), links across layers reported, refused and
//! broken. `split_check.rs` holds `--check`'s tests.

use crate::harness::{
    TestEnv, compileall_all_levels, copy_from_stdlib, du_bytes, paths_under, pyprune, stderr,
    stdlib,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// A tiny stdlib at `prefix/lib/python3.X` of real files with something for
/// every default layer: modules (core), a test suite and a package's tests,
/// IDLE, unittest (a developer module) with its own tests, the build
/// configuration (devel), compiled at every level with duplicates linked.
pub fn layered_stdlib(prefix: &Path) -> PathBuf {
    let root = layered_sources(prefix);
    compileall_all_levels(&root);
    root
}

/// [`layered_stdlib`]'s files without their caches.
pub fn layered_sources(prefix: &Path) -> PathBuf {
    let root = crate::harness::tiny_stdlib_sources(prefix);
    let config = std::fs::read_dir(stdlib())
        .expect("stdlib")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("config-3."))
        .expect("the stdlib's config-3.X directory");
    copy_from_stdlib(
        &root,
        &[
            "test/__init__.py",
            "idlelib/__init__.py",
            "unittest/__init__.py",
            "unittest/case.py",
            "unittest/util.py",
            &format!("{config}/Makefile"),
        ],
    );
    std::fs::create_dir_all(root.join("unittest/test")).expect("mkdir");
    std::fs::write(root.join("unittest/test/__init__.py"), "").expect("write");
    // A third-party package: not the stdlib's, so not split.
    std::fs::create_dir_all(root.join("site-packages/extra")).expect("mkdir");
    std::fs::write(root.join("site-packages/extra/__init__.py"), "").expect("write");
    root
}

/// The layer a path of [`layered_stdlib`] belongs in, by the words:
/// build files, test suites (with their caches), IDLE, developer modules,
/// then caches by level, the rest in core.
fn expected_layer(rel: &str) -> &'static str {
    let cache_level = || {
        let name = rel.rsplit('/').next().unwrap_or_default();
        if !rel.contains("__pycache__/") {
            "core"
        } else if name.ends_with(".opt-1.pyc") {
            "bytecode-opt1"
        } else if name.ends_with(".opt-2.pyc") {
            "bytecode-opt2"
        } else {
            "bytecode-opt0"
        }
    };
    if rel.starts_with("config-3.") {
        "devel"
    } else if rel.starts_with("test/") || rel.starts_with("unittest/test/") {
        "tests"
    } else if rel.starts_with("idlelib/") {
        "idle-tk"
    } else if rel.starts_with("unittest/") {
        "dev-modules"
    } else {
        cache_level()
    }
}

/// The files under `root` (relative, directories left out).
fn files_under(root: &Path) -> BTreeSet<String> {
    paths_under(root)
        .into_iter()
        .filter(|p| !p.symlink_metadata().expect("lstat").is_dir())
        .map(|p| rel_of(&p, root))
        .collect()
}

fn rel_of(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .expect("under root")
        .to_string_lossy()
        .into_owned()
}

/// The lines of a list file.
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read list")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Each file's bytes, mode and mtime: what must not change.
fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, u32, i64)> {
    files_under(root)
        .into_iter()
        .map(|rel| {
            let path = root.join(&rel);
            let meta = path.symlink_metadata().expect("lstat");
            let bytes = std::fs::read(&path).expect("read");
            (rel, (bytes, meta.mode(), meta.mtime()))
        })
        .collect()
}

pub fn run_json(args: &[&std::ffi::OsStr]) -> (Value, std::process::Output) {
    let out = pyprune()
        .arg("split")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run pyprune split");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    (report, out)
}

#[test]
fn every_file_in_one_layer_in_every_list_format_with_sizes_du_agrees_with() {
    let env = TestEnv::new();
    let root = layered_stdlib(&env.path().join("prefix"));
    let before = snapshot(&root);
    let lists = env.path().join("lists");
    let installs = env.path().join("installs");
    let prefix = "/usr/lib64/python3.X";
    let (report, out) = run_json(&[
        root.as_os_str(),
        "--prefix".as_ref(),
        prefix.as_ref(),
        "--out".as_ref(),
        lists.as_os_str(),
        "--materialize".as_ref(),
        installs.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Nothing of the tree changed.
    assert!(before == snapshot(&root), "the tree changed");
    // Lists are never written into the tree.
    let inside = pyprune()
        .arg("split")
        .arg(&root)
        .arg("--out")
        .arg(root.join("json/lists"))
        .output()
        .expect("run");
    assert_eq!(inside.status.code(), Some(2));
    assert!(
        stderr(&inside).contains("is inside the tree"),
        "{}",
        stderr(&inside)
    );
    assert!(
        before == snapshot(&root),
        "--out inside the tree changed it"
    );
    assert!(!root.join("json/lists").exists());

    // Every file in exactly the layer the rules say, in each format; the
    // third-party packages in none, said with their size.
    assert_eq!(
        report["left_out"]["dirs"],
        serde_json::json!(["site-packages"])
    );
    assert_eq!(
        report["left_out"]["disk_bytes"],
        du_bytes(&root.join("site-packages"), false)
    );
    let files: BTreeSet<String> = files_under(&root)
        .into_iter()
        .filter(|f| !f.starts_with("site-packages/"))
        .collect();
    let layers: Vec<String> = report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name").to_owned())
        .collect();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for layer in &layers {
        let plain = lines(&lists.join(format!("{layer}.list")));
        let install = lines(&lists.join(format!("{layer}.install")));
        let rels: Vec<String> = plain
            .iter()
            .map(|p| {
                p.strip_prefix(&format!("{prefix}/"))
                    .unwrap_or_else(|| panic!("`{p}` not under --prefix"))
                    .to_owned()
            })
            .collect();
        let expected_install: Vec<String> = plain
            .iter()
            .map(|p| p.trim_start_matches('/').to_owned())
            .collect();
        assert_eq!(install, expected_install, "{layer}.install");
        for rel in rels {
            assert_eq!(expected_layer(&rel), layer, "{rel}");
            assert!(
                seen.insert(rel.clone(), layer.clone()).is_none(),
                "{rel} twice"
            );
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), files);
    for layer in [
        "core",
        "tests",
        "idle-tk",
        "dev-modules",
        "devel",
        "bytecode-opt0",
        "bytecode-opt1",
        "bytecode-opt2",
    ] {
        assert!(seen.values().any(|l| l == layer), "nothing in {layer}");
    }

    // RPM: each file owned by one fragment, each directory `%dir` in one, and
    // the base's `%ghost`s exactly the cache layers' files.
    let mut owned: BTreeMap<String, u32> = BTreeMap::new();
    let mut dirs: BTreeMap<String, u32> = BTreeMap::new();
    let mut ghosts = BTreeSet::new();
    for layer in &layers {
        for line in lines(&lists.join(format!("{layer}.files"))) {
            if let Some(dir) = line.strip_prefix("%dir ") {
                *dirs.entry(dir.to_owned()).or_default() += 1;
            } else if let Some(ghost) = line.strip_prefix("%ghost ") {
                assert_eq!(layer, "core", "{line}");
                ghosts.insert(
                    ghost
                        .strip_prefix(&format!("{prefix}/"))
                        .expect("prefixed")
                        .to_owned(),
                );
            } else {
                *owned.entry(line).or_default() += 1;
            }
        }
    }
    let full = |rel: &String| format!("{prefix}/{rel}");
    assert_eq!(owned, files.iter().map(|f| (full(f), 1)).collect());
    let tree_dirs: BTreeMap<String, u32> = paths_under(&root)
        .into_iter()
        .filter(|p| p.symlink_metadata().expect("lstat").is_dir())
        // site-packages itself is core's (the stdlib's package makes it).
        .filter(|p| !p.starts_with(root.join("site-packages")) || *p == root.join("site-packages"))
        .map(|p| (full(&rel_of(&p, &root)), 1))
        .chain([(prefix.to_owned(), 1)])
        .collect();
    assert_eq!(dirs, tree_dirs);
    // A package's directory is its layer's, not that of its tests (which come
    // first in install order): installing dev-modules alone owns `unittest/`.
    for (layer, dir) in [("dev-modules", "unittest"), ("tests", "unittest/test")] {
        let fragment = lines(&lists.join(format!("{layer}.files")));
        assert!(
            fragment.contains(&format!("%dir {prefix}/{dir}")),
            "{layer} does not own {dir}: {fragment:?}"
        );
    }
    let caches: BTreeSet<String> = seen
        .iter()
        .filter(|(_, l)| l.starts_with("bytecode-"))
        .map(|(f, _)| f.clone())
        .collect();
    assert_eq!(ghosts, caches);

    // Sizes: each layer's against lstat (inodes once); each install's disk
    // against `du` of it laid out alone, its files those of its layers.
    for layer in report["layers"].as_array().expect("layers") {
        let name = layer["name"].as_str().expect("name");
        let mut inodes = BTreeSet::new();
        let (mut apparent, mut disk, mut count) = (0, 0, 0);
        for (rel, _) in seen.iter().filter(|(_, l)| *l == name) {
            let meta = root.join(rel).symlink_metadata().expect("lstat");
            count += 1;
            apparent += meta.size();
            if inodes.insert(meta.ino()) {
                disk += meta.blocks() * 512;
            }
        }
        let sizes = &layer["sizes"];
        assert_eq!(sizes["files"], count, "{name}");
        assert_eq!(sizes["apparent_bytes"], apparent, "{name}");
        assert_eq!(sizes["disk_bytes"], disk, "{name}");
    }
    let chain = report["installs"].as_array().expect("installs");
    assert_eq!(
        chain
            .iter()
            .map(|i| i["name"].as_str().expect("name"))
            .collect::<Vec<_>>()[..3],
        [
            "core",
            "core+bytecode-opt0",
            "core+bytecode-opt0+bytecode-opt1"
        ]
    );
    let mut smaller = BTreeSet::new();
    for install in chain {
        let name = install["name"].as_str().expect("name");
        let laid = installs.join(name);
        let in_layers: BTreeSet<String> = seen
            .iter()
            .filter(|(_, l)| {
                install["layers"]
                    .as_array()
                    .expect("layers")
                    .iter()
                    .any(|n| n == *l)
            })
            .map(|(f, _)| f.clone())
            .collect();
        assert_eq!(files_under(&laid), in_layers, "{name}");
        assert!(smaller.is_subset(&in_layers), "{name}");
        smaller = in_layers;
        assert_eq!(
            install["sizes"]["disk_bytes"],
            du_bytes(&laid, false),
            "{name}"
        );
    }

    // Links across layers: compileall linked identical levels; split names
    // them as the test groups inodes, and `--links break` gives each layer
    // its own copy, the lowest level keeping the inode.
    let mut by_inode: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for rel in &files {
        by_inode
            .entry(root.join(rel).symlink_metadata().expect("lstat").ino())
            .or_default()
            .insert(rel.clone());
    }
    let crossing: BTreeSet<BTreeSet<String>> = by_inode
        .into_values()
        .filter(|group| {
            group
                .iter()
                .map(|f| &seen[f])
                .collect::<BTreeSet<_>>()
                .len()
                > 1
        })
        .collect();
    assert!(!crossing.is_empty());
    let reported: BTreeSet<BTreeSet<String>> = report["cross_layer_links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|g| {
            g.as_array()
                .expect("group")
                .iter()
                .map(|p| p["path"].as_str().expect("path").to_owned())
                .collect()
        })
        .collect();
    assert_eq!(reported, crossing);
    let refused = pyprune()
        .arg("split")
        .arg(&root)
        .args(["--links", "refuse"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(before == snapshot(&root), "--links refuse changed the tree");
    let kept: BTreeMap<String, u64> = crossing
        .iter()
        .flatten()
        .filter(|f| seen[*f] == "bytecode-opt0")
        .map(|f| {
            (
                f.clone(),
                root.join(f).symlink_metadata().expect("lstat").ino(),
            )
        })
        .collect();
    let (after, out) = run_json(&[root.as_os_str(), "--links".as_ref(), "break".as_ref()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(after["cross_layer_links"], serde_json::json!([]));
    assert!(after["links_broken"].as_u64().expect("count") > 0);
    let broken = snapshot(&root);
    assert_eq!(
        broken
            .iter()
            .map(|(f, (b, m, t))| (f, b, m, t))
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|(f, (b, m, t))| (f, b, m, t))
            .collect::<Vec<_>>(),
        "bytes, modes and times kept"
    );
    for group in &crossing {
        let inodes: BTreeSet<(String, u64)> = group
            .iter()
            .map(|f| {
                (
                    seen[f].clone(),
                    root.join(f).symlink_metadata().expect("lstat").ino(),
                )
            })
            .collect();
        let layers: BTreeSet<&String> = inodes.iter().map(|(l, _)| l).collect();
        assert_eq!(inodes.len(), layers.len(), "one inode per layer: {group:?}");
    }
    for (file, inode) in kept {
        assert_eq!(
            root.join(&file).symlink_metadata().expect("lstat").ino(),
            inode,
            "{file}"
        );
    }
}
