//! A watchdog for the process groups of pyprune's workers, for when pyprune
//! is killed outright (SIGKILL, the out-of-memory killer): a worker dies with
//! it ([`crate::die_with_parent`]), but what a module started in the worker's
//! group would live on. The watchdog is one small `sh` per verify run, in a
//! process group of its own, that reads the groups to watch from a pipe only
//! pyprune holds the other end of: at end of file (pyprune exited, however)
//! it kills the groups still watched, and exits itself.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};

/// Reads `+GROUP` and `-GROUP` lines; at end of file, kills what is left.
/// A group is struck off only once its leader is reaped, so a group id it
/// kills is one pyprune had not finished with.
const SCRIPT: &str = r#"groups=""
while read -r op group; do
  case $op in
    +) groups="$groups $group" ;;
    -) kept=""
       for g in $groups; do [ "$g" = "$group" ] || kept="$kept $g"; done
       groups=$kept ;;
  esac
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
"#;

/// The running watchdog; dropped, it is told to go (no group is watched by
/// then) and reaped.
#[derive(Debug)]
pub struct Watchdog {
    /// The write end of its pipe (close-on-exec: no other child holds it).
    pipe: Option<std::io::PipeWriter>,
    child: Child,
}

impl Watchdog {
    /// Starts the watchdog.
    pub fn start() -> std::io::Result<Watchdog> {
        let (reader, writer) = std::io::pipe()?;
        let child = Command::new("sh")
            .args(["-c", SCRIPT])
            .stdin(reader)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Away from the terminal's signals: a Ctrl-C is pyprune's to handle.
            .process_group(0)
            .spawn()?;
        Ok(Watchdog {
            pipe: Some(writer),
            child,
        })
    }

    /// Watches the process group `group` (a worker's, just started).
    pub fn watch(&self, group: u32) {
        self.say(&format!("+ {group}\n"));
    }

    /// Stops watching `group` (its leader was reaped).
    pub fn forget(&self, group: u32) {
        self.say(&format!("- {group}\n"));
    }

    fn say(&self, line: &str) {
        // One short write: atomic on a pipe, whichever thread makes it.
        if let Some(mut pipe) = self.pipe.as_ref() {
            let _ = pipe.write_all(line.as_bytes());
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.pipe.take());
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gone_within, group_with_sleeper, running};
    use std::time::Duration;

    #[test]
    fn a_watched_group_is_killed_when_the_pipe_closes_and_a_forgotten_one_is_not() {
        let (mut watched, watched_sleeper) =
            group_with_sleeper(Command::new("sh").process_group(0));
        let (mut forgotten, forgotten_sleeper) =
            group_with_sleeper(Command::new("sh").process_group(0));
        let mut watchdog = Watchdog::start().expect("watchdog");
        watchdog.watch(watched.id());
        watchdog.watch(forgotten.id());
        watchdog.forget(forgotten.id());
        // As when pyprune dies: the pipe closes while a group is watched.
        drop(watchdog.pipe.take());
        assert!(
            gone_within(watched_sleeper, Duration::from_secs(10)),
            "the watched group's sleeper {watched_sleeper} lives on"
        );
        let _ = watched.wait();
        // The watchdog itself is gone too.
        let status = watchdog.child.wait().expect("watchdog reaped");
        assert!(status.success(), "{status}");
        assert!(running(forgotten_sleeper), "a forgotten group was killed");
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", forgotten.id())])
            .status();
        let _ = forgotten.wait();
    }
}
