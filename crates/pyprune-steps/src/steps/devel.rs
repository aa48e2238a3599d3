//! What only building against this Python needs, as Fedora's `python3-devel`
//! splits it off: the `config-3.X` directory of the stdlib (the static
//! `libpython3.X.a`, a third of a 3.12 prefix, with `Makefile`, `Setup` and
//! `python.o`), the headers in `include/python3.X`, the `python*-config`
//! scripts and the `pkg-config` files. Python itself reads none of them:
//! `sysconfig` answers from its `_sysconfigdata_*` module, which stays.

use crate::action::Action;
use crate::model::Model;
use std::path::{Component, Path};

pub(crate) fn devel(model: &Model) -> Vec<Action> {
    model
        .files
        .keys()
        .filter(|path| is_devel(path))
        .map(|path| Action::Remove(path.to_path_buf()))
        .collect()
}

/// Whether `path` (relative to the tree: a prefix, or a stdlib directory) is for building only.
fn is_devel(path: &Path) -> bool {
    let names: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let name = |i: usize| names.get(i).map(String::as_str).unwrap_or_default();
    let is_stdlib_dir = |n: &str| n.starts_with("python3.");
    let config_at = |i: usize| name(i).starts_with("config-3.") && names.len() > i + 1;
    // STDLIB/config-3.X-*/..., as the tree itself or in a prefix (lib/python3.X/...).
    config_at(0)
        || (matches!(name(0), "lib" | "lib64") && is_stdlib_dir(name(1)) && config_at(2))
        || (name(0) == "include" && is_stdlib_dir(name(1)))
        || (names.len() == 2
            && name(0) == "bin"
            && name(1).starts_with("python")
            && name(1).ends_with("-config"))
        || (names.len() == 3
            && matches!(name(0), "lib" | "lib64")
            && name(1) == "pkgconfig"
            && name(2).starts_with("python")
            && name(2).ends_with(".pc"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_files_only() {
        for devel in [
            "lib/python3.12/config-3.12-x86_64-linux-gnu/libpython3.12.a",
            "lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile",
            "lib64/python3.11/config-3.11-x86_64-linux-gnu/python.o",
            "config-3.11-x86_64-linux-gnu/libpython3.11.so",
            "include/python3.11/Python.h",
            "include/python3.11/cpython/object.h",
            "bin/python3.11-config",
            "bin/python-config",
            "lib/pkgconfig/python-3.11-embed.pc",
            "lib/pkgconfig/python3.pc",
        ] {
            assert!(is_devel(Path::new(devel)), "{devel}");
        }
        for kept in [
            "lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py",
            "lib/python3.11/sysconfig.py",
            "lib/python3.11/site-packages/config-3.0/x.py",
            "lib/python3.11/json/config-3.1/x.py",
            "bin/python3.11",
            "bin/python3.11-gdb.py",
            "include/other/x.h",
            "lib/pkgconfig/zlib.pc",
            "lib/libpython3.11.so",
            "config.py",
        ] {
            assert!(!is_devel(Path::new(kept)), "{kept}");
        }
    }
}
