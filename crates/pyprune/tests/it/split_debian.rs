//! `pyprune split` on one reduced copy of Debian's python3.11 (shipped with
//! opt-0 caches only; its build configuration holds a link out of the tree),
//! with the no-write marker and compressed sources applied: the cacheless
//! install verified to write nothing, and the sources layer installed in a
//! parallel tree, where pyprune's runtime finds it (or not) for tracebacks,
//! `linecache` and `inspect`.

use crate::harness::{TestEnv, stderr};
use crate::split::run_json;
use std::path::Path;

/// Removes the codecs start-up does not need (on 3.8 to 3.13), more than half of a reduced
/// copy's modules (verify imports each at three levels, in the tree and in
/// each install it checks), with their caches.
pub fn trim_codecs(stdlib: &Path) {
    // utf_8_sig: 3.13's site reads `.pth` files with it.
    let kept = [
        "__init__",
        "aliases",
        "utf_8",
        "utf_8_sig",
        "latin_1",
        "ascii",
    ];
    let encodings = stdlib.join("encodings");
    for dir in [encodings.clone(), encodings.join("__pycache__")] {
        for entry in std::fs::read_dir(&dir).expect("encodings") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let module = name.split('.').next().unwrap_or_default();
            if path.is_file() && !kept.contains(&module) {
                std::fs::remove_file(&path).expect("remove codec");
            }
        }
    }
}

/// Runs `python` (an install's own) on `code`, as users run it.
fn run(python: &Path, code: &str, env: &[(&str, &Path)]) -> (String, String) {
    let out = pyprune_python::clean_command(python.as_os_str())
        .args(["-c", code])
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .expect("run python");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_debian_tree_splits_its_cacheless_install_writes_nothing_and_parallel_sources_serve() {
    let Some(installed) = crate::pythons::find_or_note("debian", "split on Debian's 3.11") else {
        return;
    };
    let env = TestEnv::new();
    // gzip: what the runtime reads compressed sources with.
    let reduced = crate::pythons::reduced_copy(&installed, &env.path().join("input"), &["gzip"]);
    trim_codecs(&reduced.stdlib);
    let out = env.path().join("out");
    crate::harness::apply_to(
        &reduced.prefix,
        &out,
        &["--steps", "no-write-marker", "--no-verify"],
    );
    // The same, sourceless, each source gzipped in __pysources__ beside.
    let sourceless = env.path().join("sourceless");
    crate::harness::apply_to(
        &reduced.prefix,
        &sourceless,
        &[
            "--steps",
            "sources-compressed,no-write-marker",
            "--no-verify",
        ],
    );

    // The install without caches, verified (the runtime, which honours the
    // marker, is core's).
    let (report, output) = run_json(&[
        out.as_os_str(),
        "--check".as_ref(),
        "--install".as_ref(),
        "core".as_ref(),
    ]);
    assert!(output.status.success(), "{report:#}\n{}", stderr(&output));
    let layer = |name: &str| -> Vec<String> {
        report["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no layer {name}"))["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f.as_str().expect("path").to_owned())
            .collect()
    };
    // Debian shipped no optimized caches: those layers hold only what the
    // marker step compiled for pyprune's own module.
    for level in ["bytecode-opt1", "bytecode-opt2"] {
        let files = layer(level);
        assert!(
            !files.is_empty() && files.iter().all(|f| f.contains("/__pycache__/pyprune_")),
            "{level}: {files:?}"
        );
    }
    // The start-up modules' caches stay in core at every level; the
    // runtime's .pth, in dist-packages (left out), goes with core too.
    let core = layer("core");
    for level in ["", ".opt-1", ".opt-2"] {
        let cache = format!("lib/python3.11/encodings/__pycache__/__init__.cpython-311{level}.pyc");
        assert!(core.contains(&cache), "{cache}");
    }
    assert!(
        core.iter().any(|f| f.ends_with("/00-pyprune-runtime.pth")),
        "{core:?}"
    );
    let devel = layer("devel");
    assert!(
        !devel.is_empty()
            && devel
                .iter()
                .all(|f| f.starts_with("lib/python3.11/config-3.11")),
        "{devel:?}"
    );
    let verified = &report["check"]["verified"][0];
    assert_eq!(verified["install"], "core");
    let no_writes = crate::split_check::verify_check(verified, "no writes");
    assert!(no_writes.get("skipped").is_none(), "{no_writes}");
    assert!(no_writes["checked"].as_u64().expect("n") > 0, "{no_writes}");
    assert_eq!(verified["report"]["promises"]["no_writes"], true);

    // The sources layer listed and laid out apart, as a parallel tree.
    let lists = env.path().join("lists");
    let laid = env.path().join("laid");
    let (report, output) = run_json(&[
        sourceless.as_os_str(),
        "--prefix".as_ref(),
        "/usr".as_ref(),
        "--layer-prefix".as_ref(),
        "sources=/usr/src/python3.11".as_ref(),
        "--out".as_ref(),
        lists.as_os_str(),
        "--materialize".as_ref(),
        laid.as_os_str(),
        "--install".as_ref(),
        "core".as_ref(),
        "--install".as_ref(),
        "sources".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let sources: Vec<&str> = report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["name"] == "sources")
        .expect("sources")["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("path"))
        .collect();
    assert!(
        sources.contains(&"lib/python3.11/json/__pysources__/decoder.py.gz")
            && sources.iter().all(|f| f.contains("/__pysources__/")),
        "{sources:?}"
    );
    let listed = std::fs::read_to_string(lists.join("sources.list")).expect("sources.list");
    assert!(
        listed
            .lines()
            .any(|l| l == "/usr/src/python3.11/lib/python3.11/json/__pysources__/decoder.py.gz"),
        "{listed}"
    );
    let rpm = std::fs::read_to_string(lists.join("sources.files")).expect("sources.files");
    for dir in [
        "/usr/src/python3.11",
        "/usr/src/python3.11/lib/python3.11/json/__pysources__",
    ] {
        assert!(
            rpm.lines().any(|l| l == format!("%dir {dir}")),
            "{dir}: {rpm}"
        );
    }
    // Core runs with the runtime, sourceless, its sources elsewhere.
    let core_prefix = laid.join("core");
    let python = core_prefix.join("bin/python3.11");
    let stdlib = core_prefix.join("lib/python3.11");
    let original =
        std::fs::read_to_string(installed.stdlib.join("json/decoder.py")).expect("decoder.py");
    // A traceback's lines (the interpreter's own printer, through the
    // runtime), linecache's and inspect's, compared with the source file.
    let probe = "import json, inspect, sys, json.decoder as d\n\
                 print(type(d.__loader__).__name__)\n\
                 try:\n    print(len(inspect.getsource(d)))\nexcept OSError:\n    print('no source')\n\
                 json.loads('{')";
    let expected_line = |stderr: &str| -> Option<(String, String)> {
        let lines: Vec<&str> = stderr.lines().collect();
        lines.iter().enumerate().rev().find_map(|(i, l)| {
            let rest = l.trim().strip_prefix("File \"")?;
            let (file, rest) = rest.split_once("\", line ")?;
            file.ends_with("json/decoder.py").then_some(())?;
            let number: usize = rest.split(',').next()?.parse().ok()?;
            let shown = lines
                .get(i + 1)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            let source = original.lines().nth(number - 1)?.trim().to_owned();
            Some((shown, source))
        })
    };
    // Absent: no lines (the input moved away: its path is the one the
    // bytecode was compiled with, which the interpreter's printer reads).
    std::fs::rename(env.path().join("input"), env.path().join("input-moved")).expect("move input");
    let (stdout, stderr_text) = run(&python, probe, &[]);
    assert_eq!(
        stdout,
        format!("SourcelessFileLoader\nno source\n"),
        "{stderr_text}"
    );
    let (shown, source) = expected_line(&stderr_text).expect("a frame in json/decoder.py");
    assert_ne!(shown, source, "{stderr_text}");
    // Served: inspect has the whole source, the traceback the file's lines.
    let served = |env: &[(&str, &Path)]| {
        let (stdout, stderr_text) = run(&python, probe, env);
        assert_eq!(
            stdout,
            format!("SourcelessFileLoader\n{}\n", original.len()),
            "{stderr_text}"
        );
        let (shown, source) = expected_line(&stderr_text).expect("a frame in json/decoder.py");
        assert_eq!(shown, source, "{stderr_text}");
    };
    // A pointer file in the tree's __pysources__ naming the parallel tree.
    let pointer = stdlib.join("__pysources__/__parallel__");
    std::fs::create_dir_all(pointer.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &pointer,
        laid.join("sources/lib/python3.11")
            .to_string_lossy()
            .as_bytes(),
    )
    .expect("write");
    served(&[]);
    // The setting instead: the parallel tree by absolute path under a prefix.
    std::fs::remove_file(&pointer).expect("remove pointer");
    let prefix = env.path().join("src-prefix");
    let mirrored = prefix.join(stdlib.strip_prefix("/").expect("absolute"));
    std::fs::create_dir_all(mirrored.parent().expect("parent")).expect("mkdir");
    std::fs::rename(laid.join("sources/lib/python3.11"), &mirrored).expect("move");
    served(&[("PYPRUNE_PYSOURCES_PREFIX", &prefix)]);
}
