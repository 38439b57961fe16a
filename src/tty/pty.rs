//! A pty pair from the container's own devpts, and the slave made a process's terminal.
//!
//! Why not `/dev/ptmx` and `/dev/pts/N` by path (CVE-2025-52565 and its "additional findings"): the
//! container's image or processes decide what those paths are. A symlink or a look-alike node there
//! would make the runtime open, and later bind-mount over /dev/console, something else entirely (a
//! host file, a procfs file that masking is about to hide). So:
//! 1. `dev/pts/ptmx` is looked up inside the container's root with openat2(RESOLVE_IN_ROOT |
//!    RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) as O_PATH: nothing is opened yet;
//! 2. it must be a devpts filesystem's ptmx: fstatfs DEVPTS_SUPER_MAGIC, a character device 5:2,
//!    inode 2 (what every devpts instance gives its ptmx);
//! 3. that very inode is reopened read-write through `/proc/self/fd/N` (a new pty in that devpts),
//!    and the result must be the same inode (a /proc the container replaced cannot substitute
//!    another file: `exec` does this after entering the container's mount namespace);
//! 4. the slave comes from the master with TIOCGPTPEER: the kernel hands out the peer itself, no
//!    `/dev/pts/N` path is looked up.
use crate::error::{Context, Error, Result};
use crate::spec::ConsoleSize;
use linux_raw_sys::general::DEVPTS_SUPER_MAGIC;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::pty::OpenptFlags;

/// Major and minor of /dev/ptmx (and of every devpts instance's `ptmx` node).
const PTMX: (u32, u32) = (5, 2);
/// The inode number devpts gives its `ptmx` node (1 is the root directory).
const PTMX_INO: u64 = 2;

/// A new pseudoterminal: the master for rsrun (or the engine), the slave for the container process.
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

impl Pty {
    /// Makes a new pty in the devpts mounted at `dev/pts` under `root` (an O_PATH fd of the
    /// container's root directory, or CWD once the cwd is that root: after pivot_root, after
    /// setns into the container's mount namespace). Both ends are close-on-exec and not a
    /// controlling terminal yet. 7 syscalls.
    pub fn open_in(root: BorrowedFd<'_>) -> Result<Pty> {
        let what = "process.terminal: /dev/pts/ptmx in the container";
        let path = rustix::fs::openat2(
            root,
            c"dev/pts/ptmx",
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        )
        .map_err(|e| Error::sys(format_args!("{what} (is a devpts mounted on /dev/pts?)"), e))?;
        let checked = check_ptmx(path.as_fd()).map_err(|e| Error::msg(format_args!("{what}: {e}")))?;
        let master = rustix::fs::open(
            crate::rt::cs(&crate::rt::cat(&["/proc/self/fd/", fd_number(&path, &mut [0; 20])])),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .context(format_args!("{what}: open"))?;
        crate::rt::done_with(path);
        let opened = rustix::fs::fstat(&master).context(format_args!("{what}: fstat"))?;
        if (opened.st_dev, opened.st_ino, opened.st_rdev) != checked {
            crate::bail!("{what}: reopening it through /proc/self/fd gave another file");
        }
        rustix::pty::unlockpt(&master).context("process.terminal: unlock the new pty")?;
        let slave = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .context("process.terminal: open the new pty's peer (TIOCGPTPEER)")?;
        Ok(Pty { master, slave })
    }
}

fn fd_number<'b>(fd: &OwnedFd, buf: &'b mut [u8; 20]) -> &'b str {
    // `dec` writes ASCII digits only.
    core::str::from_utf8(crate::rt::dec(fd.as_raw_fd() as u64, buf)).unwrap_or("")
}

/// Is `fd` (O_PATH) the ptmx node of a devpts filesystem? Its (device, inode, rdev) if so; the
/// error says what it is instead.
fn check_ptmx(fd: BorrowedFd<'_>) -> core::result::Result<(u64, u64, u64), Error> {
    let fs = rustix::fs::fstatfs(fd).map_err(|e| Error::sys("fstatfs", e))?;
    if fs.f_type as u32 != DEVPTS_SUPER_MAGIC {
        return Err(Error::msg(format_args!("not on a devpts filesystem (type {:#x})", fs.f_type)));
    }
    let st = rustix::fs::fstat(fd).map_err(|e| Error::sys("fstat", e))?;
    let (major, minor) = (rustix::fs::major(st.st_rdev), rustix::fs::minor(st.st_rdev));
    if FileType::from_raw_mode(st.st_mode) != FileType::CharacterDevice || (major, minor) != PTMX || st.st_ino != PTMX_INO {
        return Err(Error::msg(format_args!("not the devpts ptmx node (device {major}:{minor}, inode {})", st.st_ino)));
    }
    Ok((st.st_dev, st.st_ino, st.st_rdev))
}

/// `process.consoleSize` on the pty (TIOCSWINSZ through the master sets the slave's size). A size
/// with a zero height or width is left alone, as runc does.
pub fn set_size(master: BorrowedFd<'_>, size: &ConsoleSize) -> Result<()> {
    if size.height == 0 || size.width == 0 {
        return Ok(());
    }
    let ws = rustix::termios::Winsize {
        ws_row: size.height.min(u32::from(u16::MAX)) as u16,
        ws_col: size.width.min(u32::from(u16::MAX)) as u16,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(master, ws).context("process.consoleSize: set the terminal size")
}

/// Makes the pty slave this process's terminal: a new session (the process leads it), the slave as
/// stdin, stdout and stderr, and the session's controlling terminal. The slave's own fd is closed
/// (it must not reach the container as an extra fd). 6 syscalls.
pub fn become_terminal(slave: OwnedFd) -> Result<()> {
    rustix::process::setsid().context("process.terminal: setsid")?;
    rustix::stdio::dup2_stdin(&slave).context("process.terminal: make the pty stdin")?;
    rustix::stdio::dup2_stdout(&slave).context("process.terminal: make the pty stdout")?;
    rustix::stdio::dup2_stderr(&slave).context("process.terminal: make the pty stderr")?;
    // SAFETY: fd 0 is the slave, dup'ed just above, and stays open.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    rustix::process::ioctl_tiocsctty(stdin).context("process.terminal: make the pty the controlling terminal")?;
    drop(slave);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the host's own devpts: a pair whose ends talk to each other, sized through the master.
    #[test]
    fn open_in_the_host_root() {
        let root = rustix::fs::open(c"/", OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        let pty = match Pty::open_in(root.as_fd()) {
            Ok(p) => p,
            // A host (or build sandbox) without a devpts on /dev/pts.
            Err(e) if std::fs::metadata("/dev/pts/ptmx").is_err() => return eprintln!("skipped: {e}"),
            Err(e) => panic!("{e}"),
        };
        let st = rustix::fs::fstat(&pty.slave).unwrap();
        assert!((136..=143).contains(&rustix::fs::major(st.st_rdev)), "the peer is a pty slave");
        rustix::io::write(&pty.slave, b"x").unwrap();
        let mut b = [0u8; 1];
        assert_eq!(rustix::io::read(&pty.master, &mut b).unwrap(), 1);
        assert_eq!(&b, b"x");
        set_size(pty.master.as_fd(), &ConsoleSize { height: 30, width: 100 }).unwrap();
        let ws = rustix::termios::tcgetwinsize(&pty.slave).unwrap();
        assert_eq!((ws.ws_row, ws.ws_col), (30, 100));
        // A zero dimension leaves the size alone.
        set_size(pty.master.as_fd(), &ConsoleSize { height: 0, width: 5 }).unwrap();
        assert_eq!(rustix::termios::tcgetwinsize(&pty.slave).unwrap().ws_col, 100);
    }

    #[test]
    fn a_root_without_devpts_is_an_error() {
        let dir = std::env::temp_dir().join(alloc::format!("rsrun-pty-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("dev/pts")).unwrap();
        std::os::unix::fs::symlink("/dev/ptmx", dir.join("dev/pts/ptmx")).unwrap();
        let root = rustix::fs::open(dir.to_str().unwrap(), OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        let e = Pty::open_in(root.as_fd()).err().unwrap().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.contains("/dev/pts/ptmx in the container") && e.contains("symbolic links"), "{e}");
    }
}
