//! Shared by tests/devbpf_emit.rs and fuzz/fuzz_targets/devices.rs: the device rules' semantics read
//! directly from rules.rs's description, and an interpreter for the eBPF the emitter produces.
#![allow(dead_code)]
use rsrun::bpf::{DeviceKind, DeviceRule};
use syscalls::bpf::BpfInsn;

// ---- the reference: rules.rs's semantics, written as plainly as possible ----

/// Device type as the kernel passes it: 1 block, 2 char.
pub const BLOCK: u32 = 1;
pub const CHAR: u32 = 2;

pub fn matches(r: &DeviceRule, ty: u32, major: u32, minor: u32) -> bool {
    let kind_ok = match r.kind {
        DeviceKind::All => true,
        DeviceKind::Char => ty == CHAR,
        DeviceKind::Block => ty == BLOCK,
    };
    kind_ok && r.major.is_none_or(|m| m == major) && r.minor.is_none_or(|m| m == minor)
}

/// Each requested bit is decided by the last rule matching the device and listing the bit (none:
/// deny); the request is allowed when all its bits are.
pub fn reference(rules: &[DeviceRule], ty: u32, major: u32, minor: u32, req: u8) -> bool {
    [1u8, 2, 4].iter().filter(|&&bit| req & bit != 0).all(|&bit| {
        rules
            .iter()
            .rev()
            .find(|r| matches(r, ty, major, minor) && r.access.bits() & bit != 0)
            .is_some_and(|r| r.allow)
    })
}

// ---- an interpreter for the instructions the emitter uses ----

/// Checks what the kernel verifier would: jumps land inside the program and only forward, the last
/// instruction is an exit, every instruction is reachable.
pub fn check_structure(p: &[BpfInsn]) {
    assert!(!p.is_empty() && p.last().unwrap().code == 0x95, "must end in exit: {p:?}");
    let mut reached = vec![false; p.len()];
    reached[0] = true;
    for pc in 0..p.len() {
        if !reached[pc] {
            panic!("unreachable instruction {pc} in {p:?}");
        }
        let i = p[pc];
        let is_jump = matches!(i.code, 0x05 | 0x15 | 0x55 | 0x45);
        if is_jump {
            assert!(i.off >= 0, "backward jump at {pc}");
            let t = pc + 1 + i.off as usize;
            assert!(t < p.len(), "jump out of the program at {pc}");
            reached[t] = true;
        }
        if i.code != 0x05 && i.code != 0x95 && pc + 1 < p.len() {
            reached[pc + 1] = true;
        }
    }
}

/// Runs `p` on `struct bpf_cgroup_dev_ctx { access_type, major, minor }`; panics on anything the
/// verifier would refuse at run time (reading a register never written, an unknown opcode).
pub fn run(p: &[BpfInsn], ctx: [u32; 3]) -> u64 {
    let mut r = [0u64; 11];
    let mut init = [false; 11];
    init[1] = true;
    init[10] = true;
    let mut pc = 0;
    loop {
        let (at, i) = (pc, p[pc]);
        pc += 1;
        let (d, s) = (i.dst() as usize, i.src() as usize);
        let imm = i.imm as i64 as u64; // sign-extended, as the kernel does for 64-bit operations
        let read = |init: &[bool; 11], reg: usize| assert!(init[reg], "r{reg} read before written at {at}");
        let target = at + 1 + i.off as usize;
        match i.code {
            0x61 => {
                assert_eq!(s, 1, "loads only from the context");
                assert!(matches!(i.off, 0 | 4 | 8), "bad context offset {}", i.off);
                r[d] = ctx[i.off as usize / 4] as u64;
                init[d] = true;
            }
            0x54 => {
                read(&init, d);
                r[d] = (r[d] as u32 & i.imm as u32) as u64;
            }
            0x74 => {
                read(&init, d);
                r[d] = ((r[d] as u32) >> i.imm) as u64;
            }
            0xb7 => {
                r[d] = imm;
                init[d] = true;
            }
            0x05 => pc = target,
            0x15 | 0x55 | 0x45 => {
                read(&init, d);
                let taken = match i.code {
                    0x15 => r[d] == imm,
                    0x55 => r[d] != imm,
                    _ => r[d] & imm != 0,
                };
                if taken {
                    pc = target;
                }
            }
            0x95 => {
                read(&init, 0);
                assert!(r[0] <= 1, "cgroup device programs return 0 or 1");
                return r[0];
            }
            c => panic!("unexpected opcode {c:#x}"),
        }
    }
}

pub fn decide(p: &[BpfInsn], ty: u32, major: u32, minor: u32, req: u8) -> bool {
    run(p, [(req as u32) << 16 | ty, major, minor]) == 1
}

