//! The process-wide "interrupted" state and the thread that receives the signals.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// The first signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// How often children are ended again while the work unwinds: one started
/// just as the signal came is not missed.
const SWEEP: Duration = Duration::from_millis(50);

/// Work stopped because pyprune was interrupted by `signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(.signal))]
pub struct Interrupted {
    pub signal: i32,
}

impl Interrupted {
    /// The exit status a shell expects of a process ended by the signal.
    pub fn exit_status(self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(130)
    }
}

impl From<Interrupted> for io::Error {
    fn from(interrupted: Interrupted) -> io::Error {
        io::Error::new(io::ErrorKind::Interrupted, interrupted)
    }
}

/// What the signal thread tells the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The first signal: the work is stopping and cleaning up.
    Stopping(Interrupted),
    /// A second signal: pyprune exits now; these temporaries stay behind.
    ExitingNow {
        signal: i32,
        left_behind: Vec<std::path::PathBuf>,
    },
}

/// `SIGINT`, `SIGTERM`, `SIGHUP`, or the number.
pub fn signal_name(signal: &i32) -> String {
    match *signal {
        SIGINT => "SIGINT".to_owned(),
        SIGTERM => "SIGTERM".to_owned(),
        SIGHUP => "SIGHUP".to_owned(),
        other => format!("signal {other}"),
    }
}

/// The signal pyprune was interrupted by, if it was.
pub fn interrupted() -> Option<Interrupted> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(Interrupted { signal }),
    }
}

/// A check point of long work: an error once pyprune is interrupted.
pub fn check() -> Result<(), Interrupted> {
    interrupted().map_or(Ok(()), Err)
}

/// Whether an I/O error is an interruption (made from [`Interrupted`]).
pub fn is_interruption(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<Interrupted>())
}

/// Handles SIGINT, SIGTERM and SIGHUP from now on, on a thread of their own:
/// the first sets the state and ends every child (again every 50 ms, until
/// the process exits), a second ends the children and exits at once with
/// 128 + its number. `tell` says so to the user.
pub fn install(tell: impl Fn(Event) + Send + 'static) -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("pyprune-signals".into())
        .spawn(move || {
            let Some(first) = signals.forever().next() else {
                return;
            };
            SIGNAL.store(first, Ordering::SeqCst);
            crate::end_children();
            tell(Event::Stopping(Interrupted { signal: first }));
            loop {
                crate::end_children();
                if let Some(again) = signals.pending().next() {
                    crate::end_children();
                    tell(Event::ExitingNow {
                        signal: again,
                        left_behind: crate::temporaries::registered(),
                    });
                    std::process::exit(128 + again);
                }
                std::thread::sleep(SWEEP);
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interruption_survives_as_an_io_error_and_names_its_signal() {
        let error: io::Error = Interrupted { signal: SIGTERM }.into();
        assert!(is_interruption(&error));
        assert_eq!(error.to_string(), "interrupted by SIGTERM");
        assert!(!is_interruption(&io::Error::other("no")));
        assert_eq!(Interrupted { signal: SIGINT }.exit_status(), 130);
        assert_eq!(Interrupted { signal: SIGTERM }.exit_status(), 143);
        assert_eq!(Interrupted { signal: SIGHUP }.exit_status(), 129);
    }
}
