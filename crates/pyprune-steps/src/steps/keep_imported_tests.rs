//! Tests of what exclusions keep because kept modules import it, on models
//! built in memory.

use super::{KeptImport, keep_imported};
use crate::action::Action;
use crate::model_builder::{
    TreeBuilder, actions, applied, cache_path, context, ext, paths, remove,
};
use crate::steps::{StepName, kept_by_imports};

fn kept(module: &str, by: &[&str]) -> KeptImport {
    KeptImport {
        module: module.to_owned(),
        imported_by: by.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The dead batteries of 3.8–3.10 as the rest of their stdlib uses them.
fn stdlib(email_message: &str, wave: &str) -> TreeBuilder {
    TreeBuilder::new()
        .module("os.py", "import sys\n")
        .module("email/__init__.py", "")
        .module("email/message.py", email_message)
        .module("email/utils.py", "import os\n")
        .module("wave.py", wave)
        .module("chunk.py", "import struct\n")
        .module("uu.py", "import binascii\nimport os\n")
        .module("telnetlib.py", "import socket\n")
        .file("cgi.py", "import email.message\n")
        .file(&ext("audioop"), "")
        .file(&ext("_crypt"), "")
}

const EMAIL_MESSAGE: &str = "\
import re
from email import utils
def get_payload(self):
    import uu
";
const WAVE: &str = "\
import sys
if sys.byteorder == 'big':
    import audioop
from chunk import Chunk
";

#[test]
fn a_dead_battery_stays_while_a_kept_module_imports_it() {
    let model = stdlib(EMAIL_MESSAGE, WAVE).build();
    let got = actions(StepName::ExcludeDeadBatteries, &model);
    let expected = [
        "__pycache__/telnetlib.cpython-311.opt-1.pyc",
        "__pycache__/telnetlib.cpython-311.opt-2.pyc",
        "__pycache__/telnetlib.cpython-311.pyc",
        "cgi.py",
        &ext("_crypt"),
        "telnetlib.py",
    ]
    .map(remove)
    .to_vec();
    assert_eq!(got, expected);
    let after = paths(&applied(&model, &got));
    for path in [
        "uu.py",
        &cache_path("uu.py", 0),
        "chunk.py",
        &ext("audioop"),
    ] {
        assert!(after.contains(&path.to_owned()), "{path}: {after:?}");
    }
    assert_eq!(
        kept_by_imports(StepName::ExcludeDeadBatteries, &model, &context()).expect("planned"),
        [
            kept("audioop", &["wave"]),
            kept("chunk", &["wave"]),
            kept("uu", &["email.message"]),
        ]
    );
}

#[test]
fn a_dead_battery_nothing_imports_goes() {
    let model = stdlib("import re\n", "import struct\n").build();
    let got = actions(StepName::ExcludeDeadBatteries, &model);
    let after = paths(&applied(&model, &got));
    for path in [
        "uu.py",
        &cache_path("uu.py", 0),
        "chunk.py",
        &ext("audioop"),
    ] {
        assert!(!after.contains(&path.to_owned()), "{path}: {after:?}");
    }
    assert!(after.contains(&"email/message.py".to_owned()));
    assert_eq!(
        kept_by_imports(StepName::ExcludeDeadBatteries, &model, &context()).expect("planned"),
        []
    );
}

#[test]
fn a_kept_submodule_brings_its_package_chain_and_what_it_imports() {
    // setuptools-like code imports distutils.version; that imports distutils.log
    // relatively; distutils.core is imported by nothing kept.
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module("site-packages/tool.py", "from distutils.version import V\n")
        .module("distutils/__init__.py", "")
        .module("distutils/version.py", "from . import log\n")
        .module("distutils/log.py", "import sys\n")
        .module("distutils/core.py", "from distutils.cmd import Command\n")
        .module("distutils/cmd.py", "")
        .file("distutils/README", "")
        .build();
    let got = actions(StepName::ExcludeDevModules, &model);
    let after = paths(&applied(&model, &got));
    for path in [
        "distutils/__init__.py",
        "distutils/version.py",
        "distutils/log.py",
        "distutils/README",
    ] {
        assert!(after.contains(&path.to_owned()), "{path}: {after:?}");
    }
    for path in ["distutils/core.py", "distutils/cmd.py"] {
        assert!(!after.contains(&path.to_owned()), "{path}: {after:?}");
    }
    assert_eq!(
        kept_by_imports(StepName::ExcludeDevModules, &model, &context()).expect("planned"),
        [
            kept("distutils", &["distutils.version", "tool"]),
            kept("distutils.log", &["distutils.version"]),
            kept("distutils.version", &["tool"]),
        ]
    );
}

#[test]
fn a_kept_module_keeps_the_test_support_it_imports_and_no_more() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module("tool.py", "def check():\n    from test import support\n")
        .module("test/__init__.py", "")
        .module("test/support/__init__.py", "")
        .module("test/test_os.py", "import test.support\n")
        .build();
    let after = paths(&applied(&model, &actions(StepName::ExcludeTests, &model)));
    assert!(after.contains(&"test/support/__init__.py".to_owned()));
    assert!(after.contains(&"test/__init__.py".to_owned()));
    assert!(!after.contains(&"test/test_os.py".to_owned()));
}

#[test]
fn a_package_keeps_its_data_only_when_it_or_one_of_its_modules_is_imported() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        // Runs `test` only as the parent of test.support: no test data.
        .module("tool.py", "def check():\n    from test import support\n")
        .module("test/__init__.py", "")
        .module("test/support/__init__.py", "")
        .file("test/audiodata/pluck.wav", "RIFF")
        .file("test/zipdir.zip", "PK")
        // Imports a plain module of lib2to3, which reads its package's grammar.
        .module("fixer.py", "import lib2to3.pygram\n")
        .module("lib2to3/__init__.py", "")
        .module("lib2to3/pygram.py", "")
        .file("lib2to3/Grammar.txt", "grammar")
        .module("lib2to3/tests/__init__.py", "")
        .file("lib2to3/tests/data/bom.py", "x")
        // Imports a package by name: its data comes too.
        .module("installer.py", "import ensurepip\n")
        .module("ensurepip/__init__.py", "")
        .file("ensurepip/_bundled/pip-23.whl", "PK")
        .build();
    // What the exclusions would remove: everything of the three packages.
    let removals: Vec<Action> = model
        .files
        .keys()
        .filter(|p| {
            ["test", "lib2to3", "ensurepip"]
                .iter()
                .any(|d| p.starts_with(d))
        })
        .map(|p| Action::Remove(p.to_path_buf()))
        .collect();
    let outcome = keep_imported(&model, &context(), removals).expect("kept");
    let still_removed: Vec<String> = outcome
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Remove(p) => Some(p.display().to_string()),
            _ => None,
        })
        .filter(|p| !p.contains("__pycache__"))
        .collect();
    assert_eq!(
        still_removed,
        [
            "lib2to3/tests/__init__.py",
            "lib2to3/tests/data/bom.py",
            "test/audiodata/pluck.wav",
            "test/zipdir.zip",
        ]
    );
}

#[test]
fn a_module_without_readable_source_keeps_every_candidate_it_names() {
    // Sourceless bytecode, and a source Python may read but ruff cannot:
    // the candidates their bytes name stay, the others go.
    let model = TreeBuilder::new()
        .module("os.py", "")
        .file("legacy.pyc", b"\x55\x0d\x0d\x0a....\xda\x02uu")
        .file("odd.py", "# coding: shift_jis\nimport imghdr\n")
        .module("uu.py", "")
        .module("imghdr.py", "")
        .module("sndhdr.py", "")
        .build();
    let after = paths(&applied(
        &model,
        &actions(StepName::ExcludeDeadBatteries, &model),
    ));
    assert!(after.contains(&"uu.py".to_owned()));
    assert!(after.contains(&"imghdr.py".to_owned()));
    assert!(!after.contains(&"sndhdr.py".to_owned()));
}

#[test]
fn a_module_imported_under_except_import_error_goes() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module(
            "pydoc.py",
            "def topics():\n    try:\n        import pydoc_data.topics\n    except ImportError:\n        pass\n",
        )
        .module("pydoc_data/__init__.py", "")
        .module("pydoc_data/topics.py", "")
        .build();
    let after = paths(&applied(
        &model,
        &actions(StepName::ExcludeDevModules, &model),
    ));
    assert!(
        !after.contains(&"pydoc_data/topics.py".to_owned()),
        "{after:?}"
    );
    assert_eq!(
        kept_by_imports(StepName::ExcludeDevModules, &model, &context()).expect("planned"),
        []
    );
}

/// A relative import names neither the package it runs in nor the packages
/// above it: a module that never spells its package's name still brings
/// back the package's data (the sources that cannot reach a candidate are
/// not parsed: `import_reach`).
#[test]
fn a_relative_import_brings_back_its_own_package_data_unnamed() {
    let model = TreeBuilder::new()
        .module("os.py", "")
        .module("site-packages/pkg/__init__.py", "")
        .module("site-packages/pkg/reader.py", "from . import helpers\n")
        .module("site-packages/pkg/helpers.py", "")
        .file("site-packages/pkg/grammar.txt", "grammar")
        .module("site-packages/other/__init__.py", "from . import helpers\n")
        .module("site-packages/other/helpers.py", "")
        .file("site-packages/other/data.txt", "data")
        .build();
    let removals = [
        "site-packages/pkg/grammar.txt",
        "site-packages/other/data.txt",
    ]
    .map(remove)
    .to_vec();
    let outcome = keep_imported(&model, &context(), removals).expect("kept");
    // `other`'s own `__init__` imports `other.helpers` directly: its data stays too.
    assert_eq!(outcome.actions, Vec::<Action>::new());
}
