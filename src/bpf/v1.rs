//! The same rules for the cgroup v1 `devices` controller, as lines for devices.allow/devices.deny.
//!
//! v1 keeps a default ("a" written to devices.allow or devices.deny, which also clears the list) and
//! a list of exceptions to it, each `type major:minor access` with `*` wildcards. It cannot hold an
//! exception inside an exception (a "deny c 1:3" inside an "allow c 1:*" is silently ignored), so
//! such rule lists are refused here, as runc refuses them. And with a deny default it allows a
//! request only when ONE exception holds all of its bits, so exceptions covering the same device
//! get each other's bits.
use super::rules::{DeviceKind, DeviceRule, live_rules};
use crate::bail;
use crate::error::Result;
use alloc::string::String;
use alloc::vec::Vec;

/// Write `line` to devices.allow when `allow`, else to devices.deny.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1Line {
    pub allow: bool,
    pub line: String,
}

/// The lines that make a v1 devices cgroup decide like the BPF program of `rules` (the exact list,
/// as for [`super::program`]), in order. The first line is always "a" (the default, clearing the
/// exceptions a parent or an earlier call left). Writing "a" to devices.deny on a cgroup with
/// running tasks denies everything until the following lines land.
///
/// Requests asking for no access bit (access(2) with X_OK) are the one difference: v1 allows them
/// only for devices with an exception.
pub fn v1_lines(rules: &[DeviceRule]) -> Result<Vec<V1Line>> {
    let (default_allow, live) = live_rules(rules);
    let mut exceptions: Vec<DeviceRule> = Vec::new();
    for (i, r) in live.iter().enumerate().filter(|(_, r)| r.allow != default_allow) {
        // Later rules with the default's verdict take bits back from this one.
        let later = live[i + 1..].iter().filter(|d| d.allow == default_allow).flat_map(per_type);
        for e in per_type(r) {
            let mut bits = e.access;
            for d in later.clone().filter(|d| contains(d, &e)) {
                bits = bits.difference(d.access);
            }
            if let Some(d) = later.clone().find(|d| overlaps(d, &e) && d.access.intersects(bits)) {
                bail!("device rule \"{d}\" cannot be applied on cgroup v1: it makes a hole in the earlier rule \"{r}\"");
            }
            if !bits.is_empty() {
                exceptions.push(DeviceRule { access: bits, ..e });
            }
        }
    }
    if !default_allow {
        share_bits(&mut exceptions);
    }

    // One line per set of devices, as the kernel keeps them.
    let mut merged: Vec<DeviceRule> = Vec::with_capacity(exceptions.len());
    for e in exceptions {
        match merged.iter_mut().find(|m| same_devices(m, &e)) {
            Some(m) => m.access = m.access.union(e.access),
            None => merged.push(e),
        }
    }
    let mut out = Vec::with_capacity(1 + merged.len());
    out.push(V1Line { allow: default_allow, line: String::from("a") });
    out.extend(merged.iter().map(|e| V1Line { allow: !default_allow, line: alloc::format!("{e}") }));
    Ok(out)
}

/// Makes every device covered by several allow exceptions have one exception with all their bits:
/// adds the intersection of each "M:*" and "*:m" pair (the only partial overlap two patterns can
/// have), then gives each exception the bits of every exception containing it.
fn share_bits(ex: &mut Vec<DeviceRule>) {
    let n = ex.len();
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (ex[i], ex[j]);
            if a.kind == b.kind && a.minor.is_none() && b.major.is_none() && a.major.is_some() && b.minor.is_some() {
                ex.push(DeviceRule { minor: b.minor, access: a.access.union(b.access), ..a });
            }
        }
    }
    let all = ex.clone();
    for e in ex.iter_mut() {
        let e0 = *e;
        for f in all.iter().filter(|f| contains(f, &e0)) {
            e.access = e.access.union(f.access);
        }
    }
}

/// A rule as v1 exceptions: one per device type ("a" in v1 only means "everything").
fn per_type(r: &DeviceRule) -> impl Iterator<Item = DeviceRule> + Clone {
    let kinds: &[DeviceKind] = match r.kind {
        DeviceKind::All => &[DeviceKind::Char, DeviceKind::Block],
        DeviceKind::Char => &[DeviceKind::Char],
        DeviceKind::Block => &[DeviceKind::Block],
    };
    let r = *r;
    kinds.iter().map(move |&kind| DeviceRule { kind, ..r })
}

/// Every device `e` names is one `d` names (both per-type).
fn contains(d: &DeviceRule, e: &DeviceRule) -> bool {
    d.kind == e.kind && (d.major.is_none() || d.major == e.major) && (d.minor.is_none() || d.minor == e.minor)
}

/// Some device is named by both (both per-type).
fn overlaps(d: &DeviceRule, e: &DeviceRule) -> bool {
    let meet = |a: Option<u32>, b: Option<u32>| a.is_none() || b.is_none() || a == b;
    d.kind == e.kind && meet(d.major, e.major) && meet(d.minor, e.minor)
}

fn same_devices(a: &DeviceRule, b: &DeviceRule) -> bool {
    a.kind == b.kind && a.major == b.major && a.minor == b.minor
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::rules::{DEFAULT_ALLOWED, with_defaults};

    fn rule(allow: bool, kind: &str, major: i64, minor: i64, access: &str) -> DeviceRule {
        DeviceRule::from_oci(allow, Some(kind), Some(major), Some(minor), Some(access)).unwrap()
    }

    fn text(lines: &[V1Line]) -> Vec<String> {
        lines.iter().map(|l| alloc::format!("{} {}", if l.allow { "allow" } else { "deny" }, l.line)).collect()
    }

    #[test]
    fn defaults_become_a_whitelist() {
        let lines = v1_lines(&DEFAULT_ALLOWED).unwrap();
        let t = text(&lines);
        assert_eq!(t[0], "deny a");
        assert_eq!(t[1], "allow c *:* m");
        assert_eq!(t[3], "allow c 1:3 rwm");
        assert_eq!(t.len(), 13);
    }

    #[test]
    fn privileged_is_allow_all() {
        let lines = v1_lines(&with_defaults(&[rule(true, "a", -1, -1, "rwm")])).unwrap();
        assert_eq!(text(&lines), ["allow a"]);
    }

    #[test]
    fn blacklist_with_a_hole_punched_back() {
        // allow all, deny c 1:* w, allow c 1:3 w again: v1 cannot hold the re-allow inside the deny.
        let rules = [rule(true, "a", -1, -1, "rwm"), rule(false, "c", 1, -1, "w"), rule(true, "c", 1, 3, "w")];
        let e = v1_lines(&rules).unwrap_err();
        assert!(e.to_string().contains("\"c 1:3 w\"") && e.to_string().contains("\"c 1:* w\""), "{e}");
        // Denying a whole earlier rule is fine: it takes its bits away.
        let rules = [rule(false, "a", -1, -1, "rwm"), rule(true, "c", 1, 3, "rw"), rule(false, "c", 1, -1, "w")];
        assert_eq!(text(&v1_lines(&rules).unwrap()), ["deny a", "allow c 1:3 r"]);
    }

    #[test]
    fn one_exception_holds_all_bits() {
        let rules = [rule(true, "c", 1, -1, "r"), rule(true, "c", -1, 3, "w")];
        assert_eq!(text(&v1_lines(&rules).unwrap()), ["deny a", "allow c 1:* r", "allow c *:3 w", "allow c 1:3 rw"]);
        let rules = [rule(true, "a", 7, -1, "r")];
        assert_eq!(text(&v1_lines(&rules).unwrap()), ["deny a", "allow c 7:* r", "allow b 7:* r"]);
    }
}
