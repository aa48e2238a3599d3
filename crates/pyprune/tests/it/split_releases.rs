//! `pyprune split --check` on the reduced copies of pyenv's 3.8, 3.12 and
//! 3.13 that `zip_layouts.rs` makes (run from there, before it changes its
//! copy), through a linked copy trimmed to what imports (see [`trim`]):
//! every file of the prefix in exactly one layer (against the test's own
//! walk); each cache in the layer of the level its name says with that
//! release's tag, or in core only when the copy's own interpreter has loaded
//! its module once started (a `.pth` read, as pyprune's runtime's is); the
//! installs a subset chain; and the installs `core` and `core` with every
//! cache layer verified laid out alone, no regression, at least 50 modules
//! imported. Seen to fail with the opt-2 selector given to `bytecode-opt1`
//! (opt-2 caches in it, opt-1 caches in core) and with `json/decoder.py`
//! in a layer of its own (core's verify fails).
//!
//! PyPy: `split` refuses it, as `apply` does (`other_pythons.rs`).

use crate::harness::{paths_under, pyprune, stderr};
use crate::pythons::{Installed, Reduced};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stdlib files (relative to it) the interpreter has loaded once started
/// at `-O` `level` times to run a script (in `work`), as its `sys.modules`
/// says.
fn loaded_at_start(python: &Path, stdlib: &Path, level: usize, work: &Path) -> BTreeSet<String> {
    let script = work.join("loaded_at_start.py");
    std::fs::write(
        &script,
        "import sys\nfor m in list(sys.modules.values()):\n    f = getattr(m, '__file__', None)\n    if f: print(f)\n",
    )
    .expect("write script");
    // A `.pth` read at start, as pyprune's runtime's is (3.8 reads it through `_bootlocale`).
    let pth = stdlib.join("site-packages/probe.pth");
    std::fs::write(&pth, "# read at start\n").expect("write .pth");
    let mut command = pyprune_python::clean_command(python.as_os_str());
    command.arg("-B");
    if level > 0 {
        command.arg(format!("-{}", "O".repeat(level)));
    }
    let out = command.arg(&script).output().expect("run the copy");
    std::fs::remove_file(&pth).expect("remove .pth");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|f| Path::new(f).strip_prefix(stdlib).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// The optimization level of a cache file of `tag` by its name
/// (`x.cpython-38.opt-1.pyc`), and the source it is for (relative to the
/// stdlib); `None` for any other file.
fn cache_of(rel: &str, tag: &str) -> Option<(usize, String)> {
    let (dir, name) = rel.rsplit_once("/__pycache__/")?;
    let (module, rest) = name.split_once('.')?;
    let level = match rest.strip_prefix(tag)? {
        ".pyc" => 0,
        ".opt-1.pyc" => 1,
        ".opt-2.pyc" => 2,
        _ => return None,
    };
    Some((level, format!("{dir}/{module}.py")))
}

/// Prints the modules of the stdlib in `argv[1]` that fail to import.
const FAILING: &str = r#"
import importlib, os, sys
root = sys.argv[1]
names = []
for dirpath, dirs, files in os.walk(root):
    dirs[:] = sorted(d for d in dirs if d.isidentifier() and d != "__pycache__")
    rel = os.path.relpath(dirpath, root)
    package = [] if rel == "." else rel.split(os.sep)
    if package and "__init__.py" not in files:
        dirs[:] = []
        continue
    for name in sorted(files):
        if name.endswith(".py") and name[:-3].isidentifier():
            parts = package + ([] if name == "__init__.py" else [name[:-3]])
            if parts:
                names.append(".".join(parts))
for name in names:
    try:
        importlib.import_module(name)
    except BaseException:
        print(name)
"#;

/// What start-up, pyprune's discovery (its interpreter's own questions) and
/// the modules `zip_layouts.rs` imports load, beyond the mail and URL
/// packages the copy was made for too.
const KEPT: &[&str] = &[
    "site",
    "sysconfig",
    "importlib.util",
    "importlib.machinery",
    "json",
    "py_compile",
    "traceback",
    "linecache",
    "inspect",
    "csv",
    "textwrap",
    "zlib",
];

/// Removes a module (`a/b`, relative to the stdlib, without `.py`) or a
/// package, with its caches; nothing when it is gone already (with its package).
fn remove_module(stdlib: &Path, module: &str) {
    let path = stdlib.join(module);
    if path.is_dir() {
        std::fs::remove_dir_all(&path).expect("remove package");
        return;
    }
    if std::fs::remove_file(path.with_extension("py")).is_err() {
        return;
    }
    let (dir, name) = (path.parent().expect("dir"), path.file_name().expect("name"));
    let prefix = format!("{}.", name.to_string_lossy());
    for cache in std::fs::read_dir(dir.join("__pycache__"))
        .into_iter()
        .flatten()
    {
        let cache = cache.expect("entry").path();
        if cache
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        {
            std::fs::remove_file(&cache).expect("remove cache");
        }
    }
}

/// Trims the linked copy to what imports: the top-level modules [`KEPT`]
/// loads (as the copy's interpreter says), the codecs start-up needs, and of
/// those what still imports (the reduced copy lacks some modules'
/// dependencies: a failure in the whole tree is not a regression, but verify
/// retries it at every level in every install). Verify imports every module
/// three times per install.
fn trim(python: &Path, stdlib: &Path) {
    let out = pyprune_python::clean_command(python.as_os_str())
        .args(["-B", "-c", crate::pythons::CLOSURE])
        .arg(stdlib)
        .args(KEPT)
        .output()
        .expect("run the copy");
    assert!(out.status.success(), "{}", stderr(&out));
    let loaded: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(_, rel)| rel.split('/').next().unwrap_or_default().to_owned())
        .collect();
    for entry in std::fs::read_dir(stdlib).expect("stdlib") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let module = name.strip_suffix(".py").unwrap_or(&name);
        let layout = name.starts_with("config-")
            || name.starts_with("_sysconfigdata")
            || ["site-packages", "lib-dynload", "__pycache__"].contains(&name.as_str());
        if !layout && !loaded.contains(&name) && module.is_ascii() {
            remove_module(stdlib, module);
        }
    }
    crate::split_debian::trim_codecs(stdlib);
    for _ in 0..3 {
        let out = pyprune_python::clean_command(python.as_os_str())
            .args(["-B", "-c", FAILING])
            .arg(stdlib)
            .output()
            .expect("run the copy");
        assert!(out.status.success(), "{}", stderr(&out));
        let failing = String::from_utf8_lossy(&out.stdout).into_owned();
        if failing.is_empty() {
            return;
        }
        for module in failing.lines() {
            remove_module(stdlib, &module.replace('.', "/"));
        }
    }
    panic!("modules of {} still fail to import", stdlib.display());
}

/// Splits the copy and checks it (each problem named); the trimmed copy.
pub fn split_on(installed: &Installed, reduced: &Reduced, work: &Path) -> PathBuf {
    // A linked copy, without the codecs start-up does not need (verify
    // imports every module three times per install), so that the copy
    // stays whole for the test that made it.
    let original = reduced
        .stdlib
        .parent()
        .and_then(Path::parent)
        .expect("the prefix");
    let linked = work.join("split-prefix");
    let copied = std::process::Command::new("cp")
        .arg("-al")
        .arg(original)
        .arg(&linked)
        .status()
        .expect("cp -al");
    assert!(copied.success());
    let stdlib = linked.join(
        reduced
            .stdlib
            .strip_prefix(original)
            .expect("stdlib under prefix"),
    );
    let python = linked.join(
        reduced
            .python
            .strip_prefix(original)
            .expect("python under prefix"),
    );
    trim(&python, &stdlib);
    let prefix = linked.as_path();
    let scratch = work.join("split-tmp");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let all_caches = "core+bytecode-opt0+bytecode-opt1+bytecode-opt2";
    let out = pyprune()
        .arg("split")
        .arg(prefix)
        .args(["--check", "--install", "core", "--install", all_caches])
        .args(["--format", "json", "-j", "2"])
        .env("TMPDIR", &scratch)
        .output()
        .expect("run pyprune split");
    let what = &installed.label;
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", stderr(&out)));
    assert!(out.status.success(), "{what}: {report:#}\n{}", stderr(&out));
    assert_eq!(crate::harness::names_in(&scratch), Vec::<String>::new());

    // Every file of the prefix (but the left-out site-packages) in exactly one layer.
    let left_out: Vec<String> = report["left_out"]["dirs"]
        .as_array()
        .expect("left out")
        .iter()
        .map(|d| format!("{}/", d.as_str().expect("dir")))
        .collect();
    let walked: BTreeSet<String> = paths_under(prefix)
        .into_iter()
        .filter(|p| !p.symlink_metadata().expect("lstat").is_dir())
        .map(|p| {
            p.strip_prefix(prefix)
                .expect("under")
                .to_string_lossy()
                .into_owned()
        })
        .filter(|rel| !left_out.iter().any(|d| rel.starts_with(d.as_str())))
        .collect();
    let mut layer_of: BTreeMap<String, String> = BTreeMap::new();
    let mut problems = Vec::new();
    for layer in report["layers"].as_array().expect("layers") {
        let name = layer["name"].as_str().expect("name");
        for file in layer["files"].as_array().expect("files") {
            let file = file.as_str().expect("path").to_owned();
            if let Some(other) = layer_of.insert(file.clone(), name.to_owned()) {
                problems.push(format!("{file} in {other} and {name}"));
            }
        }
    }
    let split: BTreeSet<String> = layer_of.keys().cloned().collect();
    problems.extend(
        walked
            .difference(&split)
            .map(|f| format!("{f} in no layer")),
    );
    problems.extend(
        split
            .difference(&walked)
            .map(|f| format!("{f} not in the tree")),
    );

    // Caches by level, with the release's tag; core's only the start-up modules'.
    let tag = format!("cpython-{}", installed.short.replace('.', ""));
    let stdlib_rel = stdlib
        .strip_prefix(prefix)
        .expect("stdlib under prefix")
        .to_string_lossy()
        .into_owned();
    let started: Vec<BTreeSet<String>> = (0..3)
        .map(|level| loaded_at_start(&python, &stdlib, level, work))
        .collect();
    let mut per_level = [0; 3];
    for (file, layer) in &layer_of {
        let Some(rel) = file.strip_prefix(&format!("{stdlib_rel}/")) else {
            continue;
        };
        let cache = cache_of(&format!("/{rel}"), &tag)
            .map(|(level, source)| (level, source.trim_start_matches('/').to_owned()));
        match (cache, layer.as_str()) {
            (Some((level, _)), layer) if layer == format!("bytecode-opt{level}") => {
                per_level[level] += 1;
            }
            (Some((level, source)), "core") if started[level].contains(&source) => {}
            (Some(_), "devel" | "tests" | "idle-tk" | "dev-modules") => {}
            (None, layer) if layer.starts_with("bytecode-") => {
                problems.push(format!("{file} in {layer}: not a {tag} cache"));
            }
            (None, _) => {}
            (Some((level, _)), layer) => {
                problems.push(format!("{file} (opt-{level}) in {layer}"));
            }
        }
    }
    for (level, count) in per_level.iter().enumerate() {
        if *count < 10 {
            problems.push(format!("only {count} caches in bytecode-opt{level}"));
        }
    }

    // The installs: each a subset of the next, each verified, importing.
    let layer_files = |install: &Value| -> BTreeSet<&String> {
        let layers: Vec<&str> = install["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(|l| l.as_str().expect("name"))
            .collect();
        layer_of
            .iter()
            .filter(|(_, l)| layers.contains(&l.as_str()))
            .map(|(f, _)| f)
            .collect()
    };
    let installs = report["installs"].as_array().expect("installs");
    let names: Vec<&str> = installs
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["core", all_caches], "{what}");
    if !layer_files(&installs[0]).is_subset(&layer_files(&installs[1])) {
        problems.push("core is not a subset of core with its caches".to_owned());
    }
    let check = &report["check"];
    assert_eq!(check["passed"], true, "{what}: {check:#}");
    let verified = check["verified"].as_array().expect("verified");
    let verified_names: Vec<&str> = verified
        .iter()
        .map(|v| v["install"].as_str().expect("install"))
        .collect();
    assert_eq!(verified_names, ["core", all_caches], "{what}");
    for install in verified {
        let imports = crate::split_check::verify_check(install, "imports");
        // The copy holds only some modules' dependencies: what fails in the
        // whole tree too is a note, not a regression.
        let imported = imports["checked"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(imports["failed"].as_u64().unwrap_or(u64::MAX));
        let regressions = &install["report"]["regressions"];
        if imported < 50 || regressions != &serde_json::json!([]) {
            problems.push(format!(
                "{}: {imports}, regressions {regressions}",
                install["install"]
            ));
        }
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
    linked
}

#[test]
fn cache_names_give_their_level() {
    assert_eq!(
        cache_of(
            "/json/__pycache__/decoder.cpython-38.opt-1.pyc",
            "cpython-38"
        ),
        Some((1, "/json/decoder.py".to_owned()))
    );
    assert_eq!(
        cache_of("/__pycache__/os.cpython-313.pyc", "cpython-313"),
        Some((0, "/os.py".to_owned()))
    );
    assert_eq!(
        cache_of("/__pycache__/os.cpython-312.pyc", "cpython-313"),
        None
    );
    assert_eq!(cache_of("/os.py", "cpython-313"), None);
}
