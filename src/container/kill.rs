//! `rsrun kill [--all] <id> [signal]`: sends a signal (default SIGTERM) to the container's init, or
//! with --all to every process in its cgroup.
use crate::cli::{Global, KillOpts};
use crate::error::{Error, Result};
use crate::state::{State, Status, Store};
use rustix::io::Errno;

pub fn run(g: &Global, o: &KillOpts) -> Result<i32> {
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    let status = c.status(&st)?;
    if o.all {
        return kill_all(&st, o.signal, status);
    }
    if status == Status::Stopped {
        crate::bail!("container not running");
    }
    super::process::signal_init(&st, o.signal)?;
    // A frozen process only receives SIGKILL once thawed (the v1 freezer holds even that), so a
    // paused container is thawed after a KILL, as runc does.
    if o.signal == 9 && status == Status::Paused
        && let Some(cg) = super::delete::cgroup(&st)?
    {
        cg.thaw()?;
    }
    Ok(0)
}

/// `kill --all`: every process in the container's cgroup. Also for a stopped container, as runc:
/// when the container shares another one's PID namespace (a pod), its processes outlive the init,
/// and containerd's shim sends `kill --all <id> KILL` after the init exits to end them. A stopped
/// container whose cgroup is already gone has nothing left to signal: success.
fn kill_all(st: &State, signal: i32, status: Status) -> Result<i32> {
    let sig = rustix::process::Signal::from_named_raw(signal)
        .ok_or_else(|| Error::msg(format_args!("invalid signal {signal}")))?;
    let Some(cg) = super::delete::cgroup(st)? else {
        // No cgroup (rootless): the processes of the init's PID namespace.
        for pid in super::process::pids_without_cgroup(st)? {
            match rustix::process::Pid::from_raw(pid as i32).map(|p| rustix::process::kill_process(p, sig)) {
                Some(Err(e)) if e != Errno::SRCH => return Err(Error::sys(format_args!("kill {pid}"), e)),
                _ => {}
            }
        }
        return Ok(0);
    };
    if status == Status::Stopped {
        match cg.pids() {
            Ok(pids) if pids.is_empty() => return Ok(0),
            Err(e) if e.errno() == Some(Errno::NOENT) => return Ok(0),
            _ => {}
        }
    }
    cg.kill_all(sig)?;
    Ok(0)
}
