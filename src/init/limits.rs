//! `process.rlimits`: names, checks and setrlimit.
//!
//! runc sets rlimits from the parent with prlimit(2) when init reports ready; crun sets them in the
//! init. rsrun sets them in the init, before the user switch and the capability drop, so raising a
//! hard limit works whenever the runtime itself may do it. Raising a hard limit needs
//! CAP_SYS_RESOURCE in the initial user namespace: inside a new user namespace, or on a host where the
//! runtime lacks it (this VM), only lowering works, and the error names the limit.
use crate::bail;
use crate::error::{Error, Result};
use crate::spec;
use alloc::vec::Vec;
use rustix::io::Errno;
use rustix::process::{Resource, Rlimit};

/// OCI names (the RLIMIT_* constants) and their resources.
const TABLE: [(&str, Resource); 16] = [
    ("RLIMIT_CPU", Resource::Cpu),
    ("RLIMIT_FSIZE", Resource::Fsize),
    ("RLIMIT_DATA", Resource::Data),
    ("RLIMIT_STACK", Resource::Stack),
    ("RLIMIT_CORE", Resource::Core),
    ("RLIMIT_RSS", Resource::Rss),
    ("RLIMIT_NPROC", Resource::Nproc),
    ("RLIMIT_NOFILE", Resource::Nofile),
    ("RLIMIT_MEMLOCK", Resource::Memlock),
    ("RLIMIT_AS", Resource::As),
    ("RLIMIT_LOCKS", Resource::Locks),
    ("RLIMIT_SIGPENDING", Resource::Sigpending),
    ("RLIMIT_MSGQUEUE", Resource::Msgqueue),
    ("RLIMIT_NICE", Resource::Nice),
    ("RLIMIT_RTPRIO", Resource::Rtprio),
    ("RLIMIT_RTTIME", Resource::Rttime),
];

/// One checked rlimit.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

/// Checks `process.rlimits`: known names (runc's "wrong rlimit value" wording), soft <= hard (the
/// kernel's EINVAL otherwise, which runc and crun only report at start), no type twice (the
/// runtime-spec requires an error for duplicates).
pub fn parse(list: &[spec::Rlimit<'_>]) -> Result<Vec<Limit>> {
    let mut out: Vec<Limit> = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let Some(&(name, resource)) = TABLE.iter().find(|(n, _)| *n == r.kind) else {
            bail!("process.rlimits[{i}].type: wrong rlimit value: {}", r.kind);
        };
        if r.soft > r.hard {
            bail!("process.rlimits[{i}]: {name}: soft limit {} is greater than hard limit {}", r.soft, r.hard);
        }
        if out.iter().any(|l| l.name == name) {
            bail!("process.rlimits[{i}]: duplicate {name}");
        }
        out.push(Limit { name, resource, soft: r.soft, hard: r.hard });
    }
    Ok(out)
}

fn value(v: u64) -> Option<u64> {
    // RLIM_INFINITY is all ones; rustix spells it None.
    (v != u64::MAX).then_some(v)
}

/// setrlimit for each limit (one prlimit64 each). An EPERM is explained: either the hard limit is
/// above the current one (raising needs CAP_SYS_RESOURCE) or, for RLIMIT_NOFILE, above fs.nr_open.
pub fn apply(limits: &[Limit]) -> Result<()> {
    for l in limits {
        let new = Rlimit { current: value(l.soft), maximum: value(l.hard) };
        if let Err(e) = rustix::process::setrlimit(l.resource, new) {
            return Err(explain(l, e));
        }
    }
    Ok(())
}

fn explain(l: &Limit, e: Errno) -> Error {
    let err = Error::sys(format_args!("set {} to {}/{}", l.name, l.soft, l.hard), e);
    if e != Errno::PERM {
        return err.context("process.rlimits");
    }
    // Error path only: one getrlimit to say which bound is the problem.
    let cur = rustix::process::getrlimit(l.resource).maximum.unwrap_or(u64::MAX);
    if l.hard > cur {
        err.context(format_args!(
            "process.rlimits: {}: the hard limit {} is above the current hard limit {} (raising it needs CAP_SYS_RESOURCE)",
            l.name, l.hard, cur
        ))
    } else {
        err.context("process.rlimits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn r(kind: &'static str, soft: u64, hard: u64) -> spec::Rlimit<'static> {
        spec::Rlimit { kind: kind.into(), soft, hard }
    }

    #[test]
    fn names_order_and_errors() {
        let l = parse(&[r("RLIMIT_NOFILE", 1024, 1024), r("RLIMIT_CORE", 0, u64::MAX)]).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].resource as u32, linux_raw_sys::general::RLIMIT_NOFILE);
        assert_eq!(value(u64::MAX), None);
        assert_eq!(TABLE[15].1 as u32, linux_raw_sys::general::RLIMIT_RTTIME);
        assert_eq!(
            parse(&[r("RLIMIT_FOO", 1, 1)]).unwrap_err().to_string(),
            "process.rlimits[0].type: wrong rlimit value: RLIMIT_FOO"
        );
        assert_eq!(
            parse(&[r("RLIMIT_NOFILE", 2048, 1024)]).unwrap_err().to_string(),
            "process.rlimits[0]: RLIMIT_NOFILE: soft limit 2048 is greater than hard limit 1024"
        );
        assert_eq!(
            parse(&[r("RLIMIT_NOFILE", 1, 1), r("RLIMIT_NOFILE", 2, 2)]).unwrap_err().to_string(),
            "process.rlimits[1]: duplicate RLIMIT_NOFILE"
        );
    }
}
