//! `analyze` on trees of real stdlib files compiled by the real `compileall`:
//! every total must equal what an independent Python walk and `du` compute.

use crate::harness::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn modules_by_name(report: &Value) -> BTreeMap<String, Value> {
    report["modules"]
        .as_array()
        .expect("modules is a list")
        .iter()
        .map(|m| {
            let name = m["name"].as_str().expect("name").to_owned();
            let mut rest = m.clone();
            rest.as_object_mut().expect("object").remove("name");
            // What a group is (module, vendored libraries...) is checked apart.
            rest.as_object_mut().expect("object").remove("role");
            (name, rest)
        })
        .collect()
}

#[test]
fn totals_match_an_independent_walk_and_du() {
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    // The whole tree, its site-packages included (by default left out: below).
    let (report, output) = analyze_json(&root, &["--site-packages"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = expected_inventory(&root);

    assert_eq!(report["totals"], expected["totals"]);
    assert_eq!(report["by_kind"], expected["by_kind"]);
    assert_eq!(report["hardlinks"], expected["hardlinks"]);
    assert_eq!(report["directories"], expected["directories"]);
    assert_eq!(report["cache_tags"], expected["cache_tags"]);
    let expected_modules: BTreeMap<String, Value> = expected["modules"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(modules_by_name(&report), expected_modules);
    for module in report["modules"].as_array().expect("modules") {
        assert_eq!(module["role"], json!("module"), "{module}");
    }
    assert_eq!(report["warnings"], json!([]));

    // du counts each inode once and directories too.
    let disk = report["totals"]["disk_bytes"].as_u64().expect("u64")
        + report["directories"]["disk_bytes"].as_u64().expect("u64");
    let apparent = report["totals"]["apparent_bytes"].as_u64().expect("u64")
        + report["directories"]["apparent_bytes"]
            .as_u64()
            .expect("u64");
    assert_eq!(disk, du_bytes(&root, false));
    assert_eq!(apparent, du_bytes(&root, true));

    // By default the stdlib's site-packages is left out, and its size said.
    let (stdlib_only, _) = analyze_json(&root, &[]);
    let site = root.join("site-packages");
    assert_eq!(
        stdlib_only["left_out"],
        json!({"dirs": ["site-packages"], "disk_bytes": du_bytes(&site, false)})
    );
    let counted = |field: &str| {
        stdlib_only["totals"][field].as_u64().expect("u64")
            + stdlib_only["directories"][field].as_u64().expect("u64")
    };
    assert_eq!(counted("disk_bytes"), disk - du_bytes(&site, false));
    assert_eq!(counted("apparent_bytes"), apparent - du_bytes(&site, true));
    assert_eq!(stdlib_only["by_kind"]["metadata"]["files"], 0);
}

#[test]
fn the_tree_has_every_kind_and_real_hardlinks() {
    // Guards the test above against passing on a tree that exercises nothing.
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    let (report, _) = analyze_json(&root, &["--site-packages"]);
    for kind in [
        "source",
        "bytecode-opt0",
        "bytecode-opt1",
        "bytecode-opt2",
        "sourceless",
        "extension",
        "metadata",
        "data",
    ] {
        assert!(
            report["by_kind"][kind]["files"].as_u64() > Some(0),
            "no {kind} files"
        );
    }
    assert!(
        report["hardlinks"]["paths"].as_u64() > Some(0),
        "compileall made no hardlinks"
    );
    let modules = modules_by_name(&report);
    for name in ["email", "json", "encodings", "os", "_json", "this", "pip"] {
        assert!(
            modules.contains_key(name),
            "module {name} missing: {:?}",
            modules.keys()
        );
    }
    // The opt-0 cache of `email/__init__.py` is a real file of the email module.
    assert!(modules["email"]["by_kind"]["bytecode-opt0"]["files"].as_u64() > Some(0));
}

#[test]
fn a_hardlinked_triad_counts_once_for_its_first_path() {
    // An empty module compiles to identical bytes at every level, so compileall
    // links all three; `NAME.TAG.opt-1.pyc` sorts first and carries the bytes.
    let env = TestEnv::new();
    env.write("pkg/empty.py", "");
    compileall_all_levels(env.path());
    let tag = cache_tag();
    let opt1 = env
        .path()
        .join(format!("pkg/__pycache__/empty.{tag}.opt-1.pyc"));
    let metadata = std::fs::metadata(&opt1).expect("compileall wrote opt-1");
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(
        metadata.nlink(),
        3,
        "compileall --hardlink-dupes linked the triad"
    );
    let disk = metadata.blocks() * 512;

    let (report, _) = analyze_json(env.path(), &[]);
    let kinds = &report["by_kind"];
    assert_eq!(
        kinds["bytecode-opt1"],
        json!({"files": 1, "apparent_bytes": metadata.size(), "disk_bytes": disk})
    );
    assert_eq!(
        kinds["bytecode-opt0"],
        json!({"files": 1, "apparent_bytes": 0, "disk_bytes": 0})
    );
    assert_eq!(
        kinds["bytecode-opt2"],
        json!({"files": 1, "apparent_bytes": 0, "disk_bytes": 0})
    );
    assert_eq!(
        report["hardlinks"],
        json!({"paths": 3, "saved_bytes": 2 * disk})
    );
}

#[test]
fn the_installed_stdlib_is_the_default_target() {
    let output = pyprune()
        .args(["analyze", "--format", "json"])
        .output()
        .expect("run pyprune");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let root = std::fs::canonicalize(stdlib()).expect("canonical stdlib");
    assert_eq!(report["root"], json!(root.to_string_lossy()));
    assert_eq!(report["python"]["cache_tag"], json!(cache_tag()));
    let magic = python_print(
        "import importlib.util as u; print(int.from_bytes(u.MAGIC_NUMBER[:2], 'little'))",
    );
    assert_eq!(
        report["python"]["magic"],
        json!(magic.parse::<u64>().expect("number"))
    );
    let version = python_print("import platform; print(platform.python_version())");
    assert_eq!(report["python"]["version"], json!(version));
}

#[test]
fn a_prefix_groups_non_library_files_by_directory() {
    let env = TestEnv::new();
    let lib = env.path().join("lib/python3.11");
    std::fs::create_dir_all(&lib).expect("mkdir");
    copy_from_stdlib(&lib, &["json"]);
    env.write("bin/python3.11", "#!/bin/sh\n");
    std::os::unix::fs::symlink("python3.11", env.path().join("bin/python3")).expect("symlink");
    env.write("lib/python3.11/site-packages/six.py", "x = 1\n");
    env.write("include/python3.11/Python.h", "/* */\n");
    let (report, output) = analyze_json(env.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let modules = modules_by_name(&report);
    let names: Vec<&str> = modules.keys().map(String::as_str).collect();
    assert_eq!(names, ["bin/", "include/", "json", "six"]);
    assert_eq!(modules["bin/"]["files"], json!(2));
    let role = |name: &str| {
        report["modules"]
            .as_array()
            .expect("modules")
            .iter()
            .find(|m| m["name"] == json!(name))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role("bin/"), Some(json!("outside-import-roots")));
    assert_eq!(role("json"), Some(json!("module")));
    // An in-tree symlink is counted as itself and raises no warning.
    assert_eq!(report["warnings"], json!([]));
}

#[test]
fn an_interpreter_is_asked_only_when_named() {
    let env = TestEnv::new();
    env.write("mod.py", "x = 1\n");
    let (report, _) = analyze_json(env.path(), &[]);
    assert_eq!(report["python"], Value::Null);
    let (report, output) = analyze_json(env.path(), &["--python", "python3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["python"]["cache_tag"], json!(cache_tag()));
}
