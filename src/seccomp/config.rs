//! `linux.seccomp` of a parsed config -> [`Profile`], with errors that name the field.
use super::profile::{Action, ArgCond, Arch, Flags, Op, Profile, SyscallRule, flag_from_name};
use crate::error::{Error, Result};
use crate::spec;
use alloc::vec::Vec;

pub fn from_spec<'a>(s: &'a spec::Seccomp<'_>) -> Result<Profile<'a>> {
    let action = |name: &str, field: &dyn core::fmt::Display| {
        Action::from_name(name).ok_or_else(|| Error::msg(format_args!("{field}: unknown action \"{name}\"")))
    };
    let default_action = action(&s.default_action, &"linux.seccomp.defaultAction")?;
    let mut architectures = Vec::with_capacity(s.architectures.len());
    for (i, a) in s.architectures.iter().enumerate() {
        architectures.push(Arch::from_name(a).ok_or_else(|| {
            Error::msg(format_args!("linux.seccomp.architectures[{i}]: unknown architecture \"{a}\""))
        })?);
    }
    let mut flags = Flags::empty();
    for (i, f) in s.flags.iter().enumerate() {
        flags |= flag_from_name(f)
            .ok_or_else(|| Error::msg(format_args!("linux.seccomp.flags[{i}]: unknown flag \"{f}\"")))?;
    }
    let mut syscalls = Vec::with_capacity(s.syscalls.len());
    for (i, sc) in s.syscalls.iter().enumerate() {
        let act = action(&sc.action, &format_args!("linux.seccomp.syscalls[{i}].action"))?;
        if act == Action::Notify && s.listener_path.as_deref().is_none_or(str::is_empty) {
            crate::bail!("linux.seccomp.syscalls[{i}].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
        }
        let mut args = Vec::with_capacity(sc.args.len());
        for (j, a) in sc.args.iter().enumerate() {
            if a.index > 5 {
                crate::bail!("linux.seccomp.syscalls[{i}].args[{j}].index: must be 0 to 5, got {}", a.index);
            }
            let op = Op::from_name(&a.op).ok_or_else(|| {
                Error::msg(format_args!("linux.seccomp.syscalls[{i}].args[{j}].op: unknown operator \"{}\"", a.op))
            })?;
            args.push(ArgCond { index: a.index, value: a.value, value_two: a.value_two, op });
        }
        syscalls.push(SyscallRule {
            names: sc.names.iter().map(|n| &**n).collect(),
            action: act,
            errno_ret: sc.errno_ret,
            args,
        });
    }
    Ok(Profile {
        default_action,
        default_errno_ret: s.default_errno_ret,
        architectures,
        flags,
        listener_path: s.listener_path.as_deref().filter(|p| !p.is_empty()),
        listener_metadata: s.listener_metadata.as_deref(),
        syscalls,
    })
}
