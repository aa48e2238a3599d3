//! A test hook: in a debug build, pyprune pauses at the moments named by
//! `PYPRUNE_TEST_PAUSE_AT` (comma-separated: `walk`, `copy`, `perform`,
//! `cleanup`), so that a test can signal it at exactly that moment. On
//! arrival it creates `$PYPRUNE_TEST_PAUSE_MARKER.MOMENT`; it then waits for
//! a signal (and goes on, into the work's own check points), or, reached
//! while already interrupted (`cleanup`: a temporary about to be removed),
//! holds the cleanup for two minutes, which only a second signal cuts short.
//! A release build reads neither variable.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The moments to pause at (comma-separated).
const PAUSE_AT: &str = "PYPRUNE_TEST_PAUSE_AT";
/// The marker's path less its `.MOMENT` suffix.
const MARKER: &str = "PYPRUNE_TEST_PAUSE_MARKER";
/// How long a pause lasts at most: far beyond any test's deadline, and
/// bounded, so that a test that fails leaves no process waiting for ever.
const HOLD: Duration = Duration::from_secs(120);

/// The moments and the marker, when both are set (in a debug build).
fn settings() -> Option<&'static (Vec<String>, PathBuf)> {
    static SETTINGS: OnceLock<Option<(Vec<String>, PathBuf)>> = OnceLock::new();
    SETTINGS
        .get_or_init(|| {
            if !cfg!(debug_assertions) {
                return None;
            }
            let moments = std::env::var(PAUSE_AT).ok()?;
            let marker = std::env::var_os(MARKER)?;
            Some((
                moments.split(',').map(str::to_owned).collect(),
                PathBuf::from(marker),
            ))
        })
        .as_ref()
}

/// Pauses here if the test hook names `moment` (see the module's doc).
pub fn pause_point(moment: &str) {
    let Some((moments, marker)) = settings() else {
        return;
    };
    if !moments.iter().any(|m| m == moment) {
        return;
    }
    let cleaning_up = crate::interrupted().is_some();
    let mut arrived = marker.clone().into_os_string();
    arrived.push(format!(".{moment}"));
    let _ = std::fs::File::create(arrived);
    let deadline = Instant::now() + HOLD;
    while Instant::now() < deadline {
        if !cleaning_up && crate::interrupted().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
