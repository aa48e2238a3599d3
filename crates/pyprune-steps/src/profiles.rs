//! Profiles: ordered lists of steps with a promise each. Some are built in;
//! more can be written in a TOML file:
//!
//! ```toml
//! [profile.slim]
//! about = "stripped, zipped with stored members"
//! steps = ["strip-extensions", { step = "zip-stdlib", sources = true, compression = "stored" }]
//! ```

use crate::steps::StepName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// A profile read from a file (or copied from a built-in one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileDef {
    pub name: String,
    pub what: String,
    pub steps: Vec<StepName>,
}

impl From<&Profile> for ProfileDef {
    fn from(profile: &Profile) -> ProfileDef {
        ProfileDef {
            name: profile.name.to_owned(),
            what: profile.what.to_owned(),
            steps: profile.steps.to_vec(),
        }
    }
}

/// Why a profile file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("not a profile file: {0}")]
    Syntax(String),
    #[error("profile `{profile}`: {message}")]
    Invalid { profile: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: BTreeMap<String, FileProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProfile {
    #[serde(default)]
    about: String,
    steps: Vec<FileStep>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileStep {
    Name(String),
    WithOptions {
        step: String,
        #[serde(default)]
        sources: Option<bool>,
        #[serde(default)]
        compression: Option<String>,
    },
}

/// Reads the profiles of a TOML file (`[profile.NAME]` tables with `steps`).
pub fn parse_profiles(text: &str) -> Result<Vec<ProfileDef>, ProfileError> {
    let file: File = toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
    file.profile
        .into_iter()
        .map(|(name, profile)| {
            let invalid = |message: String| ProfileError::Invalid {
                profile: name.clone(),
                message,
            };
            let steps = profile
                .steps
                .into_iter()
                .map(|step| resolve(step).map_err(&invalid))
                .collect::<Result<Vec<_>, _>>()?;
            if steps.is_empty() {
                return Err(invalid("no steps".into()));
            }
            Ok(ProfileDef {
                name: name.clone(),
                what: profile.about,
                steps,
            })
        })
        .collect()
}

/// A step of a file: a name, or a table with options (the zip steps take `sources` and `compression`).
fn resolve(step: FileStep) -> Result<StepName, String> {
    let unknown = |id: &str| format!("no step `{id}` (see `pyprune plan`)");
    match step {
        FileStep::Name(id) => StepName::parse(&id).ok_or_else(|| unknown(&id)),
        FileStep::WithOptions {
            step,
            sources,
            compression,
        } => {
            let base = StepName::parse(&step).ok_or_else(|| unknown(&step))?;
            let zip_family = matches!(
                base,
                StepName::ZipStdlib
                    | StepName::ZipStdlibStored
                    | StepName::ZipStdlibBytecode
                    | StepName::ZipStdlibBytecodeStored
            );
            if !zip_family {
                return if sources.is_none() && compression.is_none() {
                    Ok(base)
                } else {
                    Err(format!("step `{step}` takes no options"))
                };
            }
            let sources = sources.unwrap_or(matches!(
                base,
                StepName::ZipStdlib | StepName::ZipStdlibStored
            ));
            let stored = match compression.as_deref() {
                None => matches!(
                    base,
                    StepName::ZipStdlibStored | StepName::ZipStdlibBytecodeStored
                ),
                Some("stored") => true,
                Some("deflate") => false,
                Some(other) => {
                    return Err(format!(
                        "compression `{other}` is not `deflate` or `stored`"
                    ));
                }
            };
            Ok(match (sources, stored) {
                (true, false) => StepName::ZipStdlib,
                (true, true) => StepName::ZipStdlibStored,
                (false, false) => StepName::ZipStdlibBytecode,
                (false, true) => StepName::ZipStdlibBytecodeStored,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_with_step_options() {
        let text = r#"
[profile.slim]
about = "stripped, zipped, stored"
steps = ["strip-extensions", { step = "zip-stdlib", sources = false, compression = "stored" }]

[profile.plain]
steps = ["drop-opt2"]
"#;
        let profiles = parse_profiles(text).expect("valid");
        assert_eq!(profiles.len(), 2);
        assert_eq!(profiles[1].name, "slim");
        assert_eq!(
            profiles[1].steps,
            [StepName::StripExtensions, StepName::ZipStdlibBytecodeStored]
        );
        assert_eq!(profiles[0].steps, [StepName::DropOpt2]);
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        let bad = |text: &str| parse_profiles(text).expect_err("invalid").to_string();
        assert!(bad("[profile.a]\nsteps = [\"shrink\"]").contains("no step `shrink`"));
        assert!(
            bad("[profile.a]\nsteps = [{ step = \"drop-opt2\", sources = true }]")
                .contains("takes no options")
        );
        assert!(
            bad("[profile.a]\nsteps = [{ step = \"zip-stdlib\", compression = \"zstd\" }]")
                .contains("zstd")
        );
        assert!(bad("[profile.a]\nsteps = []").contains("no steps"));
        assert!(bad("[profile.a]\nstep = [\"drop-opt2\"]").contains("not a profile file"));
    }
}
