//! Writes to /proc through a procfs that has been checked to be one (CVE-2019-16884, 2025-52881):
//! a container image or a racing process could put something else at /proc (a tmpfs, a bind mount
//! of a file), and a write meant for /proc/self/attr/exec or /proc/sys/... would land there instead.
//! The directory is opened once, `fstatfs` must say PROC_SUPER_MAGIC, and every file is opened
//! relative to it with symlinks refused below it.
use crate::error::{Context, Error, Result};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};

const PROC_SUPER_MAGIC: i64 = 0x9fa0;

pub struct ProcFs {
    dir: OwnedFd,
}

impl ProcFs {
    /// Opens `path` (normally "/proc") and checks that it is a procfs.
    pub fn open(path: &str) -> Result<Self> {
        let dir = rustix::fs::open(path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .with_context(|| alloc::format!("open {path}"))?;
        let fs = rustix::fs::fstatfs(&dir).with_context(|| alloc::format!("statfs {path}"))?;
        if fs.f_type as i64 != PROC_SUPER_MAGIC {
            return Err(Error::msg(format_args!("{path} is not a procfs mount")));
        }
        Ok(Self { dir })
    }

    /// Writes `data` to `rel` (e.g. "self/oom_score_adj") in one write, as procfs files expect.
    /// Magic links and symlinks are refused on the way (`self` is resolved by the kernel itself).
    pub fn write(&self, rel: &str, data: &[u8]) -> Result<()> {
        let what = || alloc::format!("write /proc/{rel}");
        let fd = rustix::fs::openat2(
            &self.dir,
            rel,
            OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::NO_MAGICLINKS | ResolveFlags::BENEATH,
        )
        .with_context(what)?;
        let n = rustix::io::write(&fd, data).with_context(what)?;
        if n != data.len() {
            return Err(Error::msg(format_args!("{}: short write", what())));
        }
        Ok(())
    }

    pub fn dir(&self) -> rustix::fd::BorrowedFd<'_> {
        self.dir.as_fd()
    }
}
