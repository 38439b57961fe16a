//! The cgroup-v2 device filter emitter (`bpf::program`): random rule lists (4 bytes a rule: verdict,
//! type, access bits, major and minor picked from values around the interesting ones, wildcards,
//! and numbers too big for the kernel), with and without the default rules. The program must be
//! well-formed (every jump forward and inside it, ends in exit, nothing unreachable) and, run by
//! the interpreter of tests/devbpf_common on requests around every rule's numbers, decide exactly
//! as the rule semantics of src/bpf/rules.rs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::bpf::{Access, DeviceKind, DeviceRule, program, with_defaults};

#[path = "../../tests/devbpf_common/mod.rs"]
mod devbpf_common;
use devbpf_common::{BLOCK, CHAR, check_structure, decide, reference};

/// Numbers a rule names (None: the wildcard); the last ones do not fit the kernel's dev_t.
const NUMBERS: [Option<u32>; 16] = [
    None, Some(0), Some(1), Some(3), Some(5), Some(7), Some(8), Some(10), Some(136), Some(200),
    Some(4095), Some(1_048_575), Some(0x7fff_ffff), Some(0x8000_0000), Some(u32::MAX), None,
];
const KINDS: [DeviceKind; 4] = [DeviceKind::All, DeviceKind::Char, DeviceKind::Block, DeviceKind::All];

fn rules(data: &[u8]) -> Vec<DeviceRule> {
    data.chunks_exact(4)
        .take(16)
        .map(|c| DeviceRule {
            allow: c[0] & 1 == 1,
            kind: KINDS[(c[0] >> 1) as usize % 4],
            access: Access::from_bits_truncate(c[1]),
            major: NUMBERS[(c[2] % 16) as usize],
            minor: NUMBERS[(c[3] % 16) as usize],
        })
        .collect()
}

/// The kernel's dev_t: 12-bit majors, 20-bit minors.
fn real(n: Option<u32>, max: u32, other: u32) -> u32 {
    n.filter(|&n| n <= max).unwrap_or(other)
}

fn check(rules: &[DeviceRule]) {
    let Ok(p) = program(rules) else { return };
    check_structure(&p);
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
                    decide(&p, ty, major, minor, req),
                    reference(rules, ty, major, minor, req),
                    "type {ty} {major}:{minor} access {req} rules {rules:?}"
                );
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let rules = rules(data);
    check(&rules);
    check(&with_defaults(&rules));
});
