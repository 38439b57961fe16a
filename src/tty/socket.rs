//! `--console-socket PATH`: the engine's AF_UNIX stream socket that receives the pty master.
//!
//! The protocol runc and crun speak (checked with a receiver against runc 1.1 and crun 1.8): one
//! connection, one sendmsg carrying the master in an SCM_RIGHTS message of exactly one fd, with a
//! short payload the receivers do not interpret (runc sends the master's file name, "/dev/ptmx";
//! crun a single space; containerd's shim and conmon only take the fd). rsrun sends
//! "/dev/pts/ptmx", the name of what it opened. Nothing else is written; the connection is closed
//! when rsrun exits.
use crate::error::{Context, Result};
use core::mem::MaybeUninit;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::IoSlice;
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

/// The payload sent with the master.
const NAME: &[u8] = b"/dev/pts/ptmx";

/// Connects to the console socket at `path`. Done before create makes anything, so a wrong path
/// is an error with nothing to undo. 2 syscalls.
pub fn connect(path: &str) -> Result<OwnedFd> {
    let what = || alloc::format!("--console-socket {path}");
    let sock = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)
        .with_context(what)?;
    let addr = SocketAddrUnix::new(crate::rt::cs(path)).with_context(what)?;
    rustix::net::connect(&sock, &addr).with_context(what)?;
    Ok(sock)
}

/// Sends `master` over the connected console socket. 1 syscall.
pub fn send_master(sock: BorrowedFd<'_>, master: BorrowedFd<'_>) -> Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [master.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    loop {
        match rustix::net::sendmsg(sock, &[IoSlice::new(NAME)], &mut control, SendFlags::NOSIGNAL) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map(|_| ()).context("send the terminal to --console-socket"),
        }
    }
}
