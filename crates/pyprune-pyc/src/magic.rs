//! Magic numbers: which CPython release wrote a `.pyc`. Each minor release from
//! 3.0 to 3.14 has one final number (3.5 has two: 3.5.2 changed it); numbers
//! between two finals are pre-releases of the later one.

use serde::Serialize;
use std::fmt;

/// A CPython minor version such as 3.11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
}

impl PythonVersion {
    pub const fn new(major: u8, minor: u8) -> PythonVersion {
        PythonVersion { major, minor }
    }

    /// The cache tag CPython uses in `__pycache__` file names (`cpython-311`).
    pub fn cache_tag(self) -> String {
        format!("cpython-{}{}", self.major, self.minor)
    }

    /// The release a CPython cache tag names (`cpython-311` is 3.11); `None`
    /// for other implementations' tags.
    pub fn from_cache_tag(tag: &str) -> Option<PythonVersion> {
        let minor = tag.strip_prefix("cpython-3")?.parse().ok()?;
        Some(PythonVersion::new(3, minor))
    }

    /// The name of its standard library directory (`python3.11`).
    pub fn stdlib_dir_name(self) -> String {
        format!("python{}.{}", self.major, self.minor)
    }

    /// The name of the zip its interpreter looks for beside that directory (`python311.zip`).
    pub fn stdlib_zip_name(self) -> String {
        format!("python{}{}.zip", self.major, self.minor)
    }

    /// Parses `3.11` or `3.11.7`.
    pub fn parse(text: &str) -> Option<PythonVersion> {
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(PythonVersion { major, minor })
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The final magic number of each minor release, oldest first (from CPython's
/// `Lib/importlib/_bootstrap_external.py` and `Include/internal/pycore_magic_number.h`).
const FINALS: [(u16, PythonVersion); 16] = [
    (3131, PythonVersion::new(3, 0)),
    (3151, PythonVersion::new(3, 1)),
    (3180, PythonVersion::new(3, 2)),
    (3230, PythonVersion::new(3, 3)),
    (3310, PythonVersion::new(3, 4)),
    (3350, PythonVersion::new(3, 5)),
    (3351, PythonVersion::new(3, 5)), // 3.5.2 and later
    (3379, PythonVersion::new(3, 6)),
    (3394, PythonVersion::new(3, 7)),
    (3413, PythonVersion::new(3, 8)),
    (3425, PythonVersion::new(3, 9)),
    (3439, PythonVersion::new(3, 10)),
    (3495, PythonVersion::new(3, 11)),
    (3531, PythonVersion::new(3, 12)),
    (3571, PythonVersion::new(3, 13)),
    (3627, PythonVersion::new(3, 14)),
];

/// The oldest magic number of the Python 3 line (3.0's development started at 3000).
const FIRST_PYTHON3_MAGIC: u16 = 3000;

/// What a magic number says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Magic {
    /// The number itself (the first two bytes, little-endian).
    pub number: u16,
    /// The release line that wrote it.
    pub version: PythonVersion,
    /// False for an alpha, beta or release candidate's number.
    pub is_final: bool,
}

/// A magic number that no CPython 3.0–3.14 release wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown magic number {0} (known: {FIRST_PYTHON3_MAGIC} to {newest}, CPython 3.0 to 3.14)", newest = FINALS[FINALS.len() - 1].0)]
pub struct UnknownMagic(pub u16);

impl Magic {
    /// Looks `number` up.
    pub fn lookup(number: u16) -> Result<Magic, UnknownMagic> {
        if number < FIRST_PYTHON3_MAGIC {
            return Err(UnknownMagic(number));
        }
        // The first final at or above the number is its release line.
        let (final_number, version) = FINALS
            .iter()
            .find(|(final_number, _)| *final_number >= number)
            .ok_or(UnknownMagic(number))?;
        // 3.5.2's 3351 is final too, and so is the 3.5 number just below it.
        let is_final = *final_number == number;
        Ok(Magic {
            number,
            version: *version,
            is_final,
        })
    }

    /// The final magic number of `version`, if it is one we know.
    pub fn of_version(version: PythonVersion) -> Option<u16> {
        FINALS
            .iter()
            .rev()
            .find(|(_, v)| *v == version)
            .map(|(number, _)| *number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finals_map_to_their_release() {
        let v = |n| Magic::lookup(n).map(|m| (m.version.to_string(), m.is_final));
        assert_eq!(v(3131), Ok(("3.0".into(), true)));
        assert_eq!(v(3350), Ok(("3.5".into(), true)));
        assert_eq!(v(3351), Ok(("3.5".into(), true)));
        assert_eq!(v(3413), Ok(("3.8".into(), true)));
        assert_eq!(v(3495), Ok(("3.11".into(), true)));
        assert_eq!(v(3627), Ok(("3.14".into(), true)));
        assert_eq!(v(3494), Ok(("3.11".into(), false)));
        assert_eq!(v(3500), Ok(("3.12".into(), false)));
        assert_eq!(v(3000), Ok(("3.0".into(), false)));
    }

    #[test]
    fn unknown_numbers_are_errors_that_show_the_number() {
        for n in [0, 62211, 2999, 3628, 3650] {
            let err = Magic::lookup(n).expect_err("unknown");
            assert!(err.to_string().contains(&n.to_string()), "{err}");
        }
    }

    #[test]
    fn every_final_is_found_for_its_version() {
        for (number, version) in FINALS {
            assert_eq!(Magic::lookup(number).map(|m| m.version), Ok(version));
            assert!(Magic::of_version(version).is_some());
        }
        assert_eq!(Magic::of_version(PythonVersion::new(3, 5)), Some(3351));
        assert_eq!(PythonVersion::new(3, 11).cache_tag(), "cpython-311");
    }

    #[test]
    fn names_derived_from_a_release() {
        let v311 = PythonVersion::new(3, 11);
        assert_eq!(PythonVersion::from_cache_tag("cpython-311"), Some(v311));
        assert_eq!(
            PythonVersion::from_cache_tag("cpython-38"),
            Some(PythonVersion::new(3, 8))
        );
        assert_eq!(PythonVersion::from_cache_tag("pypy39"), None);
        assert_eq!(PythonVersion::from_cache_tag(""), None);
        assert_eq!(v311.stdlib_dir_name(), "python3.11");
        assert_eq!(v311.stdlib_zip_name(), "python311.zip");
    }
}
