//! Which namespaces a new container gets and how: created by clone3, joined by path (setns), or
//! created by the child with unshare after joining others.
//!
//! - A namespace with a `path` is opened here, in the parent, and its type checked with
//!   NS_GET_NSTYPE before anything is created: a wrong path fails `create` cleanly.
//! - New namespaces normally come from the one clone3. Two exceptions move them to an unshare in
//!   the child: when a user namespace is joined by path (new namespaces must be owned by it, so they
//!   are created after the setns), and the cgroup namespace, whose root is the creator's cgroup at
//!   creation: the child unshares it once it is in the container's cgroup.
//! - A PID namespace only applies to children of the process that joins or unshares it, so joining
//!   one by path (or unsharing one) costs one more fork: that grandchild is the container's init.
//! - A time namespace with offsets is unshared by the child, which writes timens_offsets before any
//!   process is in it; the init enters it at execve.
use crate::error::{Error, Result};
use crate::spec::{NsType, Spec};
use crate::rt::cs;
use alloc::vec::Vec;
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use syscalls::process::CloneFlags;

pub struct Plan {
    /// Created by clone3.
    pub clone: CloneFlags,
    /// Created by the child with unshare, after joining `join`.
    pub unshare: CloneFlags,
    /// Joined by path, in this order (user first, as the kernel's permission checks need).
    pub join: Vec<(CloneFlags, OwnedFd)>,
    /// Every namespace type the container has its own of (created or joined).
    pub all: CloneFlags,
    /// The init must be forked once more to be inside its PID namespace.
    pub pid_fork: bool,
    /// The child writes /proc/self/timens_offsets after unsharing its time namespace.
    pub time_offsets: bool,
}

pub fn flag(t: NsType) -> CloneFlags {
    match t {
        NsType::Pid => CloneFlags::NEWPID,
        NsType::Network => CloneFlags::NEWNET,
        NsType::Mount => CloneFlags::NEWNS,
        NsType::Ipc => CloneFlags::NEWIPC,
        NsType::Uts => CloneFlags::NEWUTS,
        NsType::User => CloneFlags::NEWUSER,
        NsType::Cgroup => CloneFlags::NEWCGROUP,
        NsType::Time => CloneFlags::NEWTIME,
    }
}

pub fn name(f: CloneFlags) -> &'static str {
    const NAMES: [(CloneFlags, &str); 8] = [
        (CloneFlags::NEWPID, "pid"),
        (CloneFlags::NEWNET, "network"),
        (CloneFlags::NEWNS, "mount"),
        (CloneFlags::NEWIPC, "ipc"),
        (CloneFlags::NEWUTS, "uts"),
        (CloneFlags::NEWUSER, "user"),
        (CloneFlags::NEWCGROUP, "cgroup"),
        (CloneFlags::NEWTIME, "time"),
    ];
    NAMES.iter().find(|(x, _)| *x == f).map_or("unknown", |(_, n)| n)
}

/// Why clone3 or unshare refused to make the namespaces `flags` (error path only): a namespace type
/// the kernel was built without (no /proc/self/ns/<type>, runc's check) or user namespaces that are
/// disabled or used up, named as the config field; anything else is `what: errno`.
pub fn refused(what: &str, flags: CloneFlags, e: rustix::io::Errno) -> Error {
    const PROC_NAMES: [(CloneFlags, &str); 8] = [
        (CloneFlags::NEWPID, "pid"),
        (CloneFlags::NEWNET, "net"),
        (CloneFlags::NEWNS, "mnt"),
        (CloneFlags::NEWIPC, "ipc"),
        (CloneFlags::NEWUTS, "uts"),
        (CloneFlags::NEWUSER, "user"),
        (CloneFlags::NEWCGROUP, "cgroup"),
        (CloneFlags::NEWTIME, "time"),
    ];
    for (f, file) in PROC_NAMES {
        if flags.contains(f) {
            let path = crate::rt::cat(&["/proc/self/ns/", file]);
            if rustix::fs::access(cs(&path), rustix::fs::Access::EXISTS) == Err(rustix::io::Errno::NOENT) {
                return Error::msg(format_args!(
                    "linux.namespaces: this kernel has no {} namespaces ({path} missing)",
                    name(f)
                ));
            }
        }
    }
    if e == rustix::io::Errno::NOSPC && flags.contains(CloneFlags::NEWUSER) {
        return Error::sys(
            "linux.namespaces: no new user namespace allowed (see /proc/sys/user/max_user_namespaces)",
            e,
        );
    }
    Error::sys(what, e)
}

/// The order namespaces are joined in: user first (joining it gives the capabilities needed in
/// the namespaces it owns), mount late (paths of later joins are resolved before it changes).
const JOIN_ORDER: [CloneFlags; 8] = [
    CloneFlags::NEWUSER,
    CloneFlags::NEWIPC,
    CloneFlags::NEWUTS,
    CloneFlags::NEWNET,
    CloneFlags::NEWPID,
    CloneFlags::NEWCGROUP,
    CloneFlags::NEWTIME,
    CloneFlags::NEWNS,
];

pub fn plan(spec: &Spec) -> Result<Plan> {
    let linux = spec.linux.as_ref();
    let namespaces = linux.map_or(&[][..], |l| &l.namespaces[..]);
    let mut new = CloneFlags::empty();
    let mut join = Vec::new();
    for (i, ns) in namespaces.iter().enumerate() {
        let f = flag(ns.kind);
        match ns.path.as_deref() {
            None | Some("") => new |= f,
            Some(path) => {
                let fd = rustix::fs::open(cs(path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                    .map_err(|e| Error::sys(format_args!("linux.namespaces[{i}].path: open {path}"), e))?;
                let actual = syscalls::ns::ioctl_ns_get_nstype(&fd).map_err(|e| {
                    Error::sys(format_args!("linux.namespaces[{i}].path: {path} is not a namespace"), e)
                })?;
                if actual != f {
                    crate::bail!(
                        "linux.namespaces[{i}].path: {path} is a {} namespace, not {}",
                        name(actual),
                        name(f)
                    );
                }
                join.push((f, fd));
            }
        }
    }
    // Insertion sort (stable, a handful of entries): core's sort would add ~4 KB to the binary.
    let rank = |f: CloneFlags| JOIN_ORDER.iter().position(|o| *o == f);
    for i in 1..join.len() {
        let mut j = i;
        while j > 0 && rank(join[j - 1].0) > rank(join[j].0) {
            join.swap(j - 1, j);
            j -= 1;
        }
    }
    let joins = |f: CloneFlags| join.iter().any(|(j, _)| *j == f);

    let time_offsets = linux.is_some_and(|l| !l.time_offsets.is_empty());
    if time_offsets && !new.contains(CloneFlags::NEWTIME) {
        crate::bail!("linux.timeOffsets: requires a new time namespace in linux.namespaces");
    }
    let mut unshare = new & CloneFlags::NEWCGROUP;
    if time_offsets {
        unshare |= CloneFlags::NEWTIME;
    }
    if joins(CloneFlags::NEWUSER) {
        unshare = new;
    }
    let clone = new - unshare;
    let pid_fork = joins(CloneFlags::NEWPID) || unshare.contains(CloneFlags::NEWPID);
    let mut all = new;
    for (f, _) in &join {
        all |= *f;
    }
    Ok(Plan { clone, unshare, join, all, pid_fork, time_offsets })
}

/// Whether this process runs in a user namespace other than the initial one (whose uid_map is the
/// identity over every id: "0 0 4294967295"). Read only where it matters: uid 0 deciding whether
/// it is really root (rootless podman runs its runtime as uid 0 of a user namespace).
pub fn in_user_namespace() -> bool {
    let Ok(map) = crate::init::sys::read_file(rustix::fs::CWD, "/proc/self/uid_map") else { return false };
    let mut f = map.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
    !(f.next() == Some(b"0") && f.next() == Some(b"0") && f.next() == Some(b"4294967295"))
}

/// The namespace types the container's config lists (created or joined by path): the ones `exec`
/// joins through the init.
pub fn listed(spec: &Spec) -> CloneFlags {
    let namespaces = spec.linux.as_ref().map_or(&[][..], |l| &l.namespaces[..]);
    namespaces.iter().fold(CloneFlags::empty(), |all, ns| all | flag(ns.kind))
}

/// Joins the namespaces `flags` of the process `pidfd` (host pid `pid`): one setns on the pidfd
/// (Linux 5.8+; the kernel joins the user namespace first), else one setns per namespace through
/// /proc/PID/ns, every file opened before the first join (user first, mount last: JOIN_ORDER).
/// A PID or time namespace joined this way applies to the caller's next children.
pub fn join_process(pidfd: rustix::fd::BorrowedFd<'_>, pid: i32, flags: CloneFlags) -> Result<()> {
    use rustix::thread::{ThreadNameSpaceType, move_into_link_name_space, move_into_thread_name_spaces};
    if flags.is_empty() {
        return Ok(());
    }
    match move_into_thread_name_spaces(pidfd, ThreadNameSpaceType::from_bits_retain(flags.bits() as u32)) {
        // EINVAL: a kernel without setns on pidfds (or a namespace that cannot be joined: the
        // per-namespace joins below then name it).
        Err(rustix::io::Errno::INVAL) => {}
        r => return r.map_err(|e| refused("join the container's namespaces (setns)", flags, e)),
    }
    const FILES: [&str; 8] = ["user", "ipc", "uts", "net", "pid", "cgroup", "time", "mnt"];
    let mut fds = Vec::new();
    for (f, file) in JOIN_ORDER.iter().zip(FILES) {
        if flags.contains(*f) {
            let path = alloc::format!("/proc/{pid}/ns/{file}");
            let fd = rustix::fs::open(cs(&path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                .map_err(|e| Error::sys(format_args!("open {path}"), e))?;
            fds.push((*f, fd));
        }
    }
    for (f, fd) in &fds {
        move_into_link_name_space(rustix::fd::AsFd::as_fd(fd), None)
            .map_err(|e| Error::sys(format_args!("join the container's {} namespace", name(*f)), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::io::Errno;

    #[test]
    fn refusals_are_explained() {
        // This kernel has every namespace type: the plain error, or the user namespace limit.
        assert_eq!(refused("clone3", CloneFlags::NEWPID, Errno::INVAL).to_string(), "clone3: Invalid argument");
        let e = refused("clone3", CloneFlags::NEWUSER | CloneFlags::NEWNS, Errno::NOSPC).to_string();
        assert!(e.starts_with("linux.namespaces: no new user namespace allowed"), "{e}");
        assert_eq!(name(CloneFlags::NEWNET), "network");
    }
}

