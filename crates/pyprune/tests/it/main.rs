//! Integration tests of the `pyprune` binary, in one test binary: they run the
//! real installed `python3` on real standard-library files copied into temp dirs.

mod analyze_bad_input;
mod analyze_bytecode;
mod analyze_real_tree;
mod analyze_text;
mod apply;
mod cli;
mod compile;
mod cpython_suites;
mod dedupe;
mod devel;
mod distributions;
mod embedded_python;
mod harness;
mod in_place;
mod inspect;
mod keep_imported;
mod other_pythons;
mod profiles;
mod pyc_builder;
mod pythons;
mod records;
mod refusals;
mod releases;
mod signals;
mod site_steps;
mod startup;
mod symlinks;
mod text_reports;
mod venv_result;
mod venvs;
mod verify;
mod verify_sabotage;
mod version_matrix;
