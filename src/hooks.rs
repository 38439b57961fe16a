//! OCI hooks (runtime-spec "POSIX-platform hooks"): each hook program gets the container state JSON
//! on stdin, its own args and env, and an optional timeout; a non-zero exit or a timeout fails the
//! operation that ran it. Where a hook runs (runtime or container namespaces) is decided by the
//! caller: create, the container init, start or delete.
use crate::error::{Error, Result};
use crate::rt::cstrs::CStrs;
use crate::spawn::{Stdio, describe, spawn};
use crate::spec::Hook;
use alloc::vec::Vec;
use core::fmt::Write;
use rustix::fd::AsFd;
use rustix::pipe::{PipeFlags, fcntl_setpipe_size, pipe_with};
use rustix::time::Timespec;

/// The most of a failing hook's output that goes into the error message.
const OUTPUT_LIMIT: usize = 1024;

/// Runs `hooks` in order; the first failure stops the rest. `kind` names the hook list in errors
/// ("createRuntime hook #1 (/usr/bin/x): exit status 2: <output>").
pub fn run_all(kind: &str, hooks: &[Hook], state: &[u8]) -> Result<()> {
    for (i, hook) in hooks.iter().enumerate() {
        run(hook, state).map_err(|e| e.context(format_args!("{kind} hook #{i} ({})", hook.path)))?;
    }
    Ok(())
}

fn run(hook: &Hook, state: &[u8]) -> Result<()> {
    let mut path = CStrs::new();
    let mut argv = CStrs::new();
    let mut envp = CStrs::new();
    let bad = |_| Error::msg("contains a NUL byte");
    path.push(hook.path.as_bytes()).map_err(bad)?;
    // runc passes args as given; with none, the program still needs an argv[0].
    if hook.args.is_empty() {
        argv.push(hook.path.as_bytes()).map_err(bad)?;
    }
    for a in &hook.args {
        argv.push(a.as_bytes()).map_err(bad)?;
    }
    for e in &hook.env {
        envp.push(e.as_bytes()).map_err(bad)?;
    }

    // The state goes into the pipe before the hook starts, so a hook that never reads stdin cannot
    // make rsrun block or take SIGPIPE.
    let (in_r, in_w) = pipe_with(PipeFlags::CLOEXEC).map_err(|e| Error::sys("pipe", e))?;
    if state.len() > 60 * 1024 {
        fcntl_setpipe_size(&in_w, state.len() + 4096).map_err(|e| Error::sys("grow stdin pipe", e))?;
    }
    crate::rt::write_all(in_w.as_fd(), state).map_err(|e| Error::sys("write state to hook stdin", e))?;
    drop(in_w);
    let (out_r, out_w) = pipe_with(PipeFlags::CLOEXEC).map_err(|e| Error::sys("pipe", e))?;

    let p = path.finish()[0];
    // SAFETY: `p` points into `path`, a NUL-terminated string that lives until the end of this function.
    let cpath = unsafe { core::ffi::CStr::from_ptr(p) };
    let stdio = Stdio { stdin: Some(in_r.as_fd()), stdout: Some(out_w.as_fd()), stderr: Some(out_w.as_fd()) };
    let child = spawn(cpath, argv.finish(), envp.finish(), stdio)?;
    drop(in_r);
    drop(out_w);

    let (status, out) = wait_collecting(&child, &out_r, hook.timeout.filter(|&t| t > 0))?;
    let Some(status) = status else {
        return Err(Error::msg(format_args!("timed out after {}s", hook.timeout.unwrap_or(0))));
    };
    if status.exit_status() == Some(0) {
        return Ok(());
    }
    let mut msg = alloc::string::String::new();
    let _ = write!(msg, "{}", describe(&status));
    let text = core::str::from_utf8(&out).unwrap_or("").trim();
    if !text.is_empty() {
        let _ = write!(msg, ": {text}");
    }
    Err(Error::msg(msg))
}

/// Waits for the hook to end (killing it after `timeout_s` seconds), reading its output meanwhile
/// so a chatty hook cannot block on a full pipe. Keeps the first OUTPUT_LIMIT bytes.
fn wait_collecting(
    child: &crate::spawn::Child,
    out_r: &rustix::fd::OwnedFd,
    timeout_s: Option<i64>,
) -> Result<(Option<rustix::process::WaitIdStatus>, Vec<u8>)> {
    use rustix::event::{PollFd, PollFlags, poll};
    use syscalls::time::{ClockId, clock_gettime};
    let now = || clock_gettime(ClockId::Monotonic).map_err(|e| Error::sys("clock_gettime", e));
    let deadline = match timeout_s {
        Some(t) => Some(now()?.tv_sec.saturating_add(t)),
        None => None,
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    let mut out_open = true;
    loop {
        let left = match deadline {
            Some(d) => {
                let t = now()?;
                if t.tv_sec >= d {
                    child.kill();
                    let _ = child.wait();
                    return Ok((None, out));
                }
                Some(Timespec { tv_sec: d - t.tv_sec, tv_nsec: 0 })
            }
            None => None,
        };
        let mut fds = [PollFd::new(&child.pidfd, PollFlags::IN), PollFd::new(out_r, PollFlags::IN)];
        let n = if out_open { 2 } else { 1 };
        match poll(&mut fds[..n], left.as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", e)),
        }
        // Output first: after the hook exits, what it wrote is still readable; drain it before
        // looking at the pidfd. A daemon the hook left holding the pipe does not keep us here.
        if out_open && !fds[1].revents().is_empty() {
            match rustix::io::read(out_r, &mut buf) {
                Ok(0) | Err(_) => out_open = false,
                Ok(k) => out.extend_from_slice(&buf[..k.min(OUTPUT_LIMIT.saturating_sub(out.len()))]),
            }
            continue;
        }
        if !fds[0].revents().is_empty() {
            return Ok((child.wait()?, out));
        }
    }
}
