//! Writes to /proc that cannot be fooled (CVE-2019-16884, CVE-2025-52881).
//!
//! After pivot_root, /proc is whatever the container's config mounted there, and a malicious image or
//! a racing container process may try to redirect a write meant for `/proc/self/attr/exec` or
//! `oom_score_adj` somewhere else (a symlink, a bind mount of another procfs file such as
//! `/proc/sys/kernel/core_pattern`, or a non-proc filesystem). So every write goes through one fd on the
//! /proc mount, checked with fstatfs to be a procfs, and each file is opened relative to it with
//! openat2(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS): the path may not leave that
//! mount (no bind mount over the target is crossed), may not follow a magic link, and may not climb
//! out with "..". `self` and `thread-self` are ordinary relative symlinks inside procfs, so they work.
//!
//! Fds opened here are O_CLOEXEC and are not closed one by one (see the fd contract in
//! `process::exec`: every fd from 3 + preserve_fds is closed right before execve).
use crate::error::{Context, Error, Result};
use linux_raw_sys::general::PROC_SUPER_MAGIC;
use rustix::fd::{IntoRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};

pub struct Procfs(OwnedFd);

impl Procfs {
    /// Opens /proc (O_PATH, no symlink) and checks it is a procfs: 2 syscalls.
    pub fn open() -> Result<Self> {
        let fd = rustix::fs::open(
            c"/proc",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .context("open /proc")?;
        let st = rustix::fs::fstatfs(&fd).context("fstatfs /proc")?;
        if st.f_type as u32 != PROC_SUPER_MAGIC {
            return Err(Error::msg(format_args!("/proc is not a procfs mount (filesystem type {:#x})", st.f_type)));
        }
        Ok(Self(fd))
    }

    /// Writes `data` to `path` (relative to /proc, e.g. "self/oom_score_adj") in one write: openat2 +
    /// write, 2 syscalls.
    pub fn write(&self, path: &str, data: &[u8]) -> Result<()> {
        let fd = rustix::fs::openat2(
            &self.0,
            crate::rt::cs(path),
            OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NOCTTY,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_XDEV | ResolveFlags::NO_MAGICLINKS,
        )
        .context(format_args!("open /proc/{path}"))?;
        let n = rustix::io::write(&fd, data).context(format_args!("write /proc/{path}"))?;
        // Deliberately not closed: see the module doc.
        let _ = fd.into_raw_fd();
        if n != data.len() {
            return Err(Error::msg(format_args!("write /proc/{path}: short write ({n} of {} bytes)", data.len())));
        }
        Ok(())
    }

    /// Writes `data` to the first of `paths` that exists (AppArmor's attribute file moved to
    /// attr/apparmor/ in Linux 5.8 so that LSMs can stack; attr/exec is the older one).
    pub fn write_first(&self, paths: &[&str], data: &[u8]) -> Result<()> {
        let mut last = None;
        for p in paths {
            match self.write(p, data) {
                Err(e) if e.errno() == Some(rustix::io::Errno::NOENT) => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| Error::msg("no /proc path to write")))
    }

    /// Gives up the /proc fd without a close syscall (module doc).
    pub fn leak(self) {
        let _ = self.0.into_raw_fd();
    }
}
