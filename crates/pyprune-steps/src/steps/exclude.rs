//! Steps that remove whole parts of the library: test suites, IDLE and Tk,
//! developer tools, the PEP 594 "dead batteries" (those two as the tree's
//! release ships them: `module_history`). Each keeps what a kept module
//! imports (`keep_imported`): on 3.8–3.10 `email` needs `uu`.

use super::keep_imported::{KeptImport, Outcome, keep_imported};
use super::{Context, LeftAsIs, StepError};
use crate::action::Action;
use crate::model::Model;
use crate::module_history::{Group, modules_of};
use pyprune_tree::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

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
        .map(|(path, _)| Action::Remove(path.to_path_buf()))
        .collect();
    keep_imported(model, context, removals)
}

/// Extension modules built only for the test suite.
fn test_extension(module: &str) -> bool {
    module.starts_with("_test")
        || matches!(
            module,
            "_ctypes_test" | "_xxtestfuzz" | "xxlimited" | "xxlimited_35"
        )
}

/// The names of test directories.
const TEST_DIRS: [&str; 4] = ["test", "tests", "testing", "idle_test"];

/// Test suites: the stdlib's `test` package, its test extension modules,
/// and every directory named `test`, `tests`, `testing` (IDLE's `idle_test`).
/// In site-packages (third-party code, whose users import what it ships) a
/// directory goes whole or not at all: when any module outside it imports
/// one of its modules, it stays whole; and a distribution's public testing
/// package (`numpy/testing`, `django/test`: a `test` or `testing` package
/// with no `test_*.py` module of its own) is not a test suite and stays,
/// whatever imports it (its own `tests` directory is one, and may go).
/// With the third-party test directories it leaves and why (worked out from
/// the same run: `plan` reports both on the step's row).
pub(crate) fn tests_and_left(
    model: &Model,
    context: &Context,
) -> Result<(Outcome, Vec<LeftAsIs>), StepError> {
    let (outcome, kept_whole) = tests_keeping(model, context)?;
    Ok((outcome, tests_left(model, context, kept_whole)))
}

/// The third-party test directories `exclude-tests` leaves, and why: the
/// public testing packages, and those kept whole (`kept_whole`, as
/// [`tests_keeping`] found them) because a module outside imports them.
fn tests_left(model: &Model, context: &Context, kept_whole: BTreeSet<PathBuf>) -> Vec<LeftAsIs> {
    let left_out = context.left_out(model);
    let public = public_testing_packages(model, context)
        .into_iter()
        .filter(|dir| !left_out.iter().any(|l| dir.starts_with(l)))
        .map(|dir| LeftAsIs {
            what: pyprune_fs::display_path(&dir),
            why: "a public testing package (no test_*.py of its own): its users import it"
                .to_owned(),
        });
    let whole = kept_whole.into_iter().map(|dir| LeftAsIs {
        what: pyprune_fs::display_path(&dir),
        why: "a module outside it imports one of its modules: kept whole".to_owned(),
    });
    let mut left: Vec<LeftAsIs> = public.chain(whole).collect();
    left.sort_by(|a, b| a.what.cmp(&b.what));
    left
}

/// [`tests_and_left`]'s removals, and the third-party test directories it keeps whole.
fn tests_keeping(
    model: &Model,
    context: &Context,
) -> Result<(Outcome, BTreeSet<PathBuf>), StepError> {
    let public = public_testing_packages(model, context);
    let third_party = ThirdParty::of(context);
    let left_out = context.left_out(model);
    let mut kept_whole: BTreeSet<PathBuf> = BTreeSet::new();
    let mut kept: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    loop {
        let suite = |path: &Path| test_suite_dir(path, &public, &kept_whole);
        let outcome = remove_where(model, context, |path, module| {
            !(module == "test" || test_extension(module) || suite(path).is_some())
        })?;
        for import in &outcome.kept {
            kept.entry(import.module.clone())
                .or_default()
                .extend(import.imported_by.iter().cloned());
        }
        // The third-party test directories of the modules kept back: whole.
        let removed: BTreeSet<PathBuf> = outcome
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Remove(path) => Some(path.clone()),
                _ => None,
            })
            .collect();
        let newly: BTreeSet<PathBuf> = model
            .files
            .iter()
            .filter(|(path, _)| third_party.holds(path) && !removed.contains(path.as_path()))
            .filter(|(path, _)| !left_out.iter().any(|dir| path.starts_with(dir)))
            .filter(|(_, file)| {
                matches!(
                    file.kind,
                    Kind::Source
                        | Kind::Sourceless
                        | Kind::BytecodeOpt0
                        | Kind::BytecodeOpt1
                        | Kind::BytecodeOpt2
                        | Kind::Extension
                )
            })
            .filter_map(|(path, _)| suite(path))
            .collect();
        if newly.is_empty() {
            // The data of the third-party test directories that go goes with
            // them (`keep_imported` gives it back to a package that holds the
            // directory without being imported from it: numpy's `tests` are
            // namespace directories).
            let mut actions = outcome.actions;
            actions.extend(
                model
                    .files
                    .keys()
                    .filter(|path| third_party.holds(path) && !removed.contains(path.as_path()))
                    .filter(|path| !left_out.iter().any(|dir| path.starts_with(dir)))
                    .filter(|path| suite(path).is_some())
                    .map(|path| Action::Remove(path.to_path_buf())),
            );
            actions.sort_by(|a, b| a.paths().cmp(&b.paths()));
            let outcome = Outcome {
                actions,
                kept: kept
                    .into_iter()
                    .map(|(module, by)| KeptImport {
                        module,
                        imported_by: by.into_iter().collect(),
                    })
                    .collect(),
                removed: outcome.removed,
                computed: Vec::new(),
            };
            return Ok((outcome, kept_whole));
        }
        kept_whole.extend(newly);
    }
}

/// Where third-party code lives: a site-packages (dist-packages) directory
/// by name, or any directory holding installed distributions (a
/// site-packages named as the tree itself has no such name in its paths).
struct ThirdParty {
    site_dirs: Vec<PathBuf>,
}

impl ThirdParty {
    fn of(context: &Context) -> ThirdParty {
        let mut site_dirs: Vec<PathBuf> = context
            .distributions
            .dists
            .iter()
            .map(|dist| dist.site_dir.clone())
            .collect();
        site_dirs.sort();
        site_dirs.dedup();
        ThirdParty { site_dirs }
    }

    /// Whether `path` is third-party code.
    fn holds(&self, path: &Path) -> bool {
        self.site_dirs.iter().any(|dir| path.starts_with(dir))
            || path.components().any(|c| {
                matches!(c, Component::Normal(n)
                    if pyprune_tree::THIRD_PARTY_DIRS.iter().any(|t| n == *t))
            })
    }
}

/// The outermost test directory `path` is in (not counting `public` ones,
/// nor those kept whole), if any.
fn test_suite_dir(
    path: &Path,
    public: &BTreeSet<PathBuf>,
    kept_whole: &BTreeSet<PathBuf>,
) -> Option<PathBuf> {
    let parent = path.parent()?;
    let mut dirs: Vec<&Path> = parent.ancestors().collect();
    dirs.reverse();
    let outermost = dirs.into_iter().find(|dir| {
        dir.file_name()
            .is_some_and(|n| TEST_DIRS.iter().any(|t| n == *t))
            && !public.contains(*dir)
    })?;
    (!kept_whole.iter().any(|k| path.starts_with(k))).then(|| outermost.to_path_buf())
}

/// The public testing packages of third-party distributions: `test` or
/// `testing` packages in site-packages none of whose own modules is named
/// like a test (`test_*.py`, `*_test.py`). A `conftest.py` does not make
/// one a test suite: `matplotlib.testing.conftest` holds the pytest
/// fixtures its users' own test suites import.
fn public_testing_packages(model: &Model, context: &Context) -> BTreeSet<PathBuf> {
    let third_party = ThirdParty::of(context);
    let packages = model.files.keys().filter_map(|path| {
        let dir = path.parent()?;
        (path.file_name()? == "__init__.py"
            && third_party.holds(path)
            && dir
                .file_name()
                .is_some_and(|n| n == "test" || n == "testing"))
        .then(|| dir.to_path_buf())
    });
    packages
        .filter(|dir| {
            !model
                .files_below(dir)
                .filter(|(p, _)| p.parent() == Some(dir.as_path()))
                .any(|(p, _)| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default();
                    name.ends_with(".py")
                        && (name.starts_with("test_") || name.ends_with("_test.py"))
                })
        })
        .collect()
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

    const SITE: &str = "lib/python3.11/site-packages";

    /// A venv's site-packages: a framework whose public `test` package its
    /// own modules import, a numerical package with a public `testing`
    /// package (its own `tests` inside) and namespace test directories with
    /// data, one of them imported by another test suite only.
    fn site_packages() -> TreeBuilder {
        site_packages_in(SITE)
    }

    /// [`site_packages`] in the directory `site` ("": the tree's root).
    fn site_packages_in(site: &str) -> TreeBuilder {
        let at = |path: &str| format!("{site}/{path}").trim_start_matches('/').to_owned();
        TreeBuilder::new()
            .file(&at("web/__init__.py"), "")
            .file(
                &at("web/commands/test.py"),
                "from web.test.runner import Runner\n",
            )
            .file(&at("web/test/__init__.py"), "from .client import Client\n")
            .file(&at("web/test/client.py"), "")
            .file(&at("web/test/runner.py"), "")
            .file(&at("web/test/templates/page.html"), "")
            .file(
                &at("num/__init__.py"),
                "def __getattr__(n):\n    import num.testing\n",
            )
            .file(
                &at("num/testing/__init__.py"),
                "from ._private import utils\n",
            )
            .file(&at("num/testing/_private/__init__.py"), "")
            .file(&at("num/testing/_private/utils.py"), "")
            .file(&at("num/testing/extra.py"), "")
            .file(
                &at("num/testing/tests/test_utils.py"),
                "import num.testing\n",
            )
            .file(&at("num/core/__init__.py"), "")
            .file(
                &at("num/core/tests/test_a.py"),
                "from num.lib.tests.test_io import TextIO\n",
            )
            .file(&at("num/core/tests/data/table.csv"), "")
            .file(&at("num/lib/__init__.py"), "")
            .file(&at("num/lib/tests/__init__.py"), "")
            .file(&at("num/lib/tests/test_io.py"), "")
            .file(
                &at("helper/__init__.py"),
                "from helper.tests import fixtures\n",
            )
            .file(&at("helper/tests/__init__.py"), "")
            .file(&at("helper/tests/fixtures.py"), "")
            .file(&at("helper/tests/test_fixtures.py"), "")
            .file(
                &at("web-1.0.dist-info/RECORD"),
                "web/__init__.py,,\nweb-1.0.dist-info/RECORD,,\n",
            )
    }

    /// A site-packages named as the tree itself has no `site-packages` in its
    /// paths: its distributions say it is third-party code all the same, and
    /// the public testing packages stay (the stdlib's rules removed them).
    #[test]
    fn a_site_packages_tree_of_its_own_keeps_its_public_testing_packages() {
        let model = site_packages_in("").build();
        let context =
            crate::model_builder::context_with_distributions(&model, &["web-1.0.dist-info"]);
        let got = step_actions(StepName::ExcludeTests, &model, &context).expect("planned");
        let after = paths(&applied(&model, &got));
        for kept in [
            "web/test/runner.py",
            "web/test/templates/page.html",
            "num/testing/_private/utils.py",
            "num/testing/extra.py",
            "helper/tests/fixtures.py",
        ] {
            assert!(after.contains(&kept.to_owned()), "{kept}: {after:?}");
        }
        assert!(!after.contains(&"num/lib/tests/test_io.py".to_owned()));
    }

    /// `matplotlib.testing` ships a `conftest.py` of fixtures for its users'
    /// test suites: it is public all the same.
    #[test]
    fn a_testing_package_with_a_conftest_of_fixtures_is_public() {
        let at = |path: &str| format!("{SITE}/{path}");
        let model = TreeBuilder::new()
            .file(&at("plot/__init__.py"), "")
            .file(&at("plot/testing/__init__.py"), "")
            .file(&at("plot/testing/conftest.py"), "")
            .file(&at("plot/testing/decorators.py"), "")
            .build();
        let after = paths(&applied(&model, &actions(StepName::ExcludeTests, &model)));
        assert_eq!(after.len(), 4, "{after:?}");
    }

    #[test]
    fn in_site_packages_test_suites_go_whole_and_public_testing_packages_stay() {
        let model = site_packages().build();
        let got = actions(StepName::ExcludeTests, &model);
        let removed: Vec<String> = got
            .iter()
            .filter_map(|a| match a {
                crate::action::Action::Remove(p) => Some(p.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let at = |path: &str| format!("{SITE}/{path}");
        // numpy's namespace test directories go with their data, the public
        // package's own tests too.
        assert_eq!(
            removed,
            [
                at("num/core/tests/data/table.csv"),
                at("num/core/tests/test_a.py"),
                at("num/lib/tests/__init__.py"),
                at("num/lib/tests/test_io.py"),
                at("num/testing/tests/test_utils.py"),
            ]
        );
        let after = paths(&applied(&model, &got));
        // The public testing packages stay whole, data too; a test
        // directory a module outside it imports stays whole (its tests too).
        for kept in [
            "web/test/runner.py",
            "web/test/templates/page.html",
            "num/testing/_private/utils.py",
            "helper/tests/fixtures.py",
            "helper/tests/test_fixtures.py",
            "web-1.0.dist-info/RECORD",
        ] {
            assert!(after.contains(&at(kept)), "{kept}: {after:?}");
        }
        let named = crate::module_removals(StepName::ExcludeTests, &model, &context())
            .expect("planned")
            .expect("an exclusion");
        assert_eq!(
            named.removed,
            [
                "num.core.tests.test_a",
                "num.lib.tests",
                "num.testing.tests.test_utils"
            ]
        );
        assert_eq!(
            named.kept,
            [
                crate::KeptImport {
                    module: "helper.tests".to_owned(),
                    imported_by: vec!["helper".to_owned()],
                },
                crate::KeptImport {
                    module: "helper.tests.fixtures".to_owned(),
                    imported_by: vec!["helper".to_owned()],
                }
            ]
        );
    }

    #[test]
    fn plan_says_which_test_directories_stay_and_why() {
        let model = site_packages().build();
        let left =
            crate::steps::left_as_is(StepName::ExcludeTests, &model, &context()).expect("planned");
        let said: Vec<(String, &str)> = left
            .iter()
            .map(|l| (l.what.clone(), l.why.split(':').next().unwrap_or_default()))
            .collect();
        let at = |path: &str| format!("{SITE}/{path}");
        assert_eq!(
            said,
            [
                (
                    at("helper/tests"),
                    "a module outside it imports one of its modules"
                ),
                (
                    at("num/testing"),
                    "a public testing package (no test_*.py of its own)"
                ),
                (
                    at("web/test"),
                    "a public testing package (no test_*.py of its own)"
                ),
            ]
        );
    }

    #[test]
    fn a_testing_package_with_test_modules_of_its_own_is_a_test_suite() {
        let at = |path: &str| format!("{SITE}/{path}");
        let model = TreeBuilder::new()
            .file(&at("pkg/__init__.py"), "")
            .file(&at("pkg/testing/__init__.py"), "")
            .file(&at("pkg/testing/test_pkg.py"), "")
            .build();
        let after = paths(&applied(&model, &actions(StepName::ExcludeTests, &model)));
        assert_eq!(after, [at("pkg/__init__.py")]);
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
                crate::action::Action::Remove(path) => Some(model.file_at(path).module.clone()),
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
