//! cgroup v2 specifics at creation: controllers must be enabled in every ancestor's
//! cgroup.subtree_control before the container's cgroup has their files.
use super::Hier;
use super::fsio::{self, At};
use crate::error::Result;
use alloc::string::String;

/// Enables every controller the root offers (as runc does, so a later `update` finds them) in
/// each ancestor from the root down to the parent. When the parent already has them all (every
/// container after the first under the same parent), that is one read of the root's
/// cgroup.controllers and one of the parent's cgroup.subtree_control, and no writes.
///
/// This is the one place rsrun writes to cgroups it did not create: a child cannot get controllers
/// otherwise. Writes that fail as a whole are retried controller by controller, ignoring errors
/// (a controller in use by threaded children, a delegated subtree); a field whose controller is
/// still missing fails later, naming the field.
pub(super) fn enable_controllers(h: &Hier) -> Result<()> {
    let root = At { path: crate::rt::head(&h.dir, h.mnt), fd: None };
    let avail = fsio::get(root, "cgroup.controllers")?;
    let parent = At { path: fsio::parent(&h.dir), fd: None };
    let have = fsio::get(parent, "cgroup.subtree_control")?;
    if avail.split_ascii_whitespace().all(|c| have.split_ascii_whitespace().any(|x| x == c)) {
        return Ok(());
    }
    let mut line = String::new();
    for c in avail.split_ascii_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push('+');
        line.push_str(c);
    }
    let leaf_slash = crate::rt::rfind(&h.dir, b'/').unwrap_or(0);
    for (i, _) in h.dir.match_indices('/').filter(|&(i, _)| i >= h.mnt && i <= leaf_slash) {
        let at = At { path: crate::rt::head(&h.dir, i), fd: None };
        if fsio::write(at, "cgroup.subtree_control", &line).is_err() {
            for c in line.split(' ') {
                let _ = fsio::write(at, "cgroup.subtree_control", c);
            }
        }
    }
    Ok(())
}
