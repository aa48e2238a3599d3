//! `pyprune dedupe`: make identical files of a tree one inode (hardlinks) or
//! copy-on-write clones (reflinks). Candidates are grouped by size, then by a
//! BLAKE3 hash, then compared byte by byte just before linking. Only files on
//! the same filesystem with the same mode, owner, group and extended
//! attributes are merged (unless content alone is asked for), and every
//! replacement is atomic, so nothing is ever lost or half done.

mod groups;
mod merge;

pub use merge::{DedupeOptions, DedupeReport, Scope, dedupe_tree};
