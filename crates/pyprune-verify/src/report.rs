//! What `verify` found: a summary per check and the findings, regressions
//! (exit 1) apart from notes (things that failed in the original too, or
//! that cannot be judged without one).

use crate::launch::Placement;
use serde::Serialize;

/// What the tree promises beyond "every module that imported still imports".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Promises {
    /// A traceback through a minimized module shows its source line.
    pub tracebacks: bool,
    /// Python run by the tree's owner with bytecode writing on creates no file in the tree.
    pub no_writes: bool,
    /// Modules of the original may be gone (the steps exclude some); else each is a regression.
    pub removals: bool,
}

/// One check as run.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    pub check: &'static str,
    /// Items checked (files or modules).
    pub checked: u64,
    /// Items that failed in the tree (regressions and notes).
    pub failed: u64,
    /// Why the check did not run, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// One module or file that failed a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    /// The module name, or the file's path relative to the tree.
    pub subject: String,
    pub reason: String,
}

/// The whole verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tree: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// The interpreter under test.
    pub python: String,
    pub placement: Placement,
    pub promises: Promises,
    pub checks: Vec<CheckSummary>,
    /// What broke: each one makes `verify` exit 1.
    pub regressions: Vec<Finding>,
    /// Failures that are not regressions: they failed in the original too, or there is no original.
    pub notes: Vec<Finding>,
    /// Modules of the original that the tree no longer has (removed on purpose by a profile, or not).
    pub removed: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.regressions.is_empty()
    }
}
