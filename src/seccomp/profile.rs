//! The compiler's input: runtime-spec's `linux.seccomp`, field for field. The config layer fills it
//! from config.json; the `from_name` functions return `None` for unknown names so it can report the
//! exact field ("linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"").
use alloc::vec::Vec;

pub use syscalls::seccomp::FilterFlags as Flags;

/// `linux.seccomp`.
#[derive(Clone, Debug, Default)]
pub struct Profile<'a> {
    /// `defaultAction`.
    pub default_action: Action,
    /// `defaultErrnoRet`: errno of a default ERRNO/TRACE action (EPERM if absent, as runc).
    pub default_errno_ret: Option<u32>,
    /// `architectures`. x86_64 is always in the filter (it is the native arch, as with libseccomp);
    /// x86 and x32 only if listed. Foreign arches are accepted and skipped (see [`Arch::Foreign`]).
    pub architectures: Vec<Arch>,
    /// `flags`, already mapped with [`flag_from_name`]. When the field is absent runc >= 1.2 uses
    /// SPEC_ALLOW; runc 1.1 and crun use none: that choice belongs to the config layer.
    pub flags: Flags,
    /// `listenerPath`: unix socket of the seccomp agent that receives the notify fd.
    pub listener_path: Option<&'a str>,
    /// `listenerMetadata`: opaque string passed to the agent in the container process state.
    pub listener_metadata: Option<&'a str>,
    /// `syscalls`.
    pub syscalls: Vec<SyscallRule<'a>>,
}

/// One entry of `linux.seccomp.syscalls`.
#[derive(Clone, Debug, Default)]
pub struct SyscallRule<'a> {
    /// `names`: names unknown on an arch are skipped for that arch, as runc and crun do.
    pub names: Vec<&'a str>,
    pub action: Action,
    /// `errnoRet`: errno of an ERRNO/TRACE action (EPERM if absent).
    pub errno_ret: Option<u32>,
    /// `args`: all must hold (AND). Several conditions on the same index make one rule per
    /// condition instead (OR), exactly as runc does.
    pub args: Vec<ArgCond>,
}

/// One entry of `args`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgCond {
    /// Argument index, 0..=5.
    pub index: u32,
    /// The operand; the mask for MASKED_EQ.
    pub value: u64,
    /// `valueTwo`: the expected value for MASKED_EQ (compared as `arg & value == value_two & value`).
    pub value_two: u64,
    pub op: Op,
}

/// `SCMP_ACT_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// `SCMP_ACT_KILL`: kills the thread, like KILL_THREAD (libseccomp's meaning).
    #[default]
    Kill,
    KillProcess,
    KillThread,
    Trap,
    Errno,
    Trace,
    Allow,
    Log,
    Notify,
}

/// `SCMP_CMP_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Op {
    Ne,
    Lt,
    Le,
    #[default]
    Eq,
    Ge,
    Gt,
    MaskedEq,
}

/// `SCMP_ARCH_*`. rsrun runs on x86_64 kernels, which only ever report x86_64, x32 or i386 syscalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    X86,
    X32,
    /// Any other arch runtime-spec names (ARM, AARCH64, MIPS*, PPC*, S390*, PARISC*, RISCV64,
    /// LOONGARCH64...). runc adds them to the filter because libseccomp knows them, but an x86_64
    /// kernel never reports them, so those sections could never run: we accept the name and leave
    /// them out. Decisions are identical, the program is shorter.
    Foreign,
}

impl Action {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SCMP_ACT_KILL" => Self::Kill,
            "SCMP_ACT_KILL_PROCESS" => Self::KillProcess,
            "SCMP_ACT_KILL_THREAD" => Self::KillThread,
            "SCMP_ACT_TRAP" => Self::Trap,
            "SCMP_ACT_ERRNO" => Self::Errno,
            "SCMP_ACT_TRACE" => Self::Trace,
            "SCMP_ACT_ALLOW" => Self::Allow,
            "SCMP_ACT_LOG" => Self::Log,
            "SCMP_ACT_NOTIFY" => Self::Notify,
            _ => return None,
        })
    }
}

impl Op {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SCMP_CMP_NE" => Self::Ne,
            "SCMP_CMP_LT" => Self::Lt,
            "SCMP_CMP_LE" => Self::Le,
            "SCMP_CMP_EQ" => Self::Eq,
            "SCMP_CMP_GE" => Self::Ge,
            "SCMP_CMP_GT" => Self::Gt,
            "SCMP_CMP_MASKED_EQ" => Self::MaskedEq,
            _ => return None,
        })
    }
}

impl Arch {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SCMP_ARCH_X86_64" => Self::X86_64,
            "SCMP_ARCH_X86" => Self::X86,
            "SCMP_ARCH_X32" => Self::X32,
            "SCMP_ARCH_ARM" | "SCMP_ARCH_AARCH64" | "SCMP_ARCH_MIPS" | "SCMP_ARCH_MIPS64"
            | "SCMP_ARCH_MIPS64N32" | "SCMP_ARCH_MIPSEL" | "SCMP_ARCH_MIPSEL64"
            | "SCMP_ARCH_MIPSEL64N32" | "SCMP_ARCH_PPC" | "SCMP_ARCH_PPC64" | "SCMP_ARCH_PPC64LE"
            | "SCMP_ARCH_S390" | "SCMP_ARCH_S390X" | "SCMP_ARCH_PARISC" | "SCMP_ARCH_PARISC64"
            | "SCMP_ARCH_RISCV64" | "SCMP_ARCH_LOONGARCH64" | "SCMP_ARCH_M68K" | "SCMP_ARCH_SH"
            | "SCMP_ARCH_SHEB" => Self::Foreign,
            _ => return None,
        })
    }
}

/// `SECCOMP_FILTER_FLAG_*` names of `linux.seccomp.flags`.
pub fn flag_from_name(name: &str) -> Option<Flags> {
    Some(match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => Flags::TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => Flags::LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => Flags::SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => Flags::WAIT_KILLABLE_RECV,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Action::from_name("SCMP_ACT_ERRNO"), Some(Action::Errno));
        assert_eq!(Action::from_name("SCMP_ACT_errno"), None);
        assert_eq!(Op::from_name("SCMP_CMP_MASKED_EQ"), Some(Op::MaskedEq));
        assert_eq!(Arch::from_name("SCMP_ARCH_X32"), Some(Arch::X32));
        assert_eq!(Arch::from_name("SCMP_ARCH_AARCH64"), Some(Arch::Foreign));
        assert_eq!(Arch::from_name("SCMP_ARCH_VAX"), None);
        assert_eq!(flag_from_name("SECCOMP_FILTER_FLAG_LOG"), Some(Flags::LOG));
        assert_eq!(flag_from_name("SECCOMP_FILTER_FLAG_NEW_LISTENER"), None);
    }
}
