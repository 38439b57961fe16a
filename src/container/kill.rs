//! `rsrun kill [--all] <id> [signal]`: sends a signal (default SIGTERM) to the container's init, or
//! with --all to every process in its cgroup.
use crate::cli::{Global, KillOpts};
use crate::error::Result;
use crate::state::{Status, Store};

pub fn run(g: &Global, o: &KillOpts) -> Result<i32> {
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    let status = c.status(&st)?;
    if status == Status::Stopped {
        crate::bail!("container not running");
    }
    if o.all {
        let cg = super::delete::cgroup(&st)?.ok_or_else(|| crate::error::Error::msg("container has no cgroup recorded"))?;
        let sig = rustix::process::Signal::from_named_raw(o.signal)
            .ok_or_else(|| crate::error::Error::msg(format_args!("invalid signal {}", o.signal)))?;
        cg.kill_all(sig)?;
        return Ok(0);
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
