//! The seccomp compiler: random profiles (decoded from the fuzz input) must compile to a valid
//! program or to an error, never panic. A valid program keeps every jump in range and ends every
//! path in RET (tests/seccomp_common's validator, the kernel's checks for the opcodes we emit);
//! and, for profiles the independent model of tests/seccomp_common describes (conditional rules
//! of one syscall share one action), the program run by its interpreter returns what the model
//! says for probes around every number and operand in the profile (fuzz/oracle/src/seccomp.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::seccomp::{Action, ArgCond, Arch, Op, Profile, SyscallRule, compile};

use oracle::seccomp::check;

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
    check(&p, &f.program);
});
