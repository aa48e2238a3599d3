//! What each CPython release 3.8–3.14 ships of the modules the exclusion
//! steps remove by name: one table of when each was deprecated and removed,
//! so that `exclude-dead-batteries` and `exclude-dev-modules` remove, on a
//! tree of a given release, what that release has (and never a module of the
//! same name that a later release does not have). Checked against pyenv's
//! 3.6–3.13 trees and the "What's New" of 3.14.

use pyprune_pyc::PythonVersion;

/// The releases pyprune knows: their stdlibs are in this table, their
/// bytecode is read, their layouts are minimized and verified.
pub const SUPPORTED: std::ops::RangeInclusive<PythonVersion> =
    PythonVersion::new(3, 8)..=PythonVersion::new(3, 14);

/// Whether pyprune knows the release `version` (see [`SUPPORTED`]).
pub fn is_supported(version: PythonVersion) -> bool {
    SUPPORTED.contains(&version)
}

/// Which exclusion step a module belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// PEP 594's modules, and the others deprecated for removal: `exclude-dead-batteries`.
    DeadBattery,
    /// Tools for developing and packaging: `exclude-dev-modules`.
    DevModule,
}

/// One module of the table (a top-level name: a module, a package, or an
/// extension module's part).
#[derive(Debug, Clone, Copy)]
pub struct ModuleHistory {
    pub name: &'static str,
    pub group: Group,
    /// The release that deprecated it, if any.
    pub deprecated: Option<PythonVersion>,
    /// The first release without it, if any.
    pub removed: Option<PythonVersion>,
}

impl ModuleHistory {
    /// Whether `version`'s stdlib has it.
    pub fn ships_in(&self, version: PythonVersion) -> bool {
        self.removed.is_none_or(|removed| version < removed)
    }
}

const fn v(minor: u8) -> Option<PythonVersion> {
    Some(PythonVersion::new(3, minor))
}

const fn dead(
    name: &'static str,
    deprecated: Option<PythonVersion>,
    removed: Option<PythonVersion>,
) -> ModuleHistory {
    ModuleHistory {
        name,
        group: Group::DeadBattery,
        deprecated,
        removed,
    }
}

const fn dev(
    name: &'static str,
    deprecated: Option<PythonVersion>,
    removed: Option<PythonVersion>,
) -> ModuleHistory {
    ModuleHistory {
        name,
        group: Group::DevModule,
        deprecated,
        removed,
    }
}

/// The table. PEP 594 deprecated its modules in 3.11 and removed them in 3.13,
/// except `asynchat`, `asyncore` and `smtpd` (deprecated since 3.6, removed in
/// 3.12); `msilib` (Windows only) is never in a Linux tree but has its name
/// kept. The others: `imp` (3.4 → 3.12), `binhex` (3.9 → 3.11), `formatter`
/// (3.4 → 3.10), `parser` and `symbol` (3.9 → 3.10), `dummy_threading` (3.7 →
/// 3.9). Developer tools: `distutils` (3.10 → 3.12), `lib2to3` (3.11 → 3.13).
pub const MODULES: &[ModuleHistory] = &[
    dead("aifc", v(11), v(13)),
    dead("asynchat", v(6), v(12)),
    dead("asyncore", v(6), v(12)),
    dead("audioop", v(11), v(13)),
    dead("cgi", v(11), v(13)),
    dead("cgitb", v(11), v(13)),
    dead("chunk", v(11), v(13)),
    dead("crypt", v(11), v(13)),
    dead("_crypt", v(11), v(13)),
    dead("imghdr", v(11), v(13)),
    dead("mailcap", v(11), v(13)),
    dead("msilib", v(11), v(13)),
    dead("_msi", v(11), v(13)),
    dead("nis", v(11), v(13)),
    dead("nntplib", v(11), v(13)),
    dead("ossaudiodev", v(11), v(13)),
    dead("pipes", v(11), v(13)),
    dead("smtpd", v(6), v(12)),
    dead("sndhdr", v(11), v(13)),
    dead("spwd", v(11), v(13)),
    dead("sunau", v(11), v(13)),
    dead("telnetlib", v(11), v(13)),
    dead("uu", v(11), v(13)),
    dead("xdrlib", v(11), v(13)),
    dead("imp", v(4), v(12)),
    dead("binhex", v(9), v(11)),
    dead("formatter", v(4), v(10)),
    dead("parser", v(9), v(10)),
    dead("symbol", v(9), v(10)),
    dead("dummy_threading", v(7), v(9)),
    dead("_dummy_thread", v(7), v(9)),
    dev("pydoc_data", None, None),
    dev("ensurepip", None, None),
    dev("unittest", None, None),
    dev("doctest", None, None),
    dev("venv", None, None),
    dev("distutils", v(10), v(12)),
    dev("lib2to3", v(11), v(13)),
];

/// The modules of `group` that the stdlib of `version` has; with no known
/// release, every name the group has had in any release.
pub fn modules_of(group: Group, version: Option<PythonVersion>) -> Vec<&'static str> {
    MODULES
        .iter()
        .filter(|m| m.group == group)
        .filter(|m| version.is_none_or(|v| m.ships_in(v)))
        .map(|m| m.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(group: Group, minor: u8) -> Vec<&'static str> {
        let mut names = modules_of(group, Some(PythonVersion::new(3, minor)));
        names.sort_unstable();
        names
    }

    const PEP_594_LAST: &[&str] = &[
        "_crypt",
        "_msi",
        "aifc",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "imghdr",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
    ];

    fn with(extra: &[&'static str]) -> Vec<&'static str> {
        let mut names = PEP_594_LAST.to_vec();
        names.extend_from_slice(extra);
        names.sort_unstable();
        names
    }

    #[test]
    fn dead_batteries_of_each_release() {
        let early = ["asynchat", "asyncore", "smtpd", "imp"];
        let mut v38 = early.to_vec();
        v38.extend([
            "binhex",
            "formatter",
            "parser",
            "symbol",
            "dummy_threading",
            "_dummy_thread",
        ]);
        assert_eq!(of(Group::DeadBattery, 8), with(&v38));
        let mut v39 = early.to_vec();
        v39.extend(["binhex", "formatter", "parser", "symbol"]);
        assert_eq!(of(Group::DeadBattery, 9), with(&v39));
        let mut v310 = early.to_vec();
        v310.push("binhex");
        assert_eq!(of(Group::DeadBattery, 10), with(&v310));
        assert_eq!(of(Group::DeadBattery, 11), with(&early));
        assert_eq!(of(Group::DeadBattery, 12), with(&[]));
        assert!(of(Group::DeadBattery, 13).is_empty());
        assert!(of(Group::DeadBattery, 14).is_empty());
    }

    #[test]
    fn dev_modules_of_each_release() {
        let always = ["doctest", "ensurepip", "pydoc_data", "unittest", "venv"];
        let sorted = |names: &[&'static str]| {
            let mut names = names.to_vec();
            names.sort_unstable();
            names
        };
        for minor in 8..=11 {
            let mut all = always.to_vec();
            all.extend(["distutils", "lib2to3"]);
            assert_eq!(of(Group::DevModule, minor), sorted(&all), "3.{minor}");
        }
        let mut v312 = always.to_vec();
        v312.push("lib2to3");
        assert_eq!(of(Group::DevModule, 12), sorted(&v312));
        assert_eq!(of(Group::DevModule, 13), sorted(&always));
        assert_eq!(of(Group::DevModule, 14), sorted(&always));
    }

    #[test]
    fn an_unknown_release_gets_every_name_and_the_range_is_3_8_to_3_14() {
        assert_eq!(
            modules_of(Group::DeadBattery, None).len(),
            MODULES
                .iter()
                .filter(|m| m.group == Group::DeadBattery)
                .count()
        );
        assert!(modules_of(Group::DevModule, None).contains(&"distutils"));
        assert!(!is_supported(PythonVersion::new(3, 7)));
        assert!(is_supported(PythonVersion::new(3, 8)));
        assert!(is_supported(PythonVersion::new(3, 14)));
        assert!(!is_supported(PythonVersion::new(3, 15)));
        assert!(!is_supported(PythonVersion::new(2, 7)));
    }

    /// Every module the table says a release ships is in pyenv's tree of that
    /// release, and every one it says is gone is not (where pyenv has it).
    #[test]
    fn the_table_agrees_with_the_stdlibs_on_this_machine() {
        let Ok(out) = std::process::Command::new("pyenv").arg("root").output() else {
            eprintln!("note: no pyenv: the table is not checked against real stdlibs");
            return;
        };
        let root = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let Ok(entries) = std::fs::read_dir(root.join("versions")) else {
            return;
        };
        let mut checked = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = PythonVersion::parse(&name).filter(|v| is_supported(*v)) else {
                continue;
            };
            let stdlib = entry.path().join("lib").join(version.stdlib_dir_name());
            let Ok(dynload) = std::fs::read_dir(stdlib.join("lib-dynload")) else {
                continue;
            };
            let extensions: Vec<String> = dynload
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            for module in MODULES.iter().filter(|m| !m.name.contains("msi")) {
                let present = stdlib.join(module.name).is_dir()
                    || stdlib.join(format!("{}.py", module.name)).is_file()
                    || extensions
                        .iter()
                        .any(|e| e.split('.').next() == Some(module.name));
                assert_eq!(
                    present,
                    module.ships_in(version),
                    "{} in {}",
                    module.name,
                    stdlib.display()
                );
            }
            checked += 1;
        }
        eprintln!("checked the table against {checked} stdlibs");
    }
}
