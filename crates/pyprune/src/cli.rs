//! The command line, defined once with clap; the doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

pub use crate::cli_split::{LinksArg, SplitArgs};

/// Measure and shrink the on-disk footprint of Python installations without breaking Python.
#[derive(Debug, Parser)]
#[command(
    name = "pyprune",
    version,
    max_term_width = 100,
    after_help = "Exit status: 0 done; 1 done with problems; 2 usage or fatal error; 130, 143 or 129 \
                  interrupted by SIGINT, SIGTERM or SIGHUP (children ended, temporaries removed; an \
                  interrupted in-place change is undone, or its `pyprune undo PATH` is named)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// How reports are written to standard output.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// When to use colors; `auto` honours NO_COLOR and FORCE_COLOR and checks for a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print less: once hides progress and notes, twice hides warnings too.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Print more about what pyprune found and did (the interpreter, the import roots; with
    /// plan, every module each removal takes away).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The interpreter to ask about the tree [default: python3 when no PATH is given].
    ///
    /// With no PATH, pyprune runs it once to find its standard library, cache tag and
    /// magic number. With a PATH, no interpreter is run unless this option is given:
    /// the cache tags are then read from the file names.
    #[arg(long, global = true, value_name = "PYTHON")]
    pub python: Option<OsString>,

    /// Also work on the site-packages (and dist-packages) of a tree that holds a standard
    /// library.
    ///
    /// pyprune works on the standard library: in the interpreter's stdlib directory (the
    /// default tree) or a prefix, the third-party packages are left out of analyze's
    /// tables, of compile and dedupe, and of every step of plan and apply (they are copied
    /// or left unchanged, and only read to keep the stdlib modules they import), and their
    /// size is said apart. verify still imports them: they must work with the stdlib.
    /// A venv or a site-packages directory named as PATH is worked on as it is.
    #[arg(long, global = true)]
    pub site_packages: bool,
}

/// Which layouts `plan --measure-import` builds and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MeasureWhich {
    /// Every step alone and every profile.
    All,
    /// The profiles only.
    Profiles,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Text,
    /// One JSON document (schema in docs/json-schema.md).
    Json,
    /// A Graphviz DOT graph (`deps` only).
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how much disk a Python installation takes, by file kind and by module.
    ///
    /// Walks the tree once, classifies every file (source, bytecode per optimization
    /// level, sourceless bytecode, extension module, metadata, data), attributes it to
    /// a top-level module, and counts apparent and real disk bytes, each hardlinked
    /// inode once.
    Analyze(AnalyzeArgs),

    /// Compile bytecode for chosen optimization levels, byte-identical to compileall.
    ///
    /// The target interpreter writes every cache (through py_compile, as compileall
    /// does) on a pool of long-lived workers. Levels that the source's syntax tree
    /// proves identical (no asserts or `__debug__`: -O changes nothing; no docstrings:
    /// -OO changes nothing more) are not compiled again but hardlinked, and levels that
    /// come out identical are hardlinked as `compileall --hardlink-dupes` does.
    Compile(CompileArgs),

    /// Hardlink identical files: a module's identical caches, or any identical files.
    ///
    /// Only files on one filesystem with equal mode, owner, group and extended attributes
    /// (security labels) are merged, unless --content-only; each replacement is atomic
    /// (a link under a temporary name, then a rename over the file).
    Dedupe(DedupeArgs),

    /// Describe .pyc files without trusting them: release, header, freshness, contents.
    ///
    /// For each file: the CPython release its magic number belongs to, the PEP 552
    /// invalidation mode, whether the import system would use it for its source
    /// (fresh, stale, no source), the file name embedded at compile time, and its code
    /// objects (functions, classes, docstrings kept or stripped).
    Inspect(InspectArgs),

    /// Show how small a Python installation can get, and what each step costs.
    ///
    /// Predicts every minimization step alone and every built-in profile on the tree
    /// (nothing is written): the disk size each leaves, what it saves, and what the
    /// user gives up for it.
    Plan(PlanArgs),

    /// Apply a profile or a list of steps: to a copy (--out) or in place (--in-place).
    ///
    /// In place, every change is journaled first (in `.pyprune-journal/` inside the tree),
    /// so that a kill at any moment leaves a working tree and `pyprune undo` restores the
    /// original byte for byte; `pyprune commit` (or --commit) drops the journal.
    Apply(ApplyArgs),

    /// Prove a tree still behaves as Python, by running its interpreter on it.
    ///
    /// The interpreter is the tree's own where it has one (a venv's bin/python, a
    /// prefix's bin/python3.X, PREFIX/bin/python3.X for PREFIX/lib/python3.X), else
    /// --python or python3. Checks that every bytecode file loads and every source
    /// compiles, that every module imports (at -O and -OO too) from inside the tree (a
    /// tree without a stdlib may use the interpreter's), and, where the tree promises
    /// it, that tracebacks through minimized modules show source lines and that Python
    /// writes nothing into the tree. A module that fails is retried in a fresh process
    /// with its package before it is judged. With --against, a module that imported in
    /// the original and fails here, also alone, is a regression. Exits with 1 on any
    /// regression.
    Verify(VerifyArgs),

    /// Split a tree into layers, the packages a distributor ships it as, and write their
    /// file lists.
    ///
    /// Every file goes to exactly one layer: the first whose selector matches it (see
    /// below). The lists come as plain paths, RPM %files fragments (each directory owned
    /// once; the base layer lists the optional cache layers' files as %ghost, as
    /// Fedora's optional bytecode cache does), Debian/apk install lists, and JSON. The
    /// report gives each layer's size and each install's (the base, then one layer more
    /// at a time), hardlinks counted once; --check proves the installs nest and work.
    /// Nothing in the tree is changed, unless --links break.
    Split(SplitArgs),

    /// The static import graph of a tree: who imports what, and what an entry point needs.
    ///
    /// Parses every module's source (ruff's parser, in parallel) and resolves each import
    /// (absolute, relative, `from pkg import submodule`, literal `__import__` and
    /// `importlib.import_module`). An edge is hard, or marked optional (in a `try` that
    /// catches ImportError), lazy (in a function), conditional (under `if TYPE_CHECKING`
    /// or a platform test) or dynamic (a literal `__import__`); a submodule needs its
    /// package. Extension, sourceless, built-in and frozen modules are nodes whose imports
    /// are unknown (the interpreter, when one is asked, lists its built-in and frozen ones).
    /// Without a question, a summary of the graph (JSON and DOT: the whole graph).
    Deps(DepsArgs),

    /// Undo an in-place apply (finished or killed halfway): the tree as it was, byte for byte.
    ///
    /// Only what is still pyprune's to restore is restored. Other programs may have
    /// changed the tree since (pip installing, upgrading or uninstalling packages): a
    /// path is left as it is, and named, when the file there is not the very one the
    /// apply left (written or replaced since, e.g. a RECORD pip rewrote), when the file
    /// the apply left was removed since, when the directory an old file would go back
    /// into was removed since (a package uninstalled), or when a directory the apply
    /// made now holds other files; a move the apply made stays when either end is
    /// skipped. Any earlier change at a skipped path stays too;
    /// everything else is restored byte for byte, and the journal goes either way (with
    /// the old copies of what was skipped). Exits with 1 when anything was skipped.
    Undo(TreeArgs),

    /// Keep an in-place apply for good: drop its journal and the old files it kept for undo.
    Commit(TreeArgs),

    /// Write one self-contained HTML page of a tree's footprint and plan.
    ///
    /// The page holds a treemap of the footprint (by top-level module, or by installed
    /// distribution in a venv or site-packages, each split by file kind), the plan's
    /// table (every step alone and every profile with its steps, sizes, savings and what
    /// it gives up) and a chart of each profile's size, with its import-time ratio where
    /// --measure-import measured it. One file: no script, no network, no other file.
    Report(ReportArgs),

    /// Print a completion script for bash, zsh or fish.
    ///
    /// bash: `pyprune completions bash > ~/.local/share/bash-completion/completions/pyprune`;
    /// zsh: `pyprune completions zsh > _pyprune` in a directory of `$fpath`;
    /// fish: `pyprune completions fish > ~/.config/fish/completions/pyprune.fish`.
    Completions(CompletionsArgs),

    /// Print the man page (roff) of pyprune, or of one of its commands.
    ///
    /// `pyprune man | man -l -` shows it; `pyprune man plan > pyprune-plan.1` writes a
    /// command's page.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub plan: PlanArgs,

    /// Write the page here (replaced if it exists).
    #[arg(long, value_name = "FILE", required = true)]
    pub html: PathBuf,

    /// How many of the largest modules (or distributions) the treemap draws apart; the
    /// rest share one tile.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub top: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose page to print (`plan`, `apply`, ...) [default: pyprune's own page].
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The tree: a stdlib directory, site-packages, a venv, a prefix or any directory
    /// [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// How many of the largest modules the text report lists (JSON lists them all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Show apparent sizes (bytes in the files) instead of disk usage in the text tables.
    #[arg(long)]
    pub apparent: bool,

    /// Exit with 1 when any warning was emitted (or, with --bytecode, anything was found).
    #[arg(long)]
    pub strict: bool,

    /// Also check every .pyc: stale caches, caches for another Python, embedded paths
    /// outside the tree (leaked build roots), cache tags that disagree with the magic
    /// number, unreadable bytecode.
    ///
    /// Reads each file's header and the start of its code (up to its embedded file name),
    /// so it costs about twice a plain walk on a tree full of bytecode; damage further
    /// into a file goes unnoticed here (`pyprune inspect` reads files whole).
    #[arg(long)]
    pub bytecode: bool,

    /// List the files behind each bytecode finding (implies --bytecode).
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("question").args(["why", "closure", "unused"])))]
pub struct DepsArgs {
    /// The tree: a stdlib directory, site-packages, a venv, a prefix or any directory
    /// [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// Who needs MODULE: every module that imports it, directly or not, each with its
    /// shortest chain of imports to it.
    #[arg(long, value_name = "MODULE")]
    pub why: Option<String>,

    /// Everything these modules need, themselves and their packages included, with sizes
    /// (comma-separated, or the option repeated: `--closure json,http.server`).
    #[arg(long, value_name = "MODULE", value_delimiter = ',')]
    pub closure: Vec<String>,

    /// The modules nothing in the tree imports (leaving out those the interpreter loads
    /// at start and `__main__` modules), with sizes.
    #[arg(long)]
    pub unused: bool,

    /// Follow only hard edges (not optional, lazy or conditional ones) in --why and
    /// --closure.
    #[arg(long)]
    pub hard_only: bool,

    /// How many modules (or chains) the text report lists (JSON and DOT list them all).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The .pyc files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// List every code object (qualified name, first line, docstring) in the text report.
    #[arg(long)]
    pub objects: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InvalidationModeArg {
    Timestamp,
    CheckedHash,
    UncheckedHash,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// An optimization level to compile for (0, 1 or 2); repeat for several [default: 0].
    #[arg(short = 'o', long = "optimize", value_name = "LEVEL", value_parser = clap::value_parser!(u8).range(0..=2))]
    pub levels: Vec<u8>,

    /// How caches record their source [default: checked-hash when SOURCE_DATE_EPOCH is set, else timestamp].
    #[arg(long, value_enum, value_name = "MODE")]
    pub invalidation_mode: Option<InvalidationModeArg>,

    /// Strip this prefix from the path embedded in the bytecode (compileall -s), e.g. a build root.
    #[arg(long, value_name = "DIR")]
    pub strip_prefix: Option<PathBuf>,

    /// Prepend this to the path embedded in the bytecode, after --strip-prefix (compileall -p).
    #[arg(long, value_name = "DIR")]
    pub prepend_prefix: Option<PathBuf>,

    /// Skip sources whose path matches this regular expression (compileall -x).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Option<String>,

    /// Worker interpreters to run [default: the number of CPUs].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Compile even sources whose caches look up to date.
    #[arg(short, long)]
    pub force: bool,

    /// Write identical levels as separate files instead of hardlinks.
    #[arg(long)]
    pub no_dedupe: bool,

    /// Write the caches into this separate tree, laid out as PYTHONPYCACHEPREFIX expects.
    #[arg(long, value_name = "DIR")]
    pub pycache_prefix: Option<PathBuf>,

    /// Compile every requested level even where the syntax tree proves levels identical
    /// (slower; the bytes come out the same).
    #[arg(long)]
    pub compile_every_level: bool,

    /// Rewrite each cache compiled so its bytes depend on the code alone: reference marks
    /// (FLAG_REF) only on objects referenced again, references renumbered (as Fedora's
    /// add-determinism does). The caches load as the same code objects.
    #[arg(long)]
    pub normalize: bool,

    /// Seconds one source may take before its worker is killed and the file reported.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// A module's caches across optimization levels (what compileall --hardlink-dupes links).
    Caches,
    /// Any identical regular files of the tree.
    Tree,
}

#[derive(Debug, Args)]
pub struct DedupeArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// Which files may be merged.
    #[arg(long, value_enum, default_value_t = ScopeArg::Caches)]
    pub scope: ScopeArg,

    /// Merge files with equal content even if mode, owner, group or extended attributes differ.
    #[arg(long)]
    pub content_only: bool,

    /// Make copy-on-write clones instead of hardlinks (btrfs, XFS, ...): the files stay separate.
    #[arg(long)]
    pub reflink: bool,

    /// Only report what would be merged and saved.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// Also build every layout (or, with `=profiles`, each profile's only) in a
    /// temporary directory and time importing a fixed set of modules with the
    /// interpreter (-B, medians of interleaved runs), as a ratio to the unchanged
    /// tree. Each layout costs a copy of the tree.
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all"
    )]
    pub measure_import: Option<MeasureWhich>,

    /// More profiles, from a TOML file (`[profile.NAME]` tables with `steps`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How many timed imports per layout with --measure-import.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 9,
        requires = "measure_import"
    )]
    pub runs: usize,

    #[command(flatten)]
    pub keep_for: KeepForArgs,

    #[command(flatten)]
    pub zip: ZipArgs,
}

/// What `--keep-for` keeps (apply and plan).
#[derive(Debug, Args)]
pub struct KeepForArgs {
    /// Keep only what this application needs: a script, a directory of application code,
    /// or a module name (as `python -m NAME` runs it); repeat for several.
    ///
    /// Every module of the tree (the stdlib; a venv's or, with --site-packages, a prefix's
    /// third-party packages too, their RECORDs rewritten) that the entry points do not
    /// import, directly or through what they import (optional, lazy and platform imports
    /// count), goes; what the interpreter itself loads to start (`-c pass`, `-m site`, at
    /// -O and -OO: asked from it) stays. Imports of computed names are warned about, by
    /// file and line. Importing a removed module raises a ModuleNotFoundError naming
    /// --keep-for. With plan: a `keep-for` row shows the cost first.
    #[arg(long, value_name = "ENTRY")]
    pub keep_for: Vec<PathBuf>,

    /// With --keep-for: modules to keep whatever imports them, with what they import
    /// (comma-separated).
    #[arg(
        long,
        value_name = "MODULE",
        value_delimiter = ',',
        requires = "keep_for"
    )]
    pub keep: Vec<String>,

    /// With --keep-for: modules (with their submodules) to remove even though something
    /// kept imports them (comma-separated); one the interpreter loads to start is refused.
    #[arg(
        long,
        value_name = "MODULE",
        value_delimiter = ',',
        requires = "keep_for"
    )]
    pub drop: Vec<String>,

    /// With --keep-for: also run each script or module entry point once with the tree's
    /// interpreter (`-X importtime`, its child interpreters too) and keep what it really
    /// imported, besides what the static graph says. The program runs for real, without
    /// arguments, in the directory pyprune was started in.
    #[arg(long, requires = "keep_for")]
    pub trace: bool,

    /// With --trace: the seconds a traced run may take before it is ended (what it
    /// imported so far still counts).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "trace")]
    pub trace_timeout: u64,
}

/// How the zip steps write `pythonXY.zip`, over each step's own choice.
#[derive(Debug, Args)]
pub struct ZipArgs {
    /// How the zip steps pack bytecode: `hot` stores what start-up and the import set
    /// import, or with --keep-for what the application needs (no inflating at each
    /// import), and deflates the rest; `stored` and `deflate`
    /// pack all of it so [default: each step's own: zip-stdlib `hot`, zip-stdlib-deflated
    /// `deflate`, zip-stdlib-stored `stored`]. Sources and data are always deflated.
    #[arg(long, value_enum, value_name = "HOW")]
    pub zip_bytecode: Option<ZipBytecode>,

    /// The zips' bytecode headers: `unchecked` [default] runs the bytecode without
    /// reading its source (nothing can edit a zip's member in place; a rebuilt zip's
    /// edited sources are compiled again), `checked` makes every import read, inflate and
    /// hash the module's source.
    #[arg(long, value_enum, value_name = "MODE")]
    pub zip_hashes: Option<ZipHashes>,

    /// Deflate the zips' deflated members with zopfli: smaller deflate streams, read as
    /// fast, built many times slower (about 1% smaller and 100 times slower on a stdlib:
    /// 20 minutes on 2 cores); stored members stay stored.
    #[arg(long)]
    pub zopfli: bool,

    /// The import set: the modules (dotted names, one a line, `#` comments) whose
    /// imports make the zips' hot path and, with `plan --measure-import`, are timed
    /// [default: common entry points: json, asyncio, email, http.client, logging, ...;
    /// with --keep-for, the application's: its needs are hot, and what its entry
    /// points import (of the stdlib) is timed].
    #[arg(long, value_name = "FILE")]
    pub import_set: Option<PathBuf>,
}

/// `--zip-bytecode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ZipBytecode {
    /// Stored on the hot path, deflated elsewhere.
    Hot,
    /// All stored.
    Stored,
    /// All deflated.
    Deflate,
}

/// `--zip-hashes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ZipHashes {
    Unchecked,
    Checked,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The tree [default with --out: the standard library of the interpreter; --in-place
    /// needs it named].
    #[arg(required_if_eq("in_place", "true"))]
    pub path: Option<PathBuf>,

    /// A built-in profile (see `pyprune plan`).
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present_any = ["steps", "keep_for"],
        conflicts_with = "steps"
    )]
    pub profile: Option<String>,

    /// More profiles, from a TOML file (`[profile.NAME]` tables with `steps`), for --profile.
    #[arg(long, value_name = "FILE", conflicts_with = "steps")]
    pub config: Option<PathBuf>,

    /// Steps to apply, in order (comma-separated step names, see `pyprune plan`).
    #[arg(long, value_name = "STEP,...", value_delimiter = ',')]
    pub steps: Vec<String>,

    /// Write the minimized tree here (it must not exist); the original is left as it is.
    /// A standard library directory is written as DIR/lib/python3.X, with the zip
    /// steps' python3X.zip beside it (a prefix layout: `PYTHONHOME=DIR` runs on it).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "in_place",
        conflicts_with = "in_place"
    )]
    pub out: Option<PathBuf>,

    /// Change the tree itself (for build roots), journaled: see `pyprune undo`.
    #[arg(long)]
    pub in_place: bool,

    /// With --out on a venv: its console scripts' shebangs, `activate` scripts and
    /// pyvenv.cfg keep naming the original venv's path, for a staged copy that will be
    /// moved there. Without it they name DIR, so that the result works where it lands.
    #[arg(long, conflicts_with = "in_place")]
    pub keep_venv_paths: bool,

    /// With --out: hardlink the files no step changes to the tree's instead of
    /// copying them (on the same filesystem), so the result takes space only
    /// for what the steps write. The result then shares those files with the
    /// tree: pyprune only ever replaces a file, but a change made in place to
    /// one (an editor writing through, chmod, touch) shows in both.
    #[arg(long, conflicts_with = "in_place")]
    pub link_unchanged: bool,

    /// What the error for importing a module a step removed ends with: how to get
    /// it back (e.g. "Install the python3-tk package."). Without it (or a profile
    /// file's `missing-module-message`), pyprune says to reinstall it or apply
    /// pyprune without that step.
    #[arg(long, value_name = "TEXT")]
    pub missing_module_message: Option<String>,

    /// With --in-place: drop the journal at the end (no undo; the space is freed).
    // `conflicts_with`, not `requires = "in_place"`: a flag's default value
    // counts as present for `requires`, so that let `--commit --out` through.
    #[arg(long, conflicts_with = "out")]
    pub commit: bool,

    /// With --in-place on a tree an interpreter of this system runs from (the
    /// default interpreter's, or --python's, own prefix or standard library): change it
    /// all the same.
    #[arg(long, conflicts_with = "out")]
    pub yes: bool,

    /// Do not run `pyprune verify` on the result.
    #[arg(long, conflicts_with_all = ["timeout", "jobs"])]
    pub no_verify: bool,

    #[command(flatten)]
    pub keep_for: KeepForArgs,

    #[command(flatten)]
    pub verify: VerifyRunArgs,

    #[command(flatten)]
    pub zip: ZipArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// The tree before minimization: a module that imported there and fails here
    /// is a regression (without it, import failures are only reported).
    #[arg(long, value_name = "ORIGINAL")]
    pub against: Option<PathBuf>,

    /// Hold the tree to this profile's promises (tracebacks with lines unless it went
    /// sourceless; no writes when it has no-write-marker). Without --profile or
    /// --steps: tracebacks are promised, and no writes when the tree has a marker.
    #[arg(long, value_name = "NAME", conflicts_with = "steps")]
    pub profile: Option<String>,

    /// More profiles, from a TOML file (`[profile.NAME]` tables with `steps`), for --profile.
    #[arg(
        long,
        value_name = "FILE",
        requires = "profile",
        conflicts_with = "steps"
    )]
    pub config: Option<PathBuf>,

    /// Hold the tree to the promises of these steps (comma-separated).
    #[arg(long, value_name = "STEP,...", value_delimiter = ',')]
    pub steps: Vec<String>,

    #[command(flatten)]
    pub run: VerifyRunArgs,
}

/// How verification runs the interpreter.
#[derive(Debug, Args)]
pub struct VerifyRunArgs {
    /// Seconds one module's import (or one file's check) may take; the interpreter is
    /// then killed, that module fails, and the rest go on in a new one.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,

    /// Interpreter processes at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,
}
