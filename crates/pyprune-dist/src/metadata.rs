//! What a distribution's `METADATA` (core metadata, an RFC 822 header
//! block) says that pyprune needs: its name, its version, and the
//! distributions it requires to run.

/// The headers of `METADATA`: the lines before the first empty one (the
/// description may follow, and holds anything).
fn headers(metadata: &str) -> impl Iterator<Item = &str> {
    metadata.lines().take_while(|l| !l.trim().is_empty())
}

/// The first value of header `key` (`Name`, `Version`).
pub(crate) fn header(metadata: &str, key: &str) -> Option<String> {
    headers(metadata).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().to_owned())
    })
}

/// The distributions a `METADATA` requires whatever extras are asked for:
/// each `Requires-Dist` whose marker does not name an extra, by its
/// normalized name ([`normalized_name`]). A marker on the platform or
/// release still counts: pyprune does not evaluate it, and a requirement
/// kept for nothing costs only bytes.
pub fn requirements(metadata: &str) -> Vec<String> {
    let mut names: Vec<String> = headers(metadata)
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("Requires-Dist") {
                return None;
            }
            let (spec, marker) = value.split_once(';').unwrap_or((value, ""));
            let marker: String = marker.chars().filter(|c| !c.is_whitespace()).collect();
            if marker.contains("extra==") || marker.contains("extra!=") {
                return None;
            }
            let name: String = spec
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            (!name.is_empty()).then(|| normalized_name(&name))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A distribution name as PEP 503 compares them: lower case, each run of
/// `-`, `_` and `.` one `-`.
pub fn normalized_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_skip_extras_and_keep_other_markers() {
        let metadata = "Metadata-Version: 2.4\nName: Flask\nVersion: 3.1\n\
            Requires-Dist: Werkzeug>=3.1\n\
            Requires-Dist: importlib-metadata>=3.6; python_version < \"3.10\"\n\
            Requires-Dist: asgiref>=3.2 ; extra == \"async\"\n\
            Requires-Dist: Jinja2 (>=3.1.2)\n\
            Requires-Dist: zope.interface[testing]\n\
            \n\
            Requires-Dist: in the description\n";
        assert_eq!(
            requirements(metadata),
            ["importlib-metadata", "jinja2", "werkzeug", "zope-interface"]
        );
        assert_eq!(header(metadata, "name").as_deref(), Some("Flask"));
    }

    #[test]
    fn names_normalize_as_pep_503_says() {
        assert_eq!(normalized_name("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalized_name("FRIENDLY._-bard"), "friendly-bard");
        assert_eq!(normalized_name("setuptools"), "setuptools");
    }
}
