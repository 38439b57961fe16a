//! linux.netDevices (runtime-spec 1.3, config-linux.md "Network Devices"): host network devices
//! moved into the container's network namespace by `create`, once the init exists and before
//! create reports the container created (so before any hook, and before `start`).
//!
//! For each device, over rtnetlink (src/netlink.rs): its index on the host; its permanent
//! addresses of global scope (a move drops every address, and the spec wants these kept); one
//! RTM_NEWLINK that moves and renames it at once (IFLA_NET_NS_FD + IFLA_IFNAME: the kernel checks
//! the new name in the target namespace and fails with EEXIST, unless it is a "%d" template);
//! then, through a socket opened inside the container's namespace, the addresses again and the
//! device set up. MTU and MAC address move with the device.
//!
//! What happens at the end is the kernel's, as the spec wants: when the namespace dies a physical
//! device goes back to the host (under its container name), a virtual one (veth, ...) is
//! destroyed; rsrun never moves a device out of a running container. A create that fails after a
//! move is the one exception: it gives the moved devices back (down, original name, addresses)
//! before it kills the init, so a failed create leaves the host as it was.
//!
//! Nothing here runs unless the config has netDevices: the lifecycle's syscalls do not change.
use crate::error::{Context, Error, Quoted, Result};
use crate::netlink::{self, IFADDR, IFINFO, Request, Rtnl};
use crate::rt::cs;
use crate::ns::Plan;
use crate::spec::{NsType, Spec};
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};
use syscalls::process::CloneFlags;

/// What the kernel answered a netlink request (callers add what was asked).
type NlResult<T> = core::result::Result<T, Errno>;

const IFF_UP: u32 = 1;
const IFA_F_PERMANENT: u32 = 0x80;
/// The ifaddrmsg flags worth carrying to the new address (the kernel sets the rest itself).
const IFA_F_KEPT: u32 = 0x02 | 0x10 | 0x100 | 0x200 | 0x400; // NODAD, HOMEADDRESS, MANAGETEMPADDR, NOPREFIXROUTE, MCAUTOJOIN
/// The address attributes carried: IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST.
const ADDR_ATTRS: [u16; 3] = [1, 2, 4];

/// The config's own checks, before anything is made (container/validate.rs).
pub fn validate(spec: &Spec, euid: u32) -> Result<()> {
    let Some(l) = spec.linux.as_ref().filter(|l| !l.net_devices.is_empty()) else { return Ok(()) };
    if !l.namespaces.iter().any(|n| n.kind == NsType::Network) {
        crate::bail!("linux.netDevices: needs a network namespace (linux.namespaces): the devices would stay the host's");
    }
    if euid != 0 {
        crate::bail!("linux.netDevices: moving host network devices needs root");
    }
    // With a user namespace joined by path the init unshares its network namespace itself, at a
    // moment create does not see (src/ns.rs); every other way, the namespace exists once clone3
    // has returned (or is the path's).
    let joined = |t| l.namespaces.iter().any(|n| n.kind == t && n.path.as_deref().is_some_and(|p| !p.is_empty()));
    if joined(NsType::User) && !joined(NsType::Network) {
        crate::bail!("linux.netDevices: not supported with a user namespace joined by path and a new network namespace");
    }
    let mut targets: Vec<&str> = Vec::new();
    for (host, d) in &l.net_devices {
        let target = target_name(host, d.name.as_deref());
        check_name(host, host, false)?;
        check_name(host, target, true)?;
        if targets.contains(&target) {
            crate::bail!("linux.netDevices: two devices would be named {} in the container", Quoted::str(target));
        }
        targets.push(target);
    }
    Ok(())
}

fn target_name<'a>(host: &'a str, name: Option<&'a str>) -> &'a str {
    name.filter(|n| !n.is_empty()).unwrap_or(host)
}

/// The kernel's rules (dev_valid_name; a template has one "%d", which dev_alloc_name fills).
fn check_name(key: &str, name: &str, template: bool) -> Result<()> {
    let b = name.as_bytes();
    let pct = b.iter().position(|&c| c == b'%');
    let bad = b.is_empty()
        || b.len() > 15
        || name == "."
        || name == ".."
        || b.iter().any(|&c| c == b'/' || c == b':' || c == 0 || c.is_ascii_whitespace())
        || pct.is_some_and(|i| !template || b.get(i + 1) != Some(&b'd') || b[i + 1..].contains(&b'%'));
    if bad {
        crate::bail!("linux.netDevices.{key}: {} is not a valid network device name", Quoted::str(name));
    }
    Ok(())
}

/// A device to move, as found on the host.
struct Device<'s> {
    host: &'s str,
    target: &'s str,
    index: i32,
    up: bool,
    /// Its permanent global addresses: each an RTM_NEWADDR answer's payload (ifaddrmsg, attributes).
    addrs: Vec<Vec<u8>>,
}

/// The devices moved by this create, kept until it has succeeded (see `give_back`).
pub struct Moved<'s> {
    host: Rtnl,
    container: Rtnl,
    host_ns: OwnedFd,
    /// Each device and its index in the container's namespace.
    devices: Vec<(Device<'s>, i32)>,
}

/// Moves the config's netDevices into the container's network namespace: the one joined by path
/// (`plan`), else the init `pid`'s. None without netDevices. On an error, what was moved is given
/// back first.
pub fn move_in<'s>(spec: &'s Spec, plan: &Plan, pid: i32) -> Result<Option<Moved<'s>>> {
    let Some(l) = spec.linux.as_ref().filter(|l| !l.net_devices.is_empty()) else { return Ok(None) };
    let nl_err = |e| Error::sys("linux.netDevices: rtnetlink socket", e);
    let mut host = Rtnl::open().map_err(nl_err)?;
    let mut list = Vec::with_capacity(l.net_devices.len());
    for (name, d) in &l.net_devices {
        let (index, flags) = link(&mut host, name).map_err(|e| match e {
            Errno::NODEV => Error::msg(format_args!("linux.netDevices: no network device {} on the host", Quoted::str(name))),
            e => failed(name, "find it on the host", e),
        })?;
        let target = target_name(name, d.name.as_deref());
        list.push(Device { host: name, target, index, up: flags & IFF_UP != 0, addrs: Vec::new() });
    }
    host.call(Request::new(netlink::RTM_GETADDR, netlink::NLM_F_DUMP, &[0; IFADDR]), &mut |kind, p| {
        if kind == netlink::RTM_NEWADDR
            && p.len() >= IFADDR
            && let Some(d) = list.iter_mut().find(|d| d.index == i32::from_ne_bytes([p[4], p[5], p[6], p[7]]))
            && p[3] == 0
            && addr_flags(p) & IFA_F_PERMANENT != 0
        {
            // Scope 0 is RT_SCOPE_UNIVERSE (global).
            d.addrs.push(p.to_vec());
        }
    })
    .map_err(|e| Error::sys("linux.netDevices: list the host's addresses (RTM_GETADDR)", e))?;

    // A socket in the container's namespace: made there, then back to ours (rsrun is
    // single-threaded: nothing else runs in the other namespace meanwhile).
    let open_ns = |p: &str| rustix::fs::open(cs(p), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).context(format_args!("open {p}"));
    let opened;
    let ns = match plan.join.iter().find(|j| j.0 == CloneFlags::NEWNET) {
        Some((_, fd)) => fd,
        None => {
            opened = open_ns(&alloc::format!("/proc/{pid}/ns/net"))?;
            &opened
        }
    };
    let host_ns = open_ns("/proc/thread-self/ns/net")?;
    let net = Some(LinkNameSpaceType::Network);
    move_into_link_name_space(ns.as_fd(), net).context("linux.netDevices: setns into the container's network namespace")?;
    let container = Rtnl::open();
    move_into_link_name_space(host_ns.as_fd(), net).context("linux.netDevices: setns back into rsrun's network namespace")?;
    let container = container.map_err(nl_err)?;

    let mut moved = Moved { host, container, host_ns, devices: Vec::with_capacity(list.len()) };
    for d in list {
        match moved.move_one(d, ns) {
            Ok(()) => {}
            Err(e) => {
                moved.give_back();
                return Err(e);
            }
        }
    }
    Ok(Some(moved))
}

impl<'s> Moved<'s> {
    fn move_one(&mut self, d: Device<'s>, ns: &OwnedFd) -> Result<()> {
        let (host, target) = (d.host, d.target);
        let template = target.contains('%');
        // The kernel moves first and renames after (do_setlink), so a taken name would fail only
        // once the device is in: checked before. If the move fails anyway with the device there
        // (a name taken meanwhile), it is recorded, so that it is given back.
        let taken = !template && link(&mut self.container, target).is_ok();
        let r = if taken { Err(Errno::EXIST) } else { move_to(&mut self.host, d.index, ns, target) };
        if let Err(e) = r {
            if !taken && let Ok((index, _)) = link(&mut self.container, host) {
                self.devices.push((d, index));
            }
            return Err(match e {
                Errno::EXIST => Error::msg(format_args!(
                    "linux.netDevices.{host}: the container's network namespace already has a device named {}",
                    Quoted::str(target)
                )),
                e => failed(host, "move into the container's network namespace", e),
            });
        }
        // Its index there: the same unless taken (then the kernel picks one), so found by name,
        // or for a template (whose name the kernel chose) by index with the name checked.
        let found = if template {
            let mut name = String::new();
            let r = link_named(&mut self.container, d.index, &mut name);
            match r {
                Ok(_) if template_matches(target, &name) => r,
                _ => Err(Errno::NODEV),
            }
        } else {
            link(&mut self.container, target)
        };
        let index = found.map_err(|e| failed(host, "find it in the container after the move", e))?.0;
        self.devices.push((d, index));
        let d = &self.devices[self.devices.len() - 1].0;
        for a in &d.addrs {
            add_addr(&mut self.container, a, index).map_err(|e| failed(host, "add its address again", e))?;
        }
        set_up(&mut self.container, index, true).map_err(|e| failed(host, "set it up", e))
    }

    /// Best effort, newest first: each moved device down, back to the host under its own name,
    /// its addresses and its up state as they were. For a create that fails after the move.
    pub fn give_back(mut self) {
        while let Some((d, index)) = self.devices.pop() {
            let _ = set_up(&mut self.container, index, false);
            if move_to(&mut self.container, index, &self.host_ns, d.host).is_err() {
                continue;
            }
            if let Ok((index, _)) = link(&mut self.host, d.host) {
                for a in &d.addrs {
                    let _ = add_addr(&mut self.host, a, index);
                }
                if d.up {
                    let _ = set_up(&mut self.host, index, true);
                }
            }
        }
    }
}

/// "linux.netDevices.DEV: WHAT: strerror" (one copy of the formatting for every step).
#[cold]
#[inline(never)]
fn failed(dev: &str, what: &str, e: Errno) -> Error {
    Error::sys(format_args!("linux.netDevices.{dev}: {what}"), e)
}

/// Moves device `index` into the namespace `ns`, named `name` there, in one request.
fn move_to(nl: &mut Rtnl, index: i32, ns: &OwnedFd, name: &str) -> NlResult<()> {
    let req = Request::new(netlink::RTM_NEWLINK, 0, &netlink::ifinfo(index, 0, 0))
        .attr(netlink::IFLA_NET_NS_FD, &(ns.as_raw_fd() as u32).to_ne_bytes())
        .attr_name(netlink::IFLA_IFNAME, name);
    nl.call(req, &mut |_, _| {})
}

/// A device's index and flags, by name.
fn link(nl: &mut Rtnl, name: &str) -> NlResult<(i32, u32)> {
    let req = Request::new(netlink::RTM_GETLINK, 0, &netlink::ifinfo(0, 0, 0)).attr_name(netlink::IFLA_IFNAME, name);
    get_link(nl, req, &mut String::new())
}

/// Device `index`: its index, flags, and its name into `name`.
fn link_named(nl: &mut Rtnl, index: i32, name: &mut String) -> NlResult<(i32, u32)> {
    get_link(nl, Request::new(netlink::RTM_GETLINK, 0, &netlink::ifinfo(index, 0, 0)), name)
}

fn get_link(nl: &mut Rtnl, req: Request, name: &mut String) -> NlResult<(i32, u32)> {
    let mut found = None;
    nl.call(req, &mut |kind, p| {
        if kind == netlink::RTM_NEWLINK && p.len() >= IFINFO {
            found = netlink::ifinfo_index(p).map(|i| (i, u32::from_ne_bytes([p[8], p[9], p[10], p[11]])));
            if let Some((_, n)) = netlink::attrs(p, IFINFO).find(|a| a.0 == netlink::IFLA_IFNAME) {
                name.clear();
                name.push_str(core::str::from_utf8(n.split(|&b| b == 0).next().unwrap_or(n)).unwrap_or(""));
            }
        }
    })?;
    found.ok_or(Errno::NODEV)
}

/// Whether `name` is one the kernel makes from `template` ("ctr%d": "ctr0", "ctr12", ...).
fn template_matches(template: &str, name: &str) -> bool {
    let (t, n) = (template.as_bytes(), name.as_bytes());
    let Some(i) = t.iter().position(|&c| c == b'%') else { return t == n };
    let (pre, post) = (&t[..i], &t[i + 2..]);
    n.len() > pre.len() + post.len()
        && n.starts_with(pre)
        && n.ends_with(post)
        && n[pre.len()..n.len() - post.len()].iter().all(u8::is_ascii_digit)
}

/// An address's flags: the IFA_FLAGS attribute (32 bits) when present, else ifaddrmsg's byte.
fn addr_flags(p: &[u8]) -> u32 {
    netlink::attrs(p, IFADDR)
        .find(|a| a.0 == netlink::IFA_FLAGS && a.1.len() == 4)
        .map_or(u32::from(p[2]), |(_, v)| u32::from_ne_bytes([v[0], v[1], v[2], v[3]]))
}

/// The address of an RTM_NEWADDR answer `p`, added to device `index`.
fn add_addr(nl: &mut Rtnl, p: &[u8], index: i32) -> NlResult<()> {
    let flags = addr_flags(p) & IFA_F_KEPT;
    let mut fixed = [p[0], p[1], flags as u8, p[3], 0, 0, 0, 0];
    fixed[4..8].copy_from_slice(&index.to_ne_bytes());
    let mut req = Request::new(netlink::RTM_NEWADDR, netlink::NLM_F_CREATE_EXCL, &fixed);
    for (kind, data) in netlink::attrs(p, IFADDR) {
        if ADDR_ATTRS.contains(&kind) {
            req = req.attr(kind, data);
        }
    }
    nl.call(req.attr(netlink::IFA_FLAGS, &flags.to_ne_bytes()), &mut |_, _| {})
}

fn set_up(nl: &mut Rtnl, index: i32, up: bool) -> NlResult<()> {
    let req = Request::new(netlink::RTM_NEWLINK, 0, &netlink::ifinfo(index, if up { IFF_UP } else { 0 }, IFF_UP));
    nl.call(req, &mut |_, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_kernel() {
        for ok in ["eth0", "ctr%d", "a", "x%d-y", "012345678901234"] {
            assert!(check_name("k", ok, true).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "0123456789012345", "a%d%d", "a%s", "%"] {
            assert!(check_name("k", bad, true).is_err(), "{bad}");
        }
        assert!(check_name("k", "eth%d", false).is_err());
    }

    #[test]
    fn templates() {
        assert!(template_matches("ctr%d", "ctr0") && template_matches("ctr%d", "ctr12"));
        assert!(template_matches("a%db", "a3b") && !template_matches("a%db", "ab"));
        assert!(!template_matches("ctr%d", "ctrx") && !template_matches("ctr%d", "eth0") && !template_matches("ctr%d", "ctr"));
    }
}
