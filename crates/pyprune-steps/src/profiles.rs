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
    Profile {
        name: "compact",
        what: "sourceless bytecode on disk (imports as fast as from caches), extensions stripped",
        steps: &[StepName::StripExtensions, StepName::Sourceless],
    },
    Profile {
        name: "full-zip",
        what: "every module importable, from pythonXY.zip with its source; extensions stripped",
        // zipimport runs the zip's bytecode at every level, so the few modules left on
        // disk need no optimized caches either.
        steps: &[
            StepName::StripExtensions,
            StepName::ZipStdlib,
            StepName::DropOptimizedCaches,
        ],
    },
    Profile {
        name: "minimal",
        what: "the smallest layout that imports every kept module: no tests, IDLE/Tk, developer tools or dead batteries; bytecode-only zip; extensions stripped",
        steps: &[
            StepName::ExcludeTests,
            StepName::ExcludeIdleTk,
            StepName::ExcludeDevModules,
            StepName::ExcludeDeadBatteries,
            StepName::StripExtensions,
            StepName::ZipStdlibBytecode,
            StepName::DropOptimizedCaches,
            StepName::Sourceless,
        ],
    },
];
