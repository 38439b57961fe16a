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
        return Err(super::not_implemented("kill --all"));
    }
    super::process::signal_init(&st, o.signal)?;
    Ok(0)
}
