//! What a compiled module contains, from its code objects: the file name it
//! was compiled from, every nested function and class with its qualified name
//! and first line, and where docstrings were kept.

use crate::magic::PythonVersion;
use crate::marshal::{Code, Object};
use serde::Serialize;
use std::rc::Rc;

/// `CO_NEWLOCALS`: set on functions, clear on module and class bodies.
const CO_NEWLOCALS: u32 = 0x2;
/// `CO_HAS_DOCSTRING` (3.14+): the first constant is the docstring.
const CO_HAS_DOCSTRING: u32 = 0x0400_0000;
/// Bounds the walk over the constants, which references could make exponential.
const MAX_CODE_OBJECTS: usize = 100_000;
/// Bounds the qualified names built for pre-3.11 files, which nesting could make huge.
const MAX_QUALNAME: usize = 1024;

/// Names a class body sets before its docstring (`__module__ = __name__`, ...;
/// a PEP 695 generic class also binds its type parameters first).
const CLASS_PRELUDE: [&str; 6] = [
    "__name__",
    "__module__",
    "__qualname__",
    "__firstlineno__",
    ".type_params",
    "__type_params__",
];

/// A module or class docstring is compiled as the body's first statement,
/// `__doc__ = <str constant>` (an explicit `__doc__ = "..."` compiles the same
/// and counts too). So `__doc__` is the first name after the class prelude, and
/// the first constant after the prelude's (a class body's qualified name, and
/// from 3.13 its first line number) is a string.
fn stores_docstring_first(code: &Code, kind: CodeKind) -> bool {
    let first_name = code
        .names
        .items()
        .iter()
        .filter_map(Object::as_str)
        .find(|name| !CLASS_PRELUDE.contains(name));
    if first_name != Some("__doc__") {
        return false;
    }
    let mut consts = code.consts.items().iter();
    if kind == CodeKind::Class {
        // `__qualname__ = '<qualname>'` comes before the docstring.
        let mut skipped_qualname = false;
        let first = consts.find(|c| match c {
            Object::Str(_) if !skipped_qualname => {
                skipped_qualname = true;
                false
            }
            Object::Int(_) => false,
            _ => true,
        });
        return matches!(first, Some(Object::Str(_)));
    }
    matches!(consts.next(), Some(Object::Str(_)))
}

/// The kind and qualified name of the code object a nested one was found in,
/// shared by all its children.
type Parent = (CodeKind, Rc<str>);

/// What a code object is the body of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeKind {
    Module,
    Class,
    Function,
    /// A lambda or comprehension body (`<lambda>`, `<genexpr>`): never has a docstring.
    Anonymous,
}

/// One code object of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeObjectSummary {
    pub kind: CodeKind,
    /// `co_qualname` (3.11+), or computed as the compiler does for older releases.
    pub qualname: String,
    pub first_line: i32,
    pub has_docstring: bool,
}

/// A compiled module's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeSummary {
    /// `co_filename` of the module's code: where it was compiled from.
    pub filename: String,
    /// The module and every code object nested in it, depth first.
    pub objects: Vec<CodeObjectSummary>,
    /// True when the walk stopped at its bound.
    pub truncated: bool,
}

impl CodeSummary {
    /// Summarizes the module code object `top` written by `version`; `None` if it is not code.
    pub fn of(top: &Object, version: PythonVersion) -> Option<CodeSummary> {
        let Object::Code(code) = top else { return None };
        let mut summary = CodeSummary {
            filename: code.filename.as_str().unwrap_or_default().to_owned(),
            objects: Vec::new(),
            truncated: false,
        };
        // Depth first without recursion.
        let mut stack: Vec<(Rc<Code>, Option<Parent>)> = vec![(Rc::clone(code), None)];
        while let Some((code, parent)) = stack.pop() {
            if summary.objects.len() >= MAX_CODE_OBJECTS {
                summary.truncated = true;
                break;
            }
            let name = code.name.as_str().unwrap_or_default();
            let kind = match &parent {
                None => CodeKind::Module,
                Some(_) if name.starts_with('<') => CodeKind::Anonymous,
                Some(_) if code.flags & CO_NEWLOCALS == 0 => CodeKind::Class,
                Some(_) => CodeKind::Function,
            };
            let qualname: String = match (&code.qualname, &parent) {
                (Some(Object::Str(q)), _) => q.to_string(),
                (_, None) => name.to_owned(),
                (_, Some((CodeKind::Module, _))) => name.to_owned(),
                (_, Some((CodeKind::Class, parent))) => format!("{parent}.{name}"),
                (_, Some((_, parent))) => format!("{parent}.<locals>.{name}"),
            };
            let qualname = truncate(qualname, MAX_QUALNAME);
            let has_docstring = match kind {
                CodeKind::Module | CodeKind::Class => stores_docstring_first(&code, kind),
                CodeKind::Function if version >= PythonVersion::new(3, 14) => {
                    code.flags & CO_HAS_DOCSTRING != 0
                }
                // Before 3.14 a function's first constant is its docstring, or None.
                CodeKind::Function => matches!(code.consts.items().first(), Some(Object::Str(_))),
                CodeKind::Anonymous => false,
            };
            let children: Vec<Rc<Code>> = code
                .consts
                .items()
                .iter()
                .filter_map(|c| match c {
                    Object::Code(child) => Some(Rc::clone(child)),
                    _ => None,
                })
                .collect();
            // References let a small file name the same code object millions of times:
            // never hold more pending work than the walk may still do.
            let room = MAX_CODE_OBJECTS.saturating_sub(summary.objects.len() + 1 + stack.len());
            if children.len() > room {
                summary.truncated = true;
            }
            let shared: Rc<str> = Rc::from(qualname.as_str());
            for child in children.into_iter().take(room).rev() {
                stack.push((child, Some((kind, Rc::clone(&shared)))));
            }
            summary.objects.push(CodeObjectSummary {
                kind,
                qualname,
                first_line: code.first_line,
                has_docstring,
            });
        }
        Some(summary)
    }

    /// Whether the module itself has a docstring.
    pub fn module_docstring(&self) -> bool {
        self.objects.first().is_some_and(|o| o.has_docstring)
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
