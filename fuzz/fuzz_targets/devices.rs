//! The cgroup-v2 device filter emitter (`bpf::program`): random rule lists (4 bytes a rule: verdict,
//! type, access bits, major and minor picked from values around the interesting ones, wildcards,
//! and numbers too big for the kernel), with and without the default rules. The program must be
//! well-formed (every jump forward and inside it, ends in exit, nothing unreachable) and, run by
//! the interpreter of tests/devbpf_common on requests around every rule's numbers, decide exactly
//! as the rule semantics of src/bpf/rules.rs (fuzz/oracle/src/devices.rs). Only the first 16 rules
//! (64 bytes) are read: bench/fuzz.sh runs it with -max_len=64.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::bpf::{Access, DeviceKind, DeviceRule, program, with_defaults};
use oracle::devices::check as oracle_check;

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

fn check(rules: &[DeviceRule]) {
    let Ok(p) = program(rules) else { return };
    oracle_check(rules, &p);
}

fuzz_target!(|data: &[u8]| {
    let rules = rules(data);
    check(&rules);
    check(&with_defaults(&rules));
});
