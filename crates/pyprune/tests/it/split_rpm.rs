//! The README's RPM spec built for real: `rpmbuild -bb` (Debian's `rpm`,
//! which `scripts/install-test-deps.sh` installs) on a small stdlib of real
//! files with something in every layer, `make install` standing in for
//! CPython's. Every package is read back with `rpm -qp` and compared with the
//! plain lists `split` wrote and with the build root itself; then faults are
//! planted in the `%files` fragments and the packages rebuilt from the same
//! build root (`--short-circuit`), each caught.
//!
//! The spec packages Python 3.12; the stand-in tree is `python3`'s stdlib,
//! so the spec is built with "3.12" read as `python3`'s release (`compile`
//! refuses a stdlib directory named for another release than its
//! interpreter's).
//!
//! Disabled for the build, with `--define`: `__os_install_post` (the brp
//! scripts: compressing man pages, stripping ELF files, and on Fedora's rpm
//! byte-compiling the tree again with its own Python, which would replace
//! the caches under test) and `debug_package` (no ELF file here to take
//! debug info from).

use crate::harness::{TestEnv, paths_under, stderr};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The release the README's spec packages, read as `python3`'s in the build.
const SPEC_RELEASE: &str = "3.12";

/// `python3`'s release (`3.11`), which the build stands in for the spec's.
fn release() -> String {
    crate::harness::python_print("import sys; print('%d.%d' % sys.version_info[:2])")
}

/// The spec's base package, the `core` layer's: `python3.X`.
fn base() -> String {
    format!("python{}", release())
}

/// One entry of a package's file list.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    path: String,
    directory: bool,
    ghost: bool,
}

/// An rpmbuild tree around the README's spec.
struct RpmBuild {
    top: PathBuf,
    spec: PathBuf,
    db: PathBuf,
    path: String,
    /// Where the tree installs: `%{_libdir}/python3.X`.
    pylib: String,
}

impl RpmBuild {
    fn new(env: &TestEnv, tree: &Path) -> RpmBuild {
        let top = env.path().join("rpmbuild");
        let build = top.join("BUILD");
        std::fs::create_dir_all(&build).expect("mkdir");
        std::fs::create_dir_all(top.join("tmp")).expect("mkdir");
        let spec = top.join(format!("{}.spec", base()));
        let text = crate::split_readme::readme_block("spec").replace(SPEC_RELEASE, &release());
        std::fs::write(&spec, text).expect("write spec");
        // What `%make_install` runs: the tree copied to where the spec's
        // %install, which exports PYLIB first, says it installs.
        std::fs::write(
            build.join("Makefile"),
            format!(
                "install:\n\tmkdir -p \"$(DESTDIR)$(PYLIB)\"\n\tcp -R {}/. \"$(DESTDIR)$(PYLIB)\"\n",
                tree.display()
            ),
        )
        .expect("write Makefile");
        let path = crate::split_readme::path_with_pyprune(None);
        let mut build = RpmBuild {
            db: top.join("db"),
            top,
            spec,
            path,
            pylib: String::new(),
        };
        let libdir = build.rpm("rpm", &["--eval", "%{_libdir}"]);
        assert!(libdir.status.success(), "{}", stderr(&libdir));
        build.pylib = format!(
            "{}/{}",
            String::from_utf8_lossy(&libdir.stdout).trim(),
            base()
        );
        build
    }

    fn rpm(&self, program: &str, args: &[&str]) -> Output {
        let top = self.top.display();
        std::process::Command::new(program)
            .args(["--dbpath".as_ref(), self.db.as_os_str()])
            .args(["--define", &format!("_topdir {top}")])
            .args(["--define", &format!("_tmppath {top}/tmp")])
            .args(["--define", "__os_install_post %{nil}"])
            .args(["--define", "debug_package %{nil}"])
            .args(args)
            .env("PATH", &self.path)
            .output()
            .unwrap_or_else(|e| {
                panic!("{program}: {e} (scripts/install-test-deps.sh installs Debian's rpm)")
            })
    }

    /// `rpmbuild -bb` of the spec, the build root kept; `--short-circuit`
    /// packages the kept build root again without running `%install`.
    fn build(&self, short_circuit: bool) -> Output {
        let rpms = self.top.join("RPMS");
        if rpms.exists() {
            std::fs::remove_dir_all(&rpms).expect("remove RPMS");
        }
        let spec = self.spec.to_str().expect("utf-8");
        let mut args = vec!["-bb", "--noclean"];
        if short_circuit {
            args.push("--short-circuit");
        }
        args.push(spec);
        self.rpm("rpmbuild", &args)
    }

    fn lists(&self) -> PathBuf {
        self.top.join("BUILD/lists")
    }

    /// The stdlib in the build root.
    fn installed(&self) -> PathBuf {
        let roots: Vec<PathBuf> = std::fs::read_dir(self.top.join("BUILDROOT"))
            .expect("BUILDROOT")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(roots.len(), 1, "{roots:?}");
        roots[0].join(self.pylib.trim_start_matches('/'))
    }

    /// Every package built, by name, with its entries (`rpm -qp`).
    fn packages(&self) -> BTreeMap<String, BTreeSet<Entry>> {
        let mut rpms: Vec<PathBuf> = paths_under(&self.top.join("RPMS"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rpm"))
            .collect();
        rpms.sort();
        if rpms.is_empty() {
            return BTreeMap::new();
        }
        let format = "@%{NAME}\n[%{FILEMODES:perms}\t%{FILEFLAGS:fflags}\t%{FILENAMES}\n]";
        let mut args = vec!["-qp", "--qf", format];
        args.extend(rpms.iter().map(|p| p.to_str().expect("utf-8")));
        let out = self.rpm("rpm", &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let mut packages: BTreeMap<String, BTreeSet<Entry>> = BTreeMap::new();
        let mut current = String::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(name) = line.strip_prefix('@') {
                current = name.to_owned();
                packages.entry(current.clone()).or_default();
                continue;
            }
            let mut fields = line.splitn(3, '\t');
            let (Some(perms), Some(flags), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("not a file line: {line}");
            };
            packages.entry(current.clone()).or_default().insert(Entry {
                path: path.to_owned(),
                directory: perms.starts_with('d'),
                ghost: flags.contains('g'),
            });
        }
        packages
    }
}

/// The package the spec gives a layer.
fn package_of(layer: &str) -> String {
    if layer == "core" {
        base()
    } else {
        format!("python3-{layer}")
    }
}

/// What is wrong with a build: rpmbuild's failure or warnings; a package
/// whose files are not its layer's plain list; the base's ghosts not the
/// cache layers' files; a directory owned by no package or by two; a file
/// of the build root in no package or in two.
fn problems(build: &RpmBuild, out: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    let log = stderr(out);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(8).collect();
        problems.push(format!("rpmbuild failed: {:?}", tail));
        return problems;
    }
    problems.extend(
        log.lines()
            .filter(|l| l.contains("warning:") || l.contains("listed twice"))
            .map(|l| format!("rpmbuild: {l}")),
    );
    let packages = build.packages();
    let mut layers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(build.lists()).expect("lists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "list") {
            let name = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            let listed = std::fs::read_to_string(&path).expect("read list");
            layers.insert(name, listed.lines().map(str::to_owned).collect());
        }
    }
    let caches: BTreeSet<String> = layers
        .iter()
        .filter(|(name, _)| name.starts_with("bytecode-"))
        .flat_map(|(_, files)| files.iter().cloned())
        .collect();
    for (layer, listed) in &layers {
        let package = package_of(layer);
        let Some(entries) = packages.get(&package) else {
            if !listed.is_empty() {
                problems.push(format!("{layer}: no package {package} for its files"));
            }
            continue;
        };
        let files: BTreeSet<String> = entries
            .iter()
            .filter(|e| !e.directory && !e.ghost)
            .map(|e| e.path.clone())
            .collect();
        for missing in listed.difference(&files) {
            problems.push(format!("{package} lacks {missing} of layer {layer}"));
        }
        for extra in files.difference(listed) {
            problems.push(format!("{package} has {extra}, not of layer {layer}"));
        }
        let ghosts: BTreeSet<String> = entries
            .iter()
            .filter(|e| e.ghost)
            .map(|e| e.path.clone())
            .collect();
        let expected = if layer == "core" {
            caches.clone()
        } else {
            BTreeSet::new()
        };
        if ghosts != expected {
            problems.push(format!(
                "{package} ghosts {:?}, not {:?}",
                ghosts.symmetric_difference(&expected).collect::<Vec<_>>(),
                "the cache layers' files"
            ));
        }
    }
    // Against the build root itself: each directory owned once, each file in one package.
    let installed = build.installed();
    let mut owners: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut files: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (package, entries) in &packages {
        for entry in entries.iter().filter(|e| !e.ghost) {
            let map = if entry.directory {
                &mut owners
            } else {
                &mut files
            };
            map.entry(entry.path.clone()).or_default().push(package);
        }
    }
    let shown = |p: &Path| {
        let rel = p.strip_prefix(&installed).expect("under the tree");
        if rel.as_os_str().is_empty() {
            build.pylib.clone()
        } else {
            format!("{}/{}", build.pylib, rel.display())
        }
    };
    let mut on_disk_dirs = BTreeSet::from([build.pylib.clone()]);
    let mut on_disk_files = BTreeSet::new();
    for path in paths_under(&installed) {
        if path.symlink_metadata().expect("lstat").is_dir() {
            on_disk_dirs.insert(shown(&path));
        } else {
            on_disk_files.insert(shown(&path));
        }
    }
    for dir in &on_disk_dirs {
        match owners.get(dir).map(Vec::as_slice) {
            None => problems.push(format!("directory {dir} owned by no package")),
            Some([_]) => {}
            Some(many) => problems.push(format!("directory {dir} owned by {many:?}")),
        }
    }
    for file in &on_disk_files {
        match files.get(file).map(Vec::as_slice) {
            None => problems.push(format!("{file} in no package")),
            Some([_]) => {}
            Some(many) => problems.push(format!("{file} in {many:?}")),
        }
    }
    let packaged: BTreeSet<&String> = owners.keys().chain(files.keys()).collect();
    for path in packaged {
        if !on_disk_dirs.contains(path) && !on_disk_files.contains(path) {
            problems.push(format!("{path} packaged but not in the build root"));
        }
    }
    problems
}

#[test]
fn the_readme_spec_builds_one_package_per_layer_holding_exactly_its_files() {
    let env = TestEnv::new();
    // Sources only: the spec's `compile` writes every cache.
    let tree = crate::split::layered_sources(&env.path().join("prefix"));
    let build = RpmBuild::new(&env, &tree);
    let out = build.build(false);
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(problems(&build, &out), Vec::<String>::new(), "{log}");
    assert!(
        log.contains("Checking for unpackaged file(s)"),
        "rpm's check of unpackaged files ran: {log}"
    );
    // A package per layer of the spec, each with files (so each was compared).
    let packages = build.packages();
    let names: BTreeSet<&str> = packages.keys().map(String::as_str).collect();
    let layers = [
        "core",
        "bytecode-opt0",
        "bytecode-opt1",
        "bytecode-opt2",
        "tests",
        "idle-tk",
        "dev-modules",
        "devel",
    ];
    assert_eq!(
        names,
        layers
            .iter()
            .map(|l| package_of(l))
            .collect::<BTreeSet<_>>()
            .iter()
            .map(String::as_str)
            .collect()
    );
    for (name, entries) in &packages {
        assert!(
            entries.iter().any(|e| !e.directory && !e.ghost),
            "{name}: {entries:?}"
        );
    }
    // The caches are the spec's compile's: checked-hash (PEP 552 flags 3),
    // each level its own file (`--no-dedupe`: packages cannot share a hardlink).
    let caches: Vec<PathBuf> = paths_under(&build.installed())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pyc"))
        .collect();
    assert!(caches.len() > 30, "{caches:?}");
    for cache in &caches {
        assert_eq!(
            std::fs::read(cache).expect("cache")[4..8],
            [3, 0, 0, 0],
            "{}",
            cache.display()
        );
        assert_eq!(
            cache.metadata().expect("stat").nlink(),
            1,
            "{}",
            cache.display()
        );
    }

    // Faults planted in the fragments, the packages built again from the same
    // build root; each caught.
    let lists = build.lists();
    let pristine: BTreeMap<PathBuf, String> = std::fs::read_dir(&lists)
        .expect("lists")
        .map(|e| {
            let path = e.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            (path, text)
        })
        .collect();
    let pylib = build.pylib.clone();
    let scanner_cache = format!(
        "{pylib}/json/__pycache__/scanner.{}.pyc",
        crate::harness::cache_tag()
    );
    // (fragment, line taken out, line put in, what must be found)
    let faults = [
        (
            "core.files",
            format!("{pylib}/json/scanner.py"),
            String::new(),
            "Installed (but unpackaged) file(s) found".to_owned(),
        ),
        // Still ghosted by the base: rpmbuild is content, the check is not.
        (
            "bytecode-opt0.files",
            scanner_cache.clone(),
            String::new(),
            format!("python3-bytecode-opt0 lacks {scanner_cache} of layer bytecode-opt0"),
        ),
        (
            "tests.files",
            String::new(),
            format!("%dir {pylib}/json"),
            format!(
                "directory {pylib}/json owned by [\"python3-tests\", \"{}\"]",
                base()
            ),
        ),
        (
            "idle-tk.files",
            String::new(),
            format!("{pylib}/colorsys.py"),
            format!(
                "{pylib}/colorsys.py in [\"python3-idle-tk\", \"{}\"]",
                base()
            ),
        ),
    ];
    for (list, taken, added, expected) in &faults {
        for (path, text) in &pristine {
            std::fs::write(path, text).expect("restore");
        }
        let path = lists.join(list);
        let text = std::fs::read_to_string(&path).expect("read");
        let mut text = match taken.is_empty() {
            true => text,
            false => text.replace(&format!("{taken}\n"), ""),
        };
        if !added.is_empty() {
            text.push_str(&format!("{added}\n"));
        }
        std::fs::write(&path, text).expect("write");
        let out = build.build(true);
        let found = problems(&build, &out);
        assert!(
            found.iter().any(|p| p.contains(expected.as_str())),
            "{list}: `{expected}` not among {found:#?}"
        );
    }
}
