//! `process.terminal` in the container init: the pty from the container's devpts (`tty::pty`) and
//! its slave bind-mounted over /dev/console, so programs that write to the console (init systems,
//! getty, the kernel's idea of /dev/console in the container) reach the container's own terminal.
//!
//! Done before pivot_root, right after /dev is set up, with the host's /proc at hand: the pty is
//! reopened through /proc/self/fd and both mount ends are given as /proc/self/fd/N of fds that were
//! checked, never as paths (CVE-2025-52565: runc bound whatever a swapped `/dev/pts/N` or a symlinked
//! `/dev/console` pointed to, before the masked paths were in place):
//! - the source is the slave fd TIOCGPTPEER returned: no path at all;
//! - the target is `console` in the container's /dev, opened O_PATH|O_NOFOLLOW relative to /dev
//!   (itself resolved in-root without symlinks), created as an empty file when missing, and used only
//!   if it is a regular file or a character device: a symlink there (to a host path, or into /proc)
//!   fails create instead of being followed.
use super::mounts::{Mounter, mount};
use super::paths::PATH_FLAGS;
use super::sys;
use crate::bail;
use crate::error::{Context as _, Result};
use crate::tty::Pty;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

/// Makes the container's pty (size from `process.consoleSize`) and binds its slave over
/// /dev/console. 11 syscalls on a fresh /dev.
pub fn setup(mt: &mut Mounter<'_, '_, '_>) -> Result<Pty> {
    let pty = Pty::open_in(mt.root.fd())?;
    if let Some(size) = mt.ctx.spec.process.as_ref().and_then(|p| p.console_size.as_ref()) {
        crate::tty::pty::set_size(pty.master.as_fd(), size)?;
    }
    let dev = mt
        .root
        .open_at("dev", PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW, true)
        .context("process.terminal: open /dev in the container")?;
    bind_console(dev.as_fd(), pty.slave.as_fd())?;
    sys::release(dev);
    Ok(pty)
}

/// Binds `slave` over `console` in the container's /dev (`dev`), creating an empty file (mode
/// 0666, as runc) when there is none.
fn bind_console(dev: BorrowedFd<'_>, slave: BorrowedFd<'_>) -> Result<()> {
    match rustix::fs::mknodat(dev, c"console", FileType::RegularFile, Mode::from_raw_mode(0o666), 0) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(e).context("process.terminal: create /dev/console"),
    }
    let target = rustix::fs::openat(dev, c"console", PATH_FLAGS | OFlags::NOFOLLOW, Mode::empty())
        .context("process.terminal: open /dev/console")?;
    let st = rustix::fs::fstat(&target).context("process.terminal: stat /dev/console")?;
    let kind = FileType::from_raw_mode(st.st_mode);
    if !matches!(kind, FileType::RegularFile | FileType::CharacterDevice) {
        bail!("process.terminal: /dev/console in the container is a {}, not a file or a device", kind_name(kind));
    }
    mount(&sys::fd_path(slave), &sys::fd_path(target.as_fd()), "", g::MS_BIND, "")
        .context("process.terminal: bind the pty over /dev/console")?;
    sys::release(target);
    Ok(())
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::Symlink => "symlink",
        FileType::Directory => "directory",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
        FileType::BlockDevice => "block device",
        _ => "special file",
    }
}
