//! Layers as the user names them: `NAME=SELECTOR`, a selector being a
//! comma-separated union of terms, or of terms joined by `&` (all must
//! match): a file kind, what a removing step would remove, a top-level
//! module, a path prefix, a sourceless layout's sources, or everything; and
//! the default layers distributors split a Python into.

use pyprune_steps::StepName;
use pyprune_tree::Kind;
use std::path::PathBuf;

/// One term of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `all`: every file.
    All,
    /// `kind:KIND`: files of that kind (`source`, `bytecode-opt1`, `extension`, ...).
    Kind(Kind),
    /// `step:ID`: the files that step removes from the tree, as `apply`
    /// would (an exclusion keeps what a kept module imports; the cache steps
    /// keep the caches of what the interpreter imports before pyprune's
    /// runtime loads).
    Step(StepName),
    /// `module:NAME`: the files of a top-level module (`module:json`).
    Module(String),
    /// `path:PREFIX`: files at or under a path relative to the tree root.
    Path(PathBuf),
    /// `pysources`: the sources of a sourceless layout: files under a
    /// `__pysources__` directory, and a `.py` beside sourceless bytecode of its name.
    PySources,
}

/// The steps a `step:` term may name: those that only remove files.
pub fn selectable_steps() -> impl Iterator<Item = StepName> {
    StepName::ALL
        .into_iter()
        .filter(|s| s.info().removes_files_only)
}

/// A union of alternatives, each a conjunction of terms, with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub alternatives: Vec<Vec<Term>>,
    pub text: String,
}

impl Selector {
    /// Every term, wherever it stands.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.alternatives.iter().flatten()
    }

    /// Whether a file matches, `term` saying whether it matches one term.
    pub fn matches(&self, term: impl Fn(&Term) -> bool) -> bool {
        self.alternatives.iter().any(|all| all.iter().all(&term))
    }
}

/// A named layer: the files its selector matches that no earlier layer took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub name: String,
    pub selector: Selector,
}

/// Why a layer or selector was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LayerError {
    #[error("`{0}` is not NAME=SELECTOR")]
    NoSelector(String),
    #[error(
        "layer name `{0}` must be letters, digits, `-`, `_` or `.` (`+` joins layers into installs)"
    )]
    BadName(String),
    #[error("empty selector for layer `{0}`")]
    Empty(String),
    #[error(
        "unknown selector term `{0}`: use all, kind:KIND, step:STEP, module:NAME, path:PREFIX or pysources"
    )]
    UnknownTerm(String),
    #[error("unknown file kind `{0}`: use one of {1}")]
    UnknownKind(String, String),
    #[error("`step:{0}` is not a step that removes files: use one of {1}")]
    UnknownStep(String, String),
    #[error("`path:{0}` must be relative to the tree and stay inside it")]
    BadPath(String),
    #[error("layer `{0}` is named twice")]
    Twice(String),
}

impl Selector {
    /// Parses `term,term&term,...`.
    pub fn parse(text: &str) -> Result<Selector, LayerError> {
        let alternatives = text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|all| all.split('&').map(str::trim).map(parse_term).collect())
            .collect::<Result<Vec<Vec<Term>>, LayerError>>()?;
        if alternatives.is_empty() {
            return Err(LayerError::Empty(text.to_owned()));
        }
        Ok(Selector {
            alternatives,
            text: text.to_owned(),
        })
    }
}

fn parse_term(term: &str) -> Result<Term, LayerError> {
    if term == "all" {
        return Ok(Term::All);
    }
    if term == "pysources" {
        return Ok(Term::PySources);
    }
    let (what, value) = term
        .split_once(':')
        .ok_or_else(|| LayerError::UnknownTerm(term.to_owned()))?;
    match what {
        "kind" => Kind::ALL
            .into_iter()
            .find(|k| k.name() == value)
            .map(Term::Kind)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                LayerError::UnknownKind(value.to_owned(), names.join(", "))
            }),
        "step" => selectable_steps()
            .find(|s| s.info().id == value)
            .map(Term::Step)
            .ok_or_else(|| {
                let ids: Vec<&str> = selectable_steps().map(|s| s.info().id).collect();
                LayerError::UnknownStep(value.to_owned(), ids.join(", "))
            }),
        "module" if !value.is_empty() => Ok(Term::Module(value.to_owned())),
        "path" => {
            let path = PathBuf::from(value);
            let inside = !value.is_empty()
                && path
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if inside {
                Ok(Term::Path(path))
            } else {
                Err(LayerError::BadPath(value.to_owned()))
            }
        }
        _ => Err(LayerError::UnknownTerm(term.to_owned())),
    }
}

impl Layer {
    /// Parses `NAME=SELECTOR`.
    pub fn parse(text: &str) -> Result<Layer, LayerError> {
        let (name, selector) = text
            .split_once('=')
            .ok_or_else(|| LayerError::NoSelector(text.to_owned()))?;
        let name = name.trim();
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(LayerError::BadName(name.to_owned()));
        }
        let selector = Selector::parse(selector).map_err(|error| match error {
            LayerError::Empty(_) => LayerError::Empty(name.to_owned()),
            other => other,
        })?;
        Ok(Layer {
            name: name.to_owned(),
            selector,
        })
    }
}

/// The base layer's name: what every install holds.
pub const CORE: &str = "core";

/// The default layers, in the order they take files (the first that matches
/// a file gets it): what the exclusion steps would remove first, so that a
/// test suite's caches go with the test suite; then a sourceless layout's
/// sources; the caches by level, but those `drop-caches` keeps (of the
/// modules the interpreter imports before pyprune's runtime loads, which
/// nothing could stop it writing); `core` takes the rest (sources,
/// extension modules, data, metadata, sourceless bytecode, those caches).
pub fn default_layers() -> Vec<Layer> {
    [
        ("devel", "step:exclude-devel"),
        ("tests", "step:exclude-tests"),
        ("idle-tk", "step:exclude-idle-tk"),
        ("dev-modules", "step:exclude-dev-modules"),
        ("sources", "pysources"),
        ("bytecode-opt0", "kind:bytecode-opt0&step:drop-caches"),
        ("bytecode-opt1", "kind:bytecode-opt1&step:drop-caches"),
        ("bytecode-opt2", "kind:bytecode-opt2&step:drop-caches"),
        (CORE, "all"),
    ]
    .into_iter()
    .map(|(name, selector)| Layer {
        name: name.to_owned(),
        selector: Selector::parse(selector).expect("the default selectors parse"),
    })
    .collect()
}

/// The layers to split by: the user's (before the defaults, so they take
/// files first; one named like a default layer replaces it in its place),
/// then the defaults unless `defaults` is false.
pub fn layers_with(user: Vec<Layer>, defaults: bool) -> Result<Vec<Layer>, LayerError> {
    let mut seen = std::collections::BTreeSet::new();
    for layer in &user {
        if !seen.insert(layer.name.clone()) {
            return Err(LayerError::Twice(layer.name.clone()));
        }
    }
    if !defaults {
        return Ok(user);
    }
    let mut layers: Vec<Layer> = Vec::new();
    let mut replaced = std::collections::BTreeSet::new();
    for default in default_layers() {
        match user.iter().find(|l| l.name == default.name) {
            Some(own) => {
                replaced.insert(own.name.clone());
                layers.push(own.clone());
            }
            None => layers.push(default),
        }
    }
    let added: Vec<Layer> = user
        .into_iter()
        .filter(|l| !replaced.contains(&l.name))
        .collect();
    Ok(added.into_iter().chain(layers).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_layers_and_refuses_what_cannot_be_one() {
        let layer = Layer::parse("docs=module:pydoc_data, path:lib/x&kind:data").expect("parses");
        assert_eq!(layer.name, "docs");
        assert_eq!(
            layer.selector.alternatives,
            [
                vec![Term::Module("pydoc_data".into())],
                vec![Term::Path("lib/x".into()), Term::Kind(Kind::Data)]
            ]
        );
        assert_eq!(
            Layer::parse("t=step:exclude-tests")
                .expect("parses")
                .selector
                .alternatives,
            [[Term::Step(StepName::ExcludeTests)]]
        );
        assert!(matches!(
            Layer::parse("a=all&"),
            Err(LayerError::UnknownTerm(_))
        ));
        assert!(matches!(Layer::parse("x"), Err(LayerError::NoSelector(_))));
        assert!(matches!(
            Layer::parse("a+b=all"),
            Err(LayerError::BadName(_))
        ));
        assert!(matches!(Layer::parse("a= ,"), Err(LayerError::Empty(_))));
        assert!(matches!(
            Layer::parse("a=all&"),
            Err(LayerError::UnknownTerm(_))
        ));
        assert!(matches!(
            Layer::parse("a=glob:*"),
            Err(LayerError::UnknownTerm(_))
        ));
        assert!(matches!(
            Layer::parse("a=kind:py"),
            Err(LayerError::UnknownKind(..))
        ));
        assert!(matches!(
            Layer::parse("a=step:zip-stdlib"),
            Err(LayerError::UnknownStep(..))
        ));
        for bad in ["a=path:../x", "a=path:/etc", "a=path:"] {
            assert!(
                matches!(Layer::parse(bad), Err(LayerError::BadPath(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn user_layers_come_first_and_replace_defaults_of_their_name() {
        let user = vec![
            Layer::parse("docs=module:pydoc_data").expect("parses"),
            Layer::parse("tests=module:test").expect("parses"),
        ];
        let layers = layers_with(user, true).expect("layers");
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "docs",
                "devel",
                "tests",
                "idle-tk",
                "dev-modules",
                "sources",
                "bytecode-opt0",
                "bytecode-opt1",
                "bytecode-opt2",
                "core"
            ]
        );
        assert_eq!(layers[2].selector.text, "module:test");
        let twice = vec![
            Layer::parse("a=all").expect("parses"),
            Layer::parse("a=all").expect("parses"),
        ];
        assert_eq!(
            layers_with(twice, false),
            Err(LayerError::Twice("a".into()))
        );
    }
}
