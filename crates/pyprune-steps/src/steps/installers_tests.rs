//! `exclude-installers` on venvs built in memory: what goes whole, what
//! stays whole and why.

use crate::model_builder::{TreeBuilder, applied, context_with_distributions, paths};
use crate::steps::{StepName, left_as_is, step_actions};

const SITE: &str = "lib/python3.11/site-packages";

fn at(path: &str) -> String {
    format!("{SITE}/{path}")
}

/// A distribution `name` whose RECORD lists `files` (relative to
/// site-packages) and itself, requiring `requires`.
fn dist(tree: TreeBuilder, name: &str, files: &[&str], requires: &[&str]) -> TreeBuilder {
    let info = format!("{name}-1.0.dist-info");
    let mut record: String = files.iter().map(|f| format!("{f},,\n")).collect();
    record.push_str(&format!("{info}/RECORD,,\n{info}/METADATA,,\n"));
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    tree.file(&at(&format!("{info}/RECORD")), &record)
        .file(&at(&format!("{info}/METADATA")), &metadata)
}

/// pip with a console script and a cache pip compiled (listed) and one
/// Python wrote later (not listed); setuptools with its `.pth`; an
/// application importing neither.
fn venv() -> TreeBuilder {
    let tree = TreeBuilder::new()
        .file(&at("pip/__init__.py"), "")
        .file(&at("pip/__pycache__/__init__.cpython-311.pyc"), "")
        .file(&at("pip/_internal/cli.py"), "import pip\n")
        .file(&at("pip/_internal/__pycache__/cli.cpython-311.pyc"), "")
        .file("bin/pip", "#!/venv/bin/python\n")
        .file(&at("setuptools/__init__.py"), "")
        .file(&at("pkg_resources/__init__.py"), "")
        .file(&at("distutils-precedence.pth"), "import os\n")
        .file(&at("app/__init__.py"), "import json\n");
    let tree = dist(
        tree,
        "pip",
        &[
            "pip/__init__.py",
            "pip/__pycache__/__init__.cpython-311.pyc",
            "pip/_internal/cli.py",
            "../../../bin/pip",
        ],
        &[],
    );
    let tree = dist(
        tree,
        "setuptools",
        &[
            "setuptools/__init__.py",
            "pkg_resources/__init__.py",
            "distutils-precedence.pth",
        ],
        &[],
    );
    dist(tree, "app", &["app/__init__.py"], &["requests>=2"])
}

const INFOS: [&str; 3] = [
    "lib/python3.11/site-packages/pip-1.0.dist-info",
    "lib/python3.11/site-packages/setuptools-1.0.dist-info",
    "lib/python3.11/site-packages/app-1.0.dist-info",
];

#[test]
fn installers_go_whole_with_their_scripts_caches_and_metadata() {
    let model = venv().build();
    let context = context_with_distributions(&model, &INFOS);
    let actions = step_actions(StepName::ExcludeInstallers, &model, &context).expect("planned");
    let after = paths(&applied(&model, &actions));
    assert_eq!(
        after,
        [
            at("app/__init__.py"),
            at("app-1.0.dist-info/METADATA"),
            at("app-1.0.dist-info/RECORD"),
        ]
    );
    let named = crate::module_removals(StepName::ExcludeInstallers, &model, &context)
        .expect("planned")
        .expect("an exclusion");
    assert_eq!(named.removed, ["pip", "pkg_resources", "setuptools"]);
}

#[test]
fn an_installer_another_distribution_requires_stays_whole() {
    let tree = dist(
        venv(),
        "plugin",
        &["plugin/__init__.py"],
        &[
            "setuptools>=40 ; python_version >= \"3.8\"",
            "pip ; extra == \"dev\"",
        ],
    )
    .file(&at("plugin/__init__.py"), "");
    let model = tree.build();
    let mut infos = INFOS.to_vec();
    infos.push("lib/python3.11/site-packages/plugin-1.0.dist-info");
    let context = context_with_distributions(&model, &infos);
    let after = paths(&applied(
        &model,
        &step_actions(StepName::ExcludeInstallers, &model, &context).expect("planned"),
    ));
    assert!(
        after.contains(&at("pkg_resources/__init__.py")),
        "{after:?}"
    );
    assert!(after.contains(&at("setuptools-1.0.dist-info/RECORD")));
    // Required only by an extra: pip goes.
    assert!(!after.iter().any(|p| p.contains("pip")), "{after:?}");
    let left = left_as_is(StepName::ExcludeInstallers, &model, &context).expect("planned");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].what, "setuptools");
    assert_eq!(left[0].why, "plugin 1.0 requires it");
}

#[test]
fn an_installer_a_kept_module_imports_stays_whole() {
    let model = venv()
        .file(
            &at("app/resources.py"),
            "from pkg_resources import resource_filename\n",
        )
        .build();
    let context = context_with_distributions(&model, &INFOS);
    let after = paths(&applied(
        &model,
        &step_actions(StepName::ExcludeInstallers, &model, &context).expect("planned"),
    ));
    // setuptools stays whole (pkg_resources is its module), with its `.pth`.
    for kept in [
        "setuptools/__init__.py",
        "pkg_resources/__init__.py",
        "distutils-precedence.pth",
        "setuptools-1.0.dist-info/RECORD",
    ] {
        assert!(after.contains(&at(kept)), "{kept}: {after:?}");
    }
    assert!(!after.contains(&"bin/pip".to_owned()));
    let left = left_as_is(StepName::ExcludeInstallers, &model, &context).expect("planned");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        left[0].why,
        "`app.resources` imports its module `pkg_resources`"
    );
}

#[test]
fn an_installer_with_an_untrusted_record_is_left_alone() {
    let model = venv()
        .file(
            &at("pip-1.0.dist-info/RECORD"),
            "pip/__init__.py,sha256=bad",
        )
        .build();
    let context = context_with_distributions(&model, &INFOS);
    let after = paths(&applied(
        &model,
        &step_actions(StepName::ExcludeInstallers, &model, &context).expect("planned"),
    ));
    assert!(after.contains(&at("pip/__init__.py")), "{after:?}");
    assert!(after.contains(&"bin/pip".to_owned()), "{after:?}");
}

/// A venv whose only packages were its installers keeps its (empty)
/// site-packages: Python looks there, and the next install goes there.
#[test]
fn a_venv_of_installers_alone_keeps_its_site_packages() {
    let model = dist(
        TreeBuilder::new()
            .file(&at("pip/__init__.py"), "")
            .file("bin/pip", "#!/venv/bin/python\n"),
        "pip",
        &["pip/__init__.py", "../../../bin/pip"],
        &[],
    )
    .build();
    let context = context_with_distributions(&model, &INFOS[..1]);
    let after = applied(
        &model,
        &step_actions(StepName::ExcludeInstallers, &model, &context).expect("planned"),
    );
    assert!(paths(&after).is_empty(), "{:?}", paths(&after));
    assert!(
        after.has_dir(std::path::Path::new(SITE)),
        "{:?}",
        after.dirs
    );
}
