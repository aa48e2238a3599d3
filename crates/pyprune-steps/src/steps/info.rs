//! What each step is: its name on the command line, where the source
//! documents propose it, what it does and costs, and the facts the rest of
//! pyprune asks of it (does it need the runtime, remove modules, cost
//! tracebacks their lines, promise no writes, write a zip). One entry per
//! step, matched exhaustively: a new step cannot be added without its facts.

use super::StepName;
use super::zip::{BytecodePacking, ZipOptions};
use serde::Serialize;

/// What a step is for, in words, and what it implies.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StepInfo {
    pub name: StepName,
    /// How it is written on the command line and in profiles.
    pub id: &'static str,
    /// Where the source documents propose it.
    pub origin: &'static str,
    pub what: &'static str,
    /// What the user gives up; empty when nothing.
    pub gives_up: &'static str,
    /// It keeps its promise only through pyprune's runtime (markers, the
    /// fallback, compressed sources, traceback lines from zips: the
    /// interpreter's own printer reads lines from files only).
    pub needs_runtime: bool,
    /// It removes modules on purpose (verify then accepts them gone).
    pub removes_modules: bool,
    /// After it, tracebacks through some modules show no source line.
    pub drops_traceback_lines: bool,
    /// After it, Python writes no bytecode into the tree.
    pub promises_no_writes: bool,
    /// It exists only in plans: applying it would break Python.
    pub plan_only: bool,
    /// All it does is remove files of the tree, each of which it chooses
    /// without looking at what else goes (a `split` layer can be made of them).
    #[serde(skip)]
    pub removes_files_only: bool,
    /// The zip it writes, for the zip steps.
    #[serde(skip)]
    pub zip: Option<ZipOptions>,
}

/// A step with no implications; the builders below add them.
const fn step(
    name: StepName,
    id: &'static str,
    origin: &'static str,
    what: &'static str,
    gives_up: &'static str,
) -> StepInfo {
    StepInfo {
        name,
        id,
        origin,
        what,
        gives_up,
        needs_runtime: false,
        removes_modules: false,
        drops_traceback_lines: false,
        promises_no_writes: false,
        plan_only: false,
        removes_files_only: false,
        zip: None,
    }
}

impl StepInfo {
    const fn needs_runtime(self) -> StepInfo {
        StepInfo {
            needs_runtime: true,
            ..self
        }
    }

    const fn removes_files_only(self) -> StepInfo {
        StepInfo {
            removes_files_only: true,
            ..self
        }
    }

    const fn removes_modules(self) -> StepInfo {
        StepInfo {
            removes_modules: true,
            ..self
        }
    }

    const fn drops_traceback_lines(self) -> StepInfo {
        StepInfo {
            drops_traceback_lines: true,
            ..self
        }
    }

    const fn promises_no_writes(self) -> StepInfo {
        StepInfo {
            promises_no_writes: true,
            ..self
        }
    }

    const fn plan_only(self) -> StepInfo {
        StepInfo {
            plan_only: true,
            ..self
        }
    }

    /// A zip step: with sources its tracebacks need the runtime, without them
    /// they have no lines.
    const fn zip(self, options: ZipOptions) -> StepInfo {
        let info = StepInfo {
            zip: Some(options),
            ..self
        };
        if options.sources {
            info.needs_runtime()
        } else {
            info.drops_traceback_lines()
        }
    }
}

const NOT_HOT_PATCHED_ZIP: &str = "source cannot be hot-patched (the zip's bytecode is unchecked-hash: nothing can edit a zip member in place, so imports skip reading and hashing the source); tracebacks show lines through pyprune's runtime (not the interpreter alone)";
const BYTECODE_ONLY: &str = "tracebacks show no source lines; source cannot be read or hot-patched; -O runs non-optimized code";

/// The whole standard library's zip: sources or not, its bytecode packed so.
const fn stdlib_zip(sources: bool, bytecode: BytecodePacking) -> ZipOptions {
    ZipOptions {
        sources,
        bytecode,
        only: None,
    }
}

impl StepName {
    /// Every step, in the order a profile applies them (and `plan` lists them).
    pub const ALL: [StepName; 23] = [
        StepName::ExcludeTests,
        StepName::ExcludeInstallers,
        StepName::ExcludeIdleTk,
        StepName::ExcludeDevModules,
        StepName::ExcludeDeadBatteries,
        StepName::ExcludeDevel,
        StepName::StripExtensions,
        StepName::Normalize,
        StepName::ZipDataModules,
        StepName::ZipStdlib,
        StepName::ZipStdlibDeflated,
        StepName::ZipStdlibStored,
        StepName::ZipStdlibBytecode,
        StepName::ZipStdlibBytecodeStored,
        StepName::CompressPycs,
        StepName::Sourceless,
        StepName::SourcesCompressed,
        StepName::DropCaches,
        StepName::DropOptimizedCaches,
        StepName::DropOpt2,
        StepName::DedupeCaches,
        StepName::NoWriteMarker,
        StepName::CacheFallback,
    ];

    /// The step's entry.
    pub const fn info(self) -> StepInfo {
        use StepName as S;
        match self {
            S::ExcludeTests => step(
                self,
                "exclude-tests",
                "Fedora status quo (python3-test)",
                "remove the test suites (test, */tests, */test, idle_test, _test* extensions)",
                "the test suites",
            )
            .removes_modules()
            .removes_files_only(),
            S::ExcludeInstallers => step(
                self,
                "exclude-installers",
                "container builds (pip uninstall pip setuptools)",
                "uninstall pip, setuptools and wheel from site-packages, as pip would, where no other distribution requires them and no kept module imports them",
                "pip, setuptools and wheel: nothing can be installed into this environment with its own pip",
            )
            .removes_modules()
            .removes_files_only(),
            S::ExcludeIdleTk => step(
                self,
                "exclude-idle-tk",
                "Fedora status quo (python3-idle, python3-tkinter)",
                "remove idlelib, tkinter, turtle, turtledemo",
                "IDLE, tkinter and turtle",
            )
            .removes_modules()
            .removes_files_only(),
            S::ExcludeDevModules => step(
                self,
                "exclude-dev-modules",
                "Fedora solution 2",
                "remove pydoc_data, ensurepip and its wheels, unittest, doctest, venv, and where the release has them lib2to3 (to 3.12) and distutils (to 3.11)",
                "venv, unittest, doctest, 2to3, distutils, help() on keywords and topics",
            )
            .removes_modules()
            .removes_files_only(),
            S::ExcludeDeadBatteries => step(
                self,
                "exclude-dead-batteries",
                "Fedora solution 1 (PEP 594)",
                "remove the modules the release ships that PEP 594 (to 3.12) or another deprecation marked for removal (imp to 3.11, binhex to 3.10, ...)",
                "the PEP 594 modules (cgi, telnetlib, ...)",
            )
            .removes_modules()
            .removes_files_only(),
            S::ExcludeDevel => step(
                self,
                "exclude-devel",
                "Fedora python3-devel",
                "remove the static library and build files (config-3.X), the headers, python*-config and the pkg-config files",
                "extension modules cannot be built against this Python",
            )
            .removes_files_only(),
            S::StripExtensions => step(
                self,
                "strip-extensions",
                "container builds",
                "strip debug and unneeded symbols from extension modules",
                "debug symbols of extension modules",
            ),
            S::ZipDataModules => step(
                self,
                "zip-data-modules",
                "Fedora solution 3",
                "encodings and pydoc_data (sources and bytecode) into pythonXY.zip",
                "encodings and pydoc_data cannot be hot-patched; tracebacks show their lines through pyprune's runtime",
            )
            .zip(ZipOptions {
                sources: true,
                bytecode: BytecodePacking::Hot,
                only: Some(&["encodings", "pydoc_data"]),
            }),
            S::ZipStdlib => step(
                self,
                "zip-stdlib",
                "Fedora solution 4",
                "the zip-safe pure-Python stdlib into pythonXY.zip: sources deflated, unchecked-hash bytecode stored where start-up and common imports need it and deflated elsewhere",
                NOT_HOT_PATCHED_ZIP,
            )
            .zip(stdlib_zip(true, BytecodePacking::Hot)),
            S::ZipStdlibDeflated => step(
                self,
                "zip-stdlib-deflated",
                "Fedora solution 4",
                "like zip-stdlib, every member deflated (smaller, slower imports)",
                NOT_HOT_PATCHED_ZIP,
            )
            .zip(stdlib_zip(true, BytecodePacking::Deflated)),
            S::ZipStdlibStored => step(
                self,
                "zip-stdlib-stored",
                "Fedora solution 4",
                "like zip-stdlib, all bytecode stored (faster imports, larger)",
                NOT_HOT_PATCHED_ZIP,
            )
            .zip(stdlib_zip(true, BytecodePacking::Stored)),
            S::ZipStdlibBytecode => step(
                self,
                "zip-stdlib-bytecode",
                "Fedora solutions 4 and 7",
                "the zip-safe pure-Python stdlib as unchecked-hash bytecode only, deflated into pythonXY.zip",
                BYTECODE_ONLY,
            )
            .zip(stdlib_zip(false, BytecodePacking::Deflated)),
            S::ZipStdlibBytecodeStored => step(
                self,
                "zip-stdlib-bytecode-stored",
                "Fedora solutions 4 and 7",
                "like zip-stdlib-bytecode, members stored",
                BYTECODE_ONLY,
            )
            .zip(stdlib_zip(false, BytecodePacking::Stored)),
            S::CompressPycs => step(
                self,
                "compress-pycs",
                "Fedora solution 8 (plan only)",
                "every bytecode file compressed on its own, as the document sized it",
                "cannot be applied: CPython cannot read compressed pycs (shown for comparison)",
            )
            .plan_only(),
            S::Sourceless => step(
                self,
                "sourceless",
                "Fedora solution 7, discussion \"minimal\"",
                "opt-0 bytecode where the .py was; sources and other caches removed",
                BYTECODE_ONLY,
            )
            .drops_traceback_lines(),
            S::SourcesCompressed => step(
                self,
                "sources-compressed",
                "discussion option 2, draft PEP option 2",
                "like sourceless, with each source kept gzip-compressed in __pysources__/",
                "source cannot be hot-patched; tracebacks show lines through pyprune's runtime (not the interpreter alone); -O runs non-optimized code",
            )
            .needs_runtime(),
            S::DropCaches => step(
                self,
                "drop-caches",
                "Fedora solution 5, discussion option 1, optional bytecode cache \"no cache\"",
                "remove every bytecode cache (but those of the modules Python imports before pyprune's runtime loads, as its interpreter says)",
                "slower imports (every module compiled at every start); Python writes caches unless no-write-marker stops it",
            )
            .removes_files_only(),
            S::DropOptimizedCaches => step(
                self,
                "drop-optimized-caches",
                "Fedora solution 6, optional bytecode cache \"default\"",
                "remove the opt-1 and opt-2 caches (but the start-up modules'), keep opt-0",
                "-O and -OO runs compile the stdlib at every start (or write caches)",
            )
            .removes_files_only(),
            S::DropOpt2 => step(
                self,
                "drop-opt2",
                "Fedora \"optimization level 2 is already broken\", optional bytecode cache \"levels 0 and 1\"",
                "remove the opt-2 caches (but the start-up modules')",
                "-OO runs compile the stdlib at every start (or write caches)",
            )
            .removes_files_only(),
            S::Normalize => step(
                self,
                "normalize",
                "Fedora's add-determinism (reproducible builds; CPython gh-98819)",
                "rewrite every bytecode file so its bytes depend on the code alone: reference marks only on objects referenced again, references renumbered",
                "",
            ),
            S::DedupeCaches => step(
                self,
                "dedupe-caches",
                "Fedora solution 9 (compileall --hardlink-dupes)",
                "hardlink a module's identical caches across levels",
                "",
            ),
            S::NoWriteMarker => step(
                self,
                "no-write-marker",
                "Fedora problem 5.3, draft PEP option 1",
                "a __dont_write_bytecode__ marker in every __pycache__ and at the tree root, honoured by pyprune's runtime",
                "",
            )
            .needs_runtime()
            .promises_no_writes(),
            S::KeepFor => step(
                self,
                "keep-for",
                "issue 14 (a stdlib split by what an application imports)",
                "remove every module the --keep-for entry points never import (by the static import graph, and what --trace saw), keeping what the interpreter imports to start, --keep and what those import",
                "every module the application does not import: other programs run on this Python may miss them",
            )
            .removes_modules(),
            S::CacheFallback => step(
                self,
                "cache-fallback",
                "Fedora solution 6 (\"fall back to less optimized caches\")",
                "with -O/-OO and no cache of that level, pyprune's runtime loads the opt-1, then opt-0 cache, writing nothing",
                "-O and -OO run less optimized stdlib code where caches were dropped (asserts and docstrings kept)",
            )
            .needs_runtime(),
        }
    }

    /// Parses a step id (`drop-opt2`), `keep-for` included (a plan lists
    /// it, and apply runs it, only for `--keep-for`).
    pub fn parse(id: &str) -> Option<StepName> {
        StepName::ALL
            .into_iter()
            .chain([StepName::KeepFor])
            .find(|s| s.info().id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_listed_once_and_named_by_its_own_entry() {
        let mut ids: Vec<&str> = StepName::ALL.iter().map(|s| s.info().id).collect();
        for step in StepName::ALL {
            assert_eq!(step.info().name, step);
            assert_eq!(StepName::parse(step.info().id), Some(step));
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), StepName::ALL.len());
        assert_eq!(StepName::parse("shrink"), None);
    }

    #[test]
    fn facts_as_the_steps_keep_them() {
        let with = |fact: fn(&StepInfo) -> bool| -> Vec<&str> {
            StepName::ALL
                .iter()
                .map(|s| s.info())
                .filter(&fact)
                .map(|i| i.id)
                .collect()
        };
        assert_eq!(
            with(|i| i.needs_runtime),
            [
                "zip-data-modules",
                "zip-stdlib",
                "zip-stdlib-deflated",
                "zip-stdlib-stored",
                "sources-compressed",
                "no-write-marker",
                "cache-fallback"
            ]
        );
        assert_eq!(
            with(|i| i.drops_traceback_lines),
            [
                "zip-stdlib-bytecode",
                "zip-stdlib-bytecode-stored",
                "sourceless"
            ]
        );
        assert_eq!(
            with(|i| i.removes_modules),
            [
                "exclude-tests",
                "exclude-installers",
                "exclude-idle-tk",
                "exclude-dev-modules",
                "exclude-dead-batteries"
            ]
        );
        assert_eq!(with(|i| i.promises_no_writes), ["no-write-marker"]);
        assert_eq!(with(|i| i.plan_only), ["compress-pycs"]);
        assert_eq!(
            with(|i| i.zip.is_some()),
            [
                "zip-data-modules",
                "zip-stdlib",
                "zip-stdlib-deflated",
                "zip-stdlib-stored",
                "zip-stdlib-bytecode",
                "zip-stdlib-bytecode-stored"
            ]
        );
    }
}
