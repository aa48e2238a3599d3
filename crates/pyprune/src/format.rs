//! Numbers for people: sizes in B/KiB/MiB/GiB that fit in eight columns, percentages.

/// `946 B`, `12.3 KiB`, `378 KiB`, `1.4 MiB`; at most eight characters below 1000 GiB.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // One decimal while it fits in eight characters and rounding does not reach 100.
    if value < 99.95 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Like [`size`], but a dash for nothing, which reads better in sparse tables.
pub fn size_or_dash(bytes: u64) -> String {
    if bytes == 0 {
        "-".to_owned()
    } else {
        size(bytes)
    }
}

/// Like [`size`], with a minus sign for a negative count (a row that grows the tree).
pub fn signed_size(bytes: i64) -> String {
    if bytes >= 0 {
        size(bytes as u64)
    } else {
        format!("-{}", size(bytes.unsigned_abs()))
    }
}

/// A plan row's import column: its import-time ratio (the median, with the
/// least and greatest of the interleaved pairs below it when known), `fails`
/// when the layout did not import the module set, `-` when not measured.
pub fn import_cell(imports: Option<bool>, ratio: Option<f64>, range: Option<[f64; 2]>) -> String {
    match (imports, ratio, range) {
        (Some(true), Some(ratio), Some([min, max])) => format!("{ratio:.2}x\n{min:.2}-{max:.2}"),
        (Some(true), Some(ratio), None) => format!("{ratio:.2}x"),
        (Some(false), ..) => "fails".to_owned(),
        _ => "-".to_owned(),
    }
}

/// `part` as a percentage of `whole`, one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// `text` with every line wider than `width` broken at spaces, the rest of a
/// broken line indented two more than its start. A word wider than `width`
/// (a long path) stays whole. Lines that fit, tables' among them, are kept
/// as they are; terminal color codes take no width.
pub fn wrap_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if shown_width(body) <= width {
            out.push_str(line);
            continue;
        }
        let leading = body.len() - body.trim_start_matches(' ').len();
        let indent = leading + 2;
        // Where the words of the current line start: a line is broken only
        // after it holds a word.
        let mut line_start = leading;
        let mut used = 0;
        for (index, word) in body.split(' ').enumerate() {
            let word_width = shown_width(word);
            if index > 0 && used + 1 + word_width > width && used > line_start {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                used = indent;
                line_start = indent;
            } else if index > 0 {
                out.push(' ');
                used += 1;
            }
            out.push_str(word);
            used += word_width;
        }
        out.push_str(newline);
    }
    out
}

/// `head` then `items` joined by `, `, on lines of at most `width` (an item
/// wider than the rest of a line starts the next), broken only between
/// items, the later lines indented by `indent`; ends with a newline.
pub fn wrap_list(head: &str, items: &[String], width: usize, indent: usize) -> String {
    let mut out = head.to_owned();
    let mut used = shown_width(head);
    let mut line_empty = head.trim().is_empty();
    for (index, item) in items.iter().enumerate() {
        let last = index + 1 == items.len();
        let piece = if last {
            item.clone()
        } else {
            format!("{item},")
        };
        let piece_width = shown_width(&piece);
        if !line_empty && used + 1 + piece_width > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            used = indent;
        } else if !line_empty {
            out.push(' ');
            used += 1;
        }
        out.push_str(&piece);
        used += piece_width;
        line_empty = false;
    }
    out.push('\n');
    out
}

/// Characters a terminal shows of `text`: ANSI escape sequences take none.
fn shown_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(387_482), "378 KiB");
        assert_eq!(size(102_348), "99.9 KiB");
        assert_eq!(size(102_400), "100 KiB");
        assert_eq!(size(1_468_006), "1.4 MiB");
        assert_eq!(size(1024 * 1024 * 1023), "1023 MiB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(size_or_dash(0), "-");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
        assert_eq!(signed_size(-2048), "-2.0 KiB");
        assert_eq!(import_cell(Some(true), Some(1.234), None), "1.23x");
        assert_eq!(
            import_cell(Some(true), Some(1.234), Some([1.1, 1.5])),
            "1.23x\n1.10-1.50"
        );
        assert_eq!(import_cell(Some(false), None, None), "fails");
        assert_eq!(import_cell(None, None, None), "-");
    }

    #[test]
    fn long_lines_wrap_at_spaces_and_short_ones_stay() {
        let text = " container: exclude-tests 20 MiB, exclude-installers 3.1 MiB, strip-extensions 9 MiB\nshort\n";
        let wrapped = wrap_lines(text, 40);
        assert_eq!(
            wrapped,
            " container: exclude-tests 20 MiB,\n   exclude-installers 3.1 MiB,\n   strip-extensions 9 MiB\nshort\n"
        );
        assert!(wrapped.lines().all(|l| l.len() <= 40));
        assert_eq!(
            wrap_lines("a /a/very/long/path/that/cannot/break x", 10),
            "a\n  /a/very/long/path/that/cannot/break\n  x"
        );
        assert_eq!(shown_width("\u{1b}[1mbold\u{1b}[0m"), 4);
        let items: Vec<String> = [
            "exclude-tests 20 MiB",
            "drop-opt2 0 B",
            "sourceless 1.0 KiB",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            wrap_list(" minimal:", &items, 40, 3),
            " minimal: exclude-tests 20 MiB,\n   drop-opt2 0 B, sourceless 1.0 KiB\n"
        );
    }
}
