use super::*;
use crate::queries::EdgeFilter;

/// The graph of an in-memory tree of sources (`path`, `text`), with `sys`
/// built in.
fn graph_of(sources: &[(&str, &str)]) -> Graph {
    graph_with(sources, None)
}

/// The same, with the tree's stdlib directory given.
fn graph_with(sources: &[(&str, &str)], stdlib: Option<PathBuf>) -> Graph {
    let files: Vec<ModuleFile> = sources
        .iter()
        .map(|(path, text)| ModuleFile {
            path: PathBuf::from(path),
            kind: Kind::of(Path::new(path)),
            disk_bytes: text.len() as u64,
            symlink: false,
        })
        .collect();
    let read = |p: &Path| {
        sources
            .iter()
            .find(|(path, _)| Path::new(path) == p)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::other("absent"))
    };
    Graph::build(
        &GraphInput {
            files: &files,
            dirs: &[],
            stdlib,
            builtin: &["sys".to_owned()],
            frozen: &[],
            at_startup: &["sys".to_owned()],
            stdlib_names: &["sys".to_owned(), "gone".to_owned()],
        },
        read,
    )
}

/// Each edge of `graph` as (from, to, marks described).
fn edges_of(graph: &Graph) -> Vec<(String, String, String)> {
    graph
        .edges
        .iter()
        .enumerate()
        .flat_map(|(from, edges)| {
            edges.iter().map(move |e| {
                (
                    graph.nodes[from].name.clone(),
                    graph.nodes[e.to].name.clone(),
                    e.marks.describe(),
                )
            })
        })
        .collect()
}

const APP: &[(&str, &str)] = &[
    (
        "app.py",
        "import sys\nimport pkg.sub\nfrom pkg import other, VALUE\ntry:\n    import fast\nexcept ImportError:\n    fast = None\ndef f():\n    import lazy\nif sys.platform == 'win32':\n    import winonly\n__import__('dyn')\nimport gone\n",
    ),
    ("pkg/__init__.py", "VALUE = 1\n"),
    ("pkg/sub.py", "from . import other\n"),
    ("pkg/other.py", ""),
    ("fast.py", ""),
    ("lazy.py", "import lazy2\n"),
    ("lazy2.py", ""),
    ("winonly.py", ""),
    ("dyn.py", ""),
    ("unused_one.py", "import app\n"),
    ("tool/__main__.py", ""),
    ("broken.py", "import (\n"),
];

#[test]
fn edges_carry_how_the_import_is_written() {
    let graph = graph_of(APP);
    let from_app: Vec<(String, String)> = edges_of(&graph)
        .into_iter()
        .filter(|(from, _, _)| from == "app")
        .map(|(_, to, marks)| (to, marks))
        .collect();
    let expected = [
        ("dyn", "dynamic"),
        ("fast", "optional"),
        ("lazy", "lazy"),
        ("pkg", "hard"),
        ("pkg.other", "hard"),
        ("pkg.sub", "hard"),
        ("sys", "hard"),
        ("winonly", "conditional"),
    ]
    .map(|(t, m)| (t.to_owned(), m.to_owned()));
    assert_eq!(from_app, expected);
    // `gone` names no module here: in a tree without a stdlib, a stdlib
    // module outside it (`gone` is among the stdlib names given); in a
    // stdlib, unresolved. `VALUE` is an attribute.
    let app = graph.find("app").expect("app");
    assert!(graph.unresolved[app].is_empty());
    assert_eq!(graph.outside[app], ["gone"]);
    let with_stdlib = graph_with(APP, Some(PathBuf::new()));
    let app = with_stdlib.find("app").expect("app");
    assert_eq!(with_stdlib.unresolved[app], ["gone"]);
    assert!(with_stdlib.outside[app].is_empty());
    // A submodule runs its package.
    assert!(edges_of(&graph).contains(&("pkg.other".into(), "pkg".into(), "package".into())));
    // The source that cannot be parsed is said, with its path.
    assert_eq!(graph.warnings.len(), 1);
    assert_eq!(graph.warnings[0].0, Path::new("broken.py"));
    assert!(!graph.nodes[graph.find("broken").expect("broken")].imports_known);
    assert_eq!(
        graph.nodes[graph.find("sys").expect("sys")].kind,
        NodeKind::Builtin
    );
}

fn names(graph: &Graph, indexes: &[usize]) -> Vec<String> {
    indexes
        .iter()
        .map(|&i| graph.nodes[i].name.clone())
        .collect()
}

#[test]
fn closures_follow_hard_edges_or_all() {
    let graph = graph_of(APP);
    let app = graph.find("app").expect("app");
    assert_eq!(
        names(&graph, &graph.closure(&[app], EdgeFilter::Hard)),
        ["app", "dyn", "pkg", "pkg.other", "pkg.sub", "sys"]
    );
    assert_eq!(
        names(&graph, &graph.closure(&[app], EdgeFilter::All)),
        [
            "app",
            "dyn",
            "fast",
            "lazy",
            "lazy2",
            "pkg",
            "pkg.other",
            "pkg.sub",
            "sys",
            "winonly"
        ]
    );
    let all = graph.closure(&[app], EdgeFilter::All);
    let bytes: u64 = APP
        .iter()
        .filter(|(p, _)| {
            [
                "app.py",
                "dyn.py",
                "fast.py",
                "lazy.py",
                "lazy2.py",
                "winonly.py",
            ]
            .contains(p)
                || p.starts_with("pkg/")
        })
        .map(|(_, t)| t.len() as u64)
        .sum();
    assert_eq!(graph.disk_bytes(&all), bytes);
}

#[test]
fn why_gives_the_shortest_chain_of_real_edges() {
    let graph = graph_of(APP);
    let lazy2 = graph.find("lazy2").expect("lazy2");
    let chains = graph.why(lazy2, EdgeFilter::All);
    let shown: Vec<Vec<String>> = chains.iter().map(|c| names(&graph, &c.modules)).collect();
    assert_eq!(
        shown,
        [
            vec!["lazy", "lazy2"],
            vec!["app", "lazy", "lazy2"],
            vec!["unused_one", "app", "lazy", "lazy2"]
        ]
    );
    for chain in &chains {
        for (pair, marks) in chain.modules.windows(2).zip(&chain.marks) {
            assert!(graph.edges[pair[0]].contains(&Edge {
                to: pair[1],
                marks: *marks
            }));
        }
    }
    // Hard edges only: `app` imports `lazy` in a function.
    let hard: Vec<Vec<String>> = graph
        .why(lazy2, EdgeFilter::Hard)
        .iter()
        .map(|c| names(&graph, &c.modules))
        .collect();
    assert_eq!(hard, [vec!["lazy", "lazy2"]]);
}

#[test]
fn unused_lists_what_nothing_imports() {
    let graph = graph_of(APP);
    // Not `tool.__main__` (run by -m), nor `sys` (built in, loaded at start).
    assert_eq!(names(&graph, &graph.unused()), ["broken", "unused_one"]);
}
