//! `rsrun delete [--force] <id>`: removes a container. A stopped one is destroyed right away; a
//! created one is killed first (no --force needed, as in runc); a running or paused one only with
//! --force. `delete --force` of an unknown id succeeds silently (engines rely on that).
use crate::cli::{DeleteOpts, Global};
use crate::error::Result;
use crate::cgroups::Cgroup;
use crate::state::{Container, State, Status, Store, not_found};

pub fn run(g: &Global, o: &DeleteOpts) -> Result<i32> {
    let p = crate::trace::phase("state load");
    let Some(c) = Store::new(&g.root).open(o.id)? else {
        return if o.force { Ok(0) } else { Err(not_found(o.id.as_str())) };
    };
    c.lock()?;
    let st = match c.try_load() {
        Ok(Some(st)) => st,
        // No state under the lock: a create that died half-way (a live create holds the lock), or
        // a concurrent delete that won; or a damaged state.json. Only --force cleans up, with
        // whatever it can find (recover.rs).
        Ok(None) | Err(_) if o.force => {
            super::recover::remove_incomplete(c)?;
            return Ok(0);
        }
        Ok(None) => return Err(c.incomplete()),
        Err(e) => return Err(e),
    };
    drop(p);
    // With --force every status ends the same way (kill what lives, then remove), so the status
    // is not derived; kill_init finds a gone init by itself.
    if o.force {
        kill_init(&st)?;
    } else {
        match c.status(&st)? {
            Status::Stopped => {}
            Status::Created => kill_init(&st)?,
            s => crate::bail!("cannot delete container {} that is not stopped: {s}", o.id),
        }
    }
    destroy(c, &st)?;
    Ok(0)
}

/// `delete --force` of a container whose state is loaded: kills what lives, then `destroy`.
pub fn kill_and_destroy(c: Container, st: &State) -> Result<()> {
    kill_init(st)?;
    destroy(c, st)
}

/// The container's cgroup as create recorded it in state.json.
pub fn cgroup(st: &State) -> Result<Option<Cgroup>> {
    Cgroup::from_state_slot(st.extra("cgroup"))
}

/// SIGKILLs a live container's init (a paused one's whole cgroup, thawed so the signal lands) and
/// waits until it is gone. Nothing when the init is gone already.
fn kill_init(st: &State) -> Result<()> {
    let p = crate::trace::phase("kill");
    let Some((pidfd, state)) = super::process::open_init_state(st)? else {
        // A gone (or zombie) init is the usual `delete` of a stopped container. With its own PID
        // namespace nothing of the container lives any more (the kernel kills the namespace's
        // processes before its init becomes a zombie); without one, or with processes moved into
        // its cgroup from outside, `destroy` finds a directory busy and kills them then (thawing).
        // That spares cgroup.kill and the thaw, 4 syscalls, on every delete of a stopped container.
        return Ok(());
    };
    // SIGKILL to the init alone, one syscall: the kernel kills the rest of its PID namespace
    // before the init is gone, and what lives outside one (a container without a PID namespace of
    // its own) keeps a cgroup busy, which `destroy` then kills and removes (runc, too, kills every
    // process only then).
    match syscalls::signal::pidfd_send_signal(&pidfd, 9) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => {}
        Err(e) => return Err(crate::error::Error::sys("kill the container init", e)),
    }
    drop(p);
    let _p = crate::trace::phase("wait");
    // A paused container's init is frozen (/proc shows D), and frozen tasks do not die of SIGKILL
    // until thawed. D is also a task briefly in an uninterruptible sleep (exiting, exec'ing): given
    // 20 ms first, then the whole cgroup is killed and a v1 freezer thawed.
    if state == b'D' {
        if super::process::wait_exit_ms(&pidfd, 20)? {
            crate::rt::done_with(pidfd);
            return Ok(());
        }
        if let Some(cg) = cgroup(st)? {
            cg.kill_all(rustix::process::Signal::KILL)?;
        }
    }
    if !super::process::wait_exit(&pidfd, 10)? {
        crate::bail!("the container init did not exit within 10s of SIGKILL");
    }
    crate::rt::done_with(pidfd);
    Ok(())
}

/// Everything `delete` does once the container's processes are gone: the poststop hooks (a
/// failure is only a warning, as the spec says), (later) cgroup removal from the "cgroup" slot,
/// then the state directory. Call with the lock held (`c` locked).
pub fn destroy(c: Container, st: &State) -> Result<()> {
    let p = crate::trace::phase("cgroups remove");
    if let Some(cg) = cgroup(st)?
        && !cg.remove_if_idle()?
    {
        // Still busy: processes the init left behind (a container without its own PID namespace,
        // or processes moved into its cgroup), killed now (a v1 freezer thawed), then removed
        // with waiting while they exit.
        cg.kill_all(rustix::process::Signal::KILL)?;
        cg.destroy()?;
    }
    drop(p);
    let p = crate::trace::phase("poststop hooks");
    if let Err(e) = super::start::run_hooks(st, "poststop", Status::Stopped) {
        crate::log::log(crate::log::Level::Warning, format_args!("{e}"));
    }
    drop(p);
    let _p = crate::trace::phase("state remove");
    c.remove()
}
