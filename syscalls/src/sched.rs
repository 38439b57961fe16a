//! Where a process runs: scheduler policy (sched_setattr), I/O priority (ioprio_set) and NUMA memory
//! policy (set_mempolicy), as OCI `process.scheduler`, `process.ioPriority` and
//! `linux.memoryPolicy` set them. CPU affinity is `rustix::thread::sched_setaffinity`.
use crate::{Errno, Result, raw};
use linux_raw_sys::general::{
    __NR_ioprio_set, __NR_sched_setattr, __NR_set_mempolicy, SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO,
    SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_RECLAIM,
    SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_UTIL_CLAMP_MAX, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_IDLE, SCHED_NORMAL, SCHED_RR,
};
use linux_raw_sys::mempolicy::{
    MPOL_BIND, MPOL_DEFAULT, MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES, MPOL_INTERLEAVE,
    MPOL_LOCAL, MPOL_PREFERRED, MPOL_PREFERRED_MANY, MPOL_WEIGHTED_INTERLEAVE,
};
use rustix::process::Pid;

/// A scheduling policy (`SCHED_*`).
#[repr(u32)]
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum SchedPolicy {
    /// `SCHED_OTHER` (`SCHED_NORMAL`): the default time-sharing policy; uses `nice`.
    Other = SCHED_NORMAL,
    /// `SCHED_FIFO`: real-time, first in first out; uses `priority` 1..=99.
    Fifo = SCHED_FIFO,
    /// `SCHED_RR`: real-time round robin; uses `priority` 1..=99.
    Rr = SCHED_RR,
    /// `SCHED_BATCH`: CPU-bound batch work; uses `nice`.
    Batch = SCHED_BATCH,
    /// `SCHED_IDLE`: runs only when nothing else wants the CPU.
    Idle = SCHED_IDLE,
    /// `SCHED_DEADLINE`: uses `runtime`, `deadline` and `period` (nanoseconds).
    Deadline = SCHED_DEADLINE,
}

bitflags::bitflags! {
    /// `SCHED_FLAG_*` flags of [`SchedAttr`].
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct SchedFlags: u64 {
        /// `SCHED_FLAG_RESET_ON_FORK`: children start with the default policy.
        const RESET_ON_FORK = SCHED_FLAG_RESET_ON_FORK as u64;
        /// `SCHED_FLAG_RECLAIM`: a deadline task may reclaim unused bandwidth.
        const RECLAIM = SCHED_FLAG_RECLAIM as u64;
        /// `SCHED_FLAG_DL_OVERRUN`: `SIGXCPU` on a deadline overrun.
        const DL_OVERRUN = SCHED_FLAG_DL_OVERRUN as u64;
        /// `SCHED_FLAG_KEEP_POLICY`: keep the current policy.
        const KEEP_POLICY = SCHED_FLAG_KEEP_POLICY as u64;
        /// `SCHED_FLAG_KEEP_PARAMS`: keep the current parameters.
        const KEEP_PARAMS = SCHED_FLAG_KEEP_PARAMS as u64;
        /// `SCHED_FLAG_UTIL_CLAMP_MIN`: apply `util_min`.
        const UTIL_CLAMP_MIN = SCHED_FLAG_UTIL_CLAMP_MIN as u64;
        /// `SCHED_FLAG_UTIL_CLAMP_MAX`: apply `util_max`.
        const UTIL_CLAMP_MAX = SCHED_FLAG_UTIL_CLAMP_MAX as u64;
    }
}

/// The fields of `struct sched_attr` (the kernel's `size` field is filled in by [`sched_setattr`]).
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub struct SchedAttr {
    /// The policy.
    pub policy: SchedPolicy,
    /// Behaviour flags.
    pub flags: SchedFlags,
    /// Nice value -20..=19, for `Other` and `Batch`.
    pub nice: i32,
    /// Static priority 1..=99, for `Fifo` and `Rr`; 0 otherwise.
    pub priority: u32,
    /// `Deadline` runtime, in nanoseconds.
    pub runtime: u64,
    /// `Deadline` relative deadline, in nanoseconds.
    pub deadline: u64,
    /// `Deadline` period, in nanoseconds.
    pub period: u64,
    /// Utilization clamp minimum 0..=1024, with [`SchedFlags::UTIL_CLAMP_MIN`].
    pub util_min: u32,
    /// Utilization clamp maximum 0..=1024, with [`SchedFlags::UTIL_CLAMP_MAX`].
    pub util_max: u32,
}

/// The kernel's `struct sched_attr`, `SCHED_ATTR_SIZE_VER1` (56 bytes).
#[repr(C)]
struct RawSchedAttr {
    size: u32,
    sched_policy: u32,
    sched_flags: u64,
    sched_nice: i32,
    sched_priority: u32,
    sched_runtime: u64,
    sched_deadline: u64,
    sched_period: u64,
    sched_util_min: u32,
    sched_util_max: u32,
}

const _: () = assert!(core::mem::size_of::<RawSchedAttr>() == 56);

/// `syscall(SYS_sched_setattr, pid, &sched_attr, 0)`: sets the scheduling policy and all its
/// parameters for a thread (`None`: the caller) at once; children inherit them.
///
/// # References
/// - [sched_setattr(2)](https://man7.org/linux/man-pages/man2/sched_setattr.2.html)
pub fn sched_setattr(pid: Option<Pid>, attr: &SchedAttr) -> Result<()> {
    let raw_attr = RawSchedAttr {
        size: core::mem::size_of::<RawSchedAttr>() as u32,
        sched_policy: attr.policy as u32,
        sched_flags: attr.flags.bits(),
        sched_nice: attr.nice,
        sched_priority: attr.priority,
        sched_runtime: attr.runtime,
        sched_deadline: attr.deadline,
        sched_period: attr.period,
        sched_util_min: attr.util_min,
        sched_util_max: attr.util_max,
    };
    // SAFETY: `raw_attr` is a complete sched_attr whose `size` field says how long it is.
    unsafe { raw::syscall3(__NR_sched_setattr, Pid::as_raw(pid) as usize, core::ptr::addr_of!(raw_attr) as usize, 0) }
        .map(drop)
}

/// An I/O scheduling class (`IOPRIO_CLASS_*`).
#[repr(u16)]
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum IoprioClass {
    /// `IOPRIO_CLASS_NONE`: derived from the CPU nice value.
    None = 0,
    /// `IOPRIO_CLASS_RT`: real-time, levels 0 (highest)..=7.
    Rt = 1,
    /// `IOPRIO_CLASS_BE`: best effort, levels 0 (highest)..=7.
    Be = 2,
    /// `IOPRIO_CLASS_IDLE`: only when the disk is otherwise idle.
    Idle = 3,
}

/// `IOPRIO_WHO_PROCESS`: `ioprio_set` names a single thread.
const IOPRIO_WHO_PROCESS: usize = 1;
/// `IOPRIO_CLASS_SHIFT`: the class sits above 13 bits of hint and level data.
const IOPRIO_CLASS_SHIFT: u32 = 13;

/// `syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, class << 13 | level)`: sets the I/O priority of
/// a thread (`None`: the caller). `level` is 0 (highest)..=7, `EINVAL` otherwise: the bits above it
/// are I/O hints since Linux 6.5, which a bad level must not set by accident.
///
/// # References
/// - [ioprio_set(2)](https://man7.org/linux/man-pages/man2/ioprio_set.2.html)
pub fn ioprio_set(pid: Option<Pid>, class: IoprioClass, level: u8) -> Result<()> {
    if level > 7 {
        return Err(Errno::INVAL);
    }
    let prio = (class as u32) << IOPRIO_CLASS_SHIFT | u32::from(level);
    // SAFETY: ioprio_set takes integers.
    unsafe { raw::syscall3(__NR_ioprio_set, IOPRIO_WHO_PROCESS, Pid::as_raw(pid) as usize, prio as usize) }.map(drop)
}

/// A NUMA memory policy mode (`MPOL_*`).
#[repr(u32)]
#[derive(Copy, Clone, Eq, PartialEq, Debug)]
pub enum MempolicyMode {
    /// `MPOL_DEFAULT`: the system default (allocate on the local node); takes no nodes.
    Default = MPOL_DEFAULT as u32,
    /// `MPOL_PREFERRED`: prefer one node, fall back to others.
    Preferred = MPOL_PREFERRED as u32,
    /// `MPOL_BIND`: only the given nodes.
    Bind = MPOL_BIND as u32,
    /// `MPOL_INTERLEAVE`: interleave pages over the nodes.
    Interleave = MPOL_INTERLEAVE as u32,
    /// `MPOL_LOCAL`: the node of the CPU that allocates; takes no nodes.
    Local = MPOL_LOCAL as u32,
    /// `MPOL_PREFERRED_MANY`: prefer any of the nodes, fall back to others.
    PreferredMany = MPOL_PREFERRED_MANY as u32,
    /// `MPOL_WEIGHTED_INTERLEAVE`: interleave by per-node weights.
    WeightedInterleave = MPOL_WEIGHTED_INTERLEAVE as u32,
}

bitflags::bitflags! {
    /// `MPOL_F_*` mode flags for [`set_mempolicy`].
    #[repr(transparent)]
    #[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
    pub struct MempolicyFlags: u32 {
        /// `MPOL_F_STATIC_NODES`: the nodes are physical ids, not remapped when the cpuset changes.
        const STATIC_NODES = MPOL_F_STATIC_NODES;
        /// `MPOL_F_RELATIVE_NODES`: the nodes are relative to the cpuset's allowed nodes.
        const RELATIVE_NODES = MPOL_F_RELATIVE_NODES;
        /// `MPOL_F_NUMA_BALANCING`: allow NUMA balancing (with `Bind` or `PreferredMany`).
        const NUMA_BALANCING = MPOL_F_NUMA_BALANCING;
    }
}

/// `syscall(SYS_set_mempolicy, mode | flags, nodemask, maxnode)`: sets the NUMA memory policy of
/// the calling thread, inherited by its children. Bit `n % 64` of `nodemask[n / 64]` selects node
/// `n`; an empty slice passes no mask (for `Default` and `Local`).
///
/// # References
/// - [set_mempolicy(2)](https://man7.org/linux/man-pages/man2/set_mempolicy.2.html)
pub fn set_mempolicy(mode: MempolicyMode, flags: MempolicyFlags, nodemask: &[u64]) -> Result<()> {
    // The kernel reads `maxnode - 1` bits (a historical off-by-one that libnuma also adds 1 for).
    let (mask, maxnode) = match nodemask.len() {
        0 => (0, 0),
        n => (nodemask.as_ptr() as usize, n * 64 + 1),
    };
    // SAFETY: `mask` is NULL or points to `nodemask`, which holds `maxnode - 1` bits.
    unsafe { raw::syscall3(__NR_set_mempolicy, (mode as u32 | flags.bits()) as usize, mask, maxnode) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::CloneFlags;
    use crate::testutil::exit_code_in_child;
    use linux_raw_sys::general::{__NR_get_mempolicy, __NR_ioprio_get, __NR_sched_getattr};

    fn getattr() -> Option<RawSchedAttr> {
        let mut a = RawSchedAttr {
            size: 0,
            sched_policy: 0,
            sched_flags: 0,
            sched_nice: 0,
            sched_priority: 0,
            sched_runtime: 0,
            sched_deadline: 0,
            sched_period: 0,
            sched_util_min: 0,
            sched_util_max: 0,
        };
        let size = core::mem::size_of::<RawSchedAttr>();
        // SAFETY: `a` is a writable sched_attr of `size` bytes.
        unsafe { raw::syscall4(__NR_sched_getattr, 0, core::ptr::addr_of_mut!(a) as usize, size, 0) }.ok()?;
        Some(a)
    }

    const OTHER: SchedAttr = SchedAttr {
        policy: SchedPolicy::Other,
        flags: SchedFlags::empty(),
        nice: 0,
        priority: 0,
        runtime: 0,
        deadline: 0,
        period: 0,
        util_min: 0,
        util_max: 0,
    };

    #[test]
    fn sched_setattr_batch_nice_and_fifo_priority() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let batch = SchedAttr { policy: SchedPolicy::Batch, flags: SchedFlags::RESET_ON_FORK, nice: 7, ..OTHER };
            if sched_setattr(None, &batch).is_err() {
                return 1;
            }
            match getattr() {
                Some(a) if a.sched_policy == SCHED_BATCH && a.sched_nice == 7 && a.sched_flags & 1 == 1 => {}
                _ => return 2,
            }
            let fifo = SchedAttr { policy: SchedPolicy::Fifo, priority: 10, ..OTHER };
            match sched_setattr(None, &fifo) {
                Ok(()) => match getattr() {
                    Some(a) if a.sched_policy == SCHED_FIFO && a.sched_priority == 10 => {}
                    _ => return 3,
                },
                // Real-time group scheduling may give this cgroup no RT budget.
                Err(Errno::PERM) => {}
                Err(_) => return 4,
            }
            if sched_setattr(None, &SchedAttr { priority: 200, ..fifo }) != Err(Errno::INVAL) {
                return 5;
            }
            0
        });
        assert_eq!(code, 0);
    }

    fn ioprio_get() -> Result<usize> {
        // SAFETY: ioprio_get takes integers.
        unsafe { raw::syscall2(__NR_ioprio_get, IOPRIO_WHO_PROCESS, 0) }
    }

    #[test]
    fn ioprio_set_reads_back() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            if ioprio_set(None, IoprioClass::Be, 3).is_err() {
                return 1;
            }
            if ioprio_get() != Ok(2 << 13 | 3) {
                return 2;
            }
            if ioprio_set(None, IoprioClass::Idle, 0).is_err() || ioprio_get() != Ok(3 << 13) {
                return 3;
            }
            if ioprio_set(None, IoprioClass::Be, 8) != Err(Errno::INVAL) || ioprio_get() != Ok(3 << 13) {
                return 4;
            }
            if ioprio_set(None, IoprioClass::Rt, 0).is_err() || ioprio_get() != Ok(1 << 13) {
                return 5;
            }
            0
        });
        assert_eq!(code, 0);
    }

    #[test]
    fn set_mempolicy_bind_node0_reads_back() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            if set_mempolicy(MempolicyMode::Bind, MempolicyFlags::STATIC_NODES, &[1]).is_err() {
                return 1;
            }
            let (mut mode, mut mask) = (0i32, [0u64; 16]);
            // SAFETY: `mode` and `mask` are writable; maxnode matches the mask's 1024 bits + 1.
            let r = unsafe {
                raw::syscall5(
                    __NR_get_mempolicy,
                    core::ptr::addr_of_mut!(mode) as usize,
                    mask.as_mut_ptr() as usize,
                    16 * 64 + 1,
                    0,
                    0,
                )
            };
            if r.is_err() || mode as u32 != MPOL_BIND as u32 | MPOL_F_STATIC_NODES || mask[0] != 1 {
                return 2;
            }
            if set_mempolicy(MempolicyMode::Default, MempolicyFlags::empty(), &[]).is_err() {
                return 3;
            }
            // Node 100 does not exist here.
            let mut far = [0u64; 2];
            far[1] = 1 << (100 - 64);
            if set_mempolicy(MempolicyMode::Bind, MempolicyFlags::empty(), &far) != Err(Errno::INVAL) {
                return 4;
            }
            0
        });
        assert_eq!(code, 0);
    }
}
