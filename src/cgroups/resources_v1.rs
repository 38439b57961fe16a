//! `linux.resources` on cgroup v1 (and on hybrid hosts, whose controllers are all v1).
//!
//! Zero means "unset" where engines send zeros (memory values, cpu shares/quota/period/realtime,
//! pids.limit, blockIO weights), as runc. Values are written in the order the kernel accepts them:
//! when a write fails with EINVAL because of its partner (memory before memsw when lowering, cpu
//! period before quota, quota before burst), the pair is written the other way round. That costs
//! nothing in the common case and replaces runc's read of the current limit.
use super::fsio::{self, At, dec, dev_line, udec};
use super::{Apply, Cgroup, ctrl};
use crate::error::{Error, Quoted, Result};
use crate::spec::{BlockIo, Cpu, Memory, Resources, ThrottleDevice};
use alloc::string::String;
use core::fmt::Display;
use rustix::io::Errno;

pub(super) fn apply(cg: &Cgroup, r: &Resources<'_>, why: Apply) -> Result<()> {
    if !r.unified.is_empty() {
        crate::bail!("linux.resources.unified: needs cgroup v2 (this host's controllers are on cgroup v1)");
    }
    if let Some(m) = &r.memory {
        memory(cg, m, why)?;
    }
    if let Some(c) = &r.cpu {
        cpu(cg, c, why)?;
    }
    if let Some(p) = r.pids.as_ref().filter(|p| p.limit != 0) {
        let f = "linux.resources.pids.limit";
        fsio::set(cg.v1(ctrl::PIDS, f)?.at(), &f, "pids.max", &pids_max(p.limit))?;
    }
    if let Some(b) = &r.block_io {
        blkio(cg, b)?;
    }
    for (i, l) in r.hugepage_limits.iter().enumerate() {
        let h = cg.v1(ctrl::HUGETLB, "linux.resources.hugepageLimits")?;
        hugetlb(h.at(), i, &l.page_size, l.limit, "limit_in_bytes", "rsvd.limit_in_bytes")?;
    }
    if let Some(n) = &r.network {
        if let Some(id) = n.class_id {
            let f = "linux.resources.network.classID";
            fsio::set(cg.v1(ctrl::NET_CLS, f)?.at(), &f, "net_cls.classid", &udec(id as u64))?;
        }
        for p in &n.priorities {
            let f = "linux.resources.network.priorities";
            let v = crate::rt::cat(&[&*p.name, " ", &udec(p.priority as u64)]);
            fsio::set(cg.v1(ctrl::NET_PRIO, f)?.at(), &f, "net_prio.ifpriomap", &v)?;
        }
    }
    for (dev, l) in &r.rdma {
        rdma(cg.v1(ctrl::RDMA, "linux.resources.rdma")?.at(), dev, l)?;
    }
    Ok(())
}

/// pids.limit: negative is "max", as runc (0, unset, is filtered by the caller).
#[inline(never)]
pub(super) fn pids_max(limit: i64) -> String {
    if limit < 0 { String::from("max") } else { dec(limit) }
}

/// `Some(value)` unless the value is 0, which engines send for "unset".
#[inline(never)]
fn set0(v: Option<i64>) -> Option<String> {
    v.filter(|&v| v != 0).map(dec)
}

fn memory(cg: &Cgroup, m: &Memory, why: Apply) -> Result<()> {
    let limit = m.limit.filter(|&v| v != 0);
    let swap = m.swap.filter(|&v| v != 0);
    let oom = m.disable_oom_killer.filter(|&d| d || why == Apply::Update);
    let res = set0(m.reservation);
    let other = m.swappiness.is_some() || m.use_hierarchy.is_some();
    if limit.is_none() && swap.is_none() && res.is_none() && oom.is_none() && !other {
        return Ok(()); // kernel and kernelTCP are ignored, as runc (deprecated, gone from Linux)
    }
    let at = cg.v1(ctrl::MEMORY, "linux.resources.memory")?.at();
    if why == Apply::Update && m.check_before_update == Some(true) {
        check_usage(at, "memory.usage_in_bytes", limit, swap)?;
    }
    const MEMSW: &str = "memory.memsw.limit_in_bytes";
    if limit == Some(-1) && swap.is_none() {
        // runc: unlimited memory with swap unset lifts the memory+swap limit too, if accounted.
        match fsio::write(at, MEMSW, "-1") {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(fsio::err(at, MEMSW, "-1", e).context("linux.resources.memory.limit")),
        }
    }
    let lim = ("linux.resources.memory.limit", "memory.limit_in_bytes", limit.map(dec));
    let sw = ("linux.resources.memory.swap", MEMSW, swap.map(dec));
    pair(at, lim, sw).map_err(|e| match e.message().starts_with("linux.resources.memory.swap: not supported") {
        true => Error::msg(format_args!(
            "linux.resources.memory.swap: the host has no swap accounting ({}/{MEMSW} missing)",
            at.path
        )),
        false => e,
    })?;
    if let Some(v) = res {
        fsio::set(at, &"linux.resources.memory.reservation", "memory.soft_limit_in_bytes", &v)?;
    }
    if let Some(d) = oom {
        fsio::set(at, &"linux.resources.memory.disableOOMKiller", "memory.oom_control", if d { "1" } else { "0" })?;
    }
    if let Some(s) = m.swappiness {
        if s > 100 {
            crate::bail!("linux.resources.memory.swappiness: {s} is out of range 0-100");
        }
        fsio::set(at, &"linux.resources.memory.swappiness", "memory.swappiness", &udec(s))?;
    }
    if let Some(u) = m.use_hierarchy {
        fsio::set(at, &"linux.resources.memory.useHierarchy", "memory.use_hierarchy", if u { "1" } else { "0" })?;
    }
    Ok(())
}

/// `memory.checkBeforeUpdate`: refuse limits at or below the current usage (runc's wording).
pub(super) fn check_usage(at: At<'_>, file: &str, limit: Option<i64>, swap: Option<i64>) -> Result<()> {
    if limit.unwrap_or(0) <= 0 && swap.unwrap_or(0) <= 0 {
        return Ok(());
    }
    let usage = fsio::get_u64(at, file)?;
    for (f, v, what) in [("swap", swap, "memory+swap"), ("limit", limit, "memory")] {
        if let Some(v) = v.filter(|&v| v > 0 && v as u64 <= usage) {
            crate::bail!("linux.resources.memory.{f}: rejecting {what} limit {v} <= usage {usage}");
        }
    }
    Ok(())
}

/// A value to write: (config field, file, value if set).
type Knob<'a> = (&'a str, &'a str, Option<String>);

const NONE: Knob<'static> = ("", "", None);

/// Writes `a` then `b`; if `a` fails with EINVAL and `b` is set, writes `b` first and retries `a`.
fn pair(at: At<'_>, a: Knob<'_>, b: Knob<'_>) -> Result<()> {
    let put = |k: &Knob<'_>| match &k.2 {
        Some(v) => fsio::write(at, k.1, v).map_err(|e| (e, fsio::err(at, k.1, v, e).context(k.0))),
        None => Ok(()),
    };
    match put(&a) {
        Err((Errno::INVAL, _)) if b.2.is_some() => {
            put(&b).map_err(|e| e.1)?;
            put(&a).map_err(|e| e.1)
        }
        Err((_, e)) => Err(e),
        Ok(()) => put(&b).map_err(|e| e.1),
    }
}

fn cpu(cg: &Cgroup, c: &Cpu<'_>, why: Apply) -> Result<()> {
    let period = ("linux.resources.cpu.period", "cpu.cfs_period_us", set0(c.period.map(|v| v as i64)));
    let quota = ("linux.resources.cpu.quota", "cpu.cfs_quota_us", set0(c.quota));
    let burst = ("linux.resources.cpu.burst", "cpu.cfs_burst_us", c.burst.map(udec));
    let rtp = ("linux.resources.cpu.realtimePeriod", "cpu.rt_period_us", set0(c.realtime_period.map(|v| v as i64)));
    let rtr = ("linux.resources.cpu.realtimeRuntime", "cpu.rt_runtime_us", set0(c.realtime_runtime));
    let shares = c.shares.filter(|&s| s != 0);
    let any = [&period, &quota, &burst, &rtp, &rtr].iter().any(|k| k.2.is_some());
    if any || shares.is_some() || c.idle.is_some() {
        let at = cg.v1(ctrl::CPU, "linux.resources.cpu")?.at();
        if let Some(s) = shares {
            // The kernel clamps silently; runc reads the value back to report it. Check instead.
            if !(2..=262_144).contains(&s) {
                let (w, b) = if s < 2 { ("minimum", 2) } else { ("maximum", 262_144) };
                crate::bail!("linux.resources.cpu.shares: the {w} allowed cpu-shares is {b}");
            }
            fsio::set(at, &"linux.resources.cpu.shares", "cpu.shares", &udec(s))?;
        }
        if burst.2.is_some() && quota.2.is_some() {
            // A quota below the current burst needs the burst lowered first (burst <= quota).
            pair(at, quota, burst)?;
            pair(at, period, NONE)?;
        } else {
            pair(at, period, quota)?;
            pair(at, burst, NONE)?;
        }
        if let Some(i) = c.idle {
            fsio::set(at, &"linux.resources.cpu.idle", "cpu.idle", &dec(i))?;
        }
        pair(at, rtp, rtr)?;
    }
    let cpus = c.cpus.as_deref().filter(|s| !s.is_empty());
    let mems = c.mems.as_deref().filter(|s| !s.is_empty());
    if cpus.is_some() || mems.is_some() {
        let h = cg.v1(ctrl::CPUSET, "linux.resources.cpu.cpus")?;
        if why == Apply::Create && h.created > 0 {
            return Ok(()); // written when the cgroup was made (v1::init_cpuset)
        }
        if let Some(v) = cpus {
            fsio::set(h.at(), &"linux.resources.cpu.cpus", "cpuset.cpus", v)?;
        }
        if let Some(v) = mems {
            fsio::set(h.at(), &"linux.resources.cpu.mems", "cpuset.mems", v)?;
        }
    }
    Ok(())
}

fn blkio(cg: &Cgroup, b: &BlockIo) -> Result<()> {
    let (w, lw) = (b.weight.filter(|&w| w != 0), b.leaf_weight.filter(|&w| w != 0));
    let devs = [
        ("throttleReadBpsDevice", "blkio.throttle.read_bps_device", &b.throttle_read_bps_device),
        ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", &b.throttle_write_bps_device),
        ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", &b.throttle_read_iops_device),
        ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", &b.throttle_write_iops_device),
    ];
    if w.is_none() && lw.is_none() && b.weight_device.is_empty() && devs.iter().all(|d| d.2.is_empty()) {
        return Ok(());
    }
    let at = cg.v1(ctrl::BLKIO, "linux.resources.blockIO")?.at();
    if let Some(w) = w {
        // CFQ's blkio.weight is gone since Linux 5.0; BFQ offers blkio.bfq.weight.
        weight(at, &"linux.resources.blockIO.weight", &["blkio.weight", "blkio.bfq.weight"], &udec(w as u64))?;
    }
    if let Some(w) = lw {
        fsio::set(at, &"linux.resources.blockIO.leafWeight", "blkio.leaf_weight", &udec(w as u64))?;
    }
    for (i, d) in b.weight_device.iter().enumerate() {
        if let Some(w) = d.weight {
            let f = format_args!("linux.resources.blockIO.weightDevice[{i}].weight");
            let files = ["blkio.weight_device", "blkio.bfq.weight_device"];
            weight(at, &f, &files, &dev_line(d.major, d.minor, &udec(w as u64)))?;
        }
        if let Some(w) = d.leaf_weight {
            let f = format_args!("linux.resources.blockIO.weightDevice[{i}].leafWeight");
            fsio::set(at, &f, "blkio.leaf_weight_device", &dev_line(d.major, d.minor, &udec(w as u64)))?;
        }
    }
    for (key, file, list) in devs {
        throttle(at, key, list, |d| (file, dev_line(d.major, d.minor, &udec(d.rate))))?;
    }
    Ok(())
}

/// Writes each device's line (`line` gives the file and the value), naming the entry on error.
pub(super) fn throttle(
    at: At<'_>,
    key: &str,
    devs: &[ThrottleDevice],
    line: impl Fn(&ThrottleDevice) -> (&'static str, String),
) -> Result<()> {
    for (i, d) in devs.iter().enumerate() {
        let (file, v) = line(d);
        fsio::set(at, &format_args!("linux.resources.blockIO.{key}[{i}]"), file, &v)?;
    }
    Ok(())
}

/// Writes `val` to the first of `files` that exists; none existing is an error naming the field.
pub(super) fn weight(at: At<'_>, field: &dyn Display, files: &[&str], val: &str) -> Result<()> {
    for f in files {
        match fsio::write(at, f, val) {
            Err(Errno::NOENT) => continue,
            r => return r.map_err(|e| fsio::err(at, f, val, e).context(field)),
        }
    }
    let missing = crate::rt::join(files, " and ");
    Err(Error::msg(format_args!("{field}: not supported by this host ({}/{missing} missing)", at.path)))
}

/// hugetlb.<size>.<limit>, then the reservation limit when the kernel has it (ignored otherwise, as
/// runc). Shared with v2 (limit "max", reservation "rsvd.max").
pub(super) fn hugetlb(at: At<'_>, i: usize, size: &str, limit: u64, file: &str, rsvd: &str) -> Result<()> {
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_alphanumeric()) {
        crate::bail!("linux.resources.hugepageLimits[{i}].pageSize: invalid page size {}", Quoted::str(size));
    }
    let val = udec(limit);
    for (n, suffix) in [file, rsvd].into_iter().enumerate() {
        let name = crate::rt::cat(&["hugetlb.", size, ".", suffix]);
        match fsio::write(at, &name, &val) {
            Ok(()) => {}
            Err(Errno::NOENT) if n == 1 => {}
            Err(Errno::NOENT) => crate::bail!(
                "linux.resources.hugepageLimits[{i}].pageSize: the host has no {size} huge pages ({}/{name} missing)",
                at.path
            ),
            Err(e) => {
                return Err(fsio::err(at, &name, &val, e).context(format_args!("linux.resources.hugepageLimits[{i}].limit")));
            }
        }
    }
    Ok(())
}

/// rdma.max: "<device> hca_handle=N hca_object=M" with only the keys that are set.
pub(super) fn rdma(at: At<'_>, dev: &str, l: &crate::spec::Rdma) -> Result<()> {
    if dev.is_empty() || dev.contains(char::is_whitespace) {
        crate::bail!("linux.resources.rdma: invalid device name {}", Quoted::str(dev));
    }
    let mut v = String::from(dev);
    for (k, n) in [(" hca_handle=", l.hca_handles), (" hca_object=", l.hca_objects)] {
        if let Some(n) = n {
            v.push_str(k);
            fsio::push_udec(&mut v, n as u64);
        }
    }
    if v.len() == dev.len() {
        return Ok(());
    }
    fsio::set(at, &format_args!("linux.resources.rdma.{dev}"), "rdma.max", &v)
}
