//! `analyze` and `plan` on a venv of real wheels: the footprint by installed
//! distribution equals what each RECORD lists on disk, computed apart
//! (`expected_distributions.py`); files no RECORD lists are unowned; what a
//! step saves is stated per distribution; `numpy.libs/` is not a module, and
//! the venv's interpreter links raise no warning.

use crate::harness::*;
use crate::venvs::{shared_venv, site_packages, venv_copy};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// What `expected_distributions.py` computes for the venv at `venv`.
fn expected(venv: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/expected_distributions.py");
    let out = python3()
        .arg(script)
        .arg(venv)
        .output()
        .expect("expected_distributions.py");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The report's distributions by `dist_info`, sizes only.
fn sizes_by_dist_info(report: &Value) -> BTreeMap<String, Value> {
    report["distributions"]
        .as_array()
        .expect("distributions")
        .iter()
        .map(|d| {
            (
                d["dist_info"].as_str().expect("dist_info").to_owned(),
                json!({
                    "files": d["files"],
                    "apparent_bytes": d["apparent_bytes"],
                    "disk_bytes": d["disk_bytes"],
                }),
            )
        })
        .collect()
}

fn sizes_of(value: &Value) -> Value {
    json!({
        "files": value["files"],
        "apparent_bytes": value["apparent_bytes"],
        "disk_bytes": value["disk_bytes"],
    })
}

#[test]
fn the_footprint_by_distribution_is_what_each_record_lists_on_disk() {
    let venv = shared_venv();
    let (report, output) = analyze_json(venv, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = expected(venv);
    let wanted: BTreeMap<String, Value> = expected["distributions"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(sizes_by_dist_info(&report), wanted);
    assert_eq!(sizes_of(&report["unowned"]), expected["unowned"]);
    // Largest first, each with its name and version from METADATA.
    let dists = report["distributions"].as_array().expect("distributions");
    let disk: Vec<u64> = dists
        .iter()
        .map(|d| d["disk_bytes"].as_u64().expect("u64"))
        .collect();
    assert!(disk.windows(2).all(|w| w[0] >= w[1]), "{disk:?}");
    let numpy = dists
        .iter()
        .find(|d| d["name"] == json!("numpy"))
        .expect("numpy");
    assert_eq!(
        (
            &numpy["version"],
            &numpy["record"],
            &numpy["listed_not_found"]
        ),
        (&json!("2.4.6"), &json!("listed"), &json!(0))
    );
    // The unowned files of a venv are its own: `bin/activate*` and `pyvenv.cfg`.
    let unowned_dirs: Vec<&str> = report["unowned"]["dirs"]
        .as_array()
        .expect("dirs")
        .iter()
        .map(|d| d["dir"].as_str().expect("dir"))
        .collect();
    assert_eq!(unowned_dirs, ["bin", "."]);
    // All of it third-party but those: no stdlib in a venv.
    let parts = &report["parts"];
    assert_eq!(parts["stdlib"]["files"], json!(0));
    assert_eq!(sizes_of(&parts["other"]), expected["unowned"]);
    let third: u64 = wanted
        .values()
        .map(|v| v["disk_bytes"].as_u64().expect("u64"))
        .sum();
    assert_eq!(parts["third_party"]["disk_bytes"], json!(third));

    // numpy.libs is numpy's vendored libraries, not a module.
    let modules = report["modules"].as_array().expect("modules");
    let role = |name: &str| {
        modules
            .iter()
            .find(|m| m["name"] == json!(name))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role("numpy.libs"), Some(json!("vendored-libraries")));
    assert_eq!(role("numpy"), Some(json!("module")));
    assert_eq!(role("bin/"), Some(json!("outside-import-roots")));
    // The venv's bin/python* links to the base interpreter are no warning.
    assert_eq!(report["warnings"], json!([]), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

#[test]
fn planted_files_no_record_lists_are_unowned_and_named() {
    let env = TestEnv::new();
    let venv = venv_copy(&env, "venv");
    let site = site_packages(&venv);
    let (before, _) = analyze_json(&venv, &[]);
    // A directory of its own, and a file inside numpy's package that its RECORD does not list.
    std::fs::create_dir_all(site.join("stray")).expect("mkdir");
    std::fs::write(site.join("stray/blob.bin"), vec![7u8; 300_000]).expect("write");
    std::fs::write(site.join("numpy/planted.txt"), b"not numpy's").expect("write");
    // A distribution whose RECORD is gone (as distro packages install them).
    let sqlparse = std::fs::read_dir(&site)
        .expect("site-packages")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("sqlparse-"))
        })
        .expect("sqlparse's dist-info");
    std::fs::remove_file(sqlparse.join("RECORD")).expect("rm RECORD");
    // And a broken interpreter link: that one is still a warning.
    std::os::unix::fs::symlink("/nonexistent/python3", venv.join("bin/python3.99"))
        .expect("symlink");
    let (after, output) = analyze_json(&venv, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = expected(&venv);
    assert_eq!(sizes_of(&after["unowned"]), expected["unowned"]);
    let sqlparse_before = before["distributions"]
        .as_array()
        .expect("distributions")
        .iter()
        .find(|d| d["name"] == json!("sqlparse"))
        .expect("sqlparse")
        .clone();
    // Its files, but the RECORD itself, are unowned now; with the three planted.
    assert_eq!(
        after["unowned"]["files"].as_u64().expect("u64"),
        before["unowned"]["files"].as_u64().expect("u64")
            + 3
            + sqlparse_before["files"].as_u64().expect("u64")
            - 1
    );
    let wanted: BTreeMap<String, Value> = expected["distributions"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(sizes_by_dist_info(&after), wanted);
    let mut others = sizes_by_dist_info(&before);
    let sqlparse_info = sqlparse_before["dist_info"].as_str().expect("dist_info");
    others.insert(
        sqlparse_info.to_owned(),
        json!({"files": 0, "apparent_bytes": 0, "disk_bytes": 0}),
    );
    assert_eq!(sizes_by_dist_info(&after), others);
    let sqlparse_after = after["distributions"]
        .as_array()
        .expect("distributions")
        .iter()
        .find(|d| d["name"] == json!("sqlparse"))
        .expect("sqlparse");
    assert_eq!(sqlparse_after["record"], json!("missing"));
    assert_eq!(
        after["distribution_warnings"][0]["path"],
        json!(sqlparse_info),
        "{}",
        after["distribution_warnings"]
    );
    let stray = after["unowned"]["dirs"]
        .as_array()
        .expect("dirs")
        .iter()
        .find(|d| {
            d["dir"]
                .as_str()
                .is_some_and(|d| d.ends_with("site-packages/stray"))
        })
        .expect("the planted directory is named");
    let blob = std::fs::symlink_metadata(site.join("stray/blob.bin")).expect("lstat");
    assert_eq!(
        stray["disk_bytes"],
        json!(std::os::unix::fs::MetadataExt::blocks(&blob) * 512)
    );
    let warned: Vec<&str> = after["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["path"].as_str().expect("path"))
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].ends_with("bin/python3.99"), "{warned:?}");
}

/// What each plan row saves, per distribution, adds up to what it saves; and
/// drop-caches saves each distribution exactly its caches and their
/// `__pycache__` directories, computed apart.
#[test]
fn plan_states_each_rows_saving_per_distribution() {
    let venv = shared_venv();
    let rows = plan_rows(venv);
    for row in &rows {
        let costs = row["by_distribution"].as_array().expect("by_distribution");
        let sum: i64 = costs
            .iter()
            .map(|c| c["saved_bytes"].as_i64().expect("i64"))
            .sum();
        assert_eq!(json!(sum), row["saved_bytes"], "{}", row["name"]);
        assert!(costs.iter().all(|c| c["saved_bytes"] != json!(0)), "{row}");
    }
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == json!(name))
            .unwrap_or_else(|| panic!("no {name} row"))
    };
    let (report, _) = analyze_json(venv, &[]);
    let name_of: BTreeMap<String, String> = report["distributions"]
        .as_array()
        .expect("distributions")
        .iter()
        .map(|d| {
            (
                d["dist_info"].as_str().expect("dist_info").to_owned(),
                d["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    let expected = expected(venv);
    let wanted: BTreeMap<String, i64> = expected["drop_caches"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(info, bytes)| (name_of[info].clone(), bytes.as_i64().expect("i64")))
        .collect();
    let got: BTreeMap<String, i64> = row("drop-caches")["by_distribution"]
        .as_array()
        .expect("costs")
        .iter()
        .map(|c| {
            (
                c["distribution"]
                    .as_str()
                    .expect("a distribution")
                    .to_owned(),
                c["saved_bytes"].as_i64().expect("i64"),
            )
        })
        .collect();
    assert_eq!(got, wanted);
    // Django's public testing package stays: exclude-tests costs Django nothing.
    let tests = row("exclude-tests")["by_distribution"]
        .as_array()
        .expect("costs");
    assert!(
        tests.iter().any(|c| c["distribution"] == json!("numpy")),
        "{tests:?}"
    );
    assert!(
        tests.iter().all(|c| c["distribution"] != json!("Django")),
        "{tests:?}"
    );
}

/// The text of analyze's distribution table and plan's costs, sizes hidden.
#[test]
fn distribution_text_snapshot() {
    let venv = shared_venv();
    let mut settings = snapshot_settings(&[venv]);
    hide_sizes(&mut settings);
    let analyze = pyprune()
        .arg("analyze")
        .arg(venv)
        .output()
        .expect("analyze");
    assert!(analyze.status.success(), "{}", stderr(&analyze));
    let text = String::from_utf8_lossy(&analyze.stdout);
    let from_modules = &text[text.find("Largest").expect("module table")..];
    settings.bind(|| insta::assert_snapshot!("analyze_venv", from_modules));
    let plan = pyprune().arg("plan").arg(venv).output().expect("plan");
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = String::from_utf8_lossy(&plan.stdout);
    let costs = &text[text.find("What each saves").expect("costs")..];
    let costs = &costs[..costs.find("\n\npyprune's runtime").unwrap_or(costs.len())];
    settings.bind(|| insta::assert_snapshot!("plan_venv_costs", costs));
}

/// A stdlib tree with its site-packages counted (`--site-packages`): the
/// stdlib part is what analyze counts without it, the third-party part the
/// rest; an installed prefix's `config-3.X` directory is build files.
#[test]
fn a_prefix_has_its_stdlib_and_third_party_parts_apart() {
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    let (with, output) = analyze_json(&root, &["--site-packages"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (without, _) = analyze_json(&root, &[]);
    let parts = &with["parts"];
    for key in ["files", "apparent_bytes", "disk_bytes"] {
        let n = |v: &Value| v[key].as_u64().expect("u64");
        assert_eq!(
            n(&parts["stdlib"]) + n(&parts["other"]),
            n(&without["totals"]),
            "{key}"
        );
        assert_eq!(
            n(&parts["third_party"]),
            n(&with["totals"]) - n(&without["totals"]),
            "{key}"
        );
    }
    assert!(parts["third_party"]["files"].as_u64().expect("u64") > 0);
    // Without --site-packages, nothing third-party is counted.
    assert_eq!(without["parts"]["third_party"]["files"], json!(0));

    let prefix = python_print("import sys; print(sys.base_prefix)");
    let (report, output) = analyze_json(Path::new(&prefix), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config: Vec<&Value> = report["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter(|m| {
            m["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("config-3"))
        })
        .collect();
    assert!(!config.is_empty(), "no config-3.X in {prefix}");
    assert!(
        config.iter().all(|m| m["role"] == json!("build-files")),
        "{config:?}"
    );
}
