//! The runtime that `apply` installs and `pyprune verify`: each runtime
//! behaviour shown by the real interpreter on a minimized copy of the libs
//! tree (with a control run that shows the runtime is what makes the
//! difference), and a deliberately broken tree that verify must catch.

use crate::harness::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `pyprune apply ARGS --out OUT STDLIB --format json` on the libs tree, which
/// must succeed (its verification included); returns the report and OUT's
/// stdlib directory.
fn apply(env: &TestEnv, name: &str, args: &[&str]) -> (Value, PathBuf) {
    let out = env.path().join(name);
    let report = apply_to(shared_libs_tree(), &out, args);
    let stdlib = out
        .join("lib")
        .join(shared_libs_tree().file_name().expect("name"));
    (report, stdlib)
}

/// The check of a verify report named `name`.
fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

fn home_of(stdlib: &Path) -> &Path {
    stdlib.parent().and_then(Path::parent).expect("prefix")
}

#[test]
fn markers_stop_every_write_and_optimized_runs_fall_back() {
    let env = TestEnv::new();
    let (report, stdlib) = apply(
        &env,
        "marked",
        &[
            "--steps",
            "drop-optimized-caches,no-write-marker,cache-fallback",
        ],
    );
    let verify = &report["verify"];
    assert_eq!(verify["promises"]["no_writes"], true, "{verify}");
    assert_eq!(verify["regressions"], serde_json::json!([]), "{verify}");
    assert!(
        check(verify, "no writes")["checked"].as_u64() > Some(1000),
        "{verify}"
    );
    assert!(
        check(verify, "imports -OO")["checked"].as_u64() > Some(500),
        "{verify}"
    );

    // The runtime and the sitecustomize that loads it in venvs come with their
    // caches, compileall's own bytes for them (checked hashes, named where they
    // were installed), and the runtime loads from them at every level.
    let home = home_of(&stdlib);
    let reference = env.path().join("reference");
    std::fs::create_dir(&reference).expect("mkdir");
    for file in ["pyprune_runtime.py", "sitecustomize.py"] {
        std::fs::copy(stdlib.join(file), reference.join(file)).expect("cp");
    }
    // Named where they live: the output's stdlib directory.
    let named_as = stdlib.clone();
    compileall(
        &[
            "-o0",
            "-o1",
            "-o2",
            "--hardlink-dupes",
            "--invalidation-mode",
            "checked-hash",
            "-s",
            reference.to_str().expect("UTF-8"),
            "-p",
            named_as.to_str().expect("UTF-8"),
        ],
        &reference,
    );
    let mut ours = caches(&stdlib);
    let runtime_files = |name: &Path| {
        let name = name.file_name().map(|n| n.to_string_lossy().into_owned());
        name.is_some_and(|n| n.starts_with("pyprune_runtime.") || n.starts_with("sitecustomize."))
    };
    ours.files.retain(|path, _| runtime_files(path));
    ours.links
        .retain(|group| group.iter().all(|path| runtime_files(path)));
    assert_eq!(ours.files.len(), 6, "{:?}", ours.files.keys());
    assert_same_caches(&ours, &caches(&reference));
    for (flags, level) in [
        (&[][..], ""),
        (&["-O"][..], ".opt-1"),
        (&["-OO"][..], ".opt-2"),
    ] {
        let flags = [flags, &["-v"]].concat();
        let (_, log) = python_on(home, env.path(), &flags, "pass");
        let cache = format!("pyprune_runtime.{}{level}.pyc", cache_tag());
        assert!(
            log.lines()
                .any(|l| l.contains("code object from") && l.contains(&cache)),
            "{flags:?}: the runtime did not load from {cache}"
        );
    }

    // A package the markers' authors never saw: covered by the root marker alone.
    std::fs::create_dir(stdlib.join("newpkg")).expect("mkdir");
    std::fs::write(stdlib.join("newpkg/__init__.py"), "VALUE = 1\n").expect("write");
    // An opt-1 cache of one module, as compileall made it: -OO takes it before opt-0.
    let opt1 = format!("json/__pycache__/decoder.{}.opt-1.pyc", cache_tag());
    std::fs::copy(shared_libs_tree().join(&opt1), stdlib.join(&opt1)).expect("cp");
    let before = paths_under(home);
    let (plain, _) = python_on(
        home,
        env.path(),
        &[],
        "import json, email.mime.text, newpkg; print(json.__cached__)",
    );
    let (optimized, _) = python_on(
        home,
        env.path(),
        &["-O"],
        "import json, asyncio, newpkg; print(json.__cached__)",
    );
    let (most, _) = python_on(
        home,
        env.path(),
        &["-OO"],
        "import json.decoder, decimal, newpkg; print(json.decoder.__cached__)",
    );
    assert!(most.trim().ends_with(&opt1), "{most}");
    assert_eq!(paths_under(home), before, "Python wrote into a marked tree");
    // -O found no opt-1 cache and used the opt-0 one (the one a plain run uses).
    assert!(
        plain.trim().ends_with(&format!("{}.pyc", cache_tag())),
        "{plain}"
    );
    assert_eq!(optimized.trim(), plain.trim());

    // Explicit compiling is not importing: `-O -m py_compile` writes the opt-1 cache
    // it was asked for, and the opt-0 one it could fall back to stays as it was.
    let utils = stdlib.join("email/utils.py");
    let opt0 = stdlib.join(format!("email/__pycache__/utils.{}.pyc", cache_tag()));
    let bytes = std::fs::read(&opt0).expect("read");
    let compile = format!(
        "import py_compile; py_compile.compile({:?}, doraise=True)",
        utils.to_str().expect("utf-8")
    );
    let (_, _) = python_on(home, env.path(), &["-O"], &compile);
    assert!(
        std::fs::read(&opt0).expect("read") == bytes,
        "-O compiling rewrote the opt-0 cache {opt0:?}"
    );
    assert!(opt0.with_extension("opt-1.pyc").is_file());

    // Without the root marker, the one in json/__pycache__ still holds; newpkg has none.
    std::fs::remove_file(home.join("__dont_write_bytecode__")).expect("rm");
    let written = |code: &str| {
        let before = paths_under(home);
        let (out, _) = python_on(home, env.path(), &["-O"], code);
        let new: Vec<PathBuf> = paths_under(home).difference(&before).cloned().collect();
        (out, new)
    };
    let (_, new) = written("import json, newpkg");
    let tag = cache_tag();
    assert_eq!(
        new,
        [
            stdlib.join("newpkg/__pycache__"),
            stdlib.join(format!("newpkg/__pycache__/__init__.{tag}.opt-1.pyc"))
        ]
    );

    // A venv made from the tree does not read its site-packages: the runtime
    // comes from the stdlib's sitecustomize there, and the markers hold.
    std::fs::write(home.join("__dont_write_bytecode__"), "").expect("marker again");
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::copy(python_binary(), bin.join("python3")).expect("cp python");
    let venv = env.path().join("venv");
    let made = std::process::Command::new(bin.join("python3"))
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .env_clear()
        .output()
        .expect("venv");
    assert!(made.status.success(), "{}", stderr(&made));
    // The venv's own sitecustomize, shadowed by the stdlib's, still runs.
    let venv_site = venv.join(format!(
        "lib/{}/site-packages",
        stdlib.file_name().expect("name").to_string_lossy()
    ));
    std::fs::write(
        venv_site.join("sitecustomize.py"),
        "import sys\nsys.venv_own = True\n",
    )
    .expect("write");
    let before = paths_under(home);
    let in_venv = std::process::Command::new(venv.join("bin/python"))
        .args(["-O", "-c", "import sys, json, email.mime.text, newpkg; print(sys.prefix != sys.base_prefix, 'pyprune_runtime' in sys.modules, sys.venv_own)"])
        .env_clear()
        .current_dir(env.path())
        .output()
        .expect("venv python");
    assert_eq!(
        String::from_utf8_lossy(&in_venv.stdout).trim(),
        "True True True",
        "{}",
        stderr(&in_venv)
    );
    assert_eq!(
        paths_under(home),
        before,
        "Python in a venv wrote into the marked tree"
    );
    std::fs::remove_file(home.join("__dont_write_bytecode__")).expect("rm");

    // Control: without the runtime, json's cache is written too.
    std::fs::remove_file(stdlib.join("site-packages/00-pyprune-runtime.pth")).expect("rm");
    std::fs::remove_file(stdlib.join("sitecustomize.py")).expect("rm");
    let (optimized, new) = written("import json; print(json.__cached__)");
    assert!(
        new.contains(&stdlib.join(format!("json/__pycache__/__init__.{tag}.opt-1.pyc"))),
        "{new:?}"
    );
    assert!(optimized.trim().ends_with("opt-1.pyc"), "{optimized}");
}

#[test]
fn compressed_sources_reach_inspect_and_uncaught_tracebacks() {
    let env = TestEnv::new();
    let (report, stdlib) = apply(&env, "compressed", &["--steps", "sources-compressed"]);
    let verify = &report["verify"];
    assert!(
        check(verify, "tracebacks")["checked"].as_u64() > Some(300),
        "{verify}"
    );
    assert_eq!(check(verify, "tracebacks")["failed"], 0, "{verify}");
    assert!(!stdlib.join("json/decoder.py").exists());
    assert!(stdlib.join("json/__pysources__/decoder.py.gz").is_file());

    let original =
        std::fs::read_to_string(shared_libs_tree().join("json/decoder.py")).expect("read");
    let line = original
        .lines()
        .position(|l| l.starts_with("class JSONDecoder"))
        .expect("the class")
        + 1;
    // inspect asks the loader, through linecache, for the source of NAME.py beside NAME.pyc.
    let home = home_of(&stdlib);
    let (source, _) = python_on(
        home,
        env.path(),
        &["-B"],
        "import inspect, sys, json.decoder; sys.stdout.write(inspect.getsource(json.decoder))",
    );
    assert_eq!(source, original);
    // An uncaught exception in a frame of json/decoder.py, printed by the interpreter's hook.
    let raising = format!(
        "import json.decoder as d\nexec(compile('\\n' * {} + 'raise KeyError(1)', d.__file__[:-1], 'exec'), vars(d))",
        line - 1
    );
    let (_, traceback) = python_on(home, env.path(), &["-B"], &raising);
    assert!(
        traceback.contains("class JSONDecoder(object):"),
        "{traceback}"
    );

    // Control: without the runtime the line is gone.
    std::fs::remove_file(stdlib.join("site-packages/00-pyprune-runtime.pth")).expect("rm");
    std::fs::remove_file(stdlib.join("sitecustomize.py")).expect("rm");
    let (_, traceback) = python_on(home, env.path(), &["-B"], &raising);
    assert!(
        traceback.contains("KeyError") && !traceback.contains("class JSONDecoder"),
        "{traceback}"
    );
}

#[test]
fn a_broken_tree_fails_verification_naming_each_module_and_reason() {
    let env = TestEnv::new();
    let (_, stdlib) = apply(&env, "broken", &["--profile", "lossless", "--no-verify"]);
    let tag = cache_tag();
    let caches_of = |module: &str| -> Vec<PathBuf> {
        let (dir, name) = module
            .rsplit_once('/')
            .map_or((stdlib.clone(), module), |(d, n)| (stdlib.join(d), n));
        std::fs::read_dir(dir.join("__pycache__"))
            .expect("__pycache__")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{name}.")))
            })
            .collect()
    };
    // A truncated cache (its hardlinked levels with it).
    let shlex = stdlib.join(format!("__pycache__/shlex.{tag}.pyc"));
    let bytes = std::fs::read(&shlex).expect("read");
    std::fs::write(&shlex, &bytes[..10]).expect("truncate");
    // A removed module that another imports: json needs json.decoder.
    std::fs::remove_file(stdlib.join("json/decoder.py")).expect("rm");
    for cache in caches_of("json/decoder") {
        std::fs::remove_file(cache).expect("rm");
    }
    // A sourceless module whose source is gone: its tracebacks lose their lines.
    std::fs::copy(
        stdlib.join(format!("__pycache__/textwrap.{tag}.pyc")),
        stdlib.join("textwrap.pyc"),
    )
    .expect("cp");
    std::fs::remove_file(stdlib.join("textwrap.py")).expect("rm");
    for cache in caches_of("textwrap") {
        std::fs::remove_file(cache).expect("rm");
    }
    // A module without a cache: Python writes one, which this tree promised it would not.
    std::fs::write(stdlib.join("pyprune_fresh.py"), "X = 1\n").expect("write");
    // Modules that kill or hang their interpreter: each fails alone, the rest go on.
    std::fs::write(
        stdlib.join("pyprune_crasher.py"),
        "import os\nos._exit(3)\n",
    )
    .expect("write");
    std::fs::write(
        stdlib.join("pyprune_hanger.py"),
        "import time\ntime.sleep(600)\n",
    )
    .expect("write");
    std::fs::write(
        stdlib.join("pyprune_ticker.py"),
        "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.5)\n",
    )
    .expect("write");

    std::os::unix::fs::symlink("/etc", stdlib.join("pyprune_outside")).expect("symlink");

    let output = pyprune()
        // Held to no-write-marker's promise, which this tree (no marker, no runtime) breaks.
        .args([
            "verify",
            "--steps",
            "no-write-marker",
            "--format",
            "json",
            "--timeout",
            "3",
            "--against",
        ])
        .arg(shared_libs_tree())
        .arg(home_of(&stdlib))
        .output()
        .expect("verify");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let has = |list: &str, check: &str, subject: &str, reason: &str| {
        report[list].as_array().expect("list").iter().any(|f| {
            f["check"] == check
                && f["subject"].as_str().is_some_and(|s| s.contains(subject))
                && f["reason"].as_str().is_some_and(|r| r.contains(reason))
        })
    };
    let expected = [
        (
            "regressions",
            "bytecode and sources",
            format!("shlex.{tag}.pyc"),
            "truncated",
        ),
        ("regressions", "imports", "json".into(), "json.decoder"),
        ("regressions", "imports -OO", "json".into(), "json.decoder"),
        // The truncated cache was rewritten, and a module without one got one.
        (
            "regressions",
            "no writes",
            format!("shlex.{tag}.pyc"),
            "changed",
        ),
        (
            "regressions",
            "no writes",
            format!("pyprune_fresh.{tag}.pyc"),
            "created",
        ),
        (
            "regressions",
            "tracebacks",
            "textwrap".into(),
            "no source line",
        ),
        ("notes", "imports", "pyprune_crasher".into(), "died or hung"),
        (
            "notes",
            "imports",
            "pyprune_hanger".into(),
            "no answer within 3 s",
        ),
        // What a module prints is no answer: the clock is not reset by it.
        (
            "notes",
            "imports",
            "pyprune_ticker".into(),
            "no answer within 3 s",
        ),
        // Without steps that exclude modules, a module gone is a regression.
        (
            "regressions",
            "imports",
            "json.decoder".into(),
            "gone from the tree",
        ),
        // A link out of the tree is named and never followed.
        ("notes", "walk", "pyprune_outside".into(), "out of the tree"),
    ];
    for (list, check, subject, reason) in &expected {
        assert!(
            has(list, check, subject, reason),
            "{list} lack {check} {subject} ({reason}): {report}"
        );
    }
    // The cache Python wrote, against the tree's promise, was taken away again.
    assert!(
        !stdlib
            .join(format!("__pycache__/pyprune_fresh.{tag}.pyc"))
            .exists()
    );
    let removed: Vec<&str> = report["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(removed, ["json.decoder"]);
    // Nothing else broke: every other regression is about these modules.
    for finding in report["regressions"].as_array().expect("regressions") {
        let subject = finding["subject"].as_str().expect("subject");
        assert!(
            ["shlex", "json", "textwrap", "pyprune_"]
                .iter()
                .any(|m| subject.contains(m)),
            "unexpected {finding}"
        );
    }
}

#[test]
fn a_tree_shipped_without_caches_keeps_the_no_write_promise_at_every_level() {
    // As Debian ships its stdlib: no caches at all. The interpreter imports
    // encodings before site (so before the runtime): their caches must be there.
    let env = TestEnv::new();
    let release = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let prefix = env.path().join("prefix");
    let stdlib = prefix.join(format!("lib/python{release}"));
    copy_from_stdlib(
        &stdlib,
        &["os.py", "encodings", "keyword.py", "colorsys.py"],
    );
    let out = env.path().join("out");
    let report = apply_to(&prefix, &out, &["--profile", "fedora-default"]);
    assert_eq!(
        report["verify"]["regressions"],
        serde_json::json!([]),
        "{report}"
    );
    let tag = cache_tag();
    for module in ["__init__", "aliases", "utf_8"] {
        for level in ["", ".opt-1", ".opt-2"] {
            let cache = out.join(format!(
                "lib/python{release}/encodings/__pycache__/{module}.{tag}{level}.pyc"
            ));
            assert!(cache.is_file(), "{cache:?}");
        }
    }
    let before = paths_under(&out);
    for flags in [&[][..], &["-O"], &["-OO"]] {
        python_on(&out, env.path(), flags, "import keyword, colorsys");
    }
    assert_eq!(
        paths_under(&out),
        before,
        "Python wrote into the marked tree"
    );

    // plan, like apply, learns the cache-less tree's release from the interpreter.
    let plan_row = |tree: &Path, name: &str| -> String {
        let rows = plan_rows(tree);
        let row = rows.into_iter().find(|r| r["name"] == name).expect("row");
        row["gives_up"].to_string()
    };
    let gives_up = plan_row(&prefix, "fedora-default");
    assert!(!gives_up.contains("holds no stdlib"), "{gives_up}");
    // Applied again, pyprune's own sitecustomize is pyprune's, not the stdlib's:
    // rewritten with the new steps' fallback, and no note about venvs.
    assert!(!plan_row(&out, "fedora-default").contains("venvs made from this Python"));
    let again = env.path().join("again");
    apply_to(
        &out,
        &again,
        &["--steps", "no-write-marker,cache-fallback", "--no-verify"],
    );
    let custom =
        std::fs::read_to_string(again.join(format!("lib/python{release}/sitecustomize.py")))
            .expect("read");
    assert!(custom.contains("FALLBACK = True"), "{custom}");
    // Without the runtime module, pyprune's sitecustomize lets Python start quietly.
    let again_stdlib = again.join(format!("lib/python{release}"));
    std::fs::remove_file(again_stdlib.join("pyprune_runtime.py")).expect("rm");
    for entry in std::fs::read_dir(again_stdlib.join("__pycache__")).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("pyprune_runtime.") {
            std::fs::remove_file(path).expect("rm");
        }
    }
    let (_, errors) = python_on(&again, env.path(), &[], "import keyword");
    assert!(!errors.contains("sitecustomize"), "{errors}");

    // A stdlib with a sitecustomize of its own (Debian's) keeps it; plan says
    // what that costs.
    let theirs = "import sys\nsys.distro_hook = True\n";
    std::fs::write(stdlib.join("sitecustomize.py"), theirs).expect("write");
    let output = pyprune()
        .args(["plan", "--format", "json", "--python", &python_binary()])
        .arg(&prefix)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let row = plan["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "fedora-default")
        .expect("fedora-default");
    assert!(
        row["gives_up"]
            .to_string()
            .contains("venvs made from this Python"),
        "{row}"
    );
    let out = env.path().join("out-own");
    apply_to(
        &prefix,
        &out,
        &["--profile", "fedora-default", "--no-verify"],
    );
    let kept = out.join(format!("lib/python{release}/sitecustomize.py"));
    assert_eq!(std::fs::read_to_string(kept).expect("read"), theirs);
}

/// Against an original, verdicts do not depend on import order, a failure of
/// both trees is no regression, and a real one is still found: the original
/// is asked only about what failed here, as this tree was (together, then by
/// package), and what passed there is proven alone here (and alone there,
/// where it fails alone here).
#[test]
fn against_an_original_order_and_shared_failures_are_not_regressions_and_a_real_one_is() {
    let env = TestEnv::new();
    let files: &[(&str, &str)] = &[
        ("aaa_first.py", "X = 1\n"),
        // Fails in any process that imported aaa_first before it.
        (
            "zzz_second.py",
            "import sys\nif 'aaa_first' in sys.modules:\n    raise ImportError('aaa_first came first')\n",
        ),
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "A = 1\n"),
        // Fails after pkg.a: its own package's failures are retried together, without pkg.a.
        (
            "pkg/b.py",
            "import sys\nif 'pkg.a' in sys.modules:\n    raise ImportError('pkg.a came first')\n",
        ),
        ("pkg/c.py", "from pkg import helper\n"),
        ("pkg/helper.py", "H = 1\n"),
        ("broken.py", "raise ImportError('broken in both')\n"),
    ];
    for tree in ["original", "result"] {
        for (rel, text) in files {
            env.write(format!("{tree}/{rel}"), text);
        }
    }
    std::fs::remove_file(env.path().join("result/pkg/helper.py")).expect("rm");
    let output = pyprune()
        .args(["verify", "--format", "json", "-j", "1", "--against"])
        .arg(env.path().join("original"))
        .arg(env.path().join("result"))
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    let subjects = |list: &str| -> std::collections::BTreeSet<String> {
        report[list]
            .as_array()
            .expect(list)
            .iter()
            .map(|f| f["subject"].as_str().expect("subject").to_owned())
            .collect()
    };
    assert_eq!(
        subjects("regressions"),
        ["pkg.c", "pkg.helper"].map(String::from).into(),
        "{report}"
    );
    // Order-dependent failures pass on retry; what fails in both is a note.
    assert_eq!(subjects("notes"), ["broken".to_owned()].into(), "{report}");
    assert_eq!(check(&report, "imports")["failed"], 2, "{report}");
    assert_eq!(output.status.code(), Some(1), "{report}");
}
