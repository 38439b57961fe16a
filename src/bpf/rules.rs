//! Device rules of `linux.resources.devices`, their parsing, and the devices every container gets.
//!
//! Semantics (docs/devices.md has the reasoning and how runc and crun differ):
//! - a rule matches a device when its kind is `All` or the device's type, and its major and minor
//!   are wildcards or equal to the device's;
//! - for each access bit a request asks for, the LAST rule that matches the device and lists that
//!   bit decides it; no such rule means deny;
//! - a request is allowed when every bit it asks for is allowed (one asking for none is).
use crate::bail;
use crate::error::{Quoted, Result};
use alloc::vec::Vec;
use core::fmt;

/// Device type of a rule: `a` (both), `c` (character) or `b` (block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    All,
    Char,
    Block,
}

impl DeviceKind {
    /// Parses the OCI `type` field: exactly one of "a", "c", "b".
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "a" => Ok(Self::All),
            "c" => Ok(Self::Char),
            "b" => Ok(Self::Block),
            _ => bail!("invalid device type {}: must be \"a\", \"c\" or \"b\"", Quoted::str(s)),
        }
    }

    pub fn letter(self) -> char {
        match self {
            Self::All => 'a',
            Self::Char => 'c',
            Self::Block => 'b',
        }
    }
}

/// A set of access bits. The values are the kernel's `BPF_DEVCG_ACC_*`, so the BPF program can
/// use them as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Access(u8);

impl Access {
    pub const MKNOD: Self = Self(1);
    pub const READ: Self = Self(2);
    pub const WRITE: Self = Self(4);
    pub const RWM: Self = Self(7);
    pub const NONE: Self = Self(0);

    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Keeps only the three defined bits.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & 7)
    }
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Parses the OCI `access` field: a non-empty combination of `r`, `w`, `m` (repeats allowed,
    /// as the kernel's v1 parser allows them).
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            bail!("invalid device access \"\": must be a combination of r, w and m");
        }
        let mut a = Self::NONE;
        for c in s.chars() {
            a = a.union(match c {
                'r' => Self::READ,
                'w' => Self::WRITE,
                'm' => Self::MKNOD,
                _ => bail!("invalid device access {}: '{c}' is not one of r, w, m", Quoted::str(s)),
            });
        }
        Ok(a)
    }
}

impl fmt::Display for Access {
    /// "rwm" order, as devices.list prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bit, c) in [(Self::READ, "r"), (Self::WRITE, "w"), (Self::MKNOD, "m")] {
            if self.contains(bit) {
                f.write_str(c)?;
            }
        }
        Ok(())
    }
}

/// One entry of `linux.resources.devices`. `None` major/minor is the wildcard (absent or -1 in OCI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceRule {
    pub allow: bool,
    pub kind: DeviceKind,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub access: Access,
}

impl DeviceRule {
    /// Builds a rule from the OCI fields as they appear in config.json: `kind` absent means "a",
    /// `major`/`minor` absent or -1 mean any, `access` must be present and non-empty (runc refuses
    /// an empty one; crun silently ignores the rule).
    pub fn from_oci(
        allow: bool,
        kind: Option<&str>,
        major: Option<i64>,
        minor: Option<i64>,
        access: Option<&str>,
    ) -> Result<Self> {
        fn number(what: &str, v: Option<i64>) -> Result<Option<u32>> {
            match v {
                None | Some(-1) => Ok(None),
                Some(n) => match u32::try_from(n) {
                    Ok(n) => Ok(Some(n)),
                    Err(_) => bail!("invalid device {what} {n}: must be -1 (any) or 0 to 4294967295"),
                },
            }
        }
        Ok(Self {
            allow,
            kind: kind.map_or(Ok(DeviceKind::All), DeviceKind::parse)?,
            major: number("major", major)?,
            minor: number("minor", minor)?,
            access: Access::parse(access.unwrap_or(""))?,
        })
    }

    /// True for the rule that matches every device and every access ("a *:* rwm"): nothing listed
    /// before it can matter.
    pub fn is_everything(&self) -> bool {
        self.kind == DeviceKind::All && self.major.is_none() && self.minor.is_none() && self.access == Access::RWM
    }
}

impl fmt::Display for DeviceRule {
    /// "c 1:3 rwm", the form devices.allow takes and errors quote.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(format_args!("{} ", self.kind.letter()))?;
        match self.major {
            Some(n) => f.write_fmt(format_args!("{n}:"))?,
            None => f.write_str("*:")?,
        }
        match self.minor {
            Some(n) => f.write_fmt(format_args!("{n} "))?,
            None => f.write_str("* ")?,
        }
        f.write_fmt(format_args!("{}", self.access))
    }
}

const fn allow(kind: DeviceKind, major: Option<u32>, minor: Option<u32>, access: Access) -> DeviceRule {
    DeviceRule { allow: true, kind, major, minor, access }
}

/// Allowed for every container, after (so over) the config's own rules, as runc and crun do: mknod of
/// any device, and /dev/null, random, full, tty, zero, urandom, console, pts/*, ptmx, net/tun. This is
/// crun's list; runc's lacks /dev/console (5:1).
pub const DEFAULT_ALLOWED: [DeviceRule; 12] = {
    use DeviceKind::{Block, Char};
    let rwm = Access::RWM;
    [
        allow(Char, None, None, Access::MKNOD),
        allow(Block, None, None, Access::MKNOD),
        allow(Char, Some(1), Some(3), rwm),    // /dev/null
        allow(Char, Some(1), Some(8), rwm),    // /dev/random
        allow(Char, Some(1), Some(7), rwm),    // /dev/full
        allow(Char, Some(5), Some(0), rwm),    // /dev/tty
        allow(Char, Some(1), Some(5), rwm),    // /dev/zero
        allow(Char, Some(1), Some(9), rwm),    // /dev/urandom
        allow(Char, Some(5), Some(1), rwm),    // /dev/console
        allow(Char, Some(136), None, rwm),     // /dev/pts/*
        allow(Char, Some(5), Some(2), rwm),    // /dev/ptmx
        allow(Char, Some(10), Some(200), rwm), // /dev/net/tun
    ]
};

/// The rule list a container's cgroup enforces: the config's rules, then [`DEFAULT_ALLOWED`].
pub fn with_defaults(config_rules: &[DeviceRule]) -> Vec<DeviceRule> {
    let mut v = Vec::with_capacity(config_rules.len() + DEFAULT_ALLOWED.len());
    v.extend_from_slice(config_rules);
    v.extend_from_slice(&DEFAULT_ALLOWED);
    v
}

/// What the kernel ends up deciding with: the default for requests no rule matches, and the rules
/// that can still change a decision, in list order. Three kinds of rules are dead:
/// - everything before the last "a *:* rwm" (it decides every bit); that rule becomes the default;
/// - a rule covered by a later one (all its devices and access bits): it is never the last match;
/// - rules at the front with the default's verdict: only rules of the other verdict listed before
///   them could be overridden by them, and there are none.
pub(crate) fn live_rules(rules: &[DeviceRule]) -> (bool, Vec<DeviceRule>) {
    let (default_allow, rest) = match rules.iter().rposition(DeviceRule::is_everything) {
        Some(i) => (rules[i].allow, &rules[i + 1..]),
        None => (false, rules),
    };
    let covered = |i: usize| rest[i + 1..].iter().any(|l| l.covers(&rest[i]));
    let mut live: Vec<DeviceRule> = (0..rest.len()).filter(|&i| !covered(i)).map(|i| rest[i]).collect();
    let first = live.iter().position(|r| r.allow != default_allow).unwrap_or(live.len());
    live.drain(..first);
    (default_allow, live)
}

impl DeviceRule {
    /// Every (device, access bit) `r` matches, `self` matches too.
    fn covers(&self, r: &DeviceRule) -> bool {
        let num = |mine: Option<u32>, theirs: Option<u32>| mine.is_none() || mine == theirs;
        (self.kind == DeviceKind::All || self.kind == r.kind)
            && num(self.major, r.major)
            && num(self.minor, r.minor)
            && self.access.contains(r.access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_access_and_kind() {
        assert_eq!(Access::parse("rwm").unwrap(), Access::RWM);
        assert_eq!(Access::parse("mr").unwrap(), Access::READ.union(Access::MKNOD));
        assert_eq!(Access::parse("rr").unwrap(), Access::READ);
        let e = Access::parse("rwx").unwrap_err().to_string();
        assert_eq!(e, "invalid device access \"rwx\": 'x' is not one of r, w, m");
        assert!(Access::parse("").unwrap_err().to_string().contains("\"\""));
        assert_eq!(DeviceKind::parse("b").unwrap(), DeviceKind::Block);
        assert_eq!(
            DeviceKind::parse("u").unwrap_err().to_string(),
            "invalid device type \"u\": must be \"a\", \"c\" or \"b\""
        );
    }

    #[test]
    fn from_oci_maps_wildcards() {
        let r = DeviceRule::from_oci(false, None, None, Some(-1), Some("rwm")).unwrap();
        assert!(r.is_everything() && !r.allow);
        assert_eq!(r.to_string(), "a *:* rwm");
        let r = DeviceRule::from_oci(true, Some("c"), Some(136), None, Some("rw")).unwrap();
        assert_eq!(r.to_string(), "c 136:* rw");
        assert!(DeviceRule::from_oci(true, Some("c"), Some(-2), None, Some("r")).is_err());
        assert!(DeviceRule::from_oci(true, Some("c"), Some(1 << 32), None, Some("r")).is_err());
        assert!(DeviceRule::from_oci(true, Some("c"), Some(1), Some(3), None).is_err());
    }

    /// A rule without `access` is refused, naming the field, as runc does ("device access at 1
    /// field cannot be empty", runc 1.1), before anything is made; it is never read as "rwm" or as
    /// no access. crun 1.8 writes the empty access and fails on devices.allow (EINVAL).
    #[test]
    fn absent_access_is_refused() {
        for (kind, major, minor) in [(None, None, None), (Some("c"), Some(1), Some(3)), (Some("a"), Some(-1), None)] {
            let e = DeviceRule::from_oci(true, kind, major, minor, None).unwrap_err().to_string();
            assert_eq!(e, "invalid device access \"\": must be a combination of r, w and m");
            assert!(DeviceRule::from_oci(false, kind, major, minor, Some("")).is_err());
        }
    }

    #[test]
    fn live_rules_drop_what_cannot_matter() {
        let deny_all = DeviceRule::from_oci(false, None, None, None, Some("rwm")).unwrap();
        let allow_all = DeviceRule { allow: true, ..deny_all };
        let null = DEFAULT_ALLOWED[2];
        let deny_null = DeviceRule { allow: false, ..null };
        // Nothing but defaults: default deny, all allow rules live.
        assert_eq!(live_rules(&DEFAULT_ALLOWED), (false, DEFAULT_ALLOWED.to_vec()));
        // Docker's privileged: allow all then allow rules: nothing can deny.
        let v = with_defaults(&[allow_all]);
        assert_eq!(live_rules(&v), (true, alloc::vec![]));
        // Before the last "a *:* rwm", nothing counts; a deny at the front of a deny default neither;
        // nor a rule a later one covers.
        let zero_r = DeviceRule { access: Access::READ, ..DEFAULT_ALLOWED[6] };
        let v = [allow_all, null, deny_all, zero_r, deny_null, null, DEFAULT_ALLOWED[6]];
        assert_eq!(live_rules(&v), (false, alloc::vec![null, DEFAULT_ALLOWED[6]]));
    }
}
