//! Results worked out from a file's bytes, kept for the whole process by
//! the bytes' hash: `plan` runs the same steps over the same files for many
//! rows (parsing imports, looking for source reads, stripping libraries).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

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
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let value = compute()?;
        self.insert(key, value.clone());
        Ok(value)
    }

    /// The result kept for `key`, if any.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.map().get(key).cloned()
    }

    /// Keeps `value` for `key`.
    pub(crate) fn insert(&self, key: K, value: V) {
        self.map().insert(key, value);
    }

    fn map(&self) -> MutexGuard<'_, HashMap<K, V>> {
        // A panic elsewhere while holding the lock leaves the map whole: go on with it.
        self.0
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
