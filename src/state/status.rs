//! A container's status, derived from the system each time it is asked for, never stored:
//! - stopped: no init pid, or the pid is gone, or it is a zombie, or its start time differs from
//!   the one recorded at create (the pid was reused);
//! - created: the init is alive and the exec fifo still exists (`start` has not opened it);
//! - paused: alive and frozen by the cgroup freezer (see `frozen`);
//! - running: alive otherwise.
use super::{Container, State};
use crate::error::{Error, Result};
use core::fmt;
use rustix::io::Errno;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) fn derive(c: &Container, st: &State) -> Result<Status> {
    if st.pid <= 0 {
        return Ok(Status::Stopped);
    }
    let alive = match proc_stat(st.pid)? {
        Some(ps) => !matches!(ps.state, b'Z' | b'X' | b'x') && (st.start_time == 0 || ps.start_time == st.start_time),
        None => false,
    };
    if !alive {
        return Ok(Status::Stopped);
    }
    if c.has_exec_fifo()? {
        return Ok(Status::Created);
    }
    Ok(if frozen(c, st)? { Status::Paused } else { Status::Running })
}

/// Whether the container's cgroup is frozen. The cgroup module answers this from the freezer
/// (cgroup v2 `cgroup.freeze`/`cgroup.events`, v1 `freezer.state`) of the paths kept in the state's
/// "cgroup" slot; until it exists nothing is ever paused.
fn frozen(_c: &Container, st: &State) -> Result<bool> {
    match crate::cgroups::Cgroup::from_state_slot(st.extra("cgroup"))? {
        Some(cg) => cg.is_frozen().or(Ok(false)),
        None => Ok(false),
    }
}

/// The fields of /proc/<pid>/stat that rsrun uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// Field 3: R, S, D, Z, T, t, X, I...
    pub state: u8,
    /// Field 22: start time in clock ticks after boot.
    pub start_time: u64,
}

/// The signals the calling process ignores, all 64 (bit `n - 1` for signal `n`), from the SigIgn
/// line of /proc/self/status (as the /proc in its mount namespace shows it; /proc/<pid>/stat has
/// only 1-31); None if it cannot be read or parsed.
pub fn own_ignored_signals() -> Option<u64> {
    parse_sig_ign(&crate::rt::io::read_at(rustix::fs::CWD, "/proc/self/status").ok()?)
}

/// The value of the "SigIgn:" line of a /proc/<pid>/status text (16 hex digits).
pub fn parse_sig_ign(status: &[u8]) -> Option<u64> {
    let at = status.windows(8).position(|w| w == b"\nSigIgn:")? + 8;
    let hex = status[at..].split(|&b| b == b'\n').next()?;
    let hex = core::str::from_utf8(hex).ok()?.trim();
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Reads /proc/<pid>/stat; None if there is no such process.
pub fn proc_stat(pid: i32) -> Result<Option<ProcStat>> {
    let mut path = crate::rt::FixedBuf::<32>::new();
    let _ = fmt::Write::write_fmt(&mut path, format_args!("/proc/{pid}/stat"));
    let path = core::str::from_utf8(path.as_bytes()).unwrap_or("/proc/0/stat");
    let data = match crate::rt::io::read_at(rustix::fs::CWD, path) {
        Ok(d) => d,
        Err(Errno::NOENT | Errno::SRCH) => return Ok(None),
        Err(e) => return Err(Error::sys(format_args!("read {path}"), e)),
    };
    parse_stat(&data).map(Some).ok_or_else(|| Error::msg(format_args!("{path}: unexpected format")))
}

/// Parses a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
/// contain spaces and ')', so fields are counted from the last ')'.
pub fn parse_stat(line: &[u8]) -> Option<ProcStat> {
    let close = line.iter().rposition(|&b| b == b')')?;
    let mut fields = line[close + 1..].split(|&b| b == b' ' || b == b'\n').filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?; // field 3
    let start_time = decimal(fields.nth(18)?)?; // field 22
    Some(ProcStat { state, start_time })
}

fn decimal(field: &[u8]) -> Option<u64> {
    core::str::from_utf8(field).ok().filter(|f| !f.starts_with('+')).and_then(crate::rt::parse_uint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(comm: &str, state: char, start: u64) -> Vec<u8> {
        let mut s = format!("1234 ({comm}) {state} 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 ");
        // Fields 23-52.
        s.push_str(&format!("{start} 2510848 150 18446744073709551615 1 1 0 0 0 0 0 4097 0 17 1 0 0 0 0 0\n"));
        s.into_bytes()
    }

    #[test]
    fn sig_ign_line() {
        let status = b"Name:\tsh\nSigBlk:\t0000000000000000\nSigIgn:\t0000001000001001\nSigCgt:\t0\n";
        assert_eq!(parse_sig_ign(status), Some(0x1000001001), "SIGHUP, SIGPIPE and signal 37");
        assert_eq!(parse_sig_ign(b"Name:\tsh\nSigIgn:\t0000000000000000\n"), Some(0));
        assert_eq!(parse_sig_ign(b"Name:\tsh\nSigIgn:\t\n"), None);
        assert_eq!(parse_sig_ign(b"Name:\tsh\nSigIgn:\tzz\n"), None);
        assert_eq!(parse_sig_ign(b"SigIgn:\t1\n"), None, "not at a line start");
    }

    #[test]
    fn odd_command_names() {
        for comm in ["sh", "a b", "x) S 1 2 3", ") ) (", "", "((", "9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9"] {
            let ps = parse_stat(&line(comm, 'S', 987654321)).unwrap_or_else(|| panic!("{comm:?}"));
            assert_eq!(ps, ProcStat { state: b'S', start_time: 987654321 }, "{comm:?}");
        }
        assert_eq!(parse_stat(&line("z", 'Z', 5)).unwrap().state, b'Z');
    }

    #[test]
    fn malformed_lines() {
        for bad in [&b""[..], b"1 (x", b"1 (x) S 1 2", b"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 abc"] {
            assert!(parse_stat(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn own_process() {
        let me = proc_stat(std::process::id() as i32).unwrap().unwrap();
        assert!(me.start_time > 0 && me.state.is_ascii_uppercase());
        assert!(proc_stat(i32::MAX).unwrap().is_none());
    }
}
