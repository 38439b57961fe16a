//! The cgroup library against the real kernel (as root; skipped otherwise). Runs on this machine's
//! hybrid v1 hierarchy and, through tests/vm/run-cgroup-tests.sh, on a pure cgroup v2 kernel.
//!
//! Every test makes its own cgroup /rsrun-test-cgroups-<pid>-<test> (a relative one for the
//! default path), and checks at the end that every directory it made is gone. Expected values are
//! read back from the kernel's files: the v1 file or the v2 file, depending on the host.
use rsrun::cgroups::{Cgroup, Mode, shares_to_weight};
use rsrun::spec::*;
use std::borrow::Cow;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

macro_rules! need_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

fn path(t: &str) -> String {
    format!("/rsrun-test-cgroups-{}-{t}", std::process::id())
}

/// A test's cgroup and children: on drop (also when the test fails) the children are killed and
/// the cgroup destroyed, so nothing is left behind.
struct T {
    cg: Option<Cgroup>,
    kids: Vec<Child>,
    dirs: Vec<String>,
}

impl T {
    fn new(t: &str, res: Option<&Resources<'_>>) -> T {
        Self::at(Some(&path(t)), t, res)
    }

    fn at(p: Option<&str>, id: &str, res: Option<&Resources<'_>>) -> T {
        let cg = Cgroup::create(p, id, res).unwrap_or_else(|e| panic!("create {p:?}: {e}"));
        let dirs = cg.dirs().map(String::from).collect();
        T { cg: Some(cg), kids: Vec::new(), dirs }
    }

    fn cg(&self) -> &Cgroup {
        self.cg.as_ref().unwrap()
    }

    /// Reads the v1 file of `ctrl` or the v2 file, whichever this host has.
    fn file(&self, ctrl: &str, v1: &str, v2: &str) -> String {
        let cg = self.cg();
        let (dir, f) = if cg.mode() == Mode::V2 { (cg.dir("").unwrap(), v2) } else { (cg.dir(ctrl).unwrap(), v1) };
        std::fs::read_to_string(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{dir}/{f}: {e}")).trim().to_string()
    }

    fn v2(&self) -> bool {
        self.cg().mode() == Mode::V2
    }

    /// A child that first moves itself into every directory of the cgroup, then runs `script`,
    /// so what it allocates afterwards is charged to the cgroup.
    fn spawn_inside(&mut self, script: &str) -> u32 {
        let joins: String = self.dirs.iter().map(|d| format!("echo $$ > {d}/cgroup.procs && ")).collect();
        let child = Command::new("sh").arg("-c").arg(format!("{joins}{script}")).spawn().unwrap();
        let pid = child.id();
        self.kids.push(child);
        // Wait until the child is in the cgroup.
        for _ in 0..200 {
            if self.cg().pids().unwrap().contains(&pid) {
                return pid;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("child {pid} did not join");
    }

    /// Destroys the cgroup and checks that every directory is gone.
    fn done(mut self) {
        self.kill_kids();
        let cg = self.cg.take().unwrap();
        cg.destroy().unwrap();
        for d in &self.dirs {
            assert!(!Path::new(d).exists(), "{d} left behind");
        }
    }

    fn kill_kids(&mut self) {
        for k in &mut self.kids {
            let _ = k.kill();
            let _ = k.wait();
        }
        self.kids.clear();
    }
}

impl Drop for T {
    fn drop(&mut self) {
        self.kill_kids();
        if let Some(cg) = self.cg.take() {
            let _ = cg.destroy();
        }
    }
}

/// Whether a new cgroup on this host has the v1 file of `ctrl` or the v2 file (optional kernel
/// features: swap accounting, realtime group scheduling, huge page sizes): a probe cgroup made and
/// destroyed here. Prints "skipped: ..." naming `part` when it has not.
fn host_has(part: &str, ctrl: &str, v1: &str, v2: &str) -> bool {
    // RSRUN_TEST_PRETEND_MISSING (tests/common/host.rs): behave as a host without the file.
    let pretend = std::env::var("RSRUN_TEST_PRETEND_MISSING").unwrap_or_default();
    let feature = if v1.contains("memsw") { "swap" } else if v1.contains("hugetlb") { "hugetlb" } else { "rt" };
    if pretend.split(',').any(|f| f.trim() == feature) {
        eprintln!("skipped: {part}: pretending this host has no {v1} (RSRUN_TEST_PRETEND_MISSING)");
        return false;
    }
    let t = T::new(&format!("probe-{}", v1.replace('.', "-")), None);
    let cg = t.cg();
    let file = if cg.mode() == Mode::V2 { cg.dir("").map(|d| format!("{d}/{v2}")) } else { cg.dir(ctrl).map(|d| format!("{d}/{v1}")) };
    let has = !(if cg.mode() == Mode::V2 { v2 } else { v1 }).is_empty() && file.is_some_and(|f| Path::new(&f).exists());
    t.done();
    if !has {
        eprintln!("skipped: {part}: this host's cgroups have no {ctrl} {}", if v2.is_empty() { v1 } else { v2 });
    }
    has
}

fn err(p: &str, res: &Resources<'_>) -> String {
    match Cgroup::create(Some(p), "x", Some(res)) {
        Ok(cg) => {
            cg.destroy().unwrap();
            panic!("{p}: expected an error");
        }
        Err(e) => {
            // A failed create removes what it made.
            assert!(!Path::new(&format!("/sys/fs/cgroup{p}")).exists(), "{p} left behind");
            assert!(!Path::new(&format!("/sys/fs/cgroup/memory{p}")).exists(), "{p} left behind");
            e.to_string()
        }
    }
}

fn mem(f: impl FnOnce(&mut Memory)) -> Resources<'static> {
    let mut m = Memory::default();
    f(&mut m);
    Resources { memory: Some(m), ..Default::default() }
}

fn cpu(f: impl FnOnce(&mut Cpu<'static>)) -> Resources<'static> {
    let mut c = Cpu::default();
    f(&mut c);
    Resources { cpu: Some(c), ..Default::default() }
}

fn utime(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &s[s.rfind(')').unwrap() + 2..];
    after.split(' ').nth(11).unwrap().parse().unwrap()
}

#[test]
fn create_layout_json_round_trip_destroy() {
    need_root!();
    let t = T::new("layout", None);
    let cg = t.cg();
    for d in cg.dirs() {
        assert!(Path::new(d).is_dir(), "{d}");
        assert!(d.ends_with(&path("layout")), "{d}");
    }
    match cg.mode() {
        Mode::V2 => assert_eq!(cg.dirs().count(), 1),
        m => {
            assert!(cg.dir("devices").is_some() && cg.dir("memory").is_some() && cg.dir("cpu").is_some());
            assert_eq!(cg.dir("").is_some(), m == Mode::Hybrid);
        }
    }
    assert_eq!(cg.clone_into_fd().is_some(), cg.mode() != Mode::V1);
    let mut w = rsrun::json::Writer::new();
    cg.to_json(&mut w);
    let doc = rsrun::json::parse(w.as_bytes()).unwrap();
    let back = Cgroup::from_json(doc.root()).unwrap();
    assert_eq!(back.dirs().collect::<Vec<_>>(), cg.dirs().collect::<Vec<_>>());
    assert!(back.clone_into_fd().is_none());
    // delete works from the state alone
    back.destroy().unwrap();
    for d in &t.dirs {
        assert!(!Path::new(d).exists(), "{d}");
    }
    t.done();
}

#[test]
fn nested_path_creates_and_removes_only_its_own_parents() {
    need_root!();
    let base = path("nested");
    // One level exists before (in every hierarchy): it must survive.
    let pre = T::new("nested", None);
    let t = T::at(Some(&format!("{base}/a/b")), "x", None);
    for d in &t.dirs {
        assert!(d.ends_with("-nested/a/b"));
    }
    let a_dirs: Vec<String> = t.dirs.iter().map(|d| d.strip_suffix("/b").unwrap().to_string()).collect();
    t.done();
    for a in &a_dirs {
        assert!(!Path::new(a).exists(), "{a} (created by rsrun) left behind");
        assert!(Path::new(a.strip_suffix("/a").unwrap()).is_dir(), "pre-existing parent removed");
    }
    pre.done();
}

#[test]
fn sub_cgroups_made_inside_are_removed() {
    need_root!();
    let mut t = T::new("subs", None);
    for d in &t.dirs {
        std::fs::create_dir_all(format!("{d}/x/y")).unwrap();
        std::fs::create_dir(format!("{d}/z")).unwrap();
    }
    // A process in a nested cgroup is listed and killed with the rest.
    let pid = t.spawn_inside("exec sleep 1000");
    let inner = &t.dirs[0];
    std::fs::write(format!("{inner}/x/y/cgroup.procs"), format!("{pid}")).unwrap();
    assert!(t.cg().pids().unwrap().contains(&pid));
    t.cg().kill_all(rustix::process::Signal::KILL).unwrap();
    let st = t.kids[0].wait().unwrap();
    assert!(!st.success());
    t.kids.clear();
    t.done();
}

#[test]
fn existing_cgroup_with_processes_is_refused() {
    need_root!();
    let mut t = T::new("busy", None);
    t.spawn_inside("exec sleep 1000");
    let e = Cgroup::create(Some(&path("busy")), "x", None).unwrap_err().to_string();
    assert!(e.contains("already exists and has processes"), "{e}");
    // The refused create must not have removed the existing cgroup.
    for d in &t.dirs {
        assert!(Path::new(d).is_dir());
    }
    t.done();
}

#[test]
fn default_path_is_relative_to_own_cgroup() {
    need_root!();
    let id = format!("rsrun-test-cgroups-{}-rel", std::process::id());
    let t = T::at(None, &id, None);
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let cg = t.cg();
    let unified = own.lines().find_map(|l| l.strip_prefix("0::")).unwrap_or("/");
    if cg.mode() == Mode::V2 {
        let parent = Path::new(unified).parent().unwrap_or(Path::new("/")).to_str().unwrap().trim_end_matches('/');
        assert_eq!(cg.dir("").unwrap(), format!("/sys/fs/cgroup{parent}/{id}"));
    } else {
        let memory = own.lines().find_map(|l| l.split_once(":memory:").map(|x| x.1)).unwrap();
        let m = memory.trim_end_matches('/');
        assert_eq!(cg.dir("memory").unwrap(), format!("/sys/fs/cgroup/memory{m}/{id}"));
    }
    t.done();
}

#[test]
fn memory_fields() {
    need_root!();
    let swap = host_has("memory_fields, swap", "memory", "memory.memsw.limit_in_bytes", "memory.swap.max");
    let r = mem(|m| {
        m.limit = Some(64 << 20);
        m.reservation = Some(32 << 20);
        m.swap = swap.then_some(128 << 20);
        m.kernel = Some(1 << 20); // ignored, as runc
        m.kernel_tcp = Some(1 << 20);
    });
    let t = T::new("memory", Some(&r));
    assert_eq!(t.file("memory", "memory.limit_in_bytes", "memory.max"), "67108864");
    assert_eq!(t.file("memory", "memory.soft_limit_in_bytes", "memory.low"), "33554432");
    if !swap {
        t.cg().update(&mem(|m| m.limit = Some(-1))).unwrap();
        let max = if t.v2() { "max" } else { "9223372036854771712" };
        assert_eq!(t.file("memory", "memory.limit_in_bytes", "memory.max"), max);
        let e = t.cg().update(&mem(|m| m.swap = Some(256 << 20))).unwrap_err().to_string();
        assert!(e.starts_with("linux.resources.memory.swap: "), "{e}");
        t.done();
        return;
    }
    // v1: memory+swap as given; v2: swap alone = swap - limit
    let sw = if t.v2() { "67108864" } else { "134217728" };
    assert_eq!(t.file("memory", "memory.memsw.limit_in_bytes", "memory.swap.max"), sw);
    // update: raise both above the current memsw (v1 needs memsw first), then lower both.
    let up = mem(|m| {
        m.limit = Some(256 << 20);
        m.swap = Some(512 << 20);
    });
    t.cg().update(&up).unwrap();
    assert_eq!(t.file("memory", "memory.limit_in_bytes", "memory.max"), "268435456");
    let sw = if t.v2() { "268435456" } else { "536870912" };
    assert_eq!(t.file("memory", "memory.memsw.limit_in_bytes", "memory.swap.max"), sw);
    let down = mem(|m| {
        m.limit = Some(16 << 20);
        m.swap = Some(16 << 20);
    });
    t.cg().update(&down).unwrap();
    assert_eq!(t.file("memory", "memory.limit_in_bytes", "memory.max"), "16777216");
    let sw = if t.v2() { "0" } else { "16777216" };
    assert_eq!(t.file("memory", "memory.memsw.limit_in_bytes", "memory.swap.max"), sw);
    // -1: unlimited (v1 lifts memsw too)
    t.cg().update(&mem(|m| m.limit = Some(-1))).unwrap();
    let max = if t.v2() { "max" } else { "9223372036854771712" };
    assert_eq!(t.file("memory", "memory.limit_in_bytes", "memory.max"), max);
    if !t.v2() {
        assert_eq!(t.file("memory", "memory.memsw.limit_in_bytes", ""), max);
    }
    t.done();
}

#[test]
fn memory_v1_only_fields() {
    need_root!();
    let r = mem(|m| {
        m.swappiness = Some(10);
        m.disable_oom_killer = Some(true);
        m.use_hierarchy = Some(true);
    });
    let t = T::new("memv1", Some(&r));
    if !t.v2() {
        assert_eq!(t.file("memory", "memory.swappiness", ""), "10");
        assert!(t.file("memory", "memory.oom_control", "").contains("oom_kill_disable 1"));
        assert_eq!(t.file("memory", "memory.use_hierarchy", ""), "1");
        let e = err(&path("memv1-bad"), &mem(|m| m.swappiness = Some(101)));
        assert!(e.starts_with("linux.resources.memory.swappiness: 101 is out of range"), "{e}");
    }
    t.done();
}

#[test]
fn memory_check_before_update() {
    need_root!();
    let mut t = T::new("check", Some(&mem(|m| m.limit = Some(256 << 20))));
    t.spawn_inside("exec sleep 1000");
    // On cgroup v2 a process's earlier pages stay charged where they were: wait until the cgroup's
    // own usage (pages touched after the move, the exec of sleep) is above the limit asked for.
    let usage = || t.file("memory", "memory.usage_in_bytes", "memory.current").parse::<u64>().unwrap_or(0);
    for _ in 0..500 {
        if usage() > 8192 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(usage() > 8192, "the child's usage stays at {}", usage());
    let r = mem(|m| {
        m.limit = Some(4096);
        m.check_before_update = Some(true);
    });
    let e = t.cg().update(&r).unwrap_err().to_string();
    assert!(e.starts_with("linux.resources.memory.limit: rejecting memory limit 4096 <= usage"), "{e}");
    t.done();
}

#[test]
fn swap_errors_name_the_field() {
    need_root!();
    // Without swap accounting this is refused too (no memsw file), naming the same field.
    let e = err(
        &path("swaperr"),
        &mem(|m| {
            m.limit = Some(64 << 20);
            m.swap = Some(32 << 20);
        }),
    );
    assert!(e.starts_with("linux.resources.memory.swap: "), "{e}");
}

#[test]
fn cpu_fields() {
    need_root!();
    let r = cpu(|c| {
        c.shares = Some(512);
        c.quota = Some(50_000);
        c.period = Some(100_000);
        c.burst = Some(1000);
        c.cpus = Some(Cow::Borrowed("0"));
        c.mems = Some(Cow::Borrowed("0"));
    });
    let t = T::new("cpu", Some(&r));
    if t.v2() {
        assert_eq!(t.file("", "", "cpu.weight"), shares_to_weight(512).to_string());
        assert_eq!(t.file("", "", "cpu.max"), "50000 100000");
        assert_eq!(t.file("", "", "cpu.max.burst"), "1000");
    } else {
        assert_eq!(t.file("cpu", "cpu.shares", ""), "512");
        assert_eq!(t.file("cpu", "cpu.cfs_quota_us", ""), "50000");
        assert_eq!(t.file("cpu", "cpu.cfs_period_us", ""), "100000");
        assert_eq!(t.file("cpu", "cpu.cfs_burst_us", ""), "1000");
    }
    assert_eq!(t.file("cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
    assert_eq!(t.file("cpuset", "cpuset.mems", "cpuset.mems"), "0");
    // update: quota alone keeps the period; a quota below the burst lowers the burst first
    t.cg()
        .update(&cpu(|c| {
            c.quota = Some(2000);
            c.burst = Some(0);
        }))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.file("cpu", "cpu.cfs_quota_us", "cpu.max"), if t.v2() { "2000 100000" } else { "2000" });
    // period alone keeps the quota
    t.cg().update(&cpu(|c| c.period = Some(200_000))).unwrap();
    assert_eq!(t.file("cpu", "cpu.cfs_period_us", "cpu.max"), if t.v2() { "2000 200000" } else { "200000" });
    t.cg().update(&cpu(|c| c.quota = Some(-1))).unwrap();
    assert_eq!(t.file("cpu", "cpu.cfs_quota_us", "cpu.max"), if t.v2() { "max 200000" } else { "-1" });
    t.cg().update(&cpu(|c| c.idle = Some(1))).unwrap();
    assert_eq!(t.file("cpu", "cpu.idle", "cpu.idle"), "1");
    t.done();
}

#[test]
fn cpu_realtime_and_share_limits() {
    need_root!();
    let rt = cpu(|c| {
        c.realtime_period = Some(1_000_000);
        c.realtime_runtime = Some(1000);
    });
    let p = path("rt");
    match Cgroup::create(Some(&p), "x", Some(&rt)) {
        Ok(cg) => {
            let d = cg.dir("cpu").unwrap().to_string();
            let rd = |f: &str| std::fs::read_to_string(format!("{d}/{f}")).unwrap().trim().to_string();
            assert_eq!((rd("cpu.rt_period_us"), rd("cpu.rt_runtime_us")), ("1000000".into(), "1000".into()));
            assert_ne!(cg.mode(), Mode::V2);
            cg.destroy().unwrap();
        }
        Err(e) => assert!(e.to_string().starts_with("linux.resources.cpu.realtime"), "{e}"),
    }
    let t = T::new("shares", None);
    let r = t.cg().update(&cpu(|c| c.shares = Some(1)));
    if t.v2() {
        r.unwrap();
        assert_eq!(t.file("", "", "cpu.weight"), "1");
    } else {
        assert_eq!(r.unwrap_err().to_string(), "linux.resources.cpu.shares: the minimum allowed cpu-shares is 2");
    }
    t.done();
}

#[test]
fn kernel_error_names_field_file_and_value() {
    need_root!();
    let p = path("einval");
    // A period under the kernel's 1 ms minimum: EINVAL on both versions.
    let e = err(&p, &cpu(|c| c.period = Some(10)));
    let want = if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        format!("linux.resources.cpu.period: write max 10 to /sys/fs/cgroup{p}/cpu.max: Invalid argument")
    } else {
        format!("linux.resources.cpu.period: write 10 to /sys/fs/cgroup/cpu{p}/cpu.cfs_period_us: Invalid argument")
    };
    assert_eq!(e, want);
}

#[test]
fn pids_limit() {
    need_root!();
    let t = T::new("pids", Some(&Resources { pids: Some(Pids { limit: 50 }), ..Default::default() }));
    assert_eq!(t.file("pids", "pids.max", "pids.max"), "50");
    t.cg().update(&Resources { pids: Some(Pids { limit: 0 }), ..Default::default() }).unwrap();
    assert_eq!(t.file("pids", "pids.max", "pids.max"), "50", "0 means unset");
    t.cg().update(&Resources { pids: Some(Pids { limit: -1 }), ..Default::default() }).unwrap();
    assert_eq!(t.file("pids", "pids.max", "pids.max"), "max");
    t.done();
}

/// major:minor of a block device, if the machine has one.
fn block_dev() -> Option<(i64, i64)> {
    let mut names: Vec<_> = std::fs::read_dir("/sys/block").ok()?.flatten().map(|e| e.path()).collect();
    names.sort_by_key(|p| p.to_string_lossy().contains("loop")); // real disks first
    let dev = std::fs::read_to_string(names.first()?.join("dev")).ok()?;
    let (a, b) = dev.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[test]
fn block_io_fields() {
    need_root!();
    let Some((major, minor)) = block_dev() else {
        eprintln!("skipped: no block device");
        return;
    };
    let b = BlockIo {
        throttle_read_bps_device: vec![ThrottleDevice { major, minor, rate: 1 << 20 }],
        throttle_write_iops_device: vec![ThrottleDevice { major, minor, rate: 100 }],
        ..Default::default()
    };
    let t = T::new("blkio", Some(&Resources { block_io: Some(b), ..Default::default() }));
    if t.v2() {
        let m = t.file("", "", "io.max");
        assert!(m.contains(&format!("{major}:{minor} rbps=1048576 wbps=max riops=max wiops=100")), "{m}");
    } else {
        assert_eq!(t.file("blkio", "blkio.throttle.read_bps_device", ""), format!("{major}:{minor} 1048576"));
        assert_eq!(t.file("blkio", "blkio.throttle.write_iops_device", ""), format!("{major}:{minor} 100"));
    }
    // weight: BFQ takes it as is (v1 blkio.bfq.weight, v2 io.bfq.weight); v2 without BFQ converts
    // it for io.weight; a host with neither gets an error naming the field.
    let dir = t.cg().dir("blkio").unwrap().to_string();
    let w = Resources { block_io: Some(BlockIo { weight: Some(500), ..Default::default() }), ..Default::default() };
    let rd = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).map(|s| s.trim().to_string());
    match t.cg().update(&w) {
        Ok(()) if t.v2() && rd("io.bfq.weight").is_err() => assert_eq!(rd("io.weight").unwrap(), "default 4950"),
        Ok(()) if t.v2() => assert_eq!(rd("io.bfq.weight").unwrap(), "default 500"),
        Ok(()) => assert_eq!(rd("blkio.weight").or_else(|_| rd("blkio.bfq.weight")).unwrap(), "500"),
        Err(e) => {
            assert!(e.to_string().starts_with("linux.resources.blockIO.weight: not supported by this host"), "{e}")
        }
    }
    let leaf =
        Resources { block_io: Some(BlockIo { leaf_weight: Some(500), ..Default::default() }), ..Default::default() };
    let e = t.cg().update(&leaf).unwrap_err().to_string();
    assert!(e.starts_with("linux.resources.blockIO.leafWeight: "), "{e}");
    t.done();
}

#[test]
fn hugepage_limits() {
    need_root!();
    if !Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").exists()
        || !host_has("hugepage_limits", "hugetlb", "hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.max")
    {
        eprintln!("skipped: hugepage_limits: no 2MB huge pages (or no hugetlb cgroup controller) on this host");
        return;
    }
    let r = Resources {
        hugepage_limits: vec![HugepageLimit { page_size: Cow::Borrowed("2MB"), limit: 4 << 21 }],
        ..Default::default()
    };
    let t = T::new("huge", Some(&r));
    assert_eq!(t.file("hugetlb", "hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.max"), "8388608");
    t.done();
    let bad = Resources {
        hugepage_limits: vec![HugepageLimit { page_size: Cow::Borrowed("3MB"), limit: 1 }],
        ..Default::default()
    };
    let e = err(&path("huge3"), &bad);
    assert!(e.starts_with("linux.resources.hugepageLimits[0].pageSize: the host has no 3MB huge pages"), "{e}");
}

#[test]
fn network_rdma_unified_errors_name_the_field() {
    need_root!();
    let net =
        Resources { network: Some(Network { class_id: Some(0x100001), priorities: vec![] }), ..Default::default() };
    let t = T::new("net", None);
    let v2 = t.v2();
    let r = t.cg().update(&net);
    if v2 || t.cg().dir("net_cls").is_none() {
        let e = r.unwrap_err().to_string();
        assert!(e.starts_with("linux.resources.network"), "{e}");
    } else {
        r.unwrap();
        assert_eq!(t.file("net_cls", "net_cls.classid", ""), "1048577");
    }
    let rdma = Resources {
        rdma: vec![(Cow::Borrowed("nodev0"), Rdma { hca_handles: Some(2), hca_objects: None })],
        ..Default::default()
    };
    let e = t.cg().update(&rdma).unwrap_err().to_string();
    assert!(e.starts_with("linux.resources.rdma"), "{e}");
    let uni = Resources { unified: vec![(Cow::Borrowed("pids.max"), Cow::Borrowed("7"))], ..Default::default() };
    let r = t.cg().update(&uni);
    if v2 {
        r.unwrap();
        assert_eq!(t.file("", "", "pids.max"), "7");
        let bad = Resources { unified: vec![(Cow::Borrowed("nosuch.knob"), Cow::Borrowed("1"))], ..Default::default() };
        let e = t.cg().update(&bad).unwrap_err().to_string();
        assert!(e.starts_with("linux.resources.unified.nosuch.knob: not supported by this host"), "{e}");
        let bad = Resources { unified: vec![(Cow::Borrowed("../x"), Cow::Borrowed("1"))], ..Default::default() };
        assert!(t.cg().update(&bad).is_err());
    } else {
        let e = r.unwrap_err().to_string();
        assert!(e.starts_with("linux.resources.unified: needs cgroup v2"), "{e}");
    }
    t.done();
}

#[test]
fn freeze_stops_and_thaw_resumes() {
    need_root!();
    let mut t = T::new("freeze", None);
    let pid = t.spawn_inside("while :; do :; done");
    assert!(!t.cg().is_frozen().unwrap());
    std::thread::sleep(Duration::from_millis(100));
    t.cg().freeze().unwrap();
    assert!(t.cg().is_frozen().unwrap());
    let a = utime(pid);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(utime(pid), a, "frozen child ran");
    t.cg().thaw().unwrap();
    assert!(!t.cg().is_frozen().unwrap());
    std::thread::sleep(Duration::from_millis(300));
    assert!(utime(pid) > a, "thawed child did not run");
    t.done();
}

#[test]
fn kill_all_with_other_signal_and_pids() {
    need_root!();
    let mut t = T::new("killall", None);
    let a = t.spawn_inside("exec sleep 1000");
    let b = t.spawn_inside("exec sleep 1000");
    let mut p = t.cg().pids().unwrap();
    p.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(p, want);
    t.cg().kill_all(rustix::process::Signal::TERM).unwrap();
    for k in &mut t.kids {
        let st = k.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(st.signal(), Some(15));
    }
    t.kids.clear();
    assert!(t.cg().pids().unwrap().is_empty());
    t.done();
}

#[test]
fn kill_all_of_a_paused_container() {
    need_root!();
    let mut t = T::new("killpaused", None);
    t.spawn_inside("while :; do :; done");
    t.cg().freeze().unwrap();
    t.cg().kill_all(rustix::process::Signal::KILL).unwrap();
    let st = t.kids[0].wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(st.signal(), Some(9));
    t.kids.clear();
    // v1 needs the thaw for SIGKILL to land; a v2 freezer lets it through and may stay set.
    if !t.v2() {
        assert!(!t.cg().is_frozen().unwrap());
    }
    t.done();
}

#[test]
fn join_moves_a_process_into_every_hierarchy() {
    need_root!();
    let mut t = T::new("join", None);
    let child = Command::new("sleep").arg("1000").spawn().unwrap();
    let pid = child.id();
    t.kids.push(child);
    t.cg().join(pid).unwrap();
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let p = path("join");
    for l in cg.lines() {
        let (_, rest) = l.split_once(':').unwrap();
        let (ctrls, at) = rest.split_once(':').unwrap();
        if t.cg().mode() == Mode::V2 || ctrls.is_empty() || t.cg().dir(ctrls.split(',').next().unwrap()).is_some() {
            assert!(at.ends_with(&p), "{l}");
        }
    }
    assert_eq!(t.cg().pids().unwrap(), [pid]);
    t.done();
}

#[test]
fn stats_and_oom() {
    need_root!();
    let limit = 16 << 20;
    let r = Resources {
        memory: Some(Memory { limit: Some(limit), swap: Some(limit), ..Default::default() }),
        pids: Some(Pids { limit: 20 }),
        ..Default::default()
    };
    let mut t = T::new("stats", Some(&r));
    t.spawn_inside("exec sleep 1000");
    let mut w = rsrun::json::Writer::new();
    t.cg().stats(&mut w).unwrap();
    let doc = rsrun::json::parse(w.as_bytes()).unwrap();
    let s = doc.root();
    let get = |p: &[&str]| p.iter().try_fold(s, |v, k| v.get(k));
    assert_eq!(get(&["memory", "usage", "limit"]).unwrap().as_u64(), Some(limit as u64));
    assert!(get(&["memory", "usage", "usage"]).unwrap().as_u64().unwrap() > 0);
    assert!(get(&["memory", "raw"]).is_some());
    assert_eq!(get(&["pids", "current"]).unwrap().as_u64(), Some(1));
    assert_eq!(get(&["pids", "limit"]).unwrap().as_u64(), Some(20));
    assert!(get(&["cpu", "usage", "user"]).is_some());
    for k in ["cpuset", "blkio", "hugetlb", "intel_rdt"] {
        assert!(get(&[k]).is_some(), "{k}");
    }
    assert_eq!(t.cg().oom_kill_count().unwrap(), 0);
    // Allocate past the limit: the kernel kills the shell.
    t.spawn_inside("x=$(head -c 64000000 /dev/zero | tr '\\000' a); sleep 1000");
    let mut oom = t.kids.remove(1);
    let st = oom.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(st.signal(), Some(9), "{st:?}");
    assert!(t.cg().oom_kill_count().unwrap() >= 1);
    t.done();
}

/// Marks a region in strace output (`faccessat(..."/rsrun-probe-NAME"...)`), for
/// tests/vm/count-cgroup-syscalls.sh.
fn marker(name: &str) {
    let _ = rustix::fs::access(format!("/rsrun-probe-{name}").as_str(), rustix::fs::Access::EXISTS);
}

/// What create and delete do to cgroups, between markers: create + v1 device lines + join of the
/// v1 hierarchies (cgroup2 is joined by clone3's CLONE_INTO_CGROUP), then delete from the state.
fn probe(t: &str, res: Option<&Resources<'_>>) {
    need_root!();
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    let p = path(t);
    marker("create-begin");
    let cg = Cgroup::create(Some(&p), "x", res).unwrap();
    if cg.mode() != Mode::V2 {
        cg.write_devices_v1([(false, "a *:* rwm")]).unwrap();
        cg.join_v1(child.id()).unwrap();
    }
    let mut w = rsrun::json::Writer::new();
    cg.to_json(&mut w);
    marker("create-end");
    drop(cg);
    child.kill().unwrap();
    child.wait().unwrap();
    marker("delete-begin");
    let doc = rsrun::json::parse(w.as_bytes()).unwrap();
    Cgroup::from_json(doc.root()).unwrap().destroy().unwrap();
    marker("delete-end");
}

#[test]
#[ignore = "run by tests/vm/count-cgroup-syscalls.sh under strace"]
fn syscall_probe_devices_only() {
    probe("probe1", None);
}

#[test]
#[ignore = "run by tests/vm/count-cgroup-syscalls.sh under strace"]
fn syscall_probe_memory_pids() {
    let r = Resources {
        memory: Some(Memory { limit: Some(64 << 20), ..Default::default() }),
        pids: Some(Pids { limit: 100 }),
        ..Default::default()
    };
    probe("probe2", Some(&r));
}
