//! Steps on bytecode caches: link identical levels, drop levels, mark
//! `__pycache__` directories as not to be written.

use super::startup::{StartupSources, cache_source};
use super::{Context, StepError};
use crate::action::Action;
use crate::model::{Model, TreePath};
use pyprune_pyc::CacheFileName;
use pyprune_tree::Kind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The marker file name of the draft PEP.
pub(crate) const MARKER: &str = "__dont_write_bytecode__";

fn is_cache(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2
    )
}

/// `(dir/__pycache__, NAME.TAG)` of a cache path.
fn cache_group(path: &Path) -> Option<(PathBuf, String)> {
    let name = CacheFileName::parse(path.file_name()?.to_str()?)?;
    Some((
        path.parent()?.to_path_buf(),
        format!("{}.{}", name.module, name.tag),
    ))
}

/// Each module's caches that hold the same bytes become hardlinks of the first (in path order).
pub(crate) fn dedupe(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    let mut groups: BTreeMap<(PathBuf, String), Vec<&TreePath>> = BTreeMap::new();
    for (path, file) in &model.files {
        // A symlinked cache is not a copy to merge: linking would replace the link.
        if is_cache(file.kind)
            && !file.symlink
            && let Some(group) = cache_group(path)
        {
            groups.entry(group).or_default().push(path);
        }
    }
    let mut actions = Vec::new();
    for paths in groups.values().filter(|p| p.len() > 1) {
        // (inode, bytes) of the files kept so far; later equal files link to them.
        let mut kept: Vec<(&TreePath, u64, std::sync::Arc<[u8]>)> = Vec::new();
        for path in paths {
            let file = model.file_at(path);
            if kept.iter().any(|(_, inode, _)| *inode == file.inode) {
                continue;
            }
            let bytes = context.read(file)?;
            match kept.iter().find(|(_, _, b)| **b == *bytes) {
                Some((existing, _, _)) => actions.push(Action::Link {
                    existing: (*existing).to_path_buf(),
                    target: (*path).to_path_buf(),
                }),
                None => kept.push((path, file.inode, bytes)),
            }
        }
    }
    Ok(actions)
}

/// Removes every cache of the given levels, but those of the modules the
/// interpreter imports before pyprune's runtime can stop it writing them
/// (at the level it imports them at).
pub(crate) fn drop_levels(model: &Model, context: &Context, levels: &[Kind]) -> Vec<Action> {
    let startup = StartupSources::of(model, context);
    model
        .files
        .iter()
        .filter(|(path, f)| levels.contains(&f.kind) && !startup.is_startup_cache(path))
        .map(|(path, _)| Action::Remove(path.to_path_buf()))
        .collect()
}

/// An empty `__dont_write_bytecode__` in every `__pycache__` and at the root;
/// and, since the start-up modules are imported before any runtime can stop
/// the interpreter writing their caches, those caches at each level they are
/// imported at, where missing (a tree shipped without caches, as Debian's is,
/// or whose optimized caches were dropped), compiled by the tree's interpreter.
pub(crate) fn markers(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
    let marker = |dir: &Path| Action::Write {
        path: dir.join(MARKER),
        bytes: Vec::new().into(),
        mode: 0o644,
        kind: Kind::Data,
        module: String::new(),
    };
    let mut actions: Vec<Action> = model
        .dirs
        .iter()
        .filter(|d| d.file_name().is_some_and(|n| n == "__pycache__"))
        .filter(|d| !model.has_file(&d.join(MARKER)))
        .map(|d| marker(d))
        .collect();
    if !model.has_file(Path::new(MARKER)) {
        actions.push(marker(Path::new("")));
    }
    let startup = StartupSources::of(model, context);
    for path in startup.all() {
        let source = model.file(path);
        if let Some(file) = source.filter(|f| f.kind == Kind::Source && !f.symlink) {
            let source = context.read(file)?;
            let wanted = |cache: &Path| {
                !model.has_file(cache)
                    && cache_source(cache)
                        .is_some_and(|(source, level)| startup.imports_at(&source, level))
            };
            actions.extend(super::runtime::compiled_caches(
                context,
                path,
                &source,
                &file.module,
                wanted,
            ));
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use crate::action::Action;
    use crate::model_builder::{
        BLOCK, ROOT, TAG, TreeBuilder, actions, applied, cache_bytes, cache_path, compiled,
        context_with_compiler, link, paths, remove, remove_dir,
    };
    use crate::steps::{StepName, step_actions};
    use pyprune_tree::Kind;
    use std::path::{Path, PathBuf};

    /// A stdlib rooted at the tree: `os`, `json` (two modules), the start-up
    /// modules of `encodings` and one more codec, every module cached at
    /// three levels, opt-1 a hardlink of opt-0.
    fn stdlib() -> TreeBuilder {
        TreeBuilder::new()
            .module("os.py", "import sys\n")
            .module("json/__init__.py", "from .decoder import JSONDecoder\n")
            .module("json/decoder.py", "class JSONDecoder: pass\n")
            .module("encodings/__init__.py", "import codecs\n")
            .module("encodings/aliases.py", "aliases = {}\n")
            .module("encodings/utf_8.py", "import codecs\n")
            .module("encodings/cp1252.py", "import codecs\n")
    }

    #[test]
    fn dedupe_links_each_modules_identical_caches_to_the_first() {
        let decoder = "json/decoder.py";
        let scanner = "json/scanner.py";
        let model = TreeBuilder::new()
            .file("os.py", "")
            // Three separate files with the same bytes.
            .file(decoder, "")
            .file(&cache_path(decoder, 0), cache_bytes(decoder, 0))
            .file(&cache_path(decoder, 1), cache_bytes(decoder, 0))
            .file(&cache_path(decoder, 2), cache_bytes(decoder, 0))
            // The same bytes in another module and under another tag: not linked.
            .file(scanner, "")
            .file(&cache_path(scanner, 0), cache_bytes(decoder, 0))
            .file(
                "json/__pycache__/decoder.cpython-312.pyc",
                cache_bytes(decoder, 0),
            )
            // Already linked, and opt-2 different: nothing to do.
            .module("json/__init__.py", "")
            // opt-1 already a link of opt-0, opt-2 equal to them.
            .source_with_caches("json/tool.py", "", &[0])
            .link(
                &cache_path("json/tool.py", 0),
                &cache_path("json/tool.py", 1),
            )
            .file(
                &cache_path("json/tool.py", 2),
                cache_bytes("json/tool.py", 0),
            )
            .build();
        let got = actions(StepName::DedupeCaches, &model);
        // Path order within a module: `.opt-1.pyc`, `.opt-2.pyc`, `.pyc`.
        assert_eq!(
            got,
            [
                link(&cache_path(decoder, 1), &cache_path(decoder, 2)),
                link(&cache_path(decoder, 1), &cache_path(decoder, 0)),
                link(
                    &cache_path("json/tool.py", 1),
                    &cache_path("json/tool.py", 2)
                ),
            ]
        );
        let after = applied(&model, &got);
        let inode = |p: &str| after.file_at(Path::new(p)).inode;
        assert_eq!(
            inode(&cache_path(decoder, 0)),
            inode(&cache_path(decoder, 1))
        );
        assert_eq!(
            inode(&cache_path(decoder, 2)),
            inode(&cache_path(decoder, 1))
        );
        assert_ne!(
            inode(&cache_path(scanner, 0)),
            inode(&cache_path(decoder, 0))
        );
        assert_eq!(paths(&after), paths(&model));
        assert_eq!(model.disk_total() - after.disk_total(), 3 * BLOCK);
        // Done once, nothing is left to link.
        assert_eq!(actions(StepName::DedupeCaches, &after), []);
    }

    #[test]
    fn dedupe_reads_files_from_the_root_and_says_which_it_could_not() {
        // A model of a disk tree whose root has gone.
        let mut model = TreeBuilder::new()
            .file("os.py", "")
            .source_with_caches("os.py", "", &[0, 1])
            .build();
        for (path, file) in &mut model.files {
            file.origin = crate::model::Origin::Disk(path.clone());
        }
        let error = step_actions(
            StepName::DedupeCaches,
            &model,
            &crate::model_builder::context(),
        )
        .expect_err("nothing to read");
        assert!(
            error
                .to_string()
                .contains(&format!("{ROOT}/__pycache__/os.{TAG}")),
            "{error}"
        );
    }

    /// The removal of every cache of `levels` of the modules of [`stdlib`] but the start-up ones.
    fn removals(levels: &[u8], modules: &[&str]) -> Vec<Action> {
        let mut paths: Vec<String> = modules
            .iter()
            .flat_map(|m| levels.iter().map(move |&l| cache_path(m, l)))
            .collect();
        paths.sort();
        paths.iter().map(|p| remove(p)).collect()
    }

    const NOT_STARTUP: &[&str] = &[
        "os.py",
        "json/__init__.py",
        "json/decoder.py",
        "encodings/cp1252.py",
    ];

    #[test]
    fn drop_opt2_keeps_the_start_up_modules_caches() {
        let model = stdlib().build();
        assert_eq!(
            actions(StepName::DropOpt2, &model),
            removals(&[2], NOT_STARTUP)
        );
    }

    #[test]
    fn drop_optimized_caches_keeps_opt0_and_the_start_up_modules_caches() {
        let model = stdlib().build();
        let got = actions(StepName::DropOptimizedCaches, &model);
        assert_eq!(got, removals(&[1, 2], NOT_STARTUP));
        let after = applied(&model, &got);
        let kinds: Vec<(String, Kind)> = after
            .files
            .iter()
            .filter(|(_, f)| f.kind == Kind::BytecodeOpt1 || f.kind == Kind::BytecodeOpt2)
            .map(|(p, f)| (p.to_string_lossy().into_owned(), f.kind))
            .collect();
        let startup = [
            "encodings/__init__.py",
            "encodings/aliases.py",
            "encodings/utf_8.py",
        ];
        let mut expected: Vec<(String, Kind)> = startup
            .iter()
            .flat_map(|m| {
                [
                    (cache_path(m, 1), Kind::BytecodeOpt1),
                    (cache_path(m, 2), Kind::BytecodeOpt2),
                ]
            })
            .collect();
        expected.sort();
        assert_eq!(kinds, expected);
        // opt-1 was a link of opt-0: only the opt-2 files free space.
        assert_eq!(model.disk_total() - after.disk_total(), 4 * BLOCK);
    }

    #[test]
    fn drop_caches_removes_emptied_pycache_directories() {
        let model = stdlib().build();
        let mut expected = removals(&[0, 1, 2], NOT_STARTUP);
        // Deepest first would not matter here: both are leaves. In path order.
        expected.extend([remove_dir("__pycache__"), remove_dir("json/__pycache__")]);
        let got = actions(StepName::DropCaches, &model);
        assert_eq!(got, expected);
        let after = applied(&model, &got);
        assert_eq!(
            crate::model_builder::dirs(&after),
            ["", "encodings", "encodings/__pycache__", "json"]
        );
        // A start-up module of a package that is not `encodings` is not one.
        let other = TreeBuilder::new()
            .file("os.py", "")
            .source_with_caches("mypkg/utf_8.py", "", &[0])
            .source_with_caches("encodings/utf_16.py", "", &[0])
            .build();
        assert_eq!(
            actions(StepName::DropCaches, &other),
            [
                remove(&cache_path("encodings/utf_16.py", 0)),
                remove(&cache_path("mypkg/utf_8.py", 0)),
                remove_dir("encodings/__pycache__"),
                remove_dir("mypkg/__pycache__"),
            ]
        );
    }

    fn marker(dir: &str) -> Action {
        Action::Write {
            path: Path::new(dir).join(super::MARKER),
            bytes: Vec::new().into(),
            mode: 0o644,
            kind: Kind::Data,
            module: String::new(),
        }
    }

    #[test]
    fn no_write_marker_marks_every_pycache_and_the_root() {
        let model = stdlib()
            // An empty `__pycache__` is marked too; one already marked is not again.
            .dir("email/__pycache__")
            .file("xml/__pycache__/__dont_write_bytecode__", "")
            .build();
        assert_eq!(
            actions(StepName::NoWriteMarker, &model),
            [
                marker("__pycache__"),
                marker("email/__pycache__"),
                marker("encodings/__pycache__"),
                marker("json/__pycache__"),
                marker(""),
            ]
        );
        let marked = applied(&model, &actions(StepName::NoWriteMarker, &model));
        assert_eq!(actions(StepName::NoWriteMarker, &marked), []);
    }

    /// The write of `source`'s cache at `level` the test compiler gives (its
    /// opt-1 has the bytes of its opt-0), in top-level module `module`.
    fn compiled_cache(source: &str, level: u8, module: &str) -> Action {
        let cache = cache_path(source, level);
        Action::Write {
            path: PathBuf::from(&cache),
            bytes: compiled(
                &format!("{ROOT}/{source}"),
                if level == 1 { 0 } else { level },
            )
            .into(),
            mode: 0o644,
            kind: Kind::of(Path::new(&cache)),
            module: module.to_owned(),
        }
    }

    #[test]
    fn no_write_marker_compiles_the_missing_start_up_caches() {
        let model = TreeBuilder::new()
            .file("lib/python3.11/os.py", "")
            // Cached at every level: nothing to compile.
            .module("lib/python3.11/encodings/__init__.py", "import codecs\n")
            // No cache (Debian's tree).
            .file("lib/python3.11/encodings/aliases.py", "aliases = {}\n")
            // opt-0 only.
            .source_with_caches("lib/python3.11/encodings/utf_8.py", "", &[0])
            // Not a start-up module.
            .file("lib/python3.11/encodings/cp1252.py", "")
            .build();
        let write = |source: &str, level: u8| compiled_cache(source, level, "encodings");
        let aliases = "lib/python3.11/encodings/aliases.py";
        let utf_8 = "lib/python3.11/encodings/utf_8.py";
        let got = step_actions(StepName::NoWriteMarker, &model, &context_with_compiler())
            .expect("planned");
        assert_eq!(
            got,
            [
                marker("lib/python3.11/encodings/__pycache__"),
                marker(""),
                write(aliases, 0),
                // The compiler gives opt-1 the bytes of opt-0: a link.
                link(&cache_path(aliases, 0), &cache_path(aliases, 1)),
                write(aliases, 2),
                // opt-0 is there; opt-1 has nothing written below it to link to.
                write(utf_8, 1),
                write(utf_8, 2),
            ]
        );
        // Without an interpreter, markers only.
        assert_eq!(
            actions(StepName::NoWriteMarker, &model),
            [marker("lib/python3.11/encodings/__pycache__"), marker("")]
        );
    }

    #[test]
    fn no_write_marker_caches_belong_to_their_package() {
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file("encodings/aliases.py", "aliases = {}\n")
            .build();
        let got = step_actions(StepName::NoWriteMarker, &model, &context_with_compiler())
            .expect("planned");
        let after = applied(&model, &got);
        for (path, file) in &after.files {
            if file.kind == Kind::BytecodeOpt0 {
                assert_eq!(file.module, "encodings", "{}", path.display());
            }
        }
    }

    /// [`context_with_compiler`] whose interpreter says it imports `os` at
    /// start only with `-O` and `encodings` at every level (as a 3.8 would
    /// say, less most of it).
    fn asked_context() -> crate::steps::Context {
        let startup = |level: u8| -> Option<std::sync::Arc<[PathBuf]>> {
            let mut sources = vec![PathBuf::from("encodings/__init__.py")];
            if level == 1 {
                sources.push(PathBuf::from("os.py"));
            }
            Some(sources.into())
        };
        crate::steps::Context {
            startup: Some(crate::steps::StartupModules(std::sync::Arc::new(startup))),
            ..context_with_compiler()
        }
    }

    #[test]
    fn what_the_interpreter_imports_at_start_is_what_is_kept_at_its_level() {
        let model = stdlib().build();
        let got =
            step_actions(StepName::DropOptimizedCaches, &model, &asked_context()).expect("planned");
        // os keeps its opt-1 only, encodings its two; aliases and utf_8 are
        // not kept, as the interpreter did not name them.
        let kept = [
            cache_path("os.py", 1),
            cache_path("encodings/__init__.py", 1),
            cache_path("encodings/__init__.py", 2),
        ];
        let mut expected: Vec<Action> = [
            "os.py",
            "json/__init__.py",
            "json/decoder.py",
            "encodings/__init__.py",
            "encodings/aliases.py",
            "encodings/utf_8.py",
            "encodings/cp1252.py",
        ]
        .iter()
        .flat_map(|m| [cache_path(m, 1), cache_path(m, 2)])
        .filter(|p| !kept.contains(p))
        .map(|p| remove(&p))
        .collect();
        expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let mut got_sorted = got.clone();
        got_sorted.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        assert_eq!(got_sorted, expected);
    }

    #[test]
    fn no_write_marker_compiles_what_the_interpreter_imports_at_start_at_its_level() {
        let model = TreeBuilder::new()
            .file("os.py", "import sys\n")
            .file("encodings/__init__.py", "import codecs\n")
            .file("encodings/aliases.py", "aliases = {}\n")
            .build();
        let got = step_actions(StepName::NoWriteMarker, &model, &asked_context()).expect("planned");
        let write = |source: &str, level: u8| {
            // The top-level module's, as a scan of the tree would say.
            let module = source.split(['/', '.']).next().unwrap_or_default();
            compiled_cache(source, level, module)
        };
        assert_eq!(
            got,
            [
                marker(""),
                // encodings at every level, opt-0 of os (the same bytes as its opt-1) not.
                write("encodings/__init__.py", 0),
                link(
                    &cache_path("encodings/__init__.py", 0),
                    &cache_path("encodings/__init__.py", 1)
                ),
                write("encodings/__init__.py", 2),
                write("os.py", 1),
            ]
        );
    }

    #[test]
    fn cache_fallback_has_no_actions_of_its_own() {
        // All it does comes with the runtime (see the plan tests).
        assert_eq!(actions(StepName::CacheFallback, &stdlib().build()), []);
    }
}
