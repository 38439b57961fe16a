//! `rsrun run`: create + start, then (unless --detach) stay in the foreground as the container's
//! parent: forward signals to its init, reap orphans as a subreaper, exit with the init's status
//! (128 + signal when a signal ended it), and delete the container afterwards (unless --keep).
//! With process.terminal and no --console-socket it also relays its terminal to the container's pty
//! (`tty::relay`).
use super::create::{Created, create};
use crate::cli::{Global, RunOpts};
use crate::error::{Context, Error, Result};
use crate::tty::relay::Relay;
use rustix::fd::AsFd;

use rustix::process::{WaitOptions, WaitStatus, wait};
use syscalls::signal::{How, SigSet, SignalfdFlags, rt_sigprocmask, signalfd4};

const SIGCHLD: i32 = 17;

pub fn run(g: &Global, o: &RunOpts) -> Result<i32> {
    super::selfexe::ensure_sealed_copy(crate::rt::raw_argv(), crate::rt::raw_envp())?;
    if o.detach {
        let mut c = create(g, &o.create, true)?;
        c.exec_fifo = None;
        let init = c.state.pid;
        return start_or_destroy(c, init).map(|_| 0);
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

    let mut c = create(g, &o.create, false)?;
    c.exec_fifo = None;
    let init_pid = c.state.pid;
    // A terminal: rsrun's own is made raw and sized before the process starts, and restored when
    // `relay` is dropped, whichever way this function returns.
    let mut relay = None;
    if let Some(master) = c.console.take() {
        match Relay::new(master) {
            Ok(r) => relay = Some(r),
            Err(e) => {
                destroy_created(c);
                return Err(e);
            }
        }
    }
    // The state directory stays open (unlocked, for the other verbs meanwhile): the delete at the
    // end goes to this very directory, never to a new container that took the id after a
    // `delete --force` of ours.
    let dir = match c.container.reopen_unlocked() {
        Ok(d) => d,
        Err(e) => {
            destroy_created(c);
            return Err(e);
        }
    };
    // NOTIFY_SOCKET: a foreground `run` is the service's main process (runc's MAINPID).
    let pidfd = start_or_destroy(c, rustix::process::getpid().as_raw_nonzero().get())?;

    let mut on_signal = |sig: i32| -> Result<Option<i32>> {
        if sig != SIGCHLD {
            let _ = syscalls::signal::pidfd_send_signal(&pidfd, sig);
            return Ok(None);
        }
        Ok(reap(init_pid)?.map(|st| exit_code(&st)))
    };
    let code = crate::tty::relay::forward(relay.as_mut(), sfd.as_fd(), &mut on_signal)?;
    // rsrun's terminal is itself again before anything more is printed.
    drop(relay);
    if !o.keep {
        dir.lock()?;
        // None: deleted meanwhile (`delete --force` while we ran).
        if let Some(st) = dir.try_load()? {
            super::delete::destroy(dir, &st)?;
        }
    }
    Ok(code)
}

/// The exit status of `run`: the init's exit code, or 128 + the signal that ended it.
fn exit_code(status: &WaitStatus) -> i32 {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => 255,
    }
}

/// Starts a created container; if that fails, the container is deleted and the error returned.
fn start_or_destroy(c: Created, main_pid: i32) -> Result<rustix::fd::OwnedFd> {
    match super::start::start(&c.container, &c.state, main_pid) {
        Ok(()) => Ok(c.pidfd),
        Err(e) => {
            destroy_created(c);
            Err(e)
        }
    }
}

/// Kills the init of a container that will not be started and deletes the container.
fn destroy_created(c: Created) {
    let _ = syscalls::signal::pidfd_send_signal(&c.pidfd, 9);
    let _ = super::process::wait_exit(&c.pidfd, 10);
    let _ = super::delete::destroy(c.container, &c.state);
}

/// Reaps every exited child (orphans reparented to us included); the init's status if it was one.
fn reap(init_pid: i32) -> Result<Option<WaitStatus>> {
    let mut init_status = None;
    loop {
        // wait4(-1): any child. (waitpid(None) is wait4(0), children in our process group only: a
        // terminal container's init leads its own session, and orphans may have their own groups.)
        match wait(WaitOptions::NOHANG) {
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

