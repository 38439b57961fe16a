//! Namespace fds: NS_GET_NSTYPE. Joining (`setns`) and leaving (`unshare`) are in `rustix::thread`
//! (`move_into_thread_name_spaces` takes a pidfd and several `CLONE_NEW*` types at once).
use crate::process::CloneFlags;
use crate::{Result, raw};
use linux_raw_sys::general::__NR_ioctl;
use linux_raw_sys::ioctl::NS_GET_NSTYPE;
use rustix::fd::{AsFd, AsRawFd};

/// `ioctl(fd, NS_GET_NSTYPE)`: the type of the namespace behind a `/proc/PID/ns/*` fd, as the
/// `CLONE_NEW*` flag that creates such a namespace. Lets the runtime check that a configured
/// namespace path is of the configured type before it forks. `ENOTTY` if `fd` is no namespace.
///
/// # References
/// - [ioctl_nsfs(2)](https://man7.org/linux/man-pages/man2/ioctl_nsfs.2.html)
pub fn ioctl_ns_get_nstype(fd: impl AsFd) -> Result<CloneFlags> {
    let fd = fd.as_fd().as_raw_fd();
    // SAFETY: NS_GET_NSTYPE takes no argument and returns an integer.
    let ty = unsafe { raw::syscall2(__NR_ioctl, fd as usize, NS_GET_NSTYPE as usize) }?;
    Ok(CloneFlags::from_bits_retain(ty as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Errno;
    use rustix::fs::{Mode, OFlags, open};

    fn nstype(path: &core::ffi::CStr) -> Result<CloneFlags> {
        let fd = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        ioctl_ns_get_nstype(&fd)
    }

    #[test]
    fn ns_get_nstype_of_proc_self_ns() {
        assert_eq!(nstype(c"/proc/self/ns/uts"), Ok(CloneFlags::NEWUTS));
        assert_eq!(nstype(c"/proc/self/ns/net"), Ok(CloneFlags::NEWNET));
        assert_eq!(nstype(c"/proc/self/ns/mnt"), Ok(CloneFlags::NEWNS));
        assert_eq!(nstype(c"/proc/self/ns/user"), Ok(CloneFlags::NEWUSER));
        assert_eq!(nstype(c"/proc/self/ns/pid"), Ok(CloneFlags::NEWPID));
        assert_eq!(nstype(c"/proc/self/ns/cgroup"), Ok(CloneFlags::NEWCGROUP));
        assert_eq!(nstype(c"/proc/self/ns/ipc"), Ok(CloneFlags::NEWIPC));
        assert_eq!(nstype(c"/proc/self/ns/time"), Ok(CloneFlags::NEWTIME));
        assert_eq!(nstype(c"/dev/null"), Err(Errno::NOTTY));
    }
}
