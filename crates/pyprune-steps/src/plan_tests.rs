//! The plan and the actions of step lists, on models built in memory.

use crate::action::Action;
use crate::model::Model;
use crate::model_builder::{
    BLOCK, TreeBuilder, applied, cache_path, context, dirs, paths, remove, remove_dir,
};
use crate::plan::{NO_RUNTIME_HERE, VENVS_WITHOUT_RUNTIME};
use crate::{PROFILES, ProfileDef, StepName, actions_for, plan, predict, step_actions};
use std::path::Path;

const LIB: &str = "lib/python3.11";

fn at(path: &str) -> String {
    format!("{LIB}/{path}")
}

/// A prefix with a small stdlib: no extension module (stripping needs none
/// of binutils then), caches at three levels, opt-1 linked to opt-0.
fn stdlib() -> TreeBuilder {
    let mut b = TreeBuilder::new()
        .file("bin/python3.11", "")
        .dir(&at("site-packages"))
        .file(&at("pydoc_data/_pydoc.css"), "body {}\n");
    for (path, text) in [
        ("os.py", "import sys\n"),
        ("json/__init__.py", "from .decoder import JSONDecoder\n"),
        ("json/decoder.py", "class JSONDecoder: pass\n"),
        ("encodings/__init__.py", "import codecs\n"),
        ("encodings/aliases.py", "aliases = {}\n"),
        ("encodings/utf_8.py", "import codecs\n"),
        ("pydoc_data/topics.py", "topics = {}\n"),
        ("test/test_json.py", "import json\n"),
        ("tkinter/__init__.py", "import _tkinter\n"),
        (
            "unittest/__init__.py",
            "import os\nHERE = os.path.dirname(__file__)\n",
        ),
        ("cgi.py", "import os\n"),
    ] {
        b = b.module(&at(path), text);
    }
    b
}

fn runtime_paths() -> Vec<String> {
    vec![
        at("pyprune_runtime.py"),
        at("pyprune_removed.py"),
        at("site-packages/00-pyprune-runtime.pth"),
        at("sitecustomize.py"),
    ]
}

#[test]
fn actions_for_installs_the_runtime_only_when_a_step_needs_it() {
    let model = stdlib().build();
    let (actions, after) = actions_for(&model, &[StepName::DropOpt2], &context()).expect("planned");
    assert_eq!(
        actions,
        step_actions(StepName::DropOpt2, &model, &context()).expect("planned")
    );
    assert!(
        runtime_paths()
            .iter()
            .all(|p| !after.has_file(Path::new(p)))
    );

    let (actions, after) =
        actions_for(&model, &[StepName::NoWriteMarker], &context()).expect("planned");
    let marker_actions =
        step_actions(StepName::NoWriteMarker, &model, &context()).expect("planned");
    assert_eq!(actions[..marker_actions.len()], marker_actions[..]);
    let installed: Vec<&Path> = actions[marker_actions.len()..]
        .iter()
        .map(|a| match a {
            Action::Write { path, .. } => path.as_path(),
            other => panic!("the runtime is written: {other:?}"),
        })
        .collect();
    assert_eq!(
        installed,
        [
            Path::new(&at("pyprune_runtime.py")),
            Path::new(&at("pyprune_removed.py")),
            Path::new(&at("sitecustomize.py")),
            Path::new(&at("site-packages/00-pyprune-runtime.pth")),
        ]
    );
    assert!(runtime_paths().iter().all(|p| after.has_file(Path::new(p))));
    let text = |model: &Model, path: &str| {
        String::from_utf8(crate::model_builder::bytes_of(model, path)).expect("utf-8")
    };
    assert!(text(&after, &at("sitecustomize.py")).contains("FALLBACK = False"));

    // cache-fallback is the runtime, with its fallback on.
    let (actions, after) =
        actions_for(&model, &[StepName::CacheFallback], &context()).expect("planned");
    assert_eq!(actions.len(), 4);
    assert!(text(&after, &at("sitecustomize.py")).contains("FALLBACK = True"));
    assert!(text(&after, &at("site-packages/00-pyprune-runtime.pth")).contains("fallback=True"));

    // An exclusion installs the finder alone, with the list of what it removed.
    let (actions, after) =
        actions_for(&model, &[StepName::ExcludeTests], &context()).expect("planned");
    let excluded = step_actions(StepName::ExcludeTests, &model, &context()).expect("planned");
    assert_eq!(actions[..excluded.len()], excluded[..]);
    assert_eq!(actions.len(), excluded.len() + 3);
    assert!(!after.has_file(Path::new(&at("sitecustomize.py"))));
    assert!(
        text(&after, &at("site-packages/00-pyprune-runtime.pth"))
            .contains("pyprune_removed.install()")
    );
    assert!(!after.has_file(Path::new(&at("pyprune_runtime.py"))));
    assert_eq!(
        text(&after, &at(crate::REMOVED_FILE)),
        crate::list_text(
            &[crate::Removed {
                module: "test.test_json".to_owned(),
                step: StepName::ExcludeTests
            }],
            None
        )
    );
}

#[test]
fn actions_for_plans_each_step_on_the_model_the_one_before_left() {
    let model = stdlib().build();
    let steps = [StepName::DropOptimizedCaches, StepName::DropCaches];
    let (actions, after) = actions_for(&model, &steps, &context()).expect("planned");
    let first = step_actions(steps[0], &model, &context()).expect("planned");
    let second = step_actions(steps[1], &applied(&model, &first), &context()).expect("planned");
    assert_eq!(actions, [first, second].concat());
    assert_eq!(paths(&after), paths(&applied(&model, &actions)));
    assert_eq!(
        predict(&model, &steps, &context())
            .expect("predicted")
            .files,
        after.files
    );
    // Only the start-up modules' caches are left, at every level.
    let caches: Vec<String> = paths(&after)
        .into_iter()
        .filter(|p| p.contains("__pycache__"))
        .collect();
    let mut expected: Vec<String> = ["__init__", "aliases", "utf_8"]
        .iter()
        .flat_map(|m| (0..3).map(move |l| cache_path(&at(&format!("encodings/{m}.py")), l)))
        .collect();
    expected.sort();
    assert_eq!(caches, expected);
}

#[test]
fn emptied_directories_go_deepest_first_and_empty_ones_stay() {
    let model = TreeBuilder::new()
        .file("os.py", "")
        .dir("empty")
        .file("a/b/c/test_x.py", "")
        .file("a/b/test_y.py", "")
        .file("a/keep/test/test_z.py", "")
        .file("a/keep/x.py", "")
        .build();
    let got = step_actions(StepName::ExcludeTests, &model, &context()).expect("planned");
    // Only `a/keep/test` is a test directory (the others' module is `a`).
    assert_eq!(
        got,
        [remove("a/keep/test/test_z.py"), remove_dir("a/keep/test")]
    );
    let model = TreeBuilder::new()
        .file("os.py", "")
        .dir("empty")
        .file("test/a/b/test_x.py", "")
        .file("test/a/test_y.py", "")
        .build();
    let got = step_actions(StepName::ExcludeTests, &model, &context()).expect("planned");
    assert_eq!(
        got,
        [
            remove("test/a/b/test_x.py"),
            remove("test/a/test_y.py"),
            remove_dir("test/a/b"),
            remove_dir("test/a"),
            remove_dir("test"),
        ]
    );
    assert_eq!(dirs(&applied(&model, &got)), ["", "empty"]);
}

/// Every row's size, predicted independently: the actions applied one by one.
#[test]
fn plan_has_a_row_per_step_and_profile_with_the_size_of_its_result() {
    let model = stdlib().build();
    // The stdlib's site-packages (empty: one directory block) is left out of the sizes.
    let left_out = BLOCK;
    let baseline = model.disk_total() - left_out;
    let profiles: Vec<ProfileDef> = PROFILES.iter().map(ProfileDef::from).collect();
    let rows = plan(&model, &context(), &profiles, None).expect("planned");
    let names: Vec<(&str, &str)> = rows.iter().map(|r| (r.kind, r.name.as_str())).collect();
    let expected: Vec<(&str, &str)> = StepName::ALL
        .iter()
        .map(|s| ("step", s.info().id))
        .chain(PROFILES.iter().map(|p| ("profile", p.name)))
        .collect();
    assert_eq!(names, expected);
    for row in &rows {
        let (actions, _) = actions_for(&model, &row.steps, &context()).expect("planned");
        let after = applied(&model, &actions);
        // A step's row reports what the step alone does (the rows share
        // their steps' work: `container` begins with `exclude-tests`).
        if let ("step", [step]) = (row.kind, row.steps.as_slice()) {
            let modules = crate::module_removals(*step, &model, &context()).expect("planned");
            assert_eq!(row.modules, modules, "{}", row.name);
            let left = crate::left_as_is(*step, &model, &context()).expect("planned");
            assert_eq!(row.left_as_is, left, "{}", row.name);
        }
        assert_eq!(
            row.disk_bytes,
            after.disk_total() - left_out,
            "{}",
            row.name
        );
        assert_eq!(
            row.saved_bytes,
            baseline as i64 - (after.disk_total() - left_out) as i64,
            "{}",
            row.name
        );
        assert!(
            !row.gives_up.iter().any(|g| g == NO_RUNTIME_HERE),
            "{}",
            row.name
        );
        assert!(
            !row.gives_up.iter().any(|g| g == VENVS_WITHOUT_RUNTIME),
            "{}",
            row.name
        );
    }
    let saved = |name: &str| {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| r.saved_bytes)
            .expect("a row")
    };
    // Eight modules lose their opt-2 cache (the start-up ones keep theirs).
    assert_eq!(saved("drop-opt2"), 8 * BLOCK as i64);
    // opt-1 is a link of opt-0: removing it saves nothing more.
    assert_eq!(saved("drop-optimized-caches"), 8 * BLOCK as i64);
    // test/ with its source, two caches (opt-1 linked) and two directories,
    // less the runtime and the list that explain the removal.
    let (_, after) = actions_for(&model, &[StepName::ExcludeTests], &context()).expect("planned");
    let explains: u64 = runtime_paths()
        .into_iter()
        .filter(|p| !p.ends_with("pyprune_runtime.py") && !p.ends_with("sitecustomize.py"))
        .chain([at(crate::REMOVED_FILE)])
        .map(|p| after.file_at(Path::new(&p)).disk)
        .sum();
    assert!(explains >= 3 * BLOCK);
    assert_eq!(saved("exclude-tests"), 5 * BLOCK as i64 - explains as i64);
    // Everything is linked already.
    assert_eq!(saved("dedupe-caches"), 0);
    assert_eq!(saved("strip-extensions"), 0);
    // The runtime's three files, each rounded up to whole blocks.
    let (_, after) = actions_for(&model, &[StepName::CacheFallback], &context()).expect("planned");
    let runtime: u64 = runtime_paths()
        .iter()
        .map(|p| after.file_at(Path::new(p)).disk)
        .sum();
    assert!(runtime >= 3 * BLOCK);
    assert_eq!(saved("cache-fallback"), -(runtime as i64));
}

#[test]
fn plan_only_rows_are_planned_only_where_the_tree_holds_a_stdlib() {
    let plan_only = |model: &Model| -> Vec<String> {
        let rows = plan(model, &context(), &[], None).expect("planned");
        rows.into_iter()
            .filter(|r| r.steps.iter().any(|s| s.plan_only()))
            .map(|r| r.name)
            .collect()
    };
    assert_eq!(plan_only(&stdlib().build()), ["compress-pycs"]);
    let venv = TreeBuilder::new()
        .file("pyvenv.cfg", "home = /usr/bin\n")
        .module("lib/python3.11/site-packages/mypkg/__init__.py", "")
        .build();
    assert_eq!(plan_only(&venv), Vec::<String>::new());
}

#[test]
fn plan_says_when_the_runtime_has_no_place_or_venvs_go_without() {
    let package = TreeBuilder::new().module("mypkg/__init__.py", "").build();
    let rows = plan(&package, &context(), &[], None).expect("planned");
    for row in &rows {
        let missing = crate::needs_runtime(&row.steps);
        assert_eq!(
            row.gives_up.iter().any(|g| g == NO_RUNTIME_HERE),
            missing,
            "{}",
            row.name
        );
        // Nothing is installed: two empty markers, which take no block.
        if row.name == "no-write-marker" || row.name == "cache-fallback" {
            assert_eq!(row.saved_bytes, 0, "{}", row.name);
        }
    }
    let debian = stdlib()
        .file(&at("sitecustomize.py"), "import apport\n")
        .build();
    let rows = plan(&debian, &context(), &[], None).expect("planned");
    for row in &rows {
        assert_eq!(
            row.gives_up.iter().any(|g| g == VENVS_WITHOUT_RUNTIME),
            crate::needs_runtime(&row.steps),
            "{}",
            row.name
        );
    }
}

/// [`stdlib`] with third-party packages in its site-packages (none of which
/// imports a module any step removes).
fn stdlib_with_site_packages() -> TreeBuilder {
    stdlib()
        .module(&at("site-packages/pip/__init__.py"), "import os\n")
        .module(&at("site-packages/pip/tests/test_pip.py"), "import pip\n")
        .file(&at("site-packages/pip-24.0.dist-info/RECORD"), "")
}

#[test]
fn site_packages_are_left_out_of_every_step_and_of_the_sizes() {
    let with = stdlib_with_site_packages().build();
    let without = stdlib().build();
    let all: Vec<StepName> = StepName::ALL.to_vec();
    let third_party = |model: &Model| -> Vec<String> {
        paths(model)
            .into_iter()
            .filter(|p| p.starts_with(&at("site-packages/pip")))
            .collect()
    };
    // Every step and every profile leaves the same size as on the tree without them.
    let sizes = |model: &Model| -> Vec<(String, u64, i64)> {
        plan(model, &context(), &built_in_profiles(), None)
            .expect("planned")
            .into_iter()
            .map(|r| (r.name, r.disk_bytes, r.saved_bytes))
            .collect()
    };
    assert_eq!(sizes(&with), sizes(&without));
    for step in &all {
        let after = predict(&with, &[*step], &context()).expect("planned");
        assert_eq!(third_party(&after), third_party(&with), "{step:?}");
    }
    // Named, they are acted on: their test suite and caches go.
    let named = crate::steps::Context {
        site_packages: true,
        ..context()
    };
    let after = predict(
        &with,
        &[StepName::ExcludeTests, StepName::DropCaches],
        &named,
    )
    .expect("planned");
    assert_eq!(
        third_party(&after),
        [
            at("site-packages/pip/__init__.py"),
            at("site-packages/pip-24.0.dist-info/RECORD"),
        ]
    );
}

fn built_in_profiles() -> Vec<ProfileDef> {
    crate::load_profiles(None).expect("built-in profiles")
}

#[test]
fn left_out_packages_still_keep_the_stdlib_modules_they_import() {
    let model = stdlib_with_site_packages()
        .module(&at("site-packages/pip/_compat.py"), "import cgi\n")
        .build();
    let removals = crate::module_removals(StepName::ExcludeDeadBatteries, &model, &context())
        .expect("planned")
        .expect("an exclusion");
    assert_eq!(removals.removed, Vec::<String>::new());
    assert_eq!(
        removals.kept,
        [crate::KeptImport {
            module: "cgi".to_owned(),
            imported_by: vec!["pip._compat".to_owned()],
        }]
    );
    // And what an exclusion removes is named module by module, a package for its submodules.
    let tests = crate::module_removals(StepName::ExcludeTests, &model, &context())
        .expect("planned")
        .expect("an exclusion");
    assert_eq!(tests.removed, ["test.test_json"]);
    let idle = crate::module_removals(StepName::ExcludeIdleTk, &model, &context())
        .expect("planned")
        .expect("an exclusion");
    assert_eq!(idle.removed, ["tkinter"]);
    assert_eq!(
        crate::module_removals(StepName::DropCaches, &model, &context()).expect("planned"),
        None
    );
}

/// No step changes anything in a `*.dist-info` directory, however much of it
/// looks like what the step removes or rewrites (a `tests` directory, a
/// `.py` with its caches, a shared library).
#[test]
fn no_step_touches_a_dist_info_directory() {
    let info = |path: &str| at(&format!("site-packages/pkg-1.0.dist-info/{path}"));
    let model = stdlib()
        .file(&info("RECORD"), "pkg/__init__.py,,\n")
        .file(&info("METADATA"), "Name: pkg\nVersion: 1.0\n")
        .file(&info("licenses/tests/LICENSE"), "MIT\n")
        .module(&info("hook.py"), "import os\n")
        .file(&info("libhelper.so"), "not an ELF file")
        .module(&at("site-packages/pkg/__init__.py"), "import os\n")
        .build();
    let context = crate::steps::Context {
        site_packages: true,
        ..context()
    };
    for step in StepName::ALL {
        let actions = step_actions(step, &model, &context).expect("planned");
        let touched: Vec<_> = actions
            .iter()
            .flat_map(|a| a.paths())
            .filter(|p| p.to_string_lossy().contains(".dist-info"))
            .collect();
        assert!(touched.is_empty(), "{step:?}: {touched:?}");
    }
}
