//! pause/resume, `state`'s "paused", and killing every process of the container.
//!
//! v1 (and hybrid, as runc): freezer.state, polled until the kernel reports FROZEN. v2:
//! cgroup.freeze, then cgroup.events polled with poll(POLLPRI) (the kernel signals each change)
//! until "frozen 1".
use super::fsio::{self, At};
use super::{Cgroup, Mode, ctrl};
use crate::error::{Error, Result};
use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process};
use rustix::time::Timespec;

/// How long freezing may take before giving up (runc waits about as long).
const FREEZE_TIMEOUT_MS: u64 = 2000;

impl Cgroup {
    /// Freezes every process of the container (pause).
    pub fn freeze(&self) -> Result<()> {
        self.set_frozen(true)
    }

    /// Thaws the container (resume).
    pub fn thaw(&self) -> Result<()> {
        self.set_frozen(false)
    }

    fn set_frozen(&self, on: bool) -> Result<()> {
        let what = if on { "freeze" } else { "thaw" };
        let r = match self.mode {
            Mode::V2 => self.unified().map_or_else(|| Err(no_hier()), |h| v2_freeze(h.at(), on)),
            _ => v1_freeze(self.v1(ctrl::FREEZER, "cgroup")?.at(), on),
        };
        r.map_err(|e| e.context(format_args!("{what} container")))
    }

    /// Whether the container is paused (for `state`): one read.
    pub fn is_frozen(&self) -> Result<bool> {
        Ok(match self.mode {
            Mode::V2 => {
                let h = self.unified().ok_or_else(no_hier)?;
                fsio::get(h.at(), "cgroup.freeze")?.trim() == "1"
            }
            _ => fsio::get(self.v1(ctrl::FREEZER, "cgroup")?.at(), "freezer.state")?.trim() == "FROZEN",
        })
    }

    /// Sends `sig` to every process in the container's cgroup and its sub-cgroups (`kill --all`,
    /// `delete --force`). SIGKILL on cgroup2 (also a hybrid host's unified hierarchy) is one write to
    /// cgroup.kill (Linux 5.14+); otherwise, as runc: freeze, signal each process, thaw, so nothing
    /// forks in between. Either way a v1 freezer ends thawed: tasks frozen by it do not even die of
    /// SIGKILL until thawed (whoever kills a paused container another way must `thaw` after).
    pub fn kill_all(&self, sig: Signal) -> Result<()> {
        if !self.owned() {
            return Ok(());
        }
        if sig == Signal::KILL
            && let Some(h) = self.unified()
        {
            match fsio::write(h.at(), "cgroup.kill", "1") {
                Ok(()) => {
                    if self.mode != Mode::V2 {
                        let _ = self.thaw();
                    }
                    return Ok(());
                }
                // systemd removes a scope's cgroup when its last process is gone: nothing to kill.
                Err(Errno::NOENT) if self.systemd.is_some() && rustix::fs::access(crate::rt::cs(&h.dir), rustix::fs::Access::EXISTS).is_err() => {
                    return Ok(());
                }
                Err(Errno::NOENT) => {}
                Err(e) => return Err(fsio::err(h.at(), "cgroup.kill", "1", e)),
            }
        }
        let frozen = self.freeze().is_ok();
        let r = self.pids().map(|pids| {
            for p in pids {
                if let Some(pid) = Pid::from_raw(p as i32) {
                    let _ = kill_process(pid, sig); // ESRCH: it exited meanwhile
                }
            }
        });
        if frozen {
            self.thaw()?;
        }
        r
    }
}

fn no_hier() -> Error {
    Error::msg("cgroup: no cgroup2 hierarchy")
}

fn v1_freeze(at: At<'_>, on: bool) -> Result<()> {
    let want = if on { "FROZEN" } else { "THAWED" };
    fsio::write(at, "freezer.state", want).map_err(|e| fsio::err(at, "freezer.state", want, e))?;
    if !on {
        return Ok(());
    }
    // FREEZING until every task is stopped; a task in an uninterruptible sleep can hold it.
    let mut waited = 0;
    let mut delay = 1;
    loop {
        if fsio::get(at, "freezer.state")?.trim() == "FROZEN" {
            return Ok(());
        }
        if waited >= FREEZE_TIMEOUT_MS {
            let _ = fsio::write(at, "freezer.state", "THAWED");
            crate::bail!("{}/freezer.state: still FREEZING after {FREEZE_TIMEOUT_MS} ms", at.path);
        }
        fsio::sleep_ms(delay);
        waited += delay;
        delay = (delay * 2).min(50);
    }
}

fn v2_freeze(at: At<'_>, on: bool) -> Result<()> {
    let val = if on { "1" } else { "0" };
    fsio::write(at, "cgroup.freeze", val).map_err(|e| fsio::err(at, "cgroup.freeze", val, e))?;
    if !on {
        return Ok(());
    }
    let fd = fsio::open_read(at, "cgroup.events").map_err(|e| fsio::err(at, "cgroup.events", "", e))?;
    let mut buf = [0u8; 256];
    let mut waited = 0;
    loop {
        let n = rustix::io::pread(&fd, &mut buf, 0).map_err(|e| fsio::err(at, "cgroup.events", "", e))?;
        let text = core::str::from_utf8(&buf[..n]).unwrap_or("");
        if text.lines().any(|l| l == "frozen 1") {
            return Ok(());
        }
        if waited >= FREEZE_TIMEOUT_MS {
            let _ = fsio::write(at, "cgroup.freeze", "0");
            crate::bail!("{}/cgroup.events: not frozen after {FREEZE_TIMEOUT_MS} ms", at.path);
        }
        let mut fds = [PollFd::new(&fd, PollFlags::PRI)];
        let t = Timespec { tv_sec: 0, tv_nsec: 100_000_000 };
        // A change wakes poll at once; count those as 10 ms so a busy cgroup still times out.
        waited += if poll(&mut fds, Some(&t)).unwrap_or(0) == 0 { 100 } else { 10 };
    }
}
