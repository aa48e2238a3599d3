//! The DOT report of `deps`: the whole graph, or the part the question's
//! answer covers (a closure's modules and the edges among them, the chains of
//! `--why`, the unused modules). Edges other than hard ones are dashed and
//! labelled with their marks; distributions are clusters.

use super::DepsReport;
use pyprune_deps::Graph;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

pub fn render(report: &DepsReport, graph: &Graph) -> String {
    let mut nodes: BTreeSet<usize> = BTreeSet::new();
    let mut edges: BTreeSet<(usize, usize, String)> = BTreeSet::new();
    let index = |name: &str| graph.find(name);
    // The edges among `nodes` (only hard ones when `hard_only`).
    let induced =
        |nodes: &BTreeSet<usize>, edges: &mut BTreeSet<(usize, usize, String)>, hard_only: bool| {
            for &from in nodes {
                for edge in &graph.edges[from] {
                    if nodes.contains(&edge.to) && (!hard_only || edge.marks.is_hard()) {
                        edges.insert((from, edge.to, edge.marks.describe()));
                    }
                }
            }
        };
    if let Some(closure) = &report.closure {
        nodes.extend(closure.list.modules.iter().filter_map(|m| index(&m.name)));
        induced(&nodes, &mut edges, closure.hard_only);
    }
    if let Some(why) = &report.why {
        for chain in &why.chains {
            let ids: Vec<usize> = chain.modules.iter().filter_map(|m| index(m)).collect();
            nodes.extend(&ids);
            for (pair, kind) in ids.windows(2).zip(&chain.edges) {
                edges.insert((pair[0], pair[1], kind.clone()));
            }
        }
        nodes.extend(index(&why.module.name));
    }
    if let Some(unused) = &report.unused {
        nodes.extend(unused.modules.iter().filter_map(|m| index(&m.name)));
    }
    if report.graph.is_some() {
        nodes.extend(0..graph.nodes.len());
        induced(&nodes, &mut edges, false);
    }
    let mut out =
        String::from("digraph imports {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    let mut clusters: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for &i in &nodes {
        clusters
            .entry(graph.nodes[i].distribution.as_deref())
            .or_default()
            .push(i);
    }
    for (cluster, members) in &clusters {
        let indent = if cluster.is_some() { "    " } else { "  " };
        if let Some(name) = cluster {
            let _ = writeln!(
                out,
                "  subgraph {} {{\n    label={};",
                quote(&format!("cluster_{name}")),
                quote(name)
            );
        }
        for &i in members {
            let node = &graph.nodes[i];
            let style = match node.kind {
                pyprune_deps::NodeKind::Source => "",
                pyprune_deps::NodeKind::Builtin | pyprune_deps::NodeKind::Frozen => {
                    ", style=filled, fillcolor=lightgrey"
                }
                _ => ", style=dashed",
            };
            let _ = writeln!(
                out,
                "{indent}{} [label=\"{}\\n({})\"{style}];",
                quote(&node.name),
                escape(&node.name),
                crate::format::size(node.disk_bytes)
            );
        }
        if cluster.is_some() {
            out.push_str("  }\n");
        }
    }
    for (from, to, kind) in &edges {
        let style = if kind == "hard" {
            String::new()
        } else {
            format!(" [style=dashed, label={}]", quote(kind))
        };
        let _ = writeln!(
            out,
            "  {} -> {}{style};",
            quote(&graph.nodes[*from].name),
            quote(&graph.nodes[*to].name)
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// `text` as the inside of a DOT string literal.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
