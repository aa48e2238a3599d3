//! Imports of a name computed at run time (`__import__(name)`,
//! `importlib.import_module("encodings." + codec)`): no static reading
//! resolves them, so they are reported by file and line; one whose name
//! starts with a literal (`"encodings." + codec`, `f"plugins.{name}"`) at
//! least says which package's modules it may load.

use ruff_python_ast::{Expr, InterpolatedStringElement, Operator};
use ruff_text_size::TextRange;

/// A call importing a computed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedImport {
    /// Its line in the source (1 for the first).
    pub line: usize,
    /// The literal start of the name (`encodings.`), when it has one.
    pub prefix: Option<String>,
    /// The call as written, on one line, cut to 80 characters.
    pub call: String,
}

/// The literal start of an import's name argument: `'a.' + x`, `f'a.{x}'`.
pub(crate) fn literal_start(argument: &Expr) -> Option<String> {
    let prefix = match argument {
        Expr::BinOp(binop) if binop.op == Operator::Add => match binop.left.as_ref() {
            Expr::StringLiteral(literal) => literal.value.to_str().to_owned(),
            inner => literal_start(inner)?,
        },
        Expr::FString(fstring) => {
            // The literal text before the first replacement field.
            let mut prefix = String::new();
            for part in fstring.value.elements() {
                match part {
                    InterpolatedStringElement::Literal(literal) => prefix.push_str(&literal.value),
                    InterpolatedStringElement::Interpolation(_) => break,
                }
            }
            prefix
        }
        _ => return None,
    };
    (!prefix.is_empty() && !prefix.starts_with('.')).then_some(prefix)
}

/// The call at `range` of `text`, described.
pub(crate) fn described(text: &str, range: TextRange, prefix: Option<String>) -> ComputedImport {
    let start = range.start().to_usize().min(text.len());
    let end = range.end().to_usize().clamp(start, text.len());
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let mut call: String = text
        .get(start..end)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if call.chars().count() > 80 {
        call = call.chars().take(77).collect::<String>() + "...";
    }
    ComputedImport { line, prefix, call }
}

#[cfg(test)]
mod tests {
    use crate::source_imports;

    fn computed(source: &str) -> Vec<(usize, Option<String>, String)> {
        source_imports(source.as_bytes())
            .expect("parsed")
            .computed
            .into_iter()
            .map(|c| (c.line, c.prefix, c.call))
            .collect()
    }

    #[test]
    fn computed_names_are_found_with_their_line_and_literal_start() {
        let source = "\
import importlib
x = __import__('json')
mod = importlib.import_module(name)
def f(codec):
    return __import__('encodings.' + codec, fromlist=['*'])
plugin = import_module(f'app.plugins.{kind}')
g = __import__(prefix + 'x')
h = __import__('.' + rel)
";
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            computed(source),
            [
                (3, None, "importlib.import_module(name)".to_owned()),
                (
                    5,
                    some("encodings."),
                    "__import__('encodings.' + codec, fromlist=['*'])".to_owned()
                ),
                (
                    6,
                    some("app.plugins."),
                    "import_module(f'app.plugins.{kind}')".to_owned()
                ),
                (7, None, "__import__(prefix + 'x')".to_owned()),
                (8, None, "__import__('.' + rel)".to_owned()),
            ]
        );
        // A literal name is an import, not a computed one.
        assert!(computed("__import__('uu')\n").is_empty());
    }
}
