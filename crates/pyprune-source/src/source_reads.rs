//! Whether a module reads Python source at run time — its own or its
//! package's — which a sourceless layout (bytecode only) takes away:
//! `inspect.getsource` and its kin, `linecache.getline`, `pkgutil.get_data`
//! of a `.py` file, and `__file__`-relative reads of `.py` files or of the
//! module itself. A static check, like the zip-safety one
//! ([`uses_file_relative_paths`](crate::uses_file_relative_paths)): it errs
//! towards finding a read.

use ruff_python_ast::visitor::{Visitor, walk_expr};
use ruff_python_ast::{Expr, Stmt};

/// `inspect`'s functions that read a module's source.
const INSPECT_SOURCE: &[&str] = &["getsource", "getsourcelines", "findsource", "getcomments"];

/// `linecache`'s functions that read a file's lines.
const LINECACHE: &[&str] = &["getline", "getlines", "updatecache"];

/// Calls that read a file (or a resource) named by their arguments or receiver.
const READS: &[&str] = &[
    "open",
    "read_text",
    "read_bytes",
    "open_text",
    "open_binary",
    "read_binary",
    "get_data",
    "get_source",
];

/// What a source that cannot be analysed (not UTF-8, a syntax error) is taken to do.
pub const UNANALYSED: &str = "cannot be analysed, so may read it";

/// What made a source count as reading Python source, for a report; `None`
/// when it reads none. A source that cannot be analysed counts ([`UNANALYSED`]).
pub fn reads_python_source(source: &[u8]) -> Option<&'static str> {
    let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
    let Ok(text) = std::str::from_utf8(source) else {
        return Some(UNANALYSED);
    };
    // Cheap refusal first: none of the names the checks look for.
    let words = [
        "getsource",
        "findsource",
        "getcomments",
        "linecache",
        "getline",
        "updatecache",
        "get_data",
        "get_source",
        "__file__",
    ];
    if !words.iter().any(|w| text.contains(w)) {
        return None;
    }
    let Ok(parsed) = ruff_python_parser::parse_module(text) else {
        return Some(UNANALYSED);
    };
    let mut finder = Finder { found: None };
    for stmt in &parsed.syntax().body {
        finder.visit_stmt(stmt);
    }
    finder.found
}

struct Finder {
    found: Option<&'static str>,
}

/// The called name (`f` of `f()` and `x.f()`), and the receiver's name if a plain name.
fn callee(func: &Expr) -> Option<(&str, Option<&str>)> {
    match func {
        Expr::Name(name) => Some((name.id.as_str(), None)),
        Expr::Attribute(attribute) => Some((
            attribute.attr.as_str(),
            match &*attribute.value {
                Expr::Name(name) => Some(name.id.as_str()),
                _ => None,
            },
        )),
        _ => None,
    }
}

/// Whether `expr` mentions `__file__`, or a string literal ending in `.py`.
fn mentions(expr: &Expr) -> (bool, bool) {
    struct Mention(bool, bool);
    impl<'a> Visitor<'a> for Mention {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(name) if name.id.as_str() == "__file__" => self.0 = true,
                Expr::StringLiteral(literal) if literal.value.to_str().ends_with(".py") => {
                    self.1 = true;
                }
                _ => {}
            }
            walk_expr(self, expr);
        }
    }
    let mut mention = Mention(false, false);
    mention.visit_expr(expr);
    (mention.0, mention.1)
}

impl Finder {
    fn judge(&self, expr: &Expr) -> Option<&'static str> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let (name, receiver) = callee(&call.func)?;
        if INSPECT_SOURCE.contains(&name) && matches!(receiver, None | Some("inspect")) {
            return Some("calls inspect.getsource (or its kin)");
        }
        if LINECACHE.contains(&name) && matches!(receiver, None | Some("linecache")) {
            return Some("reads source lines through linecache");
        }
        if !READS.contains(&name) {
            return None;
        }
        // Arguments, and the receiver of a method (`Path(__file__).read_text()`).
        let mut file = false;
        let mut py = false;
        let receiver_expr = match &*call.func {
            Expr::Attribute(attribute) => Some(&*attribute.value),
            _ => None,
        };
        for arg in call.arguments.args.iter().chain(receiver_expr) {
            let (f, p) = mentions(arg);
            file |= f;
            py |= p;
        }
        match (name, file, py) {
            ("get_source", _, _) => Some("asks a loader for source (get_source)"),
            ("get_data", _, true) => Some("reads a .py file with get_data"),
            (_, true, true) => Some("reads a .py file next to its __file__"),
            // `open(__file__)`: the module reads itself.
            (_, true, false) if call.arguments.args.len() <= 2 && receiver_expr.is_none() => {
                call.arguments.args.first().and_then(|first| {
                    matches!(first, Expr::Name(n) if n.id.as_str() == "__file__")
                        .then_some("reads its own __file__")
                })
            }
            _ => None,
        }
    }
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.found.is_none() {
            ruff_python_ast::visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found.is_none() {
            self.found = self.judge(expr);
            walk_expr(self, expr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str) -> Option<&'static str> {
        reads_python_source(source.as_bytes())
    }

    #[test]
    fn finds_the_reads_of_python_source() {
        for source in [
            "import inspect\ndef f(g):\n    return inspect.getsource(g)\n",
            "from inspect import getsourcelines\ngetsourcelines(f)\n",
            "import linecache\nline = linecache.getline(__file__, 3)\n",
            "import pkgutil\ncode = pkgutil.get_data(__name__, 'template.py')\n",
            "import os\nsrc = open(os.path.join(os.path.dirname(__file__), 'gen.py')).read()\n",
            "from pathlib import Path\ntext = Path(__file__).with_name('x.py').read_text()\n",
            "with open(__file__) as f:\n    me = f.read()\n",
            "def f(loader):\n    return loader.get_source('m')\n",
        ] {
            assert!(check(source).is_some(), "{source}");
        }
    }

    #[test]
    fn what_reads_no_python_source_is_not_flagged() {
        for source in [
            "x = 1\n",
            "import os\nhere = os.path.dirname(__file__)\n",
            "import os\ndata = open(os.path.join(os.path.dirname(__file__), 'table.csv')).read()\n",
            "import pkgutil\nblob = pkgutil.get_data(__name__, 'schema.json')\n",
            "import inspect\nsig = inspect.signature(f)\n",
            "print(__file__)\n",
        ] {
            assert_eq!(check(source), None, "{source}");
        }
        assert_eq!(check("def f(:\n    getsource"), Some(UNANALYSED));
    }
}
