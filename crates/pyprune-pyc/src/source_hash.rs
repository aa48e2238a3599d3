//! The source hash of hash-based pycs (PEP 552), computed as CPython's
//! `_imp.source_hash(_RAW_MAGIC_NUMBER, source)` does: SipHash keyed with the
//! magic number's four bytes as a little-endian integer (k0) and 0 (k1), the
//! 64-bit result stored little-endian. CPython used SipHash-2-4 for it from
//! 3.7, and SipHash-1-3 from 3.11 on (when `_Py_KeyedHash` moved to siphash13).

use crate::magic::PythonVersion;
use std::hash::Hasher as _;

/// The 8 header bytes CPython `version` (with magic `magic`) writes for `source`.
pub fn source_hash(version: PythonVersion, magic: [u8; 4], source: &[u8]) -> [u8; 8] {
    let key = u64::from(u32::from_le_bytes(magic));
    let value = if version >= PythonVersion::new(3, 11) {
        let mut hasher = siphasher::sip::SipHasher13::new_with_keys(key, 0);
        hasher.write(source);
        hasher.finish()
    } else {
        let mut hasher = siphasher::sip::SipHasher24::new_with_keys(key, 0);
        hasher.write(source);
        hasher.finish()
    };
    value.to_le_bytes()
}
