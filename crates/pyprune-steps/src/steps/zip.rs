//! Zipping the pure-Python library into `pythonXY.zip`, which the interpreter
//! already has on `sys.path` ahead of the stdlib directory, or only its
//! data-like packages. What cannot work from a zip stays on disk: extension
//! modules, packages holding one, modules that find files through `__file__`,
//! and the `os` landmark by which the interpreter finds its prefix.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::{Header, PythonVersion, RenameError, rename_code_file, source_hash};
use pyprune_tree::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

/// Which zip and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipOptions {
    /// Keep each module's source in the zip (tracebacks keep their lines).
    pub sources: bool,
    /// Deflate (else stored).
    pub deflate: bool,
    /// Only these top-level packages (the data-like ones); `None`: everything zip-safe.
    pub only: Option<&'static [&'static str]>,
}

/// Packages of 3.11 known to read their own files from disk, beyond what the static check finds.
const KNOWN_UNSAFE: &[&str] = &["idlelib", "tkinter", "turtledemo", "test"];
/// Modules that call themselves another module (`_pydecimal` sets `__name__ =
/// "decimal"`): from a zip with sources, tracebacks would ask the zip for that
/// other module's source and show its lines. Kept out of zips with sources.
const RENAMED: &[&str] = &["_pydecimal"];
/// Packages the static check flags that work from a zip all the same: unittest
/// uses `__file__` only in `load_tests`, to find its own test suite; pydoc and
/// xmlrpc.server only to read `pydoc_data/_pydoc.css` for `pydoc -b`, and
/// pydoc_data goes into the same zip (or away), so zipping them breaks nothing
/// more. (pydoc must stay: xmlrpc.server imports it.)
const KNOWN_SAFE: &[&str] = &["unittest", "pydoc", "xmlrpc"];
/// Directories of the stdlib that are not modules to zip.
const NOT_MODULES: &[&str] = &[
    "lib-dynload",
    "site-packages",
    "dist-packages",
    "__pycache__",
];

/// Where the stdlib is in the model and where its zip goes (relative to the root;
/// `../pythonXY.zip` when the tree is the stdlib directory itself).
fn locate(model: &Model, version: PythonVersion) -> Option<(PathBuf, PathBuf)> {
    let zip_name = version.stdlib_zip_name();
    let stdlib = super::stdlib_dir(model, version)?;
    let zip_path = match stdlib.parent() {
        Some(lib) if !stdlib.as_os_str().is_empty() => lib.join(zip_name),
        _ => Path::new("..").join(zip_name),
    };
    Some((stdlib, zip_path))
}

/// Whether zipimport can read deflated members on this tree: it inflates with
/// `zlib`, compiled into the interpreter or an extension module of the stdlib.
/// A tree that has neither (CPython builds without zlib where its headers are
/// missing) gets its members stored: bigger, and read all the same. Where the
/// interpreter was not asked, it is taken to have it, as every distribution's does.
fn zlib_readable(model: &Model, stdlib: &Path, context: &Context) -> bool {
    let is_zlib_extension = |path: &Path| {
        path.parent()
            .is_some_and(|dir| dir == stdlib || dir == stdlib.join("lib-dynload"))
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("zlib.") && n.ends_with(".so"))
    };
    context.zlib_built_in != Some(false) || model.files.keys().any(|p| is_zlib_extension(p))
}

/// The actions of a zip step.
pub(crate) fn zip(
    model: &Model,
    context: &Context,
    options: ZipOptions,
) -> Result<Vec<Action>, StepError> {
    let Some(version) = context.version.filter(|v| *v >= PythonVersion::new(3, 7)) else {
        return Ok(Vec::new());
    };
    let Some((stdlib, zip_path)) = locate(model, version) else {
        return Ok(Vec::new());
    };
    let zip_name = zip_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    // Files of each top-level module under the stdlib, by module name.
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in model.files.keys() {
        let Ok(inner) = path.strip_prefix(&stdlib) else {
            continue;
        };
        let mut components = inner.components();
        let Some(Component::Normal(first)) = components.next() else {
            continue;
        };
        let first = first.to_string_lossy().into_owned();
        let is_dir_member = components.next().is_some();
        if is_dir_member && (NOT_MODULES.contains(&first.as_str()) || first.starts_with("config-"))
        {
            continue;
        }
        let name = if is_dir_member {
            first
        } else {
            first.split('.').next().unwrap_or_default().to_owned()
        };
        modules.entry(name).or_default().push(path.clone());
    }
    // Caches of top-level modules live in `stdlib/__pycache__`: attach them by module name.
    let cache_of = |source: &Path| -> Option<PathBuf> {
        let stem = source.file_stem()?.to_str()?;
        Some(
            source
                .parent()?
                .join("__pycache__")
                .join(format!("{stem}.{}.pyc", context.cache_tag)),
        )
    };

    // A module with a symlink among its files (or caches) stays on disk as it
    // is: zipping would read through the link, and remove it.
    let is_link = |p: &Path| model.files.get(p).is_some_and(|f| f.symlink);
    let has_link = |paths: &[PathBuf]| {
        paths
            .iter()
            .any(|p| is_link(p) || cache_of(p).is_some_and(|c| is_link(&c)))
    };
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut removed: BTreeSet<PathBuf> = BTreeSet::new();
    for (name, paths) in &modules {
        if name == "os"
            // pyprune's own, rewritten on disk by every apply that needs them.
            || name == "pyprune_runtime"
            || name == "sitecustomize"
            || name.is_empty()
            || KNOWN_UNSAFE.contains(&name.as_str())
            || (options.sources && RENAMED.contains(&name.as_str()))
            || has_link(paths)
        {
            continue;
        }
        if options
            .only
            .is_some_and(|only| !only.contains(&name.as_str()))
        {
            continue;
        }
        let place = Place {
            version,
            zip_name: &zip_name,
            stdlib: &stdlib,
            cache_of: &cache_of,
            known_safe: KNOWN_SAFE.contains(&name.as_str()),
        };
        let Some(module) = zip_module(model, context, &place, paths, options)? else {
            continue;
        };
        for (member, bytes) in module.members {
            members.insert(member, bytes);
        }
        removed.extend(module.removed);
    }
    // Top-level caches of zipped top-level modules.
    for path in model.files.keys() {
        if path.parent() == Some(stdlib.join("__pycache__").as_path())
            && let Some(module) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('.').next())
            && modules
                .get(module)
                .is_some_and(|files| files.iter().any(|f| removed.contains(f)))
        {
            removed.insert(path.clone());
        }
    }
    if members.is_empty() {
        return Ok(Vec::new());
    }
    if is_link(&zip_path) {
        // A zip that is a link is somebody else's: left as it is, nothing zipped.
        return Ok(Vec::new());
    }
    if let Some(existing) = model.files.get(&zip_path) {
        // A zip already there: its members are read and kept (ours win on a clash).
        let bytes = context.read(existing)?;
        for (member, content) in read_members(&bytes) {
            members.entry(member).or_insert(content);
        }
    }
    let bytes = write_zip(
        &members,
        options.deflate && zlib_readable(model, &stdlib, context),
    );
    // The zip first, then the files it replaces: killed in between, every module
    // still imports (from the zip, which comes first on sys.path).
    let mut actions = vec![Action::Write {
        path: zip_path.clone(),
        bytes,
        mode: 0o644,
        kind: Kind::Data,
        module: zip_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }];
    actions.extend(removed.into_iter().map(Action::Remove));
    Ok(actions)
}

/// What a module's files are judged against.
struct Place<'a> {
    version: PythonVersion,
    /// `python311.zip`.
    zip_name: &'a str,
    stdlib: &'a Path,
    cache_of: &'a dyn Fn(&Path) -> Option<PathBuf>,
    known_safe: bool,
}

struct ZippedModule {
    members: Vec<(String, Vec<u8>)>,
    removed: Vec<PathBuf>,
}

/// One top-level module's members, or `None` when it must stay on disk.
fn zip_module(
    model: &Model,
    context: &Context,
    place: &Place<'_>,
    paths: &[PathBuf],
    options: ZipOptions,
) -> Result<Option<ZippedModule>, StepError> {
    let Place {
        version,
        zip_name,
        stdlib,
        cache_of,
        known_safe,
    } = *place;
    let mut members = Vec::new();
    let mut removed = Vec::new();
    for path in paths {
        let file = &model.files[path];
        let member = |p: &Path| {
            p.strip_prefix(stdlib)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        };
        let in_pycache = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "__pycache__");
        match file.kind {
            Kind::Extension => return Ok(None),
            Kind::Source => {
                let source = context.read(file)?;
                if !known_safe && pyprune_source::uses_file_relative_paths(&source) != Some(false) {
                    return Ok(None);
                }
                let Some(cache) = cache_of(path).filter(|c| model.files.contains_key(c)) else {
                    if options.sources {
                        members.push((member(path), source.to_vec()));
                        removed.push(path.clone());
                        continue;
                    }
                    // Bytecode only, and no bytecode: the module stays on disk.
                    return Ok(None);
                };
                let bytecode = context.read(&model.files[&cache])?;
                let Some(pyc) = hash_based(&bytecode, &source, version, options.sources)
                    .and_then(|pyc| named_in_zip(pyc, version, &member(path), zip_name))
                else {
                    return Ok(None);
                };
                members.push((member(&path.with_extension("pyc")), pyc));
                if options.sources {
                    members.push((member(path), source.to_vec()));
                }
                removed.push(path.clone());
                removed.push(cache);
            }
            // Caches come with their sources; those of other tags or levels go with the module.
            Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 if in_pycache => {
                removed.push(path.clone())
            }
            _ => {
                members.push((member(path), context.read(file)?.to_vec()));
                removed.push(path.clone());
            }
        }
    }
    Ok(Some(ZippedModule { members, removed }))
}

/// The cache named as zipimport names a module it compiles from the zip's
/// `member`: the zip's path, then the member (`/usr/lib/python311.zip/json/decoder.py`).
/// The cache was compiled as `STDLIB/member`, and the zip lies beside STDLIB,
/// so the new name holds wherever the tree is installed as compiled. A cache
/// compiled under another name keeps it, and so does one shared with another
/// string of the code; unreadable marshal data: `None` (the module stays out
/// of the zip, as it is).
fn named_in_zip(
    pyc: Vec<u8>,
    version: PythonVersion,
    member: &str,
    zip_name: &str,
) -> Option<Vec<u8>> {
    let rename = |compiled: &str| {
        let stdlib = compiled.strip_suffix(member)?.strip_suffix('/')?;
        let (lib, _) = stdlib.rsplit_once('/')?;
        Some(format!("{lib}/{zip_name}/{member}"))
    };
    match rename_code_file(&pyc[16..], version, rename) {
        Ok(Some(body)) => Some([&pyc[..16], &body[..]].concat()),
        // Nothing to rename, or a name that cannot be renamed alone: kept.
        Ok(None) | Err(RenameError::Shared | RenameError::TooOld(_)) => Some(pyc),
        Err(_) => None,
    }
}

/// The cache with a hash-based header: checked against the source in the zip
/// when sources are kept, unchecked otherwise. zipimport would compare a
/// timestamp header with the zip's DOS times in local time; a hash does not
/// depend on where or when the zip is read.
fn hash_based(
    bytecode: &[u8],
    source: &[u8],
    version: PythonVersion,
    checked: bool,
) -> Option<Vec<u8>> {
    let header = Header::parse(bytecode).ok()?;
    if header.len != 16 || header.magic.version != version {
        return None;
    }
    let mut out = bytecode[..4].to_vec();
    out.extend_from_slice(&(if checked { 3u32 } else { 1u32 }).to_le_bytes());
    let magic = [bytecode[0], bytecode[1], bytecode[2], bytecode[3]];
    out.extend_from_slice(&source_hash(version, magic, source));
    out.extend_from_slice(&bytecode[16..]);
    Some(out)
}

/// A zip with members in name order and the earliest DOS time: the same bytes on every run.
pub(crate) fn write_zip(members: &BTreeMap<String, Vec<u8>>, deflate: bool) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(deflate.then_some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in members {
        // Writing into memory does not fail.
        if writer.start_file(name.as_str(), options).is_ok() {
            let _ = writer.write_all(bytes);
        }
    }
    writer.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// The members of an existing zip (unreadable ones left out).
pub(crate) fn read_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for i in 0..archive.len() {
        if let Ok(mut file) = archive.by_index(i) {
            let mut content = Vec::new();
            let name = file.name().map(|n| n.into_owned());
            if let Ok(name) = name
                && std::io::Read::read_to_end(&mut file, &mut content).is_ok()
            {
                members.push((name, content));
            }
        }
    }
    members
}

#[cfg(test)]
#[path = "zip_tests.rs"]
mod tests;
