//! `plan`'s text for people: every line fits the width COLUMNS gives (what a
//! terminal's width gives too), a word wider than it (a path) excepted, and
//! each profile's steps are listed in order, as `--format json` has them.

use crate::harness::*;
use std::path::Path;

fn plan_text(stdlib: &Path, columns: &str) -> String {
    let output = pyprune()
        .arg("plan")
        .arg(stdlib)
        .env("COLUMNS", columns)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The lines of `text` wider than `width`, less those that are one word
/// (after their indentation) too wide to break.
fn too_wide(text: &str, width: usize) -> Vec<&str> {
    text.lines()
        .filter(|line| line.chars().count() > width)
        .filter(|line| line.trim().contains(' '))
        .collect()
}

#[test]
fn plan_text_fits_the_width_and_lists_each_profiles_steps() {
    let env = TestEnv::new();
    let stdlib = tiny_stdlib(&env.path().join("prefix"));
    let rows = plan_rows(&stdlib);
    let mut texts = Vec::new();
    for width in [60, 132] {
        let text = plan_text(&stdlib, &width.to_string());
        assert!(too_wide(&text, width).is_empty(), "{width}:\n{text}");
        // The tables use the width they are given, not a fixed one.
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest > width - 20, "{width}: widest line {widest}\n{text}");
        // Each profile's steps, in order, joined again from the wrapped lines.
        let section = text
            .split("Each profile's steps, in order")
            .nth(1)
            .expect("the profiles' steps")
            .split("\n\n")
            .next()
            .expect("section");
        let joined = section
            .lines()
            .skip(1)
            .fold(String::new(), |mut all, line| {
                if !line.starts_with("   ") {
                    all.push('\n');
                }
                all.push(' ');
                all.push_str(line.trim());
                all
            });
        for row in rows.iter().filter(|r| r["kind"] == "profile") {
            let name = row["name"].as_str().expect("name");
            let line = joined
                .lines()
                .find(|l| l.starts_with(&format!(" {name}: ")))
                .unwrap_or_else(|| panic!("no steps for {name}:\n{text}"));
            let listed: Vec<&str> = line
                .split(": ")
                .nth(1)
                .expect("steps")
                .split(", ")
                .map(|s| s.split(' ').next().expect("step"))
                .collect();
            assert_eq!(listed, row_steps(row), "{name}");
        }
        texts.push(text);
    }
    // The check can fail: the text made for 132 columns does not fit 60.
    assert!(!too_wide(&texts[1], 60).is_empty(), "{}", texts[1]);
}
