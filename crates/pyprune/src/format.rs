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

/// `part` as a percentage of `whole`, one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
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
    }
}
