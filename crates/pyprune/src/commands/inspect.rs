//! `pyprune inspect FILE...`: what each .pyc is, as text or JSON.

use crate::Outcome;
use crate::cli::{GlobalArgs, InspectArgs};
use crate::printer::Printer;
use pyprune_fs::{display_path, display_text};
use pyprune_pyc::{CodeKind, FileReport, Freshness, Invalidation, check_file};
use serde::Serialize;
use std::fmt::Write as _;

/// One entry of `inspect --format json`: the report, or the error, for one file.
#[derive(Debug, Serialize)]
struct Entry {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    report: Option<FileReport>,
}

pub fn run(args: &InspectArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let mut entries = Vec::new();
    for path in &args.files {
        let shown = display_path(path);
        match check_file(path) {
            Ok(report) => entries.push(Entry {
                path: shown,
                error: None,
                report: Some(report),
            }),
            Err(err) => {
                printer.warn(&format!("{shown}: {err}"));
                entries.push(Entry {
                    path: shown,
                    error: Some(err.to_string()),
                    report: None,
                });
            }
        }
    }

    super::write_report(global.format, &entries, |entries| {
        entries
            .iter()
            .map(|entry| match &entry.report {
                Some(report) => render(&entry.path, report, args.objects),
                None => format!(
                    "{}\n  error: {}\n",
                    entry.path,
                    entry.error.as_deref().unwrap_or_default()
                ),
            })
            .collect()
    })?;
    let failed = entries.iter().any(|e| e.error.is_some());
    Ok(if failed {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn render(path: &str, report: &FileReport, list_objects: bool) -> String {
    let header = &report.pyc.header;
    let magic = &header.magic;
    let mut out = format!("{path}\n");
    let release = if magic.is_final {
        String::new()
    } else {
        " pre-release".to_owned()
    };
    let _ = writeln!(
        out,
        "  written by    CPython {}{release} (magic {})",
        magic.version, magic.number
    );
    if let Some(tag) = &report.context.cache_tag {
        let agreement = match report.context.tag_agrees {
            Some(false) => format!(
                " (disagrees with the magic number, which says {})",
                magic.version.cache_tag()
            ),
            _ => String::new(),
        };
        let _ = writeln!(out, "  cache tag     {tag}{agreement}");
    }
    let invalidation = match header.invalidation {
        Invalidation::Timestamp {
            mtime,
            source_size: Some(size),
        } => {
            format!("timestamp (source mtime {mtime}, size {size})")
        }
        Invalidation::Timestamp {
            mtime,
            source_size: None,
        } => format!("timestamp (source mtime {mtime})"),
        Invalidation::CheckedHash { hash } => format!("checked hash ({})", hex(&hash)),
        Invalidation::UncheckedHash { hash } => format!("unchecked hash ({})", hex(&hash)),
    };
    let _ = writeln!(out, "  invalidation  {invalidation}");
    let source = report.context.source.as_deref().map(display_path);
    let freshness = match (&report.context.freshness, &source) {
        (Freshness::Fresh, Some(source)) => format!("{source}: fresh, import uses this cache"),
        (Freshness::Stale { reason }, Some(source)) => {
            format!("{source}: stale ({reason}), import recompiles")
        }
        (Freshness::Unchecked { matches }, Some(source)) => format!(
            "{source}: not checked by import; the hash {} the source",
            if *matches {
                "matches"
            } else {
                "does not match"
            }
        ),
        (Freshness::NotChecked { reason }, _) => format!("not checked: {reason}"),
        (Freshness::NoSource, Some(source)) => format!("{source}: missing"),
        _ => "none (sourceless bytecode)".to_owned(),
    };
    let _ = writeln!(out, "  source        {freshness}");
    let code = &report.pyc.code;
    let _ = writeln!(out, "  compiled as   {}", display_text(&code.filename));
    let count = |kind: CodeKind| code.objects.iter().filter(|o| o.kind == kind).count();
    let documented = |kind: CodeKind| {
        code.objects
            .iter()
            .filter(|o| o.kind == kind && o.has_docstring)
            .count()
    };
    let _ = writeln!(
        out,
        "  contents      module docstring {}; {} functions ({} documented), {} classes ({} documented), {} lambdas and comprehensions",
        if code.module_docstring() {
            "kept"
        } else {
            "absent"
        },
        count(CodeKind::Function),
        documented(CodeKind::Function),
        count(CodeKind::Class),
        documented(CodeKind::Class),
        count(CodeKind::Anonymous),
    );
    if list_objects {
        for object in &code.objects {
            let doc = if object.has_docstring {
                "  (docstring)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    line {:>5}  {:<8} {}{doc}",
                object.first_line,
                kind_name(object.kind),
                display_text(&object.qualname)
            );
        }
    }
    out
}

fn kind_name(kind: CodeKind) -> &'static str {
    match kind {
        CodeKind::Module => "module",
        CodeKind::Class => "class",
        CodeKind::Function => "function",
        CodeKind::Anonymous => "anon",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
