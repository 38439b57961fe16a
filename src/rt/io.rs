//! Whole-file reads for small files: config.json, state.json, procfs and cgroup files. Shared by
//! every layer (state, cgroups, init, the verbs), so it lives with the other libc-like helpers.
use crate::rt::cs;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// Reads a whole small file relative to `dir`. A read shorter than the space offered is taken as
/// the end of the file: true for regular files and for the procfs files read here, and it saves
/// the final empty read.
pub fn read_at(dir: BorrowedFd<'_>, name: &str) -> core::result::Result<Vec<u8>, Errno> {
    read_at_with(dir, name, OFlags::empty())
}

/// `read_at` of a file that must not be a symlink (ELOOP if it is).
pub fn read_at_nofollow(dir: BorrowedFd<'_>, name: &str) -> core::result::Result<Vec<u8>, Errno> {
    read_at_with(dir, name, OFlags::NOFOLLOW)
}

fn read_at_with(dir: BorrowedFd<'_>, name: &str, flags: OFlags) -> core::result::Result<Vec<u8>, Errno> {
    let fd = rustix::fs::openat(dir, cs(name), OFlags::RDONLY | OFlags::CLOEXEC | flags, Mode::empty())?;
    let data = read_fd(fd.as_fd());
    crate::rt::done_with(fd);
    data
}

/// Reads `fd` to its end with the short-read rule of `read_at`: only for regular files and for
/// kernel files made of one record (/proc/<pid>/stat, a cgroup value, /proc/self/cgroup). A file
/// of many records (mountinfo, cgroup.procs) hands out a page at a time: `read_fd_all`.
pub fn read_fd(fd: BorrowedFd<'_>) -> core::result::Result<Vec<u8>, Errno> {
    read_until(fd, true)
}

/// Reads `fd` until a read returns 0: any file, one read more than `read_fd`.
pub fn read_fd_all(fd: BorrowedFd<'_>) -> core::result::Result<Vec<u8>, Errno> {
    read_until(fd, false)
}

fn read_until(fd: BorrowedFd<'_>, short_is_end: bool) -> core::result::Result<Vec<u8>, Errno> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let spare = buf.spare_capacity_mut();
        let want = spare.len();
        let n = match rustix::io::read(fd, spare) {
            Ok((init, _)) => init.len(),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        // SAFETY: `read` initialized the first n bytes of the spare capacity.
        unsafe { buf.set_len(buf.len() + n) };
        if n == 0 || (short_is_end && n < want) {
            return Ok(buf);
        }
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(buf.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seq file hands out a page at a time: read_fd_all reads all of it.
    #[test]
    fn read_fd_reads_a_long_seq_file_whole() {
        for path in ["/proc/self/mountinfo", "/proc/self/maps", "/proc/self/smaps", "/proc/cpuinfo"] {
            let want = std::fs::read(path).unwrap();
            let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).unwrap();
            let got = read_fd_all(fd.as_fd()).unwrap();
            // /proc/self/* describe the reading process, which changes a little between the reads.
            assert!(got.len() * 10 >= want.len() * 9, "{path}: {} of {} bytes", got.len(), want.len());
            assert!(got.ends_with(b"\n"), "{path} cut short");
        }
    }
}
