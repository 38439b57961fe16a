//! seccomp(2): install a classic-BPF syscall filter, probe actions, read notification sizes.
//!
//! linux-raw-sys only has these constants behind its `ptrace` feature, so the few we need are
//! defined here (values from <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>).
use crate::{Result, raw};
use linux_raw_sys::general::__NR_seccomp;
use rustix::fd::{FromRawFd, OwnedFd};

const SECCOMP_SET_MODE_FILTER: usize = 1;
const SECCOMP_GET_ACTION_AVAIL: usize = 2;
const SECCOMP_GET_NOTIF_SIZES: usize = 3;

/// `AUDIT_ARCH_X86_64`: `seccomp_data.arch` of x86_64 and x32 syscalls.
pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
/// `AUDIT_ARCH_I386`: `seccomp_data.arch` of 32-bit x86 syscalls.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `__X32_SYSCALL_BIT`: set in the syscall number of every x32 syscall.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// `SECCOMP_RET_*`: the action a filter returns (high 16 bits) with its data (low 16 bits).
pub const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const SECCOMP_RET_KILL_THREAD: u32 = 0;
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
pub const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
pub const SECCOMP_RET_USER_NOTIF: u32 = 0x7FC0_0000;
pub const SECCOMP_RET_TRACE: u32 = 0x7FF0_0000;
pub const SECCOMP_RET_LOG: u32 = 0x7FFC_0000;
pub const SECCOMP_RET_ALLOW: u32 = 0x7FFF_0000;
/// Mask of the data (errno, trace message) in a `SECCOMP_RET_*` value.
pub const SECCOMP_RET_DATA: u32 = 0xFFFF;

/// Longest program the kernel accepts (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;

bitflags::bitflags! {
    /// `SECCOMP_FILTER_FLAG_*` for `SECCOMP_SET_MODE_FILTER`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct FilterFlags: u32 {
        /// Apply the filter to every thread of the process.
        const TSYNC = 1;
        /// Log every action except ALLOW.
        const LOG = 2;
        /// Keep speculative store bypass mitigation off.
        const SPEC_ALLOW = 4;
        /// Return a user-notification fd (needed by `SECCOMP_RET_USER_NOTIF`).
        const NEW_LISTENER = 8;
        /// With TSYNC: fail with ESRCH instead of returning a thread id.
        const TSYNC_ESRCH = 16;
        /// Notified tasks wait killable once the supervisor has received the notification.
        const WAIT_KILLABLE_RECV = 32;
    }
}

/// `struct sock_filter`: one classic-BPF instruction.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// `syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog)`: attaches `prog` to the calling
/// thread (every thread with `TSYNC`). With `NEW_LISTENER` the kernel returns the notification fd,
/// handed back here as `Some`. The caller needs `no_new_privs` or `CAP_SYS_ADMIN`.
///
/// # References
/// - [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)
pub fn seccomp_set_mode_filter(flags: FilterFlags, prog: &[SockFilter]) -> Result<Option<OwnedFd>> {
    let len = u16::try_from(prog.len()).map_err(|_| crate::Errno::INVAL)?;
    let fprog = SockFprog { len, filter: prog.as_ptr() };
    // SAFETY: fprog points at `len` valid instructions that outlive the call; the kernel copies them.
    let ret = unsafe {
        raw::syscall3(
            __NR_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags.bits() as usize,
            &fprog as *const SockFprog as usize,
        )?
    };
    if flags.contains(FilterFlags::NEW_LISTENER) {
        // SAFETY: with NEW_LISTENER a successful call returns a new fd that we now own.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(ret as i32) }))
    } else {
        Ok(None)
    }
}

/// `syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action)`: succeeds if the kernel knows the
/// `SECCOMP_RET_*` action (EOPNOTSUPP if not).
///
/// # References
/// - [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)
pub fn seccomp_get_action_avail(action: u32) -> Result<()> {
    // SAFETY: the kernel reads one u32 from a valid pointer.
    unsafe { raw::syscall3(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action as *const u32 as usize)? };
    Ok(())
}

/// `struct seccomp_notif_sizes`: sizes the kernel uses for the user-notification structures.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifSizes {
    pub seccomp_notif: u16,
    pub seccomp_notif_resp: u16,
    pub seccomp_data: u16,
}

/// `syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes)`.
///
/// # References
/// - [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html)
pub fn seccomp_get_notif_sizes() -> Result<NotifSizes> {
    let mut sizes = NotifSizes::default();
    // SAFETY: the kernel writes a struct seccomp_notif_sizes into valid memory.
    unsafe { raw::syscall3(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &mut sizes as *mut NotifSizes as usize)? };
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notif_sizes_are_plausible() {
        let s = seccomp_get_notif_sizes().unwrap();
        assert!(s.seccomp_data >= 64, "{s:?}");
        assert!(s.seccomp_notif > s.seccomp_data);
    }

    #[test]
    fn actions_are_known() {
        for a in [SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG] {
            seccomp_get_action_avail(a).unwrap();
        }
        assert!(seccomp_get_action_avail(0x1234_0000).is_err());
    }

    #[test]
    fn empty_program_is_rejected() {
        assert_eq!(seccomp_set_mode_filter(FilterFlags::empty(), &[]).unwrap_err(), crate::Errno::INVAL);
    }
}
