//! Where `compileall` puts a cache and what path it embeds, computed as
//! `importlib.util.cache_from_source` and `compileall.compile_file` do.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Component, Path, PathBuf};

/// The cache file of `source` at `level` for `cache_tag`: `dir/__pycache__/NAME.TAG[.opt-N].pyc`,
/// or, with a pycache prefix, `PREFIX/<absolute dir without its leading />/NAME.TAG[.opt-N].pyc`
/// (the layout `PYTHONPYCACHEPREFIX` expects).
pub fn cache_file(
    source: &Path,
    cache_tag: &str,
    level: u8,
    pycache_prefix: Option<&Path>,
    cwd: &Path,
) -> PathBuf {
    let name = source.file_name().unwrap_or_default().as_bytes();
    // `tail.rpartition('.')`: everything before the last dot (or the whole name if none).
    let base = match name.iter().rposition(|&b| b == b'.') {
        None => name,
        // `'.py'.rpartition('.')` gives an empty base, and importlib then uses the rest.
        Some(0) => &name[1..],
        Some(dot) => &name[..dot],
    };
    let mut file = base.to_vec();
    file.push(b'.');
    file.extend_from_slice(cache_tag.as_bytes());
    if level > 0 {
        file.extend_from_slice(format!(".opt-{level}").as_bytes());
    }
    file.extend_from_slice(b".pyc");
    let file = OsString::from_vec(file);
    let head = source.parent().unwrap_or(Path::new(""));
    match pycache_prefix {
        None => head.join("__pycache__").join(file),
        Some(prefix) => {
            let absolute = if head.is_absolute() {
                head.to_path_buf()
            } else {
                cwd.join(head)
            };
            let relative: PathBuf = absolute
                .components()
                .filter(|c| !matches!(c, Component::RootDir))
                .collect();
            prefix.join(relative).join(file)
        }
    }
}

/// The path `compileall` embeds as `co_filename` for `source` (spelled as it
/// walked to it) with `-s STRIP` and `-p PREPEND`; `None`: the source path itself.
pub fn embedded_path(
    source: &Path,
    strip: Option<&Path>,
    prepend: Option<&Path>,
) -> Option<PathBuf> {
    let mut embedded: Option<PathBuf> = None;
    if let Some(strip) = strip {
        // Each part of STRIP that equals the source's part at the same position
        // removes the first part with that name (`list.remove`), as compileall does.
        let split = |p: &Path| -> Vec<Vec<u8>> {
            p.as_os_str()
                .as_bytes()
                .split(|&b| b == b'/')
                .map(<[u8]>::to_vec)
                .collect()
        };
        let full = split(source);
        let mut parts = full.clone();
        for (s, f) in split(strip).iter().zip(&full) {
            if s == f
                && let Some(at) = parts.iter().position(|p| p == s)
            {
                parts.remove(at);
            }
        }
        embedded = Some(python_join(&parts));
    }
    if let Some(prepend) = prepend {
        let rest = embedded.unwrap_or_else(|| source.to_path_buf());
        embedded = Some(prepend.join(rest));
    }
    embedded
}

/// `os.path.join(*parts)`: an absolute part restarts the path.
fn python_join(parts: &[Vec<u8>]) -> PathBuf {
    let mut out = PathBuf::new();
    for part in parts {
        out.push(OsStr::from_bytes(part));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_files_are_named_as_importlib_names_them() {
        let cwd = Path::new("/work");
        let tag = "cpython-311";
        assert_eq!(
            cache_file(Path::new("lib/os.py"), tag, 0, None, cwd),
            Path::new("lib/__pycache__/os.cpython-311.pyc")
        );
        assert_eq!(
            cache_file(Path::new("a.b.py"), tag, 2, None, cwd),
            Path::new("__pycache__/a.b.cpython-311.opt-2.pyc")
        );
        let prefix = Some(Path::new("/var/cache/py"));
        assert_eq!(
            cache_file(Path::new("/usr/lib/os.py"), tag, 1, prefix, cwd),
            Path::new("/var/cache/py/usr/lib/os.cpython-311.opt-1.pyc")
        );
        assert_eq!(
            cache_file(Path::new("./x/m.py"), tag, 0, prefix, cwd),
            Path::new("/var/cache/py/work/./x/m.cpython-311.pyc")
        );
    }

    #[test]
    fn embedded_paths_follow_compileall() {
        let e = |s: &str, strip: Option<&str>, prepend: Option<&str>| {
            embedded_path(Path::new(s), strip.map(Path::new), prepend.map(Path::new))
        };
        assert_eq!(e("/build/usr/lib/os.py", None, None), None);
        assert_eq!(
            e("/build/usr/lib/os.py", Some("/build"), None),
            Some(PathBuf::from("usr/lib/os.py"))
        );
        assert_eq!(
            e("/build/usr/lib/os.py", Some("/build"), Some("/")),
            Some(PathBuf::from("/usr/lib/os.py"))
        );
        assert_eq!(
            e("lib/os.py", None, Some("/opt")),
            Some(PathBuf::from("/opt/lib/os.py"))
        );
        // `list.remove` takes the first equal part, wherever it is.
        assert_eq!(
            e("/a/b/a/x.py", Some("/a"), None),
            Some(PathBuf::from("b/a/x.py"))
        );
    }
}
