//! What pyprune does when it is interrupted. SIGINT, SIGTERM and SIGHUP set
//! one process-wide state ([`check`]) that long work looks at between its
//! steps, end every child at once (so that nothing waits on them), and let the
//! work unwind through its ordinary failure paths, which remove what it made
//! ([`Temporary`]); the process then exits with 128 + the signal. A second
//! signal exits at once. Children started through [`die_with_parent`] also
//! die when pyprune is killed outright (SIGKILL), and a [`Watchdog`] then
//! kills what they started in their process groups.

mod children;
mod pause;
mod state;
mod temporaries;
#[cfg(test)]
mod test_support;
mod watchdog;

pub use children::{die_with_parent, end_children};
pub use pause::pause_point;
pub use state::{Event, Interrupted, check, install, interrupted, is_interruption, signal_name};
pub use temporaries::{Temporary, remove_left_behind};
pub use watchdog::Watchdog;
