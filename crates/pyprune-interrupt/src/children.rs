//! Children that do not outlive pyprune: each is set to be killed when
//! pyprune goes (however it goes), and on a signal every child is ended at
//! once, with the process group it leads.
//!
//! The one `unsafe` of pyprune lives here: `pre_exec` (code run between fork
//! and exec), and the raw `kill`/`killpg`/`prctl`/`getppid` calls.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// Makes the child `command` starts receive SIGKILL when pyprune dies, even by
/// SIGKILL (Linux's `PR_SET_PDEATHSIG`). If pyprune died between fork and
/// that setting, the child sees it has a new parent and does not start.
///
/// Linux sends the signal when the *thread* that started the child ends, so
/// a child must be waited for by the thread that started it (as every child
/// of pyprune is).
pub fn die_with_parent(command: &mut Command) -> &mut Command {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only makes two system calls, which are
    // async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The race: the parent went before the setting took. Not started.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        })
    }
}

/// Ends every child of pyprune with SIGKILL, and the process group of each
/// that leads one (verify's worker does, so that a timeout ends what a module
/// started). Children are found in `/proc`, whoever started them: a child not
/// yet reaped keeps its id, so none of these ids can name another's process.
pub fn end_children() {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((parent, group)) = parent_and_group(pid) else {
            continue;
        };
        if parent != me {
            continue;
        }
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            continue;
        };
        // SAFETY: plain system calls on ids of our own unreaped children.
        unsafe {
            if group == pid as u32 {
                libc::killpg(pid, libc::SIGKILL);
            }
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// The parent and process group of `pid`, from `/proc/PID/stat` (fields 4
/// and 5, after the command name, which may hold spaces and parentheses).
fn parent_and_group(pid: u32) -> Option<(u32, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(1);
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some((parent, group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gone_within, group_with_sleeper};
    use std::time::Duration;

    #[test]
    fn a_child_dies_with_the_thread_that_started_it() {
        // The thread ends without waiting: its child gets the signal.
        let mut child = std::thread::spawn(|| {
            die_with_parent(&mut Command::new("sleep"))
                .arg("60")
                .spawn()
                .expect("sleep starts")
        })
        .join()
        .expect("thread");
        let pid = child.id();
        assert!(
            gone_within(pid, Duration::from_secs(5)),
            "sleep {pid} outlived its parent thread"
        );
        let status = child.wait().expect("reaped");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    }

    #[test]
    fn children_and_their_groups_are_ended() {
        // A child leading its own group, with a grandchild in that group.
        let (mut leader, grandchild) =
            group_with_sleeper(die_with_parent(&mut Command::new("sh")).process_group(0));
        end_children();
        let status = leader.wait().expect("waited");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        assert!(
            gone_within(grandchild, Duration::from_secs(5)),
            "grandchild {grandchild} survived"
        );
    }
}
