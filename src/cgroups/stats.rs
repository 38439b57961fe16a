//! What the `ps`, `events` and `events --stats` verbs read: the container's processes, its OOM
//! kill count, and statistics in runc's `events --stats` shape (types/events.go: Go's omitempty
//! drops zero numbers and empty lists, never the nested objects).
use super::fsio::{self, At};
use super::{Cgroup, Mode, ctrl};
use crate::error::{Error, Result};
use crate::json::Writer;
use alloc::string::String;
use alloc::vec::Vec;

impl Cgroup {
    /// Every process in the container's cgroup and the sub-cgroups it made (`ps`, `kill --all`).
    pub fn pids(&self) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        collect_pids(&self.procs_hier()?.dir, &mut out)?;
        Ok(out)
    }

    /// How many times the kernel's OOM killer killed a process in the container (`events` reports
    /// an "oom" event when it grows). v1: memory.oom_control; v2: memory.events.
    pub fn oom_kill_count(&self) -> Result<u64> {
        let (at, file) = match self.mode {
            Mode::V2 => {
                (self.unified().ok_or_else(|| Error::msg("cgroup: no cgroup2 hierarchy"))?.at(), "memory.events")
            }
            _ => (self.v1(ctrl::MEMORY, "cgroup")?.at(), "memory.oom_control"),
        };
        Ok(fsio::kv(&fsio::get(at, file)?).find(|(k, _)| *k == "oom_kill").map_or(0, |(_, v)| v))
    }

    /// Writes the `data` object of `runc events --stats` (`{"cpu":…,"memory":…,…}`).
    pub fn stats(&self, w: &mut Writer) -> Result<()> {
        fsio::get_records(self.procs_hier()?.at(), "cgroup.procs")?; // the cgroup still exists
        let s = match (self.mode, self.unified()) {
            (Mode::V2, Some(h)) => v2_stats(h.at()),
            _ => v1_stats(self),
        };
        s.write(w);
        Ok(())
    }
}

fn collect_pids(dir: &str, out: &mut Vec<u32>) -> Result<()> {
    let at = At { path: dir, fd: None };
    let procs = match fsio::read_records(at, "cgroup.procs") {
        Ok(text) => text,
        // Removed already (a delete that was interrupted): rmdir succeeds only on an empty cgroup,
        // so nothing is in it.
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        Err(e) => return Err(crate::error::Error::sys(format_args!("read {dir}/cgroup.procs"), e)),
    };
    out.extend(procs.lines().filter_map(|l| fsio::parse_u64(l.trim()).map(|v| v as u32)));
    for sub in fsio::subdirs(dir)? {
        collect_pids(&sub, out)?;
    }
    Ok(())
}

#[derive(Default)]
struct MemEntry {
    limit: u64,
    usage: u64,
    max: u64,
    failcnt: u64,
}

#[derive(Default)]
struct BlkEntry {
    major: u64,
    minor: u64,
    op: &'static str,
    value: u64,
}

#[derive(Default)]
struct Stats {
    total: u64,
    percpu: Vec<u64>,
    percpu_kernel: Vec<u64>,
    percpu_user: Vec<u64>,
    kernel: u64,
    user: u64,
    periods: u64,
    throttled_periods: u64,
    throttled_time: u64,
    cpus: Vec<u32>,
    mems: Vec<u32>,
    /// cpuset flags in runc's order (v1 only).
    cpuset_flags: Vec<(&'static str, i64)>,
    cache: u64,
    mem: [MemEntry; 4],
    raw: Vec<(String, u64)>,
    pids_current: u64,
    pids_limit: u64,
    io_bytes: Vec<BlkEntry>,
    io_serviced: Vec<BlkEntry>,
    hugetlb: Vec<(String, MemEntry)>,
}

/// Reads a file; a missing one (optional controller or kernel feature) reads as empty. Statistics
/// are best effort past the first file (`stats` checks the cgroup exists).
#[inline(never)]
fn opt(at: At<'_>, name: &str) -> String {
    fsio::read(at, name).unwrap_or_default()
}

#[inline(never)]
fn num(at: At<'_>, name: &str) -> u64 {
    fsio::parse_u64(opt(at, name).trim()).unwrap_or(0)
}

#[inline(never)]
fn key(text: &str, k: &str) -> u64 {
    fsio::kv(text).find(|(x, _)| *x == k).map_or(0, |(_, v)| v)
}

#[inline(never)]
fn numbers(text: &str) -> Vec<u64> {
    text.split_ascii_whitespace().filter_map(fsio::parse_u64).collect()
}

/// memory.stat's "key value" lines, for the `raw` map (one copy for v1 and v2).
#[inline(never)]
fn raw_kv(text: &str) -> Vec<(String, u64)> {
    fsio::kv(text).map(|(k, v)| (String::from(k), v)).collect()
}

/// "0-3,8" -> [0, 1, 2, 3, 8]
#[inline(never)]
fn cpu_list(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Some(a), Some(b)) = (fsio::parse_u64(a), fsio::parse_u64(b)) {
            out.extend(a as u32..=b.min(a + 65_535) as u32);
        }
    }
    out
}

/// Huge page sizes as the kernel offers them, named as in the hugetlb files ("2MB", "1GB").
fn huge_sizes() -> Vec<String> {
    let mut out = Vec::new();
    for d in fsio::subdirs("/sys/kernel/mm/hugepages").unwrap_or_default() {
        let name = crate::rt::after_last(&d, b'/');
        let kb = name.strip_prefix("hugepages-").and_then(|n| n.strip_suffix("kB")).and_then(fsio::parse_u64);
        let Some(mut v) = kb else { continue };
        let mut unit = 1;
        while v >= 1024 && v % 1024 == 0 && unit < 5 {
            v /= 1024;
            unit += 1;
        }
        out.push(crate::rt::cat(&[&*fsio::udec(v), ["B", "KB", "MB", "GB", "TB", "PB"][unit]]));
    }
    out
}

#[inline(never)]
fn mem_entry(at: At<'_>, prefix: &str) -> MemEntry {
    let f = |s: &str| num(at, &crate::rt::cat(&[prefix, s]));
    MemEntry { usage: f("usage_in_bytes"), max: f("max_usage_in_bytes"), failcnt: f("failcnt"), limit: f("limit_in_bytes") }
}

fn v1_stats(cg: &Cgroup) -> Stats {
    let mut s = Stats::default();
    let h = |bit| cg.hier.iter().find(|h| h.ctrls & bit != 0).map(|h| h.at());
    const USER_HZ_NS: u64 = 10_000_000; // cpuacct.stat counts USER_HZ (100) ticks
    if let Some(at) = h(ctrl::CPUACCT) {
        s.total = num(at, "cpuacct.usage");
        s.percpu = numbers(&opt(at, "cpuacct.usage_percpu"));
        s.percpu_kernel = numbers(&opt(at, "cpuacct.usage_percpu_sys"));
        s.percpu_user = numbers(&opt(at, "cpuacct.usage_percpu_user"));
        let st = opt(at, "cpuacct.stat");
        s.user = key(&st, "user") * USER_HZ_NS;
        s.kernel = key(&st, "system") * USER_HZ_NS;
    }
    if let Some(at) = h(ctrl::CPU) {
        let st = opt(at, "cpu.stat");
        (s.periods, s.throttled_periods, s.throttled_time) =
            (key(&st, "nr_periods"), key(&st, "nr_throttled"), key(&st, "throttled_time"));
    }
    if let Some(at) = h(ctrl::CPUSET) {
        s.cpus = cpu_list(&opt(at, "cpuset.cpus"));
        s.mems = cpu_list(&opt(at, "cpuset.mems"));
        for k in [
            "cpu_exclusive",
            "mem_hardwall",
            "mem_exclusive",
            "memory_migrate",
            "memory_spread_page",
            "memory_spread_slab",
            "memory_pressure",
            "sched_load_balance",
            "sched_relax_domain_level",
        ] {
            let t = opt(at, &crate::rt::cat(&["cpuset.", k]));
            // 0 or 1, except sched_relax_domain_level which defaults to -1
            let v = if t.trim() == "-1" { -1 } else { fsio::parse_u64(t.trim()).unwrap_or(0) as i64 };
            s.cpuset_flags.push((k, v));
        }
    }
    if let Some(at) = h(ctrl::MEMORY) {
        let raw = opt(at, "memory.stat");
        s.raw = raw_kv(&raw);
        s.cache = key(&raw, "cache");
        s.mem = [
            mem_entry(at, "memory."),
            mem_entry(at, "memory.memsw."),
            mem_entry(at, "memory.kmem."),
            mem_entry(at, "memory.kmem.tcp."),
        ];
    }
    if let Some(at) = h(ctrl::PIDS) {
        s.pids_current = num(at, "pids.current");
        s.pids_limit = num(at, "pids.max");
    }
    if let Some(at) = h(ctrl::BLKIO) {
        // BFQ's recursive counters when the scheduler is in use, else the throttle layer's.
        let mut bytes = opt(at, "blkio.bfq.io_service_bytes_recursive");
        let serviced = if bytes.is_empty() {
            bytes = opt(at, "blkio.throttle.io_service_bytes_recursive");
            opt(at, "blkio.throttle.io_serviced_recursive")
        } else {
            opt(at, "blkio.bfq.io_serviced_recursive")
        };
        s.io_bytes = blkio_v1(&bytes);
        s.io_serviced = blkio_v1(&serviced);
    }
    if let Some(at) = h(ctrl::HUGETLB) {
        for size in huge_sizes() {
            let e = mem_entry(at, &crate::rt::cat(&["hugetlb.", &size, "."]));
            s.hugetlb.push((size, e));
        }
    }
    if s.pids_limit == u64::MAX {
        s.pids_limit = 0; // "max": no limit, reported as 0 like runc
    }
    s
}

/// "8:0 Read 123" lines; "Total N" lines are skipped.
fn blkio_v1(text: &str) -> Vec<BlkEntry> {
    const OPS: [&str; 6] = ["Read", "Write", "Sync", "Async", "Discard", "Total"];
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_ascii_whitespace();
            let (dev, op, v) = (f.next()?, f.next()?, f.next()?);
            let (ma, mi) = dev.split_once(':')?;
            let op = OPS.iter().find(|o| **o == op)?;
            Some(BlkEntry { major: fsio::parse_u64(ma)?, minor: fsio::parse_u64(mi)?, op, value: fsio::parse_u64(v)? })
        })
        .collect()
}

fn v2_stats(at: At<'_>) -> Stats {
    let mut s = Stats::default();
    let st = opt(at, "cpu.stat");
    s.total = key(&st, "usage_usec") * 1000;
    s.user = key(&st, "user_usec") * 1000;
    s.kernel = key(&st, "system_usec") * 1000;
    (s.periods, s.throttled_periods) = (key(&st, "nr_periods"), key(&st, "nr_throttled"));
    s.throttled_time = key(&st, "throttled_usec") * 1000;
    s.cpus = cpu_list(&opt(at, "cpuset.cpus.effective"));
    s.mems = cpu_list(&opt(at, "cpuset.mems.effective"));
    let raw = opt(at, "memory.stat");
    s.raw = raw_kv(&raw);
    s.cache = key(&raw, "file");
    let events = opt(at, "memory.events");
    let usage = MemEntry {
        usage: num(at, "memory.current"),
        limit: num(at, "memory.max"),
        max: num(at, "memory.peak"),
        failcnt: key(&events, "max"),
    };
    // v1 reports swap as memory+swap: add memory to both, as runc does.
    let swap_max = num(at, "memory.swap.max");
    let swap = MemEntry {
        usage: num(at, "memory.swap.current") + usage.usage,
        limit: if swap_max == u64::MAX || usage.limit == u64::MAX { u64::MAX } else { swap_max + usage.limit },
        max: 0,
        failcnt: key(&opt(at, "memory.swap.events"), "max"),
    };
    s.mem = [usage, swap, MemEntry::default(), MemEntry::default()];
    s.pids_current = num(at, "pids.current");
    s.pids_limit = num(at, "pids.max");
    if s.pids_limit == u64::MAX {
        s.pids_limit = 0;
    }
    for l in opt(at, "io.stat").lines() {
        let mut f = l.split_ascii_whitespace();
        let Some((ma, mi)) = f.next().and_then(|d| d.split_once(':')) else { continue };
        let (Some(major), Some(minor)) = (fsio::parse_u64(ma), fsio::parse_u64(mi)) else { continue };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else { continue };
            let Some(value) = fsio::parse_u64(v) else { continue };
            let (list, op) = match k {
                "rbytes" => (&mut s.io_bytes, "Read"),
                "wbytes" => (&mut s.io_bytes, "Write"),
                "rios" => (&mut s.io_serviced, "Read"),
                "wios" => (&mut s.io_serviced, "Write"),
                _ => continue,
            };
            list.push(BlkEntry { major, minor, op, value });
        }
    }
    for size in huge_sizes() {
        let usage = num(at, &crate::rt::cat(&["hugetlb.", &size, ".current"]));
        let failcnt = key(&opt(at, &crate::rt::cat(&["hugetlb.", &size, ".events"])), "max");
        s.hugetlb.push((size, MemEntry { usage, failcnt, ..Default::default() }));
    }
    s
}

/// Go's omitempty for numbers: the key only when the value is not zero.
#[inline(never)]
fn nz(w: &mut Writer, k: &str, v: u64) {
    if v != 0 {
        w.field_u64(k, v);
    }
}

fn list<T: Copy + Into<u64>>(w: &mut Writer, k: &str, v: &[T]) {
    if !v.is_empty() {
        w.key(k).begin_array();
        for &x in v {
            w.u64(x.into());
        }
        w.end_array();
    }
}

#[inline(never)]
fn blk(w: &mut Writer, k: &str, v: &[BlkEntry]) {
    if v.is_empty() {
        return;
    }
    w.key(k).begin_array();
    for e in v {
        w.begin_object();
        nz(w, "major", e.major);
        nz(w, "minor", e.minor);
        if !e.op.is_empty() {
            w.field_str("op", e.op);
        }
        nz(w, "value", e.value);
        w.end_object();
    }
    w.end_array();
}

impl Stats {
    fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.key("cpu").begin_object().key("usage").begin_object();
        nz(w, "total", self.total);
        list(w, "percpu", &self.percpu);
        list(w, "percpu_kernel", &self.percpu_kernel);
        list(w, "percpu_user", &self.percpu_user);
        w.field_u64("kernel", self.kernel).field_u64("user", self.user).end_object();
        w.key("throttling").begin_object();
        nz(w, "periods", self.periods);
        nz(w, "throttledPeriods", self.throttled_periods);
        nz(w, "throttledTime", self.throttled_time);
        w.end_object().end_object();

        w.key("cpuset").begin_object();
        list(w, "cpus", &self.cpus);
        list(w, "mems", &self.mems);
        for (k, v) in &self.cpuset_flags {
            w.field_i64(k, *v);
        }
        w.end_object();

        w.key("memory").begin_object();
        nz(w, "cache", self.cache);
        for (k, e) in ["usage", "swap", "kernel", "kernelTCP"].iter().zip(&self.mem) {
            w.key(k).begin_object().field_u64("limit", e.limit);
            nz(w, "usage", e.usage);
            nz(w, "max", e.max);
            w.field_u64("failcnt", e.failcnt).end_object();
        }
        if !self.raw.is_empty() {
            w.key("raw").begin_object();
            for (k, v) in &self.raw {
                w.field_u64(k, *v);
            }
            w.end_object();
        }
        w.end_object();

        w.key("pids").begin_object();
        nz(w, "current", self.pids_current);
        nz(w, "limit", self.pids_limit);
        w.end_object();

        w.key("blkio").begin_object();
        blk(w, "ioServiceBytesRecursive", &self.io_bytes);
        blk(w, "ioServicedRecursive", &self.io_serviced);
        w.end_object();

        w.key("hugetlb").begin_object();
        for (size, e) in &self.hugetlb {
            w.key(size).begin_object();
            nz(w, "usage", e.usage);
            nz(w, "max", e.max);
            w.field_u64("failcnt", e.failcnt).end_object();
        }
        w.end_object();
        w.key("intel_rdt").begin_object().end_object();
        w.key("network_interfaces").null();
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(cpu_list("0-3,8\n"), [0, 1, 2, 3, 8]);
        assert_eq!(cpu_list(""), [] as [u32; 0]);
        let b = blkio_v1("8:0 Read 10\n8:0 Write 0\nTotal 10\n");
        assert_eq!((b.len(), b[0].major, b[0].op, b[0].value), (2, 8, "Read", 10));
    }

    #[test]
    fn json_shape_omits_zero_numbers_not_objects() {
        let mut s = Stats { total: 5, cpus: alloc::vec![0, 1], pids_current: 2, ..Default::default() };
        s.hugetlb.push(("2MB".into(), MemEntry::default()));
        let mut w = Writer::new();
        s.write(&mut w);
        let out = core::str::from_utf8(w.as_bytes()).unwrap();
        assert_eq!(
            out,
            r#"{"cpu":{"usage":{"total":5,"kernel":0,"user":0},"throttling":{}},"cpuset":{"cpus":[0,1]},"memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},"pids":{"current":2},"blkio":{},"hugetlb":{"2MB":{"failcnt":0}},"intel_rdt":{},"network_interfaces":null}"#
        );
    }
}
