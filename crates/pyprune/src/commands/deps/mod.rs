//! `pyprune deps`: the static import graph of a tree (`pyprune_deps`) and
//! the questions asked of it (closure, why, unused), as text, JSON or DOT.

mod dot;
mod text;
use crate::Outcome;
use crate::cli::{DepsArgs, Format, GlobalArgs};
use crate::pipeline;
use crate::printer::Printer;
use anyhow::Context as _;
use pyprune_deps::{EdgeFilter, Graph, GraphInput, ModuleFile, Node};
use pyprune_tree::{Inventory, display_path};
use serde::Serialize;
use std::io::Write as _;
use std::path::Path;

/// The JSON document of `deps --format json` (docs/json-schema.md).
#[derive(Debug, Serialize)]
pub struct DepsReport {
    pub root: String,
    /// The interpreter asked for built-in, frozen and start-up modules.
    pub python: Option<String>,
    pub summary: Summary,
    /// Set by `--closure`.
    pub closure: Option<ClosureAnswer>,
    /// Set by `--why`.
    pub why: Option<WhyAnswer>,
    /// Set by `--unused`.
    pub unused: Option<ModuleList>,
    /// Every node with its edges: without a question only.
    pub graph: Option<Vec<GraphNode>>,
    /// Sources whose imports are unknown: (path, why).
    pub warnings: Vec<PathWarning>,
}

/// Counts over the whole graph.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub modules: usize,
    /// Per node kind (`source`, `sourceless`, `extension`, `builtin`, `frozen`).
    pub by_kind: std::collections::BTreeMap<String, usize>,
    pub edges: usize,
    pub hard_edges: usize,
    /// Modules with files whose imports are unknown (sourceless, extension, unparsable).
    pub imports_unknown: usize,
    /// Imports that name no module of the tree (other platforms, missing packages).
    pub unresolved_imports: usize,
    /// Imports of the interpreter's stdlib modules from a tree without a
    /// stdlib (a venv, a site-packages): not in the tree, not missing.
    pub outside_imports: usize,
    pub disk_bytes: u64,
    /// How long parsing and graphing took, in milliseconds.
    pub graph_ms: u64,
}

/// One module in an answer.
#[derive(Debug, Serialize)]
pub struct ModuleEntry {
    pub name: String,
    pub kind: pyprune_deps::NodeKind,
    pub is_package: bool,
    pub disk_bytes: u64,
    pub distribution: Option<String>,
    /// Its files, relative to the tree root (none for built-in and frozen modules).
    pub files: Vec<String>,
}

impl From<&Node> for ModuleEntry {
    fn from(node: &Node) -> Self {
        ModuleEntry {
            name: node.name.clone(),
            kind: node.kind,
            is_package: node.is_package,
            disk_bytes: node.disk_bytes,
            distribution: node.distribution.clone(),
            files: node.files.iter().map(|f| display_path(f)).collect(),
        }
    }
}

/// Modules and their total size.
#[derive(Debug, Serialize)]
pub struct ModuleList {
    pub modules: Vec<ModuleEntry>,
    pub disk_bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct ClosureAnswer {
    pub entries: Vec<String>,
    pub hard_only: bool,
    #[serde(flatten)]
    pub list: ModuleList,
}

#[derive(Debug, Serialize)]
pub struct WhyAnswer {
    pub module: ModuleEntry,
    pub hard_only: bool,
    /// Every module that needs it, shortest chains first.
    pub chains: Vec<ChainEntry>,
}

/// `modules[0]` imports `modules[1]` by `edges[0]` (`hard`, or marks joined by `+`), ...
#[derive(Debug, Serialize)]
pub struct ChainEntry {
    pub modules: Vec<String>,
    pub edges: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GraphNode {
    #[serde(flatten)]
    pub module: ModuleEntry,
    pub imports_known: bool,
    pub at_startup: bool,
    pub frozen: bool,
    pub imports: Vec<GraphEdge>,
    pub unresolved: Vec<String>,
    /// The stdlib modules it imports from outside the tree.
    pub outside: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GraphEdge {
    pub module: String,
    pub kind: String,
}

#[derive(Debug, Serialize)]
pub struct PathWarning {
    pub path: String,
    pub message: String,
}

pub fn run(args: &DepsArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let target = pipeline::resolve(args.path.as_deref(), global.python.as_deref())?;
    // The interpreter answers while the tree is walked.
    let (inventory, asked) = std::thread::scope(|scope| {
        let asked = scope.spawn(|| {
            target
                .python
                .as_ref()
                .map(|python| pyprune_python::interpreter_modules(python.program()))
        });
        (target.scan(printer), asked.join())
    });
    let mut inventory = inventory?;
    inventory.leave_out_third_party(global.site_packages);
    for warning in &inventory.warnings {
        printer.warn(&warning.to_string());
    }
    let interpreter = match asked {
        Ok(Some(Ok(modules))) => Some(modules),
        Ok(Some(Err(e))) => {
            printer.warn(&format!(
                "{e}: built-in and frozen modules are not in the graph"
            ));
            None
        }
        Ok(None) => {
            printer.note(
                "no interpreter asked (name one with --python): built-in and frozen modules are not in the graph",
            );
            None
        }
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let started = std::time::Instant::now();
    let mut graph = build(&inventory, target.python.as_ref(), interpreter.as_ref());
    let graph_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let distributions = pyprune_steps::read_distributions(&inventory, &[]);
    for node in &mut graph.nodes {
        node.distribution = node
            .files
            .first()
            .and_then(|f| distributions.owner_of(f))
            .map(|i| distributions.dists[i].name.clone());
    }
    warn_unparsed(&graph, &inventory.root, printer);
    printer.verbose(&format!(
        "{} modules parsed and graphed in {graph_ms} ms",
        graph.nodes.len()
    ));
    let report = answer(
        args,
        &inventory,
        &graph,
        interpreter
            .is_some()
            .then(|| target.python.as_ref().map(|p| display_path(&p.executable)))
            .flatten(),
        graph_ms,
    )?;
    match global.format {
        Format::Dot => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(dot::render(&report, &graph).as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write the report")?;
        }
        format => super::write_report(format, &report, |report| {
            text::render(report, args.limit, printer.stdout_color())
        })?,
    }
    Ok(Outcome::Success)
}

/// Names the sources whose imports are unknown: a few in one warning, every
/// one with `--verbose`. Those in test suites (lib2to3's and the stdlib's
/// test data hold files broken on purpose, which every run of a stdlib
/// met) are only counted, in a note.
fn warn_unparsed(graph: &Graph, root: &Path, printer: &Printer) {
    const NAMED: usize = 3;
    let shown = |(path, why): &(std::path::PathBuf, String)| {
        format!("{}: {why}", display_path(&root.join(path)))
    };
    let (in_tests, others): (Vec<_>, Vec<_>) = graph
        .warnings
        .iter()
        .partition(|(path, _)| in_test_suite(path));
    if !in_tests.is_empty() {
        printer.note(&format!(
            "{} test-suite files cannot be parsed (test data, some broken on purpose), so their imports are unknown (--verbose names each, JSON lists them)",
            in_tests.len()
        ));
        for warning in &in_tests {
            printer.verbose(&shown(warning));
        }
    }
    if others.len() <= NAMED {
        for warning in &others {
            printer.warn(&shown(warning));
        }
        return;
    }
    let named: Vec<String> = others[..NAMED]
        .iter()
        .map(|(path, _)| display_path(&root.join(path)))
        .collect();
    printer.warn(&format!(
        "{} sources cannot be read or parsed, so their imports are unknown: {} and {} more (--verbose names each, JSON lists them)",
        others.len(),
        named.join(", "),
        others.len() - NAMED
    ));
    for warning in &others {
        printer.verbose(&shown(warning));
    }
}

/// Whether `path` is in a test suite: under a directory named `test` or `tests`.
fn in_test_suite(path: &Path) -> bool {
    path.parent().is_some_and(|dir| {
        dir.components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("test" | "tests")))
    })
}

/// The graph of `inventory`'s tree.
fn build(
    inventory: &Inventory,
    python: Option<&pyprune_python::Interpreter>,
    interpreter: Option<&pyprune_python::InterpreterModules>,
) -> Graph {
    let files: Vec<ModuleFile> = inventory
        .files
        .iter()
        .map(|f| ModuleFile {
            path: f.path.clone(),
            kind: f.kind,
            disk_bytes: if f.first_link { f.disk } else { 0 },
            symlink: f.is_symlink,
        })
        .collect();
    let dirs: Vec<std::path::PathBuf> = inventory
        .directories_list
        .iter()
        .map(|(d, _)| d.clone())
        .collect();
    let paths: std::collections::HashSet<&Path> =
        inventory.files.iter().map(|f| f.path.as_path()).collect();
    let is_file = |p: &Path| paths.contains(p);
    let version = python.and_then(|p| pyprune_pyc::PythonVersion::parse(&p.version));
    let stdlib = match version {
        Some(v) => pyprune_tree::find_stdlib_dir(Path::new(""), v, is_file),
        None => pyprune_tree::is_stdlib_dir(Path::new(""), is_file).then(Default::default),
    };
    let none: &[String] = &[];
    let root = &inventory.root;
    Graph::build(
        &GraphInput {
            files: &files,
            dirs: &dirs,
            stdlib,
            builtin: interpreter.map_or(none, |i| &i.builtin),
            frozen: interpreter.map_or(none, |i| &i.frozen),
            at_startup: interpreter.map_or(none, |i| &i.at_startup),
            stdlib_names: interpreter.map_or(none, |i| &i.stdlib),
        },
        |rel| pyprune_fs::read_regular(&root.join(rel)).map_err(std::io::Error::other),
    )
}

/// The report: the summary and the answer to the question asked.
fn answer(
    args: &DepsArgs,
    inventory: &Inventory,
    graph: &Graph,
    python: Option<String>,
    graph_ms: u64,
) -> anyhow::Result<DepsReport> {
    let filter = if args.hard_only {
        EdgeFilter::Hard
    } else {
        EdgeFilter::All
    };
    let find = |name: &str| {
        graph.find(name).with_context(|| {
            format!(
                "no module `{name}` in `{}`{}",
                display_path(&inventory.root),
                if python.is_some() {
                    " (nor built into the interpreter)"
                } else {
                    ""
                }
            )
        })
    };
    let list = |modules: &[usize]| ModuleList {
        modules: modules
            .iter()
            .map(|&i| ModuleEntry::from(&graph.nodes[i]))
            .collect(),
        disk_bytes: graph.disk_bytes(modules),
    };
    let closure = if args.closure.is_empty() {
        None
    } else {
        let entries: Vec<usize> = args
            .closure
            .iter()
            .map(|name| find(name))
            .collect::<anyhow::Result<_>>()?;
        // (A submodule's edge to its package brings the packages in.)
        Some(ClosureAnswer {
            entries: args.closure.clone(),
            hard_only: args.hard_only,
            list: list(&graph.closure(&entries, filter)),
        })
    };
    let why = match &args.why {
        None => None,
        Some(name) => {
            let target = find(name)?;
            let chains = graph
                .why(target, filter)
                .into_iter()
                .map(|chain| ChainEntry {
                    modules: chain
                        .modules
                        .iter()
                        .map(|&i| graph.nodes[i].name.clone())
                        .collect(),
                    edges: chain.marks.iter().map(|m| m.describe()).collect(),
                })
                .collect();
            Some(WhyAnswer {
                module: ModuleEntry::from(&graph.nodes[target]),
                hard_only: args.hard_only,
                chains,
            })
        }
    };
    let unused = args.unused.then(|| list(&graph.unused()));
    let question = closure.is_some() || why.is_some() || unused.is_some();
    let whole = (!question).then(|| {
        graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| GraphNode {
                module: ModuleEntry::from(node),
                imports_known: node.imports_known,
                at_startup: node.at_startup,
                frozen: node.frozen,
                imports: graph.edges[i]
                    .iter()
                    .map(|e| GraphEdge {
                        module: graph.nodes[e.to].name.clone(),
                        kind: e.marks.describe(),
                    })
                    .collect(),
                unresolved: graph.unresolved[i].clone(),
                outside: graph.outside[i].clone(),
            })
            .collect()
    });
    let mut by_kind = std::collections::BTreeMap::new();
    for node in &graph.nodes {
        let kind = serde_json::to_value(node.kind)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *by_kind.entry(kind).or_insert(0) += 1;
    }
    let edges = graph.edges.iter().flatten();
    Ok(DepsReport {
        root: display_path(&inventory.root),
        python,
        summary: Summary {
            modules: graph.nodes.len(),
            by_kind,
            edges: edges.clone().count(),
            hard_edges: edges.filter(|e| e.marks.is_hard()).count(),
            imports_unknown: graph
                .nodes
                .iter()
                .filter(|n| !n.imports_known && !n.files.is_empty())
                .count(),
            unresolved_imports: graph.unresolved.iter().map(Vec::len).sum(),
            outside_imports: graph.outside.iter().map(Vec::len).sum(),
            disk_bytes: graph.nodes.iter().map(|n| n.disk_bytes).sum(),
            graph_ms,
        },
        closure,
        why,
        unused,
        graph: whole,
        warnings: graph
            .warnings
            .iter()
            .map(|(path, message)| PathWarning {
                path: display_path(path),
                message: message.clone(),
            })
            .collect(),
    })
}
