//! Device rules -> a `BPF_PROG_TYPE_CGROUP_DEVICE` program.
//!
//! The kernel calls the program with `r1` pointing at `struct bpf_cgroup_dev_ctx { u32 access_type;
//! u32 major; u32 minor; }`, where `access_type = access << 16 | type` (type: 1 block, 2 char;
//! access: 1 mknod, 2 read, 4 write), and lets the access happen when it returns 1.
//!
//! Layout (docs/devices.md walks through an example):
//! ```text
//!   r3 = ctx.access_type >> 16           always; the request's access bits still undecided
//!   r2 = ctx.access_type & 0xffff        only if some rule names a type
//!   r4 = ctx.major, r5 = ctx.minor       only if some rule names a major / a minor
//!   if r3 == 0 goto allow                only with a deny default: an empty request is allowed
//!   one block per live rule, last rule first:
//!     if r2 != type  goto next           each check only if the rule is not a wildcard there
//!     if r4 != major goto next
//!     if r5 != minor goto next
//!     allow rule:  r3 &= ~access; if r3 == 0 goto allow     (just "goto allow" for rwm)
//!     deny rule:   if r3 & access goto deny
//!   next: ...
//!   default: r0 = default; exit          reached when no rule decided every requested bit
//!   other:   r0 = !default; exit
//! ```
//! An allow rule clears the bits it grants, so an earlier (lower precedence) rule only sees the bits
//! no later rule has decided: that is the per-bit "last matching rule wins" of rules.rs.
use super::rules::{Access, DeviceKind, DeviceRule, live_rules};
use crate::bail;
use crate::error::Result;
use alloc::vec::Vec;
use syscalls::bpf::BpfInsn;

// Opcodes: class | operation | source, as in include/uapi/linux/bpf{,_common}.h.
/// `BPF_LDX | BPF_MEM | BPF_W`: dst = *(u32 *)(src + off), zero-extended.
const LDX_W: u8 = 0x61;
/// `BPF_ALU | BPF_AND | BPF_K`: dst = (u32)dst & imm.
const AND32_K: u8 = 0x54;
/// `BPF_ALU | BPF_RSH | BPF_K`: dst = (u32)dst >> imm.
const RSH32_K: u8 = 0x74;
/// `BPF_ALU64 | BPF_MOV | BPF_K`: dst = imm.
const MOV64_K: u8 = 0xb7;
/// `BPF_JMP | BPF_JA`: pc += off.
const JA: u8 = 0x05;
/// `BPF_JMP | BPF_JEQ | BPF_K`: if dst == imm, pc += off.
const JEQ_K: u8 = 0x15;
/// `BPF_JMP | BPF_JNE | BPF_K`: if dst != imm, pc += off.
const JNE_K: u8 = 0x55;
/// `BPF_JMP | BPF_JSET | BPF_K`: if dst & imm != 0, pc += off.
const JSET_K: u8 = 0x45;
/// `BPF_JMP | BPF_EXIT`: return r0.
const EXIT: u8 = 0x95;

const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;

/// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

/// The program enforcing `rules` (the exact list: [`super::with_defaults`] adds the devices every
/// container gets). Fails only when the rules are too many for 16-bit jump offsets (thousands).
pub fn program(rules: &[DeviceRule]) -> Result<Vec<BpfInsn>> {
    // The kernel's dev_t has 12-bit majors and 20-bit minors: a rule naming a larger number (or no
    // access at all) never matches, and a jump immediate (sign-extended i32) could not hold it.
    let fits = |n: Option<u32>| n.is_none_or(|n| n <= i32::MAX as u32);
    let usable: Vec<DeviceRule> =
        rules.iter().filter(|r| fits(r.major) && fits(r.minor) && !r.access.is_empty()).copied().collect();
    let (default_allow, live) = live_rules(&usable);
    let verdict = |allow: bool| BpfInsn::new(MOV64_K, R0, 0, 0, allow as i32);
    let exit = BpfInsn::new(EXIT, 0, 0, 0, 0);
    if live.is_empty() && default_allow {
        return Ok(alloc::vec![verdict(true), exit]);
    }

    let mut p = Vec::with_capacity(8 + 4 * live.len());
    let any = |f: fn(&DeviceRule) -> bool| live.iter().any(f);
    p.push(BpfInsn::new(LDX_W, R3, R1, 0, 0));
    p.push(BpfInsn::new(RSH32_K, R3, 0, 0, 16));
    if any(|r| r.kind != DeviceKind::All) {
        p.push(BpfInsn::new(LDX_W, R2, R1, 0, 0));
        p.push(BpfInsn::new(AND32_K, R2, 0, 0, 0xffff));
    }
    if any(|r| r.major.is_some()) {
        p.push(BpfInsn::new(LDX_W, R4, R1, 4, 0));
    }
    if any(|r| r.minor.is_some()) {
        p.push(BpfInsn::new(LDX_W, R5, R1, 8, 0));
    }

    // Jumps to the verdict blocks, patched at the end: (instruction index, allow?).
    let mut exits: Vec<(usize, bool)> = Vec::new();
    let mut jump = |p: &mut Vec<BpfInsn>, code, reg, imm, allow| {
        exits.push((p.len(), allow));
        p.push(BpfInsn::new(code, reg, 0, 0, imm));
    };
    if !default_allow {
        jump(&mut p, JEQ_K, R3, 0, true);
    }
    let mut next: Vec<usize> = Vec::new(); // this rule's "goto next" jumps
    for r in live.iter().rev() {
        let checks = [
            (r.kind != DeviceKind::All, R2, if r.kind == DeviceKind::Block { DEV_BLOCK } else { DEV_CHAR }),
            (r.major.is_some(), R4, r.major.unwrap_or(0) as i32),
            (r.minor.is_some(), R5, r.minor.unwrap_or(0) as i32),
        ];
        for (_, reg, imm) in checks.into_iter().filter(|c| c.0) {
            next.push(p.len());
            p.push(BpfInsn::new(JNE_K, reg, 0, 0, imm));
        }
        let bits = r.access.bits() as i32;
        match (r.allow, r.access == Access::RWM) {
            (true, true) => jump(&mut p, JA, 0, 0, true),
            (true, false) => {
                p.push(BpfInsn::new(AND32_K, R3, 0, 0, !bits));
                jump(&mut p, JEQ_K, R3, 0, true);
            }
            (false, _) => jump(&mut p, JSET_K, R3, bits, false),
        }
        let here = p.len();
        for at in next.drain(..) {
            p[at].off = offset(at, here, live.len())?;
        }
    }

    let default_at = p.len();
    p.extend([verdict(default_allow), exit, verdict(!default_allow), exit]);
    for (at, allow) in exits {
        let target = if allow == default_allow { default_at } else { default_at + 2 };
        p[at].off = offset(at, target, live.len())?;
    }
    Ok(p)
}

/// The `off` of a jump at `from` landing on `to` (relative to the next instruction).
fn offset(from: usize, to: usize, rules: usize) -> Result<i16> {
    match i16::try_from(to - from - 1) {
        Ok(off) => Ok(off),
        Err(_) => bail!("{rules} device rules do not fit in one BPF program"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::rules::{DEFAULT_ALLOWED, with_defaults};

    fn rule(allow: bool, kind: &str, major: i64, minor: i64, access: &str) -> DeviceRule {
        DeviceRule::from_oci(allow, Some(kind), Some(major), Some(minor), Some(access)).unwrap()
    }

    #[test]
    fn constant_programs_for_trivial_lists() {
        let allow_all = rule(true, "a", -1, -1, "rwm");
        let p = program(&with_defaults(&[allow_all])).unwrap();
        assert_eq!(p, [BpfInsn::new(MOV64_K, 0, 0, 0, 1), BpfInsn::new(EXIT, 0, 0, 0, 0)]);
        // Deny all still lets an empty request through: load, shift, test, two verdicts.
        let p = program(&[]).unwrap();
        assert_eq!(p.len(), 7);
    }

    #[test]
    fn defaults_program_is_short() {
        // 12 rules: 2 wildcard-mknod rules (type + and/jeq = 3 each), 9 exact (type, major, minor,
        // goto = 4 each) and pts (type, major, goto = 3): 45, plus 7 of prologue and 4 of verdicts.
        let p = program(&DEFAULT_ALLOWED).unwrap();
        assert_eq!(p.len(), 3 * 2 + 4 * 9 + 3 + 7 + 4);
        // Docker's allow rules repeat defaults, and its deny of 10:229 only restates the deny
        // default: its program is the defaults' program.
        let mut docker = alloc::vec![rule(false, "a", -1, -1, "rwm"), rule(true, "c", 1, 5, "rwm")];
        docker.push(rule(false, "c", 10, 229, "rwm"));
        assert_eq!(program(&with_defaults(&docker)).unwrap(), p);
        assert_eq!(p.last().unwrap().code, EXIT);
    }

    #[test]
    fn skips_impossible_numbers() {
        let big = DeviceRule { major: Some(u32::MAX), ..rule(true, "c", 1, 3, "rwm") };
        assert_eq!(program(&[big]).unwrap(), program(&[]).unwrap());
    }
}
