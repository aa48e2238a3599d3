//! Whether a module reaches files through `__file__` — `os.path.dirname(__file__)`,
//! `Path(__file__).parent`, `open(__file__)` and the like — which breaks when
//! the module is imported from a zip (its `__file__` then points inside the archive).

use ruff_python_ast::visitor::{Visitor, walk_expr};
use ruff_python_ast::{Expr, Stmt};

/// Calls that turn a path into a directory or a file to open.
const PATH_CALLS: &[&str] = &[
    "dirname", "abspath", "realpath", "split", "join", "open", "Path", "PurePath", "normpath",
    "exists", "isfile", "isdir", "listdir",
];

/// `Some(true)` when the source uses `__file__` as (part of) a path it opens or walks;
/// `None` when it cannot be analysed (then treat it as unsafe to zip).
pub fn uses_file_relative_paths(source: &[u8]) -> Option<bool> {
    let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
    let text = std::str::from_utf8(source).ok()?;
    if !text.contains("__file__") {
        return Some(false);
    }
    let parsed = ruff_python_parser::parse_module(text).ok()?;
    let mut finder = Finder { found: false };
    for stmt in &parsed.syntax().body {
        finder.visit_stmt(stmt);
    }
    Some(finder.found)
}

struct Finder {
    found: bool,
}

fn callee_name(func: &Expr) -> Option<&str> {
    match func {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

fn mentions_file(expr: &Expr) -> bool {
    struct Mention(bool);
    impl<'a> Visitor<'a> for Mention {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if matches!(expr, Expr::Name(name) if name.id.as_str() == "__file__") {
                self.0 = true;
            }
            walk_expr(self, expr);
        }
    }
    let mut mention = Mention(false);
    mention.visit_expr(expr);
    mention.0
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        ruff_python_ast::visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && callee_name(&call.func).is_some_and(|name| PATH_CALLS.contains(&name))
            && call.arguments.args.iter().any(mentions_file)
        {
            self.found = true;
        }
        walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_paths_built_from_file() {
        let check = |s: &str| uses_file_relative_paths(s.as_bytes());
        assert_eq!(
            check("import os\nhere = os.path.dirname(__file__)\n"),
            Some(true)
        );
        assert_eq!(
            check("import os\np = os.path.dirname(os.path.realpath(__file__))\n"),
            Some(true)
        );
        assert_eq!(
            check("from pathlib import Path\nd = Path(__file__).parent / 'x'\n"),
            Some(true)
        );
        assert_eq!(check("with open(__file__) as f: pass\n"), Some(true));
        // Mentioning __file__ otherwise is fine in a zip.
        assert_eq!(check("print(__file__)\nname = __file__\n"), Some(false));
        assert_eq!(check("x = 1\n"), Some(false));
        assert_eq!(check("def f(:\n    __file__"), None);
    }
}
