//! After pivot_root: `linux.readonlyPaths`, `linux.maskedPaths`, `root.readonly`.
//!
//! Paths resolve in-root from the cwd (setup leaves it at the container's root); a path that does not
//! exist is skipped, any other error is fatal (a mask that silently fails is an information leak).
//! A `/proc/NAME` that one listing of /proc shows absent is skipped without a lookup (proc_names.rs).
//!
//! Masked files get /dev/null bind-mounted over them. That /dev/null is opened O_PATH|O_NOFOLLOW
//! without following any symlink and must be the char device 1:3: if the image or a mount replaced
//! it (with a symlink to /proc/sys/kernel/core_pattern, say), masking fails instead of mounting
//! something else over the path (CVE-2025-31133). Masked directories get an empty read-only tmpfs.
//! The bind goes through `/proc/self/fd/N`, so the container's /proc must be a procfs: checked,
//! unless setup mounted it (rootfs.rs `mounts_procfs`).
use super::paths::{self, PATH_FLAGS, Root};
use super::proc_names::ProcNames;
use super::sys::{self, Attr, leak, release};
use crate::bail;
use crate::error::{Context as _, Result};
use crate::spec::Str;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use rustix::mount::{MoveMountFlags, OpenTreeFlags};

/// Each existing path becomes a read-only bind of itself (recursively: mounts below it too).
/// mount_setattr only adds MOUNT_ATTR_RDONLY, so nosuid/nodev/noexec (possibly locked) stay.
pub fn readonly_paths(list: &[Str<'_>], proc_names: &mut ProcNames) -> Result<()> {
    let root = Root::cwd();
    for p in list {
        let rel = paths::clean(p);
        if proc_names.lacks(&rel) {
            continue;
        }
        let fd = match root.open_at(&rel, PATH_FLAGS, false) {
            Err(Errno::NOENT) => continue,
            r => r.context(format_args!("readonly path {p}"))?,
        };
        readonly(&fd).context(format_args!("readonly path {p}"))?;
        release(fd);
    }
    Ok(())
}

fn readonly(fd: &OwnedFd) -> Result<()> {
    let tree = rustix::mount::open_tree(
        fd,
        c"",
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE
            | OpenTreeFlags::AT_EMPTY_PATH,
    )
    .context("open_tree")?;
    sys::mount_setattr(tree.as_fd(), true, &Attr { set: g::MOUNT_ATTR_RDONLY, ..Attr::default() })
        .context("mount_setattr ro")?;
    rustix::mount::move_mount(
        &tree,
        c"",
        fd,
        c"",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
    .context("move_mount")?;
    release(tree);
    Ok(())
}

/// `procfs_mounted`: setup mounted the container's /proc as a procfs (see rootfs.rs), so the
/// `/proc/self/fd/N` paths need no check of it.
pub fn masked_paths(
    list: &[Str<'_>],
    proc: &mut Option<RawFd>,
    procfs_mounted: bool,
    proc_names: &mut ProcNames,
) -> Result<()> {
    let root = Root::cwd();
    let mut null: Option<OwnedFd> = None;
    for p in list {
        let rel = paths::clean(p);
        if proc_names.lacks(&rel) {
            continue;
        }
        let fd = match root.open_at(&rel, PATH_FLAGS, false) {
            Err(Errno::NOENT) => continue,
            r => r.context(format_args!("masked path {p}"))?,
        };
        let null = match &mut null {
            Some(n) => n,
            n => {
                if !procfs_mounted {
                    proc_fd(&root, proc)?;
                }
                n.insert(dev_null(&root)?)
            }
        };
        let target = sys::fd_path(fd.as_fd());
        // A file gets /dev/null, a directory a read-only tmpfs; either mount fails with ENOTDIR on
        // the other kind, and then the other one is made. The likely kind goes first, which spares
        // the failing call (a stat would cost the same one).
        let dir_first = likely_dir(&rel);
        let mut r = Err(Errno::NOTDIR);
        for dir in [dir_first, !dir_first] {
            if r != Err(Errno::NOTDIR) {
                break;
            }
            r = if dir {
                super::mounts::mount("tmpfs", &target, "tmpfs", g::MS_RDONLY, "")
            } else {
                super::mounts::mount(&sys::fd_path(null.as_fd()), &target, "", g::MS_BIND, "")
            };
        }
        r        .context(format_args!("mask {p}"))?;
        release(fd);
    }
    if let Some(n) = null {
        leak(n);
    }
    Ok(())
}

/// Whether a masked path is most likely a directory: anything under /sys, and the /proc
/// directories of the usual lists (acpi, asound, scsi). Only the order of two attempts depends on
/// it, never the result.
fn likely_dir(rel: &str) -> bool {
    rel.starts_with("sys/") || matches!(rel, "proc/acpi" | "proc/asound" | "proc/scsi")
}

/// The container's /dev/null, verified to be the null device and not reached through any symlink.
fn dev_null(root: &Root) -> Result<OwnedFd> {
    let fd = rustix::fs::openat2(
        root.fd(),
        c"dev/null",
        PATH_FLAGS | OFlags::NOFOLLOW,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
    .context("open /dev/null for masked paths")?;
    let st = rustix::fs::fstat(&fd).context("stat /dev/null")?;
    if FileType::from_raw_mode(st.st_mode) != FileType::CharacterDevice || st.st_rdev != rustix::fs::makedev(1, 3) {
        bail!("/dev/null is not the null device (char 1:3): refusing to use it for masked paths");
    }
    Ok(fd)
}

/// The container's /proc, checked once to be a real procfs: `/proc/self/fd/N` and /proc/sys writes
/// are only trustworthy then. The fd stays open until exec (cached in `cache`).
pub fn proc_fd(root: &Root, cache: &mut Option<RawFd>) -> Result<RawFd> {
    if let Some(fd) = *cache {
        return Ok(fd);
    }
    let fd = root
        .open_at("proc", PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW, true)
        .context("open /proc (needed for masked paths and sysctl)")?;
    let st = rustix::fs::fstatfs(&fd).context("statfs /proc")?;
    if st.f_type as u32 != g::PROC_SUPER_MAGIC {
        bail!("/proc in the container is not a procfs");
    }
    let raw = fd.as_raw_fd();
    leak(fd);
    *cache = Some(raw);
    Ok(raw)
}

/// `root.readonly`: MOUNT_ATTR_RDONLY on "/" only (bind flags such as nosuid are kept).
pub fn readonly_root() -> Result<()> {
    sys::mount_setattr_path(c"/", &Attr { set: g::MOUNT_ATTR_RDONLY, ..Attr::default() })
        .context("make the root read-only")
}

#[cfg(test)]
mod tests {
    #[test]
    fn likely_dirs() {
        for d in ["proc/acpi", "proc/asound", "proc/scsi", "sys/firmware", "sys/devices/virtual/powercap"] {
            assert!(super::likely_dir(d), "{d}");
        }
        for f in ["proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug", "proc/acpi/x", "sysfoo", "dev/x"] {
            assert!(!super::likely_dir(f), "{f}");
        }
    }
}
