//! The page's chart of the profiles: for each, a bar of the disk size it
//! leaves (against the tree as it is now) and, where `--measure-import`
//! measured it, a bar of its import time as a ratio to the unchanged tree's.

use super::page::{Page, escape};
use crate::format::{percent, size};
use std::fmt::Write as _;

const WIDTH: f64 = 1000.0;
const LABEL: f64 = 150.0;
/// Where the import bars start, and how wide each half is.
const HALF: f64 = 400.0;
const GAP: f64 = 25.0;
const BAR_ROW: f64 = 26.0;
const TOP: f64 = 24.0;
pub const SIZE_COLOR: &str = "#4c78a8";
pub const IMPORT_COLOR: &str = "#f58518";

/// The chart as inline SVG.
pub fn profiles_chart(page: &Page) -> String {
    let rows = &page.profiles;
    let height = TOP + BAR_ROW * (rows.len() as f64 + 1.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg id=\"profiles-chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"each profile's size and import time\">"
    );
    let size_x = LABEL;
    let import_x = LABEL + HALF + GAP;
    let _ = writeln!(
        out,
        "<text x=\"{size_x}\" y=\"14\">on disk, against now ({})</text><text x=\"{import_x}\" y=\"14\">import time, against now (plan --measure-import)</text>",
        size(page.disk_bytes)
    );
    // The ratios' scale: at least 2x, so that 1x (the line) sits at most mid-way.
    let most = rows
        .iter()
        .filter_map(|r| r.import_ratio)
        .fold(2.0_f64, f64::max);
    let per_ratio = (WIDTH - import_x - 60.0) / most;
    for (index, row) in rows.iter().enumerate() {
        let y = TOP + BAR_ROW * index as f64;
        let name = escape(&row.name);
        let _ = writeln!(out, "<text x=\"0\" y=\"{:.1}\">{name}</text>", y + 14.0);
        let fraction = if page.disk_bytes == 0 {
            0.0
        } else {
            (row.disk_bytes as f64 / page.disk_bytes as f64).min(1.0)
        };
        let bar = (HALF - 110.0) * fraction;
        let size_text = format!(
            "{} (saves {})",
            size(row.disk_bytes),
            percent(row.saved_bytes.max(0) as u64, page.disk_bytes)
        );
        let _ = writeln!(
            out,
            "<rect x=\"{size_x}\" y=\"{y:.1}\" width=\"{bar:.2}\" height=\"18\" fill=\"{SIZE_COLOR}\" data-profile=\"{name}\" data-disk-bytes=\"{}\"><title>{name}: {size_text}</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{size_text}</text>",
            row.disk_bytes,
            size_x + bar + 4.0,
            y + 14.0
        );
        match row.import_ratio {
            Some(ratio) => {
                let bar = per_ratio * ratio;
                let _ = writeln!(
                    out,
                    "<rect x=\"{import_x}\" y=\"{y:.1}\" width=\"{bar:.2}\" height=\"18\" fill=\"{IMPORT_COLOR}\" data-profile=\"{name}\" data-import-ratio=\"{ratio}\"><title>{name}: imports in {ratio:.2}x the time</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{ratio:.2}x</text>",
                    import_x + bar + 4.0,
                    y + 14.0
                );
            }
            None => {
                let said = if row.imports == Some(false) {
                    "does not import the module set"
                } else {
                    "not measured"
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{import_x}\" y=\"{:.1}\" fill=\"#777\">{said}</text>",
                    y + 14.0
                );
            }
        }
    }
    if rows.iter().any(|r| r.import_ratio.is_some()) {
        let one = import_x + per_ratio;
        let bottom = TOP + BAR_ROW * rows.len() as f64;
        let _ = writeln!(
            out,
            "<line x1=\"{one:.2}\" y1=\"{:.1}\" x2=\"{one:.2}\" y2=\"{bottom:.1}\" stroke=\"#333\" stroke-dasharray=\"3 3\"/><text x=\"{one:.2}\" y=\"{:.1}\" text-anchor=\"middle\">1x</text>",
            TOP - 4.0,
            bottom + 14.0
        );
    }
    out.push_str("</svg>\n");
    out
}
