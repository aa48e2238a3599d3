//! A long job's progress, shared between the job (which counts) and whoever
//! shows it (which reads): the stage it is in, what that stage has done, and
//! its total when known. Counting is a relaxed atomic add, cheap enough to do
//! once per file.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct Tally {
    stage: Mutex<String>,
    done: AtomicU64,
    /// 0 while unknown.
    total: AtomicU64,
    /// Every stage begun, in order: a display that shows each stage's name
    /// misses none, however short it was.
    history: Mutex<Vec<String>>,
}

impl Tally {
    /// A tally in its first stage (`"entries scanned"`), nothing done.
    pub fn new(stage: impl Into<String>) -> Tally {
        let stage = stage.into();
        Tally {
            history: Mutex::new(vec![stage.clone()]),
            stage: Mutex::new(stage),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
        }
    }

    /// Starts the next stage: its name, how many items it has (0 if unknown), none done.
    pub fn begin(&self, stage: impl Into<String>, total: u64) {
        let stage = stage.into();
        let mut current = self.stage.lock().unwrap_or_else(|e| e.into_inner());
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(stage.clone());
        *current = stage;
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Counts `n` more items done.
    pub fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// The stages begun since the first `from` (the first one is the stage
    /// the tally was made with).
    pub fn stages_from(&self, from: usize) -> Vec<String> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.get(from..).unwrap_or_default().to_vec()
    }

    /// The stage, the items done and the total (0 if unknown).
    pub fn read(&self) -> (String, u64, u64) {
        let stage = self.stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (
            stage,
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// Counts one item on `tally`, if there is one.
pub fn count(tally: Option<&Tally>) {
    if let Some(tally) = tally {
        tally.add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_stage_starts_from_nothing_done() {
        let tally = Tally::new("entries scanned");
        tally.add(41);
        count(Some(&tally));
        assert_eq!(tally.read(), ("entries scanned".to_owned(), 42, 0));
        tally.begin("files compared", 7);
        count(Some(&tally));
        assert_eq!(tally.read(), ("files compared".to_owned(), 1, 7));
        assert_eq!(tally.stages_from(0), ["entries scanned", "files compared"]);
        assert_eq!(tally.stages_from(1), ["files compared"]);
        assert!(tally.stages_from(5).is_empty());
    }
}
