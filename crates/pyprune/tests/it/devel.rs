//! `exclude-devel`: the files only building against Python needs go (the
//! stdlib's `config-3.X` with its static library, the headers,
//! `python*-config`, the pkg-config files), and Python itself does not miss
//! them: `sysconfig` still answers, every module still imports.

use crate::harness::*;
use std::path::Path;

/// Copies `from` (a file or directory of the installed Python) to `to`.
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(status.success(), "cp {from:?}");
}

#[test]
fn build_files_go_and_python_does_not_miss_them() {
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let (stdlib, release) = tiny_prefix(&prefix);
    let installed = self::stdlib();
    copy_from_stdlib(&stdlib, &["encodings", "sysconfig.py"]);
    for entry in std::fs::read_dir(&installed).expect("stdlib") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if name.starts_with("_sysconfigdata") && name.ends_with(".py") {
            copy_from_stdlib(&stdlib, &[&name]);
        }
        if name.starts_with("config-3.") {
            // The build files as installed, with a stand-in for the static
            // library (the real one is tens of MiB).
            let config = stdlib.join(name.as_ref());
            copy(&installed.join(name.as_ref()), &config);
            let archive = config.join(format!("lib{release}.a"));
            let _ = std::fs::remove_file(&archive);
            std::fs::write(&archive, vec![0u8; 1 << 20]).expect("write");
        }
    }
    let include = python_print("import sysconfig; print(sysconfig.get_paths()['include'])");
    copy(Path::new(&include), &prefix.join("include").join(&release));
    let config_script = prefix.join("bin").join(format!("{release}-config"));
    std::fs::create_dir_all(prefix.join("bin")).expect("mkdir");
    std::fs::write(&config_script, "#!/bin/sh\n").expect("write");
    env.write(
        format!("prefix/lib/pkgconfig/{release}.pc").as_str(),
        "Name: Python\n",
    );
    let config_dir = std::fs::read_dir(&stdlib)
        .expect("stdlib")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("config-3."))
        })
        .expect("the installed Python has a config-3.X directory");

    // Planned on the prefix and on its stdlib directory alone (Debian's layout).
    for tree in [&prefix, &stdlib] {
        let rows = plan_rows(tree);
        let row = rows
            .iter()
            .find(|r| r["name"] == "exclude-devel")
            .expect("an exclude-devel row");
        assert!(
            row["saved_bytes"].as_i64().expect("saved") >= 1 << 20,
            "{row}"
        );
    }
    let out = env.path().join("out");
    let report = apply_to(&prefix, &out, &["--steps", "exclude-devel"]);
    assert_eq!(
        report["verify"]["regressions"],
        serde_json::json!([]),
        "{report}"
    );
    let rel = |p: &Path| out.join(p.strip_prefix(&prefix).expect("inside"));
    for gone in [&config_dir, &prefix.join("include"), &config_script] {
        assert!(!rel(gone).exists(), "{gone:?} is still there");
    }
    assert!(!out.join(format!("lib/pkgconfig/{release}.pc")).exists());
    assert!(rel(&stdlib.join("sysconfig.py")).is_file());
    let (stdout, _) = python_on(
        &out,
        env.path(),
        &["-S", "-B"],
        "import sysconfig; print(len(sysconfig.get_config_vars()) > 100, sysconfig.get_paths()['stdlib'])",
    );
    assert_eq!(
        stdout.trim(),
        format!("True {}", rel(&stdlib).display()),
        "sysconfig on the result"
    );
    let predicted = report["predicted_disk_bytes"].as_u64().expect("predicted");
    let du = du_bytes(&out, false);
    assert!(
        predicted.abs_diff(du) * 50 <= du,
        "predicted {predicted}, du {du}"
    );
}
