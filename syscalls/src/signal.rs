//! Signals: the blocked mask, signalfd, and sending any signal number (0 included) by pid or pidfd.
//!
//! rsrun installs no signal handlers: it blocks the signals it cares about and reads them from a
//! signalfd, so it needs no handler-installing `rt_sigaction` (which would need an `SA_RESTORER`
//! trampoline). Handled signals are reset by `execve` anyway; ignored ones are not, and
//! [`reset_ignored`] sets those back to the default for the container's process.
//!
//! Signal numbers are plain `i32` here because rsrun forwards whatever number the user gives
//! (real-time signals included) and uses 0 to probe; rustix's `Signal` can hold neither safely.
use crate::{Errno, Result, raw};
use linux_raw_sys::general::{
    __NR_kill, __NR_pidfd_send_signal, __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_signalfd4, O_CLOEXEC, O_NONBLOCK, SIG_BLOCK, SIG_SETMASK,
    SIG_UNBLOCK,
};
use rustix::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use rustix::process::Pid;

/// A set of signals 1..=64 in the kernel's 64-bit `sigset_t` layout (bit `n - 1` is signal `n`).
#[repr(transparent)]
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug, Default)]
pub struct SigSet(u64);

impl SigSet {
    /// No signal.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Every signal (the kernel ignores `SIGKILL` and `SIGSTOP` in masks).
    pub const fn all() -> Self {
        Self(!0)
    }

    /// This set plus `sig`; numbers outside 1..=64 are ignored.
    #[must_use]
    pub const fn with(self, sig: i32) -> Self {
        Self(self.0 | bit(sig))
    }

    /// Adds `sig`; numbers outside 1..=64 are ignored.
    pub fn insert(&mut self, sig: i32) {
        self.0 |= bit(sig);
    }

    /// Removes `sig`.
    pub fn remove(&mut self, sig: i32) {
        self.0 &= !bit(sig);
    }

    /// Whether `sig` is in the set.
    pub const fn contains(self, sig: i32) -> bool {
        bit(sig) != 0 && self.0 & bit(sig) != 0
    }

    /// The raw kernel mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set of a raw kernel mask (as /proc/<pid>/stat shows one).
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }
}

const fn bit(sig: i32) -> u64 {
    if sig >= 1 && sig <= 64 { 1 << (sig - 1) } else { 0 }
}

/// How [`rt_sigprocmask`] changes the mask.
#[repr(u32)]
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum How {
    /// `SIG_BLOCK`: add the set to the mask.
    Block = SIG_BLOCK,
    /// `SIG_UNBLOCK`: remove the set from the mask.
    Unblock = SIG_UNBLOCK,
    /// `SIG_SETMASK`: replace the mask with the set.
    SetMask = SIG_SETMASK,
}

/// The kernel's `struct sigaction` on x86_64 (`sa_handler`, `sa_flags`, `sa_restorer`, `sa_mask`).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// `syscall(SYS_rt_sigaction, sig, &{SIG_DFL}, NULL, 8)` for every signal in `ignored` but SIGKILL
/// and SIGSTOP (which cannot be ignored): what a caller left ignored (`SIG_IGN` survives `execve`,
/// e.g. SIGPIPE or SIGHUP from a supervisor or `nohup`) goes back to the default, as runc and crun
/// give the container's process. SIG_DFL installs no handler, so no `SA_RESTORER` trampoline is
/// needed. One syscall per ignored signal, none when nothing is ignored.
///
/// # References
/// - [rt_sigaction(2)](https://man7.org/linux/man-pages/man2/rt_sigaction.2.html)
pub fn reset_ignored(ignored: SigSet) -> Result<()> {
    const SIGKILL: i32 = 9;
    const SIGSTOP: i32 = 19;
    let default = KernelSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    for sig in 1..=64 {
        if sig == SIGKILL || sig == SIGSTOP || !ignored.contains(sig) {
            continue;
        }
        // SAFETY: `default` is a valid struct sigaction for the kernel's layout and outlives the
        // call; the old action is not asked for (NULL); 8 is the kernel's sigset_t size.
        unsafe {
            raw::syscall4(__NR_rt_sigaction, sig as usize, &default as *const KernelSigaction as usize, 0, 8)
        }?;
    }
    Ok(())
}

/// `syscall(SYS_rt_sigprocmask, how, &set, &old, 8)`: changes the calling thread's blocked mask and
/// returns the previous one. The mask is inherited by children and kept across `execve`, so the
/// container init must restore an empty mask before it execs the user process.
///
/// Without libc nothing reserves signals, so any set is fine in rsrun. (In a process with libc,
/// blocking libc's internal real-time signals would break thread cancellation.)
///
/// # References
/// - [rt_sigprocmask(2)](https://man7.org/linux/man-pages/man2/rt_sigprocmask.2.html)
pub fn rt_sigprocmask(how: How, set: &SigSet) -> Result<SigSet> {
    let mut old = SigSet::empty();
    // SAFETY: `set` and `old` are live 8-byte sigsets, the size the kernel is told.
    unsafe {
        raw::syscall4(
            __NR_rt_sigprocmask,
            how as usize,
            core::ptr::from_ref(set) as usize,
            core::ptr::addr_of_mut!(old) as usize,
            core::mem::size_of::<SigSet>(),
        )
    }?;
    Ok(old)
}

bitflags::bitflags! {
    /// `SFD_*` flags for [`signalfd4`].
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct SignalfdFlags: u32 {
        /// `SFD_CLOEXEC`
        const CLOEXEC = O_CLOEXEC;
        /// `SFD_NONBLOCK`: reads fail with `EAGAIN` instead of waiting.
        const NONBLOCK = O_NONBLOCK;
    }
}

/// `syscall(SYS_signalfd4, -1, &mask, 8, flags)`: a new fd from which the signals in `mask` are
/// read as [`SignalfdSiginfo`] records (see [`signalfd_read`]). The signals must also be blocked
/// with [`rt_sigprocmask`], or they are delivered the usual way instead.
///
/// Only creation is wrapped: changing the mask of an existing signalfd returns the same fd, which
/// an `OwnedFd` result would then own twice.
///
/// # References
/// - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
pub fn signalfd4(mask: &SigSet, flags: SignalfdFlags) -> Result<OwnedFd> {
    // SAFETY: `mask` is a live 8-byte sigset, the size the kernel is told.
    let fd = unsafe {
        raw::syscall4(
            __NR_signalfd4,
            -1isize as usize,
            core::ptr::from_ref(mask) as usize,
            core::mem::size_of::<SigSet>(),
            flags.bits() as usize,
        )
    }?;
    // SAFETY: the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `struct signalfd_siginfo`: one signal read from a signalfd (128 bytes).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct SignalfdSiginfo {
    /// The signal number.
    pub ssi_signo: u32,
    /// Unused by Linux.
    pub ssi_errno: i32,
    /// Where it came from: `SI_USER` (0) for kill, `CLD_*` for `SIGCHLD`, ...
    pub ssi_code: i32,
    /// The sender's pid (for `SIGCHLD`: the child's).
    pub ssi_pid: u32,
    /// The sender's real uid.
    pub ssi_uid: u32,
    /// The fd, for `SIGIO`.
    pub ssi_fd: i32,
    /// The kernel timer id, for POSIX timers.
    pub ssi_tid: u32,
    /// The band event, for `SIGIO`.
    pub ssi_band: u32,
    /// The overrun count, for POSIX timers.
    pub ssi_overrun: u32,
    /// The trap number.
    pub ssi_trapno: u32,
    /// For `SIGCHLD`: the exit status or the signal.
    pub ssi_status: i32,
    /// The integer sent with `sigqueue`.
    pub ssi_int: i32,
    /// The pointer sent with `sigqueue`.
    pub ssi_ptr: u64,
    /// For `SIGCHLD`: user CPU time consumed.
    pub ssi_utime: u64,
    /// For `SIGCHLD`: system CPU time consumed.
    pub ssi_stime: u64,
    /// The faulting address, for hardware signals.
    pub ssi_addr: u64,
    /// The least significant bit of the address, for `SIGBUS`.
    pub ssi_addr_lsb: u16,
    _pad2: u16,
    /// The syscall number, for `SIGSYS` from seccomp.
    pub ssi_syscall: i32,
    /// The syscall's address, for `SIGSYS` from seccomp.
    pub ssi_call_addr: u64,
    /// The syscall's architecture, for `SIGSYS` from seccomp.
    pub ssi_arch: u32,
    _pad: [u8; 28],
}

const _: () = assert!(core::mem::size_of::<SignalfdSiginfo>() == 128);

/// `read(fd, &siginfo, 128)`: takes one pending signal from a signalfd made by [`signalfd4`]. Waits
/// unless the fd is non-blocking (then `EAGAIN`); `EINVAL` if `fd` gives anything but a whole record.
///
/// # References
/// - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
pub fn signalfd_read(fd: impl AsFd) -> Result<SignalfdSiginfo> {
    let mut buf = [0u8; 128];
    let n = rustix::io::read(fd, &mut buf)?;
    if n != buf.len() {
        return Err(Errno::INVAL);
    }
    // SAFETY: `buf` holds 128 initialized bytes and every field of SignalfdSiginfo is a plain
    // integer, valid for any bit pattern; read_unaligned copes with the byte buffer's alignment.
    Ok(unsafe { buf.as_ptr().cast::<SignalfdSiginfo>().read_unaligned() })
}

/// `syscall(SYS_kill, pid, sig)`: sends any signal number to a process; 0 only checks that it
/// exists and may be signalled.
///
/// # References
/// - [kill(2)](https://man7.org/linux/man-pages/man2/kill.2.html)
pub fn kill(pid: Pid, sig: i32) -> Result<()> {
    // SAFETY: kill takes two integers.
    unsafe { raw::syscall2(__NR_kill, pid.as_raw_nonzero().get() as usize, sig as usize) }.map(drop)
}

/// `syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0)`: sends any signal number to the process
/// behind a pidfd, so a recycled pid can never be hit. 0 checks liveness: `ESRCH` once the process
/// has been reaped. (rustix's version takes a `Signal`, which cannot be 0 or a real-time signal.)
///
/// # References
/// - [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
pub fn pidfd_send_signal(pidfd: impl AsFd, sig: i32) -> Result<()> {
    let fd = pidfd.as_fd().as_raw_fd();
    // SAFETY: `fd` is open for the call; a NULL siginfo and zero flags are valid.
    unsafe { raw::syscall4(__NR_pidfd_send_signal, fd as usize, sig as usize, 0, 0) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::CloneFlags;
    use crate::testutil::{exit_code_in_child, run_in_child, wait_pidfd};
    use linux_raw_sys::general::{SIGCHLD, SIGTERM, SIGUSR1, SIGUSR2};

    const USR1: i32 = SIGUSR1 as i32;
    const USR2: i32 = SIGUSR2 as i32;

    /// SIGPIPE and SIGHUP ignored (as under `nohup` with a supervisor ignoring SIGPIPE) are back to
    /// the default after `reset_ignored`; SIGKILL in the set is skipped, not an error.
    #[test]
    fn reset_ignored_restores_the_default() {
        fn ignored() -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find_map(|l| l.strip_prefix("SigIgn:")).unwrap();
            u64::from_str_radix(line.trim(), 16).unwrap()
        }
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let ign = KernelSigaction { handler: 1, flags: 0, restorer: 0, mask: 0 };
            for sig in [1usize, 13] {
                // SAFETY: SIG_IGN needs no handler code; the struct outlives the call.
                if unsafe { raw::syscall4(__NR_rt_sigaction, sig, &ign as *const KernelSigaction as usize, 0, 8) }.is_err() {
                    return 1;
                }
            }
            if ignored() & (1 | 1 << 12) != (1 | 1 << 12) {
                return 2;
            }
            if reset_ignored(SigSet::from_bits(ignored()).with(9)).is_err() {
                return 3;
            }
            if ignored() & (1 | 1 << 12) != 0 {
                return 4;
            }
            0
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn sigset_bits() {
        let set = SigSet::empty().with(1).with(64).with(0).with(65);
        assert_eq!(set.bits(), 1 | 1 << 63);
        assert!(set.contains(64) && !set.contains(0) && !set.contains(2));
        let mut s = SigSet::all();
        s.remove(1);
        s.insert(70);
        assert!(!s.contains(1) && s.contains(2));
    }

    #[test]
    fn rt_sigprocmask_block_unblock_setmask() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let Ok(orig) = rt_sigprocmask(How::Block, &SigSet::empty().with(USR1).with(USR2)) else { return 1 };
            let Ok(m) = rt_sigprocmask(How::Unblock, &SigSet::empty().with(USR2)) else { return 2 };
            if !m.contains(USR1) || !m.contains(USR2) {
                return 3;
            }
            let Ok(m) = rt_sigprocmask(How::SetMask, &orig) else { return 4 };
            if !m.contains(USR1) || m.contains(USR2) {
                return 5;
            }
            let Ok(m) = rt_sigprocmask(How::Block, &SigSet::empty()) else { return 6 };
            if m != orig { 7 } else { 0 }
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn signalfd4_receives_blocked_sigusr1_sent_by_kill() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let mask = SigSet::empty().with(USR1);
            if rt_sigprocmask(How::Block, &mask).is_err() {
                return 1;
            }
            let Ok(sfd) = signalfd4(&mask, SignalfdFlags::CLOEXEC | SignalfdFlags::NONBLOCK) else { return 2 };
            if !matches!(signalfd_read(&sfd), Err(Errno::AGAIN)) {
                return 3;
            }
            let me = rustix::process::getpid();
            if kill(me, USR1).is_err() {
                return 4;
            }
            match signalfd_read(&sfd) {
                Ok(info) if info.ssi_signo == SIGUSR1 && info.ssi_pid as i32 == me.as_raw_nonzero().get() && info.ssi_code == 0 => 0,
                Ok(_) => 5,
                Err(_) => 6,
            }
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn signalfd_read_rejects_short_reads() {
        let (r, w) = rustix::pipe::pipe().unwrap();
        rustix::io::write(&w, b"short").unwrap();
        assert_eq!(signalfd_read(&r).unwrap_err(), Errno::INVAL);
    }

    #[test]
    fn signalfd4_reports_sigchld_of_child() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let mask = SigSet::empty().with(SIGCHLD as i32);
            if rt_sigprocmask(How::Block, &mask).is_err() {
                return 1;
            }
            let Ok(sfd) = signalfd4(&mask, SignalfdFlags::CLOEXEC) else { return 2 };
            let inner = run_in_child(CloneFlags::empty(), || 9);
            if inner.exit_status() != Some(9) {
                return 3;
            }
            match signalfd_read(&sfd) {
                Ok(info) if info.ssi_signo == SIGCHLD && info.ssi_status == 9 => 0,
                _ => 4,
            }
        });
        assert_eq!(code, 0);
    }

    /// A child that waits until a signal kills it.
    fn sleeper() -> (Pid, OwnedFd) {
        let args = crate::process::CloneArgs::new(CloneFlags::PIDFD);
        // SAFETY: the child only sleeps and exits.
        match unsafe { crate::process::clone3(&args) }.unwrap() {
            crate::process::Fork::Child => {
                let _ = rustix::thread::nanosleep(&rustix::time::Timespec { tv_sec: 60, tv_nsec: 0 });
                crate::process::exit_group(0)
            }
            crate::process::Fork::Parent { pid, pidfd } => (pid, pidfd.unwrap()),
        }
    }

    #[test]
    fn kill_zero_and_any_signal() {
        let (pid, pidfd) = sleeper();
        kill(pid, 0).unwrap();
        // A real-time signal, which rustix's Signal cannot name safely; its default action kills.
        kill(pid, 40).unwrap();
        assert_eq!(wait_pidfd(&pidfd).terminating_signal(), Some(40));
        assert_eq!(kill(pid, 0), Err(Errno::SRCH));
        assert_eq!(kill(rustix::process::getpid(), 65), Err(Errno::INVAL));
    }

    #[test]
    fn pidfd_send_signal_zero_on_live_and_dead_child() {
        let (_, pidfd) = sleeper();
        pidfd_send_signal(&pidfd, 0).unwrap();
        pidfd_send_signal(&pidfd, SIGTERM as i32).unwrap();
        assert_eq!(wait_pidfd(&pidfd).terminating_signal(), Some(SIGTERM as i32));
        assert_eq!(pidfd_send_signal(&pidfd, 0), Err(Errno::SRCH));
    }
}
