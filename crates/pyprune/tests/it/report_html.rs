//! `pyprune report --html`: the page of a small stdlib of real files. Its
//! treemap's numbers are checked against `expected_inventory.py` (os.walk and
//! lstat), its tables and chart against the plan of its `--format json`; it must load
//! nothing (no script, no URL, a CSP that forbids loading), and headless
//! Chromium must render it with no console message at all, the treemap's
//! colours in the screenshot (kept as a test artefact). Without Chromium
//! that part is skipped, saying so.

use crate::harness::*;
use crate::png::colour_counts;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The page's treemap: module -> kind -> disk bytes, from the tiles' data attributes.
pub fn tiles(html: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let group = Regex::new(r#"<g class="module" data-module="([^"]*)""#).expect("regex");
    let part = Regex::new(r#"data-kind="([^"]*)" data-bytes="(\d+)""#).expect("regex");
    let mut tiles = BTreeMap::new();
    let mut starts: Vec<(usize, String)> = group
        .captures_iter(html)
        .map(|c| (c.get(0).expect("match").start(), c[1].to_owned()))
        .collect();
    starts.push((html.len(), String::new()));
    for pair in starts.windows(2) {
        let (start, name) = (&pair[0].0, &pair[0].1);
        let kinds: &mut BTreeMap<String, u64> = tiles.entry(name.clone()).or_default();
        for c in part.captures_iter(&html[*start..pair[1].0]) {
            kinds.insert(c[1].to_owned(), c[2].parse().expect("bytes"));
        }
    }
    tiles
}

/// Every plan row of `report` (as `plan --format json` gives them) is in the
/// page's tables with its sizes, each profile with its steps in order, and
/// in the chart with its size and, where measured, its import ratio.
pub fn assert_page_shows_the_plan(html: &str, report: &Value) {
    let step = Regex::new(r#"data-step="([^"]*)""#).expect("regex");
    for row in report["rows"].as_array().expect("rows") {
        let name = row["name"].as_str().expect("name");
        let tr = format!(
            "<tr data-row=\"{name}\" data-disk-bytes=\"{}\" data-saved-bytes=\"{}\">",
            row["disk_bytes"], row["saved_bytes"]
        );
        assert!(html.contains(&tr), "no {tr}");
        if row["kind"] != "profile" {
            continue;
        }
        let start = html.find(&tr).expect("row");
        let end = start + html[start..].find("</tr>").expect("row end");
        let steps: Vec<&str> = step
            .captures_iter(&html[start..end])
            .map(|c| c.get(1).expect("step").as_str())
            .collect();
        assert_eq!(steps, row_steps(row), "{name}");
        let bar = format!(
            "data-profile=\"{name}\" data-disk-bytes=\"{}\"",
            row["disk_bytes"]
        );
        assert!(html.contains(&bar), "no size bar {bar}");
        if let Some(ratio) = row["import_ratio"].as_f64() {
            // Read back as a number: serde_json's reading of the JSON may be an ulp off.
            let bar = Regex::new(&format!(
                r#"data-profile="{name}" data-import-ratio="([0-9.e-]+)""#
            ))
            .expect("regex");
            let drawn: f64 = bar
                .captures(html)
                .unwrap_or_else(|| panic!("no import bar for {name}"))[1]
                .parse()
                .expect("a ratio");
            assert!(
                (drawn - ratio).abs() < 1e-9,
                "{name}: {drawn} drawn, {ratio}"
            );
        }
    }
}

/// What makes a page load or run anything: none may be in it.
const LOADS: &[&str] = &[
    "<script", "<link", "<iframe", "<object", "<embed", "<img", "src=", "href=", "url(", "@import",
    "http:", "https:", "//",
];

/// The page as headless Chromium shows it: the screenshot's colour counts,
/// or what went wrong (console messages, a failed run); `None` without Chromium.
fn browse(
    page: &Path,
    screenshot: &Path,
) -> Option<Result<std::collections::HashMap<u32, u64>, String>> {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,1000",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let log = String::from_utf8_lossy(&output.stderr);
    // Chromium logs every console message (script errors, refused loads) as `CONSOLE`.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    if !output.status.success() || !console.is_empty() {
        return Some(Err(format!("{}: {}", output.status, console.join("\n"))));
    }
    let png = std::fs::read(screenshot).expect("the screenshot");
    let (width, height, counts) = colour_counts(&png);
    assert_eq!((width, height), (1200, 1000));
    Some(Ok(counts))
}

/// Where the screenshot is kept after the test.
fn artefact(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html");
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir.join(name)
}

#[test]
fn report_page_shows_the_footprint_and_plan_and_renders_cleanly() {
    let env = TestEnv::new();
    let stdlib = tiny_stdlib(&env.path().join("prefix"));
    // Counted before a third-party module is added: the page leaves it out.
    let expected = expected_inventory(&stdlib);
    env.write(
        stdlib.join("site-packages/thirdparty.py"),
        "VALUE = 1\n".repeat(2000),
    );
    let page = env.path().join("page.html");
    let output = pyprune()
        .args(["report", "--format", "json", "--top", "2", "--html"])
        .arg(&page)
        .arg(&stdlib)
        .output()
        .expect("report");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let html = std::fs::read_to_string(&page).expect("the page");
    assert_eq!(report["html"]["bytes"].as_u64(), Some(html.len() as u64));

    for loader in LOADS {
        assert!(!html.contains(loader), "the page holds {loader:?}");
    }
    assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));

    // The tiles: the 2 largest modules apart, the others in one, by kind,
    // as os.walk and lstat count them.
    let modules = expected["modules"].as_object().expect("modules");
    let mut by_size: Vec<(&String, u64)> = modules
        .iter()
        .map(|(name, m)| (name, m["disk_bytes"].as_u64().expect("bytes")))
        .collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut wanted: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (index, (name, _)) in by_size.iter().enumerate() {
        let tile = if index < 2 {
            (*name).clone()
        } else {
            format!("{} others", by_size.len() - 2)
        };
        for (kind, sizes) in modules[*name]["by_kind"].as_object().expect("by_kind") {
            let bytes = sizes["disk_bytes"].as_u64().expect("bytes");
            if bytes > 0 {
                *wanted
                    .entry(tile.clone())
                    .or_default()
                    .entry(kind.clone())
                    .or_default() += bytes;
            }
        }
    }
    assert!(by_size.len() > 3, "{by_size:?}");
    assert_eq!(report["html"]["folded_modules"], by_size.len() - 2);
    let drawn = tiles(&html);
    assert_eq!(drawn, wanted);
    assert_page_shows_the_plan(&html, &report);

    let screenshot = artefact("tiny-stdlib.png");
    let Some(seen) = browse(&page, &screenshot) else {
        eprintln!(
            "note: skipped opening the report in a browser: no chromium (scripts/install-test-deps.sh installs it)"
        );
        return;
    };
    let counts = seen.unwrap_or_else(|why| panic!("chromium: {why}"));
    // Every kind with a twentieth of the tree shows in its legend colour.
    let legend = Regex::new(r#"<span style="background:#([0-9a-f]{6})"></span>([a-z0-9-]+) "#)
        .expect("regex");
    let total: u64 = drawn.values().flat_map(|k| k.values()).sum();
    let mut checked = 0;
    for c in legend.captures_iter(&html) {
        let colour = u32::from_str_radix(&c[1], 16).expect("hex");
        let bytes: u64 = drawn.values().filter_map(|k| k.get(&c[2])).sum();
        if bytes * 20 >= total {
            let pixels = counts.get(&colour).copied().unwrap_or(0);
            assert!(
                pixels > 500,
                "{}: {pixels} pixels of #{:06x}",
                &c[2],
                colour
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "{checked} kinds checked");

    // The checks can fail: a page of ours that would run a script and load
    // an image is caught (its CSP refuses both, and says so on the console).
    let planted = env.write(
        "planted.html",
        html.replace(
            "</body>",
            "<img src=\"https://example.invalid/x.png\"><script>nosuch()</script></body>",
        ),
    );
    match browse(&planted, &env.path().join("planted.png")).expect("chromium") {
        Err(why) => assert!(
            why.contains("example.invalid") && why.contains("inline script"),
            "{why}"
        ),
        Ok(_) => panic!("a page with a script and an image passed"),
    }
}

/// `--html` naming a FIFO (or a directory) is refused, named, before the
/// plan's work, and the FIFO stays a FIFO: the page is written beside its
/// target and renamed over it, which would leave a file where a reader
/// waits on the pipe. Nothing temporary is left beside it. Through a
/// symlink, the page replaces what the link points to, and the link stays.
#[test]
fn report_refuses_to_replace_a_fifo_or_a_directory_and_keeps_a_link() {
    use std::os::unix::fs::FileTypeExt as _;
    let env = TestEnv::new();
    // Any tree: the refusal comes before it is read.
    let stdlib = env.write("tree/colorsys.py", "import math\n");
    let stdlib = stdlib.parent().expect("tree");
    let pages = env.path().join("pages");
    std::fs::create_dir(&pages).expect("mkdir");
    let fifo = pages.join("page.html");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for (target, kind) in [(&fifo, "a FIFO (named pipe)"), (&pages, "a directory")] {
        let output = pyprune()
            .args(["report", "--html"])
            .arg(target)
            .arg(stdlib)
            .output()
            .expect("report");
        let said = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{said}");
        assert!(
            said.contains(&format!("--html `{}` is {kind}", target.display())),
            "{said}"
        );
        assert!(output.stdout.is_empty(), "{said}");
    }
    let file_type = std::fs::symlink_metadata(&fifo).expect("lstat").file_type();
    assert!(file_type.is_fifo(), "{file_type:?}");
    assert_eq!(names_in(&pages), ["page.html"]);

    // Through a symlink the page goes where it points, as a shell's `>`
    // writes, and the link stays: to a FIFO refused, dangling made.
    let links = env.path().join("links");
    std::fs::create_dir(&links).expect("mkdir");
    std::os::unix::fs::symlink("../pages/page.html", links.join("to-fifo.html")).expect("link");
    std::os::unix::fs::symlink("real.html", links.join("page.html")).expect("link");
    let report = |html: &Path| {
        pyprune()
            .args(["report", "--html"])
            .arg(html)
            .arg(stdlib)
            .output()
            .expect("report")
    };
    let refused = report(&links.join("to-fifo.html"));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("is a FIFO"),
        "{}",
        stderr(&refused)
    );
    let written = report(&links.join("page.html"));
    assert!(written.status.success(), "{}", stderr(&written));
    let link = std::fs::symlink_metadata(links.join("page.html")).expect("lstat");
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let page = std::fs::read_to_string(links.join("real.html")).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert_eq!(names_in(&links), ["page.html", "real.html", "to-fifo.html"]);
}
