//! NOTIFY_SOCKET: sd_notify readiness through the runtime, as runc does it.
//!
//! When rsrun runs with NOTIFY_SOCKET set (a systemd unit of Type=notify, `podman --sdnotify
//! container`), the container must not see the host's socket; it gets a proxy instead:
//! - `create` makes `<state dir>/notify/`, bind-mounts it read-only (nosuid, nodev, noexec) at
//!   /run/notify in the container and sets NOTIFY_SOCKET=/run/notify/notify.sock in the process's
//!   environment (`add_to_spec`: the config is changed before anything reads it, so the init sees an
//!   ordinary bind mount and env entry).
//! - `start` (and `run`) binds a datagram socket at `<state dir>/notify/notify.sock` before the
//!   process runs, and after it is released waits for a datagram with a "READY=" line, or for the
//!   init to exit; it then sends "READY=1\n" and "MAINPID=<pid>\n" (the init's, or rsrun's own for a
//!   foreground `run`, runc's choice) to the host's socket.
//!
//! Without NOTIFY_SOCKET none of this costs anything (one environment lookup).
use crate::error::{Context, Error, Result};
use crate::rt::cs;
use crate::spec::Spec;
use crate::state::Container;
use alloc::borrow::Cow;
use alloc::format;
use alloc::vec;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode};
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

use crate::state::{NOTIFY_DIR as DIR, NOTIFY_SOCKET as SOCKET};

/// Where the container sees the state dir's notify directory.
const IN_CONTAINER: &str = "/run/notify";

/// The host's NOTIFY_SOCKET, when set and not empty.
pub fn host_socket() -> Option<&'static [u8]> {
    crate::rt::getenv(b"NOTIFY_SOCKET").filter(|s| !s.is_empty())
}

/// Adds the proxy's bind mount and NOTIFY_SOCKET to the config of a container whose state dir is
/// `state_dir`. Only with a mount namespace (without one there is no place to bind it: runc
/// requires one too) and when the host has a NOTIFY_SOCKET.
pub fn add_to_spec(spec: &mut Spec<'_>, state_dir: &str) {
    let has_mount_ns =
        spec.linux.as_ref().is_some_and(|l| l.namespaces.iter().any(|n| n.kind == crate::spec::NsType::Mount));
    if host_socket().is_none() || !has_mount_ns {
        return;
    }
    spec.mounts.push(crate::spec::Mount {
        destination: Cow::Borrowed(IN_CONTAINER),
        kind: Some(Cow::Borrowed("bind")),
        source: Some(Cow::Owned(format!("{state_dir}/{DIR}"))),
        options: ["bind", "nosuid", "noexec", "nodev", "ro"].iter().map(|o| Cow::Borrowed(*o)).collect(),
        uid_mappings: vec![],
        gid_mappings: vec![],
    });
    if let Some(p) = spec.process.as_mut() {
        // Replaces one the config may carry: the host's path means nothing inside.
        p.env.retain(|e| !e.starts_with("NOTIFY_SOCKET="));
        p.env.push(Cow::Owned(format!("NOTIFY_SOCKET={IN_CONTAINER}/{SOCKET}")));
    }
}

/// Whether `add_to_spec` added the proxy (it is the last mount then).
pub fn in_spec(spec: &Spec<'_>) -> bool {
    spec.mounts.last().is_some_and(|m| m.destination == IN_CONTAINER && m.source.as_deref().is_some_and(|s| s.ends_with("/notify")))
}

fn socket() -> rustix::io::Result<OwnedFd> {
    rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC, None)
}

/// Makes `<state dir>/notify` (create, before clone3; removed with the state dir).
pub fn make_dir(c: &Container) -> Result<()> {
    rustix::fs::mkdirat(c.dir(), cs(DIR), Mode::from_raw_mode(0o755)).context(format_args!("mkdir {}/{DIR}", c.path()))
}

/// The proxy's socket, bound, waiting for the container's readiness message.
pub struct Listener {
    sock: OwnedFd,
    host: &'static [u8],
}

/// Binds the proxy socket when the container was created with one and rsrun has NOTIFY_SOCKET now
/// (runc's rule: `start` relays only if it is told where to). None otherwise.
pub fn listen(c: &Container) -> Result<Option<Listener>> {
    let Some(host) = host_socket() else { return Ok(None) };
    let dir = match rustix::fs::openat(c.dir(), cs(DIR), rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC, Mode::empty()) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::sys(format_args!("open {}/{DIR}", c.path()), e)),
    };
    let what = "bind the notify socket (NOTIFY_SOCKET)";
    let sock = socket().context(what)?;
    // Bound through the directory's fd: the state dir's path may be longer than sun_path allows.
    let path = format!("/proc/self/fd/{}/{SOCKET}", rustix::fd::AsRawFd::as_raw_fd(&dir));
    let _ = rustix::fs::unlinkat(dir.as_fd(), cs(SOCKET), AtFlags::empty());
    rustix::net::bind(&sock, &SocketAddrUnix::new(cs(&path)).context(what)?).context(what)?;
    // Any user of the container may notify (the process need not run as root).
    rustix::fs::chmodat(dir.as_fd(), cs(SOCKET), Mode::from_raw_mode(0o777), AtFlags::empty()).context(what)?;
    Ok(Some(Listener { sock, host }))
}

impl Listener {
    /// Waits for "READY=" from the container (or the end of `init`), then tells the host's socket
    /// READY=1 and MAINPID=`main_pid`. A container that exits without notifying is no error here:
    /// the engine sees the exit.
    pub fn relay(self, init: BorrowedFd<'_>, main_pid: i32) -> Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            let mut fds = [PollFd::new(&self.sock, PollFlags::IN), PollFd::new(&init, PollFlags::IN)];
            match rustix::event::poll(&mut fds, None) {
                Err(Errno::INTR) => continue,
                r => r.context("poll the notify socket")?,
            };
            if fds[1].revents().contains(PollFlags::IN) && !fds[0].revents().contains(PollFlags::IN) {
                return Ok(());
            }
            let n = match rustix::net::recv(&self.sock, &mut buf, RecvFlags::DONTWAIT) {
                Ok((n, _)) => n,
                Err(Errno::INTR | Errno::AGAIN) => continue,
                Err(e) => return Err(Error::sys("read the notify socket", e)),
            };
            if buf[..n].split(|&b| b == b'\n').any(|l| l.starts_with(b"READY=")) {
                return self.tell_host(main_pid);
            }
        }
    }

    fn tell_host(&self, main_pid: i32) -> Result<()> {
        let what = "tell NOTIFY_SOCKET";
        let sock = socket().context(what)?;
        // systemd's abstract sockets are written "@name".
        let addr = match self.host.strip_prefix(b"@") {
            Some(name) => SocketAddrUnix::new_abstract_name(name),
            None => SocketAddrUnix::new(self.host),
        }
        .context(what)?;
        let mut msg = alloc::vec::Vec::from(&b"READY=1\nMAINPID="[..]);
        msg.extend_from_slice(format!("{main_pid}\n").as_bytes());
        // Two datagrams, as runc sends them: READY=1, then MAINPID.
        let (ready, mainpid) = msg.split_at(8);
        rustix::net::connect(&sock, &addr).context(what)?;
        for m in [ready, mainpid] {
            rustix::net::send(&sock, m, SendFlags::NOSIGNAL).context(what)?;
        }
        Ok(())
    }
}
