//! Profile -> per-arch decision tables, with runc's semantics (runc 1.1 driving libseccomp 2.5):
//!
//! - one rule per name; a rule whose action equals the default action is dropped;
//! - names unknown on an arch are skipped for that arch;
//! - conditions on distinct argument indexes are ANDed; if any index repeats, each condition
//!   becomes a rule of its own (OR), as runc's matchCall does;
//! - an unconditional rule wins over every conditional rule of the same syscall, and the first
//!   unconditional rule wins over later ones (what libseccomp's rule database keeps);
//! - conditional rules of one syscall are tried in profile order, first match wins (libseccomp
//!   orders them by argument and operator instead; the two only differ for overlapping rules with
//!   different actions on one syscall, which no real profile has: see docs/seccomp.md);
//! - on x86, a socket or SysV IPC call also gets a rule on socketcall(2)/ipc(2) with `arg0 ==
//!   SYS_*` in place of its own arg0 conditions (libseccomp's multiplexer handling);
//! - runc's -ENOSYS stub: unless the default action is ALLOW, LOG or TRACE, a syscall number above
//!   the highest one the profile names on a listed arch returns ENOSYS, so newer syscalls fail the
//!   way an older kernel would and libc falls back.
use super::profile::{Action, Arch, Op, Profile};
use super::tables;
use crate::bail;
use crate::error::Result;
use crate::rt::table::Table;
use alloc::vec::Vec;
use syscalls::seccomp::*;

const EPERM: u32 = 1;
const NR_SOCKETCALL: u32 = 102;
const NR_IPC: u32 = 117;

/// One argument comparison, as the emitter needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cond {
    pub index: u32,
    pub op: Op,
    /// The operand; for MASKED_EQ the expected value already masked.
    pub value: u64,
    /// The mask of MASKED_EQ.
    pub mask: u64,
}

/// A conditional rule: all `conds` hold => return `ret`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CondRule {
    pub conds: Vec<Cond>,
    pub ret: u32,
}

/// What one syscall number does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Entry {
    Ret(u32),
    Cond(Vec<CondRule>),
}

/// The decision table of one arch (or x86_64 ABI mode).
#[derive(Debug, Default)]
pub(super) struct Section {
    /// Sorted by number, each number once.
    pub entries: Vec<(u32, Entry)>,
    /// runc's -ENOSYS stub: numbers above this return ENOSYS.
    pub enosys_above: Option<u32>,
}

/// Everything the emitter needs.
#[derive(Debug)]
pub(super) struct Resolved {
    pub default: u32,
    pub x86_64: Section,
    pub x32: Option<Section>,
    pub x86: Option<Section>,
}

/// The `SECCOMP_RET_*` value of an action (runc's getAction; errno is an int16 in libseccomp-golang).
pub(super) fn ret_value(action: Action, errno: Option<u32>) -> u32 {
    let data = errno.unwrap_or(EPERM) & SECCOMP_RET_DATA;
    match action {
        Action::Kill | Action::KillThread => SECCOMP_RET_KILL_THREAD,
        Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
        Action::Trap => SECCOMP_RET_TRAP,
        Action::Errno => SECCOMP_RET_ERRNO | data,
        Action::Trace => SECCOMP_RET_TRACE | data,
        Action::Allow => SECCOMP_RET_ALLOW,
        Action::Log => SECCOMP_RET_LOG,
        Action::Notify => SECCOMP_RET_USER_NOTIF,
    }
}

/// Table column of each arch we emit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    X86_64 = 0,
    X86 = 1,
    X32 = 2,
}

/// The number of `name` on `col` (x32 with its bit set).
fn lookup(col: Col, name: &str) -> Option<u32> {
    let nr = tables::lookup(col as usize, name)?;
    Some(if col == Col::X32 { nr | X32_SYSCALL_BIT } else { nr })
}

/// x86's multiplexed calls: (name, (multiplexer syscall, SYS_* code in arg0)).
const MULTIPLEXED: Table<(u32, u32)> = crate::table![
    ("socket", (NR_SOCKETCALL, 1)), ("bind", (NR_SOCKETCALL, 2)), ("connect", (NR_SOCKETCALL, 3)),
    ("listen", (NR_SOCKETCALL, 4)), ("accept", (NR_SOCKETCALL, 5)), ("getsockname", (NR_SOCKETCALL, 6)),
    ("getpeername", (NR_SOCKETCALL, 7)), ("socketpair", (NR_SOCKETCALL, 8)), ("send", (NR_SOCKETCALL, 9)),
    ("recv", (NR_SOCKETCALL, 10)), ("sendto", (NR_SOCKETCALL, 11)), ("recvfrom", (NR_SOCKETCALL, 12)),
    ("shutdown", (NR_SOCKETCALL, 13)), ("setsockopt", (NR_SOCKETCALL, 14)),
    ("getsockopt", (NR_SOCKETCALL, 15)), ("sendmsg", (NR_SOCKETCALL, 16)), ("recvmsg", (NR_SOCKETCALL, 17)),
    ("accept4", (NR_SOCKETCALL, 18)), ("recvmmsg", (NR_SOCKETCALL, 19)), ("sendmmsg", (NR_SOCKETCALL, 20)),
    ("semop", (NR_IPC, 1)), ("semget", (NR_IPC, 2)), ("semctl", (NR_IPC, 3)), ("semtimedop", (NR_IPC, 4)),
    ("msgsnd", (NR_IPC, 11)), ("msgrcv", (NR_IPC, 12)), ("msgget", (NR_IPC, 13)), ("msgctl", (NR_IPC, 14)),
    ("shmat", (NR_IPC, 21)), ("shmdt", (NR_IPC, 22)), ("shmget", (NR_IPC, 23)), ("shmctl", (NR_IPC, 24)),
];

fn multiplexed(name: &str) -> Option<(u32, u32)> {
    MULTIPLEXED.get(name).copied()
}

/// The number libseccomp reports for `name` on `col`, which runc's stub uses: on x86 a
/// multiplexed call counts as its multiplexer.
fn stub_number(col: Col, name: &str) -> Option<u32> {
    match multiplexed(name) {
        Some((mux, _)) if col == Col::X86 => Some(mux),
        _ => lookup(col, name),
    }
}

/// Resolves and checks `p`; errors name the syscall rule at fault.
pub(super) fn resolve(p: &Profile) -> Result<Resolved> {
    let default = ret_value(p.default_action, p.default_errno_ret);
    if p.default_action == Action::Notify {
        bail!("seccomp: SCMP_ACT_NOTIFY cannot be the default action");
    }
    for (i, r) in p.syscalls.iter().enumerate() {
        for name in &r.names {
            if name.is_empty() {
                bail!("seccomp: syscalls[{i}]: empty syscall name");
            }
            if r.action == Action::Notify && *name == "write" {
                bail!("seccomp: syscalls[{i}]: SCMP_ACT_NOTIFY cannot be used for the write syscall");
            }
        }
        if let Some(a) = r.args.iter().find(|a| a.index > 5) {
            bail!("seccomp: syscalls[{i}]: argument index {} out of range 0..=5", a.index);
        }
    }
    let listed = |a: Arch| p.architectures.contains(&a);
    let stub = !matches!(p.default_action, Action::Allow | Action::Log | Action::Trace);
    let section = |col: Col, arch: Arch| {
        let mut entries = entries(p, col, default);
        let enosys_above = if stub && listed(arch) {
            let names = p.syscalls.iter().flat_map(|r| r.names.iter());
            names.filter_map(|n| stub_number(col, n)).max().filter(|&m| m != 0)
        } else {
            None
        };
        // The stub runs first: it also hides rules above its limit (x86's direct socket calls
        // when only their multiplexer number counts).
        if let Some(max) = enosys_above {
            entries.retain(|e| e.0 <= max);
        }
        Section { entries, enosys_above }
    };
    Ok(Resolved {
        default,
        x86_64: section(Col::X86_64, Arch::X86_64),
        x32: listed(Arch::X32).then(|| section(Col::X32, Arch::X32)),
        x86: listed(Arch::X86).then(|| section(Col::X86, Arch::X86)),
    })
}

/// The sorted decision table of one arch.
fn entries(p: &Profile, col: Col, default: u32) -> Vec<(u32, Entry)> {
    // (number, entry) sorted by number, profile order kept within a number (insertion after the
    // last equal key: cheaper in code than a library sort); Entry::Cond holds one rule here.
    let mut items: Vec<(u32, Entry)> = Vec::new();
    let push = |items: &mut Vec<(u32, Entry)>, nr: u32, e: Entry| {
        let at = items.partition_point(|x| x.0 <= nr);
        items.insert(at, (nr, e));
    };
    for r in &p.syscalls {
        let ret = ret_value(r.action, r.errno_ret);
        if ret == default {
            continue;
        }
        let conds: Vec<Cond> = r.args.iter().map(|a| cond(a.index, a.op, a.value, a.value_two)).collect();
        let repeated = conds.iter().enumerate().any(|(i, c)| conds[..i].iter().any(|d| d.index == c.index));
        // The condition sets runc adds for this rule: all ANDed, or one rule per condition.
        let groups: Vec<&[Cond]> = if repeated { conds.chunks(1).collect() } else { alloc::vec![&conds[..]] };
        for name in &r.names {
            for &group in &groups {
                if let Some(nr) = lookup(col, name) {
                    push(&mut items, nr, entry(group.to_vec(), ret));
                }
                if let (Col::X86, Some((mux, code))) = (col, multiplexed(name)) {
                    let mut mc = alloc::vec![cond(0, Op::Eq, code as u64, 0)];
                    mc.extend(group.iter().filter(|c| c.index != 0));
                    push(&mut items, mux, entry(mc, ret));
                }
            }
        }
    }
    let mut out: Vec<(u32, Entry)> = Vec::new();
    for (nr, e) in items {
        match (out.last_mut(), e) {
            (Some((last, prev)), e) if *last == nr => match (prev, e) {
                (Entry::Ret(_), _) => {}
                (prev @ Entry::Cond(_), Entry::Ret(r)) => *prev = Entry::Ret(r),
                (Entry::Cond(rules), Entry::Cond(new)) => rules.extend(new),
            },
            (_, e) => out.push((nr, e)),
        }
    }
    out
}

fn entry(conds: Vec<Cond>, ret: u32) -> Entry {
    if conds.is_empty() { Entry::Ret(ret) } else { Entry::Cond(alloc::vec![CondRule { conds, ret }]) }
}

fn cond(index: u32, op: Op, value: u64, value_two: u64) -> Cond {
    match op {
        Op::MaskedEq => Cond { index, op, value: value_two & value, mask: value },
        _ => Cond { index, op, value, mask: 0 },
    }
}
