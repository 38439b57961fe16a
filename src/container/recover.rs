//! `delete --force` of a container without a usable state.json: its create was killed half-way
//! (no state.json, or only the creation record of state/creating.rs), or state.json is damaged.
//! Removes whatever can be found, then the state directory:
//!
//! - the cgroup from the creation record (or salvaged from the damaged file): every process in it
//!   is killed, then the directories are removed;
//! - the init by its pid and start time, when a damaged state.json still has both;
//! - every process that holds the container's exec fifo open: a container process until it execs
//!   (create opens the fifo before clone3, and the init and its first child inherit it), so this
//!   finds the init on any host, whatever happened, even with no record at all;
//! - nothing is mounted outside the init's own mount namespace, which goes with it.
//!
//! This path is never taken by a normal lifecycle, so it may scan /proc.
use crate::cgroups::Cgroup;
use crate::error::{Error, Result};
use crate::rt::cs;
use crate::state::{Container, EXEC_FIFO, State, STATE_FILE};
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, Mode, OFlags, RawDir};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, pidfd_open};

/// How long the killed processes may take to exit.
const EXIT_WAIT_S: i64 = 10;

/// Kills and removes everything a container without a usable state left, then its directory.
/// Call with the lock held. A cgroup that cannot be removed keeps the state directory (with its
/// record), so that another `delete --force` can finish the job.
pub fn remove_incomplete(c: Container) -> Result<()> {
    let st = c.creation_record().unwrap_or_else(|| {
        // No record: a damaged state.json, or nothing at all.
        crate::rt::io::read_at_nofollow(c.dir(), STATE_FILE).map_or_else(|_| State::default(), |d| crate::state::salvage(&d))
    });
    let cgroup = Cgroup::from_state_slot(st.extra("cgroup")).ok().flatten();
    if let Some(cg) = &cgroup {
        // Errors ignored: the record may name directories create never got to make.
        let _ = cg.kill_all(rustix::process::Signal::KILL);
    }
    let mut victims: Vec<OwnedFd> = Vec::new();
    if let Some(init) = super::process::open_init(&st)? {
        victims.push(init);
    }
    victims.extend(fifo_holders(&c));
    for pidfd in &victims {
        match syscalls::signal::pidfd_send_signal(pidfd, 9) {
            Ok(()) | Err(Errno::SRCH) => {}
            Err(e) => return Err(Error::sys("kill a process of the container", e)),
        }
    }
    for pidfd in &victims {
        if !super::process::wait_exit(pidfd, EXIT_WAIT_S)? {
            crate::bail!("a process of the container did not exit within {EXIT_WAIT_S}s of SIGKILL");
        }
    }
    // The record's paths are checked before anything is removed (cgroups/remove.rs); a refused
    // one is reported once the rest is gone.
    let refused = match &cgroup {
        Some(cg) => cg.destroy_recorded()?,
        None => None,
    };
    c.remove()?;
    refused.map_or(Ok(()), Err)
}

/// pidfds of the processes that hold the container's exec fifo open. Each is checked again
/// through its pidfd's pid after the pidfd exists, so a pid recycled meanwhile is never named.
fn fifo_holders(c: &Container) -> Vec<OwnedFd> {
    let mut found = Vec::new();
    let Ok(fifo) = rustix::fs::statat(c.dir(), cs(EXEC_FIFO), AtFlags::SYMLINK_NOFOLLOW) else { return found };
    let is_fifo = |st: &rustix::fs::Stat| st.st_dev == fifo.st_dev && st.st_ino == fifo.st_ino;
    let Ok(proc) = rustix::fs::openat(CWD, c"/proc", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return found;
    };
    let me = rustix::process::getpid();
    for_each_entry(proc.as_fd(), |name| {
        let Some(pid) = crate::rt::parse_u32(name).and_then(|p| Pid::from_raw(p as i32)) else { return };
        if pid == me {
            return;
        }
        let dir = alloc::format!("{name}/fd");
        let Ok(fds) = rustix::fs::openat(proc.as_fd(), cs(&dir), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        else {
            return;
        };
        let mut holding = None;
        for_each_entry(fds.as_fd(), |fd| {
            // statat follows the /proc magic link to the open file itself.
            if holding.is_none() && rustix::fs::statat(fds.as_fd(), cs(fd), AtFlags::empty()).is_ok_and(|st| is_fifo(&st)) {
                holding = Some(alloc::string::String::from(fd));
            }
        });
        let Some(fd) = holding else { return };
        if let Ok(pidfd) = pidfd_open(pid, PidfdFlags::empty())
            && rustix::fs::statat(fds.as_fd(), cs(&fd), AtFlags::empty()).is_ok_and(|st| is_fifo(&st))
        {
            found.push(pidfd);
        }
    });
    found
}

/// Calls `f` with the name of every entry of the directory `dir` but "." and "..".
fn for_each_entry(dir: BorrowedFd<'_>, mut f: impl FnMut(&str)) {
    let mut buf = Vec::with_capacity(8192);
    let mut entries = RawDir::new(dir, buf.spare_capacity_mut());
    while let Some(Ok(e)) = entries.next() {
        if let Ok(name) = e.file_name().to_str()
            && name != "."
            && name != ".."
        {
            f(name);
        }
    }
}
