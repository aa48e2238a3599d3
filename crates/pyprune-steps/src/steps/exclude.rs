//! Steps that remove whole parts of the library: test suites, IDLE and Tk,
//! developer tools, the PEP 594 "dead batteries" (those two as the tree's
//! release ships them: `module_history`). Each keeps what a kept module
//! imports (`keep_imported`): on 3.8–3.10 `email` needs `uu`.

use super::keep_imported::{Outcome, keep_imported};
use super::{Context, StepError};
use crate::action::Action;
use crate::model::Model;
use crate::module_history::{Group, modules_of};
use std::path::{Component, Path};

fn remove_where(
    model: &Model,
    context: &Context,
    keep: impl Fn(&Path, &str) -> bool,
) -> Result<Outcome, StepError> {
    let left_out = context.left_out(model);
    let removals = model
        .files
        .iter()
        .filter(|(path, _)| !left_out.iter().any(|dir| path.starts_with(dir)))
        .filter(|(path, file)| !keep(path, &file.module))
        .map(|(path, _)| Action::Remove(path.clone()))
        .collect();
    keep_imported(model, context, removals)
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

pub(crate) fn tests(model: &Model, context: &Context) -> Result<Outcome, StepError> {
    remove_where(model, context, |path, module| {
        !(module == "test"
            || test_extension(module)
            || has_dir(path, &["test", "tests", "idle_test"]))
    })
}

pub(crate) fn idle_tk(model: &Model, context: &Context) -> Result<Outcome, StepError> {
    remove_where(model, context, |_, module| {
        !matches!(
            module,
            "idlelib" | "tkinter" | "turtle" | "turtledemo" | "_tkinter"
        )
    })
}

pub(crate) fn dev_modules(model: &Model, context: &Context) -> Result<Outcome, StepError> {
    // Not pydoc itself: xmlrpc.server imports it (`pyprune verify` found that);
    // its bulk, pydoc_data, goes (pydoc imports it under `except ImportError`,
    // which `keep_imported` leaves out), and help() on keywords says so.
    // doctest and unittest stay where difflib or pickle import doctest.
    let dev = modules_of(Group::DevModule, context.version);
    remove_where(model, context, |_, module| !dev.contains(&module))
}

/// The modules the tree's release ships that PEP 594 or an earlier
/// deprecation marked for removal (none from 3.13: whatever has their names
/// there is something else).
pub(crate) fn dead_batteries(model: &Model, context: &Context) -> Result<Outcome, StepError> {
    let dead = modules_of(Group::DeadBattery, context.version);
    remove_where(model, context, |_, module| !dead.contains(&module))
}

#[cfg(test)]
mod tests {
    use crate::model_builder::{
        TreeBuilder, actions, applied, cache_path, context, dirs, ext, paths, remove, remove_dir,
    };
    use crate::steps::{StepName, step_actions};
    use pyprune_pyc::PythonVersion;

    /// A stdlib rooted at the tree with a little of everything the exclusions look at.
    fn stdlib() -> TreeBuilder {
        TreeBuilder::new()
            .module("os.py", "import sys\n")
            .module("json/__init__.py", "")
            .file("json/tests/test_decode.py", "")
            .file("test/__init__.py", "")
            .module("test/test_json.py", "import json\n")
            .file("test/data/README", "")
            .file("ctypes/test/test_abc.py", "")
            .file("idlelib/idle_test/test_run.py", "")
            .file("idlelib/run.py", "")
            .file("tkinter/__init__.py", "")
            .module("turtle.py", "")
            .file("turtledemo/__main__.py", "")
            .file("pydoc.py", "")
            .file("pydoc_data/topics.py", "")
            .file("ensurepip/_bundled/pip-23.2.1-py3-none-any.whl", "")
            .file("lib2to3/Grammar.txt", "")
            .file("unittest/__init__.py", "")
            .file("doctest.py", "")
            .file("venv/__init__.py", "")
            .file("distutils/core.py", "")
            .file("cgi.py", "")
            .module("telnetlib.py", "")
            .file(&ext("_json"), "")
            .file(&ext("_testcapi"), "")
            .file(&ext("_ctypes_test"), "")
            .file(&ext("xxlimited"), "")
            .file(&ext("_tkinter"), "")
            .file(&ext("_crypt"), "")
            .file(&ext("audioop"), "")
            .dir("site-packages")
    }

    #[test]
    fn exclude_tests_removes_test_suites_wherever_they_are() {
        let model = stdlib().build();
        let got = actions(StepName::ExcludeTests, &model);
        let mut expected: Vec<_> = [
            "ctypes/test/test_abc.py",
            "idlelib/idle_test/test_run.py",
            "json/tests/test_decode.py",
            &ext("_ctypes_test"),
            &ext("_testcapi"),
            &ext("xxlimited"),
            "test/__init__.py",
            "test/__pycache__/test_json.cpython-311.opt-1.pyc",
            "test/__pycache__/test_json.cpython-311.opt-2.pyc",
            "test/__pycache__/test_json.cpython-311.pyc",
            "test/data/README",
            "test/test_json.py",
        ]
        .map(remove)
        .to_vec();
        expected.extend(
            [
                "ctypes/test",
                "idlelib/idle_test",
                "json/tests",
                "test/__pycache__",
                "test/data",
                // Emptied by the removal of the directories above.
                "ctypes",
                "test",
            ]
            .map(remove_dir),
        );
        assert_eq!(got, expected);
        let after = applied(&model, &got);
        assert!(
            !dirs(&after).iter().any(|d| d
                .split('/')
                .any(|c| ["test", "tests", "idle_test"].contains(&c))),
            "{:?}",
            dirs(&after)
        );
        // The empty site-packages was empty before: it stays.
        assert!(dirs(&after).contains(&"site-packages".to_owned()));
        // Named module by module, a package for its submodules (`test`, not `test.test_json`).
        let named = crate::module_removals(StepName::ExcludeTests, &model, &context())
            .expect("planned")
            .expect("an exclusion");
        assert_eq!(
            named.removed,
            [
                "_ctypes_test",
                "_testcapi",
                "ctypes.test.test_abc",
                "idlelib.idle_test.test_run",
                "json.tests.test_decode",
                "test",
                "xxlimited"
            ]
        );
    }

    #[test]
    fn exclude_idle_tk_removes_idle_tkinter_and_turtle() {
        let model = stdlib().build();
        let mut expected: Vec<_> = [
            "__pycache__/turtle.cpython-311.opt-1.pyc",
            "__pycache__/turtle.cpython-311.opt-2.pyc",
            "__pycache__/turtle.cpython-311.pyc",
            "idlelib/idle_test/test_run.py",
            "idlelib/run.py",
            &ext("_tkinter"),
            "tkinter/__init__.py",
            "turtle.py",
            "turtledemo/__main__.py",
        ]
        .map(remove)
        .to_vec();
        expected.extend(["idlelib/idle_test", "tkinter", "turtledemo", "idlelib"].map(remove_dir));
        assert_eq!(actions(StepName::ExcludeIdleTk, &model), expected);
    }

    #[test]
    fn exclude_dev_modules_keeps_pydoc() {
        let model = stdlib().build();
        let mut expected: Vec<_> = [
            "distutils/core.py",
            "doctest.py",
            "ensurepip/_bundled/pip-23.2.1-py3-none-any.whl",
            "lib2to3/Grammar.txt",
            "pydoc_data/topics.py",
            "unittest/__init__.py",
            "venv/__init__.py",
        ]
        .map(remove)
        .to_vec();
        expected.extend(
            [
                "distutils",
                "ensurepip/_bundled",
                "lib2to3",
                "pydoc_data",
                "unittest",
                "venv",
                "ensurepip",
            ]
            .map(remove_dir),
        );
        let got = actions(StepName::ExcludeDevModules, &model);
        assert_eq!(got, expected);
        assert!(paths(&applied(&model, &got)).contains(&"pydoc.py".to_owned()));
    }

    #[test]
    fn exclude_dead_batteries_removes_pep_594_modules_before_3_13() {
        let model = stdlib().build();
        let expected = [
            "__pycache__/telnetlib.cpython-311.opt-1.pyc",
            "__pycache__/telnetlib.cpython-311.opt-2.pyc",
            "__pycache__/telnetlib.cpython-311.pyc",
            "cgi.py",
            &ext("_crypt"),
            &ext("audioop"),
            "telnetlib.py",
        ]
        .map(remove)
        .to_vec();
        assert_eq!(actions(StepName::ExcludeDeadBatteries, &model), expected);
        // os's caches are still in the top-level __pycache__: it stays.
        assert!(paths(&applied(&model, &expected)).contains(&cache_path("os.py", 0)));
        // 3.13 removed them: whatever has their names is something else.
        let context = crate::steps::Context {
            version: Some(PythonVersion::new(3, 13)),
            ..context()
        };
        assert_eq!(
            step_actions(StepName::ExcludeDeadBatteries, &model, &context).expect("planned"),
            []
        );
    }

    /// The modules a step removes from `model` on a tree of 3.`minor`, by top-level name.
    fn removed_on(step: StepName, model: &crate::model::Model, minor: u8) -> Vec<String> {
        let context = crate::steps::Context {
            version: Some(PythonVersion::new(3, minor)),
            ..context()
        };
        let mut names: Vec<String> = step_actions(step, model, &context)
            .expect("planned")
            .iter()
            .filter_map(|a| match a {
                crate::action::Action::Remove(path) => Some(model.files[path].module.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn each_release_loses_what_it_ships_of_the_lists() {
        let model = TreeBuilder::new()
            .module("os.py", "")
            .file("distutils/core.py", "")
            .file("lib2to3/pytree.py", "")
            .file("venv/__init__.py", "")
            .file("imp.py", "")
            .file("asyncore.py", "")
            .file("binhex.py", "")
            .file("cgi.py", "")
            .file("formatter.py", "")
            .build();
        let dev = |minor| removed_on(StepName::ExcludeDevModules, &model, minor);
        let dead = |minor| removed_on(StepName::ExcludeDeadBatteries, &model, minor);
        assert_eq!(dev(8), ["distutils", "lib2to3", "venv"]);
        assert_eq!(dev(11), ["distutils", "lib2to3", "venv"]);
        // 3.12 has no distutils, 3.13 no lib2to3: what has their names is someone else's.
        assert_eq!(dev(12), ["lib2to3", "venv"]);
        assert_eq!(dev(13), ["venv"]);
        assert_eq!(dev(14), ["venv"]);
        assert_eq!(dead(8), ["asyncore", "binhex", "cgi", "formatter", "imp"]);
        assert_eq!(dead(9), ["asyncore", "binhex", "cgi", "formatter", "imp"]);
        assert_eq!(dead(10), ["asyncore", "binhex", "cgi", "imp"]);
        assert_eq!(dead(11), ["asyncore", "cgi", "imp"]);
        assert_eq!(dead(12), ["cgi"]);
        assert!(dead(13).is_empty());
        assert!(dead(14).is_empty());
    }
}
