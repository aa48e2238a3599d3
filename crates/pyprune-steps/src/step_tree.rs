//! The rows of a plan as a tree of their steps: rows that begin with the
//! same steps share the work of those steps. A step's row is the first step
//! of `container` and `minimal`, whose next two steps are the same too;
//! `compact` and both `full-zip` profiles begin with `strip-extensions`. Each
//! step runs once per distinct run of steps before it, on the model those
//! left (the exclusions, which parse and resolve every kept module's
//! imports, ran ten times for `container` and `minimal` alone), and the
//! branches run in parallel.

use crate::model::Model;
use crate::steps::{Changes, Context, Removed, StepError, StepName, changes};
use rayon::prelude::*;
use std::borrow::Cow;

/// Rows by the steps they run, sharing their first steps.
#[derive(Debug, Default)]
pub(crate) struct StepTree {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    /// The step that leads here from the parent (none at the root).
    step: Option<StepName>,
    /// The rows whose steps end here.
    rows: Vec<usize>,
    children: Vec<Node>,
}

/// One step run on the model of the steps before it.
struct Link<'a> {
    step: StepName,
    changes: Changes,
    removed: Vec<Removed>,
    up: Option<&'a Link<'a>>,
}

/// What a row's steps did, for the row to finish: the model they left (its
/// own when no other row or step starts from it: a row's last actions are
/// applied to it without a copy), and the changes of each step.
pub(crate) struct Ran<'a> {
    model: Cow<'a, Model>,
    last: Option<&'a Link<'a>>,
}

impl Ran<'_> {
    /// The changes of the last step, if any step ran.
    pub(crate) fn last(&self) -> Option<&Changes> {
        self.last.map(|link| &link.changes)
    }

    /// The model of the result, runtime and RECORDs included
    /// ([`crate::plan::finish`]), from `before`, the model before any step.
    pub(crate) fn finish(
        self,
        before: &Model,
        steps: &[StepName],
        context: &Context,
    ) -> Result<Model, StepError> {
        let mut links = Vec::new();
        let mut at = self.last;
        while let Some(link) = at {
            links.push(link);
            at = link.up;
        }
        links.reverse();
        debug_assert!(links.iter().map(|l| l.step).eq(steps.iter().copied()));
        let done = links.iter().flat_map(|l| &l.changes.actions);
        let removed: Vec<Removed> = links.iter().flat_map(|l| l.removed.clone()).collect();
        let mut after = self.model.into_owned();
        crate::plan::finish(before, &mut after, steps, done, &removed, context)?;
        Ok(after)
    }
}

impl StepTree {
    /// The tree of `rows`: (index, steps).
    pub(crate) fn of<'s>(rows: impl IntoIterator<Item = (usize, &'s [StepName])>) -> Self {
        let mut tree = StepTree::default();
        for (index, steps) in rows {
            let mut node = &mut tree.root;
            for &step in steps {
                let at = match node.children.iter().position(|c| c.step == Some(step)) {
                    Some(at) => at,
                    None => {
                        node.children.push(Node {
                            step: Some(step),
                            ..Node::default()
                        });
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at];
            }
            node.rows.push(index);
        }
        tree
    }

    /// Runs every step of the tree from `model`, each once, and `row` for
    /// each row when its steps have run; its results by row index.
    pub(crate) fn run<T: Send>(
        &self,
        model: &Model,
        context: &Context,
        row: &(dyn Fn(usize, Ran<'_>) -> Result<T, StepError> + Sync),
    ) -> Result<Vec<(usize, T)>, StepError> {
        grow(&self.root, Cow::Borrowed(model), None, context, row)
    }
}

/// The rows of `node` and of the nodes below it, `model` being what the
/// steps down to `node` (`last` and those above it) left.
fn grow<T: Send>(
    node: &Node,
    model: Cow<'_, Model>,
    last: Option<&Link<'_>>,
    context: &Context,
    row: &(dyn Fn(usize, Ran<'_>) -> Result<T, StepError> + Sync),
) -> Result<Vec<(usize, T)>, StepError> {
    // A row alone at the end of its steps takes their model as it is.
    if let ([index], []) = (node.rows.as_slice(), node.children.as_slice()) {
        return Ok(vec![(*index, row(*index, Ran { model, last })?)]);
    }
    let model = model.as_ref();
    let (here, below) = rayon::join(
        || {
            node.rows
                .par_iter()
                .map(|&index| {
                    let model = Cow::Borrowed(model);
                    Ok((index, row(index, Ran { model, last })?))
                })
                .collect::<Result<Vec<_>, StepError>>()
        },
        || {
            node.children
                .par_iter()
                .map(|child| {
                    let step = child.step.expect("only the root has no step");
                    let changes = changes(step, model, context)?;
                    let mut after = model.clone();
                    for action in &changes.actions {
                        after.apply(action);
                    }
                    let link = Link {
                        step,
                        removed: changes
                            .removed
                            .iter()
                            .map(|module| Removed {
                                module: module.clone(),
                                step,
                            })
                            .collect(),
                        changes,
                        up: last,
                    };
                    grow(child, Cow::Owned(after), Some(&link), context, row)
                })
                .collect::<Result<Vec<_>, StepError>>()
        },
    );
    let mut done = here?;
    done.extend(below?.into_iter().flatten());
    Ok(done)
}
