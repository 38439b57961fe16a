//! `rsrun resume <id>`: thaws a paused container (v1 freezer.state THAWED, v2 cgroup.freeze 0).
//! Anything but a paused container is "container not paused", as in runc.
use crate::cli::Global;
use crate::error::Result;
use crate::state::{Id, Status, Store};

pub fn run(g: &Global, id: Id) -> Result<i32> {
    let c = Store::new(&g.root).get(id)?;
    c.lock()?;
    let st = c.load()?;
    if c.status(&st)? != Status::Paused {
        crate::bail!("container not paused");
    }
    super::pause::recorded_cgroup(&st)?.thaw()?;
    Ok(0)
}
