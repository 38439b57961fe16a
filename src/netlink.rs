//! A small rtnetlink (NETLINK_ROUTE) client: what moving network devices into a container needs
//! (container/netdev.rs) and nothing more. A request is one datagram built in one buffer (the
//! nlmsghdr, the message's fixed part, its attributes); every answer message is handed to the
//! caller until the kernel's acknowledgement, or for a dump its end. Answers are read into a 32 KB
//! buffer: the kernel never builds a dump datagram larger than a reader offering 32 KB takes.
use alloc::vec;
use alloc::vec::Vec;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

// include/uapi/linux/rtnetlink.h, netlink.h, if_link.h, if_addr.h
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_GETADDR: u16 = 22;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_NET_NS_FD: u16 = 28;
pub const IFA_FLAGS: u16 = 8;
/// NLM_F_ROOT | NLM_F_MATCH: every object of the kind.
pub const NLM_F_DUMP: u16 = 0x300;
/// NLM_F_CREATE | NLM_F_EXCL: a new object, an error if it exists.
pub const NLM_F_CREATE_EXCL: u16 = 0x600;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// sizeof(struct nlmsghdr)
const HDR: usize = 16;
/// sizeof(struct ifinfomsg)
pub const IFINFO: usize = 16;
/// sizeof(struct ifaddrmsg)
pub const IFADDR: usize = 8;

/// `struct ifinfomsg` for device `index`: `flags` are set where `change` has bits.
pub fn ifinfo(index: i32, flags: u32, change: u32) -> [u8; IFINFO] {
    let mut m = [0; IFINFO];
    m[4..8].copy_from_slice(&index.to_ne_bytes());
    m[8..12].copy_from_slice(&flags.to_ne_bytes());
    m[12..16].copy_from_slice(&change.to_ne_bytes());
    m
}

/// The device index of an answer's `struct ifinfomsg`.
pub fn ifinfo_index(payload: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(payload.get(4..8)?.try_into().ok()?))
}

/// A request being built.
pub struct Request(Vec<u8>);

impl Request {
    /// `fixed`: the message's fixed part (an ifinfomsg, an ifaddrmsg) as bytes.
    pub fn new(kind: u16, flags: u16, fixed: &[u8]) -> Request {
        let mut b = vec![0; HDR];
        b[4..6].copy_from_slice(&kind.to_ne_bytes());
        b[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        b.extend_from_slice(fixed);
        pad(&mut b);
        Request(b)
    }

    pub fn attr(mut self, kind: u16, data: &[u8]) -> Request {
        let b = &mut self.0;
        b.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(data);
        pad(b);
        self
    }

    /// A name, NUL-terminated as the kernel reads names.
    pub fn attr_name(self, kind: u16, name: &str) -> Request {
        let mut v = Vec::from(name.as_bytes());
        v.push(0);
        self.attr(kind, &v)
    }
}

fn pad(b: &mut Vec<u8>) {
    b.resize((b.len() + 3) & !3, 0);
}

/// The (type, data) attributes of an answer whose fixed part is `fixed` bytes long.
pub fn attrs(payload: &[u8], fixed: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = payload.get((fixed + 3) & !3..).unwrap_or(&[]);
    core::iter::from_fn(move || {
        let len = u16::from_ne_bytes(rest.get(0..2)?.try_into().ok()?) as usize;
        let kind = u16::from_ne_bytes(rest.get(2..4)?.try_into().ok()?);
        let data = rest.get(4..len)?;
        rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
        // NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags, not part of the type.
        Some((kind & 0x3fff, data))
    })
}

/// A NETLINK_ROUTE socket in the network namespace of the thread that opened it.
pub struct Rtnl {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl Rtnl {
    pub fn open() -> Result<Rtnl, Errno> {
        // Protocol None: NETLINK_ROUTE (0).
        let fd = rustix::net::socket_with(AddressFamily::NETLINK, SocketType::RAW, SocketFlags::CLOEXEC, None)?;
        Ok(Rtnl { fd, seq: 0, buf: vec![0; 32 * 1024] })
    }

    /// Sends `req` and hands each answer message (its type, and its payload after the nlmsghdr)
    /// to `each`, up to the acknowledgement (a dump: its end). The kernel's error is returned.
    pub fn call(&mut self, req: Request, each: &mut dyn FnMut(u16, &[u8])) -> Result<(), Errno> {
        let mut b = req.0;
        let flags = u16::from_ne_bytes([b[6], b[7]]);
        if flags & NLM_F_DUMP != NLM_F_DUMP {
            b[6..8].copy_from_slice(&(flags | NLM_F_ACK).to_ne_bytes());
        }
        self.seq += 1;
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        // Unconnected and unbound: the datagram goes to the kernel (port 0).
        rustix::net::send(&self.fd, &b, SendFlags::empty())?;
        loop {
            let (n, _) = rustix::net::recv(&self.fd, &mut self.buf[..], RecvFlags::empty())?;
            let mut m = &self.buf[..n];
            while m.len() >= HDR {
                let len = u32::from_ne_bytes([m[0], m[1], m[2], m[3]]) as usize;
                if len < HDR || len > m.len() {
                    return Err(Errno::PROTO);
                }
                let kind = u16::from_ne_bytes([m[4], m[5]]);
                let seq = u32::from_ne_bytes([m[8], m[9], m[10], m[11]]);
                let payload = &m[HDR..len];
                if seq == self.seq {
                    if kind == NLMSG_ERROR || kind == NLMSG_DONE {
                        // Both begin with an int: 0 or a negative errno.
                        let code = payload.get(0..4).map_or(0, |c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]));
                        return if code < 0 { Err(Errno::from_raw_os_error(-code)) } else { Ok(()) };
                    }
                    each(kind, payload);
                }
                m = m.get((len + 3) & !3..).unwrap_or(&[]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout_is_the_kernels() {
        let r = Request::new(RTM_NEWLINK, 0, &ifinfo(7, 1, 1)).attr_name(IFLA_IFNAME, "eth0").attr(IFLA_NET_NS_FD, &5u32.to_ne_bytes());
        let b = &r.0;
        assert_eq!(b.len(), 16 + 16 + 12 + 8);
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]), RTM_NEWLINK);
        assert_eq!(u16::from_ne_bytes([b[6], b[7]]), NLM_F_REQUEST);
        assert_eq!(ifinfo_index(&b[16..]), Some(7));
        // "eth0\0" is a 9-byte attribute padded to 12.
        assert_eq!(&b[32..41], &[9, 0, 3, 0, b'e', b't', b'h', b'0', 0]);
        let got: Vec<_> = attrs(&b[16..], IFINFO).collect();
        assert_eq!(got, [(IFLA_IFNAME, &b"eth0\0"[..]), (IFLA_NET_NS_FD, &5u32.to_ne_bytes()[..])]);
    }

    #[test]
    fn attrs_stop_at_a_truncated_one() {
        let mut p = vec![0u8; IFADDR];
        p.extend_from_slice(&[8, 0, 1, 0, 10, 0, 0, 1, 40, 0, 2, 0, 1]);
        let got: Vec<_> = attrs(&p, IFADDR).collect();
        assert_eq!(got, [(1, &[10, 0, 0, 1][..])]);
    }

    /// The loopback device answers RTM_GETLINK by name in any network namespace.
    #[test]
    fn getlink_lo() {
        let Ok(mut nl) = Rtnl::open() else { return };
        let mut index = None;
        let req = Request::new(RTM_GETLINK, 0, &ifinfo(0, 0, 0)).attr_name(IFLA_IFNAME, "lo");
        nl.call(req, &mut |kind, p| {
            if kind == RTM_NEWLINK {
                index = ifinfo_index(p);
            }
        })
        .unwrap();
        assert_eq!(index, Some(1));
        let req = Request::new(RTM_GETLINK, 0, &ifinfo(0, 0, 0)).attr_name(IFLA_IFNAME, "no-such-dev0");
        assert_eq!(nl.call(req, &mut |_, _| {}), Err(Errno::NODEV));
    }
}
