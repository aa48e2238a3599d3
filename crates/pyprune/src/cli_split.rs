//! `pyprune split`'s arguments (apart from `cli.rs`, which holds the others,
//! to keep each file small); the doc comments are the help text.

use crate::cli::VerifyRunArgs;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Selectors (a comma-separated union of terms, or of terms joined by `&`, all of which
must match):
  all                 every file
  kind:KIND           source, bytecode-opt0, bytecode-opt1, bytecode-opt2, sourceless,
                      extension, metadata, data
  step:STEP           what that step removes, as `apply` would: exclude-tests,
                      exclude-installers, exclude-idle-tk, exclude-dev-modules,
                      exclude-dead-batteries, exclude-devel, drop-caches,
                      drop-optimized-caches, drop-opt2
  module:NAME         the files of a top-level module
  path:PREFIX         files at or under a path relative to the tree
  pysources           a sourceless layout's sources (__pysources__/, a .py beside its .pyc)

Default layers, in the order they take files (the first layer whose selector matches a
file gets it):
  devel=step:exclude-devel  tests=step:exclude-tests  idle-tk=step:exclude-idle-tk
  dev-modules=step:exclude-dev-modules  sources=pysources
  bytecode-opt0=kind:bytecode-opt0&step:drop-caches  (and likewise opt1, opt2)  core=all
The cache layers leave in core the caches of what the interpreter imports before
pyprune's runtime loads (it would write them whatever a marker says), as drop-caches does.

Examples:
  pyprune split /usr/lib64/python3.12 --prefix /usr/lib64/python3.12 --out lists/
  pyprune split TREE --layer docs=module:pydoc_data --check --install core+docs")]
pub struct SplitArgs {
    /// The tree [default: the standard library of the interpreter].
    pub path: Option<PathBuf>,

    /// A layer, NAME=SELECTOR (repeat for more). The first layer whose selector matches
    /// a file gets it, so every file is in exactly one layer: these layers come before
    /// the default ones, and one named like a default layer replaces it in its place.
    #[arg(long = "layer", value_name = "NAME=SELECTOR")]
    pub layers: Vec<String>,

    /// Split by the --layer layers only (a file none matches is reported, and fails
    /// --check).
    #[arg(long)]
    pub no_default_layers: bool,

    /// Write the lists' paths under this root instead of the tree's path (where the tree
    /// is installed: /usr/lib64/python3.12).
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,

    /// List a layer under a root of its own, NAME=DIR (repeat for more): a sources layer
    /// installed outside the stdlib (/usr/src/python3.12), laid out as the tree. pyprune's
    /// runtime finds a sourceless module's source there through a
    /// `__pysources__/__parallel__` file in the tree naming DIR, or PYPRUNE_PYSOURCES_PREFIX.
    #[arg(long = "layer-prefix", value_name = "NAME=DIR")]
    pub layer_prefixes: Vec<String>,

    /// Write the lists into DIR (made if missing, outside the tree): for each layer
    /// LAYER.list (one path per line), LAYER.files (an RPM %files fragment) and
    /// LAYER.install (a Debian/apk install list), and split.json (the JSON report).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// What to do about files hardlinked across layers (packages cannot share a
    /// hardlink: each package installs its own copy).
    #[arg(long, value_enum, default_value_t = LinksArg::Report)]
    pub links: LinksArg,

    /// An install, layers joined by `+` (repeat, smallest first), for the size table and
    /// --check [default: the base layer, then one layer more at a time, caches first].
    #[arg(long = "install", value_name = "LAYER+...")]
    pub installs: Vec<String>,

    /// Lay out each install under DIR/INSTALL (made if missing, outside the tree): its
    /// files hardlinked from the tree (so never edit them there), for a container layer
    /// or a look.
    #[arg(long, value_name = "DIR")]
    pub materialize: Option<PathBuf>,

    /// Prove the split: every file in exactly one layer, each install a file-wise subset
    /// of the next, and each install, laid out alone in a temporary directory, verified
    /// by its interpreter against the whole tree (every module that imports in the tree
    /// and whose files the install has imports; with a no-write marker, nothing is
    /// written). Exits with 1 naming what fails. Verifying costs about a `pyprune verify`
    /// of the tree per install (minutes for a whole stdlib): choose them with --install.
    #[arg(long)]
    pub check: bool,

    /// With --check: check the plain lists DIR/LAYER.list (as --out wrote them, perhaps
    /// edited since) instead of the split made now.
    #[arg(long, value_name = "DIR", requires = "check")]
    pub lists: Option<PathBuf>,

    /// With --check: do not run verify on the installs.
    #[arg(long, requires = "check")]
    pub no_verify: bool,

    #[command(flatten)]
    pub run: VerifyRunArgs,
}

/// What `split` does about files hardlinked across layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinksArg {
    /// Warn, name them in the report, and write the lists.
    Report,
    /// Exit with 1 before writing anything.
    Refuse,
    /// Give each path of such a link outside its first layer (in install order) a copy
    /// of its own, in the tree: each replaced atomically (a copy beside it, renamed over
    /// it), so an interrupted run leaves whole files. The only way split writes into the
    /// tree.
    Break,
}
