//! Discovery: run the interpreter once and parse what it says about itself.

use crate::env::{Answered, Unanswered, ask, clean_command};
use serde::Deserialize;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt as _;
use std::path::PathBuf;
use std::time::Duration;

const SCRIPT: &str = include_str!("../python/discover.py");
const TIMEOUT: Duration = Duration::from_secs(30);

/// What an interpreter said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The command it was run as (`python3`).
    pub command: OsString,
    /// `sys.executable`.
    pub executable: PathBuf,
    /// `sys.implementation.name` (`cpython`, `pypy`).
    pub implementation: String,
    /// `3.11.7`.
    pub version: String,
    /// `sys.implementation.cache_tag` (`cpython-311`).
    pub cache_tag: String,
    /// `importlib.util.MAGIC_NUMBER`, all four bytes.
    pub magic: [u8; 4],
    /// `sys.prefix`.
    pub prefix: PathBuf,
    /// `sys.base_prefix`.
    pub base_prefix: PathBuf,
    /// `sysconfig.get_paths()["stdlib"]`.
    pub stdlib: PathBuf,
    /// `sysconfig.get_paths()["platstdlib"]`.
    pub platstdlib: PathBuf,
    /// `sysconfig.get_paths()["purelib"]`.
    pub purelib: PathBuf,
    /// `sysconfig.get_paths()["platlib"]`.
    pub platlib: PathBuf,
    /// `importlib.machinery.EXTENSION_SUFFIXES`.
    pub extension_suffixes: Vec<String>,
    /// `sys.path`, empty entries left out.
    pub sys_path: Vec<PathBuf>,
    /// The site-packages directories its `site` reads under a prefix, in
    /// its order, relative to the prefix: `site.getsitepackages([prefix])`
    /// (`lib/python3.11/site-packages`; Debian's `local/lib/python3.11/dist-packages`,
    /// `lib/python3/dist-packages`, ...; `lib64/...` where `sys.platlibdir` says).
    pub site_dirs: Vec<PathBuf>,
    /// `sys.builtin_module_names`: modules compiled into the interpreter.
    pub builtin_modules: Vec<String>,
}

impl Interpreter {
    /// The magic number as CPython writes it in the first two bytes (3495 for 3.11).
    pub fn magic_number(&self) -> u16 {
        u16::from_le_bytes([self.magic[0], self.magic[1]])
    }

    /// The program to start for work that depends only on the interpreter
    /// itself (compiling): `sys.executable` when it named one, else the
    /// command. A `python3` found on PATH is often a shim (pyenv's is a chain
    /// of shell scripts costing ~80 ms per start) that resolves to this same
    /// binary anyway; starting the binary also keeps every worker on the
    /// interpreter that was discovered, even if the shim would now pick another.
    pub fn program(&self) -> &OsStr {
        if self.executable.is_absolute() {
            self.executable.as_os_str()
        } else {
            &self.command
        }
    }
}

/// Why an interpreter could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// It could not be started, or did not answer in time.
    #[error(transparent)]
    Unanswered(#[from] Unanswered),
    /// It failed or printed something that is not the expected description.
    #[error("`{}` did not describe itself ({reason}){}", .command.to_string_lossy(), stderr_suffix(.stderr))]
    BadAnswer {
        /// The command.
        command: OsString,
        /// What was wrong.
        reason: String,
        /// What it printed on stderr.
        stderr: String,
    },
}

pub(crate) fn stderr_suffix(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!(":\n{stderr}")
    }
}

#[derive(Deserialize)]
struct Answer {
    implementation: String,
    version: String,
    cache_tag: Option<String>,
    magic: String,
    executable: String,
    prefix: String,
    base_prefix: String,
    stdlib: String,
    platstdlib: String,
    purelib: String,
    platlib: String,
    extension_suffixes: Vec<String>,
    sys_path: Vec<String>,
    site_dirs: Vec<String>,
    builtin_modules: Vec<String>,
}

/// Runs `python` once (isolated: `-I`, no `PYTHON*` variables, writing no
/// bytecode: `-B`) and parses its self-description.
pub fn discover(python: &OsStr) -> Result<Interpreter, DiscoverError> {
    let command = python.to_os_string();
    let bad = |reason: String, stderr: &str| DiscoverError::BadAnswer {
        command: command.clone(),
        reason,
        stderr: stderr.to_owned(),
    };
    let Answered {
        status,
        stdout,
        stderr,
    } = ask(
        clean_command(python).args(["-I", "-B", "-c", SCRIPT]),
        TIMEOUT,
    )?;
    if !status.success() {
        return Err(bad(format!("it exited with {status}"), &stderr));
    }
    let answer: Answer = serde_json::from_str(stdout.trim())
        .map_err(|e| bad(format!("unexpected output: {e}"), &stderr))?;
    let path = |hex: &str| decode_hex(hex).map(|bytes| PathBuf::from(OsString::from_vec(bytes)));
    let magic = decode_hex(&answer.magic)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .ok_or_else(|| {
            bad(
                format!("magic number `{}` is not 4 bytes", answer.magic),
                &stderr,
            )
        })?;
    let paths = (|| {
        Some((
            path(&answer.executable)?,
            path(&answer.prefix)?,
            path(&answer.base_prefix)?,
            path(&answer.stdlib)?,
            path(&answer.platstdlib)?,
            path(&answer.purelib)?,
            path(&answer.platlib)?,
            answer
                .sys_path
                .iter()
                .map(|p| path(p))
                .collect::<Option<Vec<_>>>()?,
            answer
                .site_dirs
                .iter()
                .map(|p| path(p))
                .collect::<Option<Vec<_>>>()?,
        ))
    })()
    .ok_or_else(|| bad("a path was not hex-encoded".into(), &stderr))?;
    let (
        executable,
        prefix,
        base_prefix,
        stdlib,
        platstdlib,
        purelib,
        platlib,
        sys_path,
        site_dirs,
    ) = paths;
    Ok(Interpreter {
        command,
        executable,
        implementation: answer.implementation,
        version: answer.version,
        // `cache_tag` is None on an interpreter that writes no caches at all.
        cache_tag: answer.cache_tag.unwrap_or_default(),
        magic,
        prefix,
        base_prefix,
        stdlib,
        platstdlib,
        purelib,
        platlib,
        extension_suffixes: answer.extension_suffixes,
        sys_path,
        site_dirs,
        builtin_modules: answer.builtin_modules,
    })
}

pub(crate) fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_hex() {
        assert_eq!(decode_hex("2f7573ff"), Some(vec![0x2f, 0x75, 0x73, 0xff]));
        assert_eq!(decode_hex("2f7"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn missing_interpreter_is_a_spawn_error() {
        let err = discover(OsStr::new("/nonexistent/python3")).expect_err("must fail");
        assert!(
            matches!(err, DiscoverError::Unanswered(Unanswered::Spawn { .. })),
            "{err}"
        );
    }

    #[test]
    fn installed_python3_describes_itself() {
        let python = discover(OsStr::new("python3")).expect("python3 is installed");
        // Independently: the interpreter's own answers, printed plainly.
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys, importlib.util; print(sys.implementation.cache_tag); print(importlib.util.MAGIC_NUMBER.hex())"])
            .output()
            .expect("run python3");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(Some(python.cache_tag.as_str()), lines.next());
        assert_eq!(
            Some(decode_hex_to_string(&python.magic).as_str()),
            lines.next()
        );
        assert!(python.stdlib.join("os.py").is_file(), "{:?}", python.stdlib);
        assert!(python.sys_path.contains(&python.stdlib));
    }

    fn decode_hex_to_string(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
