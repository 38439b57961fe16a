//! `rsrun delete [--force] <id>`: removes a container. A stopped one is destroyed right away; a
//! created one is killed first (no --force needed, as in runc); a running or paused one only with
//! --force. `delete --force` of an unknown id succeeds silently (engines rely on that).
use crate::cli::{DeleteOpts, Global};
use crate::error::Result;
use crate::state::{Container, State, Status, Store, not_found};

pub fn run(g: &Global, o: &DeleteOpts) -> Result<i32> {
    let Some(c) = Store::new(&g.root).open(o.id)? else {
        return if o.force { Ok(0) } else { Err(not_found(o.id.as_str())) };
    };
    c.lock()?;
    let Some(st) = c.try_load()? else {
        // No state.json under the lock: a create that died half-way (a live create holds the
        // lock), or a concurrent delete that won. Only --force cleans up the leftovers.
        if o.force {
            c.remove()?;
            return Ok(0);
        }
        return Err(not_found(o.id.as_str()));
    };
    match c.status(&st)? {
        Status::Stopped => {}
        Status::Created => kill_init(&c, &st)?,
        _ if o.force => kill_init(&c, &st)?,
        s => crate::bail!("cannot delete container {} that is not stopped: {s}", o.id),
    }
    destroy(c, &st)?;
    Ok(0)
}

/// SIGKILLs the init of a live container and waits until it is gone. The lifecycle work
/// implements it (pidfd_open + pidfd_send_signal + poll, then the cgroup's other processes).
fn kill_init(_c: &Container, _st: &State) -> Result<()> {
    Err(super::not_implemented("delete of a live container"))
}

/// Everything `delete` does once the container's processes are gone: (later) poststop hooks from
/// the "poststop" slot and cgroup removal from the "cgroup" slot; then the state directory. Call
/// with the lock held (`c` locked).
pub fn destroy(c: Container, _st: &State) -> Result<()> {
    c.remove()
}
