//! The built-in profiles against the goals, on the "libs" tree that
//! scripts/make-libs-tree.sh builds (the stdlib without its test suite, IDLE,
//! Tk and turtledemo, compiled at all levels with duplicates hardlinked):
//! sizes measured by `du`, every kept module imported by the real
//! interpreter, tracebacks from the zip with their source lines.

use crate::harness::*;
use std::path::Path;

#[test]
fn full_zip_and_minimal_meet_their_size_goals_and_keep_every_kept_module() {
    // The results on disk, as the libs tree is: the goals are shares of its du.
    let env = TestEnv::on_disk();
    let stdlib = shared_libs_tree();
    let prefix = stdlib.parent().and_then(Path::parent).expect("prefix");
    let before = du_bytes(stdlib, false) as f64;
    let original = importable(prefix);
    assert!(original.len() > 200, "{original:?}");

    // What du says of each result, for the predictions below.
    let mut measured = std::collections::BTreeMap::new();
    for (profile, goal) in [
        ("full-zip", 0.30),
        ("minimal", 0.15),
        ("compact", 0.40),
        ("full-zip-fast", 0.40),
    ] {
        let out = env.path().join(profile);
        // full-zip-fast's zip is zip-stdlib's, full-zip's zip-stdlib-deflated's
        // with other packing: verified once, here, by `importable` (every
        // module of the original imports) and the tracebacks below.
        let verify: &[&str] = if profile == "full-zip-fast" {
            &["--no-verify"]
        } else {
            &[]
        };
        let output = pyprune()
            .args(["apply", "--profile", profile])
            .args(verify)
            .arg("--out")
            .arg(&out)
            .arg(stdlib)
            .output()
            .expect("apply");
        assert!(output.status.success(), "{profile}: {}", stderr(&output));
        measured.insert(profile, du_bytes(&out, false));
        let share = measured[profile] as f64 / before;
        assert!(
            share <= goal,
            "{profile}: {:.2}% of the libs tree (goal {:.0}%)",
            share * 100.0,
            goal * 100.0
        );
        let kept = importable(&out);
        let lost: Vec<&String> = original.difference(&kept).collect();
        if profile == "minimal" {
            // Only what the profile excludes may be gone.
            let unexpected: Vec<&&String> =
                lost.iter().filter(|m| !removed_by_minimal(m)).collect();
            assert!(unexpected.is_empty(), "minimal lost {unexpected:?}");
        } else {
            assert!(lost.is_empty(), "{profile} lost {lost:?}");
        }
    }

    // --measure-import=profiles builds and times each profile's layout (not the
    // steps alone); every profile imports the module set: with --keep-for,
    // what the application imports that the tree has (its optional import of
    // a module the tree lacks left out). Its layouts go in a TMPDIR of the
    // test's own, to see what it holds and leaves. Measured through `report`,
    // whose JSON is plan's, its page showing the ratios.
    let tmpdir = env.path().join("tmpdir");
    std::fs::create_dir(&tmpdir).expect("mkdir");
    let page = env.path().join("report.html");
    let app = env.write(
        "app.py",
        "import argparse, json\nfrom email import message\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n",
    );
    let output = pyprune()
        .args([
            "report",
            "--measure-import=profiles",
            "--runs",
            "1",
            "--format",
            "json",
            "--keep-for",
        ])
        .arg(&app)
        .arg("--html")
        .arg(&page)
        .arg(stdlib)
        .env("TMPDIR", &tmpdir)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        report["import_set"]["keep_for"], true,
        "{}",
        report["import_set"]
    );
    let timed: Vec<&str> = report["import_set"]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m.as_str().expect("a name"))
        .collect();
    assert!(
        ["argparse", "json", "email"]
            .iter()
            .all(|m| timed.contains(m))
            && !timed.contains(&"ujson"),
        "{timed:?}"
    );
    assert_measure_space_bounded(&report, stdlib, &tmpdir);
    // The plan predicted each result within 2% of du, here on disk (apply.rs
    // checks every row, on a smaller tree in the scratch directory). But
    // full-zip-fast's: with --keep-for its zip stores the application's
    // bytecode, not the common entry points' as the apply above did.
    for (profile, du) in measured.iter().filter(|(p, _)| **p != "full-zip-fast") {
        let row = report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["name"] == *profile)
            .unwrap_or_else(|| panic!("no {profile} row"));
        let predicted = row["disk_bytes"].as_u64().expect("disk_bytes") as f64;
        let error = (predicted - *du as f64).abs() / *du as f64;
        assert!(
            error < 0.02,
            "{profile}: predicted {predicted}, du says {du} ({:.2}%)",
            error * 100.0
        );
    }
    let html = std::fs::read_to_string(&page).expect("the page");
    crate::report_html::assert_page_shows_the_plan(&html, &report);
    for row in report["rows"].as_array().expect("rows") {
        if row["kind"] != "profile" {
            assert!(row["import_ratio"].is_null(), "{row}");
            continue;
        }
        assert_eq!(row["imports"], serde_json::json!(true), "{row}");
        assert!(
            row["import_ratio"].as_f64().is_some_and(|r| r > 0.0),
            "{row}"
        );
    }

    // full-zip and full-zip-fast keep tracebacks: the traceback module finds lines in the zip.
    for profile in ["full-zip", "full-zip-fast"] {
        let run = std::process::Command::new(python_binary())
            .args(["-S", "-s", "-P", "-B", "-c", "import json, traceback\ntry:\n    json.loads('{bad')\nexcept Exception:\n    traceback.print_exc()\n"])
            .env_clear()
            .env("PYTHONHOME", env.path().join(profile))
            .output()
            .expect("python");
        let text = String::from_utf8_lossy(&run.stderr);
        assert!(
            text.contains("return _default_decoder.decode(s)"),
            "{profile}: {text}"
        );
    }
}

/// `plan --measure-import` builds one layout at a time with unchanged files
/// hardlinked: the peak temporary space it reports stays below the tree
/// plus its largest layout (`du`), and below the tree alone (a copy of the
/// unchanged tree would reach that), and nothing is left in TMPDIR.
fn assert_measure_space_bounded(report: &serde_json::Value, stdlib: &Path, tmpdir: &Path) {
    let space = &report["measure_space"];
    let peak = space["peak_extra_bytes"].as_u64().expect("a peak");
    let tree = du_bytes(stdlib, false);
    let largest = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["kind"] == "profile")
        .filter_map(|r| r["disk_bytes"].as_u64())
        .max()
        .expect("profile rows");
    assert!(peak > 0, "{space}");
    assert!(
        peak < tree + largest,
        "{space}: tree {tree}, largest layout {largest}"
    );
    assert!(
        peak < tree,
        "{space}: more than the tree ({tree}): its files were copied"
    );
    assert!(
        space["linked_files"].as_u64().is_some_and(|n| n > 0),
        "{space}"
    );
    let left: Vec<_> = std::fs::read_dir(tmpdir).expect("tmpdir").collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}
