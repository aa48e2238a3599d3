//! A layer's file list in the formats packagers feed their tools: plain
//! (one absolute path per line), an RPM `%files` fragment (directories owned
//! once, the base layer ghosting the caches the cache layers ship), and a
//! Debian/apk install list (paths relative to the package root, as
//! `debian/PKG.install` and an APKBUILD's `amove` take them).

use crate::install::install_order;
use crate::split::Split;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

/// A list format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Plain,
    Rpm,
    Install,
}

impl ListFormat {
    pub const ALL: [ListFormat; 3] = [ListFormat::Plain, ListFormat::Rpm, ListFormat::Install];

    /// The file name extension of its lists under `--out` (`core.files`).
    pub fn extension(self) -> &'static str {
        match self {
            ListFormat::Plain => "list",
            ListFormat::Rpm => "files",
            ListFormat::Install => "install",
        }
    }
}

/// A list's bytes, and the paths it could not hold.
#[derive(Debug, Clone, Default)]
pub struct List {
    pub bytes: Vec<u8>,
    /// Relative paths the format cannot spell (a newline in a name; a
    /// double quote for RPM; white space for an install list), with why.
    pub unlistable: Vec<(PathBuf, &'static str)>,
}

/// Which layer owns each directory (relative; the root is `""`): the first
/// layer in install order with a file directly in it, else the first with a
/// file below it, the base layer counting the caches it ghosts; a directory
/// with no file below it goes to the base. Directly first: `unittest/` is
/// the package's (`dev-modules`, with `unittest/case.py`), not the layer of
/// its `unittest/test/` (`tests`) that comes earlier in install order.
pub fn directory_owners(split: &Split) -> BTreeMap<PathBuf, usize> {
    let order = install_order(split);
    let rank = |layer: usize| order.iter().position(|&l| l == layer).unwrap_or(usize::MAX);
    let base = split.base();
    let caches = split.bytecode_layers();
    let mut owners: BTreeMap<PathBuf, usize> = BTreeMap::new();
    owners.insert(PathBuf::new(), base);
    for (dir, _) in &split.directories {
        owners.insert(dir.clone(), base);
    }
    let mut below: BTreeMap<&Path, usize> = BTreeMap::new();
    let mut directly: BTreeMap<&Path, usize> = BTreeMap::new();
    for file in &split.files {
        let Some(&layer) = file.layers.iter().min_by_key(|&&l| rank(l)) else {
            continue;
        };
        // The base ghosts a cache layer's files, and so needs their directories.
        let layer = if caches[layer] { base } else { layer };
        for (depth, dir) in file.path.ancestors().skip(1).enumerate() {
            let maps = if depth == 0 {
                [Some(&mut directly), Some(&mut below)]
            } else {
                [None, Some(&mut below)]
            };
            for map in maps.into_iter().flatten() {
                let entry = map.entry(dir).or_insert(layer);
                if rank(layer) < rank(*entry) {
                    *entry = layer;
                }
            }
        }
    }
    for (dir, layer) in below {
        owners.insert(dir.to_path_buf(), *directly.get(dir).unwrap_or(&layer));
    }
    owners
}

/// The list of `layer` in `format`, its paths under `shown_root` (the tree
/// root, or `--prefix`). A layer installed under a root of its own
/// (`own_root`: a sources layer outside the stdlib) owns, in RPM, every
/// directory its files need there.
pub fn list(
    split: &Split,
    layer: usize,
    format: ListFormat,
    shown_root: &Path,
    own_root: bool,
) -> List {
    let mut list = List::default();
    let full = |rel: &Path| -> PathBuf {
        if rel.as_os_str().is_empty() {
            shown_root.to_path_buf()
        } else {
            shown_root.join(rel)
        }
    };
    match format {
        ListFormat::Plain | ListFormat::Install => {
            for file in split.files_of(layer) {
                let path = full(&file.path);
                let path = match format {
                    ListFormat::Install => {
                        PathBuf::from(OsStr::from_bytes(trim_slashes(path.as_os_str().as_bytes())))
                    }
                    _ => path,
                };
                let bytes = path.as_os_str().as_bytes();
                if bytes.contains(&b'\n') {
                    list.unlistable
                        .push((file.path.clone(), "its name holds a newline"));
                } else if format == ListFormat::Install && bytes.iter().any(u8::is_ascii_whitespace)
                {
                    list.unlistable.push((
                        file.path.clone(),
                        "install lists split lines at white space",
                    ));
                } else {
                    list.bytes.extend_from_slice(bytes);
                    list.bytes.push(b'\n');
                }
            }
        }
        ListFormat::Rpm => {
            let mut owners = directory_owners(split);
            if own_root {
                owners.insert(PathBuf::new(), layer);
                for file in split.files_of(layer) {
                    for dir in file.path.ancestors().skip(1) {
                        owners.insert(dir.to_path_buf(), layer);
                    }
                }
            }
            let line = |prefix: &str, rel: &Path, list: &mut List| match rpm_path(
                full(rel).as_os_str().as_bytes(),
            ) {
                Ok(spelled) => {
                    list.bytes.extend_from_slice(prefix.as_bytes());
                    list.bytes.extend_from_slice(&spelled);
                    list.bytes.push(b'\n');
                }
                Err(why) => list.unlistable.push((rel.to_path_buf(), why)),
            };
            for (dir, _) in owners.iter().filter(|(_, owner)| **owner == layer) {
                line("%dir ", dir, &mut list);
            }
            for file in split.files_of(layer) {
                line("", &file.path, &mut list);
            }
            if layer == split.base() {
                let caches = split.bytecode_layers();
                for file in split
                    .files
                    .iter()
                    .filter(|f| f.layers.iter().any(|&l| caches[l]))
                {
                    line("%ghost ", &file.path, &mut list);
                }
            }
        }
    }
    list
}

fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    &bytes[start..]
}

/// A path as a `%files` line spells it: `%` doubled (macros), glob
/// characters escaped (rpm expands globs), in quotes when it has white space.
fn rpm_path(bytes: &[u8]) -> Result<Vec<u8>, &'static str> {
    if bytes.contains(&b'\n') {
        return Err("its name holds a newline");
    }
    if bytes.contains(&b'"') {
        return Err("rpm's %files cannot quote a name holding `\"`");
    }
    let mut out = Vec::with_capacity(bytes.len() + 2);
    for &b in bytes {
        match b {
            b'%' => out.extend_from_slice(b"%%"),
            b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            _ => out.push(b),
        }
    }
    if bytes.iter().any(u8::is_ascii_whitespace) {
        out.insert(0, b'"');
        out.push(b'"');
    }
    Ok(out)
}

/// Reads a plain list back: its paths relative to `shown_root` (a line
/// outside it is kept as it is, and will not match a file of the tree).
pub fn read_plain(bytes: &[u8], shown_root: &Path) -> Vec<PathBuf> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let path = Path::new(OsStr::from_bytes(line));
            path.strip_prefix(shown_root)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| path.to_path_buf())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_spelling() {
        let spelled =
            |s: &str| rpm_path(s.as_bytes()).map(|b| String::from_utf8(b).expect("utf-8"));
        assert_eq!(spelled("/usr/lib/a.py").as_deref(), Ok("/usr/lib/a.py"));
        assert_eq!(
            spelled("/x/100%/[a]*.py").as_deref(),
            Ok("/x/100%%/\\[a\\]\\*.py")
        );
        assert_eq!(spelled("/x/a b.py").as_deref(), Ok("\"/x/a b.py\""));
        assert!(spelled("/x/a\"b").is_err());
        assert!(spelled("/x/a\nb").is_err());
    }
}
