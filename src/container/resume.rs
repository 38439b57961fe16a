//! `rsrun resume <id>`: thaws a paused container (v1 freezer.state THAWED, v2 cgroup.freeze 0).
//! Anything but a paused container is "container not paused", as in runc.
use crate::cli::Global;
use crate::error::Result;
use crate::state::Id;

pub fn run(g: &Global, id: Id) -> Result<i32> {
    super::pause::set_paused(g, id, false)
}
