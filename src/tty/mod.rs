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
use crate::error::Result;

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
