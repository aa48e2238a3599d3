//! A venv result is a venv: `apply --out` on a venv gives one that works where it
//! lands (its pip, its python, `activate`, a wheel's console script run OUT's
//! interpreter), or with --keep-venv-paths one that still names the original;
//! and `undo` after pip changed an in-place result restores what is still
//! pyprune's, names the rest and exits with 1. Small venvs made here by real pip
//! from the test wheelhouse (pip, MarkupSafe's C extension, sqlparse's console script).

use crate::harness::*;
use crate::venvs::{make_venv_with, site_packages, wheelhouse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The venv's own pip, run by its own interpreter (`python -m pip`: a copy's
/// `bin/pip` may name another venv).
fn pip(venv: &Path, args: &[&str], path: Option<&Path>, rest: &[&str]) -> Output {
    let mut command = pyprune_python::clean_command(venv.join("bin/python").as_os_str());
    command
        .args(["-m", "pip", "--disable-pip-version-check"])
        .args(args);
    if let Some(path) = path {
        command.arg(path);
    }
    let output = command.args(rest).output().expect("pip");
    assert!(output.status.success(), "pip {args:?}: {}", stderr(&output));
    output
}

/// Per path of a tree: a directory's mode, a symlink's target, or a file's
/// mode and SHA-256, computed by Python (independently of pyprune).
fn manifest(root: &Path) -> BTreeMap<PathBuf, String> {
    let code = r#"
import hashlib, os, stat, sys
root = sys.argv[1]
for dirpath, dirs, files in os.walk(root):
    for name in dirs + files:
        path = os.path.join(dirpath, name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            what = "link " + os.readlink(path)
        elif stat.S_ISDIR(st.st_mode):
            what = "dir %o" % stat.S_IMODE(st.st_mode)
        else:
            with open(path, "rb") as f:
                what = "file %o %s" % (stat.S_IMODE(st.st_mode), hashlib.sha256(f.read()).hexdigest())
        print(os.path.relpath(path, root) + "\t" + what)
"#;
    let output = python3()
        .args(["-c", code])
        .arg(root)
        .output()
        .expect("python3");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| {
            let (path, what) = line.split_once('\t').expect("a tab");
            (PathBuf::from(path), what.to_owned())
        })
        .collect()
}

/// The manifest less the paths under any of `prefixes`.
fn outside(
    manifest: &BTreeMap<PathBuf, String>,
    prefixes: &[PathBuf],
) -> BTreeMap<PathBuf, String> {
    manifest
        .iter()
        .filter(|(p, _)| !prefixes.iter().any(|x| p.starts_with(x)))
        .map(|(p, w)| (p.clone(), w.clone()))
        .collect()
}

/// Runs `program args` with nothing of the caller's environment but PATH, from `cwd`.
fn run(program: &Path, args: &[&str], cwd: &Path) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{}: {}",
        program.display(),
        stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn a_venv_copied_with_out_works_where_it_lands() {
    let env = TestEnv::new();
    let venv = env.path().join("venv");
    make_venv_with(&venv, &["pip", "markupsafe", "sqlparse"]);
    let before = manifest(&venv);
    // A space in the new place: the kernel cannot take it in a shebang (pip's trampoline then).
    let out = env.path().join("the result");
    let report = apply_to(&venv, &out, &["--steps", "sourceless"]);
    assert_eq!(manifest(&venv), before, "the original changed");
    // verify ran the result's own interpreter, nothing imported from the original.
    let verify = &report["verify"];
    assert_eq!(
        verify["python"],
        out.join("bin/python").to_str().expect("utf-8")
    );
    assert_eq!(verify["regressions"], serde_json::json!([]), "{verify}");
    let isolation = verify["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "isolation")
        .expect("the isolation check");
    assert!(isolation["checked"].as_u64() > Some(100), "{isolation}");
    assert_eq!(isolation["failed"], 0, "{isolation}");
    let paths = &report["venv_paths"];
    assert_eq!(paths["rewritten"], true);
    assert_eq!(paths["names"], out.to_str().expect("utf-8"));
    let files: Vec<&str> = paths["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("a path"))
        .collect();
    for file in ["bin/activate", "bin/pip", "bin/sqlformat", "pyvenv.cfg"] {
        assert!(files.contains(&file), "{file}: {files:?}");
    }
    // Nothing in the result names the original any more.
    let original = venv.to_str().expect("utf-8");
    for entry in std::fs::read_dir(out.join("bin")).expect("bin") {
        let path = entry.expect("entry").path();
        if !path.is_symlink() {
            let text = std::fs::read(&path).expect("read");
            assert!(
                !String::from_utf8_lossy(&text).contains(original),
                "{} names the original",
                path.display()
            );
        }
    }
    let cwd = env.path();
    let site = site_packages(&out);
    assert_eq!(
        run(&out.join("bin/pip"), &["--version"], cwd),
        format!("pip 26.3 from {}/pip (python 3.11)", site.display())
    );
    assert_eq!(
        run(
            &out.join("bin/python"),
            &["-c", "import sys; print(sys.prefix)"],
            cwd
        ),
        out.display().to_string()
    );
    // A wheel's console script runs OUT's interpreter on OUT's packages.
    let sqlformat = run(
        &out.join("bin/sqlformat"),
        &["--keywords", "upper", "-"],
        cwd,
    );
    assert_eq!(sqlformat, "");
    let which = std::fs::read_to_string(out.join("bin/sqlformat")).expect("script");
    assert!(
        which.contains(&format!("\"{}/bin/python\"", out.display())),
        "{which}"
    );
    // Its RECORD row tells the rewritten script's hash and size, as pip's would.
    let record = std::fs::read_dir(&site)
        .expect("site-packages")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("sqlparse-"))
        })
        .expect("sqlparse's dist-info")
        .join("RECORD");
    let rows = pyprune_dist::Record::parse(&std::fs::read(&record).expect("RECORD"))
        .expect("a RECORD")
        .rows;
    let row = rows
        .iter()
        .find(|r| r.path == "../../../bin/sqlformat")
        .expect("bin/sqlformat listed");
    assert_eq!(
        (row.hash.as_deref(), row.size),
        (
            Some(pyprune_dist::record_hash(which.as_bytes()).as_str()),
            Some(which.len() as u64)
        )
    );
    // bash's activate sets VIRTUAL_ENV and puts OUT's bin first.
    let activated = run(
        Path::new("/bin/bash"),
        &[
            "-c",
            "source \"$1/bin/activate\" && echo \"$VIRTUAL_ENV\" && python -c 'import sys, markupsafe; print(sys.prefix); print(markupsafe.__file__)'",
            "bash",
            out.to_str().expect("utf-8"),
        ],
        cwd,
    );
    let lines: Vec<&str> = activated.lines().collect();
    assert_eq!(lines[0], out.display().to_string());
    assert_eq!(lines[1], out.display().to_string());
    assert!(
        lines[2].starts_with(&site.display().to_string()),
        "{activated}"
    );
    // pyvenv.cfg: `home` still the base interpreter's, `command` names OUT.
    let cfg = std::fs::read_to_string(out.join("pyvenv.cfg")).expect("cfg");
    let original_cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).expect("cfg");
    let line = |cfg: &str, key: &str| {
        cfg.lines()
            .find(|l| l.starts_with(key))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert_eq!(line(&cfg, "home"), line(&original_cfg, "home"));
    assert!(
        line(&cfg, "command").ends_with(&format!(" {}", out.display())),
        "{cfg}"
    );
}

#[test]
fn keep_venv_paths_leaves_a_staged_copy_naming_the_original() {
    let env = TestEnv::new();
    let venv = env.path().join("venv");
    make_venv_with(&venv, &["sqlparse"]);
    let out = env.path().join("staged");
    let report = apply_to(
        &venv,
        &out,
        &["--steps", "drop-caches", "--keep-venv-paths", "--no-verify"],
    );
    let paths = &report["venv_paths"];
    assert_eq!(paths["rewritten"], false);
    assert_eq!(paths["names"], venv.to_str().expect("utf-8"));
    for file in ["bin/activate", "bin/sqlformat", "pyvenv.cfg"] {
        assert_eq!(
            std::fs::read(out.join(file)).expect("read"),
            std::fs::read(venv.join(file)).expect("read"),
            "{file}"
        );
    }
    // The text report says so.
    let text = pyprune()
        .args([
            "apply",
            "--steps",
            "drop-caches",
            "--keep-venv-paths",
            "--no-verify",
            "--out",
        ])
        .arg(env.path().join("staged-again"))
        .arg(&venv)
        .output()
        .expect("apply");
    assert!(text.status.success(), "{}", stderr(&text));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains(&format!("still name {} (", venv.display()))
            && shown.contains("--keep-venv-paths"),
        "{shown}"
    );
    // Without --out it is refused.
    let refused = pyprune()
        .args([
            "apply",
            "--steps",
            "drop-caches",
            "--keep-venv-paths",
            "--in-place",
        ])
        .arg(&venv)
        .output()
        .expect("apply");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

/// Applies `sourceless` in place on a venv with MarkupSafe, lets pip change
/// MarkupSafe (`meddle`), and undoes. Returns the venv, the manifest before the
/// apply, the undo's report and exit code, and the paths that are MarkupSafe's.
fn undo_after_pip(
    env: &TestEnv,
    meddle: impl Fn(&Path),
) -> (
    PathBuf,
    BTreeMap<PathBuf, String>,
    serde_json::Value,
    Option<i32>,
    Vec<PathBuf>,
) {
    let venv = env.path().join("venv");
    make_venv_with(&venv, &["pip", "markupsafe", "sqlparse"]);
    let before = manifest(&venv);
    let applied = pyprune()
        .args([
            "apply",
            "--in-place",
            "--steps",
            "sourceless",
            "--no-verify",
        ])
        .arg(&venv)
        .output()
        .expect("apply");
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_ne!(manifest(&venv), before, "sourceless changed nothing");
    meddle(&venv);
    let undone = pyprune()
        .args(["undo", "--format", "json"])
        .arg(&venv)
        .output()
        .expect("undo");
    let report: serde_json::Value = serde_json::from_slice(&undone.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", stderr(&undone)));
    let site = site_packages(&venv);
    let site = site.strip_prefix(&venv).expect("inside");
    let markupsafe = vec![
        site.join("markupsafe"),
        site.join("markupsafe-3.0.4.dist-info"),
    ];
    (venv, before, report, undone.status.code(), markupsafe)
}

/// The skipped paths of an undo report.
fn skipped(report: &serde_json::Value) -> Vec<(PathBuf, String)> {
    report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            let path = PathBuf::from(s["path"].as_str().expect("path"));
            (path, s["reason"].as_str().expect("reason").to_owned())
        })
        .collect()
}

#[test]
fn undo_after_pip_uninstall_restores_the_rest_and_names_what_pip_took() {
    let env = TestEnv::new();
    let (venv, before, report, code, markupsafe) = undo_after_pip(&env, |venv| {
        pip(venv, &["uninstall", "--yes", "markupsafe"], None, &[]);
    });
    assert_eq!(code, Some(1), "{report}");
    let skipped = skipped(&report);
    assert!(!skipped.is_empty());
    for (path, reason) in &skipped {
        assert!(
            markupsafe.iter().any(|m| path.starts_with(m)),
            "{path:?}: {reason}"
        );
        assert!(
            ["removed", "directory-gone", "moved"].contains(&reason.as_str()),
            "{path:?}: {reason}"
        );
    }
    // The sources sourceless removed are named: their directory is gone.
    let init = markupsafe[0].join("__init__.py");
    assert!(
        skipped
            .iter()
            .any(|(p, r)| *p == init && r == "directory-gone"),
        "{skipped:?}"
    );
    let after = manifest(&venv);
    // Nothing of MarkupSafe came back (a half package would shadow a reinstall).
    assert!(
        !after
            .keys()
            .any(|p| markupsafe.iter().any(|m| p.starts_with(m)))
    );
    // Everything else is as it was before the apply, byte for byte.
    assert_eq!(outside(&after, &markupsafe), outside(&before, &markupsafe));
    assert!(report["undone"].as_u64().expect("undone") > 0);
}

#[test]
fn undo_after_pip_reinstall_keeps_pips_files() {
    let env = TestEnv::new();
    let (venv, before, report, code, markupsafe) = undo_after_pip(&env, |venv| {
        pip(venv, &["uninstall", "--yes", "markupsafe"], None, &[]);
        pip(
            venv,
            &["install", "--quiet", "--no-index", "--find-links"],
            Some(wheelhouse()),
            &["markupsafe"],
        );
    });
    assert_eq!(code, Some(1), "{report}");
    let skipped = skipped(&report);
    for (path, reason) in &skipped {
        assert!(
            markupsafe.iter().any(|m| path.starts_with(m)),
            "{path:?}: {reason}"
        );
    }
    // pip's sources are there and left alone; so is its RECORD (when pyprune
    // rewrote it, it is named as changed).
    let record = markupsafe[1].join("RECORD");
    let init = markupsafe[0].join("__init__.py");
    assert!(
        skipped.iter().any(|(p, r)| *p == init && r == "changed"),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().all(|(p, r)| *p != record || r == "changed"),
        "{skipped:?}"
    );
    let after = manifest(&venv);
    assert_eq!(outside(&after, &markupsafe), outside(&before, &markupsafe));
    // MarkupSafe is pip's fresh install: its sources as in the wheel, and it imports.
    assert_eq!(after[&init], before[&init]);
    assert_eq!(after[&record], before[&record]);
    let shown = pip(&venv, &["show", "--files", "markupsafe"], None, &[]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("markupsafe/__init__.py"));
    let imported = run(
        &venv.join("bin/python"),
        &["-c", "import markupsafe; print(markupsafe.escape('<'))"],
        env.path(),
    );
    assert_eq!(imported, "&lt;");
}

/// What undo shows when another program changed the tree since the apply, and
/// that a new in-place apply over that change refuses (never undoes it on its own).
#[test]
fn undo_names_what_changed_since_in_text() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let sourceless = |tree: &Path| {
        let (output, shown) = transcript(&[
            "apply".as_ref(),
            "--in-place".as_ref(),
            "--steps".as_ref(),
            "sourceless".as_ref(),
            "--no-verify".as_ref(),
            tree.as_os_str(),
        ]);
        assert!(output.status.success(), "{shown}");
    };
    let meddle = |tree: &Path| {
        // A source sourceless removed is written again; a file it made is removed.
        std::fs::write(tree.join("json/decoder.py"), "# reinstalled\n").expect("write");
        std::fs::remove_file(tree.join("colorsys.pyc")).expect("remove");
    };
    sourceless(&tree);
    meddle(&tree);
    let (output, mut text) = transcript(&["undo".as_ref(), tree.as_os_str()]);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(
        std::fs::read_to_string(tree.join("json/decoder.py")).expect("read"),
        "# reinstalled\n"
    );
    // The rest is restored: colorsys's source too (nothing changed its path), without
    // the cache that became `colorsys.pyc` (moving it back needs the file that went).
    assert!(tree.join("json/encoder.py").exists() && tree.join("colorsys.py").exists());
    assert!(!tree.join("colorsys.pyc").exists());
    // The same, met by a new in-place apply: refused, the journal kept for
    // the user to undo (or commit) knowing what changed.
    let again = package_tree(&env.path().join("again"));
    sourceless(&again);
    meddle(&again);
    let (output, shown) = transcript(&[
        "apply".as_ref(),
        "--in-place".as_ref(),
        "--steps".as_ref(),
        "drop-opt2".as_ref(),
        "--no-verify".as_ref(),
        again.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(again.join(".pyprune-journal/log").is_file(), "{shown}");
    assert_eq!(
        std::fs::read_to_string(again.join("json/decoder.py")).expect("read"),
        "# reinstalled\n"
    );
    text.push('\n');
    text.push_str(&shown);
    let mut settings = snapshot_settings(&[env.path()]);
    hide_sizes(&mut settings);
    settings.bind(|| insta::assert_snapshot!("undo_names_what_changed_since", text));
}
