//! `rsrun events [--stats] [--interval D] <id>`: the container's resource usage and OOM kills as
//! JSON lines, in runc's shape (runc types.Event):
//!
//! ```text
//! {"type":"stats","id":"c1","data":{"cpu":{…},"cpuset":{…},"memory":{…},"pids":{…},"blkio":{…},"hugetlb":{…},"intel_rdt":{},"network_interfaces":null}}
//! {"type":"oom","id":"c1"}
//! ```
//!
//! - `--stats`: one stats event, then exit.
//! - Otherwise: a stats event every interval (default 5s) and an oom event whenever the cgroup's
//!   OOM kill counter grows, until the container's init exits; then exit 0. A stats read that fails
//!   is logged and the loop goes on, as runc does.
//!
//! The loop sleeps in one poll(2) on the init's pidfd and an OOM notifier, so the end is seen at
//! once and an OOM within 100 ms, not at the next tick: on cgroup v2 memory.events (the kernel
//! raises POLLPRI on each change; reading the file re-arms it), on v1 an eventfd registered for
//! memory.oom_control through cgroup.event_control. After each wake the notifier rests 100 ms
//! (`QUIET_NS`), so a container pressing on its limit cannot make `events` spin. Without a
//! notifier the counter is read at each tick. runc 1.1.5 ends only when the cgroup goes away on
//! v1 (at delete); rsrun ends with the init on every host.
//!
//! Memory stays flat however long it runs: each iteration frees all it allocates (the allocator
//! recycles blocks by size class) and opens no fd it does not close.
use crate::cgroups::{Cgroup, Mode};
use crate::cli::{EventsOpts, Global};
use crate::error::{Error, Result};
use crate::json::Writer;
use crate::state::{Status, Store};
use alloc::vec::Vec;
use rustix::event::{EventfdFlags, PollFd, PollFlags, eventfd, poll};
use rustix::fd::OwnedFd;
use rustix::fs::{CWD, Mode as FileMode, OFlags};
use rustix::io::Errno;
use rustix::time::Timespec;
use syscalls::time::{ClockId, clock_gettime};

pub fn run(g: &Global, o: &EventsOpts) -> Result<i32> {
    if o.interval_ns == 0 {
        crate::bail!("duration interval must be greater than 0");
    }
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    if c.status(&st)? == Status::Stopped {
        crate::bail!("container with id {} is not running", o.id);
    }
    let cg = super::pause::recorded_cgroup(&st)?;
    let id = o.id.as_str();
    if o.stats {
        super::print(&stats_event(&cg, id)?)?;
        return Ok(0);
    }
    let Some(init) = super::process::open_init(&st)? else { return Ok(0) };
    drop(c);
    stream(&cg, id, &init, o.interval_ns)
}

/// One `{"type":"stats",…}` line.
fn stats_event(cg: &Cgroup, id: &str) -> Result<Vec<u8>> {
    let mut w = Writer::new();
    w.begin_object().field_str("type", "stats").field_str("id", id).key("data");
    cg.stats(&mut w)?;
    w.end_object();
    let mut out = w.into_bytes();
    out.push(b'\n');
    Ok(out)
}

fn oom_event(id: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.begin_object().field_str("type", "oom").field_str("id", id).end_object();
    let mut out = w.into_bytes();
    out.push(b'\n');
    out
}

fn now_ns() -> Result<u64> {
    let t = clock_gettime(ClockId::Monotonic).map_err(|e| Error::sys("clock_gettime", e))?;
    Ok(t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
}

fn stream(cg: &Cgroup, id: &str, init: &OwnedFd, interval: u64) -> Result<i32> {
    let mut oom = OomWatch::new(cg);
    let mut last = oom.count(cg, 0);
    let mut next = now_ns()?.saturating_add(interval);
    loop {
        let left = next.saturating_sub(now_ns()?);
        let (exited, woke) = oom.wait(init, left)?;
        let t = now_ns()?;
        let due = t >= next;
        if woke || exited || due {
            let n = oom.count(cg, last);
            if n > last {
                super::print(&oom_event(id))?;
                last = n;
            }
        }
        if exited {
            return Ok(0);
        }
        if due {
            match stats_event(cg, id) {
                Ok(line) => super::print(&line)?,
                Err(e) => crate::log::log(crate::log::Level::Error, format_args!("{e}")),
            }
            // Behind by more than an interval (rsrun was stopped, the host stalled): skip, no burst.
            next = next.saturating_add(interval);
            if next <= t {
                next = t.saturating_add(interval);
            }
        }
    }
}

/// What wakes the loop when the OOM killer strikes.
enum Notifier {
    /// Counter read at each tick only.
    None,
    /// cgroup v2 memory.events, open: POLLPRI on change; read through this fd (which re-arms it).
    Events(OwnedFd),
    /// cgroup v1: an eventfd the memory controller signals on OOM.
    EventFd(OwnedFd),
}

struct OomWatch {
    n: Notifier,
    /// Monotonic ns until which the notifier is not polled (see `wait`).
    quiet_until: u64,
}

/// After a notification, the notifier rests this long: a container that keeps hitting its limit
/// changes memory.events (its "max" count) at every failed charge, and `events` must not spin on
/// that. An OOM kill is still reported within this delay.
const QUIET_NS: u64 = 100_000_000;

impl OomWatch {
    fn new(cg: &Cgroup) -> Self {
        let n = match cg.mode() {
            Mode::V2 => cg
                .dir("")
                .and_then(|d| open(&alloc::format!("{d}/memory.events"), OFlags::RDONLY).ok())
                .map_or(Notifier::None, Notifier::Events),
            _ => cg.dir("memory").and_then(v1_eventfd).map_or(Notifier::None, Notifier::EventFd),
        };
        Self { n, quiet_until: 0 }
    }

    /// Waits up to `left` ns for the init's exit, an OOM notification or the timeout; returns
    /// (exited, notified). A resting notifier is left out of the poll until its rest is over.
    fn wait(&mut self, init: &OwnedFd, left: u64) -> Result<(bool, bool)> {
        let now = now_ns()?;
        let resting = now < self.quiet_until;
        let left = if resting { left.min(self.quiet_until - now) } else { left };
        let t = Timespec { tv_sec: (left / 1_000_000_000) as i64, tv_nsec: (left % 1_000_000_000) as i64 };
        let watch = match &self.n {
            _ if resting => None,
            Notifier::None => None,
            Notifier::Events(fd) => Some((fd, PollFlags::PRI)),
            Notifier::EventFd(fd) => Some((fd, PollFlags::IN)),
        };
        let mut fds = [PollFd::new(init, PollFlags::IN), PollFd::new(init, PollFlags::empty())];
        if let Some((fd, flags)) = watch {
            fds[1] = PollFd::new(fd, flags);
        }
        let n = if watch.is_some() { 2 } else { 1 };
        match poll(&mut fds[..n], Some(&t)) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", e)),
        }
        let exited = !fds[0].revents().is_empty();
        let woke = n == 2 && !fds[1].revents().is_empty();
        if woke {
            if let Notifier::EventFd(fd) = &self.n {
                let mut v = [0u8; 8];
                let _ = rustix::io::read(fd, &mut v); // resets the counter (non-blocking)
            }
            self.quiet_until = now_ns()?.saturating_add(QUIET_NS);
        }
        Ok((exited, woke))
    }

    /// The OOM kill counter now; `last` when it cannot be read (e.g. the cgroup is being removed).
    /// On v2 the read goes through the notifier's fd; if that fails the notifier is dropped, so a
    /// removed file cannot make poll return at once forever.
    fn count(&mut self, cg: &Cgroup, last: u64) -> u64 {
        if let Notifier::Events(fd) = &self.n {
            let mut buf = [0u8; 512];
            match rustix::io::pread(fd, &mut buf, 0) {
                Ok(k) => {
                    let text = core::str::from_utf8(&buf[..k]).unwrap_or("");
                    return oom_kill(text).unwrap_or(last);
                }
                Err(_) => self.n = Notifier::None,
            }
        }
        cg.oom_kill_count().unwrap_or(last)
    }
}

/// The `oom_kill N` line of memory.events / memory.oom_control.
fn oom_kill(text: &str) -> Option<u64> {
    text.lines().find_map(|l| crate::rt::parse_uint(l.strip_prefix("oom_kill ")?.trim()))
}

fn open(path: &str, flags: OFlags) -> core::result::Result<OwnedFd, Errno> {
    rustix::fs::openat(CWD, path, flags | OFlags::CLOEXEC, FileMode::empty())
}

/// Registers an eventfd for OOM notifications of the v1 memory cgroup `dir`: writes "EFD CFD" to
/// its cgroup.event_control, CFD being memory.oom_control (closed again right after: the kernel
/// keeps what it needs). None if any step fails.
fn v1_eventfd(dir: &str) -> Option<OwnedFd> {
    let efd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).ok()?;
    let cfd = open(&alloc::format!("{dir}/memory.oom_control"), OFlags::RDONLY).ok()?;
    let ctl = open(&alloc::format!("{dir}/cgroup.event_control"), OFlags::WRONLY).ok()?;
    let line = alloc::format!("{} {}", rustix::fd::AsRawFd::as_raw_fd(&efd), rustix::fd::AsRawFd::as_raw_fd(&cfd));
    rustix::io::write(&ctl, line.as_bytes()).ok()?;
    Some(efd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_like_runc() {
        assert_eq!(oom_event("c1"), b"{\"type\":\"oom\",\"id\":\"c1\"}\n");
        assert_eq!(oom_kill("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n"), Some(2));
        assert_eq!(oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"), Some(7));
        assert_eq!(oom_kill("oom 1\n"), None);
    }
}
