//! The foreground terminal: `run` (and `exec`) without -d and without a console socket keep the pty
//! master and copy between it and rsrun's own stdin/stdout until the container process ends.
//!
//! - rsrun's terminal (the first of stdin, stdout, stderr that is one) is put in raw mode, so every
//!   key reaches the container's line discipline (^C becomes the container's SIGINT, not rsrun's),
//!   and restored when the `Relay` is dropped, on every return path, errors included. Its size is
//!   copied to the pty before the process starts and again on each SIGWINCH (which is not
//!   forwarded: the pty's resize signals the container's foreground process group itself), as
//!   runc does; without a terminal of its own rsrun keeps `process.consoleSize`.
//! - One thread, one poll(2) over the signalfd, the master and stdin. Memory is two fixed buffers:
//!   input is read from stdin only when the previous piece has been written to the master (which
//!   is non-blocking, so a container that does not read its input never blocks the output side);
//!   output is written to stdout blocking (a slow reader slows the container down, as a terminal
//!   would).
//! - The signal handler given by the caller forwards signals and reaps; when it reports the exit
//!   status, what the pty still holds is copied out and the status returned.
use crate::error::{Context, Error, Result};
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::termios::{OptionalActions, Termios};

const SIGWINCH: i32 = 28;
const BUF: usize = 8192;

/// A pty master relayed to rsrun's stdio; rsrun's terminal is restored on drop.
pub struct Relay {
    master: OwnedFd,
    host: Option<HostTerminal>,
}

/// rsrun's own terminal and its settings before raw mode.
struct HostTerminal {
    fd: BorrowedFd<'static>,
    saved: Termios,
}

impl Relay {
    /// Takes the master: copies the size of rsrun's terminal (if it has one) to the pty, puts that
    /// terminal in raw mode, makes the master non-blocking. Call before the process starts, so it
    /// starts with the right size.
    pub fn new(master: OwnedFd) -> Result<Relay> {
        rustix::fs::fcntl_setfl(&master, rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::RDWR)
            .context("make the terminal non-blocking")?;
        let mut relay = Relay { master, host: None };
        if let Some((fd, saved)) = host_terminal() {
            let mut raw = saved.clone();
            raw.make_raw();
            // Restored on drop from here on, whatever fails next.
            relay.host = Some(HostTerminal { fd, saved });
            relay.resize();
            rustix::termios::tcsetattr(fd, OptionalActions::Now, &raw).context("put the terminal in raw mode")?;
        }
        Ok(relay)
    }

    /// rsrun's terminal size onto the pty.
    fn resize(&self) {
        if let Some(h) = &self.host
            && let Ok(ws) = rustix::termios::tcgetwinsize(h.fd)
        {
            let _ = rustix::termios::tcsetwinsize(&self.master, ws);
        }
    }

    /// Relays until `on_signal` (called with each signal read from `signals`, SIGWINCH excepted)
    /// returns the process's exit status, then copies out what the pty still holds and returns it.
    pub fn run(&mut self, signals: BorrowedFd<'_>, on_signal: &mut dyn FnMut(i32) -> Result<Option<i32>>) -> Result<i32> {
        // SAFETY: fds 0 and 1 stay open for the whole process; a closed one only fails reads/writes.
        let (stdin, stdout) = unsafe { (BorrowedFd::borrow_raw(0), BorrowedFd::borrow_raw(1)) };
        let mut input = Pending::default();
        let mut out = [0u8; BUF];
        let mut stdin_open = true;
        let mut master_open = true;
        let mut stdout_ok = true;
        loop {
            let mut master_events = PollFlags::IN;
            if !input.is_empty() {
                master_events |= PollFlags::OUT;
            }
            let mut fds = [
                PollFd::new(&signals, PollFlags::IN),
                PollFd::new(&self.master, master_events),
                PollFd::new(&stdin, PollFlags::IN),
            ];
            // The pty, once every holder of the slave is gone, and stdin, while its last piece is
            // not written yet or after its end, leave the set: both would wake poll at once.
            let n = if !master_open { 1 } else if stdin_open && input.is_empty() { 3 } else { 2 };
            match poll(&mut fds[..n], None) {
                Ok(_) => {}
                Err(Errno::INTR) => continue,
                Err(e) => return Err(Error::sys("poll the terminal", e)),
            }
            let ready = |i: usize| i < n && !fds[i].revents().is_empty();
            let (sig_ready, master_ready, stdin_ready) = (ready(0), ready(1), ready(2));
            let master_writable = master_ready && fds[1].revents().contains(PollFlags::OUT);
            if master_ready {
                match read(self.master.as_fd(), &mut out) {
                    Ok(k) if k > 0 => stdout_ok = stdout_ok && crate::rt::write_all(stdout, &out[..k]).is_ok(),
                    Err(Errno::AGAIN) => {}
                    // EIO: every holder of the slave is gone. Any other error would only repeat.
                    _ => master_open = false,
                }
            }
            if master_writable && !input.flush(self.master.as_fd()) {
                input.clear();
            }
            if stdin_ready {
                match read(stdin, &mut input.buf) {
                    Ok(0) => stdin_open = false,
                    Ok(k) => {
                        input.fill(k);
                        if !input.flush(self.master.as_fd()) {
                            input.clear();
                        }
                    }
                    Err(Errno::AGAIN) => {}
                    Err(_) => stdin_open = false,
                }
            }
            if sig_ready {
                let sig = match syscalls::signal::signalfd_read(signals) {
                    Ok(info) => info.ssi_signo as i32,
                    Err(Errno::INTR | Errno::AGAIN) => continue,
                    Err(e) => return Err(Error::sys("read signalfd", e)),
                };
                if sig == SIGWINCH {
                    self.resize();
                } else if let Some(code) = on_signal(sig)? {
                    if master_open && stdout_ok {
                        self.drain(stdout, &mut out);
                    }
                    return Ok(code);
                }
            }
        }
    }

    /// Copies out what the pty holds now (the process has exited; with a PID namespace every other
    /// holder of the slave is gone too, and the master reads EIO after the last byte).
    fn drain(&self, stdout: BorrowedFd<'_>, out: &mut [u8; BUF]) {
        while let Ok(k) = read(self.master.as_fd(), out) {
            if k == 0 || crate::rt::write_all(stdout, &out[..k]).is_err() {
                return;
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(h) = &self.host {
            let _ = rustix::termios::tcsetattr(h.fd, OptionalActions::Now, &h.saved);
        }
    }
}

/// The first of stdin, stdout and stderr that is a terminal, with its current settings.
fn host_terminal() -> Option<(BorrowedFd<'static>, Termios)> {
    (0..3).find_map(|n| {
        // SAFETY: stdio numbers; one that is not open only makes tcgetattr fail.
        let fd = unsafe { BorrowedFd::borrow_raw(n) };
        rustix::termios::tcgetattr(fd).ok().map(|t| (fd, t))
    })
}

/// read(2), retried on EINTR.
fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> core::result::Result<usize, Errno> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// Input read from stdin and not yet written to the (non-blocking) master.
struct Pending {
    buf: [u8; BUF],
    start: usize,
    end: usize,
}

impl Default for Pending {
    fn default() -> Self {
        Pending { buf: [0; BUF], start: 0, end: 0 }
    }
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn fill(&mut self, n: usize) {
        self.start = 0;
        self.end = n;
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Writes as much as the master takes now; false when the pty is gone (the rest is dropped).
    fn flush(&mut self, master: BorrowedFd<'_>) -> bool {
        while self.start < self.end {
            match rustix::io::write(master, &self.buf[self.start..self.end]) {
                Ok(k) => self.start += k,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return true,
                Err(_) => return false,
            }
        }
        true
    }
}

/// A foreground verb's wait (`run`, `exec`): relays the terminal through `relay` when there is one,
/// else only reads `signals`; every signal goes to `on_signal`, whose Some(code) ends the wait.
pub fn forward(
    relay: Option<&mut Relay>,
    signals: BorrowedFd<'_>,
    on_signal: &mut dyn FnMut(i32) -> Result<Option<i32>>,
) -> Result<i32> {
    if let Some(r) = relay {
        return r.run(signals, on_signal);
    }
    loop {
        let info = match syscalls::signal::signalfd_read(signals) {
            Ok(i) => i,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(Error::sys("read signalfd", e)),
        };
        if let Some(code) = on_signal(info.ssi_signo as i32)? {
            return Ok(code);
        }
    }
}
