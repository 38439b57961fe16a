//! cgroup v1 specifics at creation: a new cpuset cgroup starts with empty cpuset.cpus and
//! cpuset.mems, and no task can join it until they are filled.
use super::Hier;
use super::fsio::{self, At};
use crate::error::Result;

/// Fills cpuset.cpus/mems of every directory rsrun created in the cpuset hierarchy, top-down: with
/// the configured value for the leaf, else the nearest existing ancestor's effective set (never
/// empty, so no walk up as runc does over cpuset.cpus). The parent is read only when needed.
pub(super) fn init_cpuset(h: &Hier, cpus: Option<&str>, mems: Option<&str>) -> Result<()> {
    let mut top = h.dir.as_str();
    for _ in 1..h.created {
        top = fsio::parent(top);
    }
    let parent = At { path: fsio::parent(top), fd: None };
    let deep = h.created > 1;
    let pcpus = if deep || cpus.is_none() { Some(fsio::get(parent, "cpuset.effective_cpus")?) } else { None };
    let pmems = if deep || mems.is_none() { Some(fsio::get(parent, "cpuset.effective_mems")?) } else { None };
    // Each created level, from `top` down to the leaf.
    let mut end = top.len();
    loop {
        let dir = At { path: crate::rt::head(&h.dir, end), fd: None };
        let leaf = end == h.dir.len();
        for (name, mine, inherited, field) in [
            ("cpuset.cpus", cpus, &pcpus, "linux.resources.cpu.cpus"),
            ("cpuset.mems", mems, &pmems, "linux.resources.cpu.mems"),
        ] {
            let (val, field) = match (leaf, mine) {
                (true, Some(v)) => (v, field),
                _ => (inherited.as_deref().unwrap_or("").trim(), "cgroup cpuset"),
            };
            fsio::set(dir, &field, name, val)?;
        }
        if leaf {
            return Ok(());
        }
        end += 1 + crate::rt::tail(&h.dir, end + 1).find('/').unwrap_or(h.dir.len() - end - 1);
    }
}
