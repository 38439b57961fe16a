//! Test helpers for the seccomp compiler: a classic-BPF interpreter and validator, a seeded PRNG,
//! random profiles, and the line format shared with tests/seccomp_ref.py.
#![allow(dead_code)]
use rsrun::seccomp::{Action, ArgCond, Arch, Op, Profile, SockFilter, SyscallRule, syscall_number};
use std::fmt::Write;

pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
pub const AUDIT_ARCH_AARCH64: u32 = 0xC000_00B7;

/// `struct seccomp_data` as the filter sees it.
#[derive(Clone, Copy, Debug)]
pub struct Data {
    pub nr: u32,
    pub arch: u32,
    pub args: [u64; 6],
}

impl Data {
    fn word(&self, off: u32) -> u32 {
        match off {
            0 => self.nr,
            4 => self.arch,
            8 | 12 => 0, // instruction pointer
            16..=63 if off.is_multiple_of(4) => {
                let a = self.args[(off as usize - 16) / 8];
                if off.is_multiple_of(8) { a as u32 } else { (a >> 32) as u32 }
            }
            _ => panic!("load at bad offset {off}"),
        }
    }
}

/// Checks what the kernel's verifier checks for the instructions we use: known opcodes, jumps in
/// range, every path ends in RET (the last instruction is a RET), at most 4096 instructions.
pub fn validate(p: &[SockFilter]) -> Result<(), String> {
    if p.is_empty() || p.len() > 4096 {
        return Err(format!("length {}", p.len()));
    }
    for (i, ins) in p.iter().enumerate() {
        let rest = p.len() - i - 1;
        match ins.code {
            0x20 => {
                if ins.k % 4 != 0 || ins.k >= 64 {
                    return Err(format!("{i}: load offset {}", ins.k));
                }
            }
            0x54 | 0x06 => {}
            0x05 => {
                if ins.k as usize >= rest {
                    return Err(format!("{i}: ja out of range"));
                }
            }
            0x15 | 0x25 | 0x35 | 0x45 => {
                if ins.jt as usize >= rest || ins.jf as usize >= rest {
                    return Err(format!("{i}: jump out of range"));
                }
            }
            c => return Err(format!("{i}: unexpected opcode {c:#x}")),
        }
    }
    if p.last().map(|i| i.code) != Some(0x06) {
        return Err("does not end in RET".into());
    }
    Ok(())
}

/// Runs `p` on `d`; returns the action and the number of instructions executed.
pub fn run(p: &[SockFilter], d: &Data) -> (u32, usize) {
    let (mut pc, mut a, mut steps) = (0usize, 0u32, 0usize);
    loop {
        let ins = p[pc];
        steps += 1;
        pc += 1;
        let cond = |taken: bool| if taken { ins.jt as usize } else { ins.jf as usize };
        match ins.code {
            0x20 => a = d.word(ins.k),
            0x00 => a = ins.k,
            0x54 => a &= ins.k,
            0x05 => pc += ins.k as usize,
            0x15 => pc += cond(a == ins.k),
            0x25 => pc += cond(a > ins.k),
            0x35 => pc += cond(a >= ins.k),
            0x45 => pc += cond(a & ins.k != 0),
            0x06 => return (ins.k, steps),
            c => panic!("opcode {c:#x} at {}", pc - 1),
        }
    }
}

/// The longest path through `p` (it is a DAG: jumps go forward).
pub fn longest_path(p: &[SockFilter]) -> usize {
    let mut best = vec![0usize; p.len() + 1];
    for i in (0..p.len()).rev() {
        let ins = p[i];
        best[i] = 1 + match ins.code {
            0x06 => 0,
            0x05 => best[i + 1 + ins.k as usize],
            0x15 | 0x25 | 0x35 | 0x45 => best[i + 1 + ins.jt as usize].max(best[i + 1 + ins.jf as usize]),
            _ => best[i + 1],
        };
    }
    best[0]
}

/// xorshift64*: a small, seeded, reproducible generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub const ACTIONS: [(&str, Action); 9] = [
    ("SCMP_ACT_KILL", Action::Kill),
    ("SCMP_ACT_KILL_PROCESS", Action::KillProcess),
    ("SCMP_ACT_KILL_THREAD", Action::KillThread),
    ("SCMP_ACT_TRAP", Action::Trap),
    ("SCMP_ACT_ERRNO", Action::Errno),
    ("SCMP_ACT_TRACE", Action::Trace),
    ("SCMP_ACT_ALLOW", Action::Allow),
    ("SCMP_ACT_LOG", Action::Log),
    ("SCMP_ACT_NOTIFY", Action::Notify),
];
pub const OPS: [(&str, Op); 7] = [
    ("SCMP_CMP_NE", Op::Ne),
    ("SCMP_CMP_LT", Op::Lt),
    ("SCMP_CMP_LE", Op::Le),
    ("SCMP_CMP_EQ", Op::Eq),
    ("SCMP_CMP_GE", Op::Ge),
    ("SCMP_CMP_GT", Op::Gt),
    ("SCMP_CMP_MASKED_EQ", Op::MaskedEq),
];
pub const ARCHES: [(&str, Arch); 4] = [
    ("SCMP_ARCH_X86_64", Arch::X86_64),
    ("SCMP_ARCH_X86", Arch::X86),
    ("SCMP_ARCH_X32", Arch::X32),
    ("SCMP_ARCH_AARCH64", Arch::Foreign),
];

fn action_name(a: Action) -> &'static str {
    ACTIONS.iter().find(|x| x.1 == a).unwrap().0
}
fn op_name(o: Op) -> &'static str {
    OPS.iter().find(|x| x.1 == o).unwrap().0
}
fn arch_name(a: Arch) -> &'static str {
    ARCHES.iter().find(|x| x.1 == a).unwrap().0
}
fn errno(e: Option<u32>) -> String {
    e.map_or("-".into(), |e| e.to_string())
}

/// The profile in tests/seccomp_ref.py's line format.
pub fn to_lines(p: &Profile) -> String {
    let mut s = String::new();
    writeln!(s, "default {} {}", action_name(p.default_action), errno(p.default_errno_ret)).unwrap();
    for a in &p.architectures {
        writeln!(s, "arch {}", arch_name(*a)).unwrap();
    }
    for r in &p.syscalls {
        writeln!(s, "rule {} {} {}", action_name(r.action), errno(r.errno_ret), r.names.join(" ")).unwrap();
        for a in &r.args {
            writeln!(s, "arg {} {} {} {}", a.index, op_name(a.op), a.value, a.value_two).unwrap();
        }
    }
    s
}

/// Parses the line format; names borrow from `text`.
pub fn from_lines(text: &str) -> Profile<'_> {
    let mut p = Profile::default();
    let num = |w: &str| if w == "-" { None } else { Some(w.parse::<u32>().unwrap()) };
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first().copied() {
            Some("default") => {
                p.default_action = Action::from_name(w[1]).unwrap();
                p.default_errno_ret = num(w[2]);
            }
            Some("arch") => p.architectures.push(Arch::from_name(w[1]).unwrap()),
            Some("rule") => p.syscalls.push(SyscallRule {
                names: w[3..].to_vec(),
                action: Action::from_name(w[1]).unwrap(),
                errno_ret: num(w[2]),
                args: vec![],
            }),
            Some("arg") => p.syscalls.last_mut().unwrap().args.push(ArgCond {
                index: w[1].parse().unwrap(),
                op: Op::from_name(w[2]).unwrap(),
                value: w[3].parse().unwrap(),
                value_two: w[4].parse().unwrap(),
            }),
            _ => {}
        }
    }
    p
}

/// Interesting 64-bit operands: word boundaries and a few random values.
pub fn operand(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0 => 0,
        1 => rng.below(8) as u64,
        2 => 0xFFFF_FFFF,
        3 => 0x1_0000_0000,
        4 => u64::MAX,
        5 => 0xFFFF_FFFF_0000_0000 | rng.below(4) as u64,
        6 => rng.next() & 0xFFFF_FFFF,
        7 => (rng.below(3) as u64) << 32 | rng.below(3) as u64,
        _ => rng.next(),
    }
}

/// Syscall names of x86's socketcall/ipc families: one action per family and profile, because
/// libseccomp orders overlapping multiplexer rules differently (see docs/seccomp.md).
const SOCKET_FAMILY: &[&str] = &[
    "socketcall", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername",
    "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt",
    "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg",
];
const IPC_FAMILY: &[&str] = &[
    "ipc", "semop", "semget", "semctl", "semtimedop", "msgsnd", "msgrcv", "msgget", "msgctl", "shmat",
    "shmdt", "shmget", "shmctl",
];

/// A random profile over `names`. Conditional rules of one syscall share one action (libseccomp's
/// order among overlapping conditional rules with different actions is not first-match; we do
/// not reproduce it, see docs/seccomp.md); unconditional rules are free.
pub fn random_profile<'a>(rng: &mut Rng, names: &[&'a str]) -> Profile<'a> {
    let act = |rng: &mut Rng, default: bool| loop {
        let a = rng.pick(&ACTIONS).1;
        if !(default && a == Action::Notify) {
            return a;
        }
    };
    let errno = |rng: &mut Rng| match rng.below(4) {
        0 => None,
        1 => Some(1),
        2 => Some(38),
        _ => Some(rng.below(200) as u32),
    };
    let mut p = Profile { default_action: act(rng, true), default_errno_ret: errno(rng), ..Default::default() };
    for (_, a) in ARCHES {
        if rng.chance(50) {
            p.architectures.push(a);
        }
    }
    // Per-profile fixed action (with its errno) for conditional rules of each name.
    let fixed: Vec<(Action, Option<u32>)> = (0..names.len()).map(|_| (act(rng, false), errno(rng))).collect();
    let family_fixed = [(act(rng, false), errno(rng)), (act(rng, false), errno(rng))];
    let fixed_of = |n: &str, i: usize| {
        if SOCKET_FAMILY.contains(&n) {
            family_fixed[0]
        } else if IPC_FAMILY.contains(&n) {
            family_fixed[1]
        } else {
            fixed[i]
        }
    };
    let family = |n: &str| SOCKET_FAMILY.contains(&n) || IPC_FAMILY.contains(&n);
    let max_rules = if rng.chance(20) { 120 } else { 25 };
    let nrules = 1 + rng.below(max_rules);
    for _ in 0..nrules {
        let nargs = if rng.chance(40) { 0 } else { 1 + rng.below(3) };
        let mut args = Vec::new();
        for _ in 0..nargs {
            let op = rng.pick(&OPS).1;
            let span = if rng.chance(20) { 2 } else { 6 };
            let index = rng.below(span) as u32;
            args.push(ArgCond { index, value: operand(rng), value_two: operand(rng), op });
        }
        let k = rng.below(names.len());
        let first = names[k];
        let (mut action, mut errno_ret) = (act(rng, false), errno(rng));
        if !args.is_empty() || family(first) {
            (action, errno_ret) = fixed_of(first, k);
        }
        let mut rule_names = vec![first];
        let max_names = if rng.chance(30) { 30 } else { 3 };
        for _ in 0..rng.below(max_names) {
            let j = rng.below(names.len());
            let n = names[j];
            let free = args.is_empty() && !family(n) && !family(first);
            if free || fixed_of(n, j) == (action, errno_ret) {
                rule_names.push(n);
            }
        }
        if action == Action::Notify {
            rule_names.retain(|n| *n != "write");
            if rule_names.is_empty() {
                continue;
            }
        }
        p.syscalls.push(SyscallRule { names: rule_names, action, errno_ret, args });
    }
    p
}

/// x86's multiplexed calls (libseccomp adds a socketcall/ipc rule with `arg0 == code` for them).
const MUX: &[(&str, u32, u64)] = &[
    ("socket", 102, 1), ("bind", 102, 2), ("connect", 102, 3), ("listen", 102, 4), ("accept", 102, 5),
    ("getsockname", 102, 6), ("getpeername", 102, 7), ("socketpair", 102, 8), ("send", 102, 9),
    ("recv", 102, 10), ("sendto", 102, 11), ("recvfrom", 102, 12), ("shutdown", 102, 13),
    ("setsockopt", 102, 14), ("getsockopt", 102, 15), ("sendmsg", 102, 16), ("recvmsg", 102, 17),
    ("accept4", 102, 18), ("recvmmsg", 102, 19), ("sendmmsg", 102, 20), ("semop", 117, 1),
    ("semget", 117, 2), ("semctl", 117, 3), ("semtimedop", 117, 4), ("msgsnd", 117, 11),
    ("msgrcv", 117, 12), ("msgget", 117, 13), ("msgctl", 117, 14), ("shmat", 117, 21),
    ("shmdt", 117, 22), ("shmget", 117, 23), ("shmctl", 117, 24),
];

fn ret_of(a: Action, errno: Option<u32>) -> u32 {
    let e = errno.unwrap_or(1) & 0xFFFF;
    match a {
        Action::Kill | Action::KillThread => 0,
        Action::KillProcess => 0x8000_0000,
        Action::Trap => 0x0003_0000,
        Action::Errno => 0x0005_0000 | e,
        Action::Trace => 0x7FF0_0000 | e,
        Action::Allow => 0x7FFF_0000,
        Action::Log => 0x7FFC_0000,
        Action::Notify => 0x7FC0_0000,
    }
}

fn holds(c: &ArgCond, arg: u64, wide: bool) -> bool {
    let (a, v, m) = if wide { (arg, c.value, c.value_two) } else { (arg as u32 as u64, c.value as u32 as u64, c.value_two as u32 as u64) };
    match c.op {
        Op::Eq => a == v,
        Op::Ne => a != v,
        Op::Lt => a < v,
        Op::Le => a <= v,
        Op::Gt => a > v,
        Op::Ge => a >= v,
        Op::MaskedEq => a & v == m & v, // value is the mask
    }
}

/// runc's decision for `d`, evaluated straight from the profile (an oracle independent of the
/// compiler): arch checks as libseccomp, runc's -ENOSYS stub, unconditional rules first, then the
/// first conditional rule that holds, else the default.
pub fn model(p: &Profile, d: &Data) -> u32 {
    model_with(p, d, &syscall_number)
}

/// `model` with the syscall numbers from `number` (the fuzz target's oracle passes a cache of
/// `syscall_number`).
pub fn model_with(p: &Profile, d: &Data, number: &dyn Fn(Arch, &str) -> Option<u32>) -> u32 {
    let default = ret_of(p.default_action, p.default_errno_ret);
    let listed = |a: Arch| p.architectures.contains(&a);
    let bit30 = d.nr & 0x4000_0000 != 0;
    let arch = match d.arch {
        AUDIT_ARCH_X86_64 if bit30 && listed(Arch::X32) => Arch::X32,
        AUDIT_ARCH_X86_64 if bit30 && d.nr == u32::MAX => return default,
        AUDIT_ARCH_X86_64 if bit30 => return 0,
        AUDIT_ARCH_X86_64 => Arch::X86_64,
        AUDIT_ARCH_I386 if listed(Arch::X86) => Arch::X86,
        _ => return 0,
    };
    let mux = |n: &str| MUX.iter().find(|m| m.0 == n).map(|m| (m.1, m.2));
    // runc's stub, for listed arches, unless the default is permissive.
    if listed(arch) && !matches!(p.default_action, Action::Allow | Action::Log | Action::Trace) {
        let max = p.syscalls.iter().flat_map(|r| &r.names).filter_map(|n| match mux(n) {
            Some((m, _)) if arch == Arch::X86 => Some(m),
            _ => number(arch, n),
        }).max().unwrap_or(0);
        if max != 0 && d.nr > max {
            return 0x0005_0000 | 38;
        }
    }
    // x86_64 numbers >= 0x8000_0000 (bit 30 clear): libseccomp's x86_64 section sends every
    // number >= 0x4000_0000 to x32's, or to the bad-arch action.
    if arch == Arch::X86_64 && d.nr >= 0x4000_0000 {
        return if listed(Arch::X32) { default } else { 0 };
    }
    // Candidate rules for d.nr in profile order: (conditions, return value).
    let mut cands: Vec<(Vec<ArgCond>, u32)> = Vec::new();
    for r in &p.syscalls {
        let ret = ret_of(r.action, r.errno_ret);
        if ret == default {
            continue;
        }
        let repeated = r.args.iter().enumerate().any(|(i, a)| r.args[..i].iter().any(|b| b.index == a.index));
        let groups: Vec<Vec<ArgCond>> = if repeated { r.args.iter().map(|a| vec![*a]).collect() } else { vec![r.args.clone()] };
        for n in &r.names {
            for g in &groups {
                if number(arch, n) == Some(d.nr) {
                    cands.push((g.clone(), ret));
                }
                if let (Arch::X86, Some((m, code))) = (arch, mux(n))
                    && m == d.nr
                {
                    let mut c = vec![ArgCond { index: 0, value: code, value_two: 0, op: Op::Eq }];
                    c.extend(g.iter().filter(|a| a.index != 0));
                    cands.push((c, ret));
                }
            }
        }
    }
    if let Some(c) = cands.iter().find(|c| c.0.is_empty()) {
        return c.1;
    }
    let wide = arch == Arch::X86_64;
    cands
        .iter()
        .find(|(conds, _)| conds.iter().all(|c| holds(c, d.args[c.index as usize], wide)))
        .map_or(default, |c| c.1)
}
