//! Profiles: ordered lists of steps with a promise each. Some are built in;
//! more can be written in a TOML file:
//!
//! ```toml
//! [profile.slim]
//! about = "stripped, zipped with stored members"
//! steps = ["strip-extensions", { step = "zip-stdlib", sources = true, compression = "stored" }]
//! ```
//!
//! A zip step's table may also say `zopfli = true` (its deflated members
//! deflated by zopfli) and `hashes = "checked"` (checked-hash bytecode), which
//! hold for every zip step of the profile.

use crate::steps::{BytecodePacking, StepName, ZipOptions, ZipOverrides};
use pyprune_fs::display_path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        what: "lossless, without test suites, IDLE and Tk or installers (pip, setuptools), extensions stripped",
        steps: &[
            StepName::ExcludeTests,
            StepName::ExcludeInstallers,
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
        what: "every module importable, from a deflated pythonXY.zip with its source; extensions stripped",
        // zipimport runs the zip's bytecode at every level, so the few modules left on
        // disk need no optimized caches either.
        steps: &[
            StepName::StripExtensions,
            StepName::ZipStdlibDeflated,
            StepName::DropOptimizedCaches,
        ],
    },
    Profile {
        name: "full-zip-fast",
        what: "every module importable, tracebacks with lines, imports near __pycache__ speed: pythonXY.zip with hot bytecode stored and sources deflated; extensions stripped; optimized caches dropped behind the no-write marker",
        steps: &[
            StepName::StripExtensions,
            StepName::ZipStdlib,
            StepName::DropOptimizedCaches,
            StepName::NoWriteMarker,
        ],
    },
    Profile {
        name: "minimal",
        what: "the smallest layout that imports every kept module: no tests, installers, IDLE/Tk, developer tools, dead batteries or build files; bytecode-only zip; extensions stripped",
        steps: &[
            StepName::ExcludeTests,
            StepName::ExcludeInstallers,
            StepName::ExcludeIdleTk,
            StepName::ExcludeDevModules,
            StepName::ExcludeDeadBatteries,
            StepName::ExcludeDevel,
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
    /// The distributor's word on how to get back a module the profile
    /// removes, ending the `ModuleNotFoundError` for it (a file's
    /// `missing-module-message`; `None`: pyprune's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_module_message: Option<String>,
    /// What its zip steps' tables asked of every zip step (`zopfli`, `hashes`).
    #[serde(skip_serializing_if = "is_default")]
    pub zip: ZipOverrides,
}

fn is_default(overrides: &ZipOverrides) -> bool {
    *overrides == ZipOverrides::default()
}

impl From<&Profile> for ProfileDef {
    fn from(profile: &Profile) -> ProfileDef {
        ProfileDef {
            name: profile.name.to_owned(),
            what: profile.what.to_owned(),
            steps: profile.steps.to_vec(),
            missing_module_message: None,
            zip: ZipOverrides::default(),
        }
    }
}

/// Why a profile file, a profile or a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("not a profile file: {0}")]
    Syntax(String),
    #[error("profile `{profile}`: {message}")]
    Invalid { profile: String, message: String },
    #[error("cannot read `{}`", display_path(.path))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("in `{}`", display_path(.path))]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<ProfileError>,
    },
    #[error("`{}` defines `{name}`, which is a built-in profile: choose another name", display_path(.path))]
    RedefinesBuiltIn { path: PathBuf, name: String },
    #[error("no profile `{name}` (there are: {known})")]
    UnknownProfile { name: String, known: String },
    #[error("no step `{0}` (see `pyprune plan`)")]
    UnknownStep(String),
    #[error("`keep-for` needs its entry points: give them with `--keep-for ENTRY`")]
    KeepForByOption,
}

/// The built-in profiles, then those of the TOML file `config`; a file may
/// not redefine a built-in one.
pub fn load_profiles(config: Option<&Path>) -> Result<Vec<ProfileDef>, ProfileError> {
    let mut all: Vec<ProfileDef> = PROFILES.iter().map(Into::into).collect();
    let Some(path) = config else {
        return Ok(all);
    };
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let in_file = |source| ProfileError::InFile {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    for profile in parse_profiles(&text).map_err(in_file)? {
        if all.iter().any(|p| p.name == profile.name) {
            return Err(ProfileError::RedefinesBuiltIn {
                path: path.to_path_buf(),
                name: profile.name,
            });
        }
        all.push(profile);
    }
    Ok(all)
}

/// The steps a user chose: those of the profile `profile` (one of
/// `profiles`), or else the step ids `ids`, in order.
pub fn choose_steps(
    profile: Option<&str>,
    profiles: &[ProfileDef],
    ids: &[String],
) -> Result<Vec<StepName>, ProfileError> {
    if let Some(name) = profile {
        let found = profiles.iter().find(|p| p.name == name);
        return found
            .map(|p| p.steps.clone())
            .ok_or_else(|| ProfileError::UnknownProfile {
                name: name.to_owned(),
                known: profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    ids.iter()
        .map(|id| match StepName::parse(id) {
            Some(StepName::KeepFor) => Err(ProfileError::KeepForByOption),
            Some(step) => Ok(step),
            None => Err(ProfileError::UnknownStep(id.clone())),
        })
        .collect()
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
    #[serde(default, rename = "missing-module-message")]
    missing_module_message: Option<String>,
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
        #[serde(default)]
        zopfli: Option<bool>,
        #[serde(default)]
        hashes: Option<String>,
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
            let mut zip = ZipOverrides::default();
            let steps = profile
                .steps
                .into_iter()
                .map(|step| resolve(step, &mut zip).map_err(&invalid))
                .collect::<Result<Vec<_>, _>>()?;
            if steps.is_empty() {
                return Err(invalid("no steps".into()));
            }
            Ok(ProfileDef {
                name: name.clone(),
                what: profile.about,
                steps,
                missing_module_message: profile.missing_module_message,
                zip,
            })
        })
        .collect()
}

/// A step of a file: a name, or a table with options (the whole-stdlib zip
/// steps take `sources` and `compression`, and become the zip step of those
/// options; `zopfli` and `hashes` go into `zip`, for every zip step).
fn resolve(step: FileStep, zip_overrides: &mut ZipOverrides) -> Result<StepName, String> {
    let unknown = |id: &str| format!("no step `{id}` (see `pyprune plan`)");
    match step {
        FileStep::Name(id) if id == StepName::KeepFor.info().id => {
            Err(ProfileError::KeepForByOption.to_string())
        }
        FileStep::Name(id) => StepName::parse(&id).ok_or_else(|| unknown(&id)),
        FileStep::WithOptions {
            step,
            sources,
            compression,
            zopfli,
            hashes,
        } => {
            let base = StepName::parse(&step).ok_or_else(|| unknown(&step))?;
            let Some(zip) = base.info().zip.filter(|z| z.only.is_none()) else {
                return if sources.is_none()
                    && compression.is_none()
                    && zopfli.is_none()
                    && hashes.is_none()
                {
                    Ok(base)
                } else {
                    Err(format!("step `{step}` takes no options"))
                };
            };
            let bytecode = match compression.as_deref() {
                None => zip.bytecode,
                Some("stored") => BytecodePacking::Stored,
                Some("deflate") => BytecodePacking::Deflated,
                Some("hot") => BytecodePacking::Hot,
                Some(other) => {
                    return Err(format!(
                        "compression `{other}` is not `hot`, `deflate` or `stored`"
                    ));
                }
            };
            zip_overrides.checked_hashes = match hashes.as_deref() {
                None => zip_overrides.checked_hashes,
                Some("checked") => Some(true),
                Some("unchecked") => Some(false),
                Some(other) => {
                    return Err(format!("hashes `{other}` is not `checked` or `unchecked`"));
                }
            };
            zip_overrides.zopfli = zopfli.or(zip_overrides.zopfli);
            let wanted = ZipOptions {
                sources: sources.unwrap_or(zip.sources),
                bytecode,
                only: None,
            };
            StepName::ALL
                .into_iter()
                .find(|s| s.info().zip == Some(wanted))
                .ok_or_else(|| {
                    format!(
                        "no zip step keeps sources={} with that compression",
                        wanted.sources
                    )
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
missing-module-message = "Install python3-full."
"#;
        let profiles = parse_profiles(text).expect("valid");
        assert_eq!(profiles.len(), 2);
        assert_eq!(
            profiles[0].missing_module_message.as_deref(),
            Some("Install python3-full.")
        );
        assert_eq!(profiles[1].missing_module_message, None);
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

    #[test]
    fn every_zip_option_pair_names_its_step() {
        let one = |table: &str| {
            parse_profiles(&format!("[profile.a]\nsteps = [{table}]"))
                .expect("valid")
                .remove(0)
                .steps
        };
        for (table, step) in [
            ("{ step = \"zip-stdlib\" }", StepName::ZipStdlib),
            (
                "{ step = \"zip-stdlib\", compression = \"stored\" }",
                StepName::ZipStdlibStored,
            ),
            (
                "{ step = \"zip-stdlib-stored\", compression = \"deflate\" }",
                StepName::ZipStdlibDeflated,
            ),
            (
                "{ step = \"zip-stdlib-stored\", compression = \"hot\" }",
                StepName::ZipStdlib,
            ),
            (
                "{ step = \"zip-stdlib-bytecode-stored\", sources = true }",
                StepName::ZipStdlibStored,
            ),
            (
                "{ step = \"zip-stdlib-deflated\", sources = false }",
                StepName::ZipStdlibBytecode,
            ),
            ("{ step = \"drop-opt2\" }", StepName::DropOpt2),
        ] {
            assert_eq!(one(table), [step], "{table}");
        }
        let refused = parse_profiles(
            "[profile.a]\nsteps = [{ step = \"zip-data-modules\", sources = false }]",
        );
        assert!(
            refused
                .expect_err("no options")
                .to_string()
                .contains("takes no options")
        );
    }

    #[test]
    fn chosen_steps_by_profile_or_ids() {
        let profiles = load_profiles(None).expect("built-in");
        assert_eq!(
            choose_steps(Some("fedora-default"), &profiles, &[]).expect("known"),
            [StepName::DropOptimizedCaches, StepName::NoWriteMarker]
        );
        let ids = ["drop-opt2".to_owned(), "sourceless".to_owned()];
        assert_eq!(
            choose_steps(None, &profiles, &ids).expect("known"),
            [StepName::DropOpt2, StepName::Sourceless]
        );
        let unknown = choose_steps(Some("tiny"), &profiles, &[]).expect_err("unknown");
        assert_eq!(
            unknown.to_string(),
            "no profile `tiny` (there are: lossless, fedora-default, container, compact, full-zip, full-zip-fast, minimal)"
        );
        let bad = choose_steps(None, &profiles, &["shrink".to_owned()]).expect_err("unknown");
        assert_eq!(bad.to_string(), "no step `shrink` (see `pyprune plan`)");
    }

    #[test]
    fn a_file_may_not_redefine_a_built_in_profile() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "[profile.minimal]\nsteps = [\"drop-opt2\"]\n").expect("write");
        let error = load_profiles(Some(&path)).expect_err("refused");
        assert!(
            matches!(error, ProfileError::RedefinesBuiltIn { ref name, .. } if name == "minimal")
        );
        std::fs::write(&path, "[profile.mine]\nsteps = [\"drop-opt2\"]\n").expect("write");
        let all = load_profiles(Some(&path)).expect("loaded");
        assert_eq!(all.last().map(|p| p.name.as_str()), Some("mine"));
        let missing = load_profiles(Some(&dir.path().join("none.toml"))).expect_err("no file");
        assert!(
            missing.to_string().starts_with("cannot read `"),
            "{missing}"
        );
    }
}
