//! `rsrun kill [--all] <id> [signal]`: sends a signal (default SIGTERM) to the container's init, or
//! with --all to every process in its cgroup.
use crate::cli::{Global, KillOpts};
use crate::error::Result;
use crate::state::{Status, Store};

pub fn run(g: &Global, o: &KillOpts) -> Result<i32> {
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    if c.status(&st)? == Status::Stopped {
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
    Ok(0)
}
