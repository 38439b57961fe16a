//! Id-mapped bind mounts (`idmap`/`ridmap` options or `uidMappings`/`gidMappings` on a mount).
//!
//! MOUNT_ATTR_IDMAP needs a user namespace fd that carries the mount's mapping. As runc does, the
//! mapped tree is made on the host side, by `create` before clone3: a throw-away child is cloned into
//! a new user namespace, its uid_map/gid_map are written with the mount's mappings (the host ids only
//! the host's root may map), /proc/PID/ns/user is opened, the child is killed. The source is cloned
//! with open_tree(OPEN_TREE_CLONE), given the mapping with mount_setattr, and the detached tree's fd
//! is inherited by the container init, which only attaches it (`mounts.rs`). A mount that asks for
//! `idmap` without mappings uses the container's user namespace mappings (or the user namespace it
//! joins by path). Namespaces are shared between mounts with the same mappings.
use super::mount_opts::{self, Idmap};
use super::sys::{self, Attr};
use crate::bail;
use crate::error::{Context as _, Result};
use crate::spec::{IdMapping, NsType, Spec};
use crate::rt::cs;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use rustix::fs::{CWD, Mode, OFlags};
use rustix::mount::OpenTreeFlags;
use rustix::process::{Pid, Signal, WaitOptions};

/// Detached id-mapped trees, by mount index. Made by `prepare` before clone3; the init inherits the
/// fds. Empty (and free) when no mount is id-mapped.
#[derive(Default)]
pub struct Prepared {
    trees: Vec<(usize, OwnedFd)>,
}

impl Prepared {
    /// The tree for `mounts[index]`, if that mount is id-mapped.
    pub fn get(&self, index: usize) -> Option<RawFd> {
        self.trees.iter().find(|t| t.0 == index).map(|t| t.1.as_raw_fd())
    }
}

/// Does `mounts[i]` ask for an id mapping?
pub fn wants_idmap(opts: &mount_opts::MountOpts, uid: &[IdMapping], gid: &[IdMapping]) -> bool {
    opts.idmap.is_some() || !uid.is_empty() || !gid.is_empty()
}

/// Makes the detached id-mapped trees of every id-mapped bind mount. Host side, before clone3;
/// keep the result alive until clone3 has returned (the child inherits the fds), then drop it.
pub fn prepare(spec: &Spec<'_>, bundle: &str) -> Result<Prepared> {
    let mut out = Prepared::default();
    let mut userns: Vec<(Vec<IdMapping>, Vec<IdMapping>, OwnedFd)> = Vec::new();
    let linux = spec.linux.as_ref();
    for (i, m) in spec.mounts.iter().enumerate() {
        let opts = mount_opts::parse(&m.options);
        if !wants_idmap(&opts, &m.uid_mappings, &m.gid_mappings) {
            continue;
        }
        let src = m.source.as_deref().unwrap_or("");
        let src =
            if src.starts_with('/') { String::from(src) } else { format!("{bundle}/{src}") };
        let (uid, gid): (&[IdMapping], &[IdMapping]) = if m.uid_mappings.is_empty() && m.gid_mappings.is_empty() {
            linux.map_or((&[], &[]), |l| (&l.uid_mappings, &l.gid_mappings))
        } else {
            (&m.uid_mappings, &m.gid_mappings)
        };
        let joined = linux.and_then(|l| l.namespaces.iter().find(|n| n.kind == NsType::User)).and_then(|n| n.path.as_deref());
        let ns_fd = match (uid.is_empty() && gid.is_empty(), joined) {
            (true, Some(path)) => {
                let fd = rustix::fs::open(cs(path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                    .context(format_args!("open user namespace {path}"))?;
                userns.push((Vec::new(), Vec::new(), fd));
                userns.len() - 1
            }
            (true, None) => bail!("mounts[{i}]: id-mapped mounts must have both uid and gid mappings specified"),
            _ => match userns.iter().position(|u| u.0 == uid && u.1 == gid) {
                Some(k) => k,
                None => {
                    let fd = userns_with(uid, gid).context(format_args!("mounts[{i}]: user namespace for idmap"))?;
                    userns.push((uid.to_vec(), gid.to_vec(), fd));
                    userns.len() - 1
                }
            },
        };
        let rec = if opts.is_recursive_bind() { OpenTreeFlags::AT_RECURSIVE } else { OpenTreeFlags::empty() };
        let tree = rustix::mount::open_tree(CWD, cs(&src), OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC | rec)
            .context(format_args!("mounts[{i}]: open_tree {src}"))?;
        let attr = Attr { set: g::MOUNT_ATTR_IDMAP, userns: Some(userns[ns_fd].2.as_fd()), ..Attr::default() };
        match sys::mount_setattr(tree.as_fd(), opts.idmap == Some(Idmap::Recursive), &attr) {
            Err(rustix::io::Errno::INVAL) => {
                bail!("mounts[{i}]: id-map {src}: Invalid argument (does its filesystem support id-mapped mounts?)")
            }
            r => r.context(format_args!("mounts[{i}]: id-map {src}"))?,
        }
        out.trees.push((i, tree));
    }
    Ok(out)
}

/// A user namespace fd with the given mappings, from a short-lived child process.
fn userns_with(uid: &[IdMapping], gid: &[IdMapping]) -> Result<OwnedFd> {
    use syscalls::process::{CloneArgs, CloneFlags, Fork, clone3};
    // SAFETY: single-threaded; the child only pauses (no allocation, no locks) until killed.
    let pid = match unsafe { clone3(&CloneArgs::new(CloneFlags::NEWUSER)) }.context("clone a user namespace")? {
        Fork::Child => loop {
            // SAFETY: pause takes no arguments.
            let _ = unsafe { syscalls::raw::syscall0(g::__NR_pause) };
        },
        Fork::Parent { pid, .. } => pid.as_raw_nonzero().get() as usize,
    };
    let result = (|| {
        write_map(pid, "uid_map", uid)?;
        write_map(pid, "gid_map", gid)?;
        let path = format!("/proc/{pid}/ns/user");
        rustix::fs::open(cs(&path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).context(format_args!("open {path}"))
    })();
    // SAFETY: pid is the positive id of the child just cloned.
    let pid = unsafe { Pid::from_raw_unchecked(pid as i32) };
    let _ = rustix::process::kill_process(pid, Signal::KILL);
    let _ = rustix::process::waitpid(Some(pid), WaitOptions::empty());
    result
}

fn write_map(pid: usize, file: &str, map: &[IdMapping]) -> Result<()> {
    let mut text = String::new();
    for m in map {
        let _ = writeln!(text, "{} {} {}", m.container_id, m.host_id, m.size);
    }
    let path = format!("/proc/{pid}/{file}");
    let fd = rustix::fs::open(cs(&path), OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {path}"))?;
    rustix::io::write(&fd, text.as_bytes()).context(format_args!("write {path}"))?;
    Ok(())
}
