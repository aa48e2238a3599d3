//! The README's multi-stage container build, run without a container engine
//! (none can run here: Docker Hub, where `python:3.12-slim` comes from, is
//! out of reach), on a reduced copy of pyenv's 3.12 standing in for that
//! image's `/usr/local` (run from `zip_layouts.rs`, on the copy
//! `split_releases.rs` trimmed). The Dockerfile is read from the README and
//! each instruction done as the engine would: every stage a directory
//! standing for its root filesystem; `FROM python:3.12-slim` a linked copy of
//! the stand-in, `FROM scratch` an empty one; `ENV` and `RUN` run by `sh` with
//! each absolute path put under the stage's directory (checked before it
//! runs: nothing outside); `COPY --from` a copy between stages. The wheel's
//! `COPY` and `pip install` are left to `wheel.rs` (pip installing the wheel
//! into a venv): `pyprune` is cargo's binary on `PATH`.
//!
//! The final image is then run: its Python imports the copy's modules from
//! the minimized stdlib, their caches the opt-0 ones it ships (no opt-1 or
//! opt-2 cache, no test suite), and writes nothing into it.

use crate::harness::{paths_under, stderr};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The image the README's stages start from.
const IMAGE: &str = "python:3.12-slim";

/// Each absolute path of `command` (a word starting with `/`, or after `=`)
/// put under `root`.
fn rebased(command: &str, root: &Path) -> String {
    let root = root.to_str().expect("utf-8 root");
    command
        .split(' ')
        .map(|word| match word.split_once('=') {
            Some((name, value)) if value.starts_with('/') => format!("{name}={root}{value}"),
            _ if word.starts_with('/') => format!("{root}{word}"),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Copies the contents of `from` into `to` (made if missing), as `COPY` does.
fn copy_into(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    crate::pythons::copy(&from.join("."), to);
}

/// Runs the README's Dockerfile with `usr_local` (a Python 3.12 prefix) as
/// the image's `/usr/local`, in `work`; the final image's root.
fn build(usr_local: &Path, work: &Path) -> PathBuf {
    let dockerfile = crate::split_readme::readme_block("dockerfile");
    let mut stages: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut root = PathBuf::new();
    let mut env: Vec<(String, String)> = Vec::new();
    for (n, line) in dockerfile
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let (instruction, rest) = line.split_once(' ').expect("an instruction");
        match instruction {
            "FROM" => {
                let (image, name) = match rest.split_once(" AS ") {
                    Some((image, name)) => (image, name.to_owned()),
                    None => (rest, format!("stage-{n}")),
                };
                root = work.join(&name);
                env.clear();
                match image {
                    "scratch" => std::fs::create_dir_all(&root).expect("mkdir"),
                    IMAGE => {
                        std::fs::create_dir_all(root.join("usr")).expect("mkdir");
                        let status = std::process::Command::new("cp")
                            .arg("-al")
                            .arg(usr_local)
                            .arg(root.join("usr/local"))
                            .status()
                            .expect("cp -al");
                        assert!(status.success());
                        // As the image has them.
                        for name in ["python3", "python"] {
                            let link = root.join("usr/local/bin").join(name);
                            if !link.exists() {
                                std::os::unix::fs::symlink("python3.12", link).expect("symlink");
                            }
                        }
                    }
                    other => panic!("an image the test has no stand-in for: {other}"),
                }
                stages.insert(name, root.clone());
            }
            "ENV" => {
                for pair in rebased(rest, &root).split(' ') {
                    let (name, value) = pair.split_once('=').expect("NAME=VALUE");
                    env.push((name.to_owned(), value.to_owned()));
                }
            }
            "COPY" => match rest.strip_prefix("--from=") {
                Some(rest) => {
                    let mut words = rest.split(' ');
                    let (stage, from, to) = (
                        words.next().expect("stage"),
                        words.next().expect("source"),
                        words.next().expect("destination"),
                    );
                    let source = stages[stage].join(from.trim_start_matches('/'));
                    copy_into(&source, &root.join(to.trim_start_matches('/')));
                }
                // The wheels from the build context: see the module's docs.
                None => assert_eq!(rest, "target/wheels/ /wheels/"),
            },
            "RUN" if rest.starts_with("pip install /wheels/pyprune-") => {}
            "RUN" => {
                let command = rebased(rest, &root);
                for word in command.split(' ').filter(|w| w.starts_with('/')) {
                    assert!(
                        Path::new(word).starts_with(&root),
                        "{word} outside the stage"
                    );
                }
                // The image's PATH starts with /usr/local/bin: `python3` is its own.
                let path =
                    crate::split_readme::path_with_pyprune(Some(&root.join("usr/local/bin")));
                let envs = env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .chain([("PATH".to_owned(), path)]);
                crate::split_readme::run_sh(&command, &root, envs);
            }
            other => panic!("an instruction the test does not do: {other}"),
        }
    }
    root
}

/// Runs the README's container build on `usr_local` (3.12's prefix, see
/// the module's docs) in `work`, and its final image's Python.
pub fn container_build_runs(usr_local: &Path, work: &Path) {
    let image = build(usr_local, &work.join("container"));
    let stdlib = image.join("usr/local/lib/python3.12");
    let files: BTreeSet<String> = paths_under(&stdlib)
        .into_iter()
        .filter(|p| !p.symlink_metadata().expect("lstat").is_dir())
        .map(|p| {
            p.strip_prefix(&stdlib)
                .expect("under")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    // Sources and opt-0 caches of the release; opt-1 and opt-2 caches of
    // the start-up modules only (the codecs), no site-packages.
    assert!(files.contains("json/__init__.py"), "{files:?}");
    assert!(files.contains("json/__pycache__/__init__.cpython-312.pyc"));
    let stray: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.starts_with("site-packages/")
                || (f.contains(".opt-") && !f.starts_with("encodings/"))
                || (f.ends_with(".pyc") && !f.contains(".cpython-312."))
        })
        .collect();
    assert_eq!(stray, Vec::<&String>::new());
    // The image's own Python, the stdlib its prefix says, bytecode writing on.
    let python = image.join("usr/local/bin/python3.12");
    let probe = "import json, csv, textwrap, zlib, sys\n\
                 for m in (json, csv, textwrap):\n    print(m.__file__, m.__spec__.cached)\n\
                 print(json.dumps({'ok': True}))";
    let out = pyprune_python::clean_command(python.as_os_str())
        .args(["-c", probe])
        .current_dir(work)
        .output()
        .expect("run the image's python");
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.last(), Some(&"{\"ok\": true}"), "{said}");
    for line in &lines[..3] {
        let (file, cached) = line.split_once(' ').expect("file cached");
        assert!(Path::new(file).starts_with(&stdlib), "{line}");
        assert!(Path::new(cached).is_file(), "{line}: no cache shipped");
    }
    let after: BTreeSet<PathBuf> = paths_under(&stdlib);
    let before: BTreeSet<PathBuf> = files.iter().map(|f| stdlib.join(f)).collect();
    let written: Vec<&PathBuf> = after
        .iter()
        .filter(|p| !p.is_dir() && !before.contains(*p))
        .collect();
    assert_eq!(written, Vec::<&PathBuf>::new(), "written into the image");
}

#[test]
fn absolute_paths_are_put_under_the_stage() {
    let root = Path::new("/r");
    assert_eq!(
        rebased("rm -rf /usr/local/lib/python3.12", root),
        "rm -rf /r/usr/local/lib/python3.12"
    );
    assert_eq!(
        rebased("STDLIB=/usr/local/lib OUT=/python N=x", root),
        "STDLIB=/r/usr/local/lib OUT=/r/python N=x"
    );
    assert_eq!(
        rebased("pyprune split \"$OUT\" --install core", root),
        "pyprune split \"$OUT\" --install core"
    );
}
