//! Stripping extension modules of debug and unneeded symbols with binutils'
//! `strip`, into a scratch copy, so that the bytes are known before anything
//! in the tree changes.

use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use pyprune_tree::Kind;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) fn strip(model: &Model, context: &Context) -> Result<Vec<Action>, StepError> {
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
    let results: Vec<Result<Option<Action>, StepError>> = extensions
        .par_iter()
        .enumerate()
        .map(|(i, (path, file))| {
            let bytes = context.read(file)?;
            let input = scratch.join(format!("{i}.in"));
            let output = scratch.join(format!("{i}.out"));
            let fail = |message: String| StepError::Strip {
                path: (*path).clone(),
                message,
            };
            let stripped = stripped(&bytes, || {
                std::fs::write(&input, &bytes).map_err(|e| e.to_string())?;
                let run = std::process::Command::new("strip")
                    .args(["--strip-unneeded", "-o"])
                    .arg(&output)
                    .arg(&input)
                    .output()
                    .map_err(|e| format!("cannot run strip: {e}"))?;
                if !run.status.success() {
                    return Err(String::from_utf8_lossy(&run.stderr).trim().to_owned());
                }
                let stripped = std::fs::read(&output).map_err(|e| e.to_string())?;
                let _ = std::fs::remove_file(&input);
                let _ = std::fs::remove_file(&output);
                Ok(Arc::from(stripped))
            })
            .map_err(fail)?;
            Ok((stripped.len() < bytes.len()).then(|| Action::Write {
                path: (*path).clone(),
                bytes: stripped.to_vec(),
                mode: file.mode,
                kind: Kind::Extension,
                module: file.module.clone(),
            }))
        })
        .collect();
    drop(scratch_dir);
    results.into_iter().filter_map(Result::transpose).collect()
}

type Stripped = Result<Arc<[u8]>, String>;
type StripCache = Mutex<HashMap<blake3::Hash, Arc<OnceLock<Stripped>>>>;

/// What `strip` makes of `bytes` (`run` asks it), once per content for the
/// whole process: `plan` strips on five rows, in parallel, the same
/// extensions (a row that meets one being stripped waits for it).
fn stripped(bytes: &[u8], run: impl FnOnce() -> Stripped) -> Stripped {
    static CACHE: OnceLock<StripCache> = OnceLock::new();
    let cell = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(blake3::hash(bytes))
        .or_default()
        .clone();
    cell.get_or_init(run).clone()
}

#[cfg(test)]
mod tests {
    //! Stripping runs binutils' `strip` (in a scratch directory, never in the
    //! tree): the bytes come from the model, so the tree need not exist.

    use crate::action::Action;
    use crate::model_builder::{TreeBuilder, actions, context};
    use crate::steps::{StepName, step_actions};
    use pyprune_tree::Kind;
    use std::path::PathBuf;

    const EXT: &str = "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so";

    #[test]
    fn each_content_is_stripped_once_per_process() {
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let run = |out: &'static [u8]| {
            let runs = &runs;
            move || {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(std::sync::Arc::from(out))
            }
        };
        let content = b"each_content_is_stripped_once_per_process";
        let first = super::stripped(content, run(b"a"));
        let again = super::stripped(content, run(b"b"));
        assert_eq!(
            (first, again),
            (Ok(b"a".as_slice().into()), Ok(b"a".as_slice().into()))
        );
        let other = super::stripped(b"another content of this test", run(b"c"));
        assert_eq!(other, Ok(b"c".as_slice().into()));
        assert_eq!(runs.into_inner(), 2);
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
    fn an_extension_strip_cannot_read_is_an_error_naming_it() {
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file(EXT, "not an ELF file")
            .build();
        let error = step_actions(StepName::StripExtensions, &model, &context())
            .expect_err("not an object file");
        assert!(
            error.to_string().contains(&format!("cannot strip `{EXT}`")),
            "{error}"
        );
    }

    /// An ELF file with symbols to strip: this test program (built with debug information).
    fn unstripped_elf() -> Vec<u8> {
        let exe = std::env::current_exe().expect("the test program");
        std::fs::read(exe).expect("readable")
    }

    #[test]
    fn an_extension_is_replaced_by_its_stripped_bytes_keeping_its_mode() {
        let elf = unstripped_elf();
        let model = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, &elf, 0o755)
            .build();
        let got = actions(StepName::StripExtensions, &model);
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
        // Stripped already: nothing more to do.
        let stripped = TreeBuilder::new()
            .file("os.py", "")
            .file_with_mode(EXT, bytes, 0o755)
            .build();
        assert_eq!(actions(StepName::StripExtensions, &stripped), []);
    }
}
