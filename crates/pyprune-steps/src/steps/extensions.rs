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
use super::{Context, LeftAsIs, StepError};
use crate::action::Action;
use crate::model::{Model, ModelFile};
use pyprune_tree::Kind;
use rayon::prelude::*;
use std::ffi::OsString;
use std::path::Path;
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
    // Its own scratch directory: plan rows strip in parallel.
    let scratch_dir = tempfile::Builder::new()
        .prefix("pyprune-strip-")
        .tempdir()
        .map_err(|source| StepError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
    let scratch = scratch_dir.path();
    let extensions: Vec<_> = model
        .files
        .iter()
        // A symlink (`libpython3.X.so` in a prefix) is left as it is: stripping
        // would write its target's bytes over the link with the link's mode.
        .filter(|(_, f)| f.kind == Kind::Extension && !f.symlink)
        .collect();
    let results: Vec<Result<Option<Result<Action, LeftAsIs>>, StepError>> = extensions
        .par_iter()
        .enumerate()
        .map(|(i, (path, file))| {
            let left = |reason: String| {
                Ok(Some(Err(LeftAsIs {
                    what: pyprune_fs::display_path(path),
                    why: reason,
                })))
            };
            if let Some(dir) = vendored(path) {
                return left(format!(
                    "a vendored shared library (in `{dir}/`): the package's extension modules were linked against these bytes"
                ));
            }
            let bytes = context.read(file)?;
            let dir = scratch.join(i.to_string());
            let verdict = stripped(&bytes, &dir, context.interpreter.as_ref(), path)?;
            let _ = std::fs::remove_dir_all(&dir);
            Ok(match &*verdict {
                Verdict::Unchanged => None,
                Verdict::Left(reason) => return left(reason.clone()),
                Verdict::Stripped(bytes) => Some(Ok(write(path, file, bytes.clone()))),
            })
        })
        .collect();
    drop(scratch_dir);
    let mut stripping = Stripping {
        actions: Vec::new(),
        left: Vec::new(),
    };
    for result in results {
        match result? {
            Some(Ok(action)) => stripping.actions.push(action),
            Some(Err(left)) => stripping.left.push(left),
            None => {}
        }
    }
    stripping.left.sort_by(|a, b| a.what.cmp(&b.what));
    Ok(stripping)
}

fn write(path: &Path, file: &ModelFile, bytes: Vec<u8>) -> Action {
    Action::Write {
        path: path.to_path_buf(),
        bytes,
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

/// Strips `bytes` in `dir` (made here) and checks the result, once per
/// content and interpreter for the whole process (`plan` strips on many rows).
/// `path` names the library in errors.
fn stripped(
    bytes: &[u8],
    dir: &Path,
    interpreter: Option<&OsString>,
    path: &Path,
) -> Result<Arc<Verdict>, StepError> {
    static CACHE: super::memo::Memo<(blake3::Hash, Option<OsString>), Arc<Verdict>> =
        super::memo::Memo::new();
    let key = (blake3::hash(bytes), interpreter.cloned());
    CACHE.get_or_try(key, || Ok(Arc::new(judge(bytes, dir, interpreter, path)?)))
}

fn judge(
    bytes: &[u8],
    dir: &Path,
    interpreter: Option<&OsString>,
    path: &Path,
) -> Result<Verdict, StepError> {
    let fail = |message: String| StepError::Strip {
        path: path.to_path_buf(),
        message,
    };
    match elf_layout(bytes) {
        ElfLayout::AsLinked => {}
        ElfLayout::Rewritten => {
            return Ok(Verdict::Left(
                "its ELF layout was rewritten after linking (patchelf, as auditwheel does): stripping it would misalign its load segments".to_owned(),
            ));
        }
        // Bad input (a Mach-O or a stub named `.so` in a wheel): said, left as it is.
        ElfLayout::Unreadable(why) => {
            return Ok(Verdict::Left(format!("strip cannot read it: {why}")));
        }
    }
    // Both copies under the library's own file name (the loader reports by it).
    let name = path.file_name().unwrap_or(path.as_os_str());
    let (original_dir, stripped_dir) = (dir.join("original"), dir.join("stripped"));
    for made in [&original_dir, &stripped_dir] {
        std::fs::create_dir_all(made).map_err(|e| fail(e.to_string()))?;
    }
    let (input, output) = (original_dir.join(name), stripped_dir.join(name));
    std::fs::write(&input, bytes).map_err(|e| fail(e.to_string()))?;
    pyprune_interrupt::check()?;
    let run = pyprune_interrupt::die_with_parent(&mut std::process::Command::new("strip"))
        .args(["--strip-unneeded", "-o"])
        .arg(&output)
        .arg(&input)
        .output()
        .map_err(|e| fail(format!("cannot run strip: {e}")))?;
    // A strip ended by a signal is no verdict on the library.
    pyprune_interrupt::check()?;
    if !run.status.success() {
        return Ok(Verdict::Left(format!(
            "strip refused it: {}",
            String::from_utf8_lossy(&run.stderr).trim()
        )));
    }
    let stripped = std::fs::read(&output).map_err(|e| fail(e.to_string()))?;
    if stripped.len() >= bytes.len() {
        return Ok(Verdict::Unchanged);
    }
    let Some(python) = interpreter else {
        return Ok(Verdict::Left(
            "no interpreter of the tree to check that the loader still loads it stripped (--python names one)".to_owned(),
        ));
    };
    // The original first: a library that does not load on its own (its
    // dependencies are found from its place in the tree) cannot be checked.
    if let Err(why) = super::loader::loads(python, &input) {
        return Ok(Verdict::Left(format!(
            "it does not load outside the tree, so its stripped copy cannot be checked: {}",
            why.replace(&*input.to_string_lossy(), &name.to_string_lossy())
        )));
    }
    match super::loader::loads(python, &output) {
        Ok(()) => Ok(Verdict::Stripped(stripped)),
        Err(why) => Ok(Verdict::Left(format!(
            "the dynamic loader refuses its stripped copy: {}",
            why.replace(&*output.to_string_lossy(), &name.to_string_lossy())
        ))),
    }
}

#[cfg(test)]
mod tests {
    //! Stripping runs binutils' `strip` (in a scratch directory, never in the
    //! tree): the bytes come from the model, so the tree need not exist. The
    //! loader check runs `python3` on an extension module of its own stdlib.

    use super::*;
    use crate::model_builder::{TreeBuilder, actions, context};
    use crate::steps::loader::loads;
    use crate::steps::{StepName, step_actions};
    use std::path::PathBuf;

    const EXT: &str = "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so";

    fn with_python() -> Context {
        Context {
            interpreter: Some("python3".into()),
            ..context()
        }
    }

    fn strip_with(model: &Model, context: &Context) -> Stripping {
        strip(model, context).expect("stripped")
    }

    #[test]
    fn nothing_to_strip_without_extensions() {
        // A shared library that is not an extension module is not touched.
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file("libpython3.11.so.1.0", "not an ELF file")
            .build();
        assert_eq!(actions(StepName::StripExtensions, &model), []);
    }

    #[test]
    fn an_extension_strip_cannot_read_is_left_as_it_is_and_named() {
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file(EXT, "not an ELF file")
            .build();
        let stripping = strip_with(&model, &with_python());
        assert_eq!(stripping.actions, []);
        assert_eq!(
            stripping.left,
            [LeftAsIs {
                what: EXT.to_owned(),
                why: "strip cannot read it: not an ELF file".to_owned(),
            }]
        );
        // An object type no loader loads: strip or the loader says so.
        let mut bad = unstripped_extension();
        bad[0x10] = 0x7f; // e_type: no such object type
        let model = TreeBuilder::new().file_with_mode(EXT, bad, 0o755).build();
        let stripping = strip_with(&model, &with_python());
        assert_eq!(stripping.actions, []);
        assert_eq!(stripping.left.len(), 1);
        assert!(
            stripping.left[0].why.starts_with("strip refused it: ")
                || stripping.left[0]
                    .why
                    .contains("only ET_DYN and ET_EXEC can be loaded"),
            "{:?}",
            stripping.left
        );
    }

    /// An unstripped extension module that loads: `python3`'s own `_json`
    /// (pyenv's builds keep their debug information).
    fn unstripped_extension() -> Vec<u8> {
        let out = std::process::Command::new("python3")
            .args(["-c", "import _json; print(_json.__file__)"])
            .output()
            .expect("python3");
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn an_extension_is_replaced_by_its_stripped_bytes_keeping_its_mode() {
        let elf = unstripped_extension();
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, &elf, 0o755)
            .build();
        let got = step_actions(StepName::StripExtensions, &model, &with_python()).expect("planned");
        let [
            Action::Write {
                path,
                bytes,
                mode,
                kind,
                module,
            },
        ] = got.as_slice()
        else {
            panic!("one write: {got:?}");
        };
        assert_eq!(path, &PathBuf::from(EXT));
        assert_eq!(
            (*mode, *kind, module.as_str()),
            (0o755, Kind::Extension, "_json")
        );
        assert!(bytes.len() < elf.len(), "{} < {}", bytes.len(), elf.len());
        assert_eq!(&bytes[..4], b"\x7fELF");
        // The stripped bytes load: the loader check passed them.
        let dir = tempfile::tempdir().expect("tmp");
        let copy = dir.path().join("_json.so");
        std::fs::write(&copy, bytes).expect("write");
        assert_eq!(loads(std::ffi::OsStr::new("python3"), &copy), Ok(()));
        // Stripped already: nothing more to do.
        let stripped = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, bytes, 0o755)
            .build();
        assert_eq!(
            step_actions(StepName::StripExtensions, &stripped, &with_python()).expect("planned"),
            []
        );
    }

    #[test]
    fn without_the_trees_interpreter_nothing_is_stripped_and_it_says_why() {
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, unstripped_extension(), 0o755)
            .build();
        let stripping = strip_with(&model, &context());
        assert_eq!(stripping.actions, []);
        assert_eq!(stripping.left.len(), 1);
        assert!(
            stripping.left[0]
                .why
                .starts_with("no interpreter of the tree"),
            "{:?}",
            stripping.left
        );
    }

    #[test]
    fn vendored_libraries_are_never_stripped() {
        let elf = unstripped_extension();
        for dir in [
            "site-packages/numpy.libs",
            "site-packages/pkg/.dylibs",
            "site-packages/pkg/.libs",
        ] {
            let lib = format!("{dir}/libopenblas-r0-1234.so");
            let model = TreeBuilder::new()
                .file("site-packages/pkg/__init__.py", "")
                .file_with_mode(&lib, &elf, 0o755)
                .build();
            let stripping = strip_with(&model, &with_python());
            assert_eq!(stripping.actions, [], "{dir}");
            assert_eq!(stripping.left.len(), 1, "{dir}");
            assert_eq!(stripping.left[0].what, lib);
            assert!(
                stripping.left[0]
                    .why
                    .starts_with("a vendored shared library"),
                "{:?}",
                stripping.left
            );
        }
    }

    #[test]
    fn a_library_whose_layout_patchelf_rewrote_is_left_as_it_is() {
        let rewritten = crate::steps::elf_layout::tests::elf64(&[
            (1, 6, 0x1000, 0x100),
            (3, 0, 0x2000, 0x30),
            (3, 2, 0x3000, 0x40),
        ]);
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, &rewritten, 0o755)
            .build();
        let stripping = strip_with(&model, &with_python());
        assert_eq!(stripping.actions, []);
        assert!(
            stripping.left[0].why.contains("ELF layout was rewritten"),
            "{:?}",
            stripping.left
        );
    }

    #[test]
    fn the_loader_check_sees_a_library_it_cannot_map() {
        let elf = unstripped_extension();
        let dir = tempfile::tempdir().expect("tmp");
        let whole = dir.path().join("whole.so");
        std::fs::write(&whole, &elf).expect("write");
        assert_eq!(loads(std::ffi::OsStr::new("python3"), &whole), Ok(()));
        // A load segment moved off its page alignment, as strip leaves a
        // library patchelf rewrote: the very error.
        let mut misaligned = elf.clone();
        let at = |bytes: &[u8], offset: usize, width: usize| {
            let mut value = [0u8; 8];
            value[..width].copy_from_slice(&bytes[offset..offset + width]);
            u64::from_le_bytes(value) as usize
        };
        let (phoff, phentsize, phnum) = (at(&elf, 0x20, 8), at(&elf, 0x36, 2), at(&elf, 0x38, 2));
        let second_load = (0..phnum)
            .map(|i| phoff + i * phentsize)
            .filter(|header| at(&elf, *header, 4) == 1)
            .nth(1)
            .expect("two PT_LOAD segments");
        let offset = at(&elf, second_load + 8, 8) + 0x10;
        misaligned[second_load + 8..second_load + 16]
            .copy_from_slice(&(offset as u64).to_le_bytes());
        let bad = dir.path().join("misaligned.so");
        std::fs::write(&bad, &misaligned).expect("write");
        let why = loads(std::ffi::OsStr::new("python3"), &bad).expect_err("not loadable");
        assert!(why.contains("not page-aligned"), "{why}");
        // A loader that dies of it (cut short: SIGBUS) is a refusal too.
        let cut = dir.path().join("cut.so");
        std::fs::write(&cut, &elf[..elf.len() / 8]).expect("write");
        loads(std::ffi::OsStr::new("python3"), &cut).expect_err("not loadable");
    }
}
