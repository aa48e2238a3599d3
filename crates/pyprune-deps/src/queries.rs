//! The questions asked of the graph: everything some modules need (their
//! closure), who needs a module and by which shortest chain, and what
//! nothing in the tree imports.

use crate::graph::{EdgeMarks, Graph, NodeKind};
use std::collections::VecDeque;

/// Which edges a question follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeFilter {
    /// Only imports that run whenever the importer does, on every platform
    /// (not optional, lazy or conditional).
    Hard,
    /// Every edge.
    All,
}

impl EdgeFilter {
    fn follows(self, marks: EdgeMarks) -> bool {
        self == EdgeFilter::All || marks.is_hard()
    }
}

/// A chain of imports: `modules[0]` imports `modules[1]` (by `marks[0]`), ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub modules: Vec<usize>,
    pub marks: Vec<EdgeMarks>,
}

impl Graph {
    /// Every module `entries` need, themselves included (their packages
    /// too: a submodule's edge to its package is hard), sorted by index.
    pub fn closure(&self, entries: &[usize], filter: EdgeFilter) -> Vec<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &entry in entries {
            if !seen[entry] {
                seen[entry] = true;
                queue.push_back(entry);
            }
        }
        while let Some(at) = queue.pop_front() {
            for edge in &self.edges[at] {
                if filter.follows(edge.marks) && !seen[edge.to] {
                    seen[edge.to] = true;
                    queue.push_back(edge.to);
                }
            }
        }
        (0..self.nodes.len()).filter(|&i| seen[i]).collect()
    }

    /// Every module that needs `target` (through edges `filter` follows),
    /// each with its shortest chain of imports to it; shortest chains
    /// first, then by name.
    pub fn why(&self, target: usize, filter: EdgeFilter) -> Vec<Chain> {
        let mut importers: Vec<Vec<(usize, EdgeMarks)>> = vec![Vec::new(); self.nodes.len()];
        for (from, edges) in self.edges.iter().enumerate() {
            for edge in edges {
                if filter.follows(edge.marks) {
                    importers[edge.to].push((from, edge.marks));
                }
            }
        }
        // Breadth first from the target, against the edges: each module's
        // next step towards the target.
        let mut next: Vec<Option<(usize, EdgeMarks)>> = vec![None; self.nodes.len()];
        let mut depth = vec![usize::MAX; self.nodes.len()];
        depth[target] = 0;
        let mut queue = VecDeque::from([target]);
        while let Some(at) = queue.pop_front() {
            for &(from, marks) in &importers[at] {
                if depth[from] == usize::MAX {
                    depth[from] = depth[at] + 1;
                    next[from] = Some((at, marks));
                    queue.push_back(from);
                }
            }
        }
        let mut chains: Vec<Chain> = (0..self.nodes.len())
            .filter(|&i| i != target && depth[i] != usize::MAX)
            .map(|start| {
                let mut chain = Chain {
                    modules: vec![start],
                    marks: Vec::new(),
                };
                let mut at = start;
                while let Some((to, marks)) = next[at] {
                    chain.modules.push(to);
                    chain.marks.push(marks);
                    at = to;
                }
                chain
            })
            .collect();
        chains.sort_by(|a, b| {
            (a.modules.len(), &self.nodes[a.modules[0]].name)
                .cmp(&(b.modules.len(), &self.nodes[b.modules[0]].name))
        });
        chains
    }

    /// The modules with files that no other module imports (by any edge),
    /// leaving out what the interpreter loads at start and `__main__`
    /// modules (run by `python -m`, never imported), sorted by name.
    pub fn unused(&self) -> Vec<usize> {
        let mut imported = vec![false; self.nodes.len()];
        for edges in &self.edges {
            for edge in edges {
                imported[edge.to] = true;
            }
        }
        (0..self.nodes.len())
            .filter(|&i| {
                let node = &self.nodes[i];
                !imported[i]
                    && !node.at_startup
                    && !matches!(node.kind, NodeKind::Builtin | NodeKind::Frozen)
                    && node.name.rsplit('.').next() != Some("__main__")
            })
            .collect()
    }

    /// The disk bytes of `modules`' files.
    pub fn disk_bytes(&self, modules: &[usize]) -> u64 {
        modules.iter().map(|&i| self.nodes[i].disk_bytes).sum()
    }
}
