//! `linux.resources` on cgroup v2, with runc's conversions from the v1-shaped OCI fields.
//!
//! Order as runc: pids, memory, io, cpu, cpuset, hugetlb, rdma, then `unified` (which may override
//! any of them). Files are opened relative to the cgroup's directory fd when it is open. A file
//! that does not exist means the controller is not enabled for this cgroup or the kernel lacks the
//! knob: the error names the field.
use super::fsio::{self, At, dec, dev_line, udec};
use super::resources_v1::{check_usage, hugetlb, pids_max, rdma, throttle, weight};
use super::{Apply, Cgroup};
use crate::error::{Error, Quoted, Result};
use crate::spec::{BlockIo, Cpu, Memory, Resources};
use alloc::string::String;
use rustix::io::Errno;

pub(super) fn apply(cg: &Cgroup, r: &Resources<'_>, why: Apply) -> Result<()> {
    let Some(h) = cg.unified() else { crate::bail!("cgroup: no cgroup2 hierarchy") };
    let at = h.at();
    if let Some(p) = r.pids.as_ref().filter(|p| p.limit != 0) {
        fsio::set(at, &"linux.resources.pids.limit", "pids.max", &pids_max(p.limit))?;
    }
    if let Some(m) = &r.memory {
        memory(at, m, why)?;
    }
    if let Some(b) = &r.block_io {
        io(at, b)?;
    }
    if let Some(c) = &r.cpu {
        cpu(at, c)?;
    }
    for (i, l) in r.hugepage_limits.iter().enumerate() {
        hugetlb(at, i, &l.page_size, l.limit, "max", "rsvd.max")?;
    }
    for (dev, l) in &r.rdma {
        rdma(at, dev, l)?;
    }
    if let Some(n) = &r.network
        && (n.class_id.is_some() || !n.priorities.is_empty())
    {
        crate::bail!("linux.resources.network: cgroup v2 has no net_cls/net_prio controllers");
    }
    for (k, v) in &r.unified {
        unified(at, k, v)?;
    }
    Ok(())
}

/// -1 is "max" (v1 compatibility); 0 is unset (None).
#[inline(never)]
fn num(v: i64) -> Option<String> {
    match v {
        0 => None,
        -1 => Some(String::from("max")),
        v => Some(dec(v)),
    }
}

fn memory(at: At<'_>, m: &Memory, why: Apply) -> Result<()> {
    // swappiness, disableOOMKiller, useHierarchy, kernel and kernelTCP have no v2 files: ignored
    // as runc does (v2 is always hierarchical; docker drops the others itself on v2).
    let limit = m.limit.unwrap_or(0);
    let swap = m.swap.unwrap_or(0);
    let res = m.reservation.unwrap_or(0);
    if limit == 0 && swap == 0 && res == 0 {
        return Ok(());
    }
    if why == Apply::Update && m.check_before_update == Some(true) {
        check_usage(at, "memory.current", Some(limit), Some(swap))?;
    }
    if let Some(v) = swap_v2(swap, limit)? {
        fsio::write(at, "memory.swap.max", &v).map_err(|e| match e {
            Errno::NOENT => Error::msg(format_args!(
                "linux.resources.memory.swap: the host has no swap accounting ({}/memory.swap.max missing)",
                at.path
            )),
            e => fsio::err(at, "memory.swap.max", &v, e).context("linux.resources.memory.swap"),
        })?;
    }
    if let Some(v) = num(limit) {
        fsio::set(at, &"linux.resources.memory.limit", "memory.max", &v)?;
    }
    if let Some(v) = num(res) {
        fsio::set(at, &"linux.resources.memory.reservation", "memory.low", &v)?;
    }
    Ok(())
}

/// memory.swap.max from the OCI memory+swap total (runc's ConvertMemorySwapToCgroupV2Value):
/// swap - limit; -1 stays "max"; unlimited memory with swap unset lifts the swap limit too.
pub fn swap_v2(swap: i64, limit: i64) -> Result<Option<String>> {
    const F: &str = "linux.resources.memory.swap";
    Ok(match (swap, limit) {
        (0, -1) | (-1, _) => Some(String::from("max")),
        (0, _) => None,
        (s, -1) => Some(dec(s)),
        (_, 0) => crate::bail!("{F}: cannot set a swap limit without a memory limit"),
        (_, l) if l < 0 => crate::bail!("linux.resources.memory.limit: invalid value {l}"),
        (s, l) if s < l => crate::bail!("{F}: memory+swap limit {s} is lower than the memory limit {l}"),
        (s, l) => Some(dec(s - l)),
    })
}

fn io(at: At<'_>, b: &BlockIo) -> Result<()> {
    if b.leaf_weight.is_some_and(|w| w != 0) || b.weight_device.iter().any(|d| d.leaf_weight.is_some()) {
        crate::bail!("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights");
    }
    if let Some(w) = b.weight.filter(|&w| w != 0) {
        io_weight(at, &"linux.resources.blockIO.weight", "", w)?;
    }
    for (i, d) in b.weight_device.iter().enumerate() {
        if let Some(w) = d.weight {
            let f = format_args!("linux.resources.blockIO.weightDevice[{i}].weight");
            io_weight(at, &f, &dev_line(d.major, d.minor, ""), w)?;
        }
    }
    for (key, kind, devs) in [
        ("throttleReadBpsDevice", "rbps=", &b.throttle_read_bps_device),
        ("throttleWriteBpsDevice", "wbps=", &b.throttle_write_bps_device),
        ("throttleReadIOPSDevice", "riops=", &b.throttle_read_iops_device),
        ("throttleWriteIOPSDevice", "wiops=", &b.throttle_write_iops_device),
    ] {
        // 0 removes the limit on v1; v2 spells that "max".
        let rate = |r: u64| if r == 0 { String::from("max") } else { udec(r) };
        throttle(at, key, devs, |d| ("io.max", dev_line(d.major, d.minor, &crate::rt::cat(&[kind, &rate(d.rate)]))))?;
    }
    Ok(())
}

/// BFQ's io.bfq.weight takes the v1 value as is; without BFQ, io.weight needs the conversion.
/// `dev` is "" or "major:minor ".
fn io_weight(at: At<'_>, field: &dyn core::fmt::Display, dev: &str, w: u16) -> Result<()> {
    let v = crate::rt::cat(&[dev, &udec(w as u64)]);
    match fsio::write(at, "io.bfq.weight", &v) {
        Err(Errno::NOENT) => {
            let v = crate::rt::cat(&[dev, &udec(blkio_weight_to_io_weight(w, field)?)]);
            weight(at, field, &["io.weight"], &v)
        }
        r => r.map_err(|e| fsio::err(at, "io.bfq.weight", &v, e).context(field)),
    }
}

/// blkio weight [10, 1000] to io.weight [1, 10000], runc's linear mapping.
pub fn blkio_weight_to_io_weight(w: u16, field: &dyn core::fmt::Display) -> Result<u64> {
    if !(10..=1000).contains(&w) {
        crate::bail!("{field}: {} is out of range 10-1000", u64::from(w));
    }
    Ok(1 + (w as u64 - 10) * 9999 / 990)
}

fn cpu(at: At<'_>, c: &Cpu<'_>) -> Result<()> {
    if c.realtime_period.is_some_and(|v| v != 0) || c.realtime_runtime.is_some_and(|v| v != 0) {
        crate::bail!("linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime group scheduling limits");
    }
    if let Some(s) = c.shares.filter(|&s| s != 0) {
        fsio::set(at, &"linux.resources.cpu.shares", "cpu.weight", &udec(shares_to_weight(s)))?;
    }
    let quota = c.quota.filter(|&q| q != 0);
    let period = c.period.filter(|&p| p != 0);
    let max = match (quota, period) {
        (None, None) => None,
        // cpu.max takes "$MAX" alone and keeps the period.
        (Some(q), None) => Some(if q > 0 { dec(q) } else { String::from("max") }),
        (q, Some(p)) => {
            let q = match q {
                Some(q) if q > 0 => dec(q),
                Some(_) => String::from("max"),
                // Period alone: keep the current quota (a fresh cgroup has "max").
                None => fsio::get(at, "cpu.max")?.split(' ').next().unwrap_or("max").into(),
            };
            Some(crate::rt::cat(&[&*q, " ", &udec(p)]))
        }
    };
    let burst = c.burst.map(udec);
    if let Some(v) = &max {
        match (fsio::write(at, "cpu.max", v), &burst) {
            // A quota below the current burst: lower the burst first.
            (Err(Errno::INVAL), Some(b)) => {
                fsio::set(at, &"linux.resources.cpu.burst", "cpu.max.burst", b)?;
                fsio::set(at, &"linux.resources.cpu.quota", "cpu.max", v)?;
            }
            (r, _) => {
                let f = if quota.is_some() { "linux.resources.cpu.quota" } else { "linux.resources.cpu.period" };
                r.map_err(|e| fsio::err(at, "cpu.max", v, e).context(f))?
            }
        }
    }
    if let Some(b) = &burst {
        fsio::set(at, &"linux.resources.cpu.burst", "cpu.max.burst", b)?;
    }
    if let Some(i) = c.idle {
        fsio::set(at, &"linux.resources.cpu.idle", "cpu.idle", &dec(i))?;
    }
    if let Some(v) = c.cpus.as_deref().filter(|s| !s.is_empty()) {
        fsio::set(at, &"linux.resources.cpu.cpus", "cpuset.cpus", v)?;
    }
    if let Some(v) = c.mems.as_deref().filter(|s| !s.is_empty()) {
        fsio::set(at, &"linux.resources.cpu.mems", "cpuset.mems", v)?;
    }
    Ok(())
}

/// cpu.shares [2, 262144] to cpu.weight [1, 10000] as current runc (opencontainers/cgroups since
/// 2025) and crun do: a quadratic in log2 that maps the default 1024 to the default 100
/// (the older linear formula gave 39). Exact against the reference for every share value.
pub fn shares_to_weight(s: u64) -> u64 {
    match s {
        0 => 0,
        1..=2 => 1,
        262_144.. => 10_000,
        s => {
            let l = log2(s as f64);
            let e = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
            let v = pow10(e);
            let t = v as u64;
            if (t as f64) < v { t + 1 } else { t }
        }
    }
}

const LN2: f64 = core::f64::consts::LN_2;

/// log2 of a positive normal number: exponent plus ln(mantissa)/ln 2 (exact for powers of two).
fn log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut k = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    if m > core::f64::consts::SQRT_2 {
        m /= 2.0;
        k += 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172: the series converges fast.
    let s = (m - 1.0) / (m + 1.0);
    let (s2, mut t, mut sum) = (s * s, s, 0.0);
    let mut n = 1.0;
    while n < 40.0 {
        sum += t / n;
        t *= s2;
        n += 2.0;
    }
    k as f64 + 2.0 * sum / LN2
}

/// 10^e for 0 <= e < 5: 10^floor(e) exactly, times exp(frac * ln 10) by Taylor series.
fn pow10(e: f64) -> f64 {
    let n = e as i32;
    let f = e - n as f64;
    let mut p = 1.0;
    for _ in 0..n {
        p *= 10.0;
    }
    if f == 0.0 {
        return p;
    }
    // exp(x), x in (0, 2.31): halve 4 times, sum the series, square back.
    let x = f * core::f64::consts::LN_10 / 16.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..20 {
        term *= x / i as f64;
        sum += term;
    }
    for _ in 0..4 {
        sum *= sum;
    }
    p * sum
}

/// One `unified` entry: the key is a file name in the container's cgroup; multi-line values are
/// written line by line (runc's WriteFileByLine).
fn unified(at: At<'_>, key: &str, val: &str) -> Result<()> {
    let field = format_args!("linux.resources.unified.{key}");
    if key.is_empty() || key.contains('/') || key == "." || key == ".." {
        crate::bail!("{field}: must be a file name in the container's cgroup");
    }
    let fd = fsio::open_write(at, key).map_err(|e| match e {
        Errno::NOENT | Errno::ACCESS | Errno::PERM => match key.split_once('.') {
            Some((c, _)) => Error::msg(format_args!(
                "{field}: not supported by this host ({}/{key} missing: controller {} not enabled or unknown)",
                at.path,
                Quoted::str(c)
            )),
            None => Error::msg(format_args!("{field}: must be in the form CONTROLLER.PARAMETER")),
        },
        e => fsio::err(at, key, "", e).context(field),
    })?;
    for line in val.split('\n').filter(|l| !l.is_empty()) {
        rustix::io::write(&fd, line.as_bytes()).map_err(|e| fsio::err(at, key, line, e).context(field))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference formula, computed with std's libm.
    fn reference(s: u64) -> u64 {
        let l = (s as f64).log2();
        let e = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
        10f64.powf(e).ceil() as u64
    }

    #[test]
    fn shares_to_weight_matches_reference_everywhere() {
        assert_eq!(shares_to_weight(0), 0);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 100);
        assert_eq!(shares_to_weight(262_144), 10_000);
        for s in 3..262_144 {
            assert_eq!(shares_to_weight(s), reference(s), "shares {s}");
        }
    }

    #[test]
    fn blkio_weight_conversion() {
        assert_eq!(blkio_weight_to_io_weight(10, &"f").unwrap(), 1);
        assert_eq!(blkio_weight_to_io_weight(500, &"f").unwrap(), 4950);
        assert_eq!(blkio_weight_to_io_weight(1000, &"f").unwrap(), 10000);
        assert!(blkio_weight_to_io_weight(5, &"f").unwrap_err().to_string().starts_with("f: 5 is out of range"));
    }

    #[test]
    fn swap_conversion_like_runc() {
        let s = |swap, limit| swap_v2(swap, limit).map_err(|e| e.to_string());
        assert_eq!(s(0, 0), Ok(None));
        assert_eq!(s(0, -1), Ok(Some("max".into())));
        assert_eq!(s(-1, 100), Ok(Some("max".into())));
        assert_eq!(s(300, 100), Ok(Some("200".into())));
        assert_eq!(s(100, 100), Ok(Some("0".into())));
        assert_eq!(s(300, -1), Ok(Some("300".into())));
        assert!(s(300, 0).unwrap_err().contains("without a memory limit"));
        assert!(s(50, 100).unwrap_err().contains("lower than the memory limit"));
    }
}
