//! `pyprune dedupe` against `compileall --hardlink-dupes` and util-linux
//! `hardlink`, and the rules that keep it from merging what must stay apart.

use crate::harness::*;
use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

fn dedupe(args: &[&str], root: &Path) -> (Value, std::process::Output) {
    let output = pyprune()
        .args(["dedupe", "--format", "json"])
        .args(args)
        .arg(root)
        .output()
        .expect("run");
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (report, output)
}

fn compiled_tree(env: &TestEnv) -> std::path::PathBuf {
    let root = env.path().join("lib");
    copy_from_stdlib(
        &root,
        &["json", "email", "collections", "this.py", "colorsys.py"],
    );
    compileall(&["-o0", "-o1", "-o2"], &root);
    root
}

#[test]
fn caches_scope_links_what_compileall_would_and_saves_what_it_predicted() {
    let env = TestEnv::new();
    let root = compiled_tree(&env);
    let before = caches(&root);
    assert!(before.links.is_empty());
    let du_before = du_bytes(&root, false);

    let (predicted, _) = dedupe(&["--dry-run"], &root);
    assert_eq!(caches(&root), before, "a dry run changes nothing");
    let (report, output) = dedupe(&[], &root);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["bytes_saved"], predicted["bytes_saved"]);
    assert_eq!(
        report["bytes_saved"].as_u64(),
        Some(du_before - du_bytes(&root, false))
    );

    // Same bytes as before, linked exactly as compileall --hardlink-dupes links them.
    let ours = caches(&root);
    assert_eq!(ours.files, before.files);
    remove_caches(&root);
    compileall_all_levels(&root);
    assert_same_caches(&ours, &caches(&root));
    // Nothing temporary is left behind.
    let leftovers = std::process::Command::new("find")
        .arg(&root)
        .args(["-name", ".pyprune-*"])
        .output()
        .expect("find");
    assert!(leftovers.stdout.is_empty());
}

#[test]
fn tree_scope_saves_what_util_linux_hardlink_saves() {
    let env = TestEnv::new();
    let ours = compiled_tree(&env);
    let theirs = env.path().join("theirs");
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(&ours)
            .arg(&theirs)
            .status()
            .expect("cp")
            .success()
    );
    let du_before = du_bytes(&ours, false);
    assert_eq!(du_before, du_bytes(&theirs, false));

    let out = std::process::Command::new("hardlink")
        .arg("-c")
        .arg(&theirs)
        .output()
        .expect("hardlink");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (report, _) = dedupe(&["--scope", "tree", "--content-only"], &ours);
    let saved = du_before - du_bytes(&ours, false);
    assert!(saved > 0);
    assert_eq!(
        saved,
        du_before - du_bytes(&theirs, false),
        "the same bytes saved as hardlink -c"
    );
    assert_eq!(report["bytes_saved"].as_u64(), Some(saved));
}

#[test]
fn files_that_differ_in_mode_owner_or_labels_stay_apart() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    let content = "x = 1\n".repeat(100);
    for name in ["a.py", "b.py", "c.py", "d.py", "e.py"] {
        let path = env.write(name, &content);
        // One mtime for all: sources are merged only when their caches would not notice.
        let status = std::process::Command::new("touch")
            .args(["-d", "2024-01-01 12:00:00"])
            .arg(path)
            .status()
            .expect("touch");
        assert!(status.success());
    }
    std::fs::set_permissions(root.join("b.py"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");
    std::fs::set_permissions(root.join("c.py"), std::fs::Permissions::from_mode(0o444))
        .expect("chmod");
    let labelled = python3()
        .args([
            "-c",
            "import os, sys; os.setxattr(sys.argv[1], 'user.label', b'x')",
        ])
        .arg(root.join("d.py"))
        .status()
        .expect("python3");
    assert!(
        labelled.success(),
        "user xattrs are supported on this filesystem"
    );

    let (report, output) = dedupe(&["--scope", "tree"], &root);
    assert!(output.status.success());
    let ino = |n: &str| std::fs::metadata(root.join(n)).expect("stat").ino();
    // a and e merge; b and c (other modes) are not even grouped with them; d (a label) is warned about.
    assert_eq!(ino("a.py"), ino("e.py"));
    assert_ne!(ino("a.py"), ino("b.py"));
    assert_ne!(ino("a.py"), ino("c.py"));
    assert_ne!(ino("a.py"), ino("d.py"));
    let warned = |report: &Value| -> Vec<String> {
        let list = report["warnings"].as_array().expect("list");
        list.iter()
            .map(|w| w["path"].as_str().expect("path").to_owned())
            .collect()
    };
    assert_eq!(warned(&report), [root.join("d.py").display().to_string()]);
    assert!(stderr(&output).contains("extended attributes differ"));

    // --content-only merges all but the read-only one, which is warned about.
    let (report, output) = dedupe(&["--scope", "tree", "--content-only"], &root);
    assert_eq!(ino("a.py"), ino("b.py"));
    assert_eq!(ino("a.py"), ino("d.py"));
    assert_ne!(ino("a.py"), ino("c.py"));
    assert_eq!(warned(&report), [root.join("c.py").display().to_string()]);
    assert!(stderr(&output).contains("read-only"));
    assert_eq!(
        std::fs::read_to_string(root.join("d.py")).expect("read"),
        content
    );
}

#[test]
fn reflinks_where_unsupported_leave_every_file_as_it_was() {
    let env = TestEnv::new();
    let root = compiled_tree(&env);
    let before = caches(&root);
    let (report, output) = dedupe(&["--reflink"], &root);
    assert!(output.status.success());
    let fs = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(&root)
        .output()
        .expect("stat");
    if String::from_utf8_lossy(&fs.stdout).trim() == "ext2/ext3" {
        // ext4 has no copy-on-write clones: every merge is refused, nothing changes.
        assert_eq!(report["merged"], json!(0));
        assert!(
            stderr(&output).contains("copy-on-write"),
            "{}",
            stderr(&output)
        );
        assert_eq!(caches(&root), before);
    } else {
        assert_eq!(caches(&root).files, before.files, "clones keep every byte");
    }
}

#[test]
fn links_out_of_the_tree_are_never_touched() {
    let outside = TestEnv::new();
    let secret = outside.write("same.py", "y = 2\n".repeat(50));
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    env.write("same.py", "y = 2\n".repeat(50));
    std::os::unix::fs::symlink(&secret, root.join("link.py")).expect("symlink");
    let (report, _) = dedupe(&["--scope", "tree", "--content-only"], &root);
    assert_eq!(report["groups"], json!(0));
    assert_eq!(std::fs::metadata(&secret).expect("stat").nlink(), 1);
}

#[test]
fn every_link_of_a_merged_inode_is_merged_and_sources_keep_their_mtimes() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    let data = vec![7u8; 10_000];
    env.write("b.bin", &data);
    env.write("c.bin", &data);
    std::fs::hard_link(root.join("c.bin"), root.join("c2.bin")).expect("link");
    // Identical sources with different mtimes: merging would leave one's caches stale.
    env.write("x/m.py", "z = 3\n".repeat(100));
    env.write("y/m.py", "z = 3\n".repeat(100));
    let touched = std::process::Command::new("touch")
        .args(["-d", "2020-01-01"])
        .arg(root.join("y/m.py"))
        .status()
        .expect("touch");
    assert!(touched.success());

    let (report, _) = dedupe(&["--scope", "tree"], &root);
    let ino = |n: &str| std::fs::metadata(root.join(n)).expect("stat").ino();
    assert_eq!(ino("b.bin"), ino("c.bin"));
    assert_eq!(
        ino("b.bin"),
        ino("c2.bin"),
        "both paths of the merged inode"
    );
    assert_eq!(report["merged"], json!(2));
    assert_eq!(
        report["bytes_saved"].as_u64(),
        Some(
            std::fs::metadata(root.join("b.bin"))
                .expect("stat")
                .blocks()
                * 512
        )
    );
    assert_ne!(
        ino("x/m.py"),
        ino("y/m.py"),
        "sources with different mtimes stay apart"
    );
}

#[test]
fn a_twin_whose_keeper_has_every_link_the_filesystem_allows_is_left_alone() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    let content = "x = 1\n".repeat(100);
    let keeper = env.write("a.py", &content);
    let twin = env.write("z.py", &content);
    // Link the keeper until the filesystem refuses (ext4: 65,000 links; XFS and
    // tmpfs allow billions, and there is nothing to test).
    std::fs::create_dir(root.join("k")).expect("mkdir");
    let mut links = 1u64;
    let refusal = loop {
        match std::fs::hard_link(&keeper, root.join("k").join(format!("{links:06}.py"))) {
            Ok(()) => links += 1,
            Err(e) => break e,
        }
        if links == 70_000 {
            eprintln!("no link limit below 70,000 here: EMLINK not tested");
            return;
        }
    };
    assert_eq!(refusal.raw_os_error(), Some(31), "{refusal}");
    let twin_inode = std::fs::metadata(&twin).expect("stat").ino();

    let (report, output) = dedupe(&["--scope", "tree", "--content-only"], &root);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["merged"], json!(0));
    assert!(
        stderr(&output).contains("z.py") && stderr(&output).contains("EMLINK"),
        "{}",
        stderr(&output)
    );
    let after = std::fs::metadata(&twin).expect("the twin is still there");
    assert_eq!((after.ino(), after.nlink()), (twin_inode, 1));
    assert_eq!(std::fs::read_to_string(&twin).expect("read"), content);
    assert_eq!(std::fs::metadata(&keeper).expect("stat").nlink(), links);
}
