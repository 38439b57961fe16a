//! Where and how the process runs: `process.scheduler` (sched_setattr), `process.ioPriority`
//! (ioprio_set), `linux.personality` (personality), `linux.memoryPolicy` (set_mempolicy) and
//! `process.execCPUAffinity` (sched_setaffinity). All are per-thread attributes that survive execve,
//! so the init sets them on itself. Checks follow runc's validator, with the field path in each error.
use crate::bail;
use crate::error::{Context, Error, Quoted, Result};
use crate::spec::{IoPriority, MemoryPolicy, Personality, Scheduler};
use syscalls::process::Personality as Persona;
use syscalls::sched::{IoprioClass, MempolicyFlags, MempolicyMode, SchedAttr, SchedFlags, SchedPolicy};

/// The bits of a list of small numbers ("0-3,7"): CPUs or NUMA nodes, at most `MAX_BITS`.
pub const MAX_BITS: usize = 1024;
pub type Bits = [u64; MAX_BITS / 64];

/// Parses "0-3,7" (ranges with dashes, commas between; spaces around items are allowed) into a bit
/// set. `None` for an empty string, which the runtime-spec treats as unset.
pub fn parse_list(s: &str, field: &str) -> Result<Option<Bits>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let mut bits = [0u64; MAX_BITS / 64];
    for item in s.split(',') {
        let item = item.trim();
        let (lo, hi) = match item.split_once('-') {
            Some((a, b)) => (number(a, s, field)?, number(b, s, field)?),
            None => {
                let n = number(item, s, field)?;
                (n, n)
            }
        };
        if lo > hi {
            bail!("{field}: invalid range {} in {}", Quoted::str(item), Quoted::str(s));
        }
        for n in lo..=hi {
            bits[n / 64] |= 1 << (n % 64);
        }
    }
    Ok(Some(bits))
}

fn number(t: &str, whole: &str, field: &str) -> Result<usize> {
    let t = t.trim();
    let ok = !t.is_empty() && t.len() <= 5 && t.bytes().all(|b| b.is_ascii_digit());
    match crate::rt::parse_uint(t) {
        Some(n) if ok && n < MAX_BITS as u64 => Ok(n as usize),
        Some(n) if ok => bail!("{field}: {n} is too large (at most {}) in {}", MAX_BITS - 1, Quoted::str(whole)),
        _ => bail!("{field}: invalid list {}: expected numbers and ranges like \"0-3,7\"", Quoted::str(whole)),
    }
}

/// `SCHED_*` policies as the runtime-spec names them.
const POLICIES: [(&str, SchedPolicy); 6] = [
    ("SCHED_OTHER", SchedPolicy::Other),
    ("SCHED_FIFO", SchedPolicy::Fifo),
    ("SCHED_RR", SchedPolicy::Rr),
    ("SCHED_BATCH", SchedPolicy::Batch),
    ("SCHED_IDLE", SchedPolicy::Idle),
    ("SCHED_DEADLINE", SchedPolicy::Deadline),
];

const SCHED_FLAGS: [(&str, SchedFlags); 7] = [
    ("SCHED_FLAG_RESET_ON_FORK", SchedFlags::RESET_ON_FORK),
    ("SCHED_FLAG_RECLAIM", SchedFlags::RECLAIM),
    ("SCHED_FLAG_DL_OVERRUN", SchedFlags::DL_OVERRUN),
    ("SCHED_FLAG_KEEP_POLICY", SchedFlags::KEEP_POLICY),
    ("SCHED_FLAG_KEEP_PARAMS", SchedFlags::KEEP_PARAMS),
    ("SCHED_FLAG_UTIL_CLAMP_MIN", SchedFlags::UTIL_CLAMP_MIN),
    ("SCHED_FLAG_UTIL_CLAMP_MAX", SchedFlags::UTIL_CLAMP_MAX),
];

/// Checks `process.scheduler` and builds the sched_attr.
pub fn parse_scheduler(s: &Scheduler<'_>) -> Result<SchedAttr> {
    let policy_name = &*s.policy;
    if policy_name.is_empty() {
        bail!("process.scheduler.policy: missing");
    }
    let Some(&(_, policy)) = POLICIES.iter().find(|(n, _)| *n == policy_name) else {
        if policy_name == "SCHED_ISO" {
            bail!("process.scheduler.policy: SCHED_ISO is not supported by Linux");
        }
        bail!("process.scheduler.policy: unknown policy {}", Quoted::str(policy_name));
    };
    if !(-20..=19).contains(&s.nice) {
        bail!("process.scheduler.nice: must be from -20 to 19, got {}", s.nice);
    }
    let realtime = matches!(policy, SchedPolicy::Fifo | SchedPolicy::Rr);
    if realtime && !(1..=99).contains(&s.priority) {
        bail!("process.scheduler.priority: must be from 1 to 99 for {policy_name}, got {}", s.priority);
    }
    if !realtime && s.priority != 0 {
        bail!("process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR");
    }
    if policy != SchedPolicy::Deadline && (s.runtime != 0 || s.deadline != 0 || s.period != 0) {
        bail!("process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE");
    }
    let mut flags = SchedFlags::empty();
    for (i, f) in s.flags.iter().enumerate() {
        match SCHED_FLAGS.iter().find(|(n, _)| *n == *f) {
            Some(&(_, v)) => flags |= v,
            None => bail!("process.scheduler.flags[{i}]: unknown flag {}", Quoted::str(f)),
        }
    }
    Ok(SchedAttr {
        policy,
        flags,
        nice: s.nice,
        priority: s.priority as u32,
        runtime: s.runtime,
        deadline: s.deadline,
        period: s.period,
        util_min: 0,
        util_max: 0,
    })
}

pub fn apply_scheduler(attr: &SchedAttr) -> Result<()> {
    syscalls::sched::sched_setattr(None, attr).context("process.scheduler: sched_setattr")
}

/// An I/O priority: class and level 0..=7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ioprio {
    pub class: IoprioClass,
    pub level: u8,
}

pub fn parse_ioprio(p: &IoPriority<'_>) -> Result<Ioprio> {
    let class = match &*p.class {
        "IOPRIO_CLASS_RT" => IoprioClass::Rt,
        "IOPRIO_CLASS_BE" => IoprioClass::Be,
        "IOPRIO_CLASS_IDLE" => IoprioClass::Idle,
        other => bail!("process.ioPriority.class: unknown class {}", Quoted::str(other)),
    };
    if !(0..=7).contains(&p.priority) {
        bail!("process.ioPriority.priority: must be from 0 to 7, got {}", p.priority);
    }
    Ok(Ioprio { class, level: p.priority as u8 })
}

pub fn apply_ioprio(p: Ioprio) -> Result<()> {
    syscalls::sched::ioprio_set(None, p.class, p.level).context("process.ioPriority: ioprio_set")
}

/// `linux.personality`: the domain (PER_LINUX, PER_LINUX32). The runtime-spec defines no flags.
pub fn parse_personality(p: &Personality<'_>) -> Result<Persona> {
    let persona = match &*p.domain {
        "LINUX" => Persona::empty(),
        "LINUX32" => Persona::LINUX32,
        other => bail!("linux.personality.domain: unknown domain {}", Quoted::str(other)),
    };
    if let Some(f) = p.flags.first() {
        bail!("linux.personality.flags: no flags are supported, got {}", Quoted::str(f));
    }
    Ok(persona)
}

pub fn apply_personality(persona: Persona) -> Result<()> {
    syscalls::process::personality(persona).map(drop).context("linux.personality: personality")
}

const MPOL_MODES: [(&str, MempolicyMode); 7] = [
    ("MPOL_DEFAULT", MempolicyMode::Default),
    ("MPOL_PREFERRED", MempolicyMode::Preferred),
    ("MPOL_BIND", MempolicyMode::Bind),
    ("MPOL_INTERLEAVE", MempolicyMode::Interleave),
    ("MPOL_LOCAL", MempolicyMode::Local),
    ("MPOL_PREFERRED_MANY", MempolicyMode::PreferredMany),
    ("MPOL_WEIGHTED_INTERLEAVE", MempolicyMode::WeightedInterleave),
];

const MPOL_FLAGS: [(&str, MempolicyFlags); 3] = [
    ("MPOL_F_NUMA_BALANCING", MempolicyFlags::NUMA_BALANCING),
    ("MPOL_F_RELATIVE_NODES", MempolicyFlags::RELATIVE_NODES),
    ("MPOL_F_STATIC_NODES", MempolicyFlags::STATIC_NODES),
];

/// A checked `linux.memoryPolicy`: mode, flags and the node mask (`None`: no mask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mempolicy {
    pub mode: MempolicyMode,
    pub flags: MempolicyFlags,
    pub nodes: Option<Bits>,
}

pub fn parse_mempolicy(m: &MemoryPolicy<'_>) -> Result<Mempolicy> {
    let Some(&(mode_name, mode)) = MPOL_MODES.iter().find(|(n, _)| *n == m.mode) else {
        bail!("linux.memoryPolicy.mode: unknown mode {}", Quoted::str(&m.mode));
    };
    let mut flags = MempolicyFlags::empty();
    for (i, f) in m.flags.iter().enumerate() {
        match MPOL_FLAGS.iter().find(|(n, _)| *n == *f) {
            Some(&(_, v)) => flags |= v,
            None => bail!("linux.memoryPolicy.flags[{i}]: unknown flag {}", Quoted::str(f)),
        }
    }
    if flags.contains(MempolicyFlags::STATIC_NODES | MempolicyFlags::RELATIVE_NODES) {
        bail!("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
    }
    let nodes = match &m.nodes {
        Some(s) => parse_list(s, "linux.memoryPolicy.nodes")?,
        None => None,
    };
    use MempolicyMode::*;
    match (mode, nodes.is_some()) {
        (Default | Local, true) => bail!("linux.memoryPolicy.nodes: must be empty for {mode_name}"),
        (Default | Local, false) if !flags.is_empty() => bail!("linux.memoryPolicy.flags: must be empty for {mode_name}"),
        (Bind | Interleave | PreferredMany | WeightedInterleave, false) => {
            bail!("linux.memoryPolicy.nodes: required for {mode_name}")
        }
        _ => {}
    }
    Ok(Mempolicy { mode, flags, nodes })
}

pub fn apply_mempolicy(m: &Mempolicy) -> Result<()> {
    let mask: &[u64] = match &m.nodes {
        Some(bits) => &bits[..used_words(bits)],
        None => &[],
    };
    syscalls::sched::set_mempolicy(m.mode, m.flags, mask).context("linux.memoryPolicy: set_mempolicy")
}

/// Words up to the highest set bit: the kernel refuses a mask longer than its node count allows
/// only when bits beyond it are set, but a short mask is cheaper to copy.
fn used_words(bits: &Bits) -> usize {
    bits.iter().rposition(|w| *w != 0).map_or(0, |i| i + 1)
}

/// `execCPUAffinity` as parsed masks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Affinity {
    pub initial: Option<Bits>,
    pub final_: Option<Bits>,
}

pub fn set_affinity(bits: &Bits, field: &str) -> Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    for cpu in 0..MAX_BITS.min(rustix::thread::CpuSet::MAX_CPU) {
        if bits[cpu / 64] & (1 << (cpu % 64)) != 0 {
            set.set(cpu);
        }
    }
    rustix::thread::sched_setaffinity(None, &set).map_err(|e| Error::sys(format_args!("{field}: sched_setaffinity"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn lists() {
        let b = parse_list("0-3,7", "f").unwrap().unwrap();
        assert_eq!(b[0], 0b1000_1111);
        let b = parse_list(" 1 , 64-65 ,1023", "f").unwrap().unwrap();
        assert_eq!((b[0], b[1], b[15]), (2, 3, 1 << 63));
        assert_eq!(parse_list("", "f").unwrap(), None);
        assert_eq!(parse_list("3-1", "f").unwrap_err().to_string(), "f: invalid range \"3-1\" in \"3-1\"");
        assert_eq!(parse_list("1024", "f").unwrap_err().to_string(), "f: 1024 is too large (at most 1023) in \"1024\"");
        for bad in ["a", "1,,2", "-1", "1-", "+1", "0x1", "1-2-3"] {
            assert!(parse_list(bad, "f").is_err(), "{bad}");
        }
        assert_eq!(
            parse_list("x", "process.execCPUAffinity.initial").unwrap_err().to_string(),
            "process.execCPUAffinity.initial: invalid list \"x\": expected numbers and ranges like \"0-3,7\""
        );
    }

    #[test]
    fn scheduler_rules() {
        let s = |policy: &'static str, nice, priority| Scheduler { policy: policy.into(), nice, priority, ..Default::default() };
        let a = parse_scheduler(&s("SCHED_BATCH", 5, 0)).unwrap();
        assert_eq!((a.policy, a.nice), (SchedPolicy::Batch, 5));
        assert_eq!(parse_scheduler(&s("SCHED_FIFO", 0, 10)).unwrap().priority, 10);
        let e = |x: Scheduler<'static>| parse_scheduler(&x).unwrap_err().to_string();
        assert_eq!(e(s("SCHED_FOO", 0, 0)), "process.scheduler.policy: unknown policy \"SCHED_FOO\"");
        assert_eq!(e(s("SCHED_ISO", 0, 0)), "process.scheduler.policy: SCHED_ISO is not supported by Linux");
        assert_eq!(e(s("", 0, 0)), "process.scheduler.policy: missing");
        assert_eq!(e(s("SCHED_OTHER", 20, 0)), "process.scheduler.nice: must be from -20 to 19, got 20");
        assert_eq!(e(s("SCHED_RR", 0, 0)), "process.scheduler.priority: must be from 1 to 99 for SCHED_RR, got 0");
        assert_eq!(e(s("SCHED_OTHER", 0, 1)), "process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR");
        let mut d = s("SCHED_OTHER", 0, 0);
        d.runtime = 1;
        assert_eq!(e(d), "process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE");
        let mut f = s("SCHED_OTHER", 0, 0);
        f.flags = vec!["SCHED_FLAG_RESET_ON_FORK".into(), "SCHED_FLAG_X".into()];
        assert_eq!(e(f), "process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_X\"");
    }

    #[test]
    fn ioprio_personality_mempolicy() {
        let io = |c: &'static str, p| parse_ioprio(&IoPriority { class: c.into(), priority: p });
        assert_eq!(io("IOPRIO_CLASS_BE", 3).unwrap(), Ioprio { class: IoprioClass::Be, level: 3 });
        assert_eq!(io("IOPRIO_CLASS_XX", 3).unwrap_err().to_string(), "process.ioPriority.class: unknown class \"IOPRIO_CLASS_XX\"");
        assert_eq!(io("IOPRIO_CLASS_RT", 8).unwrap_err().to_string(), "process.ioPriority.priority: must be from 0 to 7, got 8");

        let pe = |d: &'static str| parse_personality(&Personality { domain: d.into(), flags: vec![] });
        assert_eq!(pe("LINUX32").unwrap().bits(), 8);
        assert_eq!(pe("LINUX").unwrap().bits(), 0);
        assert_eq!(pe("LINUX64").unwrap_err().to_string(), "linux.personality.domain: unknown domain \"LINUX64\"");

        let mp = |mode: &'static str, nodes: Option<&'static str>, flags: &[&'static str]| {
            parse_mempolicy(&MemoryPolicy { mode: mode.into(), nodes: nodes.map(Into::into), flags: flags.iter().map(|f| (*f).into()).collect() })
        };
        let m = mp("MPOL_BIND", Some("0"), &["MPOL_F_STATIC_NODES"]).unwrap();
        assert_eq!((m.mode as u32, m.flags.bits()), (2, 1 << 15));
        assert_eq!(used_words(m.nodes.as_ref().unwrap()), 1);
        assert_eq!(mp("MPOL_LOCAL", None, &[]).unwrap().nodes, None);
        let e = |r: Result<Mempolicy>| r.unwrap_err().to_string();
        assert_eq!(e(mp("MPOL_X", None, &[])), "linux.memoryPolicy.mode: unknown mode \"MPOL_X\"");
        assert_eq!(e(mp("MPOL_BIND", None, &[])), "linux.memoryPolicy.nodes: required for MPOL_BIND");
        assert_eq!(e(mp("MPOL_DEFAULT", Some("0"), &[])), "linux.memoryPolicy.nodes: must be empty for MPOL_DEFAULT");
        assert_eq!(e(mp("MPOL_BIND", Some("0"), &["MPOL_F_X"])), "linux.memoryPolicy.flags[0]: unknown flag \"MPOL_F_X\"");
        assert_eq!(
            e(mp("MPOL_BIND", Some("0"), &["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"])),
            "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"
        );
        assert_eq!(e(mp("MPOL_BIND", Some("0-"), &[])), "linux.memoryPolicy.nodes: invalid list \"0-\": expected numbers and ranges like \"0-3,7\"");
    }
}
