//! The `seccomp_compile` target's check: the program is valid (tests/seccomp_common's validator)
//! and, for profiles inside the independent model's domain, returns what the model returns for
//! probes around every named syscall and operand of the profile.
use crate::seccomp_common::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, Data, model_with, run, validate};
use rsrun::seccomp::{Action, Arch, Profile, SockFilter, syscall_number};
use std::cell::RefCell;
use std::collections::HashMap;

const SOCKET_FAMILY: &[&str] = &["socketcall", "socket", "bind"];
const IPC_FAMILY: &[&str] = &["ipc", "semop", "shmat"];

thread_local! {
    /// `syscall_number` of every name seen, on x86_64, x86 and x32: the model looks each name of
    /// the profile up for every probe, and the lookup (a linear scan of the name table) is rsrun's
    /// instrumented code, so uncached it was most of an execution.
    static NUMBERS: RefCell<HashMap<String, [Option<u32>; 3]>> = RefCell::new(HashMap::new());
}

fn number(arch: Arch, name: &str) -> Option<u32> {
    let col = match arch {
        Arch::X86_64 => 0,
        Arch::X86 => 1,
        Arch::X32 => 2,
        Arch::Foreign => return None,
    };
    NUMBERS.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(nrs) = m.get(name) {
            return nrs[col];
        }
        let nrs = [Arch::X86_64, Arch::X86, Arch::X32].map(|a| syscall_number(a, name));
        m.insert(name.to_string(), nrs);
        nrs[col]
    })
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

/// Panics (a fuzz crash) when `program`, compiled from `p`, is invalid or, for a profile the model
/// describes, decides a probe otherwise than the model.
pub fn check(p: &Profile, program: &[SockFilter]) {
    if let Err(e) = validate(program) {
        panic!("invalid program ({e}) for {p:?}");
    }
    if !modelled(p) || p.syscalls.iter().any(|r| r.args.iter().any(|a| a.index > 5)) {
        return;
    }
    // Probes: the first named syscalls on both arches (and with x32's bit), arguments set to the
    // operands of the first conditions, one below and one above them.
    let mut operands = vec![0u64, u64::MAX];
    for a in p.syscalls.iter().flat_map(|r| &r.args).take(4) {
        operands.extend([a.value, a.value.wrapping_sub(1), a.value.wrapping_add(1), a.value_two]);
    }
    let mut nrs: Vec<(u32, u32)> = vec![(AUDIT_ARCH_X86_64, 0x4000_0000), (AUDIT_ARCH_X86_64, 999), (0, 0)];
    for n in p.syscalls.iter().flat_map(|r| &r.names).take(4) {
        nrs.extend(number(Arch::X86_64, n).map(|nr| (AUDIT_ARCH_X86_64, nr)));
        nrs.extend(number(Arch::X86_64, n).map(|nr| (AUDIT_ARCH_X86_64, nr | 0x4000_0000)));
        nrs.extend(number(Arch::X86, n).map(|nr| (AUDIT_ARCH_I386, nr)));
    }
    nrs.extend([(AUDIT_ARCH_I386, 102), (AUDIT_ARCH_I386, 117)]);
    for (k, &(arch, nr)) in nrs.iter().enumerate() {
        for j in 0..3 {
            let i = (k + j * 7) % operands.len();
            let mut args = [operands[i]; 6];
            args[(k + j) % 6] = operands[(i + 1) % operands.len()];
            let d = Data { nr, arch, args };
            assert_eq!(run(program, &d).0, model_with(p, &d, &number), "{d:x?} for {p:?}");
        }
    }
}
