//! The HTML page of `report --html`: one file with its style inline and its
//! pictures as inline SVG, no script, and a Content-Security-Policy that
//! forbids loading anything, so a browser shows it offline as it is.

use super::chart;
use super::treemap::{Rect, squarify};
use crate::format::{import_cell, percent, signed_size, size};
use std::fmt::Write as _;

/// Everything the page shows.
#[derive(Debug)]
pub struct Page {
    pub root: String,
    pub disk_bytes: u64,
    pub cache_tag: String,
    /// Lines said under the title (what was left out, where the runtime goes).
    pub notes: Vec<String>,
    /// The tiles' groups: top-level modules, largest first.
    pub groups: Vec<Group>,
    /// How many modules share the last tile (`others`), 0 when none do.
    pub folded: usize,
    pub steps: Vec<Row>,
    pub profiles: Vec<Row>,
}

/// A module (or the others, folded) and its disk bytes by file kind.
#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub kinds: Vec<(&'static str, u64)>,
}

impl Group {
    fn bytes(&self) -> u64 {
        self.kinds.iter().map(|(_, b)| b).sum()
    }
}

/// A plan row.
#[derive(Debug)]
pub struct Row {
    pub name: String,
    pub disk_bytes: u64,
    pub saved_bytes: i64,
    /// For a profile: its steps, each with what it saves alone.
    pub steps: Vec<(String, i64)>,
    pub gives_up: Vec<String>,
    /// With `--measure-import`: whether the layout imported the module set,
    /// and its import time as a ratio to the unchanged tree's.
    pub imports: Option<bool>,
    pub import_ratio: Option<f64>,
}

/// The kinds' colours, in the order the legend lists them.
pub const KIND_COLORS: [(&str, &str); 8] = [
    ("source", "#4c78a8"),
    ("bytecode-opt0", "#f58518"),
    ("bytecode-opt1", "#e45756"),
    ("bytecode-opt2", "#b279a2"),
    ("sourceless", "#9d755d"),
    ("extension", "#54a24b"),
    ("metadata", "#bab0ac"),
    ("data", "#72b7b2"),
];

fn kind_color(kind: &str) -> &'static str {
    KIND_COLORS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("#888888", |(_, c)| c)
}

/// `text` safe in HTML text and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta,.note{color:#555;margin:2px 0}
svg text{font:11px system-ui,sans-serif}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
.legend span{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
td ul{margin:0;padding-left:16px}td li{white-space:nowrap}";

/// The whole page.
pub fn render(page: &Page) -> String {
    let mut out = String::new();
    let title = format!("pyprune report: {}", page.root);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"pyprune {}\">\n\
         <title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&page.root));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} on disk (du -s), cache tag {}; written by pyprune {}, which changed nothing</p>",
        size(page.disk_bytes),
        escape(&page.cache_tag),
        env!("CARGO_PKG_VERSION")
    );
    for note in &page.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    render_treemap(&mut out, page);
    let _ = writeln!(
        out,
        "<h2>Profiles: what is left, and how fast it imports</h2>"
    );
    out.push_str(&chart::profiles_chart(page));
    render_table(&mut out, "Profiles", &page.profiles, page.disk_bytes, true);
    render_table(
        &mut out,
        "Each step alone",
        &page.steps,
        page.disk_bytes,
        false,
    );
    out.push_str("</body>\n</html>\n");
    out
}

/// The treemap's size in SVG units.
const MAP_W: f64 = 1000.0;
const MAP_H: f64 = 520.0;

fn render_treemap(out: &mut String, page: &Page) {
    let _ = writeln!(out, "<h2>Where the bytes are</h2>");
    let folded = if page.folded > 0 {
        format!("; the last tile holds the {} smaller ones", page.folded)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "<p class=\"note\">Files' disk usage by top-level module, each tile split by file kind{folded}. Hover a tile for its size.</p>"
    );
    let _ = writeln!(
        out,
        "<svg id=\"treemap\" viewBox=\"0 0 {MAP_W} {MAP_H}\" width=\"100%\" role=\"img\" aria-label=\"treemap of the footprint\">"
    );
    let whole = Rect {
        x: 0.0,
        y: 0.0,
        w: MAP_W,
        h: MAP_H,
    };
    let weights: Vec<u64> = page.groups.iter().map(Group::bytes).collect();
    for (group, tile) in page.groups.iter().zip(squarify(&weights, whole)) {
        if tile.area() <= 0.0 {
            continue;
        }
        let name = escape(&group.name);
        let _ = writeln!(
            out,
            "<g class=\"module\" data-module=\"{name}\" data-bytes=\"{}\">",
            group.bytes()
        );
        let inner = tile.inset(1.0);
        let kind_weights: Vec<u64> = group.kinds.iter().map(|(_, b)| *b).collect();
        for ((kind, bytes), part) in group.kinds.iter().zip(squarify(&kind_weights, inner)) {
            if part.area() <= 0.0 {
                continue;
            }
            let _ = writeln!(
                out,
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{}\" data-kind=\"{kind}\" data-bytes=\"{bytes}\"><title>{name}: {kind} {}</title></rect>",
                part.x,
                part.y,
                part.w,
                part.h,
                kind_color(kind),
                size(*bytes)
            );
        }
        let _ = writeln!(
            out,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2\"/>",
            tile.x, tile.y, tile.w, tile.h
        );
        // A label only where it fits (about 6.5 units a character).
        let label = format!("{} {}", group.name, size(group.bytes()));
        if tile.h >= 16.0 && tile.w >= 6.5 * label.chars().count() as f64 + 8.0 {
            let _ = writeln!(
                out,
                "<text x=\"{:.2}\" y=\"{:.2}\" fill=\"#fff\">{}</text>",
                tile.x + 4.0,
                tile.y + 13.0,
                escape(&label)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n<ul class=\"legend\">\n");
    for (kind, color) in KIND_COLORS {
        let bytes: u64 = page
            .groups
            .iter()
            .flat_map(|g| &g.kinds)
            .filter(|(k, _)| *k == kind)
            .map(|(_, b)| b)
            .sum();
        if bytes > 0 {
            let _ = writeln!(
                out,
                "<li><span style=\"background:{color}\"></span>{kind} {}</li>",
                size(bytes)
            );
        }
    }
    out.push_str("</ul>\n");
}

fn render_table(out: &mut String, title: &str, rows: &[Row], whole: u64, with_steps: bool) {
    let _ = writeln!(out, "<h2>{title}</h2>");
    let steps_head = if with_steps {
        "<th>steps (each one's saving alone)</th>"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<table class=\"plan\">\n<tr><th></th><th class=\"n\">on disk</th><th class=\"n\">saved</th><th class=\"n\"></th><th class=\"n\">import</th>{steps_head}<th>what you give up</th></tr>"
    );
    for row in rows {
        let _ = write!(
            out,
            "<tr data-row=\"{}\" data-disk-bytes=\"{}\" data-saved-bytes=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            escape(&row.name),
            row.disk_bytes,
            row.saved_bytes,
            escape(&row.name),
            size(row.disk_bytes),
            signed_size(row.saved_bytes),
            percent(row.saved_bytes.max(0) as u64, whole),
            import_cell(row.imports, row.import_ratio, None)
        );
        if with_steps {
            out.push_str("<td><ul>");
            for (step, saved) in &row.steps {
                let _ = write!(
                    out,
                    "<li data-step=\"{}\">{} <span class=\"meta\">{}</span></li>",
                    escape(step),
                    escape(step),
                    signed_size(*saved)
                );
            }
            out.push_str("</ul></td>");
        }
        let gives_up = if row.gives_up.is_empty() {
            "nothing".to_owned()
        } else {
            row.gives_up.join("; ")
        };
        let _ = writeln!(out, "<td>{}</td></tr>", escape(&gives_up));
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
