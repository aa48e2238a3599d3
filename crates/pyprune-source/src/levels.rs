//! What optimization levels change in one module, read from its syntax tree
//! (ruff's parser): asserts, `__debug__`, docstrings.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, Stmt};

/// The parts of a module that optimization levels treat differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptimizationProfile {
    /// An `assert` statement or a use of `__debug__` anywhere: level 1 differs from 0.
    pub asserts_or_debug: bool,
    /// A module, class or function docstring: level 2 differs from 1.
    pub docstrings: bool,
}

impl OptimizationProfile {
    /// Analyses a source file's bytes; `None` when it cannot be analysed here
    /// (not UTF-8, say a latin-1 coding declaration, or a syntax error): then
    /// every level must be compiled.
    pub fn of(source: &[u8]) -> Option<OptimizationProfile> {
        let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
        // With another encoding declared, the bytes read as UTF-8 are not what Python
        // compiles (`unicode_escape` can turn a comment into code): analyse nothing.
        if declares_other_encoding(source) {
            return None;
        }
        let text = std::str::from_utf8(source).ok()?;
        let parsed = ruff_python_parser::parse_module(text).ok()?;
        let body = &parsed.syntax().body;
        let mut finder = Finder {
            profile: OptimizationProfile::default(),
        };
        finder.profile.docstrings = has_docstring(body);
        for stmt in body {
            finder.visit_stmt(stmt);
        }
        Some(finder.profile)
    }

    /// Whether compiling at `level` gives the same code as at `level - 1`.
    pub fn same_as_previous_level(&self, level: u8) -> bool {
        match level {
            1 => !self.asserts_or_debug,
            2 => !self.docstrings,
            _ => false,
        }
    }
}

/// A PEP 263 declaration (`coding[:=] NAME` in a comment on line 1 or 2) of anything but UTF-8.
pub(crate) fn declares_other_encoding(source: &[u8]) -> bool {
    declared_encoding(source)
        .is_some_and(|name| !matches!(name.as_str(), "utf-8" | "utf8" | "utf-8-sig"))
}

/// The encoding a PEP 263 declaration names, lowercase with `-` for `_`.
pub(crate) fn declared_encoding(source: &[u8]) -> Option<String> {
    source.split(|&b| b == b'\n').take(2).find_map(|line| {
        let text = String::from_utf8_lossy(line);
        let comment = text.trim_start().strip_prefix('#')?;
        let at = comment.find("coding")?;
        let rest = &comment[at + "coding".len()..];
        let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect::<String>()
            .to_ascii_lowercase()
            .replace('_', "-");
        (!name.is_empty()).then_some(name)
    })
}

struct Finder {
    profile: OptimizationProfile,
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Assert(_) => self.profile.asserts_or_debug = true,
            Stmt::FunctionDef(def) if has_docstring(&def.body) => self.profile.docstrings = true,
            Stmt::ClassDef(class) if has_docstring(&class.body) => self.profile.docstrings = true,
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(name) = expr
            && name.id.as_str() == "__debug__"
        {
            self.profile.asserts_or_debug = true;
        }
        walk_expr(self, expr);
    }
}

/// A body whose first statement is a plain string literal (implicitly
/// concatenated parts included; not an f-string, not bytes), as CPython's
/// compiler decides what is a docstring.
fn has_docstring(body: &[Stmt]) -> bool {
    matches!(body.first(), Some(Stmt::Expr(stmt)) if matches!(*stmt.value, Expr::StringLiteral(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(source: &str) -> Option<(bool, bool)> {
        OptimizationProfile::of(source.as_bytes()).map(|p| (p.asserts_or_debug, p.docstrings))
    }

    #[test]
    fn finds_what_levels_change() {
        // The four cases of the compileall --hardlink-dupes discussion.
        assert_eq!(profile("1\n"), Some((false, false)));
        assert_eq!(profile("assert 1\n"), Some((true, false)));
        assert_eq!(
            profile("\"\"\"Dummy module docstring\"\"\"\n1\n"),
            Some((false, true))
        );
        assert_eq!(
            profile("\"\"\"Dummy module docstring\"\"\"\nassert 1\n"),
            Some((true, true))
        );
        // Nested, `__debug__`, async, implicit concatenation, parentheses.
        assert_eq!(
            profile("class A:\n    def f(self):\n        if __debug__: pass\n"),
            Some((true, false))
        );
        assert_eq!(
            profile("async def f():\n    'doc' 'more'\n"),
            Some((false, true))
        );
        assert_eq!(profile("def f():\n    ('doc')\n"), Some((false, true)));
        // Not docstrings: f-strings, bytes, a string that is not first.
        assert_eq!(profile("def f():\n    f'x{1}'\n"), Some((false, false)));
        assert_eq!(profile("def f():\n    b'x'\n"), Some((false, false)));
        assert_eq!(profile("x = 1\n'late'\n"), Some((false, false)));
        // `x.__debug__` is an attribute, which optimization leaves alone.
        assert_eq!(profile("y = x.__debug__\n"), Some((false, false)));
    }

    #[test]
    fn other_encodings_are_not_analysed() {
        assert_eq!(
            OptimizationProfile::of(b"# -*- coding: unicode_escape -*-\n# \\nassert 1\n"),
            None
        );
        assert_eq!(
            OptimizationProfile::of(
                b"#!/usr/bin/python\n# vim: set fileencoding=latin-1 :\nx = 1\n"
            ),
            None
        );
        assert!(OptimizationProfile::of(b"# coding: utf-8\nx = 1\n").is_some());
        assert!(
            OptimizationProfile::of(b"# nothing here\n\n# coding: latin-1\nx = 1\n").is_some(),
            "only lines 1 and 2 count"
        );
    }

    #[test]
    fn what_cannot_be_analysed_is_none() {
        assert_eq!(profile("def f(:\n"), None);
        assert_eq!(
            OptimizationProfile::of(b"# coding: latin-1\nx = '\xe9'\n"),
            None
        );
        assert_eq!(
            OptimizationProfile::of(b"\xef\xbb\xbfx = 1\n").map(|p| p.docstrings),
            Some(false)
        );
    }
}
