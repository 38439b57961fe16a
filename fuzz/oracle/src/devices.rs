//! The `devices` target's check: the emitted program is well-formed and, run by the interpreter
//! of tests/devbpf_common on requests of both types, every access combination, around every
//! rule's numbers, decides exactly as the rule semantics of src/bpf/rules.rs.
use crate::devbpf_common::{BLOCK, CHAR, check_structure, decide, reference};
use rsrun::bpf::DeviceRule;
use syscalls::bpf::BpfInsn;

/// The kernel's dev_t: 12-bit majors, 20-bit minors.
fn real(n: Option<u32>, max: u32, other: u32) -> u32 {
    n.filter(|&n| n <= max).unwrap_or(other)
}

/// Panics (a fuzz crash) when `p`, the program of `rules`, is malformed or decides otherwise.
pub fn check(rules: &[DeviceRule], p: &[BpfInsn]) {
    check_structure(p);
    let mut probes = vec![(1, 3), (0, 0), (4095, 1_048_575)];
    for r in rules {
        let (ma, mi) = (real(r.major, 4095, 2), real(r.minor, 1_048_575, 4));
        for probe in [(ma, mi), (ma, (mi + 1) & 0xf_ffff)] {
            if !probes.contains(&probe) {
                probes.push(probe);
            }
        }
    }
    for (major, minor) in probes {
        for ty in [BLOCK, CHAR] {
            for req in 0..8u8 {
                assert_eq!(
                    decide(p, ty, major, minor, req),
                    reference(rules, ty, major, minor, req),
                    "type {ty} {major}:{minor} access {req} rules {rules:?}"
                );
            }
        }
    }
}
