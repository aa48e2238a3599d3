//! Stripping extension modules of debug and unneeded symbols with binutils'
//! `strip`, into a scratch copy, so that the bytes are known before anything
//! in the tree changes. Only what strip cannot break is stripped: never a
//! vendored shared library (`numpy.libs/`, `.dylibs/`: the wheel's extension
//! modules were linked against those exact bytes), never a library whose
//! layout patchelf rewrote ([`elf_layout`](super::elf_layout)), and a
//! stripped copy is kept only if the tree's interpreter can still `dlopen` it
//! (`ctypes.CDLL`). Every library left as it is is named with the reason
//! ([`LeftAsIs`](super::LeftAsIs)).

use super::elf_layout::{ElfLayout, elf_layout};
use super::loader::NotLoaded;
use super::{Content, Context, LeftAsIs, Memo, StepError};
use crate::action::Action;
use crate::model::{Model, ModelFile};
use pyprune_tree::Kind;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The writes of stripped libraries, and the libraries left as they are.
pub(crate) struct Stripping {
    pub actions: Vec<Action>,
    pub left: Vec<LeftAsIs>,
}

/// Whether `path` lies in a directory of vendored shared libraries: auditwheel's
/// `<name>.libs` (and the older `.libs`), delocate's `.dylibs`.
fn vendored(path: &Path) -> Option<String> {
    let parent = path.parent()?;
    parent.components().find_map(|c| {
        let name = c.as_os_str().to_string_lossy();
        (name.ends_with(".libs") || name.ends_with(".dylibs")).then(|| name.into_owned())
    })
}

pub(crate) fn strip(model: &Model, context: &Context) -> Result<Stripping, StepError> {
    let mut stripping = Stripping {
        actions: Vec::new(),
        left: Vec::new(),
    };
    let mut libraries = Vec::new();
    for (path, file) in &model.files {
        // A symlink (`libpython3.X.so` in a prefix) is left as it is: stripping
        // would write its target's bytes over the link with the link's mode.
        if file.kind != Kind::Extension || file.symlink {
            continue;
        }
        match vendored(path) {
            Some(dir) => stripping.left.push(LeftAsIs {
                what: pyprune_fs::display_path(path),
                why: format!(
                    "a vendored shared library (in `{dir}/`): the package's extension modules were linked against these bytes"
                ),
            }),
            None => libraries.push((path.as_path(), file)),
        }
    }
    let verdicts = verdicts(&libraries, context)?;
    for ((path, file), verdict) in libraries.into_iter().zip(verdicts) {
        match &*verdict {
            Verdict::Unchanged => {}
            Verdict::Left(reason) => stripping.left.push(LeftAsIs {
                what: pyprune_fs::display_path(path),
                why: reason.clone(),
            }),
            Verdict::Stripped(bytes) => stripping.actions.push(write(path, file, bytes.clone())),
        }
    }
    stripping.left.sort_by(|a, b| a.what.cmp(&b.what));
    Ok(stripping)
}

fn write(path: &Path, file: &ModelFile, bytes: Vec<u8>) -> Action {
    Action::Write {
        path: path.to_path_buf(),
        bytes: bytes.into(),
        mode: file.mode,
        kind: Kind::Extension,
        module: file.module.clone(),
    }
}

/// What stripping one library's bytes comes to.
#[derive(Debug)]
enum Verdict {
    /// strip takes nothing off.
    Unchanged,
    /// Left as it is, for this reason.
    Left(String),
    /// These bytes instead, which the loader loads.
    Stripped(Vec<u8>),
}

/// The verdict on each of `libraries`, once per content and interpreter for
/// the whole process (`plan` strips the same libraries for many rows). Those
/// not judged yet are judged together ([`judge_all`]).
fn verdicts(
    libraries: &[(&Path, &ModelFile)],
    context: &Context,
) -> Result<Vec<Arc<Verdict>>, StepError> {
    static VERDICTS: Memo<(blake3::Hash, Option<OsString>), Arc<Verdict>> = Memo::new();
    let interpreter = context.interpreter.as_ref();
    let contents: Vec<Content> = libraries
        .par_iter()
        .map(|(_, file)| Content::of(context, file))
        .collect::<Result<_, _>>()?;
    let keys: Vec<_> = contents
        .iter()
        .map(|content| (content.hash, interpreter.cloned()))
        .collect();
    // Each new content once, by the first library that has it.
    let mut new = Vec::new();
    let mut seen = HashSet::new();
    for ((key, content), (path, file)) in keys.iter().zip(contents).zip(libraries) {
        if VERDICTS.get(key).is_none() && seen.insert(key) {
            new.push((key, *path, content.bytes(context, file)?));
        }
    }
    if !new.is_empty() {
        let judged = judge_all(
            &new.iter()
                .map(|(_, path, bytes)| (*path, &**bytes))
                .collect::<Vec<_>>(),
            interpreter,
        )?;
        for ((key, _, _), verdict) in new.iter().zip(judged) {
            VERDICTS.insert((*key).clone(), Arc::new(verdict));
        }
    }
    Ok(keys
        .iter()
        .map(|key| {
            VERDICTS
                .get(key)
                .unwrap_or_else(|| Arc::new(Verdict::Unchanged))
        })
        .collect())
}

/// The verdicts on `libraries` (path, bytes): each is stripped in a scratch
/// copy and kept only if the loader loads it. One `strip` runs per thread
/// over many libraries: every process pyprune starts copies its page tables,
/// which cost `plan` more than stripping did when it ran one per library.
fn judge_all(
    libraries: &[(&Path, &[u8])],
    interpreter: Option<&OsString>,
) -> Result<Vec<Verdict>, StepError> {
    let scratch_dir = tempfile::Builder::new()
        .prefix("pyprune-strip-")
        .tempdir()
        .map_err(|source| StepError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
    let scratch = scratch_dir.path();
    // The layout first: what strip must not touch is not copied.
    let mut verdicts: Vec<Option<Verdict>> = libraries
        .iter()
        .map(|(_, bytes)| match elf_layout(bytes) {
            ElfLayout::AsLinked => None,
            ElfLayout::Rewritten => Some(Verdict::Left(
                "its ELF layout was rewritten after linking (patchelf, as auditwheel does): stripping it would misalign its load segments".to_owned(),
            )),
            // Bad input (a Mach-O or a stub named `.so` in a wheel): said, left as it is.
            ElfLayout::Unreadable(why) => Some(Verdict::Left(format!("strip cannot read it: {why}"))),
        })
        .collect();
    let pending: Vec<usize> = (0..libraries.len())
        .filter(|i| verdicts[*i].is_none())
        .collect();
    let copies: Vec<Copies> = pending
        .iter()
        .map(|&i| Copies::make(&scratch.join(i.to_string()), libraries[i]))
        .collect::<Result<_, _>>()?;
    let per_thread = copies.len().div_ceil(rayon::current_num_threads()).max(1);
    let refused: Vec<Vec<(usize, String)>> = copies
        .par_chunks(per_thread)
        .enumerate()
        .map(|(chunk, copies)| {
            let refused = strip_copies(copies)?;
            let first = chunk * per_thread;
            Ok(refused
                .into_iter()
                .map(|(at, why)| (first + at, why))
                .collect())
        })
        .collect::<Result<_, StepError>>()?;
    let refused: HashMap<usize, String> = refused.into_iter().flatten().collect();
    let judged: Vec<Verdict> = copies
        .par_iter()
        .enumerate()
        .map(|(at, copies)| match refused.get(&at) {
            Some(why) => Ok(Verdict::Left(format!("strip refused it: {why}"))),
            None => copies.judge(interpreter),
        })
        .collect::<Result<_, StepError>>()?;
    for (i, verdict) in pending.into_iter().zip(judged) {
        verdicts[i] = Some(verdict);
    }
    drop(scratch_dir);
    Ok(verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Verdict::Unchanged))
        .collect())
}

/// One library's scratch copies, under its own file name (the loader
/// reports by it): the one strip rewrites in place, and the original, written
/// only when needed (most libraries load stripped: the original is not asked).
struct Copies<'a> {
    /// The library's path in the tree, for errors.
    path: &'a Path,
    original: &'a [u8],
    input: PathBuf,
    output: PathBuf,
}

impl<'a> Copies<'a> {
    fn make(dir: &Path, (path, original): (&'a Path, &'a [u8])) -> Result<Copies<'a>, StepError> {
        let name = path.file_name().unwrap_or(path.as_os_str());
        let copies = Copies {
            path,
            original,
            input: dir.join("original").join(name),
            output: dir.join("stripped").join(name),
        };
        copies.write(&copies.output)?;
        Ok(copies)
    }

    /// Writes the original bytes at `copy`.
    fn write(&self, copy: &Path) -> Result<(), StepError> {
        let made = copy.parent().map_or(Ok(()), std::fs::create_dir_all);
        made.and_then(|()| std::fs::write(copy, self.original))
            .map_err(|e| self.fail(e.to_string()))
    }

    fn fail(&self, message: String) -> StepError {
        StepError::Strip {
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// The verdict on the stripped copy (strip has run on it).
    fn judge(&self, interpreter: Option<&OsString>) -> Result<Verdict, StepError> {
        let stripped = std::fs::read(&self.output).map_err(|e| self.fail(e.to_string()))?;
        if stripped.len() >= self.original.len() {
            return Ok(Verdict::Unchanged);
        }
        let Some(python) = interpreter else {
            return Ok(Verdict::Left(
                "no interpreter of the tree to check that the loader still loads it stripped (--python names one)".to_owned(),
            ));
        };
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        let named = |why: String, copy: &Path| {
            why.replace(&*copy.to_string_lossy(), &name.to_string_lossy())
        };
        let refused = match super::loader::loads(python, &self.output) {
            Ok(()) => return Ok(Verdict::Stripped(stripped)),
            Err(NotLoaded::CannotAsk(why)) => {
                return Ok(Verdict::Left(format!(
                    "its stripped copy cannot be checked: {why}"
                )));
            }
            Err(NotLoaded::Refused(said)) => said,
        };
        // Then the original: a library that does not load on its own (its
        // dependencies are found from its place in the tree) cannot be checked.
        if !self.input.exists() {
            self.write(&self.input)?;
        }
        if let Err(why) = super::loader::loads(python, &self.input) {
            return Ok(Verdict::Left(format!(
                "it does not load outside the tree, so its stripped copy cannot be checked: {}",
                named(why.to_string(), &self.input)
            )));
        }
        Ok(Verdict::Left(format!(
            "the dynamic loader refuses its stripped copy: {}",
            named(refused, &self.output)
        )))
    }
}

/// Runs one `strip` over the stripped copies of `copies`, in place; where
/// it fails, strips each alone to learn which it refuses and why. Returns
/// those refused (index in `copies`, what strip said).
fn strip_copies(copies: &[Copies]) -> Result<Vec<(usize, String)>, StepError> {
    let Some(first) = copies.first() else {
        return Ok(Vec::new());
    };
    let run = |args: &[&std::ffi::OsStr], copy: &Copies| {
        pyprune_interrupt::check()?;
        let run = pyprune_interrupt::die_with_parent(&mut std::process::Command::new("strip"))
            .arg("--strip-unneeded")
            .args(args)
            .output()
            .map_err(|e| copy.fail(format!("cannot run strip: {e}")))?;
        // A strip ended by a signal is no verdict on the library.
        pyprune_interrupt::check()?;
        Ok::<_, StepError>(run)
    };
    let all: Vec<&std::ffi::OsStr> = copies.iter().map(|c| c.output.as_os_str()).collect();
    if run(&all, first)?.status.success() {
        return Ok(Vec::new());
    }
    let mut refused = Vec::new();
    for (at, copy) in copies.iter().enumerate() {
        copy.write(&copy.input)?;
        let alone = run(
            &[
                "-o".as_ref(),
                copy.output.as_os_str(),
                copy.input.as_os_str(),
            ],
            copy,
        )?;
        if !alone.status.success() {
            refused.push((at, String::from_utf8_lossy(&alone.stderr).trim().to_owned()));
        }
    }
    Ok(refused)
}

#[cfg(test)]
#[path = "extensions_tests.rs"]
mod tests;
