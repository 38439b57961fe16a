//! `rsrun start`: lets a created container's init exec the user process, then runs the poststart
//! hooks. A failing poststart hook fails `start` (runtime-spec 1.3).
use crate::cli::Global;
use crate::error::{Context, Error, Result};
use crate::state::{Container, EXEC_FIFO, Id, State, Status, Store};
use crate::rt::cs;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

pub fn run(g: &Global, id: Id) -> Result<i32> {
    let p = crate::trace::phase("state load");
    let c = Store::new(&g.root).get(id)?;
    c.lock()?;
    let st = c.load()?;
    drop(p);
    // The exec fifo says it all in one syscall: gone = started before, no reader = the init died
    // (or has exec'd: a start killed between its write and its unlink). The status is derived
    // only to word the error.
    // Bound before the process runs, so its first notification finds the socket.
    let notify = super::notify::listen(&c)?;
    match release(&c) {
        Err(e) if e.errno() == Some(Errno::NOENT) || e.errno() == Some(Errno::NXIO) => match c.status(&st)? {
            Status::Stopped => crate::bail!("cannot start a container that has stopped"),
            Status::Created => {
                // Alive, yet nobody reads the fifo: the init was released and has exec'd. The
                // fifo is stale; removed, the container reads as running, as it is.
                let _ = rustix::fs::unlinkat(c.dir(), cs(EXEC_FIFO), AtFlags::empty());
                crate::bail!("cannot start an already running container")
            }
            s => crate::bail!("cannot start an already {s} container"),
        },
        Err(e) => Err(e),
        Ok(()) => {
            let p = crate::trace::phase("poststart hooks");
            let hooks = run_hooks(&st, "poststart", Status::Running);
            drop(p);
            if let Err(e) = hooks {
                // As runc: a failing poststart hook stops the container, and it is gone: killed
                // and removed as `delete --force` would (poststop hooks included).
                let _ = super::delete::kill_and_destroy(c, &st);
                return Err(e);
            }
            if let Some(n) = notify {
                // Unlocked while we wait: the container's other verbs go on meanwhile.
                drop(c);
                relay_ready(n, st.pid, st.pid)?;
                return Ok(0);
            }
            // Exiting now: the kernel closes the state directory fd (and releases the lock).
            core::mem::forget(c);
            Ok(0)
        }
    }
}

/// Releases the init blocked on the exec fifo and runs the poststart hooks; with NOTIFY_SOCKET,
/// waits for the container's readiness and passes it on with MAINPID=`main_pid` (`run`).
pub fn start(c: &Container, st: &State, main_pid: i32) -> Result<()> {
    let notify = super::notify::listen(c)?;
    release(c)?;
    run_hooks(st, "poststart", Status::Running)?;
    match notify {
        Some(n) => relay_ready(n, st.pid, main_pid),
        None => Ok(()),
    }
}

/// The readiness relay of NOTIFY_SOCKET (container/notify.rs), bounded by the init's life.
fn relay_ready(n: super::notify::Listener, init_pid: i32, main_pid: i32) -> Result<()> {
    let pid = rustix::process::Pid::from_raw(init_pid).ok_or_else(|| Error::msg("state.json: bad pid"))?;
    let pidfd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => fd,
        // Already gone: nothing will be ready.
        Err(Errno::SRCH) => return Ok(()),
        Err(e) => return Err(Error::sys("pidfd_open", e)),
    };
    n.relay(rustix::fd::AsFd::as_fd(&pidfd), main_pid)
}

/// Lets the init blocked on the exec fifo go on, then removes the fifo.
fn release(c: &Container) -> Result<()> {
    let _p = crate::trace::phase("exec fifo");
    // Non-blocking: with no reader (the init is gone) the open fails with ENXIO instead of hanging.
    let fifo = rustix::fs::openat(c.dir(), cs(EXEC_FIFO), OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {}/{EXEC_FIFO}", c.path()))?;
    rustix::io::write(&fifo, b"0").context(format_args!("write {}/{EXEC_FIFO}", c.path()))?;
    crate::rt::done_with(fifo);
    rustix::fs::unlinkat(c.dir(), cs(EXEC_FIFO), AtFlags::empty())
        .context(format_args!("remove {}/{EXEC_FIFO}", c.path()))
}

/// Runs the poststart or poststop hooks kept in the state's "hooks" slot.
pub fn run_hooks(st: &State, kind: &str, status: Status) -> Result<()> {
    let Some(raw) = st.extra("hooks") else { return Ok(()) };
    let doc = crate::json::parse(raw.as_bytes()).map_err(Error::msg)?;
    let hooks = crate::spec::parse_hooks(doc.root())?;
    let list = if kind == "poststart" { &hooks.poststart } else { &hooks.poststop };
    if list.is_empty() {
        return Ok(());
    }
    let mut w = crate::json::Writer::new();
    st.write_hook_state(&mut w, status);
    crate::hooks::run_all(kind, list, w.as_bytes())
}
