//! Capabilities: the name table, the five OCI sets as bit masks, and applying them.
//!
//! Names are exact (`CAP_` + upper case, as runc and crun write them). A name that is not in the table
//! is refused with an error naming the field: runc 1.1 and crun 1.8 drop it silently (runc with a
//! warning), which turns a typo into a container with fewer privileges than asked for and nothing in
//! the log to say why; rsrun has no warning channel at that point, so an error is the honest answer.
//! A known name the running kernel lacks (a number above `cap_last_cap`) is skipped, like runc's
//! "unavailable" capabilities: engines send their whole list to older kernels too.
//!
//! Applying follows runc's finalizeNamespace: the bounding set is cut while CAP_SETPCAP is still
//! effective, then (after the user switch) one capset sets effective, permitted and inheritable, then
//! ambient capabilities are raised one by one. Inheritable is exactly what the config lists, never
//! filled in implicitly (CVE-2022-29162). An ambient capability that is not both permitted and
//! inheritable cannot be raised (the kernel's invariant): it is skipped, as runc (with a warning) and
//! crun do. `crun spec` itself writes such a config (ambient without inheritable).
use crate::bail;
use crate::error::{Error, Quoted, Result};
use crate::spec::{Capabilities, Str};
use rustix::io::Errno;
use rustix::thread::{CapabilitySet, CapabilitySets};

/// Capability names by number (`include/uapi/linux/capability.h`, up to Linux 6.x).
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The number of capability `name`, if known.
pub fn number(name: &str) -> Option<u32> {
    NAMES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// The name of capability `cap` ("CAP_41" for numbers beyond the table).
pub fn name(cap: u32) -> CapName {
    CapName(cap)
}

/// Displays a capability number as its name.
#[derive(Clone, Copy)]
pub struct CapName(u32);

impl core::fmt::Display for CapName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match NAMES.get(self.0 as usize) {
            Some(n) => f.write_str(n),
            None => write!(f, "CAP_{}", self.0),
        }
    }
}

/// The five capability sets as masks (bit n = capability n).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CapSets {
    pub bounding: u64,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub ambient: u64,
}

/// One list's mask; `field` names it in errors ("process.capabilities.bounding").
fn mask(list: &[Str<'_>], field: &str) -> Result<u64> {
    let mut m = 0u64;
    for (i, n) in list.iter().enumerate() {
        match number(n) {
            Some(c) => m |= 1 << c,
            None => return Err(Error::msg(format_args!("{field}[{i}]: unknown capability {}", Quoted::str(n)))),
        }
    }
    Ok(m)
}

impl CapSets {
    /// Parses `process.capabilities`; absent means every set empty (runc and crun: a process without
    /// a capabilities object keeps none).
    pub fn parse(caps: Option<&Capabilities<'_>>) -> Result<Self> {
        let Some(c) = caps else { return Ok(Self::default()) };
        let s = Self {
            bounding: mask(&c.bounding, "process.capabilities.bounding")?,
            effective: mask(&c.effective, "process.capabilities.effective")?,
            permitted: mask(&c.permitted, "process.capabilities.permitted")?,
            inheritable: mask(&c.inheritable, "process.capabilities.inheritable")?,
            ambient: mask(&c.ambient, "process.capabilities.ambient")?,
        };
        // capset refuses an effective capability that is not permitted: say which, before clone3.
        let stray = s.effective & !s.permitted;
        if stray != 0 {
            bail!(
                "process.capabilities.effective: {} is not in process.capabilities.permitted",
                name(stray.trailing_zeros())
            );
        }
        Ok(s)
    }

    /// Ambient capabilities that can be raised: those also permitted and inheritable.
    pub fn raisable_ambient(&self) -> u64 {
        self.ambient & self.permitted & self.inheritable
    }

    /// Drops every capability not in `bounding` from the bounding set: one PR_CAPBSET_DROP per
    /// capability the kernel knows, plus one that fails with EINVAL past `cap_last_cap` (cheaper than
    /// reading /proc/sys/kernel/cap_last_cap: 1 syscall instead of 3, and no /proc lookup). Needs
    /// CAP_SETPCAP in the effective set, so it runs before the user switch and capset.
    ///
    /// Capabilities are numbered without gaps, so the first EINVAL on a capability we drop means
    /// every higher number is invalid too; numbers we keep are skipped without a syscall.
    pub fn apply_bounding(&self) -> Result<()> {
        for cap in 0..64u32 {
            if self.bounding & (1 << cap) != 0 {
                continue;
            }
            match rustix::thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << cap)) {
                Ok(()) => {}
                Err(Errno::INVAL) => return Ok(()),
                Err(e) => return Err(Error::sys(format_args!("drop {} from the bounding set", name(cap)), e)),
            }
        }
        Ok(())
    }

    /// Sets effective, permitted and inheritable in one capset, then raises the ambient capabilities
    /// that are permitted and inheritable (skipping any the kernel does not know: EINVAL). Runs after
    /// the user switch: a switch away from uid 0 clears the effective and ambient sets.
    pub fn apply(&self) -> Result<()> {
        let sets = CapabilitySets {
            effective: CapabilitySet::from_bits_retain(self.effective),
            permitted: CapabilitySet::from_bits_retain(self.permitted),
            inheritable: CapabilitySet::from_bits_retain(self.inheritable),
        };
        if let Err(e) = rustix::thread::set_capabilities(None, sets) {
            return Err(self.capset_error(e));
        }
        let mut amb = self.raisable_ambient();
        while amb != 0 {
            let cap = amb.trailing_zeros();
            amb &= amb - 1;
            match rustix::thread::configure_capability_in_ambient_set(CapabilitySet::from_bits_retain(1 << cap), true) {
                Ok(()) | Err(Errno::INVAL) => {}
                Err(e) => return Err(Error::sys(format_args!("raise ambient capability {}", name(cap)), e)),
            }
        }
        Ok(())
    }

    /// A capset failure, with the capabilities that caused it when they can be named (one capget, on
    /// the error path only). The usual cause: the runtime itself lacks a capability the config asks
    /// for (this VM has no CAP_SYS_RESOURCE), or an inheritable one is outside the bounding set.
    fn capset_error(&self, e: Errno) -> Error {
        let err = Error::sys("capset", e);
        if e != Errno::PERM {
            return err;
        }
        let Ok(cur) = rustix::thread::capabilities(None) else { return err };
        let cur_perm = cur.permitted.bits();
        // The kernel masks numbers it does not know; only report real ones.
        let missing = self.permitted & !cur_perm & valid_mask(cur_perm);
        if missing != 0 {
            return err.context(format_args!(
                "process.capabilities.permitted: {} is not available to the runtime",
                name(missing.trailing_zeros())
            ));
        }
        let outside = self.inheritable & !(self.bounding | cur.inheritable.bits());
        if outside != 0 {
            return err.context(format_args!(
                "process.capabilities.inheritable: {} is not in process.capabilities.bounding",
                name(outside.trailing_zeros())
            ));
        }
        err
    }
}

/// A mask of the capability numbers worth naming: those in the table (the kernel silently ignores
/// higher bits in capset) plus any the runtime holds.
fn valid_mask(held: u64) -> u64 {
    ((1u64 << NAMES.len()) - 1) | held
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn table_matches_kernel_numbers() {
        assert_eq!(number("CAP_CHOWN"), Some(0));
        assert_eq!(number("CAP_KILL"), Some(5));
        assert_eq!(number("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(number("CAP_AUDIT_WRITE"), Some(29));
        assert_eq!(number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(number("cap_kill"), None);
        assert_eq!(name(41).to_string(), "CAP_41");
        // Every rustix constant agrees with the table.
        assert_eq!(CapabilitySet::SYS_ADMIN.bits(), 1 << number("CAP_SYS_ADMIN").unwrap());
        assert_eq!(CapabilitySet::CHECKPOINT_RESTORE.bits(), 1 << 40);
    }

    #[test]
    fn parse_sets_and_errors() {
        let c = Capabilities {
            bounding: vec!["CAP_KILL".into(), "CAP_AUDIT_WRITE".into()],
            effective: vec!["CAP_KILL".into()],
            permitted: vec!["CAP_KILL".into()],
            inheritable: vec![],
            ambient: vec!["CAP_KILL".into()],
        };
        let s = CapSets::parse(Some(&c)).unwrap();
        assert_eq!(s.bounding, 1 << 5 | 1 << 29);
        assert_eq!(s.raisable_ambient(), 0, "ambient without inheritable is not raisable");
        assert_eq!(CapSets::parse(None).unwrap(), CapSets::default());

        let bad = Capabilities { permitted: vec!["CAP_KILL".into(), "CAP_FOO".into()], ..Default::default() };
        assert_eq!(
            CapSets::parse(Some(&bad)).unwrap_err().to_string(),
            "process.capabilities.permitted[1]: unknown capability \"CAP_FOO\""
        );
        let stray = Capabilities { effective: vec!["CAP_NET_RAW".into()], ..Default::default() };
        assert_eq!(
            CapSets::parse(Some(&stray)).unwrap_err().to_string(),
            "process.capabilities.effective: CAP_NET_RAW is not in process.capabilities.permitted"
        );
    }
}
