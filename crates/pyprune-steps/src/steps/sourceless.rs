//! Sourceless layouts: the opt-0 cache moved to where the source was (so the
//! module imports from it with no source beside), the source and the other
//! caches removed — or the source kept gzip-compressed in `__pysources__/`.
//! An installed distribution one of whose modules reads Python source at run
//! time (`pyprune_source::reads_python_source`: `inspect.getsource`,
//! `linecache`, `get_data` of a `.py`, ...) keeps every source it owns.

use super::{Context, LeftAsIs, StepError};
use crate::action::Action;
use crate::model::{Model, ModelFile, TreePath};
use flate2::Compression;
use flate2::write::GzEncoder;
use pyprune_tree::Kind;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The `.py` sources that have an opt-0 cache for the context's tag, with
/// that cache; neither a symlink (a module with one is left as it is). The
/// runtime's module and the stdlib's `sitecustomize` stay sources: every
/// apply that needs the runtime rewrites them, and tells pyprune's
/// `sitecustomize` from the stdlib's own by its first line.
fn sources_with_caches<'a>(model: &'a Model, context: &Context) -> Vec<(&'a TreePath, PathBuf)> {
    let stdlib = context.version.and_then(|v| super::stdlib_dir(model, v));
    let runtime_file = |path: &Path| {
        stdlib.as_deref() == path.parent()
            && path
                .file_name()
                .is_some_and(|n| n == super::RUNTIME_MODULE || n == super::SITECUSTOMIZE)
    };
    model
        .files
        .iter()
        .filter(|(path, f)| f.kind == Kind::Source && !f.symlink && !runtime_file(path))
        .filter_map(|(path, _)| {
            let stem = path.file_stem()?.to_str()?;
            let cache = path
                .parent()?
                .join("__pycache__")
                .join(format!("{stem}.{}.pyc", context.cache_tag));
            model
                .file(&cache)
                .is_some_and(|c| c.kind == Kind::BytecodeOpt0 && !c.symlink)
                .then_some((path, cache))
        })
        .collect()
}

/// Whether the cache at `cache` is the code of `source` as it is now, by the
/// check importlib makes (timestamp and size, or the source hash; an
/// unchecked-hash cache by its hash too). A stale cache is old code: made the
/// module, it would run what the source no longer says, so such a module is
/// left as it is. A source pyprune made itself (no file yet) is taken as current.
/// The source's bytes, where the check read them, are kept in `read` (the
/// compressed copy is made of them without reading the file again).
pub(crate) fn cache_is_current(
    model: &Model,
    context: &Context,
    source: &Path,
    cache: &Path,
    read: &std::cell::OnceCell<Arc<[u8]>>,
) -> Result<bool, StepError> {
    use pyprune_pyc::{Freshness, Header, SourceStat, freshness};
    use std::os::unix::fs::MetadataExt as _;
    let source_file = model.file_at(source);
    let crate::model::Origin::Disk(rel) = &source_file.origin else {
        return Ok(true);
    };
    let Ok(header) = Header::parse(&context.read_head(model.file_at(cache), Header::MAX_LEN)?)
    else {
        return Ok(false);
    };
    let path = context.root.join(rel);
    let meta = std::fs::symlink_metadata(&path).map_err(|source| StepError::Read {
        path: path.clone(),
        source,
    })?;
    let stat = SourceStat::new(meta.mtime(), meta.mtime_nsec(), meta.size());
    let read_source = || {
        let bytes = context
            .read(source_file)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let _ = read.set(Arc::clone(&bytes));
        Ok(bytes.to_vec())
    };
    let checked =
        freshness(&header, Some(stat), read_source).map_err(|source| StepError::Read {
            path: path.clone(),
            source,
        })?;
    Ok(matches!(
        checked,
        Freshness::Fresh | Freshness::Unchecked { matches: true }
    ))
}

/// Why a source reads Python source (`None`: it reads none), once per
/// content for the whole process (`plan` has several sourceless rows).
fn reads_source(context: &Context, file: &ModelFile) -> Result<Option<&'static str>, StepError> {
    static CACHE: super::memo::Memo<blake3::Hash, Option<&'static str>> = super::memo::Memo::new();
    let content = super::content::Content::of(context, file)?;
    CACHE.get_or_try(content.hash, || {
        Ok(pyprune_source::reads_python_source(
            &content.bytes(context, file)?,
        ))
    })
}

/// The installed distributions (by index) that read Python source at run
/// time, each with its first module that does (by path) and why.
pub(crate) type Readers = BTreeMap<usize, (PathBuf, &'static str)>;

/// The [`Readers`] of `model`.
pub(crate) fn source_readers(model: &Model, context: &Context) -> Result<Readers, StepError> {
    let owned: Vec<(&TreePath, &Vec<usize>, &crate::model::ModelFile)> = model
        .files
        .iter()
        .filter(|(_, f)| f.kind == Kind::Source && !f.symlink)
        .filter_map(|(path, file)| {
            let owners = context.distributions.owners.get(path.as_path())?;
            Some((path, owners, file))
        })
        .collect();
    let found: Vec<Option<(&TreePath, &Vec<usize>, &'static str)>> = owned
        .par_iter()
        .map(|(path, owners, file)| {
            Ok(reads_source(context, file)?.map(|why| (*path, *owners, why)))
        })
        .collect::<Result<_, StepError>>()?;
    let mut readers = BTreeMap::new();
    for (path, owners, why) in found.into_iter().flatten() {
        for owner in owners {
            readers
                .entry(*owner)
                .or_insert_with(|| (path.to_path_buf(), why));
        }
    }
    Ok(readers)
}

/// The distributions whose sources `sourceless` keeps (`readers`, those of `model`), and why.
pub(crate) fn kept_sources(readers: &Readers, model: &Model, context: &Context) -> Vec<LeftAsIs> {
    let left_out = context.left_out(model);
    readers
        .iter()
        .filter(|(index, _)| {
            let dist_info = &context.distributions.dists[**index].dist_info;
            !left_out.iter().any(|dir| dist_info.starts_with(dir))
        })
        .map(|(index, (path, why))| {
            let dist = &context.distributions.dists[*index];
            LeftAsIs {
                what: format!("{} {}", dist.name, dist.version),
                why: format!(
                    "keeps its sources: `{}` {why}",
                    pyprune_fs::display_path(path)
                ),
            }
        })
        .collect()
}

/// `sourceless`' (`sources-compressed`' with `keep_compressed`) actions on
/// `model`, whose [`Readers`] are `readers`.
pub(crate) fn sourceless(
    model: &Model,
    context: &Context,
    keep_compressed: bool,
    readers: &Readers,
) -> Result<Vec<Action>, StepError> {
    // A distribution that reads its own sources keeps them all.
    let kept = |source: &Path| {
        context
            .distributions
            .owners
            .get(source)
            .is_some_and(|owners| owners.iter().any(|o| readers.contains_key(o)))
    };
    // Module by module in parallel (reading and gzip are much of `plan`'s
    // time on a large venv), in the model's order.
    let per_module = |(source, cache): (&TreePath, PathBuf)| -> Result<Vec<Action>, StepError> {
        let mut actions = Vec::new();
        let read = std::cell::OnceCell::new();
        if kept(source) || !cache_is_current(model, context, source, &cache, &read)? {
            return Ok(actions);
        }
        let source_file = model.file_at(source);
        if keep_compressed {
            let bytes = match read.into_inner() {
                Some(bytes) => bytes,
                None => context.read(source_file)?,
            };
            actions.push(Action::Write {
                path: compressed_source_path(source),
                bytes: gzip(&bytes).into(),
                mode: source_file.mode,
                kind: Kind::Data,
                module: source_file.module.clone(),
            });
        }
        // Other caches of the module go: they would never be used without the source.
        let stem = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let prefix = format!("{stem}.{}.", context.cache_tag);
        let pycache = cache.parent().map(Path::to_path_buf).unwrap_or_default();
        for (path, _) in model.files_below(&pycache) {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if *path != cache
                && path.parent() == Some(pycache.as_path())
                && name.starts_with(&prefix)
            {
                actions.push(Action::Remove(path.to_path_buf()));
            }
        }
        actions.push(Action::Move {
            from: cache,
            to: source.with_extension("pyc"),
            kind: Kind::Sourceless,
        });
        actions.push(Action::Remove(source.to_path_buf()));
        Ok(actions)
    };
    let per_module: Vec<Vec<Action>> = sources_with_caches(model, context)
        .into_par_iter()
        .map(per_module)
        .collect::<Result<_, _>>()?;
    Ok(per_module.concat())
}

/// `dir/__pysources__/NAME.py.gz` for `dir/NAME.py`.
pub(crate) fn compressed_source_path(source: &Path) -> PathBuf {
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    source
        .parent()
        .unwrap_or(Path::new(""))
        .join("__pysources__")
        .join(format!("{name}.gz"))
}

/// Gzip with no name and a zero timestamp: the same bytes on every run. At
/// zlib's default level ([`crate::steps::GZIP_LEVEL`]).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(crate::steps::GZIP_LEVEL));
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Fedora's solution 8, sized as the document sized it: each bytecode file
/// replaced by its own compressed form. Plan only: no CPython reads such files.
/// Every bytecode file of the model (caches and sourceless), symlinks left out: the files
/// `compress-pycs` and `normalize` rewrite.
pub(crate) fn bytecode_files(model: &Model) -> Vec<(&TreePath, &ModelFile)> {
    model
        .files
        .iter()
        .filter(|(_, file)| {
            !file.symlink
                && matches!(
                    file.kind,
                    Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 | Kind::Sourceless
                )
        })
        .collect()
}

pub(crate) fn compress_each_pyc(
    model: &Model,
    context: &Context,
) -> Result<Vec<Action>, StepError> {
    let pycs = bytecode_files(model);
    // In parallel: gzip is much of `plan`'s time on a large venv.
    pycs.into_par_iter()
        .map(|(path, file)| {
            let bytes = context.read(file)?;
            Ok(Action::Write {
                path: path.to_path_buf(),
                bytes: gzip(&bytes).into(),
                mode: file.mode,
                kind: file.kind,
                module: file.module.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::action::Action;
    use crate::model::Origin;
    use crate::model_builder::{
        TreeBuilder, actions, applied, bytes_of, cache_bytes, cache_path, dirs, paths, remove,
        remove_dir, written,
    };
    use crate::steps::StepName;
    use flate2::read::GzDecoder;
    use pyprune_tree::Kind;
    use std::io::Read as _;
    use std::path::{Path, PathBuf};

    /// Two distributions in a site-packages, one of which reads its sources
    /// (`inspect.getsource`); an unowned module beside them.
    #[test]
    fn a_distribution_that_reads_its_sources_keeps_them() {
        let site = "lib/python3.11/site-packages";
        let at = |path: &str| format!("{site}/{path}");
        let model = TreeBuilder::new()
            .module(
                &at("jit/__init__.py"),
                "import inspect\nsrc = inspect.getsource(f)\n",
            )
            .module(&at("jit/core.py"), "x = 1\n")
            .module(&at("plain/__init__.py"), "x = 1\n")
            .module(&at("loose.py"), "x = 1\n")
            .build();
        let dist = |name: &str, files: &[&str]| pyprune_dist::Distribution {
            name: name.to_owned(),
            version: "1.0".to_owned(),
            dist_info: PathBuf::from(at(&format!("{name}-1.0.dist-info"))),
            site_dir: PathBuf::from(site),
            record: pyprune_dist::RecordState::Missing,
            files: files.iter().map(|f| PathBuf::from(at(f))).collect(),
            top_level: vec![name.to_owned()],
            claimed: Vec::new(),
            requires: Vec::new(),
        };
        let dists = vec![
            dist("jit", &["jit/__init__.py", "jit/core.py"]),
            dist("plain", &["plain/__init__.py"]),
        ];
        let mut owners = std::collections::HashMap::default();
        for (index, d) in dists.iter().enumerate() {
            for file in &d.files {
                owners.insert(file.clone(), vec![index]);
            }
        }
        let mut distributions = pyprune_dist::Distributions::default();
        distributions.dists = dists;
        distributions.owners = owners;
        let context = crate::steps::Context {
            distributions: std::sync::Arc::new(distributions),
            ..crate::model_builder::context()
        };
        let got =
            crate::steps::step_actions(StepName::Sourceless, &model, &context).expect("planned");
        let after = paths(&applied(&model, &got));
        for kept in ["jit/__init__.py", "jit/core.py"] {
            assert!(after.contains(&at(kept)), "{kept}: {after:?}");
        }
        for gone in ["plain/__init__.py", "loose.py"] {
            assert!(!after.contains(&at(gone)), "{gone}: {after:?}");
            assert!(after.contains(&at(gone).replace(".py", ".pyc")), "{gone}");
        }
        let left =
            crate::steps::left_as_is(StepName::Sourceless, &model, &context).expect("planned");
        assert_eq!(
            left,
            [crate::steps::LeftAsIs {
                what: "jit 1.0".to_owned(),
                why: format!(
                    "keeps its sources: `{}` calls inspect.getsource (or its kin)",
                    at("jit/__init__.py")
                ),
            }]
        );
    }

    const INIT: &str = "json/__init__.py";
    const INIT_SOURCE: &str = "from .decoder import JSONDecoder\n";

    /// `os` and `json` cached at three levels; a source cached at opt-2 only,
    /// a cache of another tag and a data file, none of which sourceless touches.
    fn tree() -> TreeBuilder {
        TreeBuilder::new()
            .module("os.py", "import sys\n")
            .module(INIT, INIT_SOURCE)
            .source_with_caches("json/decoder.py", "", &[2])
            .file("json/__pycache__/__init__.cpython-312.pyc", "")
            .file("json/data.txt", "")
    }

    fn moved(source: &str) -> Action {
        Action::Move {
            from: PathBuf::from(cache_path(source, 0)),
            to: Path::new(source).with_extension("pyc"),
            kind: Kind::Sourceless,
        }
    }

    /// What sourceless does to one module: its other caches go, opt-0 takes the source's place.
    fn sourceless(source: &str) -> [Action; 4] {
        [
            remove(&cache_path(source, 1)),
            remove(&cache_path(source, 2)),
            moved(source),
            remove(source),
        ]
    }

    #[test]
    fn sourceless_puts_opt0_where_the_source_was() {
        let model = tree().build();
        let mut expected = sourceless(INIT).to_vec();
        expected.extend(sourceless("os.py"));
        expected.push(remove_dir("__pycache__"));
        let got = actions(StepName::Sourceless, &model);
        assert_eq!(got, expected);
        let after = applied(&model, &got);
        assert_eq!(
            paths(&after),
            [
                "json/__init__.pyc",
                "json/__pycache__/__init__.cpython-312.pyc",
                "json/__pycache__/decoder.cpython-311.opt-2.pyc",
                "json/data.txt",
                "json/decoder.py",
                "os.pyc",
            ]
        );
        let pyc = after.file_at(Path::new("json/__init__.pyc"));
        assert_eq!(pyc.kind, Kind::Sourceless);
        assert_eq!(pyc.module, "json");
        assert_eq!(bytes_of(&after, "json/__init__.pyc"), cache_bytes(INIT, 0));
        assert_eq!(dirs(&after), ["", "json", "json/__pycache__"]);
        // Nothing is left to do.
        assert_eq!(actions(StepName::Sourceless, &after), []);
    }

    #[test]
    fn sources_compressed_keeps_each_source_gzipped_in_pysources() {
        let model = tree()
            .file_with_mode("tool.py", "print('hi')\n", 0o755)
            .file(&cache_path("tool.py", 0), cache_bytes("tool.py", 0))
            .build();
        let got = actions(StepName::SourcesCompressed, &model);
        let gz = |source: &str| written(&got, super::compressed_source_path(Path::new(source)));
        let write = |source: &str, mode: u32, module: &str| Action::Write {
            path: super::compressed_source_path(Path::new(source)),
            bytes: gz(source).into(),
            mode,
            kind: Kind::Data,
            module: module.to_owned(),
        };
        let mut expected = vec![write(INIT, 0o644, "json")];
        expected.extend(sourceless(INIT));
        expected.push(write("os.py", 0o644, "os"));
        expected.extend(sourceless("os.py"));
        // The compressed source keeps the source's mode; tool.py has no optimized caches.
        expected.push(write("tool.py", 0o755, "tool"));
        expected.extend([
            moved("tool.py"),
            remove("tool.py"),
            remove_dir("__pycache__"),
        ]);
        assert_eq!(got, expected);
        let mut text = String::new();
        GzDecoder::new(&gz(INIT)[..])
            .read_to_string(&mut text)
            .expect("gzip");
        assert_eq!(text, INIT_SOURCE);
        // Reproducible: no name, no timestamp.
        assert_eq!(&gz(INIT)[3..8], &[0, 0, 0, 0, 0]);
        assert_eq!(
            super::compressed_source_path(Path::new("os.py")),
            Path::new("__pysources__/os.py.gz")
        );
        let after = applied(&model, &got);
        assert!(dirs(&after).contains(&"json/__pysources__".to_owned()));
        assert_eq!(
            after
                .file_at(Path::new("json/__pysources__/__init__.py.gz"))
                .disk,
            crate::model_builder::BLOCK
        );
    }

    #[test]
    fn compress_pycs_compresses_every_bytecode_file_on_its_own() {
        let model = TreeBuilder::new()
            .source_with_caches("os.py", "", &[0])
            .file("json/__init__.pyc", cache_bytes(INIT, 0))
            .file("json/data.txt", "")
            .build();
        let got = actions(StepName::CompressPycs, &model);
        let expected: Vec<Action> = [
            (cache_path("os.py", 0), Kind::BytecodeOpt0, "os"),
            ("json/__init__.pyc".to_owned(), Kind::Sourceless, "json"),
        ]
        .into_iter()
        .map(|(path, kind, module)| {
            let original = bytes_of(&model, &path);
            let bytes = written(&got, &path);
            let mut back = Vec::new();
            GzDecoder::new(&bytes[..])
                .read_to_end(&mut back)
                .expect("gzip");
            assert_eq!(back, original, "{path}");
            Action::Write {
                path: PathBuf::from(path),
                bytes: bytes.into(),
                mode: 0o644,
                kind,
                module: module.to_owned(),
            }
        })
        .collect();
        // Model order: `__pycache__` sorts before `json`.
        assert_eq!(got, expected);
    }

    #[test]
    fn compress_pycs_gives_each_hardlink_its_own_file() {
        // opt-1 is a link of opt-0: compressed "each on its own", it becomes a
        // file of its own, and the model counts it again.
        let model = TreeBuilder::new().module("os.py", "").build();
        let after = applied(&model, &actions(StepName::CompressPycs, &model));
        let inode = |p: &str| after.file_at(Path::new(p)).inode;
        assert_ne!(
            inode(&cache_path("os.py", 0)),
            inode(&cache_path("os.py", 1))
        );
        assert_eq!(
            after.disk_total(),
            model.disk_total() + crate::model_builder::BLOCK
        );
        assert!(matches!(
            after.file_at(Path::new(&cache_path("os.py", 1))).origin,
            Origin::Bytes(_)
        ));
    }
}
