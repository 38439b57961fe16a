//! The create <-> init channel (src/channel.rs): every datagram either side can receive goes
//! through `channel::decode`, with or without an fd passed alongside (SCM_RIGHTS). The first input
//! byte says whether an fd comes with the datagram; the rest is the datagram. A malformed message
//! must be an error, a pid only comes from exactly 5 bytes, a start time from exactly 9, an fd is accepted only on the one
//! message that carries it, and no fd leaks (a leak ends in EMFILE, which fails the open below).
//! There are no length fields to overflow (CVE-2021-43784 was one in runc's netlink framing):
//! SOCK_SEQPACKET keeps the datagram boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::channel::{Msg, decode};
use rustix::fd::{FromRawFd, OwnedFd};
use std::os::fd::IntoRawFd;

fuzz_target!(|data: &[u8]| {
    let Some((&head, datagram)) = data.split_first() else { return };
    let fd = (head & 1 == 1).then(|| {
        let file = std::fs::File::open("/dev/null").expect("open /dev/null (an fd leak?)");
        // SAFETY: the fd was just opened and is owned by nothing else (into_raw_fd gave it up).
        unsafe { OwnedFd::from_raw_fd(file.into_raw_fd()) }
    });
    let with_fd = fd.is_some();
    match decode(datagram, fd) {
        Ok(Msg::Closed) => assert!(datagram.is_empty()),
        Ok(Msg::InitPid(p) | Msg::Go(p)) => {
            assert_eq!(datagram.len(), 5);
            assert_eq!(p.to_ne_bytes(), datagram[1..5]);
        }
        Ok(Msg::Error(text)) => assert_eq!(text, datagram[1..]),
        Ok(Msg::SeccompFd(_)) => assert!(with_fd && datagram == b"S"),
        Ok(Msg::Console(_)) => assert!(with_fd && datagram == b"T"),
        Ok(Msg::Ready | Msg::RuntimeHooks | Msg::HooksDone | Msg::CgroupsReady) => assert!(!datagram.is_empty()),
        Err(e) => assert!(e.to_string().contains("malformed"), "{e}"),
    }
});
