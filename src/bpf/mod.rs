//! The cgroup-v2 device filter: `linux.resources.devices` rules -> an eBPF program attached to the
//! container's cgroup, plus the same rules as cgroup-v1 devices.allow/deny lines.
//!
//! For a container: `apply(cgroup_dir, &with_defaults(&config_rules))` on cgroup v2, or write each
//! line of `v1_lines(&with_defaults(&config_rules))?` on v1. Semantics: rules.rs and docs/devices.md.
mod emit;
mod rules;
mod v1;

pub use emit::program;
pub use rules::{Access, DEFAULT_ALLOWED, DeviceKind, DeviceRule, with_defaults};
pub(crate) use rules::live_rules;
pub use v1::{V1Line, v1_lines};

use crate::error::{Context, Error, Result};
use alloc::vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use syscalls::bpf::{
    AttachFlags, AttachType, BpfInsn, ProgType, bpf_prog_attach, bpf_prog_detach, bpf_prog_get_fd_by_id,
    bpf_prog_load, bpf_prog_query,
};

/// Any string loads: cgroup device programs call no GPL-only helper (they call none at all).
const LICENSE: &core::ffi::CStr = c"Apache-2.0";
/// Shown by `bpftool prog` / `bpftool cgroup tree`.
const PROG_NAME: &[u8] = b"rsrun_devices";

/// Makes the cgroup v2 directory `cgroup_dir` enforce `rules` (the exact list; for a container pass
/// `with_defaults(&config_rules)`), replacing the device programs attached to it before.
pub fn apply(cgroup_dir: BorrowedFd<'_>, rules: &[DeviceRule]) -> Result<()> {
    let insns = program(rules)?;
    install(cgroup_dir, &insns)
}

/// Loads `insns` and attaches them to `cgroup_dir` in place of the device programs attached there.
///
/// Like runc and crun: with exactly one old program, swap it atomically (`BPF_F_REPLACE`, Linux
/// 5.6); otherwise (none, several, or an older kernel) attach the new one first and then detach
/// the old ones, so there is never a moment without a filter. Programs we may not open (an LSM
/// label, as runc notes for systemd's) are left attached; they can only deny more.
pub fn install(cgroup_dir: BorrowedFd<'_>, insns: &[BpfInsn]) -> Result<()> {
    let prog = load(insns)?;
    let r = replace_or_attach(cgroup_dir, &prog);
    crate::rt::done_with(prog);
    r
}

/// Attaches a program to a cgroup rsrun has just created (nothing to replace: no query needed).
pub fn attach_new(cgroup_dir: BorrowedFd<'_>, rules: &[DeviceRule]) -> Result<()> {
    let prog = load(&program(rules)?)?;
    bpf_prog_attach(cgroup_dir, prog.as_fd(), AttachType::CGROUP_DEVICE, AttachFlags::ALLOW_MULTI, None)
        .context("attach the device program to the cgroup")?;
    crate::rt::done_with(prog);
    Ok(())
}

fn replace_or_attach(cgroup_dir: BorrowedFd<'_>, prog: &OwnedFd) -> Result<()> {
    let mut ids = [0u32; 64]; // the kernel's limit per cgroup and attach type is 64
    let n = bpf_prog_query(cgroup_dir, AttachType::CGROUP_DEVICE, &mut ids)
        .context("query the device programs of the cgroup")?;
    let old = &ids[..n.min(ids.len())];
    let dev = AttachType::CGROUP_DEVICE;
    if let [id] = old
        && let Some(old_fd) = open_prog(*id)?
    {
        let flags = AttachFlags::ALLOW_MULTI | AttachFlags::REPLACE;
        match bpf_prog_attach(cgroup_dir, prog.as_fd(), dev, flags, Some(old_fd.as_fd())) {
            Ok(()) => return Ok(()),
            // EINVAL: no BPF_F_REPLACE (before 5.6); ENOENT: it was detached meanwhile.
            Err(Errno::INVAL | Errno::NOENT) => {}
            Err(e) => return Err(e).context("replace the device program of the cgroup"),
        }
    }
    bpf_prog_attach(cgroup_dir, prog.as_fd(), dev, AttachFlags::ALLOW_MULTI, None)
        .context("attach the device program to the cgroup")?;
    for id in old {
        if let Some(fd) = open_prog(*id)? {
            match bpf_prog_detach(cgroup_dir, fd.as_fd(), dev) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e).context(format_args!("detach the old device program {id}")),
            }
        }
    }
    Ok(())
}

/// An fd for attached program `id`, or `None` when it is gone or we may not open it.
fn open_prog(id: u32) -> Result<Option<OwnedFd>> {
    match bpf_prog_get_fd_by_id(id) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT | Errno::PERM | Errno::ACCESS) => Ok(None),
        Err(e) => Err(e).context(format_args!("open device program {id}")),
    }
}

/// BPF_PROG_LOAD, quietly first; on failure again with the verifier log, whose end goes into the error.
fn load(insns: &[BpfInsn]) -> Result<OwnedFd> {
    let dev = ProgType::CGROUP_DEVICE;
    match bpf_prog_load(dev, insns, LICENSE, PROG_NAME, None) {
        Ok(fd) => return Ok(fd),
        // Before Linux 5.11 programs were charged to RLIMIT_MEMLOCK.
        Err(Errno::PERM) => {
            raise_memlock();
            if let Ok(fd) = bpf_prog_load(dev, insns, LICENSE, PROG_NAME, None) {
                return Ok(fd);
            }
        }
        Err(_) => {}
    }
    let mut log = vec![0u8; 8192];
    match bpf_prog_load(dev, insns, LICENSE, PROG_NAME, Some(&mut log)) {
        Ok(fd) => Ok(fd),
        Err(e) => {
            let (n, tail) = (insns.len(), log_tail(&log));
            Err(Error::sys(format_args!("load the device program ({n} instructions; verifier: {tail})"), e))
        }
    }
}

/// The last two lines of a verifier log (where it says why), at most ~200 bytes.
fn log_tail(log: &[u8]) -> &str {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    let text = core::str::from_utf8(&log[..end]).unwrap_or("").trim_end();
    let mut start = text.len();
    for _ in 0..2 {
        start = crate::rt::rfind(crate::rt::head(text, start).trim_end(), b'\n').unwrap_or(0);
    }
    let tail = crate::rt::tail(text, start).trim_start();
    let cut = tail.len().saturating_sub(200);
    if tail.is_empty() { "no log" } else { tail.get(cut..).unwrap_or(tail) }
}

/// Best effort: RLIMIT_MEMLOCK to infinity, else the soft limit to the hard one.
fn raise_memlock() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    if setrlimit(Resource::Memlock, Rlimit { current: None, maximum: None }).is_err() {
        let hard = getrlimit(Resource::Memlock).maximum;
        let _ = setrlimit(Resource::Memlock, Rlimit { current: hard, maximum: hard });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_the_reason() {
        let log = b"0: (b7) r0 = 1\n1: (95) exit\nR0 !read_ok\nprocessed 2 insns\n\0\0junk";
        assert_eq!(log_tail(log), "R0 !read_ok\nprocessed 2 insns");
        assert_eq!(log_tail(b"\0"), "no log");
        assert_eq!(log_tail(b"only line"), "only line");
    }

    #[test]
    fn rejected_program_reports_the_verifier() {
        // Falls off the end: the verifier refuses it and says so.
        let insns = [BpfInsn::new(0xb7, 0, 0, 0, 1)];
        let e = load(&insns).unwrap_err().to_string();
        assert!(e.starts_with("load the device program (1 instructions; verifier: "), "{e}");
    }
}
