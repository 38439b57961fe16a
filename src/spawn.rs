//! Running a helper program (a hook) from rsrun: fork with a pidfd, redirect stdio, execve, and wait
//! with a timeout. Exec failures come back as an errno over a close-on-exec pipe, so the caller can
//! say "exec /x: No such file or directory" rather than "exit status 127".
use crate::error::{Context, Error, Result};
use core::ffi::{CStr, c_char};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{Pid, WaitId, WaitIdOptions, WaitIdStatus, waitid};
use syscalls::process::{CloneArgs, CloneFlags, Fork, clone, clone3, execve, exit_group};
use syscalls::signal::{How, SigSet, rt_sigprocmask};

/// A running child and the pidfd that names it.
pub struct Child {
    pub pid: Pid,
    pub pidfd: OwnedFd,
}

/// Where the child's standard streams come from; `None` inherits rsrun's.
#[derive(Default, Clone, Copy)]
pub struct Stdio<'a> {
    pub stdin: Option<BorrowedFd<'a>>,
    pub stdout: Option<BorrowedFd<'a>>,
    pub stderr: Option<BorrowedFd<'a>>,
}

/// Starts `path` with `argv`/`envp` (NULL-terminated arrays, e.g. from `rt::cstrs::CStrs`).
pub fn spawn(path: &CStr, argv: &[*const c_char], envp: &[*const c_char], stdio: Stdio) -> Result<Child> {
    let (err_r, err_w) = pipe_with(PipeFlags::CLOEXEC).context("pipe")?;
    let args = CloneArgs::new(CloneFlags::PIDFD);
    // SAFETY: rsrun is single-threaded; the child only redirects fds, execs, and exits.
    let forked = match unsafe { clone3(&args) } {
        // startContainer hooks run under the container's seccomp filter, and profiles older than
        // clone3 refuse it (docker's own with ENOSYS, a default action with EPERM): the older call.
        // SAFETY: as above.
        Err(Errno::NOSYS | Errno::PERM) => unsafe { clone(&args) },
        r => r,
    };
    match forked.context("clone3")? {
        Fork::Child => {
            drop(err_r);
            let errno = exec_child(path, argv, envp, stdio);
            let _ = rustix::io::write(&err_w, &errno.raw_os_error().to_ne_bytes());
            exit_group(127)
        }
        Fork::Parent { pid, pidfd } => {
            drop(err_w);
            let pidfd = pidfd.ok_or_else(|| Error::msg("clone3 returned no pidfd"))?;
            let child = Child { pid, pidfd };
            let mut code = [0u8; 4];
            // EOF (0 bytes) means execve succeeded and closed the pipe.
            match rustix::io::read(&err_r, &mut code) {
                Ok(4) => {
                    let _ = child.wait();
                    Err(Error::sys(format_args!("exec {}", crate::rt::lossy(path.to_bytes())), Errno::from_raw_os_error(i32::from_ne_bytes(code))))
                }
                _ => Ok(child),
            }
        }
    }
}

fn exec_child(path: &CStr, argv: &[*const c_char], envp: &[*const c_char], stdio: Stdio) -> Errno {
    // The child inherits rsrun's blocked signals (`run` blocks the ones it forwards); a program must
    // start with an empty mask.
    if let Err(e) = rt_sigprocmask(How::SetMask, &SigSet::empty()) {
        return e;
    }
    let redirect = [
        stdio.stdin.map(rustix::stdio::dup2_stdin),
        stdio.stdout.map(rustix::stdio::dup2_stdout),
        stdio.stderr.map(rustix::stdio::dup2_stderr),
    ];
    for r in redirect.into_iter().flatten() {
        if let Err(e) = r {
            return e;
        }
    }
    // SAFETY: argv and envp are NULL-terminated arrays of C strings (caller's contract).
    unsafe { execve(path, argv, envp) }
}

impl Child {
    /// Waits for the child to end and reaps it. (A caller that needs a timeout polls `pidfd`
    /// itself, as hooks do while they drain the hook's output.)
    pub fn wait(&self) -> Result<Option<WaitIdStatus>> {
        loop {
            match waitid(WaitId::PidFd(self.pidfd.as_fd()), WaitIdOptions::EXITED) {
                Ok(status) => return Ok(status),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(Error::sys("waitid", e)),
            }
        }
    }

    pub fn kill(&self) {
        // kill(2) where a seccomp profile older than pidfd_send_signal refuses it: the child is
        // not reaped yet, so its pid cannot have been recycled.
        if syscalls::signal::pidfd_send_signal(&self.pidfd, 9).is_err() {
            let _ = syscalls::signal::kill(self.pid, 9);
        }
    }
}

/// "exit status 3" or "killed by signal 9", as runc words it.
pub fn describe(status: &WaitIdStatus) -> impl core::fmt::Display + use<> {
    let (exited, n) = match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => (true, code),
        (None, Some(sig)) => (false, sig),
        (None, None) => (true, -1),
    };
    core::fmt::from_fn(move |f| if exited { write!(f, "exit status {n}") } else { write!(f, "killed by signal {n}") })
}
