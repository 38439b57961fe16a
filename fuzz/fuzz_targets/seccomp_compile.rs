//! The seccomp compiler: random profiles (decoded from the fuzz input) must compile to a valid
//! program or to an error, never panic. A valid program keeps every jump in range and ends every
//! path in RET (tests/seccomp_common's validator, the kernel's checks for the opcodes we emit);
//! and, for profiles the independent model of tests/seccomp_common describes (conditional rules
//! of one syscall share one action), the program run by its interpreter returns what the model
//! says for probes around every number and operand in the profile.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::seccomp::{Action, ArgCond, Arch, Op, Profile, SyscallRule, compile, syscall_number};

#[path = "../../tests/seccomp_common/mod.rs"]
mod seccomp_common;
use seccomp_common::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, Data, model, run, validate};

const NAMES: &[&str] = &[
    "read", "write", "open", "close", "personality", "clone", "clone3", "socket", "bind", "shmat",
    "semop", "socketcall", "ipc", "mmap", "ptrace", "mount", "getppid", "exit_group", "rt_sigaction",
    "chown32", "io_uring_setup", "file_setattr", "map_shadow_stack", "nonexistent",
];
const ACTIONS: [Action; 9] = [
    Action::Kill, Action::KillProcess, Action::KillThread, Action::Trap, Action::Errno,
    Action::Trace, Action::Allow, Action::Log, Action::Notify,
];
const OPS: [Op; 7] = [Op::Ne, Op::Lt, Op::Le, Op::Eq, Op::Ge, Op::Gt, Op::MaskedEq];
const ARCHES: [Arch; 4] = [Arch::X86_64, Arch::X86, Arch::X32, Arch::Foreign];
const SOCKET_FAMILY: &[&str] = &["socketcall", "socket", "bind"];
const IPC_FAMILY: &[&str] = &["ipc", "semop", "shmat"];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *b
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, _| v << 8 | self.byte() as u64)
    }
}

/// The model's domain (as tests/seccomp_common::random_profile builds profiles): the rules with
/// conditions, and those naming a socketcall/ipc family member, agree on (action, errno) per
/// syscall and per family; no notify rule names write; the default is not notify.
fn modelled(p: &Profile) -> bool {
    if p.default_action == Action::Notify {
        return false;
    }
    fn key<'a>(n: &'a str) -> &'a str {
        if SOCKET_FAMILY.contains(&n) {
            "#socket"
        } else if IPC_FAMILY.contains(&n) {
            "#ipc"
        } else {
            n
        }
    }
    let mut fixed: Vec<(&str, Action, Option<u32>)> = Vec::new();
    for r in &p.syscalls {
        if r.action == Action::Notify && r.names.contains(&"write") {
            return false;
        }
        let family = r.names.iter().any(|n| key(n).starts_with('#'));
        if r.args.is_empty() && !family {
            continue;
        }
        for n in &r.names {
            match fixed.iter().find(|f| f.0 == key(n)) {
                Some(f) if (f.1, f.2) != (r.action, r.errno_ret) => return false,
                Some(_) => {}
                None => fixed.push((key(n), r.action, r.errno_ret)),
            }
        }
    }
    true
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let mut p = Profile {
        default_action: ACTIONS[inp.byte() as usize % 9],
        default_errno_ret: Some(inp.byte() as u32).filter(|e| e % 2 == 0),
        ..Default::default()
    };
    let archs = inp.byte();
    p.architectures = ARCHES.iter().enumerate().filter(|(i, _)| archs >> i & 1 == 1).map(|(_, a)| *a).collect();
    while !inp.0.is_empty() && p.syscalls.len() < 512 {
        let head = inp.byte();
        let names = (0..1 + head % 4).map(|_| NAMES[inp.byte() as usize % NAMES.len()]).collect();
        let args = (0..inp.byte() % 4)
            .map(|_| ArgCond { index: inp.byte() as u32 % 7, op: OPS[inp.byte() as usize % 7], value: inp.u64(), value_two: inp.u64() })
            .collect();
        p.syscalls.push(SyscallRule { names, action: ACTIONS[head as usize / 4 % 9], errno_ret: Some(inp.byte() as u32), args });
    }
    let Ok(f) = compile(&p) else { return };
    if let Err(e) = validate(&f.program) {
        panic!("invalid program ({e}) for {p:?}");
    }
    if !modelled(&p) || p.syscalls.iter().any(|r| r.args.iter().any(|a| a.index > 5)) {
        return;
    }
    // Probes: the first named syscalls on both arches (and with x32's bit), arguments set to the
    // operands of the first conditions, one below and one above them. Bounded: the model looks
    // every name up per probe, and a slow target explores less.
    let mut operands = vec![0u64, u64::MAX];
    for a in p.syscalls.iter().flat_map(|r| &r.args).take(4) {
        operands.extend([a.value, a.value.wrapping_sub(1), a.value.wrapping_add(1), a.value_two]);
    }
    let mut nrs: Vec<(u32, u32)> = vec![(AUDIT_ARCH_X86_64, 0x4000_0000), (AUDIT_ARCH_X86_64, 999), (0, 0)];
    for n in p.syscalls.iter().flat_map(|r| &r.names).take(4) {
        nrs.extend(syscall_number(Arch::X86_64, n).map(|nr| (AUDIT_ARCH_X86_64, nr)));
        nrs.extend(syscall_number(Arch::X86_64, n).map(|nr| (AUDIT_ARCH_X86_64, nr | 0x4000_0000)));
        nrs.extend(syscall_number(Arch::X86, n).map(|nr| (AUDIT_ARCH_I386, nr)));
    }
    nrs.extend([(AUDIT_ARCH_I386, 102), (AUDIT_ARCH_I386, 117)]);
    for (k, &(arch, nr)) in nrs.iter().enumerate() {
        for j in 0..3 {
            let i = (k + j * 7) % operands.len();
            let mut args = [operands[i]; 6];
            args[(k + j) % 6] = operands[(i + 1) % operands.len()];
            let d = Data { nr, arch, args };
            assert_eq!(run(&f.program, &d).0, model(&p, &d), "{d:x?} for {p:?}");
        }
    }
});
