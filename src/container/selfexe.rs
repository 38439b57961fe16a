//! CVE-2019-5736: a process inside the container must never reach the host's rsrun binary through
//! /proc/<pid>/exe of the container init (or of an `exec` process before it execs), or it could
//! overwrite it. Before a verb enters a container, rsrun re-executes itself from a sealed memfd copy
//! of its own binary; the copy cannot be written, shrunk or grown, and /proc/self/exe then names the
//! memfd, not the host file. A process already running from such a copy is recognised by its seals
//! (F_GET_SEALS on /proc/self/exe), never by an environment variable a caller could set.
use crate::error::{Context, Result};
use rustix::fs::{MemfdFlags, Mode, OFlags, SealFlags, fcntl_add_seals, fcntl_get_seals, memfd_create, open};

const SEALS: SealFlags = SealFlags::SEAL.union(SealFlags::SHRINK).union(SealFlags::GROW).union(SealFlags::WRITE);

/// Returns when rsrun runs from a sealed copy; otherwise makes one and re-executes it with the same
/// argv and environment (and does not return).
pub fn ensure_sealed_copy(argv: &[*const core::ffi::c_char], envp: &[*const core::ffi::c_char]) -> Result<()> {
    let p = crate::trace::phase("sealed copy");
    let exe = open(c"/proc/self/exe", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).context("open /proc/self/exe")?;
    // Our copy is always executed through its fd (AT_EXECFN "/dev/fd/N"): an image executed by a
    // path is the host binary, and asking for its seals would only cost a syscall. (A path that
    // names a sealed copy, /proc/self/fd/N say, only makes us copy it again: the safe side.)
    let from_fd = crate::rt::exec_fn().is_none_or(|f| f.starts_with(b"/dev/fd/"));
    if from_fd && fcntl_get_seals(&exe).is_ok_and(|s| s.contains(SEALS)) {
        crate::rt::done_with(exe);
        return Ok(());
    }
    let copy = memfd_create(c"rsrun", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING).context("memfd_create")?;
    // sendfile from a regular file copies all it is asked for unless it reaches the end, so asking
    // for more than any binary holds needs no fstat: a short count is the end of the file.
    const ASK: usize = 1 << 30;
    loop {
        match rustix::fs::sendfile(&copy, &exe, None, ASK).context("copy rsrun into a memfd")? {
            n if n < ASK => break,
            _ => {}
        }
    }
    fcntl_add_seals(&copy, SEALS).context("seal the rsrun memfd")?;
    drop(p);
    // This image ends here; the next one counts the execveat (and keeps the syscall counter).
    let handed = crate::trace::hand_over(envp);
    crate::trace::finish(0);
    let envp = handed.as_ref().map_or(envp, |(_, env)| &env[..]);
    // SAFETY: argv and envp are NULL-terminated arrays of strings: the ones the process started
    // with, or those plus the trace's variable (alive in `handed`).
    let err = unsafe { syscalls::process::execveat(&copy, c"", argv, envp, rustix::fs::AtFlags::EMPTY_PATH) };
    Err(crate::error::Error::sys("re-execute rsrun from its sealed copy", err))
}
