//! Built-in profiles: ordered lists of steps with a promise each.

use crate::steps::StepName;
use serde::Serialize;

/// A named list of steps.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Profile {
    pub name: &'static str,
    pub what: &'static str,
    pub steps: &'static [StepName],
}

pub const PROFILES: &[Profile] = &[
    Profile {
        name: "lossless",
        what: "identical caches hardlinked; nothing else changes",
        steps: &[StepName::DedupeCaches],
    },
    Profile {
        name: "fedora-default",
        what: "opt-0 caches only, a marker against writing caches",
        steps: &[StepName::DropOptimizedCaches, StepName::NoWriteMarker],
    },
    Profile {
        name: "container",
        what: "lossless, without test suites, IDLE and Tk, extensions stripped",
        steps: &[
            StepName::ExcludeTests,
            StepName::ExcludeIdleTk,
            StepName::StripExtensions,
            StepName::DedupeCaches,
        ],
    },
];
