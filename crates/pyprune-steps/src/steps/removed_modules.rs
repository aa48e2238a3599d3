//! What tells a user that pyprune removed a module: the list of the modules
//! the exclusions removed, by step, written beside pyprune's runtime (whose
//! last finder reads it only when an import fails), and, for releases whose
//! `traceback` reads one (3.15+), CPython's own `_missing_stdlib_info` module.

use super::{Context, StepName};
use crate::action::Action;
use crate::model::Model;
use pyprune_pyc::PythonVersion;
use pyprune_tree::Kind;
use std::fmt::Write as _;
use std::path::Path;

/// The list's file name, beside the runtime's module (the runtime's `REMOVED_FILE`).
pub const REMOVED_FILE: &str = "pyprune-removed-modules.txt";

/// CPython 3.15's module of messages for missing stdlib modules (made at
/// build time from `--with-missing-stdlib-config`), which its `traceback`
/// prints instead of "No module named ...".
const MISSING_STDLIB_INFO: &str = "_missing_stdlib_info";

/// The first release whose `traceback` reads [`MISSING_STDLIB_INFO`].
const MISSING_STDLIB_INFO_SINCE: PythonVersion = PythonVersion::new(3, 15);

/// What pyprune says, without a distributor's message, of how to get a module back.
pub const DEFAULT_HOW: &str = "To get it back, reinstall it, or apply pyprune without that step.";

/// A module a step removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Its dotted name (a package stands for its submodules).
    pub module: String,
    pub step: StepName,
}

/// The list the runtime reads: a comment, the distributor's message as
/// `*<TAB>TEXT` (one line: line breaks and tabs become spaces), then
/// `MODULE<TAB>STEP` lines.
pub fn list_text(removed: &[Removed], message: Option<&str>) -> String {
    let mut text = String::from(
        "# Modules pyprune removed from this installation (MODULE<TAB>STEP), read by\n\
         # pyprune_runtime when an import fails; \"*<TAB>TEXT\" is the distributor's message.\n",
    );
    if let Some(message) = message.map(one_line).filter(|m| !m.is_empty()) {
        let _ = writeln!(text, "*\t{message}");
    }
    for r in removed {
        let _ = writeln!(text, "{}\t{}", r.module, r.step.info().id);
    }
    text
}

/// The message of the `ModuleNotFoundError` for `module` removed by `step`
/// (the runtime composes the same text).
pub fn error_message(module: &str, step: StepName, message: Option<&str>) -> String {
    let keep_for = step == StepName::KeepFor;
    let how = message
        .map(one_line)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| if keep_for { KEEP_FOR_HOW } else { DEFAULT_HOW }.to_owned());
    let by = if keep_for {
        KEEP_FOR_BY.to_owned()
    } else {
        format!("pyprune step {}", step.info().id)
    };
    format!(
        "No module named '{module}': it was removed from this Python installation ({by}). {how}"
    )
}

/// Who removed a module `keep-for` removed (the runtime says the same).
const KEEP_FOR_BY: &str =
    "pyprune apply --keep-for: the application it was pruned for does not import it";

/// How to get back a module `keep-for` removed, without a distributor's message.
const KEEP_FOR_HOW: &str = "To keep it, apply pyprune again to the original with --keep MODULE, or name the code that imports it with --keep-for.";

/// The modules and the message of a list [`list_text`] wrote; lines it
/// cannot read (a step pyprune does not know) are left out.
fn parse_list(text: &str) -> (Vec<Removed>, Option<String>) {
    let mut removed = Vec::new();
    let mut message = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        match line.split_once('\t') {
            Some(("*", text)) => message = Some(text.to_owned()),
            Some((module, id)) => removed.extend(StepName::parse(id).map(|step| Removed {
                module: module.to_owned(),
                step,
            })),
            None => {}
        }
    }
    (removed, message)
}

fn one_line(text: &str) -> String {
    text.split(['\n', '\r', '\t'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// CPython 3.15's `_missing_stdlib_info.py` with pyprune's messages: the
/// existing module's text (`existing`, the release's own messages) with
/// pyprune's added to its dict, or a new module holding them alone.
pub fn missing_stdlib_info(
    existing: Option<&str>,
    removed: &[Removed],
    message: Option<&str>,
) -> String {
    let mut entries = String::new();
    for r in removed {
        let _ = writeln!(
            entries,
            "    {}: {},",
            python_str(&r.module),
            python_str(&error_message(&r.module, r.step, message))
        );
    }
    match existing {
        Some(text) => {
            let mut text = text.to_owned();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("\n# Added by pyprune: the modules it removed.\n");
            let _ = write!(
                text,
                "_MISSING_STDLIB_MODULE_MESSAGES.update({{\n{entries}}})\n"
            );
            text
        }
        None => format!(
            "# Written by pyprune: the modules it removed from this installation.\n\
             _MISSING_STDLIB_MODULE_MESSAGES = {{\n{entries}}}\n"
        ),
    }
}

/// A Python string literal of `text`: only printable ASCII as it is.
fn python_str(text: &str) -> String {
    let mut literal = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            ' '..='~' => literal.push(c),
            _ => {
                let _ = write!(literal, "\\U{:08x}", u32::from(c));
            }
        }
    }
    literal.push('\'');
    literal
}

/// The files that explain the removals, in the runtime's directory `dir`:
/// the list, and on 3.15+ `_missing_stdlib_info` (its stale caches removed,
/// new ones compiled when the context can). None when nothing was removed.
pub(crate) fn actions(
    model: &Model,
    context: &Context,
    dir: &Path,
    removed: &[Removed],
) -> Vec<Action> {
    if removed.is_empty() {
        return Vec::new();
    }
    // A list from an earlier run on the tree (in place) keeps its modules,
    // and its message unless a new one is given.
    let list = dir.join(REMOVED_FILE);
    let (earlier, earlier_message) = model
        .file(&list)
        .and_then(|file| context.read(file).ok())
        .map(|bytes| parse_list(&String::from_utf8_lossy(&bytes)))
        .unwrap_or_default();
    let mut all: Vec<Removed> = earlier
        .into_iter()
        .filter(|old| !removed.iter().any(|new| new.module == old.module))
        .collect();
    all.extend(removed.iter().cloned());
    let removed = &all[..];
    let message = context
        .missing_module_message
        .as_deref()
        .or(earlier_message.as_deref());
    let mut actions = vec![Action::Write {
        path: list,
        bytes: list_text(removed, message).into_bytes().into(),
        mode: 0o644,
        kind: Kind::Data,
        module: String::new(),
    }];
    let in_stdlib = context
        .version
        .and_then(|v| super::stdlib_dir(model, v))
        .is_some_and(|stdlib| stdlib == dir);
    let new_enough = context
        .version
        .is_some_and(|v| v >= MISSING_STDLIB_INFO_SINCE);
    if !(in_stdlib && new_enough) {
        return actions;
    }
    let path = dir.join(format!("{MISSING_STDLIB_INFO}.py"));
    let existing = model
        .file(&path)
        .and_then(|file| context.read(file).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let source = missing_stdlib_info(existing.as_deref(), removed, message);
    let caches = dir.join("__pycache__");
    let stale_prefix = format!("{MISSING_STDLIB_INFO}.");
    actions.extend(
        model
            .files
            .keys()
            .filter(|p| p.parent() == Some(caches.as_path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&stale_prefix))
            })
            .map(|p| Action::Remove(p.to_path_buf())),
    );
    let compiled = super::runtime::compiled_caches(
        context,
        &path,
        source.as_bytes(),
        MISSING_STDLIB_INFO,
        |_| true,
    );
    actions.push(Action::Write {
        path,
        bytes: source.into_bytes().into(),
        mode: 0o644,
        kind: Kind::Source,
        module: MISSING_STDLIB_INFO.to_owned(),
    });
    actions.extend(compiled);
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed() -> Vec<Removed> {
        vec![
            Removed {
                module: "idlelib".into(),
                step: StepName::ExcludeIdleTk,
            },
            Removed {
                module: "unittest.test".into(),
                step: StepName::ExcludeTests,
            },
        ]
    }

    #[test]
    fn the_list_names_each_module_its_step_and_the_message_on_one_line() {
        assert_eq!(
            list_text(&removed(), Some("Install\tpython3-tk\n with apt. ")),
            "# Modules pyprune removed from this installation (MODULE<TAB>STEP), read by\n\
             # pyprune_runtime when an import fails; \"*<TAB>TEXT\" is the distributor's message.\n\
             *\tInstall python3-tk with apt.\n\
             idlelib\texclude-idle-tk\n\
             unittest.test\texclude-tests\n"
        );
        assert_eq!(
            parse_list(&list_text(&removed(), Some("Ask."))),
            (removed(), Some("Ask.".to_owned()))
        );
        assert_eq!(parse_list("x\tno-such-step\ngarbage\n"), (Vec::new(), None));
        assert!(!list_text(&removed(), Some(" \n")).contains("*\t"));
        assert!(!list_text(&removed(), None).contains("*\t"));
    }

    #[test]
    fn a_later_run_adds_to_the_list_of_an_earlier_one() {
        use crate::model_builder::{TreeBuilder, context};
        let list = format!("lib/python3.11/{REMOVED_FILE}");
        let model = TreeBuilder::new()
            .module("lib/python3.11/os.py", "")
            .file(&list, list_text(&removed()[..1], Some("Ask.")))
            .build();
        let dir = Path::new("lib/python3.11");
        let later = [Removed {
            module: "cgi".into(),
            step: StepName::ExcludeDeadBatteries,
        }];
        let written = |context: &Context| match &actions(&model, context, dir, &later)[..] {
            [Action::Write { bytes, .. }] => String::from_utf8(bytes.to_vec()).expect("utf-8"),
            other => panic!("one list: {other:?}"),
        };
        let both = [removed()[0].clone(), later[0].clone()];
        assert_eq!(written(&context()), list_text(&both, Some("Ask.")));
        let told = Context {
            missing_module_message: Some("New.".into()),
            ..context()
        };
        assert_eq!(written(&told), list_text(&both, Some("New.")));
    }

    /// Runs `code` with `python3` and returns its stdout.
    fn python(code: &str) -> String {
        let out = std::process::Command::new("python3")
            .args(["-c", code])
            .env("PYTHONIOENCODING", "utf-8")
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    #[test]
    fn cpython_3_15s_module_holds_the_messages_python_reads() {
        let message = Some("Ask root: 'apt install python3-tk' \\ é\u{1b}");
        let fresh = missing_stdlib_info(None, &removed(), message);
        let existing = "_MISSING_STDLIB_MODULE_MESSAGES = {\n    '_winapi': 'Windows only',\n}";
        let merged = missing_stdlib_info(Some(existing), &removed(), message);
        let expected = |name: &str, step| error_message(name, step, message);
        for (text, own) in [(&fresh, false), (&merged, true)] {
            let code = format!(
                "ns = {{}}\nexec(compile({}, 'f', 'exec'), ns)\nfor k, v in ns['_MISSING_STDLIB_MODULE_MESSAGES'].items(): print(k + '\\t' + v)",
                python_str(text)
            );
            let got: std::collections::BTreeMap<String, String> = python(&code)
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let mut want = std::collections::BTreeMap::from([
                (
                    "idlelib".to_owned(),
                    expected("idlelib", StepName::ExcludeIdleTk),
                ),
                (
                    "unittest.test".to_owned(),
                    expected("unittest.test", StepName::ExcludeTests),
                ),
            ]);
            if own {
                want.insert("_winapi".to_owned(), "Windows only".to_owned());
            }
            assert_eq!(got, want);
        }
        assert!(error_message("tkinter", StepName::ExcludeIdleTk, None).ends_with(DEFAULT_HOW));
    }
}
