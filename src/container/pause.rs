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
    set_paused(g, id, true)
}

/// pause (`on`) or resume: under the container's lock (held until exit, so no other verb changes
/// the container meanwhile), check the status, then freeze or thaw the cgroup. One function for
/// both verbs: they differ in two words.
pub(crate) fn set_paused(g: &Global, id: Id, on: bool) -> Result<i32> {
    let c = Store::new(&g.root).get(id)?;
    c.lock()?;
    let st = c.load()?;
    let (want, err) = if on { (Status::Running, "running") } else { (Status::Paused, "paused") };
    if c.status(&st)? != want {
        crate::bail!("container not {err}");
    }
    let cg = recorded_cgroup(&st)?;
    if on { cg.freeze() } else { cg.thaw() }?;
    Ok(0)
}

/// The container's cgroup as create recorded it in state.json; an error when there is none (the
/// cgroup verbs need one).
pub(crate) fn recorded_cgroup(st: &State) -> Result<Cgroup> {
    super::delete::cgroup(st)?.ok_or_else(|| {
        Error::msg("the container has no cgroup (a rootless container without a cgroup it may write): no freezer to use")
    })
}
