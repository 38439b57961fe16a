//! Structural checks of compiled programs on many random profiles (no libseccomp needed): every
//! jump in range, every path ends in RET, at most 4096 instructions; and the model agrees.
mod seccomp_common;

use rsrun::seccomp::{Action, ArgCond, Op, Profile, SyscallRule, compile};
use seccomp_common::*;

fn names() -> Vec<&'static str> {
    let src = include_str!("../src/seccomp/tables.rs");
    let body = &src[src.find("concat!(").unwrap()..src.find(");").unwrap()];
    let mut v: Vec<&str> = body.split('"').skip(1).step_by(2).collect();
    v.push("no_such_syscall");
    v
}

#[test]
fn random_programs_are_valid_and_agree_with_the_model() {
    let names = names();
    let mut rng = Rng(0xBADC_0FFE);
    for i in 0..400 {
        let p = random_profile(&mut rng, &names);
        let f = compile(&p).unwrap_or_else(|e| panic!("profile {i}: {e}\n{}", to_lines(&p)));
        validate(&f.program).unwrap_or_else(|e| panic!("profile {i}: {e}\n{}", to_lines(&p)));
        for _ in 0..400 {
            let arch = rng.pick(&[AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, 0]);
            let nr = match rng.below(4) {
                0 => rng.below(470) as u32 | 0x4000_0000,
                1 => rng.next() as u32,
                _ => rng.below(470) as u32,
            };
            let mut args = [0u64; 6];
            for a in &mut args {
                *a = operand(&mut rng);
            }
            let d = Data { nr, arch, args };
            assert_eq!(run(&f.program, &d).0, model(&p, &d), "profile {i} {d:x?}\n{}", to_lines(&p));
        }
    }
}

/// Many conditional syscalls push the shared returns beyond 255 instructions: long jumps.
#[test]
fn long_jumps() {
    let names = names();
    let rules: Vec<SyscallRule> = names[..300]
        .iter()
        .enumerate()
        .map(|(i, n)| SyscallRule {
            names: vec![*n],
            action: if i % 2 == 0 { Action::Allow } else { Action::Errno },
            errno_ret: Some(i as u32),
            args: vec![ArgCond { index: (i % 6) as u32, value: i as u64 * 0x1_0000_0001, value_two: 0, op: Op::Ge }],
        })
        .collect();
    let p = Profile { default_action: Action::KillProcess, syscalls: rules, ..Default::default() };
    let f = compile(&p).unwrap();
    validate(&f.program).unwrap();
    assert!(f.program.len() > 1000, "{}", f.program.len());
    let mut rng = Rng(3);
    for _ in 0..20000 {
        let d = Data { nr: rng.below(470) as u32, arch: AUDIT_ARCH_X86_64, args: [operand(&mut rng), operand(&mut rng), operand(&mut rng), operand(&mut rng), operand(&mut rng), operand(&mut rng)] };
        assert_eq!(run(&f.program, &d).0, model(&p, &d));
    }
}

#[test]
fn too_long_is_an_error() {
    let names = names();
    // Distinct conditions per syscall, so no argument block is shared.
    let args = |k: u64| (0..6).map(|i| ArgCond { index: i, value: 0x1234_5678_9ABC + k, value_two: 0, op: Op::Le }).collect();
    let rules = names[..400]
        .iter()
        .enumerate()
        .map(|(k, n)| SyscallRule { names: vec![*n], action: Action::Allow, errno_ret: None, args: args(k as u64) })
        .collect();
    let p = Profile { default_action: Action::Errno, syscalls: rules, ..Default::default() };
    let e = compile(&p).unwrap_err().to_string();
    assert!(e.contains("at most 4096"), "{e}");
}

#[test]
fn bad_input_is_refused() {
    let rule = |name, action, index| SyscallRule {
        names: vec![name],
        action,
        errno_ret: None,
        args: vec![ArgCond { index, value: 0, value_two: 0, op: Op::Eq }],
    };
    let p = |default_action, r| Profile { default_action, syscalls: vec![r], ..Default::default() };
    assert!(compile(&p(Action::Errno, rule("read", Action::Allow, 6))).unwrap_err().to_string().contains("index 6"));
    assert!(compile(&p(Action::Errno, rule("write", Action::Notify, 0))).is_err());
    assert!(compile(&p(Action::Notify, rule("read", Action::Allow, 0))).is_err());
    assert!(compile(&p(Action::Errno, rule("", Action::Allow, 0))).is_err());
    let ok = compile(&p(Action::Errno, rule("read", Action::Notify, 0))).unwrap();
    assert!(ok.flags.contains(rsrun::seccomp::Flags::NEW_LISTENER));
}
