//! A venv copied to a new place (`apply --out`) made to work where it lands. A
//! venv names its own path in a few text files: its console scripts' shebangs
//! (`#!/old/venv/bin/python`, or pip's `/bin/sh` trampoline for long paths or
//! paths with spaces), the `activate` scripts (`VIRTUAL_ENV=` for bash, csh,
//! fish, nu, ...) and pyvenv.cfg's `command =` line. Those are rewritten to name
//! the new place, as `Write` actions on the copy's model (so that whatever reads
//! the model after the steps, RECORD hashes included, sees the new bytes), or
//! left naming the original for a staged copy that will be moved there.
//! `bin/python` links to the base interpreter and pyvenv.cfg's `home` point
//! outside the venv and stay as they are.

use crate::action::Action;
use crate::model::Model;
use crate::steps::{Context, StepError};
use serde::Serialize;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

/// What a venv copied by `apply --out` names as its own path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VenvPaths {
    /// The place the copy lands (the default).
    #[default]
    NewPlace,
    /// The original's path: the copy is staged and will be moved there.
    Original,
}

/// What was done to a venv's own paths in a copy.
#[derive(Debug, Clone, Serialize)]
pub struct VenvRelocation {
    /// The paths the venv named itself by (its path, and what its `activate` says).
    pub named: Vec<PathBuf>,
    /// The path the copy's files name now.
    pub names: PathBuf,
    /// Whether they were rewritten (`false`: kept naming the original).
    pub rewritten: bool,
    /// The files that name it, relative to the copy's root.
    pub files: Vec<PathBuf>,
}

/// Whether the tree of `model` is a venv: `pyvenv.cfg` at its root.
pub fn is_venv(model: &Model) -> bool {
    model.has_file(Path::new("pyvenv.cfg"))
}

/// The spellings by which the venv at `original` names itself: its path, and
/// the `VIRTUAL_ENV` its `bin/activate` sets (a venv copied with `cp -a` still
/// names where it was made; its scripts run that one until rewritten).
pub fn own_spellings(original: &Path) -> Vec<PathBuf> {
    let mut spellings = vec![original.to_path_buf()];
    let activate = std::fs::read(original.join("bin/activate")).unwrap_or_default();
    for line in activate.split(|&b| b == b'\n') {
        let Some(value) = line.trim_ascii().strip_prefix(b"VIRTUAL_ENV=") else {
            continue;
        };
        let value = value.trim_ascii();
        let unquoted = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .or_else(|| value.strip_prefix(b"'").and_then(|v| v.strip_suffix(b"'")))
            .unwrap_or(value);
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(unquoted));
        // Only a plain absolute path deep enough not to be a system directory:
        // every occurrence of it in the venv's scripts is rewritten.
        let plain = path.is_absolute()
            && path.components().count() >= 3
            && !unquoted.iter().any(|b| b"$`\\\"'".contains(b));
        if plain && !spellings.contains(&path) {
            spellings.push(path);
        }
    }
    spellings
}

/// The files of a venv that may name its path: `pyvenv.cfg` and the text files
/// directly in `bin/` (console scripts, `activate*`); never a symlink.
fn candidates(model: &Model) -> impl Iterator<Item = (&crate::TreePath, &crate::ModelFile)> {
    model.files.iter().filter(|(path, file)| {
        !file.symlink
            && file.apparent < 1 << 20
            && (path.as_os_str() == "pyvenv.cfg" || path.parent() == Some(Path::new("bin")))
    })
}

/// The `Write` actions that make the venv copy of `model` name `to` wherever
/// it named itself by one of `from`, and the files that name it. With
/// `VenvPaths::Original`, no actions: only the files that name it.
pub fn relocation_actions(
    model: &Model,
    context: &Context,
    from: &[PathBuf],
    to: &Path,
    paths: VenvPaths,
) -> Result<(Vec<Action>, VenvRelocation), StepError> {
    let mut actions = Vec::new();
    let mut files = Vec::new();
    for (path, file) in candidates(model) {
        let bytes = context.read(file)?;
        if bytes.contains(&0) {
            continue; // A binary (a copied interpreter): not the venv's text.
        }
        let rewritten = rewrite(&bytes, from, to);
        if rewritten[..] == bytes[..] {
            continue;
        }
        files.push(path.to_path_buf());
        if paths == VenvPaths::NewPlace {
            actions.push(Action::Write {
                path: path.to_path_buf(),
                bytes: rewritten.into(),
                mode: file.mode,
                kind: file.kind,
                module: file.module.clone(),
            });
        }
    }
    let relocation = VenvRelocation {
        named: from.to_vec(),
        names: match paths {
            VenvPaths::NewPlace => to.to_path_buf(),
            VenvPaths::Original => from[0].clone(),
        },
        rewritten: paths == VenvPaths::NewPlace,
        files,
    };
    Ok((actions, relocation))
}

/// A byte that may continue a path name: an occurrence of the old path
/// followed by one (or preceded by one) is another path.
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-.+@~".contains(&b)
}

/// `text` with every whole occurrence of one of `from` replaced by `to`, and a
/// shebang that became too long or holds a space made pip's `/bin/sh` trampoline.
pub fn rewrite(text: &[u8], from: &[PathBuf], to: &Path) -> Vec<u8> {
    let to = to.as_os_str().as_bytes();
    let mut out = text.to_vec();
    // The longest spelling first: one may be a prefix of another.
    let mut from: Vec<&[u8]> = from.iter().map(|p| p.as_os_str().as_bytes()).collect();
    from.sort_by_key(|f| std::cmp::Reverse(f.len()));
    for old in from.into_iter().filter(|o| !o.is_empty() && *o != to) {
        let mut result = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            let whole = out[i..].starts_with(old)
                && (i == 0 || !(name_byte(out[i - 1]) || out[i - 1] == b'/'))
                && out.get(i + old.len()).is_none_or(|&b| !name_byte(b));
            if whole {
                result.extend_from_slice(to);
                i += old.len();
            } else {
                result.push(out[i]);
                i += 1;
            }
        }
        out = result;
    }
    if out != text {
        trampoline_if_needed(&mut out, to);
    }
    out
}

/// The kernel reads at most 127 bytes of a shebang and splits it at spaces:
/// an interpreter in the venv that no longer fits is run as pip does it then.
fn trampoline_if_needed(script: &mut Vec<u8>, venv: &[u8]) {
    let Some(line_end) = script.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Some(interpreter) = script[..line_end].strip_prefix(b"#!") else {
        return;
    };
    let interpreter = interpreter.trim_ascii_end().to_vec();
    let in_venv = interpreter.starts_with(venv) && interpreter.get(venv.len()) == Some(&b'/');
    if !in_venv || (line_end <= 127 && !venv.contains(&b' ')) {
        return;
    }
    let mut head = b"#!/bin/sh\n'''exec' \"".to_vec();
    head.extend_from_slice(&interpreter);
    head.extend_from_slice(b"\" \"$0\" \"$@\"\n' '''\n");
    script.splice(..=line_end, head);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str, from: &[&str], to: &str) -> String {
        let from: Vec<PathBuf> = from.iter().map(PathBuf::from).collect();
        String::from_utf8(rewrite(text.as_bytes(), &from, Path::new(to))).expect("utf-8")
    }

    #[test]
    fn the_venv_path_is_replaced_where_it_is_a_whole_path() {
        let from = ["/srv/venv"];
        assert_eq!(
            rewritten("#!/srv/venv/bin/python\nimport pip\n", &from, "/opt/new"),
            "#!/opt/new/bin/python\nimport pip\n"
        );
        assert_eq!(
            rewritten(
                "VIRTUAL_ENV=\"/srv/venv\"\nexport VIRTUAL_ENV\n",
                &from,
                "/o"
            ),
            "VIRTUAL_ENV=\"/o\"\nexport VIRTUAL_ENV\n"
        );
        assert_eq!(
            rewritten(
                "command = /usr/bin/python3 -m venv /srv/venv\n",
                &from,
                "/o"
            ),
            "command = /usr/bin/python3 -m venv /o\n"
        );
        // Other paths that merely start or end alike stay.
        for other in [
            "/srv/venv2/bin/x",
            "/srv/venv.old",
            "/x/srv/venv/bin",
            "home = /usr/bin",
        ] {
            assert_eq!(rewritten(other, &from, "/o"), other);
        }
    }

    #[test]
    fn a_shebang_too_long_or_with_a_space_becomes_pips_trampoline() {
        let script = "#!/srv/venv/bin/python3.11\nimport sys\n";
        let expected = |venv: &str| {
            format!(
                "#!/bin/sh\n'''exec' \"{venv}/bin/python3.11\" \"$0\" \"$@\"\n' '''\nimport sys\n"
            )
        };
        assert_eq!(
            rewritten(script, &["/srv/venv"], "/my venv"),
            expected("/my venv")
        );
        let long = format!("/{}", "d".repeat(130));
        assert_eq!(rewritten(script, &["/srv/venv"], &long), expected(&long));
        // pip's trampoline for the old path keeps its form.
        let old = "#!/bin/sh\n'''exec' \"/srv/venv/bin/python\" \"$0\" \"$@\"\n' '''\n";
        assert_eq!(
            rewritten(old, &["/srv/venv"], "/o"),
            "#!/bin/sh\n'''exec' \"/o/bin/python\" \"$0\" \"$@\"\n' '''\n"
        );
    }

    #[test]
    fn a_venv_names_itself_by_its_path_and_by_what_activate_says() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(dir.path().join("bin")).expect("mkdir");
        std::fs::write(
            dir.path().join("bin/activate"),
            "VIRTUAL_ENV=\"/made/here/venv\"\nVIRTUAL_ENV=\"$(cygpath x)\"\n",
        )
        .expect("write");
        assert_eq!(
            own_spellings(dir.path()),
            [dir.path().to_path_buf(), PathBuf::from("/made/here/venv")]
        );
    }
}
