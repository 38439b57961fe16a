//! Terminals in tests: a console socket that receives a pty master the way containerd's shim and
//! conmon do (`ConsoleSocket`), and a pseudoterminal to run a runtime in, as a user's shell would
//! (`Term`). Both drive the master side: write keys, read what the container prints.
use super::*;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fd::OwnedFd;
use rustix::termios::{Termios, Winsize};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An AF_UNIX stream socket under the test dir for `--console-socket`; removed on drop.
pub struct ConsoleSocket {
    path: PathBuf,
    listener: UnixListener,
}

/// What one connection to a console socket carried.
pub struct Received {
    /// The bytes sent along with the fd (runc: the master's name; crun: " ").
    pub payload: Vec<u8>,
    /// Every fd of the message's SCM_RIGHTS.
    pub fds: Vec<OwnedFd>,
}

impl ConsoleSocket {
    pub fn new() -> ConsoleSocket {
        let path = test_dir().join(format!("cs-{}.sock", unique_suffix()));
        let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        listener.set_nonblocking(true).unwrap();
        ConsoleSocket { path, listener }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// Accepts one connection and reads its message; None if nobody connected within `wait`.
    pub fn receive(&self, wait: Duration) -> Option<Received> {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
        let end = Instant::now() + wait;
        let stream = loop {
            match self.listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(_) => return None,
            }
        };
        stream.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 4096];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        // SAFETY: `stream` outlives this borrow of its fd.
        let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(&stream)) };
        let r = recvmsg(fd, &mut [rustix::io::IoSliceMut::new(&mut buf)], &mut control, RecvFlags::CMSG_CLOEXEC)
            .expect("recvmsg on the console socket");
        let mut fds = Vec::new();
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(passed) = m {
                fds.extend(passed);
            }
        }
        Some(Received { payload: buf[..r.bytes].to_vec(), fds })
    }
}

impl Drop for ConsoleSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The master side of a pseudoterminal: what a terminal emulator (or conmon) does with it.
pub struct Master {
    pub fd: OwnedFd,
    /// Everything read so far.
    pub seen: String,
}

impl Master {
    pub fn new(fd: OwnedFd) -> Master {
        Master { fd, seen: String::new() }
    }

    /// Types `keys`.
    pub fn send(&self, keys: &str) {
        let mut b = keys.as_bytes();
        while !b.is_empty() {
            let n = rustix::io::write(&self.fd, b).expect("write to the pty master");
            b = &b[n..];
        }
    }

    /// Reads until `needle` has been seen (in what was read since the last call) or `wait` passes;
    /// returns what was read meanwhile. The end of the pty (EIO) ends the wait too.
    pub fn read_until(&mut self, needle: &str, wait: Duration) -> String {
        let start = self.seen.len();
        let end = Instant::now() + wait;
        while !self.seen[start..].contains(needle) && self.read_some(end) {}
        self.seen[start..].to_string()
    }

    /// Reads whatever arrives until `wait` passes or the pty ends.
    pub fn read_for(&mut self, wait: Duration) -> String {
        let start = self.seen.len();
        let end = Instant::now() + wait;
        while self.read_some(end) {}
        self.seen[start..].to_string()
    }

    /// One read; false at the deadline or the end of the pty.
    fn read_some(&mut self, end: Instant) -> bool {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ts = rustix::time::Timespec { tv_sec: left.as_secs() as i64, tv_nsec: left.subsec_nanos() as i64 };
        let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return true,
            Err(e) => panic!("poll the pty master: {e}"),
        }
        let mut buf = [0u8; 4096];
        match rustix::io::read(&self.fd, &mut buf) {
            Ok(0) | Err(rustix::io::Errno::IO) => false,
            Ok(n) => {
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                true
            }
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => true,
            Err(e) => panic!("read the pty master: {e}"),
        }
    }

    /// Resizes the terminal (the kernel sends SIGWINCH to its foreground process group).
    pub fn set_size(&self, rows: u16, cols: u16) {
        rustix::termios::tcsetwinsize(&self.fd, Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 })
            .expect("TIOCSWINSZ");
    }

    /// The terminal's settings (of the slave side, read through the master).
    pub fn termios(&self) -> Termios {
        rustix::termios::tcgetattr(&self.fd).expect("tcgetattr on the pty master")
    }
}

/// A pseudoterminal with a command running in it as the session's controlling terminal, the way
/// a user's interactive shell starts a runtime.
pub struct Term {
    pub master: Master,
    pub child: Child,
}

/// A new pty pair (master, slave) from the host's /dev/ptmx, sized 24x80.
pub fn open_pty() -> (OwnedFd, OwnedFd) {
    use rustix::pty::OpenptFlags;
    let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("openpt");
    rustix::pty::grantpt(&master).expect("grantpt");
    rustix::pty::unlockpt(&master).expect("unlockpt");
    let slave = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .expect("TIOCGPTPEER");
    rustix::termios::tcsetwinsize(&master, Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 }).unwrap();
    (master, slave)
}

impl Term {
    /// Runs `cmd` with a new pty as its stdin, stdout, stderr and controlling terminal.
    pub fn spawn(mut cmd: Command) -> Term {
        let (master, slave) = open_pty();
        let f = || {
            let fd = rustix::io::fcntl_dupfd_cloexec(&slave, 3).expect("dup the pty slave");
            // SAFETY: a fresh fd this closure owns, handed to the File.
            Stdio::from(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(rustix::fd::IntoRawFd::into_raw_fd(fd)) })
        };
        cmd.stdin(f()).stdout(f()).stderr(f());
        // SAFETY: setsid and ioctl are async-signal-safe; they act on the forked child only.
        unsafe {
            cmd.pre_exec(|| {
                let os = |e: rustix::io::Errno| std::io::Error::from_raw_os_error(e.raw_os_error());
                rustix::process::setsid().map_err(os)?;
                rustix::process::ioctl_tiocsctty(rustix::stdio::stdin()).map_err(os)?;
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn in a pty");
        drop(slave);
        Term { master: Master::new(master), child }
    }

    /// Waits for the command (reading its output meanwhile, so it never blocks on a full pty);
    /// its exit code, or None if it had to be killed after `wait`.
    pub fn wait(&mut self, wait: Duration) -> Option<i32> {
        let end = Instant::now() + wait;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                self.master.read_for(Duration::from_millis(50));
                return st.code();
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return None;
            }
            self.master.read_for(Duration::from_millis(20));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A terminal's settings as text (flags, control characters, speeds), for comparisons.
pub fn termios_text(t: &Termios) -> String {
    format!("{t:?}")
}

/// Lines of terminal output without carriage returns and trailing blanks.
pub fn term_lines(s: &str) -> Vec<String> {
    s.split('\n').map(|l| l.replace('\r', "").trim_end().to_string()).collect()
}
