//! The few syscalls the process setup needs that rustix lacks, as thin private wrappers.
//!
//! TODO: switch to the `syscalls` crate's wrappers (`process::execve`, `fd::close_range`,
//! `signal::rt_sigprocmask`, `sched::{sched_setattr, ioprio_set, set_mempolicy}`,
//! `process::personality`) once the syscalls branch is merged, and delete this file.
use core::ffi::{CStr, c_char};
use linux_raw_sys::general::{
    __NR_close_range, __NR_execve, __NR_ioprio_set, __NR_personality, __NR_rt_sigprocmask, __NR_sched_setattr,
    __NR_set_mempolicy, SIG_SETMASK,
};
use rustix::io::Errno;
use syscalls::raw;

type Result<T> = core::result::Result<T, Errno>;

/// `syscall(SYS_execve, path, argv, envp)`: returns only on failure, with the error.
///
/// # Safety
/// `argv` and `envp` must be NULL-terminated arrays of pointers to NUL-terminated strings.
pub unsafe fn execve(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: the caller vouches for the arrays; `path` is a C string.
    let r = unsafe { raw::syscall3(__NR_execve, path.as_ptr() as usize, argv as usize, envp as usize) };
    r.err().unwrap_or(Errno::INVAL)
}

/// `CLOSE_RANGE_CLOEXEC` (`<linux/close_range.h>`; missing from linux-raw-sys 0.12).
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// `syscall(SYS_close_range, first, ~0U, flags)`: closes, or with CLOSE_RANGE_CLOEXEC marks
/// close-on-exec, every fd from `first` up.
///
/// # Safety
/// Without CLOSE_RANGE_CLOEXEC no fd from `first` up may be used again through anything that owns it.
pub unsafe fn close_range_from(first: u32, flags: u32) -> Result<()> {
    // SAFETY: integers only; the caller vouches for the fds closed.
    unsafe { raw::syscall3(__NR_close_range, first as usize, u32::MAX as usize, flags as usize) }.map(drop)
}

/// `syscall(SYS_rt_sigprocmask, SIG_SETMASK, &0, NULL, 8)`: unblocks every signal. The blocked mask
/// survives execve, and `rsrun run` blocks the signals it forwards.
pub fn unblock_all_signals() -> Result<()> {
    let empty: u64 = 0;
    // SAFETY: `empty` is a live 8-byte sigset, the size passed; no old set is requested.
    unsafe { raw::syscall4(__NR_rt_sigprocmask, SIG_SETMASK as usize, &empty as *const u64 as usize, 0, 8) }
        .map(drop)
}

/// The kernel's `struct sched_attr` (SCHED_ATTR_SIZE_VER1, 56 bytes).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SchedAttr {
    pub size: u32,
    pub policy: u32,
    pub flags: u64,
    pub nice: i32,
    pub priority: u32,
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
    pub util_min: u32,
    pub util_max: u32,
}

const _: () = assert!(core::mem::size_of::<SchedAttr>() == 56);

/// `syscall(SYS_sched_setattr, 0, &attr, 0)`: the calling thread's policy and parameters at once.
pub fn sched_setattr(attr: &SchedAttr) -> Result<()> {
    let mut a = *attr;
    a.size = core::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: `a` is a complete sched_attr whose size field says how long it is.
    unsafe { raw::syscall3(__NR_sched_setattr, 0, &a as *const SchedAttr as usize, 0) }.map(drop)
}

/// `syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, class << 13 | level)` for the calling thread.
pub fn ioprio_set(class: u32, level: u32) -> Result<()> {
    // SAFETY: integers only.
    unsafe { raw::syscall3(__NR_ioprio_set, 1, 0, (class << 13 | level) as usize) }.map(drop)
}

/// `syscall(SYS_personality, persona)`.
pub fn personality(persona: u32) -> Result<()> {
    // SAFETY: an integer only.
    unsafe { raw::syscall1(__NR_personality, persona as usize) }.map(drop)
}

/// `syscall(SYS_set_mempolicy, mode | flags, nodemask, maxnode)`; an empty mask passes NULL.
pub fn set_mempolicy(mode_and_flags: u32, nodemask: &[u64]) -> Result<()> {
    // The kernel reads maxnode - 1 bits (libnuma adds the same 1).
    let (ptr, maxnode) = if nodemask.is_empty() { (0, 0) } else { (nodemask.as_ptr() as usize, nodemask.len() * 64 + 1) };
    // SAFETY: `ptr` is NULL or points to `nodemask`, which holds maxnode - 1 bits.
    unsafe { raw::syscall3(__NR_set_mempolicy, mode_and_flags as usize, ptr, maxnode) }.map(drop)
}
