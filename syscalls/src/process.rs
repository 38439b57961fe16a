//! Process lifetime: exit_group.
use crate::raw;
use linux_raw_sys::general::__NR_exit_group;

/// `syscall(SYS_exit_group, status)`: ends every thread of the calling process.
///
/// # References
/// - [exit_group(2)](https://man7.org/linux/man-pages/man2/exit_group.2.html)
pub fn exit_group(status: i32) -> ! {
    // SAFETY: exit_group takes a plain integer and does not return.
    let _ = unsafe { raw::syscall1(__NR_exit_group, status as usize) };
    // SAFETY: exit_group never returns; the kernel ends the process.
    unsafe { core::hint::unreachable_unchecked() }
}
