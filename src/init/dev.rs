//! /dev: runc's default devices, `linux.devices`, /dev/ptmx and the /dev symlinks.
//!
//! As runc: skipped entirely when a bind mount covers /dev; otherwise done in whatever /dev is after
//! the mounts (usually a fresh tmpfs, else the image's own directory, where existing entries are
//! kept). The default devices are null, zero, full, random, urandom and tty, mode 0666, owned by the
//! container's root; a `linux.devices` entry with the same path replaces the default one; a
//! /dev/ptmx entry is ignored because /dev/ptmx is always a symlink to pts/ptmx. Missing fileMode is
//! 0666, missing uid/gid 0. Device nodes are made with mknodat (under umask 0, so no chmod is
//! needed); in a new user namespace, where mknod is not allowed, or when mknod fails with EPERM, the
//! host's node at the same path is bind-mounted over an empty file instead.
//!
//! /dev itself is resolved strictly: a symlink there (to anywhere, inside or outside the root) is
//! refused, so device nodes cannot be redirected.
use super::mounts::{Mounter, mount};
use super::paths::{self, Create, PATH_FLAGS};
use super::sys::{self, leak, release};
use crate::bail;
use crate::error::{Context as _, Result};
use crate::spec::{Device, Spec};
use crate::rt::cs;
use alloc::format;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// `(name, major, minor)` of the devices every container gets, mode 0666.
const DEFAULT_DEVICES: &[(&str, u32, u32)] =
    &[("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)];

/// Symlinks in /dev, as runc (`core` only where the host has /proc/kcore).
const LINKS: &[(&str, &str)] =
    &[("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")];

/// runc's rule: /dev is set up unless a bind mount provides it.
pub fn needs_setup(spec: &Spec<'_>) -> bool {
    !spec.mounts.iter().any(|m| {
        paths::clean(&m.destination) == "dev"
            && (m.kind.as_deref() == Some("bind") || m.options.iter().any(|o| o == "bind" || o == "rbind"))
    })
}

pub fn setup(mt: &mut Mounter<'_, '_, '_>) -> Result<()> {
    let spec = mt.ctx.spec;
    let devices: &[Device<'_>] = spec.linux.as_ref().map_or(&[], |l| &l.devices);
    let bind = mt.ctx.new_userns;
    let fresh = mt.is_fresh("dev");
    let dev = match mt.fresh_dir("dev")? {
        Some(fd) => fd,
        None => {
            let fd = match mt.root.open_at("dev", PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW, true) {
                Err(Errno::NOENT) => mt.root.create_and_open("dev", Create::Dir, PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW, true),
                Err(Errno::LOOP | Errno::NOTDIR) => bail!("/dev must be a real directory, not a symlink or a file"),
                r => r.context("open /dev"),
            }?;
            let raw = fd.as_raw_fd();
            leak(fd);
            raw
        }
    };
    // SAFETY: the /dev fd is never closed before exec.
    let dev = unsafe { BorrowedFd::borrow_raw(dev) };
    for &(name, major, minor) in DEFAULT_DEVICES {
        if devices.iter().any(|d| paths::clean(&d.path) == format!("dev/{name}")) {
            continue;
        }
        let node = Node { kind: FileType::CharacterDevice, major, minor, mode: 0o666, uid: 0, gid: 0 };
        make(dev, fresh, name, &format!("/dev/{name}"), &node, bind).context(format_args!("create /dev/{name}"))?;
    }
    for d in devices {
        let rel = paths::clean(&d.path);
        if rel == "dev/ptmx" || rel.is_empty() {
            continue;
        }
        let node = Node::of(d)?;
        let (parent, name) = paths::split(&rel);
        let r = if parent == "dev" {
            make(dev, fresh, name, &d.path, &node, bind)
        } else {
            let pfd = mt.root.mkdir_all(parent)?;
            let r = make(pfd.as_fd(), false, name, &d.path, &node, bind);
            release(pfd);
            r
        };
        r.context(format_args!("create device {}", d.path))?;
    }
    symlink(dev, "pts/ptmx", "ptmx", true)?;
    for &(name, target) in LINKS {
        symlink(dev, target, name, false)?;
    }
    if rustix::fs::access("/proc/kcore", rustix::fs::Access::EXISTS).is_ok() {
        symlink(dev, "/proc/kcore", "core", false)?;
    }
    Ok(())
}

/// A device node to create.
struct Node {
    kind: FileType,
    major: u32,
    minor: u32,
    mode: u32,
    uid: u32,
    gid: u32,
}

impl Node {
    fn of(d: &Device<'_>) -> Result<Node> {
        let kind = match &*d.kind {
            "c" | "u" => FileType::CharacterDevice,
            "b" => FileType::BlockDevice,
            "p" => FileType::Fifo,
            k => bail!("invalid device type \"{k}\" for device {}", d.path),
        };
        let (Ok(major), Ok(minor)) = (u32::try_from(d.major), u32::try_from(d.minor)) else {
            bail!("invalid major/minor {}:{} for device {}", d.major, d.minor, d.path)
        };
        Ok(Node { kind, major, minor, mode: d.file_mode.unwrap_or(0o666) & 0o7777, uid: d.uid.unwrap_or(0), gid: d.gid.unwrap_or(0) })
    }
}

/// Creates device `name` in `dir` (mknod, or a bind mount of the host's `host_path`).
fn make(dir: BorrowedFd<'_>, fresh: bool, name: &str, host_path: &str, node: &Node, bind: bool) -> Result<()> {
    if !bind {
        let dev = if node.kind == FileType::Fifo { 0 } else { rustix::fs::makedev(node.major, node.minor) };
        match rustix::fs::mknodat(dir, cs(name), node.kind, Mode::from_raw_mode(node.mode), dev) {
            Ok(()) => {}
            // runc keeps what the image has.
            Err(Errno::EXIST) => return Ok(()),
            Err(Errno::PERM) => return bind_node(dir, fresh, name, host_path),
            Err(e) => return Err(e).context("mknod"),
        }
        if (node.uid, node.gid) != (0, 0) {
            let (u, g) = (rustix::fs::Uid::from_raw(node.uid), rustix::fs::Gid::from_raw(node.gid));
            rustix::fs::chownat(dir, cs(name), Some(u), Some(g), AtFlags::SYMLINK_NOFOLLOW).context("chown")?;
        }
        return Ok(());
    }
    bind_node(dir, fresh, name, host_path)
}

/// Bind-mounts the host's device node over an empty file `name` in `dir`.
fn bind_node(dir: BorrowedFd<'_>, fresh: bool, name: &str, host_path: &str) -> Result<()> {
    paths::create_in(dir, name, Create::File).context("create bind target")?;
    if fresh {
        return mount(host_path, &sys::fd_child_path(dir, name), "", g::MS_BIND, "").context(format_args!("bind {host_path}"));
    }
    let fd = rustix::fs::openat(dir, cs(name), PATH_FLAGS | OFlags::NOFOLLOW, Mode::empty()).context("open bind target")?;
    mount(host_path, &sys::fd_path(fd.as_fd()), "", g::MS_BIND, "").context(format_args!("bind {host_path}"))?;
    release(fd);
    Ok(())
}

/// symlinkat(target, dir, name); an existing entry is kept, or replaced when `replace` (ptmx).
fn symlink(dir: BorrowedFd<'_>, target: &str, name: &str, replace: bool) -> Result<()> {
    match rustix::fs::symlinkat(cs(target), dir, cs(name)) {
        Err(Errno::EXIST) if replace => {
            rustix::fs::unlinkat(dir, cs(name), AtFlags::empty()).context(format_args!("remove /dev/{name}"))?;
            rustix::fs::symlinkat(cs(target), dir, cs(name))
        }
        Err(Errno::EXIST) => Ok(()),
        r => r,
    }
    .context(format_args!("symlink /dev/{name}"))
}
