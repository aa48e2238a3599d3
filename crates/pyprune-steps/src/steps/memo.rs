//! Results worked out from a file's bytes, kept for the whole process by
//! the bytes' hash: `plan` runs the same steps over the same files for many
//! rows (parsing imports, looking for source reads, stripping libraries).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A process-wide map from a key (a content hash, with what else the result
/// depends on) to a result; meant to live in a `static`.
pub(crate) struct Memo<K, V>(OnceLock<Mutex<HashMap<K, V>>>);

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    pub(crate) const fn new() -> Self {
        Memo(OnceLock::new())
    }

    /// The result kept for `key`, or `compute`'s, kept if it succeeds. (Two
    /// threads may compute the same key at once: the lock is not held while
    /// computing, and both get equal results.)
    pub(crate) fn get_or_try<E>(
        &self,
        key: K,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let map = self.0.get_or_init(Default::default);
        // A panic elsewhere while holding the lock leaves the map whole: go on with it.
        if let Some(hit) = map.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(hit.clone());
        }
        let value = compute()?;
        map.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, value.clone());
        Ok(value)
    }

    /// [`Memo::get_or_try`] for a `compute` that cannot fail.
    pub(crate) fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        match self.get_or_try(key, || Ok::<V, std::convert::Infallible>(compute())) {
            Ok(value) => value,
        }
    }
}
