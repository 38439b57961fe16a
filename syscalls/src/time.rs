//! Clocks: clock_gettime as a plain syscall.
//!
//! rustix's `time::clock_gettime` calls the vDSO. To find it, its first call reads the auxiliary
//! vector with `prctl(PR_GET_AUXV)` or, before Linux 6.4, by opening `/proc/self/auxv` (which may
//! not be mounted in a container being set up), and it panics if the clock call fails. rsrun reads
//! the clock a few times per verb (log lines, `created` in state.json), where one syscall is cheaper
//! than that set-up.
use crate::{Result, raw};
use linux_raw_sys::general::__NR_clock_gettime;
pub use rustix::time::{ClockId, Timespec};

/// `syscall(SYS_clock_gettime, id, &timespec)`: the current time of a clock, e.g.
/// `ClockId::Realtime` (wall clock), `ClockId::Monotonic` or `ClockId::Boottime` (includes suspend).
///
/// # References
/// - [clock_gettime(2)](https://man7.org/linux/man-pages/man2/clock_gettime.2.html)
pub fn clock_gettime(id: ClockId) -> Result<Timespec> {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a writable __kernel_timespec (two i64 on x86_64).
    unsafe { raw::syscall2(__NR_clock_gettime, id as usize, core::ptr::addr_of_mut!(ts) as usize) }?;
    Ok(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_agree_with_std() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let rt = clock_gettime(ClockId::Realtime).unwrap();
        assert!((rt.tv_sec - now).abs() <= 1, "{} vs {now}", rt.tv_sec);
        assert!((0..1_000_000_000).contains(&rt.tv_nsec));
        let m1 = clock_gettime(ClockId::Monotonic).unwrap();
        let boot = clock_gettime(ClockId::Boottime).unwrap();
        let m2 = clock_gettime(ClockId::Monotonic).unwrap();
        assert!((m2.tv_sec, m2.tv_nsec) >= (m1.tv_sec, m1.tv_nsec));
        assert!(boot.tv_sec >= m1.tv_sec);
    }
}
