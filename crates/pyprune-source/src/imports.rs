//! Which modules a source file imports, read from its syntax tree (ruff's
//! parser): every `import` and `from ... import` statement wherever it is (in
//! functions, `try`, `if` blocks: conditional imports count), and
//! `__import__("x")` / `importlib.import_module("x")` calls with a literal
//! name. An import in the body of a `try` that catches `ImportError` (or
//! `ModuleNotFoundError`) is marked optional: the module is written to do
//! without it; so is an import of `x` under `if 'x' in sys.modules:` (it
//! runs only where `x` was loaded already: numpy.distutils and setuptools).
//! An import in a function body is marked lazy, one under an `if` on
//! `TYPE_CHECKING` or the platform conditional, a literal `__import__` /
//! `import_module` call dynamic (`pyprune deps` shows these edge kinds).
//! Relative imports are kept as written (their level and
//! module); the caller, which knows the file's module name, resolves them.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{ExceptHandler, Expr, Stmt};

/// One import as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRef {
    /// 0 for an absolute import, else the number of leading dots.
    pub level: u32,
    /// The module named (`a.b` in `import a.b` or `from a.b import c`);
    /// `None` for `from . import c`.
    pub module: Option<String>,
    /// The names of a `from` import, which may be submodules (`c` in
    /// `from a.b import c`); empty for `import a.b` and `from a import *`.
    pub names: Vec<String>,
    /// In the body of a `try` whose handlers catch `ImportError` or
    /// `ModuleNotFoundError` (not in a function defined there).
    pub optional: bool,
    /// Inside a function body: runs when the function is called, not when
    /// the module is imported.
    pub lazy: bool,
    /// Under an `if` whose test names `TYPE_CHECKING` (never true at run
    /// time) or the platform (`sys.platform`, `os.name`, `sys.version_info`,
    /// `platform.system()`): it runs only where the test holds.
    pub conditional: bool,
    /// A call of `__import__` or `importlib.import_module` with a literal name.
    pub dynamic: bool,
}

impl ImportRef {
    /// The absolute modules this import may load, the package chain included
    /// (`a`, `a.b`, `a.b.c` for `from a.b import c`), for a file whose module
    /// is `module` (`is_package`: the file is its `__init__`). `None` when a
    /// relative import climbs above the top-level package.
    pub fn resolve(&self, module: &str, is_package: bool) -> Option<Vec<String>> {
        let (parents, base, named) = self.resolve_split(module, is_package)?;
        Some(parents.into_iter().chain([base]).chain(named).collect())
    }

    /// [`resolve`](Self::resolve) split in three: the package chain above
    /// the module the import names (`a` for `from a.b import c`), that module
    /// (`a.b`), and the names imported from it as modules (`a.b.c`, which may
    /// be an attribute instead).
    pub fn resolve_split(
        &self,
        module: &str,
        is_package: bool,
    ) -> Option<(Vec<String>, String, Vec<String>)> {
        let base = if self.level == 0 {
            self.module.clone().unwrap_or_default()
        } else {
            let mut parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
            if !is_package {
                parts.pop()?;
            }
            for _ in 1..self.level {
                parts.pop()?;
            }
            if parts.is_empty() {
                return None;
            }
            let mut base = parts.join(".");
            if let Some(rest) = &self.module {
                base.push('.');
                base.push_str(rest);
            }
            base
        };
        if base.is_empty() {
            return None;
        }
        let mut parents = chain(&base);
        parents.pop();
        let named = self
            .names
            .iter()
            .filter(|n| n.as_str() != "*")
            .map(|n| format!("{base}.{n}"))
            .collect();
        Some((parents, base, named))
    }
}

/// `a`, `a.b`, `a.b.c` for `a.b.c`.
pub fn chain(name: &str) -> Vec<String> {
    name.match_indices('.')
        .map(|(at, _)| name[..at].to_owned())
        .chain(std::iter::once(name.to_owned()))
        .collect()
}

/// The imports of a source file's bytes; `None` when it cannot be analysed
/// here (not UTF-8 nor in a declared one-byte encoding such as latin-1 or
/// cp1252, a syntax error): then its imports are unknown.
pub fn imports_of(source: &[u8]) -> Option<Vec<ImportRef>> {
    source_imports(source).map(|s| s.imports)
}

/// What a source imports: its imports, and the calls that import a name
/// computed at run time (which no static reading resolves).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceImports {
    pub imports: Vec<ImportRef>,
    pub computed: Vec<crate::computed::ComputedImport>,
}

/// [`imports_of`] with the computed imports too.
pub fn source_imports(source: &[u8]) -> Option<SourceImports> {
    let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
    let text: std::borrow::Cow<'_, str> = if crate::levels::declares_other_encoding(source) {
        // Import statements are ASCII: in an ASCII-compatible one-byte encoding
        // each byte read as latin-1 keeps the syntax (only strings and comments differ).
        let name = crate::levels::declared_encoding(source)?;
        let one_byte = ["latin", "iso-8859", "iso8859", "cp125", "windows-125", "l1"]
            .iter()
            .any(|p| name.starts_with(p))
            || matches!(name.as_str(), "ascii" | "us-ascii");
        if !one_byte {
            return None;
        }
        source
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into()
    } else {
        std::str::from_utf8(source).ok()?.into()
    };
    let parsed = ruff_python_parser::parse_module(&text).ok()?;
    let mut finder = Finder {
        found: Vec::new(),
        computed: Vec::new(),
        optional: false,
        loaded_only: Vec::new(),
        lazy: false,
        conditional: false,
    };
    for stmt in &parsed.syntax().body {
        finder.visit_stmt(stmt);
    }
    let computed = finder
        .computed
        .into_iter()
        .map(|(range, prefix)| crate::computed::described(&text, range, prefix))
        .collect();
    Some(SourceImports {
        imports: finder.found,
        computed,
    })
}

struct Finder {
    found: Vec<ImportRef>,
    /// Calls importing a computed name: where, and the literal start of the name.
    computed: Vec<(ruff_text_size::TextRange, Option<String>)>,
    /// Inside the body of a `try` that catches `ImportError`.
    optional: bool,
    /// Inside `if 'NAME' in sys.modules:` blocks: these NAMEs.
    loaded_only: Vec<String>,
    /// Inside a function body.
    lazy: bool,
    /// Inside a branch of an `if` on `TYPE_CHECKING` or the platform.
    conditional: bool,
}

impl Finder {
    /// Whether an import of `module` here is optional.
    fn optional_import(&self, module: &str) -> bool {
        self.optional
            || self.loaded_only.iter().any(|name| {
                module == name
                    || module
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
    }
}

/// `NAME` of a test `'NAME' in sys.modules`.
fn sys_modules_guard(test: &Expr) -> Option<String> {
    let Expr::Compare(compare) = test else {
        return None;
    };
    let (Expr::StringLiteral(name), [ruff_python_ast::CmpOp::In], [Expr::Attribute(attr)]) =
        (compare.left.as_ref(), &*compare.ops, &*compare.comparators)
    else {
        return None;
    };
    let is_sys = matches!(attr.value.as_ref(), Expr::Name(n) if n.id.as_str() == "sys");
    (is_sys && attr.attr.as_str() == "modules").then(|| name.value.to_str().to_owned())
}

/// Whether an `if` test asks about `TYPE_CHECKING` or the platform: names
/// `TYPE_CHECKING`, `sys.platform`, `os.name`, `sys.version_info`,
/// `sys.implementation` or calls `platform.system()` anywhere in it.
fn is_condition_on_platform(test: &Expr) -> bool {
    struct Asks(bool);
    impl<'a> Visitor<'a> for Asks {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) if name.id.as_str() == "TYPE_CHECKING" => self.0 = true,
                Expr::Attribute(attr) => {
                    let on = |module: &str| matches!(attr.value.as_ref(), Expr::Name(n) if n.id.as_str() == module);
                    let field = attr.attr.as_str();
                    if field == "TYPE_CHECKING"
                        || (on("sys")
                            && matches!(field, "platform" | "version_info" | "implementation"))
                        || (on("os") && field == "name")
                        || (on("platform") && matches!(field, "system" | "machine"))
                    {
                        self.0 = true;
                    }
                }
                _ => {}
            }
            walk_expr(self, expr);
        }
    }
    let mut asks = Asks(false);
    asks.visit_expr(test);
    asks.0
}

/// Whether a handler catches `ImportError` or `ModuleNotFoundError` by name.
fn catches_import_error(handler: &ExceptHandler) -> bool {
    let ExceptHandler::ExceptHandler(handler) = handler;
    let names_it = |e: &Expr| matches!(e, Expr::Name(n) if matches!(n.id.as_str(), "ImportError" | "ModuleNotFoundError"));
    match handler.type_.as_deref() {
        Some(Expr::Tuple(tuple)) => tuple.elts.iter().any(names_it),
        Some(other) => names_it(other),
        None => false,
    }
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let optional = self.optional;
        match stmt {
            Stmt::Import(import) => {
                let found: Vec<ImportRef> = import
                    .names
                    .iter()
                    .map(|alias| ImportRef {
                        level: 0,
                        module: Some(alias.name.to_string()),
                        names: Vec::new(),
                        optional: self.optional_import(alias.name.as_str()),
                        lazy: self.lazy,
                        conditional: self.conditional,
                        dynamic: false,
                    })
                    .collect();
                self.found.extend(found);
            }
            Stmt::ImportFrom(from) => self.found.push(ImportRef {
                level: from.level,
                module: from.module.as_ref().map(ToString::to_string),
                names: from.names.iter().map(|a| a.name.to_string()).collect(),
                optional: match (&from.module, from.level) {
                    (Some(module), 0) => self.optional_import(module.as_str()),
                    _ => optional,
                },
                lazy: self.lazy,
                conditional: self.conditional,
                dynamic: false,
            }),
            Stmt::If(if_stmt) if !self.conditional && is_condition_on_platform(&if_stmt.test) => {
                // Every branch (`else` too) holds only on some platforms.
                self.conditional = true;
                walk_stmt(self, stmt);
                self.conditional = false;
                return;
            }
            Stmt::If(if_stmt) => {
                if let Some(name) = sys_modules_guard(&if_stmt.test) {
                    self.loaded_only.push(name);
                    for inner in &if_stmt.body {
                        self.visit_stmt(inner);
                    }
                    self.loaded_only.pop();
                    for clause in &if_stmt.elif_else_clauses {
                        self.visit_elif_else_clause(clause);
                    }
                    return;
                }
            }
            Stmt::Try(try_stmt) => {
                self.optional = optional || try_stmt.handlers.iter().any(catches_import_error);
                for inner in &try_stmt.body {
                    self.visit_stmt(inner);
                }
                self.optional = optional;
                for handler in &try_stmt.handlers {
                    self.visit_except_handler(handler);
                }
                for inner in try_stmt.orelse.iter().chain(&try_stmt.finalbody) {
                    self.visit_stmt(inner);
                }
                return;
            }
            // A function defined under a `try` runs later, unguarded.
            Stmt::FunctionDef(function) => {
                self.optional = false;
                // Decorators, defaults and annotations run now; the body later.
                let lazy = self.lazy;
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameters(&function.parameters);
                if let Some(returns) = &function.returns {
                    self.visit_annotation(returns);
                }
                self.lazy = true;
                self.visit_body(&function.body);
                self.lazy = lazy;
                self.optional = optional;
                return;
            }
            _ => {}
        }
        walk_stmt(self, stmt);
        self.optional = optional;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            let function = match call.func.as_ref() {
                Expr::Name(name) => Some(name.id.as_str()),
                Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
                _ => None,
            };
            if matches!(function, Some("__import__" | "import_module"))
                && let Some(argument) = call.arguments.args.first()
                && !matches!(argument, Expr::StringLiteral(_))
            {
                self.computed
                    .push((expr_range(expr), crate::computed::literal_start(argument)));
            }
            if matches!(function, Some("__import__" | "import_module"))
                && let Some(Expr::StringLiteral(literal)) = call.arguments.args.first()
            {
                let name = literal.value.to_str();
                if !name.is_empty() && !name.starts_with('.') {
                    self.found.push(ImportRef {
                        level: 0,
                        module: Some(name.to_owned()),
                        names: Vec::new(),
                        optional: self.optional_import(name),
                        lazy: self.lazy,
                        conditional: self.conditional,
                        dynamic: true,
                    });
                }
            }
        }
        walk_expr(self, expr);
    }
}

/// Where `expr` is in the source.
fn expr_range(expr: &Expr) -> ruff_text_size::TextRange {
    use ruff_text_size::Ranged as _;
    expr.range()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(source: &str, module: &str, is_package: bool) -> Vec<String> {
        let mut all: Vec<String> = imports_of(source.as_bytes())
            .expect("parsed")
            .iter()
            .filter_map(|i| i.resolve(module, is_package))
            .flatten()
            .collect();
        all.sort();
        all.dedup();
        all
    }

    #[test]
    fn absolute_imports_name_their_package_chain() {
        assert_eq!(
            resolved("import os, xml.dom.minidom as md\n", "m", false),
            ["os", "xml", "xml.dom", "xml.dom.minidom"]
        );
    }

    #[test]
    fn from_imports_may_name_submodules() {
        assert_eq!(
            resolved("from email import utils, message as m\n", "m", false),
            ["email", "email.message", "email.utils"]
        );
        // A star import names no submodule.
        assert_eq!(
            resolved("from os.path import *\n", "m", false),
            ["os", "os.path"]
        );
    }

    #[test]
    fn relative_imports_resolve_from_the_files_package() {
        let source = "from . import charset\nfrom .errors import X\nfrom .. import mime\n";
        // `X` may be a submodule as far as the syntax says: it counts.
        assert_eq!(
            resolved(source, "email.mime.text", false),
            [
                "email",
                "email.mime",
                "email.mime.charset",
                "email.mime.errors",
                "email.mime.errors.X"
            ]
        );
    }

    #[test]
    fn relative_imports_in_a_package_init_start_at_the_package() {
        assert_eq!(
            resolved("from .encoder import E\n", "json", true),
            ["json", "json.encoder", "json.encoder.E"]
        );
        // Above the top-level package: nothing.
        assert!(resolved("from .. import x\n", "json", true).is_empty());
        assert!(resolved("from . import x\n", "top", false).is_empty());
    }

    #[test]
    fn conditional_and_nested_imports_count() {
        let source = "\
try:
    import _json
except ImportError:
    _json = None
if sys.platform == 'win32':
    import nt
def f():
    import uu
    class C:
        def g(self):
            from imghdr import what
";
        assert_eq!(
            resolved(source, "m", false),
            ["_json", "imghdr", "imghdr.what", "nt", "uu"]
        );
    }

    /// Each import of `source` by its module, and whether it is optional.
    fn optional_of(source: &str) -> Vec<(String, bool)> {
        imports_of(source.as_bytes())
            .expect("parsed")
            .into_iter()
            .map(|i| (i.module.expect("named"), i.optional))
            .collect()
    }

    #[test]
    fn imports_of_a_module_already_loaded_only_are_optional() {
        let source = "\
import sys
if 'setuptools' in sys.modules:
    from setuptools import setup
    from setuptools.command import egg_info
    import numpy
elif x:
    import setuptools
if 'a' in sys.modules and y:
    import a
";
        let optional = optional_of(source);
        let expected = [
            ("sys", false),
            ("setuptools", true),
            ("setuptools.command", true),
            ("numpy", false),
            ("setuptools", false),
            ("a", false),
        ];
        assert_eq!(optional, expected.map(|(m, o)| (m.to_owned(), o)));
    }

    #[test]
    fn imports_a_try_catches_the_failure_of_are_optional() {
        let source = "\
try:
    import pydoc_data.topics
    def later():
        import uu
except ImportError:
    import fallback
try:
    import a
except (ValueError, ModuleNotFoundError):
    pass
try:
    import b
except Exception:
    pass
import c
";
        let optional = optional_of(source);
        let expected = [
            ("pydoc_data.topics", true),
            ("uu", false),
            ("fallback", false),
            ("a", true),
            ("b", false),
            ("c", false),
        ]
        .map(|(m, o)| (m.to_owned(), o));
        assert_eq!(optional, expected);
    }

    #[test]
    fn literal_dynamic_imports_count() {
        let source = "m = __import__('audioop')\nimportlib.import_module('sndhdr')\nimport_module(name)\n__import__('.x')\n";
        assert_eq!(resolved(source, "m", false), ["audioop", "sndhdr"]);
    }

    /// Each import of `source` by its module, with its (lazy, conditional, dynamic) marks.
    fn marks_of(source: &str) -> Vec<(String, bool, bool, bool)> {
        imports_of(source.as_bytes())
            .expect("parsed")
            .into_iter()
            .map(|i| (i.module.expect("named"), i.lazy, i.conditional, i.dynamic))
            .collect()
    }

    #[test]
    fn imports_in_functions_are_lazy_and_guarded_ones_conditional() {
        let source = "\
import a
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import b
if sys.platform == 'win32':
    import c
elif os.name == 'nt':
    import d
else:
    import e
@deco(__import__('f'))
def fn(x=importlib.import_module('g')):
    import h
    if typing.TYPE_CHECKING:
        import i
class C:
    def m(self):
        __import__('j')
if x:
    import k
import l
";
        let expected = [
            ("a", false, false, false),
            ("typing", false, false, false),
            ("b", false, true, false),
            ("c", false, true, false),
            ("d", false, true, false),
            ("e", false, true, false),
            ("f", false, false, true),
            ("g", false, false, true),
            ("h", true, false, false),
            ("i", true, true, false),
            ("j", true, false, true),
            ("k", false, false, false),
            ("l", false, false, false),
        ]
        .map(|(m, l, c, d)| (m.to_owned(), l, c, d));
        assert_eq!(marks_of(source), expected);
    }

    #[test]
    fn unreadable_sources_have_unknown_imports() {
        assert_eq!(imports_of(b"import (\n"), None);
        assert_eq!(
            imports_of(b"# -*- coding: shift_jis -*-\nimport os\n"),
            None
        );
        // One-byte encodings read as latin-1: the imports are ASCII.
        let cp1252 = b"#!/usr/bin/env python3\n# -*- coding: cp1252 -*-\n# \x93q\x94\nfrom turtle import *\n";
        assert_eq!(
            imports_of(cp1252).map(|i| i.into_iter().map(|i| i.module).collect::<Vec<_>>()),
            Some(vec![Some("turtle".to_owned())])
        );
        assert_eq!(imports_of(b"\xff\xfe"), None);
        assert_eq!(
            imports_of(b"\xef\xbb\xbfimport os\n").map(|i| i.len()),
            Some(1)
        );
    }
}
