//! The bpf(2) commands a cgroup-v2 device filter needs: load a program, attach it to a cgroup,
//! list and detach what is attached, and turn a program id back into an fd.
//!
//! `union bpf_attr` is one 100+ byte union in the kernel; each command reads only its own leading
//! fields, and accepts a shorter `size` (the rest counts as zero). So every command here gets its own
//! `#[repr(C)]` struct laid out as in `include/uapi/linux/bpf.h` (offsets in the field comments),
//! and passes exactly its size.
//!
//! # References
//! - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
//! - [BPF instruction set](https://docs.kernel.org/bpf/standardization/instruction-set.html)
use crate::{Result, raw};
use core::ffi::CStr;
use core::mem::size_of;
use linux_raw_sys::general::__NR_bpf;
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// One eBPF instruction, `struct bpf_insn`: opcode, `dst_reg` in the low nibble and `src_reg` in the
/// high nibble of `regs`, a signed 16-bit offset (jumps: relative to the next instruction; loads:
/// added to the address) and a signed 32-bit immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

impl BpfInsn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Self { code, regs: (src << 4) | (dst & 0xf), off, imm }
    }
    pub const fn dst(&self) -> u8 {
        self.regs & 0xf
    }
    pub const fn src(&self) -> u8 {
        self.regs >> 4
    }
}

/// `enum bpf_prog_type` values used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgType(pub u32);
impl ProgType {
    /// `BPF_PROG_TYPE_CGROUP_DEVICE`: decides device access for tasks of a cgroup (Linux 4.15).
    pub const CGROUP_DEVICE: Self = Self(15);
}

/// `enum bpf_attach_type` values used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachType(pub u32);
impl AttachType {
    /// `BPF_CGROUP_DEVICE`.
    pub const CGROUP_DEVICE: Self = Self(6);
}

bitflags::bitflags! {
    /// `BPF_F_*` flags of `BPF_PROG_ATTACH`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct AttachFlags: u32 {
        /// `BPF_F_ALLOW_OVERRIDE`: a descendant cgroup may override this program.
        const ALLOW_OVERRIDE = 1;
        /// `BPF_F_ALLOW_MULTI`: several programs per cgroup, all run, all must allow.
        const ALLOW_MULTI = 2;
        /// `BPF_F_REPLACE`: atomically replace `replace_bpf_fd` (with ALLOW_MULTI, Linux 5.6).
        const REPLACE = 4;
    }
}

// Command numbers (`enum bpf_cmd`).
const BPF_PROG_LOAD: usize = 5;
const BPF_PROG_ATTACH: usize = 8;
const BPF_PROG_DETACH: usize = 9;
const BPF_PROG_GET_FD_BY_ID: usize = 13;
const BPF_PROG_QUERY: usize = 16;

/// The `BPF_PROG_LOAD` part of `union bpf_attr`, up to `expected_attach_type` (72 bytes).
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,              // 0
    insn_cnt: u32,               // 4
    insns: u64,                  // 8
    license: u64,                // 16
    log_level: u32,              // 24
    log_size: u32,               // 28
    log_buf: u64,                // 32
    kern_version: u32,           // 40
    prog_flags: u32,             // 44
    prog_name: [u8; 16],         // 48
    prog_ifindex: u32,           // 64
    expected_attach_type: u32,   // 68
}

/// The `BPF_PROG_ATTACH`/`BPF_PROG_DETACH` part, up to `replace_bpf_fd` (20 bytes).
#[repr(C)]
#[derive(Default)]
struct AttachAttr {
    target_fd: u32,      // 0
    attach_bpf_fd: u32,  // 4
    attach_type: u32,    // 8
    attach_flags: u32,   // 12
    replace_bpf_fd: u32, // 16
}

/// The whole `BPF_PROG_QUERY` part (64 bytes). Whole on purpose: the kernel's mprog query (tcx) writes
/// `revision` (offset 56) back whatever `size` says, and the patches bringing mprog to cgroups do the
/// same; a shorter struct would be overrun there. (Linux 6.18's cgroup query does not write it.)
#[repr(C)]
#[derive(Default)]
struct QueryAttr {
    target_fd: u32,         // 0
    attach_type: u32,       // 4
    query_flags: u32,       // 8
    attach_flags: u32,      // 12
    prog_ids: u64,          // 16
    prog_cnt: u32,          // 24
    _pad: u32,              // 28
    prog_attach_flags: u64, // 32
    link_ids: u64,          // 40
    link_attach_flags: u64, // 48
    revision: u64,          // 56
}

/// The `BPF_*_GET_FD_BY_ID` part (12 bytes).
#[repr(C)]
#[derive(Default)]
struct GetFdByIdAttr {
    prog_id: u32,    // 0
    next_id: u32,    // 4
    open_flags: u32, // 8
}

const _: () = {
    assert!(size_of::<BpfInsn>() == 8);
    assert!(size_of::<ProgLoadAttr>() == 72);
    assert!(size_of::<AttachAttr>() == 20);
    assert!(size_of::<QueryAttr>() == 64);
    assert!(size_of::<GetFdByIdAttr>() == 12);
};

/// `syscall(SYS_bpf, cmd, attr, sizeof *attr)`.
///
/// # Safety
/// `attr` must be the attribute struct of `cmd`, and every pointer inside it valid for the access
/// the command makes (read for inputs, write for outputs) during the call.
unsafe fn bpf<T>(cmd: usize, attr: &mut T) -> Result<usize> {
    // SAFETY: forwarded to the caller; `attr` is a live, exclusive borrow of `size_of::<T>()` bytes.
    unsafe { raw::syscall3(__NR_bpf, cmd, attr as *mut T as usize, size_of::<T>()) }
}

/// `bpf(BPF_PROG_LOAD, ...)`: verifies and loads `insns` as a program of type `prog_type` and
/// returns its fd.
///
/// `license` must be non-empty; only programs calling GPL-only helpers need a GPL-compatible one.
/// `name` (at most 15 bytes of `[A-Za-z0-9_.]`, longer is cut) shows in `bpftool prog`. With `log`,
/// the verifier writes its log there (level 1); pass `None` on the fast path, the log costs time.
///
/// # References
/// - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
pub fn bpf_prog_load(
    prog_type: ProgType,
    insns: &[BpfInsn],
    license: &CStr,
    name: &[u8],
    log: Option<&mut [u8]>,
) -> Result<OwnedFd> {
    let mut attr = ProgLoadAttr {
        prog_type: prog_type.0,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        ..Default::default()
    };
    let n = name.len().min(15);
    attr.prog_name[..n].copy_from_slice(&name[..n]);
    if let Some(buf) = log {
        attr.log_level = 1;
        attr.log_size = buf.len().min(u32::MAX as usize) as u32;
        attr.log_buf = buf.as_mut_ptr() as u64;
    }
    // SAFETY: attr is a ProgLoadAttr; insns, license and log outlive the call.
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut attr)? };
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `bpf(BPF_PROG_ATTACH, ...)`: attaches `prog` to `target` (a cgroup directory fd for cgroup
/// attach types). With `AttachFlags::REPLACE`, `replace` names the attached program to swap out in
/// one step; it is ignored otherwise.
///
/// # References
/// - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
pub fn bpf_prog_attach(
    target: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: AttachType,
    flags: AttachFlags,
    replace: Option<BorrowedFd<'_>>,
) -> Result<()> {
    let mut attr = AttachAttr {
        target_fd: target.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: attach_type.0,
        attach_flags: flags.bits(),
        replace_bpf_fd: replace.map_or(0, |fd| fd.as_raw_fd() as u32),
    };
    // SAFETY: attr is an AttachAttr without pointers.
    unsafe { bpf(BPF_PROG_ATTACH, &mut attr) }.map(drop)
}

/// `bpf(BPF_PROG_DETACH, ...)`: detaches `prog` from `target`.
///
/// # References
/// - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
pub fn bpf_prog_detach(target: BorrowedFd<'_>, prog: BorrowedFd<'_>, attach_type: AttachType) -> Result<()> {
    let mut attr = AttachAttr {
        target_fd: target.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: attach_type.0,
        ..Default::default()
    };
    // SAFETY: attr is an AttachAttr without pointers.
    unsafe { bpf(BPF_PROG_DETACH, &mut attr) }.map(drop)
}

/// `bpf(BPF_PROG_QUERY, ...)`: the ids of the programs attached to `target` itself (not inherited)
/// for `attach_type`. Fills `ids` and returns how many programs are attached; when that is more
/// than `ids.len()` (the kernel's ENOSPC) only the first `ids.len()` were written.
///
/// # References
/// - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
pub fn bpf_prog_query(target: BorrowedFd<'_>, attach_type: AttachType, ids: &mut [u32]) -> Result<usize> {
    let mut attr = QueryAttr {
        target_fd: target.as_raw_fd() as u32,
        attach_type: attach_type.0,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: ids.len().min(u32::MAX as usize) as u32,
        ..Default::default()
    };
    // SAFETY: attr is a whole QueryAttr; prog_ids points to prog_cnt writable u32s.
    match unsafe { bpf(BPF_PROG_QUERY, &mut attr) } {
        Ok(_) | Err(rustix::io::Errno::NOSPC) => Ok(attr.prog_cnt as usize),
        Err(e) => Err(e),
    }
}

/// `bpf(BPF_PROG_GET_FD_BY_ID, ...)`: a new fd for the loaded program `id` (needs CAP_SYS_ADMIN).
///
/// # References
/// - [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html)
pub fn bpf_prog_get_fd_by_id(id: u32) -> Result<OwnedFd> {
    let mut attr = GetFdByIdAttr { prog_id: id, ..Default::default() };
    // SAFETY: attr is a GetFdByIdAttr without pointers.
    let fd = unsafe { bpf(BPF_PROG_GET_FD_BY_ID, &mut attr)? };
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insn_packs_registers_like_the_kernel() {
        let i = BpfInsn::new(0x61, 2, 1, 4, 0); // r2 = *(u32 *)(r1 + 4)
        assert_eq!((i.dst(), i.src(), i.regs), (2, 1, 0x12));
        // SAFETY: BpfInsn is 8 plain bytes.
        let bytes: [u8; 8] = unsafe { core::mem::transmute(i) };
        assert_eq!(bytes, [0x61, 0x12, 4, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn load_rejects_a_program_without_exit() {
        // Needs CAP_BPF/CAP_SYS_ADMIN; as root the verifier must refuse a program that falls off the end.
        let insns = [BpfInsn::new(0xb7, 0, 0, 0, 1)]; // r0 = 1, no exit
        let mut log = [0u8; 512];
        let r = bpf_prog_load(ProgType::CGROUP_DEVICE, &insns, c"Apache-2.0", b"t", Some(&mut log));
        assert!(r.is_err());
    }

    #[test]
    fn load_accepts_allow_all() {
        let insns = [BpfInsn::new(0xb7, 0, 0, 0, 1), BpfInsn::new(0x95, 0, 0, 0, 0)];
        match bpf_prog_load(ProgType::CGROUP_DEVICE, &insns, c"Apache-2.0", b"rsrun_test", None) {
            Ok(_) => {}
            // Unprivileged runs cannot load cgroup programs; nothing to check then.
            Err(e) => assert!(e == rustix::io::Errno::PERM || e == rustix::io::Errno::ACCESS, "{e:?}"),
        }
    }
}
