//! The socket between `create` (parent) and the container init (child) while the container is set up.
//!
//! A SOCK_SEQPACKET socketpair: each message is one datagram, a tag byte plus payload, so no framing.
//! Child -> parent: `Ready`, `Error(msg)`, `RuntimeHooks` (run prestart/createRuntime now, before
//! pivot_root), `InitPid(pid)` (a PID namespace joined by path made one more fork; this is the real
//! init), `SeccompFd(fd)`, `Console(fd)` (the pty master, with process.terminal). Parent -> child:
//! `Go(pid)` (uid/gid maps written, cgroups joined; the init's pid as the host sees it, for hook
//! state), `HooksDone`, `CgroupsReady`. Each side holds only its own end (the child closes the
//! parent's right after clone3), so when either dies the other reads EOF (`Msg::Closed`) and a send
//! to it fails: neither can wait for ever on a dead peer.
//!
//! `exec` uses the same channel with its child: `Console`, `SeccompFd` and `Error` from the child,
//! `Go` back once the pty master is where it goes; the end of the stream (the child's end is
//! close-on-exec) means the process has exec'd.
use crate::error::{Error, Result};
use alloc::vec::Vec;
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, send, socketpair};

const READY: u8 = b'R';
const ERROR: u8 = b'E';
const RUNTIME_HOOKS: u8 = b'H';
const INIT_PID: u8 = b'P';
const GO: u8 = b'G';
const HOOKS_DONE: u8 = b'D';
const SECCOMP_FD: u8 = b'S';
const CGROUPS_READY: u8 = b'C';
const CONSOLE_FD: u8 = b'T';

/// The largest message: an error line.
const MAX_MSG: usize = 4096;

pub enum Msg {
    /// Set up and waiting for `start`.
    Ready,
    Error(Vec<u8>),
    RuntimeHooks,
    InitPid(i32),
    Go(i32),
    HooksDone,
    /// The container's cgroups are complete (v1 directories, limits, device filter): the init may
    /// join them.
    CgroupsReady,
    /// The seccomp notify fd of the init's filter (SCM_RIGHTS), for the parent to hand to the
    /// seccomp agent at linux.seccomp.listenerPath (a host path the init cannot reach).
    SeccompFd(OwnedFd),
    /// The master of the container's pty (process.terminal, SCM_RIGHTS), for the console socket or
    /// the foreground relay of `run`.
    Console(OwnedFd),
    /// The other side closed its end (exited).
    Closed,
}

pub struct Channel(OwnedFd);

/// A connected pair: (parent end, child end). Both close on exec.
pub fn pair() -> Result<(Channel, Channel)> {
    let (a, b) = socketpair(AddressFamily::UNIX, SocketType::SEQPACKET, SocketFlags::CLOEXEC, None)
        .map_err(|e| Error::sys("socketpair", e))?;
    Ok((Channel(a), Channel(b)))
}

impl AsFd for Channel {
    fn as_fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl rustix::fd::AsRawFd for Channel {
    fn as_raw_fd(&self) -> rustix::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl Channel {
    /// Done with this end: left to the kernel to close at exit in the short-lived verbs.
    pub fn done(self) {
        crate::rt::done_with(self.0);
    }

    pub fn send(&self, msg: &Msg) -> Result<()> {
        let mut buf = [0u8; MAX_MSG];
        let len = match msg {
            Msg::Ready => tag(&mut buf, READY),
            Msg::RuntimeHooks => tag(&mut buf, RUNTIME_HOOKS),
            Msg::HooksDone => tag(&mut buf, HOOKS_DONE),
            Msg::CgroupsReady => tag(&mut buf, CGROUPS_READY),
            Msg::Closed => return Ok(()),
            Msg::SeccompFd(fd) => return self.send_fd(SECCOMP_FD, fd, "send the seccomp notify fd to rsrun"),
            Msg::Console(fd) => return self.send_fd(CONSOLE_FD, fd, "send the terminal to rsrun"),
            Msg::InitPid(pid) => with_pid(&mut buf, INIT_PID, *pid),
            Msg::Go(pid) => with_pid(&mut buf, GO, *pid),
            Msg::Error(text) => {
                let n = text.len().min(MAX_MSG - 1);
                buf[0] = ERROR;
                buf[1..1 + n].copy_from_slice(&text[..n]);
                1 + n
            }
        };
        loop {
            match send(&self.0, &buf[..len], SendFlags::NOSIGNAL) {
                Ok(_) => return Ok(()),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(Error::sys("send to the other side of container setup", e)),
            }
        }
    }

    fn send_fd(&self, tag: u8, fd: &OwnedFd, what: &str) -> Result<()> {
        use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, sendmsg};
        let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds = [fd.as_fd()];
        control.push(SendAncillaryMessage::ScmRights(&fds));
        sendmsg(&self.0, &[rustix::io::IoSlice::new(&[tag])], &mut control, SendFlags::NOSIGNAL)
            .map_err(|e| Error::sys(what, e))?;
        Ok(())
    }

    pub fn recv(&self) -> Result<Msg> {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, recvmsg};
        let mut buf = [0u8; MAX_MSG];
        let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let n = loop {
            match recvmsg(&self.0, &mut [rustix::io::IoSliceMut::new(&mut buf)], &mut control, RecvFlags::CMSG_CLOEXEC)
            {
                Ok(r) => break r.bytes,
                // The other side exited with a message of ours unread: the kernel reports that once,
                // before what it sent us (its error) and the end of the stream.
                Err(Errno::INTR | Errno::CONNRESET) => continue,
                Err(e) => {
                    return Err(Error::sys("receive from the other side of container setup", e));
                }
            }
        };
        let mut passed = None;
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = m {
                for fd in fds {
                    passed.get_or_insert(fd);
                }
            }
        }
        decode(&buf[..n], passed)
    }
}

/// One received datagram (`data`, and the first fd that came with it, if any) as a message. Pure, so
/// the decoding is fuzzed without sockets (fuzz/fuzz_targets/channel.rs). An fd that the message
/// does not carry is dropped (closed) here.
pub fn decode(data: &[u8], passed: Option<OwnedFd>) -> Result<Msg> {
    let pid = |b: &[u8]| b.get(1..5).and_then(|p| p.try_into().ok()).map(i32::from_ne_bytes);
    Ok(match (data.len(), data.first().copied()) {
        (0, _) => Msg::Closed,
        (_, Some(READY)) => Msg::Ready,
        (_, Some(RUNTIME_HOOKS)) => Msg::RuntimeHooks,
        (_, Some(HOOKS_DONE)) => Msg::HooksDone,
        (_, Some(CGROUPS_READY)) => Msg::CgroupsReady,
        (5, Some(INIT_PID)) => Msg::InitPid(pid(data).ok_or_else(malformed)?),
        (5, Some(GO)) => Msg::Go(pid(data).ok_or_else(malformed)?),
        (_, Some(ERROR)) => Msg::Error(data[1..].to_vec()),
        (1, Some(SECCOMP_FD)) if passed.is_some() => Msg::SeccompFd(passed.ok_or_else(malformed)?),
        (1, Some(CONSOLE_FD)) if passed.is_some() => Msg::Console(passed.ok_or_else(malformed)?),
        _ => return Err(malformed()),
    })
}

fn malformed() -> Error {
    Error::msg("container setup: malformed message from the other side")
}

fn tag(buf: &mut [u8], t: u8) -> usize {
    buf[0] = t;
    1
}

fn with_pid(buf: &mut [u8], t: u8, pid: i32) -> usize {
    buf[0] = t;
    buf[1..5].copy_from_slice(&pid.to_ne_bytes());
    5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev_null() -> OwnedFd {
        rustix::fs::open(c"/dev/null", rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty())
            .unwrap()
    }

    #[test]
    fn decode_accepts_what_send_writes_and_nothing_else() {
        assert!(matches!(decode(b"", None), Ok(Msg::Closed)));
        assert!(matches!(decode(b"R", None), Ok(Msg::Ready)));
        let pid = 0x0102_0304i32.to_ne_bytes();
        assert!(matches!(decode(&[&b"P"[..], &pid].concat(), None), Ok(Msg::InitPid(0x0102_0304))));
        assert!(matches!(decode(&[&b"G"[..], &pid].concat(), None), Ok(Msg::Go(0x0102_0304))));
        assert!(matches!(decode(b"Eoops", None), Ok(Msg::Error(t)) if t == b"oops"));
        assert!(matches!(decode(b"S", Some(dev_null())), Ok(Msg::SeccompFd(_))));
        assert!(matches!(decode(b"T", Some(dev_null())), Ok(Msg::Console(_))));
        // A pid from anything but exactly 5 bytes, an fd message without its fd (or with bytes
        // after the tag), an unknown tag: errors, and an fd that came along is closed.
        for bad in [&b"P\x01\x02\x03"[..], b"G\x01\x02\x03\x04\x05", b"P", b"S", b"Sx", b"T", b"Tx", b"Z", b"\0"] {
            let e = decode(bad, None).err().map(|e| e.to_string());
            assert_eq!(e.as_deref(), Some("container setup: malformed message from the other side"), "{bad:?}");
        }
        assert!(decode(b"Sx", Some(dev_null())).is_err());
    }
}
