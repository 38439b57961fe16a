//! Test helpers: run code in a forked child and read its fate through a pidfd.
//!
//! The test harness is multi-threaded, so a forked child must not allocate or take locks another
//! thread may hold: children below read files into stack buffers with rustix and report through their
//! exit status (0 = success, anything else names the failed step).
use crate::process::{CloneArgs, CloneFlags, Fork, clone3, exit_group};
use rustix::fd::{AsFd, OwnedFd};
use rustix::process::{WaitId, WaitIdOptions, WaitIdStatus, waitid};
use std::ffi::CStr;

/// Runs `f` in a child made by `clone3(flags | CLONE_PIDFD)` and returns how the child ended.
pub fn run_in_child(flags: CloneFlags, f: impl FnOnce() -> i32) -> WaitIdStatus {
    let args = CloneArgs::new(flags | CloneFlags::PIDFD);
    // SAFETY: the child runs `f` (which avoids allocation and shared locks) and exits without
    // returning into the harness.
    match unsafe { clone3(&args) }.expect("clone3") {
        Fork::Child => {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
            exit_group(code)
        }
        Fork::Parent { pidfd, .. } => wait_pidfd(&pidfd.expect("CLONE_PIDFD gives a pidfd")),
    }
}

/// Runs `f` in a child and returns its exit code; panics if a signal killed it.
pub fn exit_code_in_child(flags: CloneFlags, f: impl FnOnce() -> i32) -> i32 {
    let status = run_in_child(flags, f);
    status.exit_status().unwrap_or_else(|| panic!("child killed by signal {:?}", status.terminating_signal()))
}

/// Reaps the child behind `pidfd`.
pub fn wait_pidfd(pidfd: &OwnedFd) -> WaitIdStatus {
    waitid(WaitId::PidFd(pidfd.as_fd()), WaitIdOptions::EXITED).expect("waitid").expect("status")
}

/// Reads up to `buf.len()` bytes of `path` without allocating; returns the filled prefix.
pub fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    use rustix::fs::{Mode, OFlags, open};
    let fd = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match rustix::io::read(&fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
    Some(&buf[..len])
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A fresh directory for one test, removed by the test; its name includes the crate and test name.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rsrun-test-syscalls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
