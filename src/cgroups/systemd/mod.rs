//! The systemd cgroup driver (`--systemd-cgroup`), as runc's: the container's cgroup is a
//! transient scope unit that systemd creates, with the container init in it.
//!
//! - `linux.cgroupsPath` is "slice:prefix:name" (empty: ":rsrun:<id>"); the unit is
//!   "prefix-name.scope" in the slice (default system.slice, user.slice rootless), or "name" itself
//!   when it ends in ".slice". The cgroup is /sys/fs/cgroup + the slice expanded to its parents
//!   ("a-b.slice" -> /a.slice/a-b.slice) + the unit.
//! - create: `StartTransientUnit` with Delegate=yes, PIDs=[init], the accounting switches and every
//!   resource systemd understands, then waits for the job's JobRemoved signal; then, as runc, the
//!   controllers are enabled down to the scope and all of `linux.resources` is written to its files
//!   by the cgroupfs code (which knows fields systemd does not).
//! - update: `SetUnitProperties` (runtime), then the files. delete: `StopUnit`, wait, reset a failed
//!   unit, remove what is left. Everything else (freeze, kill, ps, stats, exec) uses the files.
//!
//! Only pure cgroup v2 hosts: on v1 and hybrid hosts the driver refuses.
pub mod annotations;
pub mod bus;
pub mod wire;

pub(super) use super::fsio::udec;
use super::resources_v2::{blkio_weight_to_io_weight, shares_to_weight, swap_v2};
use super::{Cgroup, Hier, Mode, ctrl};
use crate::error::{Error, Quoted, Result};
use crate::spec::{DeviceCgroup, Resources};
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bus::Bus;
use core::cell::{Cell, RefCell};
use wire::{Dec, Enc};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The container's systemd unit.
pub(crate) struct Scope {
    pub unit: String,
    /// Talks to the user's systemd (rootless) instead of the system's.
    pub user: bool,
    /// The slice of a scope ("system.slice"); only known at create.
    slice: String,
    /// The container's name in the unit's description.
    name: String,
    bus: RefCell<Option<Bus>>,
    /// `org.systemd.property.*` annotations, marshalled `a(sv)` entries for StartTransientUnit.
    pub extra: Vec<u8>,
    /// The unit exists and is the container's: `kill_all` and `destroy` may act on it.
    pub started: Cell<bool>,
}

impl core::fmt::Debug for Scope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.unit)
    }
}

/// The container's cgroup under systemd, before its unit exists: the names are checked and systemd
/// is reached (a missing bus is an error here, before anything is made).
pub(super) fn prepare(cgroups_path: Option<&str>, id: &str) -> Result<Cgroup> {
    let user = !rustix::process::geteuid().is_root();
    let (slice, unit, name) = names(cgroups_path, id, user)?;
    let expanded = expand_slice(&slice).map_err(|e| e.context("linux.cgroupsPath"))?;
    let mut bus = Bus::connect(user)?;
    if super::detect::detect()?.mode != Mode::V2 {
        crate::bail!("systemd cgroup driver: rsrun supports it on cgroup v2 hosts only");
    }
    let base = if user { manager_cgroup(&mut bus)? } else { String::new() };
    let expanded = if expanded == "/" { "" } else { expanded.as_str() };
    let dir = crate::rt::cat(&[CGROUP_ROOT, crate::rt::trim_end(&base, b'/'), expanded, "/", &unit]);
    let scope =
        Scope { unit, user, slice, name, bus: RefCell::new(Some(bus)), extra: Vec::new(), started: Cell::new(false) };
    // `created` stays 0 until the unit is ours: a unit of that name may belong to someone else.
    let h = Hier { ctrls: ctrl::UNIFIED, dir, mnt: CGROUP_ROOT.len(), created: 0, fd: None };
    Ok(Cgroup { mode: Mode::V2, hier: alloc::vec![h], systemd: Some(Box::new(scope)) })
}

/// The user manager's own cgroup ("/user.slice/user-1000.slice/user@1000.service"): rootless
/// slices live below it.
fn manager_cgroup(bus: &mut Bus) -> Result<String> {
    let mut e = Enc::default();
    e.str(bus::MANAGER);
    e.str("ControlGroup");
    let body = bus
        .call_on(bus::MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", &e.buf)?
        .map_err(|f| f.into_error().context("systemd: read the manager's ControlGroup"))?;
    let mut d = Dec::new(&body);
    match (d.sig(), d.str()) {
        (Some("s"), Some(cg)) => Ok(cg.into()),
        _ => crate::bail!("systemd: unexpected ControlGroup reply"),
    }
}

/// (slice, unit, name) from `linux.cgroupsPath` as runc reads it: "slice:prefix:name", or empty
/// for ":rsrun:<id>"; an empty slice is system.slice (user.slice rootless).
pub fn names(path: Option<&str>, id: &str, user: bool) -> Result<(String, String, String)> {
    let (slice, prefix, name) = match path.filter(|p| !p.is_empty()) {
        None => ("", "rsrun", id),
        Some(p) => {
            let mut parts = p.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(s), Some(pre), Some(n), None) => (s, pre, n),
                _ => crate::bail!(
                    "linux.cgroupsPath: expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got {} instead",
                    Quoted::str(p)
                ),
            }
        }
    };
    let slice = match slice {
        "" if user => "user.slice",
        "" => "system.slice",
        s => s,
    };
    let unit = if name.ends_with(".slice") { name.to_string() } else { crate::rt::cat(&[prefix, "-", name, ".scope"]) };
    let ok = |c: u8| c.is_ascii_alphanumeric() || b":_.\\@-".contains(&c);
    if unit.len() > 255 || !unit.bytes().all(ok) || name.is_empty() {
        crate::bail!("linux.cgroupsPath: invalid systemd unit name {}", Quoted::str(&unit));
    }
    Ok((slice.into(), unit, name.into()))
}

/// systemd's slice hierarchy: "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the
/// root. Errors as runc's ExpandSlice.
pub fn expand_slice(slice: &str) -> Result<String> {
    let bad = || Error::msg(format_args!("invalid slice name: {slice}"));
    let base = slice.strip_suffix(".slice").filter(|b| !b.is_empty() && !b.contains('/')).ok_or_else(bad)?;
    if base == "-" {
        return Ok("/".into());
    }
    let mut path = String::new();
    for (i, part) in base.split('-').enumerate() {
        if part.is_empty() {
            return Err(bad());
        }
        let end = base.split('-').take(i + 1).map(|p| p.len() + 1).sum::<usize>() - 1;
        path.push('/');
        path.push_str(crate::rt::head(base, end));
        path.push_str(".slice");
    }
    Ok(path)
}

impl Scope {
    /// Rebuilt from state.json: the unit is the container's.
    pub fn recorded(unit: &str, user: bool) -> Self {
        Scope {
            unit: unit.into(),
            user,
            slice: String::new(),
            name: String::new(),
            bus: RefCell::new(None),
            extra: Vec::new(),
            started: Cell::new(true),
        }
    }

    /// In the container init right after clone3: closes its copy of create's connection, so the
    /// init does not hold systemd's socket while it waits for `start`.
    pub fn close_in_child(&self) {
        if let Some(b) = self.bus.borrow().as_ref() {
            // SAFETY: the fd is this (child) process's copy; the `Bus` value is never used or
            // dropped in the child, which ends in exec or exit.
            unsafe { rustix::io::close(b.raw_fd()) };
        }
    }

    /// Calls a manager method (connecting first if needed).
    fn call(&self, member: &str, sig: &str, body: &[u8]) -> Result<core::result::Result<Vec<u8>, bus::Failed>> {
        let mut slot = self.bus.borrow_mut();
        let bus = match &mut *slot {
            Some(b) => b,
            None => slot.insert(Bus::connect(self.user)?),
        };
        bus.call(member, sig, body)
    }

    fn wait_job(&self, reply: &[u8]) -> Result<String> {
        let job = Dec::new(reply).str().ok_or_else(|| Error::msg("systemd: unexpected job reply"))?;
        let mut slot = self.bus.borrow_mut();
        slot.as_mut().ok_or_else(|| Error::msg("systemd: not connected"))?.wait_job(job)
    }

    /// Creates the unit with `pid` in it and waits until systemd has started it. A unit of the same
    /// name that failed before is reset and the start tried once more (runc does the same).
    pub fn start(&self, pid: u32, res: Option<&Resources<'_>>) -> Result<()> {
        let mut e = Enc::default();
        e.str(&self.unit);
        e.str("replace");
        let a = e.begin_array(8);
        prop(&mut e, "Description", "s").str(&crate::rt::cat(&["rsrun container ", &self.name]));
        if self.unit.ends_with(".slice") {
            // A slice is placed with Wants= on its parent, as runc does.
            let p = prop(&mut e, "Wants", "as").begin_array(4);
            e.str(&self.slice);
            e.end_array(p);
        } else {
            prop(&mut e, "Slice", "s").str(&self.slice);
            prop(&mut e, "Delegate", "b").bool(true);
        }
        let p = prop(&mut e, "PIDs", "au").begin_array(4);
        e.u32(pid);
        e.end_array(p);
        for acct in ["MemoryAccounting", "CPUAccounting", "IOAccounting", "TasksAccounting"] {
            prop(&mut e, acct, "b").bool(true);
        }
        prop(&mut e, "DefaultDependencies", "b").bool(false);
        // The annotations' properties, before the resources' (runc sets those later, so they win).
        e.pad(8);
        e.buf.extend_from_slice(&self.extra);
        let empty = Resources::default();
        resource_props(&mut e, res.unwrap_or(&empty), true)?;
        e.end_array(a);
        let aux = e.begin_array(8);
        e.end_array(aux);
        let what = || alloc::format!("systemd: start unit {}", self.unit);
        let mut retried = false;
        let reply = loop {
            match self.call("StartTransientUnit", "ssa(sv)a(sa(sv))", &e.buf)? {
                Ok(r) => break r,
                Err(f) if !retried && f.name == "org.freedesktop.systemd1.UnitExists" => {
                    // Perhaps a leftover failed unit: let systemd forget it, then try once more.
                    self.reset_failed();
                    retried = true;
                }
                Err(f) => return Err(f.into_error().context(what())),
            }
        };
        let result = self.wait_job(&reply).map_err(|e| e.context(what()))?;
        if result != "done" {
            self.reset_failed();
            crate::bail!("{}: job {result}", what());
        }
        self.started.set(true);
        Ok(())
    }

    /// `update`: the properties systemd understands, kept for the unit's runtime (as runc).
    pub fn update(&self, res: &Resources<'_>) -> Result<()> {
        let mut e = Enc::default();
        e.str(&self.unit);
        e.bool(true);
        let a = e.begin_array(8);
        resource_props(&mut e, res, !res.devices.is_empty())?;
        e.end_array(a);
        self.call("SetUnitProperties", "sba(sv)", &e.buf)?
            .map_err(|f| f.into_error().context(format_args!("systemd: set properties of {}", self.unit)))?;
        Ok(())
    }

    /// Stops the unit and waits for it (a unit already gone is fine: a scope ends with its last
    /// process), then resets it in case it failed, so no unit is left.
    pub fn stop(&self) -> Result<()> {
        let mut e = Enc::default();
        e.str(&self.unit);
        e.str("replace");
        match self.call("StopUnit", "ss", &e.buf)? {
            Ok(reply) => {
                let result = self.wait_job(&reply)?;
                if result != "done" {
                    crate::log::log(
                        crate::log::Level::Warning,
                        format_args!("systemd: stopping unit {}: job {result}", self.unit),
                    );
                }
            }
            Err(f) if f.name == "org.freedesktop.systemd1.NoSuchUnit" => {}
            Err(f) => return Err(f.into_error().context(format_args!("systemd: stop unit {}", self.unit))),
        }
        self.reset_failed();
        Ok(())
    }

    fn reset_failed(&self) {
        let mut e = Enc::default();
        e.str(&self.unit);
        let _ = self.call("ResetFailedUnit", "s", &e.buf);
    }
}

/// Starts one (name, variant) entry of an `a(sv)`; the caller writes the value.
fn prop<'e>(e: &'e mut Enc, name: &str, sig: &str) -> &'e mut Enc {
    e.begin_struct();
    e.str(name);
    e.sig(sig);
    e
}

#[inline(never)]
fn prop_u64(e: &mut Enc, name: &str, v: u64) {
    prop(e, name, "t").u64(v);
}

fn prop_bytes(e: &mut Enc, name: &str, bytes: &[u8]) {
    let a = prop(e, name, "ay").begin_array(1);
    e.buf.extend_from_slice(bytes);
    e.end_array(a);
}

/// The properties systemd has for `linux.resources`, with runc's conversions. `devices`: include
/// DevicePolicy/DeviceAllow (always at create; at update only when the update lists rules).
pub(crate) fn resource_props(e: &mut Enc, r: &Resources<'_>, devices: bool) -> Result<()> {
    if devices {
        device_props(e, &r.devices)?;
    }
    if let Some(m) = &r.memory {
        let limit = m.limit.unwrap_or(0);
        if limit != 0 {
            prop_u64(e, "MemoryMax", limit as u64); // -1 is u64::MAX: infinity
        }
        if let Some(v) = m.reservation.filter(|&v| v != 0) {
            prop_u64(e, "MemoryLow", v as u64);
        }
        match swap_v2(m.swap.unwrap_or(0), limit)?.as_deref() {
            None | Some("0") => {}
            Some(v) => prop_u64(e, "MemorySwapMax", crate::rt::parse_uint(v).unwrap_or(u64::MAX)),
        }
    }
    if let Some(c) = &r.cpu {
        if c.idle == Some(1) {
            prop_u64(e, "CPUWeight", 0); // systemd (252+) writes cpu.idle 1 for weight 0
        } else if let Some(s) = c.shares.filter(|&s| s != 0) {
            prop_u64(e, "CPUWeight", shares_to_weight(s));
        }
        let (quota, period) = (c.quota.unwrap_or(0), c.period.unwrap_or(0));
        if period != 0 {
            prop_u64(e, "CPUQuotaPeriodUSec", period);
        }
        if quota != 0 || period != 0 {
            prop_u64(e, "CPUQuotaPerSecUSec", quota_per_sec(quota, period));
        }
        for (v, name, field) in [
            (&c.cpus, "AllowedCPUs", "linux.resources.cpu.cpus"),
            (&c.mems, "AllowedMemoryNodes", "linux.resources.cpu.mems"),
        ] {
            if let Some(list) = v.as_deref().filter(|s| !s.is_empty()) {
                let bits = range_to_bits(list)
                    .ok_or_else(|| Error::msg(format_args!("{field}: invalid list {}", Quoted::str(list))))?;
                prop_bytes(e, name, &bits);
            }
        }
    }
    if let Some(p) = &r.pids
        && (p.limit > 0 || p.limit == -1)
    {
        prop_u64(e, "TasksMax", p.limit as u64);
    }
    if let Some(w) = r.block_io.as_ref().and_then(|b| b.weight).filter(|&w| w != 0) {
        prop_u64(e, "IOWeight", blkio_weight_to_io_weight(w, &"linux.resources.blockIO.weight")?);
    }
    // The unified files systemd has a property for; the others are written to their file only.
    const FILES: crate::rt::table::Names = crate::names![
        "memory.high", "memory.low", "memory.min", "memory.max", "memory.swap.max", "pids.max", "cpu.weight"
    ];
    const PROPS: crate::rt::table::Names =
        crate::names!["MemoryHigh", "MemoryLow", "MemoryMin", "MemoryMax", "MemorySwapMax", "TasksMax", "CPUWeight"];
    for (k, v) in &r.unified {
        let Some(name) = FILES.position(k).and_then(|i| PROPS.get(i)) else { continue };
        let v = v.trim();
        let n = if v == "max" { Some(u64::MAX) } else { crate::rt::parse_uint(v) };
        let n = n.ok_or_else(|| Error::msg(format_args!("linux.resources.unified.{k}: invalid value {}", Quoted::str(v))))?;
        prop_u64(e, name, n);
    }
    Ok(())
}

/// runc's CPUQuotaPerSecUSec: the quota per second of CPU time, rounded up to whole percents
/// (systemd keeps a percentage), so the kernel's quota is never lower than asked; u64::MAX
/// ("infinity") when the quota is not positive.
pub fn quota_per_sec(quota: i64, period: u64) -> u64 {
    if quota <= 0 {
        return u64::MAX;
    }
    let period = if period == 0 { 100_000 } else { period };
    let v = (quota as u64).saturating_mul(1_000_000) / period;
    v.div_ceil(10_000) * 10_000
}

/// "0-3,8" as systemd's CPU/NUMA node bitmask: byte i holds 8i..8i+7, lowest bit first.
pub fn range_to_bits(list: &str) -> Option<Vec<u8>> {
    let mut bits = Vec::new();
    for part in list.trim().split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (crate::rt::parse_u32(a.trim())?, crate::rt::parse_u32(b.trim())?),
            None => {
                let n = crate::rt::parse_u32(part.trim())?;
                (n, n)
            }
        };
        if a > b || b >= 1 << 16 {
            return None;
        }
        for i in a..=b {
            let byte = (i / 8) as usize;
            if bits.len() <= byte {
                bits.resize(byte + 1, 0);
            }
            bits[byte] |= 1 << (i % 8);
        }
    }
    Some(bits)
}

/// DevicePolicy and DeviceAllow for the container's device rules (the config's, then the ones
/// every container gets), as runc: "strict" with the allowed devices as /dev/{char,block}/M:m,
/// {char,block}-M or {char,block}-*. What systemd cannot say is left to rsrun's own eBPF program,
/// which the kernel runs as well (both must allow): a deny rule after allow rules, a wildcard
/// major with a fixed minor; a list that allows everything but some devices gets policy "auto".
fn device_props(e: &mut Enc, rules: &[DeviceCgroup<'_>]) -> Result<()> {
    use crate::bpf::{DeviceKind, DeviceRule};
    let mut parsed = Vec::with_capacity(rules.len());
    for (i, r) in rules.iter().enumerate() {
        let rule = DeviceRule::from_oci(r.allow, r.kind.as_deref(), r.major, r.minor, r.access.as_deref())
            .map_err(|e| e.context(format_args!("linux.resources.devices[{i}]")))?;
        parsed.push(rule);
    }
    let (default_allow, live) = crate::bpf::live_rules(&crate::bpf::with_defaults(&parsed));
    prop(e, "DevicePolicy", "s").str(if default_allow { "auto" } else { "strict" });
    let a = prop(e, "DeviceAllow", "a(ss)").begin_array(8);
    for r in live.iter().filter(|r| r.allow && !default_allow) {
        let kinds: &[(DeviceKind, &str, &str)] = &[(DeviceKind::Char, "char-", "/dev/char/"), (DeviceKind::Block, "block-", "/dev/block/")];
        for &(_, group, dir) in kinds.iter().filter(|k| r.kind == DeviceKind::All || r.kind == k.0) {
            let path = match (r.major, r.minor) {
                (None, None) => crate::rt::cat(&[group, "*"]),
                (Some(maj), None) => crate::rt::cat(&[group, &udec(maj.into())]),
                (Some(maj), Some(min)) => crate::rt::cat(&[dir, &udec(maj.into()), ":", &udec(min.into())]),
                (None, Some(_)) => continue,
            };
            e.begin_struct();
            e.str(&path);
            e.str(&r.access.to_string());
        }
    }
    e.end_array(a);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_expansion_like_runc() {
        assert_eq!(expand_slice("system.slice").unwrap(), "/system.slice");
        assert_eq!(expand_slice("a-b-c.slice").unwrap(), "/a.slice/a-b.slice/a-b-c.slice");
        assert_eq!(expand_slice("user-1000.slice").unwrap(), "/user.slice/user-1000.slice");
        assert_eq!(expand_slice("-.slice").unwrap(), "/");
        for bad in [".slice", "a", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice", "a.scope", ""] {
            let e = expand_slice(bad).unwrap_err().to_string();
            assert_eq!(e, alloc::format!("invalid slice name: {bad}"));
        }
    }

    #[test]
    fn cgroups_path_like_runc() {
        let n = |p: Option<&str>, user| names(p, "c1", user).map_err(|e| e.to_string());
        assert_eq!(n(None, false).unwrap(), ("system.slice".into(), "rsrun-c1.scope".into(), "c1".into()));
        assert_eq!(n(Some(""), true).unwrap(), ("user.slice".into(), "rsrun-c1.scope".into(), "c1".into()));
        assert_eq!(
            n(Some("machine.slice:docker:abc"), false).unwrap(),
            ("machine.slice".into(), "docker-abc.scope".into(), "abc".into())
        );
        assert_eq!(n(Some(":cri-containerd:x"), false).unwrap().1, "cri-containerd-x.scope");
        // A name ending in .slice is the unit itself (prefix ignored).
        assert_eq!(n(Some("system.slice:p:pod1.slice"), false).unwrap().1, "pod1.slice");
        let e = n(Some("/docker/abc"), false).unwrap_err();
        assert_eq!(
            e,
            "linux.cgroupsPath: expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/docker/abc\" instead"
        );
        assert!(n(Some("a:b:c:d"), false).unwrap_err().contains("slice:prefix:name"));
        assert!(n(Some("system.slice:p:a/b"), false).unwrap_err().contains("invalid systemd unit name \"p-a/b.scope\""));
        assert!(n(Some("system.slice:p:"), false).unwrap_err().contains("invalid systemd unit name"));
    }

    #[test]
    fn conversions_like_runc() {
        assert_eq!(quota_per_sec(50_000, 100_000), 500_000);
        assert_eq!(quota_per_sec(12_345, 0), 130_000); // 123450 rounded up to whole percents
        assert_eq!(quota_per_sec(1, 1_000_000), 10_000);
        assert_eq!(quota_per_sec(-1, 100_000), u64::MAX);
        assert_eq!(quota_per_sec(0, 50_000), u64::MAX);
        assert_eq!(range_to_bits("0").unwrap(), [1]);
        assert_eq!(range_to_bits("0-3,8").unwrap(), [0x0f, 0x01]);
        assert_eq!(range_to_bits(" 1 , 9-10 ").unwrap(), [0x02, 0x06]);
        for bad in ["", "a", "3-1", "1-", "1,,2", "70000"] {
            assert!(range_to_bits(bad).is_none(), "{bad}");
        }
    }

    /// The a(sv) array of a config with memory, cpu, pids and default devices, decoded again.
    #[test]
    fn resource_properties() {
        let json = br#"{"memory":{"limit":104857600,"swap":209715200,"reservation":-1},
            "cpu":{"shares":1024,"quota":50000,"period":100000,"cpus":"0-1"},"pids":{"limit":-1},
            "devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":5,"access":"rw"}]}"#;
        let doc = crate::json::parse(json).unwrap();
        let r = crate::spec::parse_resources(doc.root()).unwrap();
        let mut e = Enc::default();
        let a = e.begin_array(8);
        resource_props(&mut e, &r, true).unwrap();
        e.end_array(a);
        let mut d = Dec::new(&e.buf);
        let end = d.u32().unwrap() as usize + 8;
        let mut got: Vec<String> = Vec::new();
        while d.pos < end {
            d.pos = d.pos.next_multiple_of(8);
            let name = d.str().unwrap();
            let sig = d.sig().unwrap();
            let v = match sig {
                "s" => String::from(d.str().unwrap()),
                "t" => {
                    d.pos = d.pos.next_multiple_of(8);
                    let v = u64::from_le_bytes(d.buf[d.pos..d.pos + 8].try_into().unwrap());
                    d.pos += 8;
                    alloc::format!("{v}")
                }
                "ay" => {
                    let n = d.u32().unwrap() as usize;
                    d.pos += n;
                    alloc::format!("{:?}", &d.buf[d.pos - n..d.pos])
                }
                "a(ss)" => {
                    let n = d.u32().unwrap() as usize;
                    d.pos = d.pos.next_multiple_of(8);
                    let stop = d.pos + n;
                    let mut s = String::new();
                    while d.pos < stop {
                        d.pos = d.pos.next_multiple_of(8);
                        s.push_str(&alloc::format!("{}={} ", d.str().unwrap(), d.str().unwrap()));
                    }
                    s
                }
                _ => panic!("{sig}"),
            };
            got.push(alloc::format!("{name}={v}"));
        }
        assert_eq!(got[0], "DevicePolicy=strict");
        assert!(got[1].starts_with("DeviceAllow=char-5=rw "), "{}", got[1]);
        assert!(got[1].contains("/dev/char/1:3=rwm ") && got[1].contains("char-136=rwm "), "{}", got[1]);
        assert_eq!(
            &got[2..],
            [
                "MemoryMax=104857600",
                "MemoryLow=18446744073709551615",
                "MemorySwapMax=104857600",
                "CPUWeight=100",
                "CPUQuotaPeriodUSec=100000",
                "CPUQuotaPerSecUSec=500000",
                "AllowedCPUs=[3]",
                "TasksMax=18446744073709551615",
            ]
        );
    }
}
