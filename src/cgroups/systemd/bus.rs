//! A minimal D-Bus client for talking to systemd: one unix stream socket, SASL EXTERNAL, method
//! calls with their replies, and systemd's JobRemoved signal.
//!
//! Where: as root, systemd's private socket (/run/systemd/private: systemd itself is the peer, no
//! bus daemon, no Hello, and systemd sends every job signal to it), else the system bus; rootless,
//! the user manager's private socket ($XDG_RUNTIME_DIR/systemd/private), else the user's bus. On a
//! bus, Hello and an AddMatch for JobRemoved go out in the same write as the first call: systemd
//! sends the signal of a job to the client that asked for it, and the daemon delivers it to
//! clients with a matching rule.
//!
//! Every read has a 30 s limit (SO_RCVTIMEO), as runc waits 30 s for systemd's jobs.
use super::wire::{self, Dec, Enc};
use crate::error::{Error, Quoted, Result};
use crate::rt::cs;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

pub const SYSTEMD: &str = "org.freedesktop.systemd1";
pub const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
pub const MANAGER: &str = "org.freedesktop.systemd1.Manager";
const DBUS: &str = "org.freedesktop.DBus";
const TIMEOUT_S: u64 = 30;

/// An error reply: its D-Bus error name and message.
pub struct Failed {
    pub name: String,
    pub text: String,
}

impl Failed {
    pub fn into_error(self) -> Error {
        Error::msg(format_args!("{}: {}", self.name, self.text))
    }
}

pub struct Bus {
    fd: OwnedFd,
    serial: u32,
    /// Bytes received and not yet parsed.
    rx: Vec<u8>,
    /// Bytes to send with the next call (Hello and AddMatch on a bus).
    tx: Vec<u8>,
    /// (job path, result) of JobRemoved signals not asked for yet.
    jobs: Vec<(String, String)>,
}

impl Bus {
    /// The socket, for the container init to close (see `Scope::close_in_child`).
    pub fn raw_fd(&self) -> rustix::fd::RawFd {
        rustix::fd::AsRawFd::as_raw_fd(&self.fd)
    }

    /// Connects to systemd: the system instance as root, the user's instance otherwise.
    pub fn connect(user: bool) -> Result<Self> {
        let mut tried = String::new();
        for (path, daemon) in addresses(user) {
            match Self::open(&path, daemon) {
                Ok(bus) => return Ok(bus),
                Err(e) => {
                    if !tried.is_empty() {
                        tried.push_str("; ");
                    }
                    tried.push_str(&path);
                    tried.push_str(": ");
                    tried.push_str(e.message());
                }
            }
        }
        crate::bail!("systemd cgroup driver: cannot reach systemd over D-Bus ({tried})")
    }

    fn open(path: &str, daemon: bool) -> Result<Self> {
        let fd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)
            .map_err(|e| Error::sys("socket", e))?;
        let addr = SocketAddrUnix::new(cs(path)).map_err(|e| Error::sys("socket address", e))?;
        rustix::net::connect(&fd, &addr).map_err(|e| Error::sys("connect", e))?;
        let t = core::time::Duration::from_secs(TIMEOUT_S);
        rustix::net::sockopt::set_socket_timeout(&fd, rustix::net::sockopt::Timeout::Recv, Some(t))
            .map_err(|e| Error::sys("SO_RCVTIMEO", e))?;
        let mut bus = Bus { fd, serial: 0, rx: Vec::new(), tx: Vec::new(), jobs: Vec::new() };
        bus.auth()?;
        if daemon {
            bus.queue(DBUS, "/org/freedesktop/DBus", DBUS, "Hello", "", &[]);
            let mut e = Enc::default();
            e.str("type='signal',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'");
            bus.queue(DBUS, "/org/freedesktop/DBus", DBUS, "AddMatch", "s", &e.buf);
        }
        Ok(bus)
    }

    /// SASL EXTERNAL: a NUL byte, "AUTH EXTERNAL <uid as hex-encoded decimal>" and "BEGIN" in one
    /// write, then wait for "OK". BEGIN goes with AUTH (as sd-bus clients send it), not with the
    /// first message: systemd 252 reads up to 256 bytes while authenticating and leaves a short
    /// message that came along with BEGIN unprocessed until more bytes arrive.
    fn auth(&mut self) -> Result<()> {
        let mut line = Vec::from(&b"\0AUTH EXTERNAL "[..]);
        for d in crate::rt::dec(rustix::process::geteuid().as_raw() as u64, &mut [0; 20]) {
            line.extend_from_slice(&[b'3', *d]); // ASCII digits are 0x30-0x39
        }
        line.extend_from_slice(b"\r\nBEGIN\r\n");
        crate::rt::write_all(self.fd.as_fd(), &line).map_err(|e| Error::sys("D-Bus authentication: write", e))?;
        let mut reply = Vec::new();
        while !reply.ends_with(b"\r\n") {
            let n = self.read_some(&mut reply).map_err(|e| e.context("D-Bus authentication"))?;
            if n == 0 || reply.len() > 512 {
                crate::bail!("D-Bus authentication: connection closed");
            }
        }
        if !reply.starts_with(b"OK ") {
            let text = crate::rt::lossy(&reply);
            crate::bail!("D-Bus authentication refused: {}", Quoted::str(text.trim_end()));
        }
        Ok(())
    }

    /// Adds a method call to what the next `call` sends; returns its serial.
    fn queue(&mut self, dest: &str, path: &str, iface: &str, member: &str, sig: &str, body: &[u8]) -> u32 {
        self.serial += 1;
        let m = wire::method_call(self.serial, Some(dest), path, iface, member, sig, body);
        self.tx.extend_from_slice(&m);
        self.serial
    }

    /// Calls a method of systemd's manager object and waits for its reply: Ok(Ok(body)), or
    /// Ok(Err(..)) for an error reply. JobRemoved signals that arrive meanwhile are kept.
    pub fn call(&mut self, member: &str, sig: &str, body: &[u8]) -> Result<core::result::Result<Vec<u8>, Failed>> {
        self.call_on(MANAGER_PATH, MANAGER, member, sig, body)
    }

    pub fn call_on(
        &mut self,
        path: &str,
        iface: &str,
        member: &str,
        sig: &str,
        body: &[u8],
    ) -> Result<core::result::Result<Vec<u8>, Failed>> {
        let serial = self.queue(SYSTEMD, path, iface, member, sig, body);
        let tx = core::mem::take(&mut self.tx);
        crate::rt::write_all(self.fd.as_fd(), &tx).map_err(|e| Error::sys("D-Bus: write", e))?;
        loop {
            let m = self.recv()?;
            match m.kind {
                wire::METHOD_RETURN if m.reply_serial == serial => return Ok(Ok(m.body)),
                wire::ERROR if m.reply_serial == serial => {
                    let text = Dec::new(&m.body).str().unwrap_or("").into();
                    return Ok(Err(Failed { name: m.error_name, text }));
                }
                _ => self.note(m),
            }
        }
    }

    /// Waits for the JobRemoved signal of `job` and returns its result ("done", "failed", ...).
    pub fn wait_job(&mut self, job: &str) -> Result<String> {
        loop {
            if let Some(i) = self.jobs.iter().position(|(p, _)| p == job) {
                return Ok(self.jobs.swap_remove(i).1);
            }
            let m = self.recv()?;
            self.note(m);
        }
    }

    fn note(&mut self, m: wire::Msg) {
        if m.kind == wire::SIGNAL && m.member == "JobRemoved" && m.signature == "uoss" {
            let mut d = Dec::new(&m.body);
            if let (Some(_), Some(path), Some(_), Some(result)) = (d.u32(), d.str(), d.str(), d.str()) {
                self.jobs.push((path.into(), result.into()));
            }
        }
    }

    fn recv(&mut self) -> Result<wire::Msg> {
        loop {
            match wire::message_len(&self.rx) {
                Err(wire::Malformed) => crate::bail!("D-Bus: malformed message from systemd"),
                Ok(Some(n)) if self.rx.len() >= n => {
                    let m = wire::parse(&self.rx[..n]).ok_or_else(|| Error::msg("D-Bus: malformed message from systemd"))?;
                    self.rx.drain(..n);
                    return Ok(m);
                }
                _ => {}
            }
            let mut rx = core::mem::take(&mut self.rx);
            let r = self.read_some(&mut rx);
            self.rx = rx;
            if r? == 0 {
                crate::bail!("D-Bus: systemd closed the connection");
            }
        }
    }

    fn read_some(&self, buf: &mut Vec<u8>) -> Result<usize> {
        buf.reserve(4096);
        loop {
            match rustix::io::read(&self.fd, rustix::buffer::spare_capacity(&mut *buf)) {
                Ok(n) => return Ok(n),
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => crate::bail!("D-Bus: no answer from systemd within {TIMEOUT_S} s"),
                Err(e) => return Err(Error::sys("D-Bus: read", e)),
            }
        }
    }
}

/// Where systemd may be reached, in order: (socket path, through a bus daemon).
fn addresses(user: bool) -> Vec<(String, bool)> {
    let env = |name: &[u8]| crate::rt::getenv(name).and_then(|v| core::str::from_utf8(v).ok());
    // "unix:path=/x,guid=..." (the only kind of address the driver understands).
    let bus_path = |var: &[u8], default: String| {
        let given = env(var).and_then(|a| a.split(';').find_map(|a| a.strip_prefix("unix:path=")));
        given.and_then(|p| p.split(',').next()).map_or(default, String::from)
    };
    if !user {
        let system = bus_path(b"DBUS_SYSTEM_BUS_ADDRESS", "/run/dbus/system_bus_socket".into());
        return alloc::vec![("/run/systemd/private".into(), false), (system, true)];
    }
    let runtime = match env(b"XDG_RUNTIME_DIR") {
        Some(d) => String::from(d),
        None => crate::rt::cat(&["/run/user/", &super::udec(rustix::process::geteuid().as_raw().into())]),
    };
    let session = bus_path(b"DBUS_SESSION_BUS_ADDRESS", crate::rt::cat(&[&runtime, "/bus"]));
    alloc::vec![(crate::rt::cat(&[&runtime, "/systemd/private"]), false), (session, true)]
}
