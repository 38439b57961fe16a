//! perf_event_open: a counter of a tracepoint for the calling process (rsrun's --trace counts its
//! own syscalls with the `raw_syscalls:sys_enter` tracepoint).
//!
//! Only what counting needs: the first 64 bytes of `perf_event_attr` (PERF_ATTR_SIZE_VER0; the
//! kernel takes a short struct as zero-filled), no sampling, no ring buffer. `read(2)` of the fd
//! gives the count as one u64 (read_format 0).
use crate::{Result, raw};
use linux_raw_sys::general::__NR_perf_event_open;
use rustix::fd::{FromRawFd, OwnedFd};

/// `perf_event_attr.type` of a tracepoint event; `config` is then the tracepoint's id (the `id`
/// file of `events/<system>/<event>/` in tracefs).
pub const PERF_TYPE_TRACEPOINT: u32 = 2;

bitflags::bitflags! {
    /// The `flags` argument of perf_event_open.
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub struct PerfFlags: u32 {
        /// PERF_FLAG_FD_CLOEXEC: the new fd is close-on-exec.
        const FD_CLOEXEC = 8;
    }
}

bitflags::bitflags! {
    /// The bit field of `perf_event_attr` (the kernel's `disabled:1, inherit:1, ...`).
    #[derive(Copy, Clone, Eq, PartialEq, Debug, Default)]
    pub struct AttrBits: u64 {
        /// Created stopped (enable with an ioctl).
        const DISABLED = 1 << 0;
        /// Children created after this call count too (into this event).
        const INHERIT = 1 << 1;
        /// Do not count in user mode.
        const EXCLUDE_USER = 1 << 4;
        /// Do not count in kernel mode (a tracepoint fires in the kernel: it would never count).
        const EXCLUDE_KERNEL = 1 << 5;
    }
}

/// `struct perf_event_attr`, its PERF_ATTR_SIZE_VER0 part.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PerfEventAttr {
    pub type_: u32,
    /// Size of this struct: set by `new`.
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub bits: AttrBits,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
}

impl PerfEventAttr {
    /// A counting (not sampling) event of `type_` and `config`, enabled at once.
    pub fn new(type_: u32, config: u64) -> Self {
        Self { type_, size: core::mem::size_of::<Self>() as u32, config, ..Self::default() }
    }
}

/// `syscall(SYS_perf_event_open, attr, pid, cpu, -1, flags)`: a performance counter measuring
/// process `pid` (0 = the caller) on `cpu` (-1 = any CPU), without a group. Reading the fd gives
/// the count so far.
///
/// # References
/// - [perf_event_open(2)](https://man7.org/linux/man-pages/man2/perf_event_open.2.html)
pub fn perf_event_open(attr: &PerfEventAttr, pid: i32, cpu: i32, flags: PerfFlags) -> Result<OwnedFd> {
    // SAFETY: `attr` is a valid perf_event_attr of the size it declares; the kernel only reads it
    // (it writes `size` back only on E2BIG, into our own copy's memory, which stays valid).
    let fd = unsafe {
        raw::syscall5(
            __NR_perf_event_open,
            attr as *const PerfEventAttr as usize,
            pid as isize as usize,
            cpu as isize as usize,
            usize::MAX, // group_fd -1
            flags.bits() as usize,
        )
    }?;
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw_syscalls:sys_enter id from a mounted tracefs, or from a detached tracefs mount.
    fn sys_enter_id() -> Option<u64> {
        for p in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
            if let Ok(s) = std::fs::read_to_string(format!("{p}/events/raw_syscalls/sys_enter/id")) {
                return s.trim().parse().ok();
            }
        }
        use rustix::mount::*;
        let fs = fsopen(c"tracefs", FsOpenFlags::FSOPEN_CLOEXEC).ok()?;
        fsconfig_create(&fs).ok()?;
        let m = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty()).ok()?;
        let f = rustix::fs::openat(&m, c"events/raw_syscalls/sys_enter/id", rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()).ok()?;
        let mut b = [0u8; 32];
        let n = rustix::io::read(&f, &mut b).ok()?;
        std::str::from_utf8(&b[..n]).ok()?.trim().parse().ok()
    }

    fn count(fd: &OwnedFd) -> u64 {
        let mut b = [0u8; 8];
        assert_eq!(rustix::io::read(fd, &mut b).unwrap(), 8);
        u64::from_ne_bytes(b)
    }

    /// Counts exactly the syscalls of this thread between two reads (each read counts itself).
    #[test]
    fn counts_own_syscalls() {
        let Some(id) = sys_enter_id() else {
            eprintln!("skipped: no tracefs (not root?)");
            return;
        };
        let attr = PerfEventAttr::new(PERF_TYPE_TRACEPOINT, id);
        assert_eq!(attr.size, 64);
        // pid 0: this thread only (the test harness runs other threads beside it).
        let fd = match perf_event_open(&attr, 0, -1, PerfFlags::FD_CLOEXEC) {
            Ok(fd) => fd,
            Err(e) => {
                eprintln!("skipped: perf_event_open: {e}");
                return;
            }
        };
        let before = count(&fd);
        for _ in 0..10 {
            let _ = rustix::process::getppid();
        }
        let after = count(&fd);
        assert_eq!(after - before, 11, "10 getppid + the second read");
        let flags = rustix::io::fcntl_getfd(&fd).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
    }

    #[test]
    fn bad_tracepoint_is_an_error() {
        let attr = PerfEventAttr::new(PERF_TYPE_TRACEPOINT, u64::MAX);
        assert!(perf_event_open(&attr, 0, -1, PerfFlags::FD_CLOEXEC).is_err());
    }
}
