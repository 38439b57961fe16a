//! Removal of the cgroup directories rsrun made, as state.json names them. state.json is trusted
//! only so far: its paths are confined lexically below /sys/fs/cgroup when it is loaded (state.rs),
//! and every directory is removed through fds, never through its path: its parent is opened
//! beneath an fd of /sys/fs/cgroup without following any symlink (openat2 RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS, O_PATH | O_DIRECTORY | O_NOFOLLOW), checked with fstatfs to be on a cgroup
//! filesystem, and only then the directory is rmdir'ed relative to that fd. A directory of a
//! cgroup filesystem holds nothing but cgroup directories and control files, so the name removed is
//! a cgroup, or a mount over one, which rmdir refuses (EBUSY): the busy path below then opens the
//! directory itself on the parent's mount only (RESOLVE_NO_XDEV) and refuses a mount point.
//! Sub-cgroups go the same way from the checked directory's fd, never across a mount. So a damaged
//! or forged state.json cannot make `delete` remove a directory of another filesystem (a tmpfs
//! dir, a path through a symlink, a mount over a cgroup): it is refused with an error naming it,
//! and left alone. Checking the parent rather than the directory itself costs 3 syscalls per
//! hierarchy (openat2, fstatfs, unlinkat; the fds are left to exit), not 5: a v1 host has ~14.
use super::Hier;
use super::fsio::{parent, sleep_ms};
use crate::error::{Error, Result};
use crate::rt::cs;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

const ROOT: &str = "/sys/fs/cgroup";
const CGROUP_SUPER_MAGIC: u64 = 0x0027_e0eb;
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;
const DIR: OFlags = OFlags::PATH.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);
const BENEATH: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_SYMLINKS).union(ResolveFlags::NO_MAGICLINKS);
const SAME_MOUNT: ResolveFlags = BENEATH.union(ResolveFlags::NO_XDEV);

/// /sys/fs/cgroup, the anchor every removal resolves beneath.
pub(crate) fn open_root() -> Result<OwnedFd> {
    fs::open(c"/sys/fs/cgroup", DIR, Mode::empty()).map_err(|e| Error::sys("open /sys/fs/cgroup", e))
}

/// Why a directory is not removed: one line naming it.
fn refuse(dir: &str, why: impl core::fmt::Display) -> Error {
    Error::msg(format_args!("refusing to remove {dir} (recorded in state.json): {why}"))
}

/// A directory named by state.json, opened for removal.
enum Opened<'d> {
    /// Its parent's fd (checked: a cgroup filesystem) and its name in the parent.
    Dir(OwnedFd, &'d str),
    Gone,
    /// Not a cgroup directory: the error says why.
    Refused(Error),
}

/// The parent of `dir` (absolute, below /sys/fs/cgroup), opened and checked for removing `dir`.
fn open_checked<'d>(root: BorrowedFd<'_>, dir: &'d str) -> Result<Opened<'d>> {
    use Opened::{Gone, Refused};
    let Some(rel) = dir.strip_prefix(ROOT).and_then(|r| r.strip_prefix('/')) else {
        return Ok(Refused(refuse(dir, "not below /sys/fs/cgroup")));
    };
    let (up, name) = match crate::rt::rfind(rel, b'/') {
        Some(i) => (crate::rt::head(rel, i), crate::rt::tail(rel, i + 1)),
        None => (".", rel),
    };
    let up_fd = match fs::openat2(root, cs(up), DIR, Mode::empty(), BENEATH) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(Gone),
        Err(Errno::LOOP) => return Ok(Refused(refuse(dir, "its path goes through a symlink"))),
        Err(Errno::NOTDIR) => return Ok(Refused(refuse(dir, "its parent is not a directory"))),
        Err(e) => return Err(Error::sys(format_args!("open {}", parent(dir)), e)),
    };
    let magic = fs::fstatfs(&up_fd).map_err(|e| Error::sys(format_args!("statfs {}", parent(dir)), e))?.f_type as u64;
    if magic != CGROUP_SUPER_MAGIC && magic != CGROUP2_SUPER_MAGIC {
        let why = format_args!("its directory is not on a cgroup filesystem (magic {magic:#x})");
        return Ok(Refused(refuse(dir, why)));
    }
    Ok(Opened::Dir(up_fd, name))
}

/// A directory in a checked cgroup directory `up`, opened on the same mount (for listing its
/// sub-cgroups). Ok(Err(why)): a mount point over it (or a symlink), refused.
fn open_in(up: BorrowedFd<'_>, name: &str, shown: &str) -> Result<core::result::Result<Option<OwnedFd>, Error>> {
    match fs::openat2(up, cs(name), DIR, Mode::empty(), SAME_MOUNT) {
        Ok(fd) => Ok(Ok(Some(fd))),
        Err(Errno::NOENT) => Ok(Ok(None)),
        Err(Errno::XDEV) => Ok(Err(refuse(shown, "it is a mount point, not a cgroup directory"))),
        Err(Errno::LOOP) => Ok(Err(refuse(shown, "it is a symlink"))),
        Err(e) => Err(Error::sys(format_args!("open {shown}"), e)),
    }
}

/// Removes what rsrun created in one hierarchy: the leaf (and sub-cgroups inside it), then the
/// created parents if they are empty (another container may share them). Each directory is
/// checked first (see the module's doc): one that is not a cgroup directory is left alone, and
/// comes back as `Ok(Some(why))`; Err is a removal that failed (busy: processes left).
pub(crate) fn remove_created(h: &Hier, root: BorrowedFd<'_>) -> Result<Option<Error>> {
    let mut d = h.dir.as_str();
    for i in 0..h.created {
        match open_checked(root, d)? {
            Opened::Refused(why) => return Ok(Some(why)),
            Opened::Gone => {}
            Opened::Dir(up, name) => {
                let r = if i == 0 {
                    rmdir_tree(up.as_fd(), name, d)
                } else {
                    match fs::unlinkat(&up, cs(name), AtFlags::REMOVEDIR) {
                        Ok(()) | Err(Errno::NOENT | Errno::BUSY | Errno::NOTEMPTY) => Ok(None),
                        Err(e) => Err(Error::sys(format_args!("rmdir {d}"), e)),
                    }
                };
                crate::rt::done_with(up);
                if let Some(why) = r? {
                    return Ok(Some(why));
                }
            }
        }
        d = parent(d);
    }
    Ok(None)
}

/// rmdir of `name` in the checked cgroup directory `up` (`shown`: its path, for messages), first
/// trying the directory alone (one syscall in the usual case); when it is busy, removes
/// sub-cgroups depth-first and retries with growing sleeps (~0.5 s in all) while the last
/// processes exit. Ok(Some(why)): a mount point in the way, left alone.
fn rmdir_tree(up: BorrowedFd<'_>, name: &str, shown: &str) -> Result<Option<Error>> {
    let mut delay = 1;
    loop {
        match fs::unlinkat(up, cs(name), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => return Ok(None),
            Err(e @ (Errno::BUSY | Errno::NOTEMPTY)) => {
                let fd = match open_in(up, name, shown)? {
                    Ok(Some(fd)) => fd,
                    Ok(None) => return Ok(None),
                    Err(why) => return Ok(Some(why)),
                };
                let subs = subdirs(fd.as_fd(), shown)?;
                for s in &subs {
                    if let Some(why) = rmdir_tree(fd.as_fd(), s, &crate::rt::cat(&[shown, "/", s]))? {
                        return Ok(Some(why));
                    }
                }
                if subs.is_empty() {
                    if delay > 256 {
                        return Err(Error::sys(format_args!("rmdir {shown}"), e));
                    }
                    sleep_ms(delay);
                    delay *= 2;
                }
            }
            Err(e) => return Err(Error::sys(format_args!("rmdir {shown}"), e)),
        }
    }
}

/// Names of the sub-directories (child cgroups) of the directory `fd`.
fn subdirs(fd: BorrowedFd<'_>, shown: &str) -> Result<Vec<String>> {
    let dir = match fs::openat(fd, c".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Ok(Vec::new()),
        Err(e) => return Err(Error::sys(format_args!("open {shown}"), e)),
    };
    let mut out = Vec::new();
    let mut buf = Vec::with_capacity(8192);
    let mut d = fs::RawDir::new(dir.as_fd(), buf.spare_capacity_mut());
    while let Some(ent) = d.next() {
        let ent = match ent {
            Ok(ent) => ent,
            Err(Errno::NOENT) => break, // the cgroup went away while listed
            Err(e) => return Err(Error::sys(format_args!("read {shown}"), e)),
        };
        let name = ent.file_name().to_bytes();
        if ent.file_type() == fs::FileType::Directory
            && name != b"."
            && name != b".."
            && let Ok(n) = core::str::from_utf8(name)
        {
            out.push(String::from(n));
        }
    }
    Ok(out)
}
