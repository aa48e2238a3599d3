//! What the crate's tests share: watching processes come and go.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `pid` runs (a zombie waiting for a reaper that is not us does not).
pub(crate) fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z'))
    })
}

/// Whether `pid` stops running within `limit` (polled: no fixed sleep).
pub(crate) fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while running(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Starts `command` as a group leader (`sh`, made by the caller with what it
/// needs) that starts a sleeper in its group; returns the leader and the
/// sleeper's pid.
pub(crate) fn group_with_sleeper(command: &mut Command) -> (Child, u32) {
    let mut leader = command
        .args(["-c", "sleep 60 & echo $!; wait"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh starts");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(leader.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("the sleeper's pid");
    (leader, line.trim().parse().expect("a pid"))
}
