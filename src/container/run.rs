//! `rsrun run`: create + start, then (unless --detach) stay in the foreground as the container's
//! parent: forward signals to its init, reap orphans as a subreaper, exit with the init's status
//! (128 + signal when a signal ended it), and delete the container afterwards (unless --keep).
use super::create::{Created, create};
use crate::cli::{Global, RunOpts};
use crate::error::{Context, Error, Result};

use rustix::process::{WaitOptions, WaitStatus, waitpid};
use syscalls::signal::{How, SigSet, SignalfdFlags, rt_sigprocmask, signalfd4, signalfd_read};

const SIGCHLD: i32 = 17;

pub fn run(g: &Global, o: &RunOpts) -> Result<i32> {
    super::selfexe::ensure_sealed_copy(crate::rt::raw_argv(), crate::rt::raw_envp())?;
    if o.detach {
        let c = create(g, &o.create)?;
        return start_or_destroy(c).map(|_| 0);
    }
    if !o.no_subreaper {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid())).context("become a child subreaper")?;
    }
    // Every signal we can catch is blocked before the init exists, so none arriving during setup is
    // lost: they queue on the signalfd. The init clears its inherited mask before it execs.
    let mut forwarded = SigSet::all();
    forwarded.remove(9);
    forwarded.remove(19);
    rt_sigprocmask(How::Block, &forwarded).context("block signals")?;
    let sfd = signalfd4(&forwarded, SignalfdFlags::CLOEXEC).context("signalfd")?;

    let c = create(g, &o.create)?;
    let init_pid = c.state.pid;
    // The state directory stays open (unlocked, for the other verbs meanwhile): the delete at the
    // end goes to this very directory, never to a new container that took the id after a
    // `delete --force` of ours.
    let dir = c.container.reopen_unlocked()?;
    let pidfd = start_or_destroy(c)?;

    let status = loop {
        let info = match signalfd_read(&sfd) {
            Ok(i) => i,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::sys("read signalfd", e)),
        };
        let sig = info.ssi_signo as i32;
        if sig != SIGCHLD {
            let _ = syscalls::signal::pidfd_send_signal(&pidfd, sig);
            continue;
        }
        if let Some(st) = reap(init_pid)? {
            break st;
        }
    };
    let code = match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => 255,
    };
    if !o.keep {
        dir.lock()?;
        // None: deleted meanwhile (`delete --force` while we ran).
        if let Some(st) = dir.try_load()? {
            super::delete::destroy(dir, &st)?;
        }
    }
    Ok(code)
}

/// Starts a created container; if that fails, the container is deleted and the error returned.
fn start_or_destroy(c: Created) -> Result<rustix::fd::OwnedFd> {
    match super::start::start(&c.container, &c.state) {
        Ok(()) => Ok(c.pidfd),
        Err(e) => {
            let _ = syscalls::signal::pidfd_send_signal(&c.pidfd, 9);
            let _ = super::process::wait_exit(&c.pidfd, 10);
            let _ = super::delete::destroy(c.container, &c.state);
            Err(e)
        }
    }
}

/// Reaps every exited child (orphans reparented to us included); the init's status if it was one.
fn reap(init_pid: i32) -> Result<Option<WaitStatus>> {
    let mut init_status = None;
    loop {
        match waitpid(None, WaitOptions::NOHANG) {
            Ok(Some((pid, st))) => {
                if pid.as_raw_nonzero().get() == init_pid {
                    init_status = Some(st);
                }
            }
            Ok(None) | Err(rustix::io::Errno::CHILD) => return Ok(init_status),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::sys("waitpid", e)),
        }
    }
}

