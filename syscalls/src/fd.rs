//! File descriptor ranges (close_range) and one directory read (getdents64).
use crate::{Result, raw};
use linux_raw_sys::general::{__NR_close_range, __NR_getdents64};
use rustix::fd::{AsRawFd, BorrowedFd};

bitflags::bitflags! {
    /// `CLOSE_RANGE_*` flags for [`close_range`]. linux-raw-sys 0.12 lacks `CLOSE_RANGE_CLOEXEC`;
    /// both values are from `<linux/close_range.h>`.
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct CloseRangeFlags: u32 {
        /// `CLOSE_RANGE_UNSHARE`: unshare the fd table first (matters only with `CLONE_FILES`).
        const UNSHARE = 1 << 1;
        /// `CLOSE_RANGE_CLOEXEC`: mark the fds close-on-exec instead of closing them (Linux 5.11).
        const CLOEXEC = 1 << 2;
    }
}

/// `syscall(SYS_close_range, first, last, flags)`: closes, or with [`CloseRangeFlags::CLOEXEC`]
/// marks close-on-exec, every open fd from `first` to `last` inclusive (`u32::MAX` = all above
/// `first`) in one syscall. The container init uses CLOEXEC on `3 + preserve_fds ..` before execve.
///
/// # Safety
/// Without [`CloseRangeFlags::CLOEXEC`], no fd in the range may be owned by anything still in use
/// (an `OwnedFd`, a `File`, ...): it would then refer to a closed or reused number.
///
/// # References
/// - [close_range(2)](https://man7.org/linux/man-pages/man2/close_range.2.html)
pub unsafe fn close_range(first: u32, last: u32, flags: CloseRangeFlags) -> Result<()> {
    // SAFETY: close_range takes integers; the caller vouches for the fds it closes.
    unsafe { raw::syscall3(__NR_close_range, first as usize, last as usize, flags.bits() as usize) }.map(drop)
}

/// `syscall(SYS_getdents64, fd, buf, buf.len())`: reads as many `struct linux_dirent64` records
/// of the directory `fd` as fit in `buf`, from the fd's position; returns the bytes written, 0 at
/// the end. One call, where rustix's `RawDir` always reads on until 0: a caller that can tell the
/// listing is whole (see the container init's /proc names) spares that last call.
///
/// # References
/// - [getdents64(2)](https://man7.org/linux/man-pages/man2/getdents64.2.html)
pub fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: buf is valid for writes of buf.len() bytes; the kernel writes at most that many.
    unsafe { raw::syscall3(__NR_getdents64, fd.as_raw_fd() as usize, buf.as_mut_ptr() as usize, buf.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Errno;
    use crate::process::CloneFlags;
    use crate::testutil::exit_code_in_child;
    use rustix::fd::{AsRawFd, IntoRawFd};
    use rustix::fs::{Mode, OFlags, open};
    use rustix::io::{FdFlags, fcntl_getfd};

    #[test]
    fn close_range_cloexec_then_close() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            // Three fds without O_CLOEXEC, given up by their OwnedFds so close_range may close them.
            let mut fds = [0u32; 3];
            for fd in &mut fds {
                let Ok(f) = open(c"/dev/null", OFlags::RDONLY, Mode::empty()) else { return 1 };
                *fd = f.into_raw_fd() as u32;
            }
            let (lo, hi) = (fds[0].min(fds[2]), fds[0].max(fds[2]));
            // SAFETY: CLOEXEC closes nothing.
            if unsafe { close_range(lo, hi, CloseRangeFlags::CLOEXEC) }.is_err() {
                return 2;
            }
            for fd in fds {
                // SAFETY: the fd is open and owned by this test.
                let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd as i32) };
                if fcntl_getfd(fd).ok() != Some(FdFlags::CLOEXEC) {
                    return 3;
                }
            }
            // SAFETY: the fds in lo..=hi are ours (given up above); anything else above them in this
            // single-threaded child is unused after this point.
            if unsafe { close_range(lo, u32::MAX, CloseRangeFlags::UNSHARE) }.is_err() {
                return 4;
            }
            // SAFETY: only used to probe a closed number.
            let probe = unsafe { rustix::fd::BorrowedFd::borrow_raw(lo as i32) };
            if fcntl_getfd(probe) != Err(Errno::BADF) {
                return 5;
            }
            0
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn close_range_rejects_inverted_range() {
        let f = open(c"/dev/null", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        let fd = f.as_raw_fd() as u32;
        // SAFETY: an inverted range fails before touching any fd.
        assert_eq!(unsafe { close_range(fd, fd - 1, CloseRangeFlags::empty()) }, Err(Errno::INVAL));
    }

    #[test]
    fn getdents64_reads_records_until_zero() {
        let d = open(c"/proc", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        let mut buf = [0u8; 4096];
        let mut names = Vec::new();
        loop {
            let n = getdents64(rustix::fd::AsFd::as_fd(&d), &mut buf).unwrap();
            if n == 0 {
                break;
            }
            let mut at = 0;
            while at < n {
                // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
                let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                let name = &buf[at + 19..at + reclen];
                let end = name.iter().position(|&b| b == 0).unwrap();
                names.push(String::from_utf8(name[..end].to_vec()).unwrap());
                at += reclen;
            }
        }
        for want in [".", "..", "self", "mounts"] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
    }
}
