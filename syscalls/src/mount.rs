//! Mount attributes: mount_setattr. The rest of the new mount API (open_tree, move_mount, fsopen,
//! fsconfig, fsmount, fspick) and `MountAttrFlags` come from `rustix::mount`.
use crate::{Result, raw};
use linux_raw_sys::general::{
    __NR_mount_setattr, AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_RECURSIVE, AT_SYMLINK_NOFOLLOW, MS_PRIVATE, MS_SHARED,
    MS_SLAVE, MS_UNBINDABLE, mount_attr,
};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd};
pub use rustix::mount::MountAttrFlags;

bitflags::bitflags! {
    /// `AT_*` flags for [`mount_setattr`].
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct MountSetattrFlags: u32 {
        /// `AT_EMPTY_PATH`: change the mount `dirfd` refers to (e.g. from `open_tree`).
        const EMPTY_PATH = AT_EMPTY_PATH;
        /// `AT_SYMLINK_NOFOLLOW`: do not follow a trailing symlink in the path.
        const SYMLINK_NOFOLLOW = AT_SYMLINK_NOFOLLOW;
        /// `AT_NO_AUTOMOUNT`: do not trigger an automount at the path.
        const NO_AUTOMOUNT = AT_NO_AUTOMOUNT;
        /// `AT_RECURSIVE`: change every mount of the subtree, not just the top one.
        const RECURSIVE = AT_RECURSIVE;
    }
}

/// The propagation type [`mount_setattr`] sets (`mount_attr.propagation`).
#[repr(u32)]
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum Propagation {
    /// 0: leave propagation alone.
    Unchanged = 0,
    /// `MS_PRIVATE`
    Private = MS_PRIVATE,
    /// `MS_SHARED`
    Shared = MS_SHARED,
    /// `MS_SLAVE`
    Slave = MS_SLAVE,
    /// `MS_UNBINDABLE`
    Unbindable = MS_UNBINDABLE,
}

/// `struct mount_attr`: what [`mount_setattr`] changes.
///
/// Atime modes are a 3-bit field: to set one (`MOUNT_ATTR_NOATIME`, `_RELATIME`, `_STRICTATIME`),
/// also put `MOUNT_ATTR__ATIME` in `attr_clr`. `MOUNT_ATTR_IDMAP` needs `userns` and a mount that is
/// not yet attached (from `open_tree(OPEN_TREE_CLONE)`) and has no idmapping yet.
#[derive(Copy, Clone, Debug)]
pub struct MountAttr<'a> {
    /// Attributes to set (`MOUNT_ATTR_RDONLY`, `_NOSUID`, `_NODEV`, `_NOEXEC`, `_NOSYMFOLLOW`, ...).
    pub attr_set: MountAttrFlags,
    /// Attributes to clear.
    pub attr_clr: MountAttrFlags,
    /// The new propagation type.
    pub propagation: Propagation,
    /// The user namespace (`/proc/PID/ns/user`) whose id mapping `MOUNT_ATTR_IDMAP` applies.
    pub userns: Option<BorrowedFd<'a>>,
}

/// `syscall(SYS_mount_setattr, dirfd, path, flags, &mount_attr, sizeof mount_attr)`: changes the
/// attributes, propagation or id mapping of a mount, or with [`MountSetattrFlags::RECURSIVE`] of a
/// whole subtree, in one call (`mount(MS_REMOUNT|MS_BIND)` needs one per mount and cannot idmap).
///
/// # References
/// - [mount_setattr(2)](https://man7.org/linux/man-pages/man2/mount_setattr.2.html)
pub fn mount_setattr<P: rustix::path::Arg>(
    dirfd: impl AsFd,
    path: P,
    flags: MountSetattrFlags,
    attr: &MountAttr<'_>,
) -> Result<()> {
    let dirfd = dirfd.as_fd().as_raw_fd();
    let raw_attr = mount_attr {
        attr_set: attr.attr_set.bits().into(),
        attr_clr: attr.attr_clr.bits().into(),
        propagation: attr.propagation as u64,
        userns_fd: attr.userns.map_or(0, |fd| fd.as_raw_fd() as u64),
    };
    path.into_with_c_str(|path| {
        // SAFETY: `dirfd` is open, `path` is a C string and `raw_attr` a complete mount_attr of the
        // size given; all live for the call.
        unsafe {
            raw::syscall5(
                __NR_mount_setattr,
                dirfd as usize,
                path.as_ptr() as usize,
                flags.bits() as usize,
                core::ptr::addr_of!(raw_attr) as usize,
                core::mem::size_of::<mount_attr>(),
            )
        }
        .map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Errno;
    use crate::process::{CloneArgs, CloneFlags, Fork, clone3, exit_group};
    use crate::testutil::{exit_code_in_child, temp_dir, wait_pidfd};
    use rustix::fs::{CWD, Mode, OFlags, open, openat, statat};
    use rustix::mount::{
        MountFlags, MountPropagationFlags, MoveMountFlags, OpenTreeFlags, mount, mount_change, move_mount, open_tree,
    };
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    fn cpath(p: &std::path::Path) -> CString {
        CString::new(p.as_os_str().as_bytes()).unwrap()
    }

    /// In a new mount namespace with private propagation, mounts a tmpfs on `dir`.
    fn private_tmpfs(dir: &CString) -> bool {
        mount_change(c"/", MountPropagationFlags::PRIVATE | MountPropagationFlags::REC).is_ok()
            && mount(c"tmpfs", dir.as_c_str(), c"tmpfs", MountFlags::empty(), None).is_ok()
    }

    #[test]
    fn mount_setattr_readonly_tmpfs_gives_erofs() {
        let dir = temp_dir("mount-setattr-ro");
        let cdir = cpath(&dir);
        let code = exit_code_in_child(CloneFlags::NEWNS, || {
            if !private_tmpfs(&cdir) {
                return 1;
            }
            let Ok(dfd) = open(cdir.as_c_str(), OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) else {
                return 2;
            };
            if openat(&dfd, c"before", OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC, Mode::RUSR).is_err() {
                return 3;
            }
            let attr = MountAttr {
                attr_set: MountAttrFlags::MOUNT_ATTR_RDONLY | MountAttrFlags::MOUNT_ATTR_NOSYMFOLLOW,
                attr_clr: MountAttrFlags::empty(),
                propagation: Propagation::Unchanged,
                userns: None,
            };
            if mount_setattr(&dfd, c"", MountSetattrFlags::EMPTY_PATH | MountSetattrFlags::RECURSIVE, &attr).is_err() {
                return 4;
            }
            match openat(&dfd, c"after", OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC, Mode::RUSR) {
                Err(Errno::ROFS) => {}
                _ => return 5,
            }
            let mut buf = [0u8; 1 << 16];
            let Some(mounts) = crate::testutil::read_file(c"/proc/self/mountinfo", &mut buf) else { return 6 };
            let line = mounts.split(|&b| b == b'\n').find(|l| crate::testutil::contains(l, cdir.as_bytes()));
            match line {
                Some(l) if crate::testutil::contains(l, b" ro,") && crate::testutil::contains(l, b"nosymfollow") => {}
                _ => return 7,
            }
            // Clear it again and make it unbindable, by path this time.
            let attr = MountAttr {
                attr_set: MountAttrFlags::empty(),
                attr_clr: MountAttrFlags::MOUNT_ATTR_RDONLY,
                propagation: Propagation::Unbindable,
                userns: None,
            };
            if mount_setattr(CWD, cdir.as_c_str(), MountSetattrFlags::empty(), &attr).is_err() {
                return 8;
            }
            if openat(&dfd, c"after", OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC, Mode::RUSR).is_err() {
                return 9;
            }
            0
        });
        std::fs::remove_dir(&dir).unwrap();
        assert_eq!(code, 0);
    }

    #[test]
    fn mount_setattr_idmap_detached_tmpfs() {
        let dir = temp_dir("mount-setattr-idmap");
        let (src, dst) = (dir.join("src"), dir.join("dst"));
        std::fs::create_dir(&src).unwrap();
        std::fs::create_dir(&dst).unwrap();
        let (csrc, cdst) = (cpath(&src), cpath(&dst));
        let code = exit_code_in_child(CloneFlags::NEWNS, || {
            if !private_tmpfs(&csrc) {
                return 1;
            }
            let Ok(sfd) = open(csrc.as_c_str(), OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) else {
                return 3;
            };
            if openat(&sfd, c"f", OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC, Mode::RUSR).is_err() {
                return 4;
            }
            // A user namespace mapping its uid/gid 0 to 1000 on the host, held by a paused child.
            let (rd, wr) = match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
                Ok(p) => p,
                Err(_) => return 5,
            };
            let args = CloneArgs::new(CloneFlags::NEWUSER | CloneFlags::PIDFD);
            // SAFETY: single-threaded here; the grandchild only waits on the pipe and exits.
            let (pid, pidfd) = match unsafe { clone3(&args) } {
                Ok(Fork::Child) => {
                    drop(wr);
                    let _ = rustix::io::read(&rd, &mut [0u8; 1]);
                    exit_group(0)
                }
                Ok(Fork::Parent { pid, pidfd: Some(pidfd) }) => (pid.as_raw_nonzero().get(), pidfd),
                _ => return 6,
            };
            let mut path = [0u8; 64];
            let mut ok = true;
            for (file, map) in [("uid_map", b"0 1000 1\n"), ("gid_map", b"0 1000 1\n")] {
                let p = fmt_path(&mut path, pid, file);
                ok &= open(p, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())
                    .and_then(|f| rustix::io::write(&f, map))
                    .is_ok();
            }
            let userns = open(fmt_path(&mut path, pid, "ns/user"), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty());
            drop(wr);
            let _ = wait_pidfd(&pidfd);
            let Ok(userns) = userns else { return 7 };
            if !ok {
                return 8;
            }
            let flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
            let Ok(tree) = open_tree(CWD, csrc.as_c_str(), flags) else { return 9 };
            let attr = MountAttr {
                attr_set: MountAttrFlags::MOUNT_ATTR_IDMAP,
                attr_clr: MountAttrFlags::empty(),
                propagation: Propagation::Unchanged,
                userns: Some(rustix::fd::AsFd::as_fd(&userns)),
            };
            if mount_setattr(&tree, c"", MountSetattrFlags::EMPTY_PATH, &attr).is_err() {
                return 10;
            }
            if move_mount(&tree, c"", CWD, cdst.as_c_str(), MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH).is_err() {
                return 11;
            }
            let Ok(dfd) = open(cdst.as_c_str(), OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) else {
                return 12;
            };
            match statat(&dfd, c"f", rustix::fs::AtFlags::empty()) {
                Ok(st) if st.st_uid == 1000 && st.st_gid == 1000 => 0,
                Ok(_) => 13,
                Err(_) => 14,
            }
        });
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(code, 0);
    }

    /// `/proc/PID/FILE` as a C string in `buf`, without allocating.
    fn fmt_path<'a>(buf: &'a mut [u8; 64], pid: i32, file: &str) -> &'a std::ffi::CStr {
        use std::io::Write;
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        write!(cur, "/proc/{pid}/{file}\0").unwrap();
        let len = cur.position() as usize;
        std::ffi::CStr::from_bytes_with_nul(&buf[..len]).unwrap()
    }
}
