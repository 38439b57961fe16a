//! `rsrun pause <id>`: freezes every process of a running container through its cgroup (v1
//! freezer.state, waited on until FROZEN; v2 cgroup.freeze, waited on through cgroup.events).
//! `state` then derives "paused" from the freezer: nothing is stored.
//!
//! Errors as runc's: a paused or stopped container is "container not running". runc 1.1.5 and
//! crun also freeze a *created* container; rsrun refuses it with the same error, because a created
//! container's status is "created" whatever its freezer says (the exec fifo decides), so `resume`
//! would refuse to thaw it and `start` would hand the fifo byte to a frozen init.
use crate::cgroups::Cgroup;
use crate::cli::Global;
use crate::error::{Error, Result};
use crate::state::{Id, State, Status, Store};

pub fn run(g: &Global, id: Id) -> Result<i32> {
    let c = Store::new(&g.root).get(id)?;
    // Held until exit: no other verb changes the container while it freezes.
    c.lock()?;
    let st = c.load()?;
    if c.status(&st)? != Status::Running {
        crate::bail!("container not running");
    }
    recorded_cgroup(&st)?.freeze()?;
    Ok(0)
}

/// The container's cgroup as create recorded it in state.json; an error when there is none (the
/// cgroup verbs need one).
pub(crate) fn recorded_cgroup(st: &State) -> Result<Cgroup> {
    super::delete::cgroup(st)?.ok_or_else(|| Error::msg("the container's state has no cgroup recorded"))
}
