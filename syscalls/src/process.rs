//! Process lifetime: clone3 with fork semantics, execve, execveat, exit_group, personality.
use crate::{Errno, Result, raw};
use core::ffi::{CStr, c_char};
use linux_raw_sys::general::{
    __NR_clone, __NR_clone3, __NR_execve, __NR_execveat, __NR_exit_group, __NR_personality, CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP,
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
    CLONE_PARENT, CLONE_PIDFD, clone_args,
};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::fs::AtFlags;
use rustix::process::{Pid, Signal};

bitflags::bitflags! {
    /// `CLONE_*` flags accepted by [`clone3`].
    ///
    /// Only flags that keep fork semantics are here: new namespaces and the relation to the parent.
    /// Flags that would share memory, file tables or signal handlers with the parent (`CLONE_VM`,
    /// `CLONE_FILES`, `CLONE_SIGHAND`, `CLONE_THREAD`, `CLONE_VFORK`, ...) are not, and [`clone3`]
    /// drops any bit not named here. `CLONE_INTO_CGROUP` is set by [`clone3`] when
    /// [`CloneArgs::cgroup`] is given.
    ///
    /// [`ioctl_ns_get_nstype`](crate::ns::ioctl_ns_get_nstype) also returns its namespace type as
    /// one of the `NEW*` flags.
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct CloneFlags: u64 {
        /// `CLONE_NEWNS`: a new mount namespace.
        const NEWNS = CLONE_NEWNS as u64;
        /// `CLONE_NEWPID`: a new PID namespace; the child is its pid 1.
        const NEWPID = CLONE_NEWPID as u64;
        /// `CLONE_NEWNET`: a new network namespace.
        const NEWNET = CLONE_NEWNET as u64;
        /// `CLONE_NEWIPC`: a new IPC namespace.
        const NEWIPC = CLONE_NEWIPC as u64;
        /// `CLONE_NEWUTS`: a new UTS namespace (hostname, domainname).
        const NEWUTS = CLONE_NEWUTS as u64;
        /// `CLONE_NEWUSER`: a new user namespace, created before the other namespaces.
        const NEWUSER = CLONE_NEWUSER as u64;
        /// `CLONE_NEWCGROUP`: a new cgroup namespace rooted at the child's cgroup.
        const NEWCGROUP = CLONE_NEWCGROUP as u64;
        /// `CLONE_NEWTIME`: a new time namespace, which the child is in at once, so its offsets
        /// can no longer be written (`EACCES`). For OCI `timeOffsets`: `unshare(CLONE_NEWTIME)`,
        /// write `/proc/self/timens_offsets`, then fork or execve (both enter it).
        const NEWTIME = CLONE_NEWTIME as u64;
        /// `CLONE_PIDFD`: return a pidfd for the child in [`Fork::Parent::pidfd`].
        const PIDFD = CLONE_PIDFD as u64;
        /// `CLONE_PARENT`: the child's parent is the caller's parent, not the caller.
        const PARENT = CLONE_PARENT as u64;
        /// `CLONE_CLEAR_SIGHAND`: signals with a handler are reset to `SIG_DFL` in the child.
        const CLEAR_SIGHAND = CLONE_CLEAR_SIGHAND;
    }
}

/// What [`clone3`] creates.
#[derive(Copy, Clone, Debug)]
pub struct CloneArgs<'a> {
    /// Namespaces to create and relations to set up.
    pub flags: CloneFlags,
    /// A cgroup v2 directory fd: the child starts in that cgroup (`CLONE_INTO_CGROUP`).
    pub cgroup: Option<BorrowedFd<'a>>,
    /// The signal the parent receives when the child ends. With `None` it gets none, and only
    /// `waitid` with `__WALL` (or `__WCLONE`) reaps the child.
    pub exit_signal: Option<Signal>,
}

impl CloneArgs<'_> {
    /// Arguments for a plain fork with `flags`: no cgroup, `SIGCHLD` on exit.
    pub const fn new(flags: CloneFlags) -> Self {
        Self { flags, cgroup: None, exit_signal: Some(Signal::CHILD) }
    }
}

/// Which side of [`clone3`] the caller is on.
#[derive(Debug)]
pub enum Fork {
    /// In the new process.
    Child,
    /// In the calling process.
    Parent {
        /// The child's pid, as seen from the caller's PID namespace.
        pid: Pid,
        /// The child's pidfd if [`CloneFlags::PIDFD`] was given.
        pidfd: Option<OwnedFd>,
    },
}

/// `syscall(SYS_clone3, &clone_args, sizeof clone_args)` with `stack = 0`: creates a child process
/// the way `fork` does, optionally in new namespaces, in a given cgroup and with a pidfd.
///
/// Why a plain function is sound: without `CLONE_VM` and with a zero stack, the child gets a copy of
/// the caller's whole address space, including this function's stack frame, and resumes at the same
/// instruction with the same registers except `rax` (0). Each process therefore sees one ordinary
/// return from the `syscall` instruction, on its own copy of memory, so no `returns_twice` handling
/// and no separate child stack are needed. [`CloneFlags`] cannot express the flags that would break
/// this (`CLONE_VM`, `CLONE_VFORK`, `CLONE_SETTLS`, ...).
///
/// # Safety
/// The child has only the calling thread. If the process has other threads, they may hold locks
/// (allocator, stdio) or be half-way through updating shared data, so until it calls `execve` or
/// [`exit_group`], the child must not touch anything they may have owned. rsrun is single-threaded.
///
/// # References
/// - [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html)
pub unsafe fn clone3(args: &CloneArgs<'_>) -> Result<Fork> {
    let mut flags = args.flags.bits() & CloneFlags::all().bits();
    if args.cgroup.is_some() {
        flags |= CLONE_INTO_CGROUP;
    }
    let mut pidfd: i32 = -1;
    let cargs = clone_args {
        flags,
        pidfd: core::ptr::addr_of_mut!(pidfd) as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: args.exit_signal.map_or(0, |s| s.as_raw() as u64),
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: args.cgroup.map_or(0, |fd| fd.as_raw_fd() as u64),
    };
    let size = core::mem::size_of::<clone_args>();
    // SAFETY: `cargs` is a complete clone_args of `size` bytes; the kernel writes the pidfd into the
    // live local `pidfd`. The flags cannot share memory with the child (see above).
    let ret = unsafe { raw::syscall2(__NR_clone3, core::ptr::addr_of!(cargs) as usize, size) }?;
    if ret == 0 {
        return Ok(Fork::Child);
    }
    let pidfd = if flags & CLONE_PIDFD as u64 != 0 {
        // SAFETY: with CLONE_PIDFD the kernel stored a new fd that nothing else owns.
        Some(unsafe { OwnedFd::from_raw_fd(pidfd) })
    } else {
        None
    };
    let pid = Pid::from_raw(ret as i32).ok_or(Errno::INVAL)?;
    Ok(Fork::Parent { pid, pidfd })
}

/// `syscall(SYS_clone, flags | exit_signal, 0, &pidfd, 0, 0)`: the older clone, for where
/// [`clone3`] is refused: a seccomp profile written before clone3 existed denies it (docker's own
/// default makes it fail with `ENOSYS` so that programs fall back to this call). Same fork
/// semantics (zero stack, nothing shared) and flags, except that `clone` has no
/// `CLONE_INTO_CGROUP` and no flag above bit 31 (`EINVAL` without a syscall for
/// [`CloneArgs::cgroup`] or [`CloneFlags::CLEAR_SIGHAND`]).
///
/// # Safety
/// As for [`clone3`].
///
/// # References
/// - [clone(2)](https://man7.org/linux/man-pages/man2/clone.2.html)
pub unsafe fn clone(args: &CloneArgs<'_>) -> Result<Fork> {
    let flags = args.flags.bits() & CloneFlags::all().bits();
    if args.cgroup.is_some() || flags > u32::MAX as u64 {
        return Err(Errno::INVAL);
    }
    let exit_signal = args.exit_signal.map_or(0, |s| s.as_raw() as u64);
    let mut pidfd: i32 = -1;
    // SAFETY: x86_64 argument order (flags, stack, parent_tid, child_tid, tls). With CLONE_PIDFD the
    // kernel writes the pidfd through the parent_tid pointer, into the live local `pidfd`; a zero
    // stack gives fork semantics (see `clone3`).
    let ret = unsafe {
        raw::syscall5(__NR_clone, (flags | exit_signal) as usize, 0, core::ptr::addr_of_mut!(pidfd) as usize, 0, 0)
    }?;
    if ret == 0 {
        return Ok(Fork::Child);
    }
    let pidfd = if flags & CLONE_PIDFD as u64 != 0 {
        // SAFETY: with CLONE_PIDFD the kernel stored a new fd that nothing else owns.
        Some(unsafe { OwnedFd::from_raw_fd(pidfd) })
    } else {
        None
    };
    let pid = Pid::from_raw(ret as i32).ok_or(Errno::INVAL)?;
    Ok(Fork::Parent { pid, pidfd })
}

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

/// Whether `list` is a valid argv/envp array: its last element is the terminating NULL.
fn null_terminated(list: &[*const c_char]) -> bool {
    list.last().is_some_and(|p| p.is_null())
}

/// `syscall(SYS_execve, path, argv, envp)`: replaces the process image with the program at `path`.
///
/// `argv` and `envp` are the kernel's arrays: pointers to NUL-terminated strings, ending with a NULL
/// pointer (checked: `EINVAL` without a syscall otherwise). Returns only on failure, with the error.
///
/// # Safety
/// Every pointer before the final NULL must point to a NUL-terminated string.
///
/// # References
/// - [execve(2)](https://man7.org/linux/man-pages/man2/execve.2.html)
pub unsafe fn execve(path: &CStr, argv: &[*const c_char], envp: &[*const c_char]) -> Errno {
    if !null_terminated(argv) || !null_terminated(envp) {
        return Errno::INVAL;
    }
    // SAFETY: `path` is a C string; the arrays are NULL-terminated arrays of C strings (caller).
    let ret = unsafe { raw::syscall3(__NR_execve, path.as_ptr() as usize, argv.as_ptr() as usize, envp.as_ptr() as usize) };
    // execve returns only on failure.
    ret.err().unwrap_or(Errno::INVAL)
}

/// `syscall(SYS_execveat, dirfd, path, argv, envp, flags)`: like [`execve`], with `path` relative to
/// `dirfd`. With an empty `path` and [`AtFlags::EMPTY_PATH`] it executes `dirfd` itself, e.g. a
/// sealed memfd copy of our own binary (so /proc/self/exe never leads to the host file).
///
/// A close-on-exec `dirfd` works for ELF binaries; for `#!` scripts it fails with `ENOENT` because
/// the interpreter could not open the file after exec.
///
/// # Safety
/// Every pointer before the final NULL of `argv` and `envp` must point to a NUL-terminated string.
///
/// # References
/// - [execveat(2)](https://man7.org/linux/man-pages/man2/execveat.2.html)
pub unsafe fn execveat(
    dirfd: impl AsFd,
    path: &CStr,
    argv: &[*const c_char],
    envp: &[*const c_char],
    flags: AtFlags,
) -> Errno {
    if !null_terminated(argv) || !null_terminated(envp) {
        return Errno::INVAL;
    }
    let dirfd = dirfd.as_fd().as_raw_fd();
    // SAFETY: `dirfd` is open for the call, `path` is a C string, the arrays are NULL-terminated
    // arrays of C strings (caller).
    let ret = unsafe {
        raw::syscall5(
            __NR_execveat,
            dirfd as usize,
            path.as_ptr() as usize,
            argv.as_ptr() as usize,
            envp.as_ptr() as usize,
            flags.bits() as usize,
        )
    };
    // execveat returns only on failure.
    ret.err().unwrap_or(Errno::INVAL)
}

bitflags::bitflags! {
    /// An execution domain (low byte) plus `PER_*` flags, as [`personality`] takes them.
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct Personality: u32 {
        /// `PER_LINUX32`: `uname` reports a 32-bit machine (OCI `linux.personality.domain` LINUX32).
        const LINUX32 = 0x0008;
        /// `ADDR_NO_RANDOMIZE`: no address-space layout randomization.
        const ADDR_NO_RANDOMIZE = 0x0004_0000;
        /// <https://docs.rs/bitflags/*/bitflags/#externally-defined-flags>
        const _ = !0;
    }
}

/// `syscall(SYS_personality, persona)`: sets the process execution domain; returns the previous one.
/// The empty set is `PER_LINUX`, the default.
///
/// # References
/// - [personality(2)](https://man7.org/linux/man-pages/man2/personality.2.html)
pub fn personality(persona: Personality) -> Result<Personality> {
    // SAFETY: personality takes a plain integer.
    let old = unsafe { raw::syscall1(__NR_personality, persona.bits() as usize) }?;
    Ok(Personality::from_bits_retain(old as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{contains, exit_code_in_child, read_file, run_in_child, wait_pidfd};
    use core::ptr::null;
    use rustix::process::{WaitId, WaitIdOptions, waitid};

    #[test]
    fn clone3_child_exit_status_through_pidfd() {
        assert_eq!(exit_code_in_child(CloneFlags::empty(), || 42), 42);
    }

    #[test]
    fn clone_forks_with_a_pidfd() {
        // SAFETY: the child exits at once.
        match unsafe { clone(&CloneArgs::new(CloneFlags::PIDFD)) }.unwrap() {
            Fork::Child => exit_group(9),
            Fork::Parent { pidfd, .. } => {
                let pidfd = pidfd.expect("a pidfd");
                let st = waitid(WaitId::PidFd(pidfd.as_fd()), WaitIdOptions::EXITED).unwrap().unwrap();
                assert_eq!(st.exit_status(), Some(9));
            }
        }
        // SAFETY: only the number is used: the call is refused before any syscall.
        let fd0 = unsafe { BorrowedFd::borrow_raw(0) };
        let with_cgroup = CloneArgs { cgroup: Some(fd0), ..CloneArgs::new(CloneFlags::empty()) };
        // SAFETY: refused before any syscall.
        assert_eq!(unsafe { clone(&with_cgroup) }.err(), Some(Errno::INVAL));
        // SAFETY: as above.
        assert_eq!(unsafe { clone(&CloneArgs::new(CloneFlags::CLEAR_SIGHAND)) }.err(), Some(Errno::INVAL));
    }

    #[test]
    fn clone3_without_pidfd_returns_pid() {
        // SAFETY: the child exits at once.
        match unsafe { clone3(&CloneArgs::new(CloneFlags::empty())) }.unwrap() {
            Fork::Child => exit_group(7),
            Fork::Parent { pid, pidfd } => {
                assert!(pidfd.is_none());
                let status = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()).unwrap().unwrap();
                assert_eq!(status.1.exit_status(), Some(7));
            }
        }
    }

    #[test]
    fn clone3_new_uts_and_mount_namespaces() {
        let before = rustix::system::uname().nodename().to_owned();
        let code = exit_code_in_child(CloneFlags::NEWUTS | CloneFlags::NEWNS, || {
            if rustix::system::sethostname(b"rsrun-test-syscalls").is_err() {
                return 1;
            }
            if rustix::system::uname().nodename().to_bytes() != b"rsrun-test-syscalls" {
                return 2;
            }
            0
        });
        assert_eq!(code, 0);
        assert_eq!(rustix::system::uname().nodename(), before.as_c_str());
    }

    #[test]
    fn clone3_new_pid_namespace_child_is_pid_1() {
        let code = exit_code_in_child(CloneFlags::NEWPID, || rustix::process::getpid().as_raw_nonzero().get());
        assert_eq!(code, 1);
    }

    fn ns_inode(path: &CStr) -> u64 {
        rustix::fs::stat(path).map_or(0, |st| st.st_ino)
    }

    #[test]
    fn clone3_new_time_namespace_holds_the_child_at_once() {
        let parent = (ns_inode(c"/proc/self/ns/time"), ns_inode(c"/proc/self/ns/time_for_children"));
        let code = exit_code_in_child(CloneFlags::NEWTIME, || {
            let (time, for_children) = (ns_inode(c"/proc/self/ns/time"), ns_inode(c"/proc/self/ns/time_for_children"));
            if time == 0 || time == parent.0 || for_children != time {
                return 1;
            }
            // Offsets can only be written before any process has entered the namespace.
            let offsets = rustix::fs::open(c"/proc/self/timens_offsets", rustix::fs::OFlags::WRONLY, rustix::fs::Mode::empty());
            match offsets.and_then(|f| rustix::io::write(f, b"monotonic 100 0\n")) {
                Err(Errno::ACCESS) => 0,
                _ => 2,
            }
        });
        assert_eq!(code, 0);
        assert_eq!(parent.0, parent.1);
    }

    #[test]
    fn clone3_into_cgroup() {
        let name = format!("rsrun-test-syscalls-clone3-{}", std::process::id());
        let dir = std::path::Path::new("/sys/fs/cgroup/unified").join(&name);
        std::fs::create_dir(&dir).unwrap();
        let cg = rustix::fs::open(dir.to_str().unwrap(), rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY, rustix::fs::Mode::empty());
        let cg = cg.unwrap();
        let args = CloneArgs { cgroup: Some(cg.as_fd()), ..CloneArgs::new(CloneFlags::PIDFD) };
        let expected = format!("0::/{name}\n");
        // SAFETY: the child reads a file into a stack buffer and exits.
        let status = match unsafe { clone3(&args) }.unwrap() {
            Fork::Child => {
                let mut buf = [0u8; 4096];
                let ok = read_file(c"/proc/self/cgroup", &mut buf).is_some_and(|s| contains(s, expected.as_bytes()));
                exit_group(if ok { 0 } else { 1 })
            }
            Fork::Parent { pidfd, .. } => wait_pidfd(&pidfd.unwrap()),
        };
        std::fs::remove_dir(&dir).unwrap();
        assert_eq!(status.exit_status(), Some(0));
    }

    #[test]
    fn clone3_no_exit_signal_still_waitable_by_pidfd() {
        let args = CloneArgs { exit_signal: None, ..CloneArgs::new(CloneFlags::PIDFD) };
        // SAFETY: the child exits at once.
        match unsafe { clone3(&args) }.unwrap() {
            Fork::Child => exit_group(3),
            Fork::Parent { pidfd, .. } => {
                // A child that sends no SIGCHLD is a "clone" child: only __WALL (or __WCLONE) waits for it.
                let pidfd = pidfd.unwrap();
                let plain = waitid(WaitId::PidFd(pidfd.as_fd()), WaitIdOptions::EXITED | WaitIdOptions::NOHANG);
                assert_eq!(plain.unwrap_err(), Errno::CHILD);
                let wall = WaitIdOptions::EXITED | WaitIdOptions::from_bits_retain(0x4000_0000);
                let status = waitid(WaitId::PidFd(pidfd.as_fd()), wall).unwrap().unwrap();
                assert_eq!(status.exit_status(), Some(3));
            }
        }
    }

    #[test]
    fn execve_runs_program_and_rejects_unterminated_arrays() {
        let argv = [c"sh".as_ptr(), c"-c".as_ptr(), c"exit 7".as_ptr(), null()];
        let envp = [c"A=1".as_ptr(), null()];
        // SAFETY: the arrays end with NULL and hold C string literals.
        let code = exit_code_in_child(CloneFlags::empty(), || unsafe { execve(c"/bin/sh", &argv, &envp) }.raw_os_error());
        assert_eq!(code, 7);
        // SAFETY: the check fails before any syscall.
        assert_eq!(unsafe { execve(c"/bin/sh", &argv[..3], &envp) }, Errno::INVAL);
        // SAFETY: as above.
        assert_eq!(unsafe { execve(c"/nonexistent", &argv, &envp) }, Errno::NOENT);
    }

    #[test]
    fn execveat_memfd_copy_of_true() {
        use rustix::fs::{MemfdFlags, SealFlags, fcntl_add_seals, memfd_create};
        let image = std::fs::read("/bin/true").unwrap();
        let memfd = memfd_create(c"rsrun-test", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING).unwrap();
        rustix::io::write(&memfd, &image).unwrap();
        fcntl_add_seals(&memfd, SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE).unwrap();
        let argv = [c"true".as_ptr(), null()];
        let envp = [null()];
        // SAFETY: the arrays end with NULL and hold C string literals.
        let status =
            run_in_child(CloneFlags::empty(), || unsafe { execveat(&memfd, c"", &argv, &envp, AtFlags::EMPTY_PATH) }.raw_os_error());
        assert_eq!(status.exit_status(), Some(0));
        // SAFETY: as above; without AT_EMPTY_PATH an empty path is ENOENT.
        assert_eq!(unsafe { execveat(&memfd, c"", &argv, &envp, AtFlags::empty()) }, Errno::NOENT);
    }

    #[test]
    fn personality_linux32_reads_back() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let Ok(old) = personality(Personality::LINUX32) else { return 1 };
            if old.contains(Personality::LINUX32) {
                return 2;
            }
            let mut buf = [0u8; 32];
            if read_file(c"/proc/self/personality", &mut buf) != Some(b"00000008\n") {
                return 3;
            }
            match personality(old) {
                Ok(p) if p == Personality::LINUX32 => 0,
                _ => 4,
            }
        });
        assert_eq!(code, 0);
    }
}
