//! Terminals: `process.terminal` (and `exec --tty`) with a pseudoterminal made inside the container.
//!
//! Three ways a terminal process is run, the same for `create`/`run` and `exec`:
//! - **console socket** (`--console-socket PATH`, detached: `create`, `run -d`, `exec -d`): the
//!   engine (containerd's shim, podman's conmon) listens on PATH; rsrun connects before it makes
//!   anything and sends the pty master there in one SCM_RIGHTS message (`socket.rs`);
//! - **foreground relay** (`run`, `exec` without -d and without a socket): rsrun keeps the master and
//!   copies between its own terminal and the pty until the process ends (`relay.rs`);
//! - **none** (terminal false): stdio is inherited as it is.
//!
//! The pty itself always comes from the container's devpts: the process that will become the
//! container's process opens `/dev/pts/ptmx` inside the container's root (verified to be that devpts
//! instance's ptmx before it is opened) and gets the peer with TIOCGPTPEER, never through a
//! `/dev/pts/N` path the container could swap (`pty.rs`; CVE-2025-52565). The master goes to rsrun
//! over the setup channel; the slave becomes stdio and the controlling terminal.
//!
//! Misuse is refused by `check_use` before anything is made, with runc's rules.
//!
//! The same calls serve `create`/`run` and `exec`:
//! 1. rsrun, before it makes anything: `check_use(terminal, --console-socket, detached)`, then
//!    `socket::connect(path)` when a socket is given;
//! 2. the container process, inside the container's namespaces: `Pty::open_in(root)` (the init:
//!    the rootfs fd before pivot_root, and /dev/console is bound then, `init/console.rs`; exec:
//!    CWD right after setns into the mount namespace), `pty::set_size` with consoleSize, then
//!    `hand_over(pty, channel)` before `process::apply` (which gives the terminal to the user);
//! 3. rsrun, on `Msg::Console(master)`: `Handoff::received` (to the socket, or kept); then, in the
//!    foreground, `relay::Relay::new(master)` before the process runs and `Relay::run(signalfd,
//!    handler)` until the handler reports the exit status.
use crate::channel::{Channel, Msg};
use crate::error::Result;
use rustix::fd::{AsFd, OwnedFd};

pub mod pty;
pub mod relay;
pub mod socket;

pub use pty::Pty;

/// runc's rules for terminals and console sockets. `terminal` names where the terminal was asked
/// for (`process.terminal`, or `--tty` for exec), `detached` is create, `run -d` or `exec -d`:
/// - a terminal in a detached container needs a console socket (nobody else could hold the master);
/// - a console socket needs a terminal to send, and a detached container (a foreground rsrun relays
///   the terminal itself).
pub fn check_use(terminal: Option<&str>, console_socket: Option<&str>, detached: bool) -> Result<()> {
    match (terminal, console_socket) {
        (Some(t), None) if detached => {
            crate::bail!("{t}: a terminal for a detached container needs --console-socket")
        }
        (None, Some(_)) => crate::bail!("--console-socket: there is no terminal to send (process.terminal is false)"),
        (Some(_), Some(_)) if !detached => {
            crate::bail!("--console-socket: only with a detached container (create, run -d, exec -d)")
        }
        _ => Ok(()),
    }
}

/// rsrun's side: where the pty master the container process sends (`Msg::Console`) goes: to the
/// connected console socket, or kept for the foreground relay.
pub struct Handoff<'f> {
    socket: Option<&'f OwnedFd>,
    kept: Option<OwnedFd>,
}

impl<'f> Handoff<'f> {
    /// `socket`: from `socket::connect` (--console-socket), None for a foreground relay.
    pub fn new(socket: Option<&'f OwnedFd>) -> Self {
        Handoff { socket, kept: None }
    }

    /// The master arrived: sent on to the console socket, or kept.
    pub fn received(&mut self, master: OwnedFd) -> Result<()> {
        match self.socket {
            Some(sock) => {
                socket::send_master(sock.as_fd(), master.as_fd())?;
                crate::rt::done_with(master);
            }
            None => self.kept = Some(master),
        }
        Ok(())
    }

    /// The master kept for the relay, taken out (`exec`, which relays as soon as it arrives).
    pub fn take_kept(&mut self) -> Option<OwnedFd> {
        self.kept.take()
    }

    /// The master to relay (None with a console socket, or when no terminal was made).
    pub fn into_kept(self) -> Option<OwnedFd> {
        self.kept
    }
}

/// The container process's side, once its pty exists (and /dev/console is bound, for an init):
/// the master goes to rsrun over the setup channel and is closed here (nothing of it may reach the
/// container process); the slave becomes stdio and the controlling terminal of a new session.
pub fn hand_over(pty: Pty, chan: &Channel) -> Result<()> {
    chan.send(&Msg::Console(pty.master))?;
    pty::become_terminal(pty.slave)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn misuse_rules() {
        let t = Some("process.terminal");
        let s = Some("/run/x.sock");
        assert!(check_use(t, s, true).is_ok());
        assert!(check_use(t, None, false).is_ok());
        assert!(check_use(None, None, true).is_ok() && check_use(None, None, false).is_ok());
        assert_eq!(
            check_use(t, None, true).unwrap_err().to_string(),
            "process.terminal: a terminal for a detached container needs --console-socket"
        );
        assert_eq!(
            check_use(Some("--tty"), None, true).unwrap_err().to_string(),
            "--tty: a terminal for a detached container needs --console-socket"
        );
        assert!(check_use(None, s, true).unwrap_err().to_string().contains("no terminal to send"));
        assert!(check_use(None, s, false).unwrap_err().to_string().contains("no terminal to send"));
        assert!(check_use(t, s, false).unwrap_err().to_string().contains("only with a detached container"));
    }
}
