//! Writing and reading `pythonXY.zip`: each member packed on its own (stored,
//! deflated, or deflated by zopfli), in parallel, then laid out in name order
//! with the earliest DOS time, so that the same members give the same bytes
//! on every run. zipimport reads stored and deflated members only, so those
//! are the only methods written; zopfli writes ordinary deflate streams.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write as _;

/// How one member is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Packing {
    /// Read as it is: no inflating at import.
    Stored,
    /// zlib's best level (9).
    Deflated,
    /// Deflate streams found by zopfli: smaller than zlib's best, inflated at
    /// the same speed, made many times slower.
    Zopfli,
}

/// zopfli's iterations: one. Its own default (15) multiplies the time, already
/// minutes for a stdlib, for a fraction of a percent more.
const ZOPFLI_ITERATIONS: i64 = 1;

impl Packing {
    fn options(self) -> zip::write::SimpleFileOptions {
        let (method, level) = match self {
            Packing::Stored => (zip::CompressionMethod::Stored, None),
            Packing::Deflated => (zip::CompressionMethod::Deflated, Some(9)),
            // The zip crate deflates with zopfli above level 9: iterations = level - 9.
            Packing::Zopfli => (
                zip::CompressionMethod::Deflated,
                Some(9 + ZOPFLI_ITERATIONS),
            ),
        };
        zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(level)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
    }
}

/// A zip of `members` (name: bytes and packing), in name order.
pub(crate) fn write_zip(members: &BTreeMap<String, (Vec<u8>, Packing)>) -> Vec<u8> {
    // Each member packed alone, in parallel (zopfli takes seconds per
    // megabyte), then copied into one zip as it was packed.
    let packed: Vec<Vec<u8>> = members
        .par_iter()
        .map(|(name, (bytes, packing))| one_member_zip(name, bytes, *packing))
        .collect();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for one in packed {
        // Written into memory just above: readable.
        if let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(one))
            && let Ok(file) = archive.by_index_raw(0)
        {
            let _ = writer.raw_copy_file(file);
        }
    }
    writer.finish().map(|c| c.into_inner()).unwrap_or_default()
}

fn one_member_zip(name: &str, bytes: &[u8], packing: Packing) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Writing into memory does not fail.
    if writer.start_file(name, packing.options()).is_ok() {
        let _ = writer.write_all(bytes);
    }
    writer.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// The members of an existing zip (unreadable ones left out).
pub(crate) fn read_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for i in 0..archive.len() {
        if let Ok(mut file) = archive.by_index(i) {
            let mut content = Vec::new();
            let name = file.name().map(|n| n.into_owned());
            if let Ok(name) = name
                && std::io::Read::read_to_end(&mut file, &mut content).is_ok()
            {
                members.push((name, content));
            }
        }
    }
    members
}
