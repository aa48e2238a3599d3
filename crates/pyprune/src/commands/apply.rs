//! `pyprune apply`: a profile or steps performed on a copy of the tree or in place.

use crate::Outcome;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::pipeline;
use crate::printer::Printer;
use crate::settings::ApplySettings;
use pyprune_fs::display_path;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct ApplyReport {
    out: String,
    steps: Vec<&'static str>,
    actions: u64,
    predicted_disk_bytes: u64,
    disk_bytes: u64,
    /// For a venv copied with --out: the path its scripts, `activate` and
    /// pyvenv.cfg name, and whether they were rewritten to name `out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    venv_paths: Option<VenvPathsReport>,
    /// What `verify` found in the result (absent with --no-verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<pyprune_verify::Report>,
    /// The third-party packages no step touched (counted in the sizes: the
    /// result holds them as they were).
    left_out: pipeline::LeftOut,
    /// What the walk would not or could not open (FIFOs, sockets, devices,
    /// unreadable files and directories), each warned about: not in the
    /// result with --out, left as it was in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_opened: Vec<pipeline::NotOpened>,
    /// Whether the tree was changed in place (else `out` is a copy).
    #[serde(skip)]
    in_place: bool,
    /// The distributions no step touched because their RECORD cannot be
    /// trusted (malformed, or naming paths outside the tree).
    untouched_distributions: Vec<pipeline::Untouched>,
    /// What the steps would have changed but left as it was, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_as_is: Vec<pipeline::StepLeft>,
    /// With --link-unchanged: the files of the result that are hardlinks to
    /// the input's.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_with_input: Option<SharedReport>,
    /// With --keep-for: what its step removed and saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_for: Option<pipeline::KeepForReport>,
}

/// Files of the result that share their inode with the input's: a change
/// made in place to one shows in both.
#[derive(Debug, Serialize)]
struct SharedReport {
    input: String,
    files: u64,
}

#[derive(Debug, Serialize)]
struct VenvPathsReport {
    /// The paths the original venv named itself by.
    named: Vec<String>,
    /// The path the result's files name.
    names: String,
    /// `false` with --keep-venv-paths: the result must be moved to `names` to work.
    rewritten: bool,
    /// The files that name it, relative to `out`.
    files: Vec<String>,
}

pub fn run(args: &ApplyArgs, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Outcome> {
    let settings = ApplySettings::resolve(args, global)?;
    let applied = pipeline::apply(&settings, printer)?;
    let report = ApplyReport {
        out: display_path(&applied.tree),
        steps: applied.steps.iter().map(|s| s.info().id).collect(),
        actions: applied.staged.actions,
        predicted_disk_bytes: applied.staged.predicted_disk_bytes,
        disk_bytes: applied.staged.disk_bytes,
        venv_paths: applied.staged.venv.map(|v| VenvPathsReport {
            named: v.named.iter().map(|p| display_path(p)).collect(),
            names: display_path(&v.names),
            rewritten: v.rewritten,
            files: v.files.iter().map(|p| display_path(p)).collect(),
        }),
        verify: applied.verify,
        left_out: applied.left_out,
        not_opened: applied.not_opened,
        in_place: matches!(
            settings.destination,
            crate::settings::Destination::InPlace { .. }
        ),
        untouched_distributions: applied.untouched,
        left_as_is: applied.left_as_is,
        shared_with_input: applied.shared.map(|shared| SharedReport {
            input: display_path(&shared.input),
            files: shared.files,
        }),
        keep_for: applied.keep_for,
    };
    if let Some(keep_for) = &report.keep_for {
        pipeline::keep_for_notes(keep_for, printer);
    }
    super::write_report(global.format, &report, render)?;
    // A failed verification makes the exit status 1.
    Ok(match &report.verify {
        Some(verify) if !verify.passed() => Outcome::Problems,
        _ => Outcome::Success,
    })
}

fn render(report: &ApplyReport) -> String {
    let mut text = format!(
        "{}: {} applied in {} actions; {} on disk (predicted {})\n",
        report.out,
        report.steps.join(", "),
        report.actions,
        crate::format::size(report.disk_bytes),
        crate::format::size(report.predicted_disk_bytes)
    );
    if let Some(keep_for) = &report.keep_for {
        text.push_str(&pipeline::keep_for_line(keep_for));
    }
    if let Some(venv) = &report.venv_paths {
        let files = venv.files.len();
        text.push_str(&if venv.rewritten {
            format!(
                "venv: its scripts, activate and pyvenv.cfg name {} ({files} files rewritten)\n",
                venv.names
            )
        } else {
            format!(
                "venv: its scripts, activate and pyvenv.cfg still name {} ({files} files; --keep-venv-paths): move it there to use it\n",
                venv.names
            )
        });
    }
    match &report.shared_with_input {
        Some(SharedReport { input, files: 0 }) => text.push_str(&format!(
            "--link-unchanged: every file was copied: the result is on another filesystem than {input}\n"
        )),
        Some(SharedReport { input, files }) => text.push_str(&format!(
            "{} to {input}'s (--link-unchanged): {} its inodes, so a change made in place \
             (an editor writing through, chmod, touch) shows in both trees; pyprune itself only replaces files\n",
            match files {
                1 => "1 file is a hardlink".to_owned(),
                n => format!("{n} files are hardlinks"),
            },
            if *files == 1 { "it shares" } else { "they share" }
        )),
        None => {}
    }
    if let Some(line) =
        pipeline::left_out_lines(&report.left_out, "left as they were (in the sizes above)")
    {
        text.push_str(&line);
        text.push('\n');
    }
    let not_opened = if report.in_place {
        "left as it was, not opened"
    } else {
        "not in the result, not opened"
    };
    for skipped in &report.not_opened {
        text.push_str(&format!(
            "{not_opened}: {}: {}\n",
            skipped.path, skipped.reason
        ));
    }
    for dist in &report.untouched_distributions {
        text.push_str(&format!(
            "{} {} left untouched: its RECORD ({}/RECORD) {}\n",
            dist.name, dist.version, dist.dist_info, dist.why
        ));
    }
    for left in &report.left_as_is {
        text.push_str(&format!(
            "{} left `{}` as it was: {}\n",
            left.step, left.what, left.why
        ));
    }
    if let Some(verify) = &report.verify {
        text.push_str(&crate::verify_text::render(verify));
    }
    text
}
