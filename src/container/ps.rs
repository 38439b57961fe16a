//! `rsrun ps [--format table|json] <id> [ps args...]`: the container's processes, as runc shows
//! them.
//!
//! - json: the pids in the container's cgroup (and the sub-cgroups it made) as one compact JSON
//!   array, `[1234,1240]`; `null` when there are none (Go encodes runc's empty list so).
//! - table: runs the host's `ps` (found in PATH) with the given arguments, `-ef` by default, and
//!   prints its header line and the lines whose PID column holds one of those pids. The pids are
//!   host pids, read in rsrun's pid namespace, so they match what `ps` shows.
use crate::cli::{Format, Global, PsOpts};
use crate::error::{Context, Error, Result};
use crate::rt::cstrs::CStrs;
use crate::spawn::{Stdio, describe, spawn};
use crate::state::{Status, Store};
use alloc::vec::Vec;
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, pipe_with};

pub fn run(g: &Global, o: &PsOpts) -> Result<i32> {
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    let stopped = c.status(&st)? == Status::Stopped;
    let Some(cg) = super::delete::cgroup(&st)? else {
        return print(o, &super::process::pids_without_cgroup(&st)?);
    };
    let pids = match cg.pids() {
        Ok(p) => p,
        // A stopped container's cgroup may be gone already: no processes, as in runc.
        Err(_) if stopped => Vec::new(),
        Err(e) => return Err(e.context("list the container's processes")),
    };
    print(o, &pids)
}

fn print(o: &PsOpts, pids: &[u32]) -> Result<i32> {
    let out = match o.format {
        Format::Json => json(pids),
        Format::Table => {
            let args: &[&str] = if o.ps_args.is_empty() { &["-ef"] } else { &o.ps_args };
            filter(&run_ps(args)?, pids)?
        }
    };
    super::print(&out)?;
    Ok(0)
}

/// `[1,2]\n`, or `null\n` for no pids (Go's encoding of runc's nil slice).
fn json(pids: &[u32]) -> Vec<u8> {
    if pids.is_empty() {
        return b"null\n".to_vec();
    }
    let mut w = crate::json::Writer::new();
    w.begin_array();
    for &p in pids {
        w.u64(p.into());
    }
    w.end_array();
    let mut out = w.into_bytes();
    out.push(b'\n');
    out
}

/// The header line of `ps` output and the lines whose PID column is in `pids`, each with a newline.
fn filter(output: &[u8], pids: &[u32]) -> Result<Vec<u8>> {
    let text = crate::rt::lossy(output);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or("");
    let col = header
        .split_ascii_whitespace()
        .position(|t| t == "PID")
        .ok_or_else(|| Error::msg("couldn't find PID field in ps output"))?;
    let mut out = Vec::with_capacity(output.len().min(64 * 1024));
    out.extend_from_slice(header.as_bytes());
    out.push(b'\n');
    for line in lines.filter(|l| !l.is_empty()) {
        let field = line.split_ascii_whitespace().nth(col).unwrap_or("");
        let pid = crate::rt::parse_u32(field)
            .ok_or_else(|| Error::msg(format_args!("unable to parse pid \"{field}\" in ps output line: {line}")))?;
        if pids.contains(&pid) {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    Ok(out)
}

/// Runs `ps ARGS...` (from PATH, with rsrun's environment) and returns what it wrote to stdout and
/// stderr together, as runc takes it. A non-zero exit is an error carrying that output.
fn run_ps(args: &[&str]) -> Result<Vec<u8>> {
    let path = find_in_path(b"ps")?;
    let mut argv = CStrs::new();
    let bad = |_| Error::msg("ps argument contains a NUL byte");
    argv.push(b"ps").map_err(bad)?;
    for a in args {
        argv.push(a.as_bytes()).map_err(bad)?;
    }
    let (out_r, out_w) = pipe_with(PipeFlags::CLOEXEC).context("pipe")?;
    let stdio = Stdio { stdin: None, stdout: Some(out_w.as_fd()), stderr: Some(out_w.as_fd()) };
    let child = spawn(&path, argv.finish(), crate::rt::raw_envp(), stdio)?;
    drop(out_w);
    let mut out = Vec::with_capacity(16 * 1024);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.len());
        }
        match rustix::io::read(&out_r, rustix::buffer::spare_capacity(&mut out)) {
            Ok(0) => break,
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => {
                child.kill();
                let _ = child.wait();
                return Err(Error::sys("read the output of ps", e));
            }
        }
    }
    let status = child.wait()?.ok_or_else(|| Error::msg("ps: no exit status"))?;
    if status.exit_status() != Some(0) {
        let text = crate::rt::lossy(&out);
        crate::bail!("ps: {}: {}", describe(&status), text.trim_end());
    }
    Ok(out)
}

/// The first executable regular file named `name` in the directories of $PATH (Go's LookPath;
/// without PATH, the usual system directories).
fn find_in_path(name: &[u8]) -> Result<alloc::ffi::CString> {
    let path = crate::rt::getenv(b"PATH").unwrap_or(b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut full = Vec::with_capacity(dir.len() + 1 + name.len());
        full.extend_from_slice(dir);
        full.push(b'/');
        full.extend_from_slice(name);
        let Ok(c) = alloc::ffi::CString::new(full) else { continue };
        let regular = rustix::fs::stat(c.as_c_str())
            .is_ok_and(|s| rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::RegularFile);
        if regular && rustix::fs::access(c.as_c_str(), rustix::fs::Access::EXEC_OK).is_ok() {
            return Ok(c);
        }
    }
    Err(Error::msg(format_args!("exec: \"{}\": executable file not found in $PATH", crate::rt::lossy(name))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_like_go() {
        assert_eq!(json(&[]), b"null\n");
        assert_eq!(json(&[7, 12]), b"[7,12]\n");
    }

    #[test]
    fn filter_keeps_the_header_and_our_pids() {
        let ps = b"UID        PID  PPID  C STIME TTY          TIME CMD\nroot         1     0  0 01:00 ?        00:00:00 init\nroot        42     1  0 01:00 ?        00:00:00 sleep 1000\n\n";
        let out = filter(ps, &[42, 99]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "UID        PID  PPID  C STIME TTY          TIME CMD\nroot        42     1  0 01:00 ?        00:00:00 sleep 1000\n"
        );
        // busybox ps puts PID first
        let out = filter(b"PID   USER     TIME  COMMAND\n    1 root      0:00 init\n", &[1]).unwrap();
        assert_eq!(out, b"PID   USER     TIME  COMMAND\n    1 root      0:00 init\n");
        assert_eq!(filter(b"USER CMD\nx y\n", &[1]).unwrap_err().to_string(), "couldn't find PID field in ps output");
        assert!(filter(b"PID CMD\nabc y\n", &[1]).unwrap_err().to_string().starts_with("unable to parse pid \"abc\""));
        assert!(filter(b"X PID\nshort\n", &[1]).is_err(), "a line without a PID column");
    }

    #[test]
    fn finds_ps_in_path() {
        assert!(find_in_path(b"sh").unwrap().to_bytes().ends_with(b"/sh"));
        assert!(find_in_path(b"no-such-program-rsrun").is_err());
    }
}
