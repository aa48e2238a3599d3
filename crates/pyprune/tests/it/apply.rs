//! `pyprune plan` and `apply`: every step and profile applied to a copy of the
//! real stdlib; the disk size measured by `du` must be within 2% of the
//! prediction, the original untouched, and what is left must still import
//! (verified here, or by the tests `VERIFIED_ELSEWHERE` names).

use crate::harness::*;
use crate::pythons::shared_reduced_tree;
use serde_json::Value;

/// Plan rows whose `apply` result is verified (apply's default whole-tree
/// imports) by another test, and where; `every_prediction_is_within_two_percent_of_du`
/// applies these with `--no-verify`, as its subject is the size. Steps listed
/// with a profile are verified as part of it on the libs tree, not alone.
const VERIFIED_ELSEWHERE: &[(&str, &str)] = &[
    ("lossless", "verify_sabotage.rs (every sabotage case)"),
    ("dedupe-caches", "the lossless profile"),
    (
        "normalize",
        "reproducible.rs (compile_and_apply_twice_give_the_same_bytes, a reduced 3.9)",
    ),
    (
        "fedora-default",
        "version_matrix.rs (every release), verify.rs, apply.rs (site-packages leading out)",
    ),
    ("compact", "profiles.rs on the libs tree, version_matrix.rs"),
    (
        "full-zip",
        "profiles.rs on the libs tree, version_matrix.rs",
    ),
    ("minimal", "profiles.rs on the libs tree, version_matrix.rs"),
    (
        "full-zip-fast",
        "profiles.rs on the libs tree (every module imported, tracebacks), zip_layouts.rs (its zip on 3.8, 3.12, 3.13)",
    ),
    ("zip-stdlib", "the full-zip-fast profile, zip_layouts.rs"),
    (
        "zip-stdlib-deflated",
        "the full-zip profile, zip_layouts.rs",
    ),
    (
        "strip-extensions",
        "the compact, full-zip and minimal profiles",
    ),
    ("zip-stdlib-stored", "zip_layouts.rs (3.8, 3.12, 3.13)"),
    ("exclude-tests", "the minimal profile"),
    ("exclude-installers", "the minimal profile"),
    ("exclude-idle-tk", "the minimal profile"),
    ("exclude-dev-modules", "the minimal profile"),
    ("exclude-dead-batteries", "the minimal profile"),
    ("exclude-devel", "devel.rs, the minimal profile"),
    ("zip-stdlib-bytecode", "the minimal profile"),
    (
        "sourceless",
        "apply.rs (a_sourceless_copy_still_imports_and_runs), the compact and minimal profiles",
    ),
    (
        "sources-compressed",
        "verify.rs (compressed_sources_reach_inspect_and_uncaught_tracebacks) on the libs tree",
    ),
    (
        "drop-optimized-caches",
        "verify.rs (markers_stop_every_write_and_optimized_runs_fall_back) on the libs tree",
    ),
    (
        "no-write-marker",
        "verify.rs (markers_stop_every_write_and_optimized_runs_fall_back) on the libs tree",
    ),
    (
        "cache-fallback",
        "verify.rs (markers_stop_every_write_and_optimized_runs_fall_back) on the libs tree",
    ),
    (
        "drop-opt2",
        "other_pythons.rs (a tree with caches of two builds)",
    ),
];

#[test]
fn every_prediction_is_within_two_percent_of_du() {
    // A reduced copy of the installed stdlib with its own binary, every level
    // compiled by compileall without linking duplicates: the prediction's
    // arithmetic is the same on any tree, and the libs tree cost about 16 s an
    // apply (the size goals on the whole libs tree are profiles.rs's subject,
    // which compares four profiles' predictions with du there, on disk).
    // Copied into the test's scratch directory, where the results go: the
    // prediction is for the tree's filesystem (a directory takes a block on
    // ext4 and none on tmpfs).
    let env = TestEnv::new();
    let shared = shared_reduced_tree();
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&shared.prefix)
        .arg(env.path().join("tree"))
        .status()
        .expect("cp");
    assert!(copied.success());
    let stdlib = shared.stdlib.strip_prefix(&shared.prefix).expect("inside");
    let root = &env.path().join("tree").join(stdlib);
    let before = caches(root);
    let du_before = du_bytes(root, false);
    // The rows' sizes leave out the tree's site-packages (the reduced copy has
    // what start-up imports from it), which `--out` copies as it is.
    let plan = plan_report(root);
    let left_out = plan["left_out"]["disk_bytes"].as_u64().expect("left_out");
    let rows = plan["rows"].as_array().expect("rows").clone();
    assert!(rows.len() >= 12, "{rows:?}");
    for (listed, _) in VERIFIED_ELSEWHERE {
        assert!(
            rows.iter().any(|r| r["name"] == *listed),
            "{listed} is no plan row"
        );
    }
    for row in rows.iter().filter(|r| r["name"] != "compress-pycs") {
        let name = row["name"].as_str().expect("name");
        let out = env.path().join(format!("out-{name}"));
        let flag = if row["kind"] == "profile" {
            "--profile"
        } else {
            "--steps"
        };
        // A row whose result other tests verify is applied without verify (the
        // whole-tree imports were about two thirds of this test's time); any
        // other row, a new one among them, is still verified here.
        let verified_elsewhere = VERIFIED_ELSEWHERE.iter().any(|(row, _)| *row == name);
        let output = pyprune()
            .args(["apply", flag, name, "--format", "json"])
            .args(verified_elsewhere.then_some("--no-verify"))
            .arg("--out")
            .arg(&out)
            .arg(root)
            .output()
            .expect("apply");
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let predicted = row["disk_bytes"].as_u64().expect("u64") as f64;
        let measured = (du_bytes(&out, false) - left_out) as f64;
        let error = (predicted - measured).abs() / measured;
        assert!(
            error < 0.02,
            "{name}: predicted {predicted}, du says {measured} ({:.2}%)",
            error * 100.0
        );
        let _ = std::fs::remove_dir_all(&out);
    }
    // The original was only read.
    assert_eq!(du_bytes(root, false), du_before);
    assert_same_caches(&caches(root), &before);
}

#[test]
fn a_sourceless_copy_still_imports_and_runs() {
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--steps", "sourceless", "--out"])
        .arg(&out)
        .arg(&root)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    // A stdlib directory comes out in a prefix layout: OUT/lib/python3.X.
    let version = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let out = out.join("lib").join(format!("python{version}"));
    assert!(!out.join("json/decoder.py").exists() && out.join("json/decoder.pyc").exists());
    // The copied modules import from the sourceless bytecode, ahead of the real stdlib.
    let run = python3()
        .args(["-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import json, email.utils; print(json.__file__, json.dumps([1]))"])
        .arg(&out)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        text.contains(&format!("python{version}/json/__init__.pyc")) && text.contains("[1]"),
        "{text}"
    );
}

#[test]
fn apply_refuses_an_existing_output_and_unknown_names() {
    let env = TestEnv::new();
    env.write("m.py", "x = 1\n");
    let exists = env.path().join("exists");
    std::fs::create_dir(&exists).expect("mkdir");
    let output = pyprune()
        .args(["apply", "--profile", "lossless", "--out"])
        .arg(&exists)
        .arg(env.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("exists"));
    let output = pyprune()
        .args(["apply", "--profile", "tiny", "--out"])
        .arg(env.path().join("o"))
        .arg(env.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("lossless"),
        "names the profiles there are"
    );
}

#[test]
fn profiles_from_a_file_are_planned_and_applied() {
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    let config = env.write(
        "profiles.toml",
        "[profile.slim]\nabout = \"zipped bytecode, stored\"\nsteps = [\"drop-opt2\", { step = \"zip-stdlib\", sources = false, compression = \"stored\" }]\n",
    );
    let output = pyprune()
        .args(["plan", "--format", "json", "--config"])
        .arg(&config)
        .arg(&root)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let slim = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "slim")
        .expect("the file's profile")
        .clone();
    assert_eq!(
        slim["steps"],
        serde_json::json!(["drop-opt2", "zip-stdlib-bytecode-stored"])
    );
    let out = env.path().join("slim");
    let output = pyprune()
        .args(["apply", "--profile", "slim", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg(&root)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    let measured = du_bytes(&out, false) as f64;
    // The plan leaves the site-packages out of its sizes; the copy holds them as they were.
    let predicted = slim["disk_bytes"].as_f64().expect("f64")
        + report["left_out"]["disk_bytes"].as_f64().expect("f64");
    assert!(
        (predicted - measured).abs() / measured < 0.02,
        "{predicted} vs {measured}"
    );

    // A broken file is a clear error naming it; a built-in name cannot be taken.
    let broken = env.write(
        "broken.toml",
        "[profile.lossless]\nsteps = [\"drop-opt2\"]\n",
    );
    let output = pyprune()
        .args(["plan", "--config"])
        .arg(&broken)
        .arg(&root)
        .output()
        .expect("plan");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken.toml") && stderr(&output).contains("built-in"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn steps_that_need_the_runtime_are_refused_where_it_cannot_go() {
    // A bare package directory: no stdlib, so no site-packages for the runtime's .pth.
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(
        &tree.join("mypkg"),
        &["json/__init__.py", "json/decoder.py"],
    );
    compileall(&["-q", "-o0", "-o1"], &tree);
    let before = caches(&tree);

    let rows = plan_rows(&tree);
    let warned = |name: &str| {
        rows.iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("a row {name}"))["gives_up"]
            .as_array()
            .expect("gives_up")
            .iter()
            .any(|g| g.as_str().is_some_and(|g| g.contains("holds no stdlib")))
    };
    assert!(warned("no-write-marker") && warned("sources-compressed"));
    assert!(
        !warned("drop-opt2"),
        "steps without the runtime are not marked"
    );

    let out = env.path().join("out");
    for place in [
        vec!["--out".as_ref(), out.as_os_str()],
        vec!["--in-place".as_ref()],
    ] {
        let output = pyprune()
            .args(["apply", "--steps", "drop-caches,no-write-marker"])
            .args(&place)
            .arg(&tree)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains("`no-write-marker` needs pyprune's runtime")
                && message.contains(&tree.canonicalize().expect("exists").display().to_string()),
            "{message}"
        );
        assert!(!out.exists(), "nothing written");
        assert!(!tree.join(".pyprune-journal").exists(), "no journal left");
        assert_eq!(caches(&tree), before, "the tree is as it was");
    }
}

#[test]
fn zipped_bytecode_names_the_zip_as_compileall_would() {
    // A prefix whose caches were compiled where they are.
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let release = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let stdlib_rel = format!("lib/python{release}");
    let zip_name = format!("python{}.zip", release.replace('.', ""));
    let modules = ["os.py", "json", "email", "ftplib.py", "textwrap.py"];
    copy_from_stdlib(&prefix.join(&stdlib_rel), &modules);
    compileall(&["-o0"], &prefix.join(&stdlib_rel));
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--steps", "zip-stdlib", "--no-verify", "--out"])
        .arg(&out)
        .arg(&prefix)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));

    // compileall's own bytes for a module that lives in PREFIX/lib/pythonXY.zip:
    // unchecked-hash caches (nothing edits a zip's member in place), the zip's path embedded.
    let reference = env.path().join("reference");
    copy_from_stdlib(&reference, &modules);
    let zip_path = prefix.join("lib").join(&zip_name);
    compileall(
        &[
            "-o0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            reference.to_str().expect("UTF-8"),
            "-p",
            zip_path.to_str().expect("UTF-8"),
        ],
        &reference,
    );

    let file = std::fs::File::open(out.join("lib").join(&zip_name)).expect("the zip");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut compared = 0;
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).expect("member");
        let name = member.name().expect("a UTF-8 name").into_owned();
        let Some(stem) = name.strip_suffix(".pyc") else {
            continue;
        };
        let mut ours = Vec::new();
        std::io::Read::read_to_end(&mut member, &mut ours).expect("read member");
        let source = reference.join(format!("{stem}.py"));
        let cache = source
            .parent()
            .expect("parent")
            .join("__pycache__")
            .join(format!(
                "{}.{}.pyc",
                source.file_stem().expect("stem").to_string_lossy(),
                cache_tag()
            ));
        let expected = std::fs::read(&cache).unwrap_or_else(|e| panic!("{cache:?}: {e}"));
        assert!(ours == expected, "{name} differs from compileall's");
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} modules were zipped");
}

#[test]
fn a_site_packages_leading_out_of_the_tree_is_never_written_through() {
    // Homebrew's layout: lib/python3.X/site-packages is a symlink out of the prefix.
    let env = TestEnv::new();
    let release = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let prefix = env.path().join("prefix");
    let stdlib = prefix.join(format!("lib/python{release}"));
    copy_from_stdlib(&stdlib, &["os.py", "encodings", "keyword.py"]);
    compileall(&["-o0"], &stdlib);
    let outside = env.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("theirs.py"), "x = 1\n").expect("write");
    std::os::unix::fs::symlink(&outside, stdlib.join("site-packages")).expect("symlink");
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(&outside)
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        names
    };
    let before = listing();

    let out = env.path().join("out");
    apply_to(&prefix, &out, &["--profile", "fedora-default"]);
    let output = pyprune()
        .args([
            "apply",
            "--profile",
            "fedora-default",
            "--in-place",
            "--commit",
        ])
        .arg(&prefix)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(listing(), before, "nothing written through the symlink");

    // The runtime still loads, from the stdlib's sitecustomize.
    for home in [&out, &prefix] {
        let (loaded, _) = python_on(
            home,
            env.path(),
            &[],
            "import sys; print('pyprune_runtime' in sys.modules)",
        );
        assert_eq!(loaded.trim(), "True");
    }
}

/// A cache that is not its source's code any more (the source was edited
/// after it was written) is old code: `sourceless` leaves that module as it
/// is, source and cache, for timestamp and checked-hash caches alike, and
/// turns the others sourceless. The result imports what the sources say.
#[test]
fn sourceless_leaves_a_module_whose_cache_is_stale() {
    for mode in ["timestamp", "checked-hash"] {
        let env = TestEnv::new();
        let tree = env.path().join("tree");
        env.write("tree/good.py", "X = 1\n");
        let edited = env.write("tree/edited.py", "raise ImportError('old code')\n");
        compileall(&["--invalidation-mode", mode], &tree);
        // A source of another size and mtime: stale by either check.
        std::fs::write(&edited, "Y = 2\n# edited after its cache was written\n").expect("edit");
        let out = env.path().join("out");
        apply_to(&tree, &out, &["--steps", "sourceless", "--no-verify"]);
        assert!(out.join("good.pyc").is_file(), "{mode}: good is sourceless");
        assert!(!out.join("good.py").exists(), "{mode}");
        assert!(
            out.join("edited.py").is_file(),
            "{mode}: edited keeps its source"
        );
        assert!(
            !out.join("edited.pyc").exists(),
            "{mode}: its stale cache was taken"
        );
        let output = python3()
            .args(["-B", "-c", "import good, edited; print(good.X, edited.Y)"])
            .env("PYTHONPATH", &out)
            .output()
            .expect("python3");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "1 2",
            "{mode}: {}",
            stderr(&output)
        );
    }
}
