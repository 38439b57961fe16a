//! Small syscall helpers for the filesystem setup: mount_setattr (until the syscalls crate has it),
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
use core::mem::size_of;
use linux_raw_sys::general::{__NR_mount_setattr, AT_EMPTY_PATH, AT_RECURSIVE, mount_attr};
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

/// `syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], &attr, sizeof attr)`: changes
/// the mount `fd` is the root of (a detached tree from open_tree, or an attached mount).
///
/// TODO: switch to `syscalls::mount::mount_setattr` once the syscalls branch is merged.
pub fn mount_setattr(fd: BorrowedFd<'_>, recursive: bool, attr: &Attr<'_>) -> core::result::Result<(), Errno> {
    mount_setattr_at(fd, c"", AT_EMPTY_PATH | if recursive { AT_RECURSIVE } else { 0 }, attr)
}

/// mount_setattr on a path (`"/"` after pivot_root) rather than an fd.
pub fn mount_setattr_path(path: &core::ffi::CStr, attr: &Attr<'_>) -> core::result::Result<(), Errno> {
    mount_setattr_at(CWD, path, 0, attr)
}

fn mount_setattr_at(
    dirfd: BorrowedFd<'_>,
    path: &core::ffi::CStr,
    flags: u32,
    attr: &Attr<'_>,
) -> core::result::Result<(), Errno> {
    let raw = mount_attr {
        attr_set: attr.set.into(),
        attr_clr: attr.clr.into(),
        propagation: attr.propagation.into(),
        userns_fd: attr.userns.map_or(0, |fd| fd.as_raw_fd() as u64),
    };
    // SAFETY: `dirfd` is open, `path` is NUL-terminated and `raw` is a complete mount_attr of the size
    // passed; all outlive the call.
    unsafe {
        syscalls::raw::syscall5(
            __NR_mount_setattr,
            dirfd.as_raw_fd() as usize,
            path.as_ptr() as usize,
            flags as usize,
            &raw as *const mount_attr as usize,
            size_of::<mount_attr>(),
        )
    }
    .map(drop)
}

/// Reads a whole (small, procfs) file and closes it: open + read until EOF + close.
pub fn read_file(dirfd: impl AsFd, path: &str) -> Result<Vec<u8>> {
    let fd = rustix::fs::openat(dirfd, cs(path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {path}"))?;
    let mut buf = Vec::with_capacity(8192);
    loop {
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(buf.capacity());
        }
        let n = rustix::io::read(&fd, spare(&mut buf)).context(format_args!("read {path}"))?.0.len();
        if n == 0 {
            break;
        }
        // SAFETY: read initialised the first `n` bytes of the spare capacity.
        unsafe { buf.set_len(buf.len() + n) };
    }
    drop(fd);
    Ok(buf)
}

fn spare(buf: &mut Vec<u8>) -> &mut [core::mem::MaybeUninit<u8>] {
    buf.spare_capacity_mut()
}
