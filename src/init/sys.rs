//! Small syscall helpers for the filesystem setup: mount_setattr with the init's plain attributes,
//! `/proc/self/fd/N` paths for mounting through O_PATH fds, whole-file reads, and the fd contract.
//!
//! Fd contract: temporary fds opened here are O_CLOEXEC and are NOT closed one by one while their
//! numbers are below 256 (each close is a syscall); `process::apply` marks every fd >= 3 +
//! preserve_fds CLOEXEC with one close_range before execve, so none reaches the container process.
//! Above 256 they are closed (`release`), so hundreds of mounts fit in a small RLIMIT_NOFILE. Fds that
//! pin host objects (files in the host's /proc read before pivot_root) are always closed, because the
//! init may wait long on the exec fifo.
use crate::error::{Context, Result};
use crate::rt::cs;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use linux_raw_sys::general as g;
use syscalls::mount::{MountAttr, MountAttrFlags, MountSetattrFlags, Propagation};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

/// Gives up an fd that must stay open until exec, without closing it; see the fd contract.
pub fn leak(fd: OwnedFd) {
    let _ = fd.into_raw_fd();
}

/// Done with `fd`: left open while fd numbers are low (no syscall, see the fd contract), closed once
/// they pass 256, so a configuration with hundreds of mounts cannot exhaust RLIMIT_NOFILE.
pub fn release(fd: OwnedFd) {
    if fd.as_raw_fd() < 256 {
        leak(fd);
    }
}

/// `/proc/self/fd/N`: the magic link through which mount(2) reaches exactly the object `fd` holds,
/// whatever happens to its path.
pub fn fd_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// `/proc/self/fd/N/name`: `name` looked up in the directory `fd` holds. Only for directories this
/// init created and nobody else can reach (a fresh tmpfs in the private mount namespace), where `name`
/// cannot be a symlink.
pub fn fd_child_path(fd: BorrowedFd<'_>, name: &str) -> String {
    format!("/proc/self/fd/{}/{}", fd.as_raw_fd(), name)
}

/// What mount_setattr changes; `propagation` is 0 or one of MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE.
#[derive(Clone, Copy, Default)]
pub struct Attr<'a> {
    pub set: u32,
    pub clr: u32,
    pub propagation: u32,
    pub userns: Option<BorrowedFd<'a>>,
}

/// mount_setattr on the mount `fd` is the root of (a detached tree from open_tree, or an attached
/// mount), through `syscalls::mount::mount_setattr`.
pub fn mount_setattr(fd: BorrowedFd<'_>, recursive: bool, attr: &Attr<'_>) -> core::result::Result<(), Errno> {
    let mut flags = MountSetattrFlags::EMPTY_PATH;
    if recursive {
        flags |= MountSetattrFlags::RECURSIVE;
    }
    syscalls::mount::mount_setattr(fd, c"", flags, &raw_attr(attr)?)
}

/// mount_setattr on a path (`"/"` after pivot_root) rather than an fd.
pub fn mount_setattr_path(path: &core::ffi::CStr, attr: &Attr<'_>) -> core::result::Result<(), Errno> {
    syscalls::mount::mount_setattr(CWD, path, MountSetattrFlags::empty(), &raw_attr(attr)?)
}

/// The typed attributes for the syscalls crate; a propagation that is not one of the four kinds
/// (never produced by the option parser) is EINVAL, as the kernel would say.
fn raw_attr<'a>(attr: &Attr<'a>) -> core::result::Result<MountAttr<'a>, Errno> {
    let propagation = match attr.propagation {
        0 => Propagation::Unchanged,
        g::MS_PRIVATE => Propagation::Private,
        g::MS_SHARED => Propagation::Shared,
        g::MS_SLAVE => Propagation::Slave,
        g::MS_UNBINDABLE => Propagation::Unbindable,
        _ => return Err(Errno::INVAL),
    };
    Ok(MountAttr {
        attr_set: MountAttrFlags::from_bits_retain(attr.set),
        attr_clr: MountAttrFlags::from_bits_retain(attr.clr),
        propagation,
        userns: attr.userns,
    })
}

/// Reads a whole (small, procfs) file and closes it: open + read until EOF + close.
pub fn read_file(dirfd: impl AsFd, path: &str) -> Result<Vec<u8>> {
    let fd = rustix::fs::openat(dirfd, cs(path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {path}"))?;
    crate::rt::io::read_fd_all(fd.as_fd()).context(format_args!("read {path}"))
}
