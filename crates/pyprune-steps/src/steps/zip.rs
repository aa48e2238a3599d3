//! Zipping the pure-Python library into `pythonXY.zip`, which the interpreter
//! already has on `sys.path` ahead of the stdlib directory, or only its
//! data-like packages. What cannot work from a zip stays on disk: extension
//! modules, packages holding one, modules that find files through `__file__`,
//! and the `os` landmark by which the interpreter finds its prefix.

use super::hot_path::{HotPath, hot_sources};
use super::zip_write::{Packing, read_members, write_zip};
use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::{
    Header, Invalidation, PythonVersion, RenameError, rename_code_file, source_hash,
};
use pyprune_tree::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Which zip and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipOptions {
    /// Keep each module's source in the zip (tracebacks keep their lines).
    /// Sources and data files are always deflated: with unchecked-hash
    /// bytecode beside them, imports never read them.
    pub sources: bool,
    /// How the bytecode members are packed.
    pub bytecode: BytecodePacking,
    /// Only these top-level packages (the data-like ones); `None`: everything zip-safe.
    pub only: Option<&'static [&'static str]>,
}

/// How a zip step packs the bytecode it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BytecodePacking {
    /// Stored on the hot path (what start-up and the import set import),
    /// deflated elsewhere: inflating costs more time than the bytes save
    /// for the modules every run imports.
    Hot,
    /// Every module's stored.
    Stored,
    /// Every module's deflated.
    Deflated,
}

/// What the user asked of every zip step, over the steps' own choices
/// (`--zip-bytecode`, `--zip-hashes`, `--zopfli`, a profile file's step
/// options); `None`: not asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ZipOverrides {
    /// The bytecode packing of every zip step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytecode: Option<BytecodePacking>,
    /// Checked-hash bytecode: zipimport then reads, inflates and hashes the
    /// module's source at every import, though nothing can edit a zip's
    /// member in place. (Unchecked by default, as CPython's own embeddable
    /// distribution ships its zip.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_hashes: Option<bool>,
    /// The deflated members (all but the stored bytecode) deflated by zopfli.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zopfli: Option<bool>,
}

impl ZipOverrides {
    /// These, and `base`'s where these say nothing.
    pub fn over(self, base: ZipOverrides) -> ZipOverrides {
        ZipOverrides {
            bytecode: self.bytecode.or(base.bytecode),
            checked_hashes: self.checked_hashes.or(base.checked_hashes),
            zopfli: self.zopfli.or(base.zopfli),
        }
    }
}

/// The zip steps' settings beyond their options.
#[derive(Debug, Clone, Default)]
pub struct ZipSettings {
    pub overrides: ZipOverrides,
    pub hot_path: HotPath,
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
        modules.entry(name).or_default().push(path.to_path_buf());
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
    let is_link = |p: &Path| model.file(p).is_some_and(|f| f.symlink);
    let has_link = |paths: &[PathBuf]| {
        paths
            .iter()
            .any(|p| is_link(p) || cache_of(p).is_some_and(|c| is_link(&c)))
    };
    let zlib = zlib_readable(model, &stdlib, context);
    let overrides = context.zip.overrides;
    let bytecode = overrides.bytecode.unwrap_or(options.bytecode);
    let hot = if bytecode == BytecodePacking::Hot && zlib {
        hot_sources(model, context, &stdlib)?
    } else {
        BTreeSet::new()
    };
    let packing = Packings {
        cold: match (zlib, overrides.zopfli) {
            (false, _) => Packing::Stored,
            (true, Some(true)) => Packing::Zopfli,
            (true, _) => Packing::Deflated,
        },
        bytecode,
        hot,
    };
    let installed_zip = installed_zip(context, &zip_path);
    let mut members: BTreeMap<String, (Vec<u8>, Packing)> = BTreeMap::new();
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
            installed_zip: &installed_zip,
            stdlib: &stdlib,
            cache_of: &cache_of,
            known_safe: KNOWN_SAFE.contains(&name.as_str()),
            packing: &packing,
            checked: overrides.checked_hashes.unwrap_or(false),
        };
        let Some(module) = zip_module(model, context, &place, paths, options)? else {
            continue;
        };
        members.extend(module.members);
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
            removed.insert(path.to_path_buf());
        }
    }
    if members.is_empty() {
        return Ok(Vec::new());
    }
    if is_link(&zip_path) {
        // A zip that is a link is somebody else's: left as it is, nothing zipped.
        return Ok(Vec::new());
    }
    if let Some(existing) = model.file(&zip_path) {
        // A zip already there: its members are read and kept (ours win on a clash).
        let bytes = context.read(existing)?;
        let mut kept = BTreeMap::new();
        for (member, content) in read_members(&bytes) {
            if !members.contains_key(&member) {
                kept.insert(member, content);
            }
        }
        let place = Stale {
            version,
            installed_zip: &installed_zip,
            checked: overrides.checked_hashes.unwrap_or(false),
        };
        for (member, content) in refresh_stale_bytecode(context, &place, kept) {
            let packing = match member.strip_suffix(".pyc") {
                Some(stem) => packing.of_bytecode(&stdlib.join(format!("{stem}.py"))),
                None => packing.cold,
            };
            members.insert(member, (content, packing));
        }
    }
    let bytes = write_zip(&members);
    // The zip first, then the files it replaces: killed in between, every module
    // still imports (from the zip, which comes first on sys.path).
    let mut actions = vec![Action::Write {
        path: zip_path.clone(),
        bytes: bytes.into(),
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

/// How each member is packed.
struct Packings {
    /// Sources, data, and bytecode off the hot path.
    cold: Packing,
    bytecode: BytecodePacking,
    /// The hot path's sources (paths in the model), with [`BytecodePacking::Hot`].
    hot: BTreeSet<PathBuf>,
}

impl Packings {
    /// The packing of the bytecode of `source` (a path in the model).
    fn of_bytecode(&self, source: &Path) -> Packing {
        match self.bytecode {
            _ if self.cold == Packing::Stored => Packing::Stored,
            BytecodePacking::Stored => Packing::Stored,
            BytecodePacking::Deflated => self.cold,
            BytecodePacking::Hot if self.hot.contains(source) => Packing::Stored,
            BytecodePacking::Hot => self.cold,
        }
    }
}

/// What a module's files are judged against.
struct Place<'a> {
    version: PythonVersion,
    /// `python311.zip`.
    zip_name: &'a str,
    /// The zip where the tree is installed, for the bytecode compiled anew.
    installed_zip: &'a Path,
    stdlib: &'a Path,
    cache_of: &'a dyn Fn(&Path) -> Option<PathBuf>,
    known_safe: bool,
    packing: &'a Packings,
    /// Checked-hash bytecode (else unchecked).
    checked: bool,
}

struct ZippedModule {
    members: Vec<(String, (Vec<u8>, Packing))>,
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
        installed_zip,
        stdlib,
        cache_of,
        known_safe,
        packing,
        checked,
    } = *place;
    let mut members = Vec::new();
    let mut removed = Vec::new();
    for path in paths {
        let file = model.file_at(path);
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
                let cache = cache_of(path).filter(|c| model.has_file(c));
                let pyc = match &cache {
                    // Not a cache at all: the module stays as it is.
                    Some(cache)
                        if Header::parse(
                            &context.read_head(model.file_at(cache), Header::MAX_LEN)?,
                        )
                        .is_err() =>
                    {
                        return Ok(None);
                    }
                    Some(cache)
                        if super::sourceless::cache_is_current(
                            model,
                            context,
                            path,
                            cache,
                            &std::cell::OnceCell::new(),
                        )? =>
                    {
                        let bytecode = context.read(model.file_at(cache))?;
                        let pyc = hash_based(&bytecode, &source, version, checked)
                            .and_then(|pyc| named_in_zip(pyc, version, &member(path), zip_name));
                        // Another release's, or unreadable code: the module stays as it is.
                        let Some(pyc) = pyc else {
                            return Ok(None);
                        };
                        Some(pyc)
                    }
                    // A cache of older code (the source was edited since):
                    // compiled anew where an interpreter can.
                    Some(_) => {
                        compiled_for_zip(context, installed_zip, &member(path), &source, checked)
                    }
                    // No cache (a tree shipped without them): as it was.
                    None => None,
                };
                match pyc {
                    Some(pyc) => members.push((
                        member(&path.with_extension("pyc")),
                        (pyc, packing.of_bytecode(path)),
                    )),
                    // Bytecode only, and no bytecode: the module stays on disk.
                    None if !options.sources => return Ok(None),
                    // zipimport compiles the source at each import: slower, still right.
                    None => {}
                }
                if options.sources {
                    members.push((member(path), (source.to_vec(), packing.cold)));
                }
                removed.push(path.clone());
                removed.extend(cache);
            }
            // Caches come with their sources; those of other tags or levels go with the module.
            Kind::BytecodeOpt0 | Kind::BytecodeOpt1 | Kind::BytecodeOpt2 if in_pycache => {
                removed.push(path.clone())
            }
            _ => {
                members.push((member(path), (context.read(file)?.to_vec(), packing.cold)));
                removed.push(path.clone());
            }
        }
    }
    Ok(Some(ZippedModule { members, removed }))
}

/// Where the zip at `zip_path` (relative to the tree's root, `../python311.zip`
/// for a stdlib directory) is once the tree is installed.
fn installed_zip(context: &Context, zip_path: &Path) -> PathBuf {
    let mut installed = context.installed_at.clone();
    for component in zip_path.components() {
        match component {
            Component::ParentDir => {
                installed.pop();
            }
            other => installed.push(other),
        }
    }
    installed
}

/// `source` (the zip's member `member`) compiled by the tree's interpreter
/// as zipimport would compile it, named `INSTALLED_ZIP/member`, with a hash
/// header; `None` without an interpreter or when it cannot compile it.
fn compiled_for_zip(
    context: &Context,
    installed_zip: &Path,
    member: &str,
    source: &[u8],
    checked: bool,
) -> Option<Vec<u8>> {
    let compiler = context.compiler.as_ref()?;
    let levels = (compiler.0)(&installed_zip.join(member), source)?;
    let (_, mut pyc) = levels.into_iter().find(|(level, _)| *level == 0)?;
    // The compiler writes checked-hash caches: the flags word says which.
    pyc.get_mut(4..8)?
        .copy_from_slice(&(if checked { 3u32 } else { 1u32 }).to_le_bytes());
    Some(pyc)
}

/// What the bytecode of an existing zip is compiled again for.
struct Stale<'a> {
    version: PythonVersion,
    installed_zip: &'a Path,
    checked: bool,
}

/// The members of an existing zip, each hash-based `X.pyc` whose hash is not
/// that of the `X.py` beside it (a zip rebuilt with an edited source)
/// compiled anew from it, or left out where no interpreter can (zipimport
/// then compiles the source). Unchecked, such bytecode would run the old code.
fn refresh_stale_bytecode(
    context: &Context,
    place: &Stale<'_>,
    mut members: BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, Vec<u8>> {
    let stale: Vec<String> = members
        .iter()
        .filter_map(|(name, pyc)| {
            let source = members.get(&format!("{}.py", name.strip_suffix(".pyc")?))?;
            let header = Header::parse(pyc).ok()?;
            let hash = match header.invalidation {
                Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => hash,
                // zipimport checks these against the member's time itself.
                Invalidation::Timestamp { .. } => return None,
            };
            let magic = [pyc[0], pyc[1], pyc[2], pyc[3]];
            (header.magic.version == place.version
                && source_hash(place.version, magic, source) != hash)
                .then(|| name.clone())
        })
        .collect();
    for name in stale {
        let source_name = format!("{}.py", name.trim_end_matches(".pyc"));
        let compiled = members.get(&source_name).and_then(|source| {
            compiled_for_zip(
                context,
                place.installed_zip,
                &source_name,
                source,
                place.checked,
            )
        });
        match compiled {
            Some(pyc) => members.insert(name, pyc),
            None => members.remove(&name),
        };
    }
    members
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

/// The cache with a hash-based header, unchecked unless `checked`. zipimport
/// would compare a timestamp header with the zip's DOS times in local time;
/// a hash does not depend on where or when the zip is read. Unchecked, the
/// import reads the bytecode alone: nothing can edit a member of a zip in
/// place, so checking the source at every import buys nothing, and a zip
/// rebuilt with an edited source gets its bytecode compiled anew.
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

#[cfg(test)]
#[path = "zip_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "zip_packing_tests.rs"]
mod packing_tests;
