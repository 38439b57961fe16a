//! The container's init process as later verbs reach it: through a pidfd opened only after checking
//! that the pid still belongs to the process create made (same start time), so a recycled pid is
//! never signalled.
use crate::error::{Context, Error, Result};
use crate::state::{State, proc_stat};
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, pidfd_open};
use rustix::time::Timespec;

/// A pidfd for the init, or None when it is gone (exited, zombie, or its pid reused).
pub fn open_init(st: &State) -> Result<Option<OwnedFd>> {
    Ok(open_init_state(st)?.map(|(fd, _)| fd))
}

/// `open_init`, with the init's state letter from /proc/<pid>/stat (R, S, D...: a task frozen by a
/// cgroup freezer reads D).
pub fn open_init_state(st: &State) -> Result<Option<(OwnedFd, u8)>> {
    let Some(pid) = Pid::from_raw(st.pid) else { return Ok(None) };
    let fd = match pidfd_open(pid, PidfdFlags::empty()) {
        Ok(fd) => fd,
        Err(Errno::SRCH) => return Ok(None),
        Err(e) => return Err(Error::sys(format_args!("pidfd_open {}", st.pid), e)),
    };
    // Checked after the pidfd exists: from here the pidfd names this very process.
    match proc_stat(st.pid)? {
        Some(ps) if !matches!(ps.state, b'Z' | b'X' | b'x') && (st.start_time == 0 || ps.start_time == st.start_time) => {
            Ok(Some((fd, ps.state)))
        }
        _ => {
            crate::rt::done_with(fd);
            Ok(None)
        }
    }
}

/// Sends `sig` to the init; "container not running" when it is gone (containerd matches it).
pub fn signal_init(st: &State, sig: i32) -> Result<()> {
    let fd = open_init(st)?.ok_or_else(|| Error::msg("container not running"))?;
    match syscalls::signal::pidfd_send_signal(&fd, sig) {
        Ok(()) => Ok(()),
        Err(Errno::SRCH) => Err(Error::msg("container not running")),
        Err(e) => Err(Error::sys(format_args!("send signal {sig} to the container init"), e)),
    }
}

/// Waits until the process behind `pidfd` has exited (a zombie counts), at most `secs` seconds.
/// Returns false on timeout.
pub fn wait_exit(pidfd: &OwnedFd, secs: i64) -> Result<bool> {
    wait_exit_ms(pidfd, secs * 1000)
}

/// `wait_exit` with the limit in milliseconds.
pub fn wait_exit_ms(pidfd: &OwnedFd, ms: i64) -> Result<bool> {
    let t = Timespec { tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000 };
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    loop {
        match poll(&mut fds, Some(&t)) {
            Ok(n) => return Ok(n > 0),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e).context("poll pidfd"),
        }
    }
}

/// The container's processes when it has no cgroup (rootless without a cgroup it may write): every
/// process in the init's PID namespace, or the init alone when that is rsrun's own namespace.
/// Processes of other users, whose namespace links cannot be read, are not the container's.
pub fn pids_without_cgroup(st: &State) -> Result<alloc::vec::Vec<u32>> {
    let ns = |pid: &[u8]| {
        let path = alloc::format!("/proc/{}/ns/pid", crate::rt::lossy(pid));
        rustix::fs::stat(crate::rt::cs(&path)).ok().map(|s| (s.st_dev, s.st_ino))
    };
    let mut out = alloc::vec::Vec::new();
    let Some(init) = ns(alloc::format!("{}", st.pid).as_bytes()) else { return Ok(out) };
    if ns(b"self") == Some(init) {
        out.push(st.pid as u32);
        return Ok(out);
    }
    let dir = rustix::fs::open(c"/proc", rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty())
        .context("open /proc")?;
    let mut buf = alloc::vec::Vec::with_capacity(8192);
    let mut entries = rustix::fs::RawDir::new(&dir, buf.spare_capacity_mut());
    while let Some(e) = entries.next() {
        let e = e.context("read /proc")?;
        let name = e.file_name().to_bytes();
        if let Some(pid) = core::str::from_utf8(name).ok().and_then(crate::rt::parse_u32)
            && ns(name) == Some(init)
        {
            out.push(pid);
        }
    }
    Ok(out)
}
