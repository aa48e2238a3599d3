//! Steps that remove whole parts of the library: test suites, IDLE and Tk,
//! developer tools, the PEP 594 "dead batteries".

use super::Context;
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::PythonVersion;
use std::path::{Component, Path};

fn remove_where(model: &Model, keep: impl Fn(&Path, &str) -> bool) -> Vec<Action> {
    model
        .files
        .iter()
        .filter(|(path, file)| !keep(path, &file.module))
        .map(|(path, _)| Action::Remove(path.clone()))
        .collect()
}

fn has_dir(path: &Path, names: &[&str]) -> bool {
    let Some(parent) = path.parent() else {
        return false;
    };
    parent
        .components()
        .any(|c| matches!(c, Component::Normal(n) if names.iter().any(|name| n == *name)))
}

/// Extension modules built only for the test suite.
fn test_extension(module: &str) -> bool {
    module.starts_with("_test")
        || matches!(
            module,
            "_ctypes_test" | "_xxtestfuzz" | "xxlimited" | "xxlimited_35"
        )
}

pub(crate) fn tests(model: &Model) -> Vec<Action> {
    remove_where(model, |path, module| {
        !(module == "test"
            || test_extension(module)
            || has_dir(path, &["test", "tests", "idle_test"]))
    })
}

pub(crate) fn idle_tk(model: &Model) -> Vec<Action> {
    remove_where(model, |_, module| {
        !matches!(
            module,
            "idlelib" | "tkinter" | "turtle" | "turtledemo" | "_tkinter"
        )
    })
}

pub(crate) fn dev_modules(model: &Model) -> Vec<Action> {
    // Not pydoc itself: xmlrpc.server imports it (`pyprune verify` found that);
    // its bulk, pydoc_data, goes, and help() on keywords says so.
    const DEV: &[&str] = &[
        "pydoc_data",
        "ensurepip",
        "lib2to3",
        "unittest",
        "doctest",
        "venv",
        "distutils",
    ];
    remove_where(model, |_, module| !DEV.contains(&module))
}

/// PEP 594's modules (deprecated in 3.11, removed in 3.13) with their extension parts.
const DEAD_BATTERIES: &[&str] = &[
    "aifc",
    "asynchat",
    "asyncore",
    "audioop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "_crypt",
    "imghdr",
    "mailcap",
    "msilib",
    "_msi",
    "nis",
    "nntplib",
    "ossaudiodev",
    "pipes",
    "smtpd",
    "sndhdr",
    "spwd",
    "sunau",
    "telnetlib",
    "uu",
    "xdrlib",
];

pub(crate) fn dead_batteries(model: &Model, context: &Context) -> Vec<Action> {
    // Releases from 3.13 have none of them; before 3.11 PEP 594 had not marked them.
    if context
        .version
        .is_some_and(|v| v >= PythonVersion::new(3, 13))
    {
        return Vec::new();
    }
    remove_where(model, |_, module| !DEAD_BATTERIES.contains(&module))
}
