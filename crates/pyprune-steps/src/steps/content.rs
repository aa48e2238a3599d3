//! A file's content hash, known without reading it again: `plan` predicts
//! every step and profile over the same tree, and each of its rows asks for
//! the imports, source reads, strip verdict or RECORD hash of the same files
//! (kept in [`Memo`]s by content hash). Reading and hashing every file for
//! every row was a fifth of `plan`'s time on a large venv.
//!
//! A file on disk is known by its identity and change stamps (device, inode,
//! size, mtime, ctime: any write changes the ctime), so a file changed since
//! it was hashed is read and hashed anew. (Timestamps move by the kernel's
//! clock tick: a rewrite to the same size within one tick would go unseen.
//! pyprune computes every action before it changes a file, so no step asks
//! about a file it changed.)

use super::memo::Memo;
use super::{Context, StepError};
use crate::model::{ModelFile, Origin};
use std::os::unix::fs::MetadataExt as _;
use std::sync::Arc;

/// A file's content hash, with its bytes when they had to be read for it.
pub(crate) struct Content {
    pub hash: blake3::Hash,
    /// The number of bytes.
    pub len: u64,
    bytes: Option<Arc<[u8]>>,
}

impl Content {
    /// The content hash of `file`: hashed once per file on disk for the
    /// whole process (the bytes are read only the first time).
    pub(crate) fn of(context: &Context, file: &ModelFile) -> Result<Content, StepError> {
        static HASHES: Memo<Stamp, (blake3::Hash, u64)> = Memo::new();
        let Origin::Disk(rel) = &file.origin else {
            let bytes = context.read(file)?;
            return Ok(Content::read(bytes));
        };
        if file.symlink {
            return Err(StepError::Symlink(rel.to_path_buf()));
        }
        let path = context.root.join(rel);
        let meta = std::fs::symlink_metadata(&path).map_err(|source| StepError::Read {
            path: path.clone(),
            source,
        })?;
        let stamp = Stamp::of(&meta);
        let mut read = None;
        let (hash, len) = HASHES.get_or_try(stamp, || {
            let content = Content::read(context.read(file)?);
            let known = (content.hash, content.len);
            read = Some(content);
            Ok::<_, StepError>(known)
        })?;
        Ok(read.unwrap_or(Content {
            hash,
            len,
            bytes: None,
        }))
    }

    fn read(bytes: Arc<[u8]>) -> Content {
        Content {
            hash: blake3::hash(&bytes),
            len: bytes.len() as u64,
            bytes: Some(bytes),
        }
    }

    /// The bytes: those read for the hash, or read now and kept for the next call.
    pub(crate) fn load(
        &mut self,
        context: &Context,
        file: &ModelFile,
    ) -> Result<Arc<[u8]>, StepError> {
        if let Some(bytes) = &self.bytes {
            return Ok(Arc::clone(bytes));
        }
        let bytes = context.read(file)?;
        self.bytes = Some(Arc::clone(&bytes));
        Ok(bytes)
    }

    /// The bytes: those read for the hash, or read now.
    pub(crate) fn bytes(self, context: &Context, file: &ModelFile) -> Result<Arc<[u8]>, StepError> {
        match self.bytes {
            Some(bytes) => Ok(bytes),
            None => context.read(file),
        }
    }
}

/// What tells a file on disk apart from itself changed: identity and change stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Stamp {
    device: u64,
    inode: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use pyprune_tree::Kind;

    fn disk_file(rel: &str) -> ModelFile {
        ModelFile {
            origin: Origin::Disk(std::path::Path::new(rel).into()),
            mode: 0o644,
            kind: Kind::Source,
            module: "m".into(),
            apparent: 0,
            disk: 0,
            inode: 0,
            symlink: false,
        }
    }

    #[test]
    fn a_file_changed_on_disk_is_hashed_anew() {
        let dir = tempfile::tempdir().expect("tempdir");
        let context = Context {
            root: dir.path().to_path_buf(),
            ..crate::model_builder::context()
        };
        let path = dir.path().join("m.py");
        std::fs::write(&path, "import os\n").expect("write");
        let file = disk_file("m.py");
        let first = Content::of(&context, &file).expect("hash");
        assert_eq!(first.hash, blake3::hash(b"import os\n"));
        // Asked again: the same hash, without reading.
        let again = Content::of(&context, &file).expect("hash");
        assert_eq!(again.hash, first.hash);
        assert!(again.bytes.is_none());
        assert_eq!(
            &*again.bytes(&context, &file).expect("read"),
            b"import os\n"
        );
        // Rewritten: a new size and ctime, a new hash.
        std::fs::write(&path, "import sys\n").expect("write");
        let changed = Content::of(&context, &file).expect("hash");
        assert_eq!(changed.hash, blake3::hash(b"import sys\n"));
        assert_eq!(changed.len, 11);
    }
}
