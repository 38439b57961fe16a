//! `tmpcopyup`: a tmpfs that starts with a copy of what the image has at its destination (podman
//! uses it for /tmp, /run, /var/tmp...).
//!
//! runc mounts the tmpfs on a scratch directory of the host, copies, then MS_MOVEs it. The new mount
//! API needs no scratch directory: fsopen/fsconfig/fsmount give a detached tmpfs, the copy goes
//! through its fd, move_mount attaches it. Modes (with setuid/setgid/sticky bits), owners, symlinks,
//! device nodes, fifos and sockets are preserved; timestamps and xattrs are not (as runc).
use super::mount_opts::{self, MountOpts};
use super::mounts::{Mounter, Want, apply_post, has_option, is_strict};
use super::sys::{leak, release};
use crate::error::{Context as _, Result};
use crate::rt::cs;
use alloc::format;
use alloc::vec::Vec;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, StatxFlags};
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};

pub fn mount(mt: &mut Mounter<'_, '_, '_>, src: &str, opts: &MountOpts, dest: &str) -> Result<()> {
    let strict = is_strict(dest);
    let t = mt.target(dest, Want::Dir, strict)?;
    let fs = rustix::mount::fsopen(c"tmpfs", FsOpenFlags::FSOPEN_CLOEXEC).context("fsopen tmpfs")?;
    let source = if src.is_empty() { "tmpfs" } else { src };
    rustix::mount::fsconfig_set_string(&fs, c"source", cs(source)).context("tmpfs source")?;
    for o in opts.data.split(',').filter(|o| !o.is_empty()) {
        match o.split_once('=') {
            Some((k, v)) => rustix::mount::fsconfig_set_string(&fs, cs(k), cs(v)),
            None => rustix::mount::fsconfig_set_flag(&fs, cs(o)),
        }
        .context(format_args!("tmpfs option {o}"))?;
    }
    for (ms, name) in
        [(g::MS_SYNCHRONOUS, "sync"), (g::MS_DIRSYNC, "dirsync"), (g::MS_LAZYTIME, "lazytime"), (g::MS_MANDLOCK, "mand")]
    {
        if opts.flags & ms != 0 {
            rustix::mount::fsconfig_set_flag(&fs, cs(name)).context(format_args!("tmpfs option {name}"))?;
        }
    }
    // The image's directory, to copy from (a target just created is empty: nothing to copy).
    let src = if t.created { None } else { Some(t.reopen(OFlags::RDONLY | OFlags::DIRECTORY).context("open source")?) };
    let mut owner = None;
    if let Some(src) = &src {
        let st = rustix::fs::statx(src, c"", AtFlags::EMPTY_PATH, StatxFlags::MODE | StatxFlags::UID | StatxFlags::GID)
            .context("stat source")?;
        if !has_option(&opts.data, "mode") {
            let mode = format!("{:o}", u32::from(st.stx_mode) & 0o7777);
            rustix::mount::fsconfig_set_string(&fs, c"mode", cs(&mode)).context("tmpfs option mode")?;
        }
        if (st.stx_uid, st.stx_gid) != (0, 0) && !has_option(&opts.data, "uid") && !has_option(&opts.data, "gid") {
            owner = Some((st.stx_uid, st.stx_gid));
        }
    }
    rustix::mount::fsconfig_create(&fs).context("create tmpfs")?;
    let mnt = rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, mount_attrs(opts.flags)).context("fsmount")?;
    if let Some(src) = &src {
        copy_dir(src.as_fd(), mnt.as_fd()).context("tmpcopyup")?;
    }
    if let Some((uid, gid)) = owner {
        chown(mnt.as_fd(), c"", uid, gid, AtFlags::EMPTY_PATH)?;
    }
    t.move_here(mnt.as_fd()).context("move_mount")?;
    mt.mounted(dest, false, strict);
    apply_post(mnt.as_fd(), opts, true)?;
    if opts.flags & g::MS_RDONLY != 0 {
        mt.delayed_ro.push(mnt.as_raw_fd());
        leak(mnt);
    } else {
        release(mnt);
    }
    Ok(())
}

/// fsmount's MOUNT_ATTR_* for the per-mount MS_* flags, "ro" left out (applied after pivot_root).
fn mount_attrs(ms: u32) -> MountAttrFlags {
    let mut a = mount_opts::attrs_of(ms & mount_opts::PER_MOUNT & !g::MS_RDONLY);
    if ms & g::MS_STRICTATIME != 0 {
        a |= g::MOUNT_ATTR_STRICTATIME;
    } else if ms & g::MS_NOATIME != 0 {
        a |= g::MOUNT_ATTR_NOATIME;
    }
    MountAttrFlags::from_bits_retain(a)
}

fn chown(dir: BorrowedFd<'_>, name: &core::ffi::CStr, uid: u32, gid: u32, flags: AtFlags) -> Result<()> {
    if (uid, gid) == (0, 0) {
        return Ok(()); // what the copy already has: this init is root
    }
    let (u, g) = (rustix::fs::Uid::from_raw(uid), rustix::fs::Gid::from_raw(gid));
    rustix::fs::chownat(dir, name, Some(u), Some(g), flags).context("chown")
}

/// Copies the entries of directory `src` (opened for reading) into directory `dst`, recursively.
fn copy_dir(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> Result<()> {
    let mut buf = Vec::with_capacity(8192);
    let mut dir = RawDir::new(src, buf.spare_capacity_mut());
    while let Some(entry) = dir.next() {
        let entry = entry.context("getdents")?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        copy_entry(src, dst, name).context(crate::rt::lossy(name.to_bytes()))?;
    }
    Ok(())
}

/// Copies one entry `name` of `src` into `dst` (recursing into directories).
fn copy_entry(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, name: &core::ffi::CStr) -> Result<()> {
    let st = rustix::fs::statx(
        src,
        name,
        AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::TYPE | StatxFlags::MODE | StatxFlags::UID | StatxFlags::GID,
    )
    .context("stat")?;
    let perm = Mode::from_raw_mode(u32::from(st.stx_mode) & 0o7777);
    let special = u32::from(st.stx_mode) & 0o7000 != 0;
    let (uid, gid) = (st.stx_uid, st.stx_gid);
    match FileType::from_raw_mode(st.stx_mode.into()) {
        FileType::Directory => {
            rustix::fs::mkdirat(dst, name, perm).context("mkdir")?;
            let s = open(src, name, OFlags::RDONLY | OFlags::DIRECTORY)?;
            let d = open(dst, name, OFlags::PATH | OFlags::DIRECTORY)?;
            copy_dir(s.as_fd(), d.as_fd())?;
            chown(dst, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?;
            if special {
                rustix::fs::chmodat(dst, name, perm, AtFlags::empty()).context("chmod")?;
            }
        }
        FileType::RegularFile => {
            let i = open(src, name, OFlags::RDONLY)?;
            let o = rustix::fs::openat(dst, name, OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC, perm)
                .context("create")?;
            while rustix::fs::sendfile(&o, &i, None, 1 << 30).context("copy")? != 0 {}
            chown(dst, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?;
            if special {
                rustix::fs::fchmod(&o, perm).context("chmod")?;
            }
        }
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(src, name, Vec::new()).context("readlink")?;
            rustix::fs::symlinkat(target.as_c_str(), dst, name).context("symlink")?;
            chown(dst, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?;
        }
        kind => {
            let dev = rustix::fs::makedev(st.stx_rdev_major, st.stx_rdev_minor);
            rustix::fs::mknodat(dst, name, kind, perm, dev).context("mknod")?;
            chown(dst, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?;
        }
    }
    Ok(())
}

fn open(dir: BorrowedFd<'_>, name: &core::ffi::CStr, flags: OFlags) -> Result<OwnedFd> {
    rustix::fs::openat(dir, name, flags | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
        .context("open")
}
