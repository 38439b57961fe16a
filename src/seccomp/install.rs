//! Loading a compiled filter, and handing its notification fd to a seccomp agent.
use super::Filter;
use crate::error::{Context, Result};
use core::mem::MaybeUninit;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::IoSlice;
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

/// Loads `filter` on the calling thread with one seccomp(2) call (runc uses prctl when there are no
/// flags; same effect). Returns the notification fd when the filter has NOTIFY rules.
///
/// The caller decides the moment (see the module doc of [`super`]): without no_new_privs it needs
/// CAP_SYS_ADMIN, so it must come before capabilities are dropped.
pub fn install(filter: &Filter) -> Result<Option<OwnedFd>> {
    syscalls::seccomp::seccomp_set_mode_filter(filter.flags, &filter.program)
        .context("seccomp(SECCOMP_SET_MODE_FILTER)")
}

/// Sends `notify_fd` to the seccomp agent listening on `listener_path`, as runc does: one
/// `sendmsg` on a connected unix stream socket carrying `state_json` as data and the fd as
/// SCM_RIGHTS.
///
/// `state_json` is the runtime-spec "ContainerProcessState" the caller builds:
/// `{"ociVersion":..,"fds":["seccompFd"],"pid":..,"metadata":<listenerMetadata>,"state":{<state>}}`.
pub fn send_to_listener(listener_path: &str, state_json: &[u8], notify_fd: BorrowedFd<'_>) -> Result<()> {
    let what = || alloc::format!("send the seccomp notify fd to {listener_path}");
    let sock = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)
        .with_context(what)?;
    let addr = SocketAddrUnix::new(crate::rt::cs(listener_path)).with_context(what)?;
    rustix::net::connect(&sock, &addr).with_context(what)?;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [notify_fd];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    let mut sent = rustix::net::sendmsg(&sock, &[IoSlice::new(state_json)], &mut control, SendFlags::NOSIGNAL)
        .with_context(what)?;
    // A stream socket may take the data in pieces; the fd went with the first one.
    while sent < state_json.len() {
        sent += rustix::net::send(&sock, &state_json[sent..], SendFlags::NOSIGNAL).with_context(what)?;
    }
    Ok(())
}
