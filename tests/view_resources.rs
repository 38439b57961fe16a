//! linux.resources on this hybrid cgroup host (v1 controllers, cgroup2 at /sys/fs/cgroup/unified
//! without controllers): the same resources given to rsrun and to runc 1.1.5, the kernel files of
//! each container's cgroups read from the host (directories from /proc/<init>/cgroup) and compared
//! value by value; zero values that mean "unset" leave the kernel's defaults; fields this host
//! cannot honour are refused by name, leaving nothing behind; the device filter decides opens like
//! runc's (and crun's).
//!
//! Differences from runc 1.1.5, left out of the comparison where they apply:
//! - hugetlb.<size>.rsvd.limit_in_bytes: runc 1.1.5 writes only limit_in_bytes, rsrun both (as runc
//!   1.2 does): checked against the expected value instead;
//! - devices: runc 1.1.5 writes the v1 devices cgroup on this host, rsrun attaches an eBPF program
//!   to the cgroup2 hierarchy (docs/devices.md): compared by what the container can open.
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the host mounts each v1 hierarchy and cgroup2: (super options naming the controllers, or
/// "" for cgroup2, mount point).
fn hierarchies() -> Vec<(String, PathBuf)> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else { continue };
        let mp = left.split(' ').nth(4).unwrap();
        let r: Vec<&str> = right.split(' ').collect();
        match r[0] {
            "cgroup" => {
                let ctrls: Vec<&str> = r[2].split(',').filter(|o| *o != "rw" && *o != "ro").collect();
                out.push((ctrls.join(","), PathBuf::from(mp)));
            }
            "cgroup2" => out.push((String::new(), PathBuf::from(mp))),
            _ => {}
        }
    }
    out
}

/// The directory of `pid`'s cgroup in the hierarchy that has `controller`.
fn cgroup_dir(pid: i32, controller: &str) -> PathBuf {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let hier = hierarchies();
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrls, path) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        if ctrls.split(',').any(|c| c == controller)
            && let Some((_, mp)) = hier.iter().find(|(c, _)| c == ctrls)
        {
            return mp.join(path.trim_start_matches('/'));
        }
    }
    panic!("no {controller} cgroup for pid {pid}:\n{text}");
}

/// "controller/file" names read from the container's cgroups, one "name: value" line each (lines
/// of the file joined with " | "; "(missing)" when the kernel has no such file).
fn read_values(pid: i32, files: &[&str]) -> String {
    let mut out = String::new();
    for name in files {
        let (ctrl, file) = name.split_once('/').unwrap();
        let path = cgroup_dir(pid, ctrl).join(file);
        let value = match fs::read_to_string(&path) {
            Ok(v) => v.lines().collect::<Vec<_>>().join(" | "),
            Err(_) => "(missing)".to_string(),
        };
        out.push_str(&format!("{name}: {value}\n"));
    }
    out
}

/// Creates a container with `patch` under `kind`, reads `files` of its cgroups, deletes it and
/// checks nothing is left.
fn values_under(kind: Kind, patch: &str, files: &[&str]) -> String {
    let bundle = Bundle::with(patch);
    let rt = Runtime::new(kind);
    let id = unique_id("resources");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    let pid = rt.pid(&id).unwrap();
    let values = read_values(pid, files);
    rt.delete(&id).assert_ok();
    leaks.assert_clean();
    values
}

/// `values_under` for rsrun and runc; panics unless they are equal; returns rsrun's.
#[track_caller]
fn same_as_runc(patch: &str, files: &[&str]) -> String {
    let ours = values_under(Kind::Rsrun, patch, files);
    let theirs = values_under(Kind::Runc, patch, files);
    if ours != theirs {
        panic!(
            "rsrun and runc differ for {patch}\n{}\n===== rsrun\n{ours}===== runc\n{theirs}",
            first_difference(&ours, &theirs, "rsrun", "runc")
        );
    }
    ours
}

const MEMORY: &[&str] = &[
    "memory/memory.limit_in_bytes",
    "memory/memory.soft_limit_in_bytes",
    "memory/memory.memsw.limit_in_bytes",
    "memory/memory.swappiness",
    "memory/memory.oom_control",
];
const CPU: &[&str] = &[
    "cpu/cpu.shares",
    "cpu/cpu.cfs_quota_us",
    "cpu/cpu.cfs_period_us",
    "cpu/cpu.rt_runtime_us",
    "cpu/cpu.rt_period_us",
    "cpuset/cpuset.cpus",
    "cpuset/cpuset.mems",
];
const OTHER: &[&str] = &["pids/pids.max", "hugetlb/hugetlb.2MB.limit_in_bytes"];

fn all_files() -> Vec<&'static str> {
    [MEMORY, CPU, OTHER].concat()
}

/// This file reads v1 cgroup files: on a pure cgroup v2 host its tests are skipped (tests/vm.sh runs
/// the verbs and the cgroup library on v2).
fn v1_host(test: &str) -> bool {
    if cgroup_v2() {
        skip(&format!("{test}: reads cgroup v1 files and this host is pure cgroup v2 (tests/vm.sh covers v2)"));
        return false;
    }
    true
}

/// Memory, cpu, cpuset, pids and hugetlb limits set to non-default values: the same kernel values
/// as runc's, and the values asked for. The optional parts (swap accounting, realtime group
/// scheduling, 2MB huge pages) are left out, with a note, on a host without them.
#[test]
fn resources_match_runc() {
    require_root();
    if !v1_host("resources_match_runc") {
        return;
    }
    let (swap, rt, huge) = (swap_accounting(), rt_group_sched(), hugetlb_size("2MB"));
    if !swap {
        skip("resources_match_runc, memory.swap: no swap accounting on this host (memory.memsw.limit_in_bytes)");
    }
    if !rt {
        skip("resources_match_runc, cpu.realtime*: no realtime group scheduling on this host (cpu.rt_runtime_us)");
    }
    if !huge {
        skip("resources_match_runc, hugepageLimits: no 2MB huge pages in a hugetlb cgroup on this host");
    }
    let patch = format!(
        r#".linux.resources += {{
        "memory": {{"limit": 268435456, "reservation": 134217728{}, "swappiness": 30, "disableOOMKiller": true}},
        "cpu": {{"shares": 512, "quota": 50000, "period": 200000{}, "cpus": "0", "mems": "0"}},
        "pids": {{"limit": 123}}{}}}"#,
        if swap { r#", "swap": 536870912"# } else { "" },
        if rt { r#", "realtimeRuntime": 5000, "realtimePeriod": 1000000"# } else { "" },
        if huge { r#", "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]"# } else { "" },
    );
    let expected: Vec<(&str, &str)> = [
        (true, "memory/memory.limit_in_bytes", "268435456"),
        (true, "memory/memory.soft_limit_in_bytes", "134217728"),
        (swap, "memory/memory.memsw.limit_in_bytes", "536870912"),
        (true, "memory/memory.swappiness", "30"),
        (true, "memory/memory.oom_control", "oom_kill_disable 1 | under_oom 0 | oom_kill 0"),
        (true, "cpu/cpu.shares", "512"),
        (true, "cpu/cpu.cfs_quota_us", "50000"),
        (true, "cpu/cpu.cfs_period_us", "200000"),
        (rt, "cpu/cpu.rt_runtime_us", "5000"),
        (rt, "cpu/cpu.rt_period_us", "1000000"),
        (true, "cpuset/cpuset.cpus", "0"),
        (true, "cpuset/cpuset.mems", "0"),
        (true, "pids/pids.max", "123"),
        (huge, "hugetlb/hugetlb.2MB.limit_in_bytes", "4194304"),
        (huge, "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes", "4194304"),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, f, v)| (f, v))
    .collect();
    let files: Vec<&str> = expected.iter().map(|(f, _)| *f).collect();
    let ours = values_under(Kind::Rsrun, &patch, &files);
    let theirs = values_under(Kind::Runc, &patch, &files);
    // runc 1.1.5 leaves the rsvd limit alone (module doc).
    let without_rsvd =
        |s: &str| s.lines().filter(|l| !l.contains(".rsvd.")).map(|l| format!("{l}\n")).collect::<String>();
    assert_eq!(without_rsvd(&ours), without_rsvd(&theirs), "rsrun vs runc");
    let want: String = expected.iter().map(|(f, v)| format!("{f}: {v}\n")).collect();
    assert_eq!(ours, want);
}

/// Zero values are "unset" (docker sends cpu.shares 0 and blockIO.weight 0): the kernel's defaults
/// stay, as with runc, and blockIO.weight 0 is no error although this host has no weight file; -1
/// means unlimited.
#[test]
fn zero_means_unset_and_minus_one_unlimited() {
    require_root();
    if !v1_host("zero_means_unset_and_minus_one_unlimited") {
        return;
    }
    let zeros = r#".linux.resources += {
        "memory": {"limit": 0, "reservation": 0, "swap": 0},
        "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0},
        "pids": {"limit": 0}, "blockIO": {"weight": 0, "leafWeight": 0}}"#;
    let mut files = all_files();
    files.push("blkio/blkio.bfq.weight");
    let defaults = values_under(Kind::Rsrun, ".", &files);
    let ours = same_as_runc(zeros, &files);
    assert_eq!(ours, defaults, "zeros changed a default");
    assert!(ours.contains("cpu/cpu.shares: 1024\ncpu/cpu.cfs_quota_us: -1\ncpu/cpu.cfs_period_us: 100000\n"), "{ours}");
    assert!(ours.contains("pids/pids.max: max\n"), "{ours}");

    // Without swap accounting an explicit swap limit is an error (runc's too): left out there.
    let swap = swap_accounting();
    if !swap {
        skip("zero_means_unset_and_minus_one_unlimited, swap -1: no swap accounting on this host");
    }
    let unlimited = format!(
        r#".linux.resources += {{"memory": {{"limit": -1{}}}, "pids": {{"limit": -1}}, "cpu": {{"quota": -1}}}}"#,
        if swap { r#", "swap": -1"# } else { "" }
    );
    let ours = same_as_runc(&unlimited, &files);
    assert!(ours.contains("memory/memory.limit_in_bytes: 9223372036854771712\n"), "{ours}");
    if swap {
        assert!(ours.contains("memory/memory.memsw.limit_in_bytes: 9223372036854771712\n"), "{ours}");
    }
    assert!(ours.contains("pids/pids.max: max\n"), "{ours}");
}

/// A loop device on a 1 MiB file in a directory of its own under the test dir; detached and
/// removed on drop.
struct Loop {
    dev: String,
    dir: PathBuf,
}

impl Loop {
    fn new() -> Option<Loop> {
        let dir = test_dir().join(format!("loop-{}", unique_suffix()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("loop.img");
        fs::write(&file, vec![0u8; 1 << 20]).unwrap();
        let out = run_command(Command::new("losetup").args(["-f", "--show"]).arg(&file), None, timeout());
        if !out.success() {
            let _ = fs::remove_dir_all(&dir);
            return None;
        }
        Some(Loop { dev: out.stdout.trim().to_string(), dir })
    }

    fn minor(&self) -> u32 {
        self.dev.trim_start_matches("/dev/loop").parse().unwrap()
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// blockIO on a loop device (major 7) switched to the BFQ scheduler: weight, weightDevice and the
/// four throttle files, as runc writes them. Skipped (with a note) when no loop device can be made
/// or BFQ is not available.
#[test]
fn block_io_weight_and_throttle_on_a_loop_device() {
    require_root();
    if !v1_host("block_io_weight_and_throttle_on_a_loop_device") {
        return;
    }
    let Some(lo) = Loop::new() else {
        skip("block_io_weight_and_throttle_on_a_loop_device: no loop device (losetup -f failed; modprobe loop)");
        return;
    };
    let m = lo.minor();
    let sched = format!("/sys/block/loop{m}/queue/scheduler");
    if pretend_missing("blkio")
        || fs::write(&sched, "bfq").is_err()
        || !blkio_files().contains(&"blkio.bfq.weight_device".to_string())
    {
        skip(&format!("block_io_weight_and_throttle_on_a_loop_device: no BFQ scheduler for {} (modprobe bfq)", lo.dev));
        return;
    }
    let patch = format!(
        r#".linux.resources.blockIO = {{
            "weight": 500, "weightDevice": [{{"major": 7, "minor": {m}, "weight": 300}}],
            "throttleReadBpsDevice": [{{"major": 7, "minor": {m}, "rate": 1048576}}],
            "throttleWriteBpsDevice": [{{"major": 7, "minor": {m}, "rate": 2097152}}],
            "throttleReadIOPSDevice": [{{"major": 7, "minor": {m}, "rate": 100}}],
            "throttleWriteIOPSDevice": [{{"major": 7, "minor": {m}, "rate": 200}}]}}"#
    );
    let files = [
        "blkio/blkio.bfq.weight",
        "blkio/blkio.bfq.weight_device",
        "blkio/blkio.throttle.read_bps_device",
        "blkio/blkio.throttle.write_bps_device",
        "blkio/blkio.throttle.read_iops_device",
        "blkio/blkio.throttle.write_iops_device",
    ];
    let ours = same_as_runc(&patch, &files);
    assert_eq!(
        ours,
        format!(
            "blkio/blkio.bfq.weight: 500\nblkio/blkio.bfq.weight_device: default 500 | 7:{m} 300\n\
             blkio/blkio.throttle.read_bps_device: 7:{m} 1048576\nblkio/blkio.throttle.write_bps_device: 7:{m} 2097152\n\
             blkio/blkio.throttle.read_iops_device: 7:{m} 100\nblkio/blkio.throttle.write_iops_device: 7:{m} 200\n"
        )
    );
}

/// What this host cannot honour is refused with an error naming the field, before the container
/// exists, and nothing is left behind: controllers that are not mounted (net_cls, net_prio, rdma),
/// files the kernel lacks (blkio weights without BFQ/CFQ weight files), `unified` on a v1 host,
/// values the kernel rejects (a realtime runtime above its period, swappiness > 100), an unknown
/// huge page size.
#[test]
fn unsupported_resources_are_refused_by_name() {
    require_root();
    if !v1_host("unsupported_resources_are_refused_by_name") {
        return;
    }
    // Without realtime group scheduling the period's file is the first one missing; without a
    // hugetlb hierarchy the controller is: either way the field is named.
    let huge_3mb = if v1_hierarchy("hugetlb").is_some() {
        "the host has no 3MB huge pages"
    } else {
        "linux.resources.hugepageLimits"
    };
    let mut cases: Vec<(&str, &str)> = vec![
        (r#".linux.resources.unified = {"memory.max": "1"}"#, "linux.resources.unified"),
        (
            r#".linux.resources.cpu = {"realtimeRuntime": 2000000, "realtimePeriod": 1000000}"#,
            "linux.resources.cpu.realtime",
        ),
        (r#".linux.resources.memory = {"swappiness": 101}"#, "linux.resources.memory.swappiness"),
        (r#".linux.resources.hugepageLimits = [{"pageSize": "3MB", "limit": 1}]"#, huge_3mb),
    ];
    let not_mounted = |c: &str| !Path::new("/sys/fs/cgroup").join(c).exists();
    if not_mounted("net_cls") {
        cases.push((
            r#".linux.resources.network = {"classID": 1048577}"#,
            "linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host",
        ));
    }
    if not_mounted("net_prio") {
        cases.push((
            r#".linux.resources.network = {"priorities": [{"name": "lo", "priority": 5}]}"#,
            "linux.resources.network.priorities",
        ));
    }
    if not_mounted("rdma") {
        cases.push((r#".linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3}}"#, "linux.resources.rdma"));
    }
    if !blkio_files().contains(&"blkio.leaf_weight".to_string()) {
        cases.push((r#".linux.resources.blockIO = {"leafWeight": 500}"#, "linux.resources.blockIO.leafWeight"));
    }
    let rt = Runtime::rsrun();
    for (patch, want) in cases {
        let bundle = Bundle::with(patch);
        let id = unique_id("res-refused");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "{patch}: want {want:?}\n{out}");
        leaks.assert_clean();
    }
}

/// The files a new blkio cgroup has on this host (the root cgroup lacks the BFQ weight files), from
/// a probe cgroup made and removed here.
fn blkio_files() -> Vec<String> {
    let dir = cgroup_root("blkio").join(format!("rsrun-test-battery-probe-{}", unique_suffix()));
    if fs::create_dir(&dir).is_err() {
        return Vec::new();
    }
    let names = fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    fs::remove_dir(&dir).unwrap();
    names
}

/// The host's mount point of the v1 hierarchy with `controller`.
fn cgroup_root(controller: &str) -> PathBuf {
    hierarchies()
        .into_iter()
        .find(|(c, _)| c.split(',').any(|x| x == controller))
        .map(|(_, p)| p)
        .unwrap_or_else(|| PathBuf::from("/nonexistent"))
}

/// The device filter: /dev/fuse (c 10:229, not in the default allow list) made with linux.devices
/// is refused without a rule (EPERM), opens read-write with an allow rule, and with allow rwm
/// followed by deny w opens for reading only; /dev/zero (a default device) always opens. Same
/// answers as crun and runc. mknod is allowed throughout: the default rules of all three runtimes
/// include "c *:* m" and "b *:* m".
#[test]
fn device_filter_allows_and_denies_like_runc() {
    require_root();
    // `true` (a regular builtin): a failed redirection of `exec` or `:` would end the shell.
    let script = "true 3</dev/fuse 2>/dev/null && echo 'fuse r: ok' || echo 'fuse r: denied'; \
                  true 3<>/dev/fuse 2>/dev/null && echo 'fuse rw: ok' || echo 'fuse rw: denied'; \
                  head -c1 /dev/zero | wc -c; mknod /dev/shm/fuse2 c 10 229 2>&1 | sed 's/.*: //'";
    let node = r#".linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]"#;
    let cases = [
        format!("{node} | .linux.resources.devices += []"),
        format!(
            "{node} | .linux.resources.devices += [{{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"}}]"
        ),
        format!(
            "{node} | .linux.resources.devices += [{{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rwm\"}}, \
             {{\"allow\": false, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"w\"}}]"
        ),
    ];
    let all = run_cases(ALL, &[], &cases, |b, _, patch| {
        b.patch(patch);
        // mknod needs CAP_MKNOD besides the device rule's "m".
        b.patch(".process.capabilities.bounding += [\"CAP_MKNOD\"] | .process.capabilities.effective += [\"CAP_MKNOD\"] | .process.capabilities.permitted += [\"CAP_MKNOD\"]");
        b.patch(&sh_args(script));
    });
    for runs in &all {
        runs.assert_rsrun_matches_all(norm::code_and_stdout);
    }
    assert_eq!(all[0].stdout(Kind::Rsrun), "fuse r: denied\nfuse rw: denied\n1\n");
    assert_eq!(all[1].stdout(Kind::Rsrun), "fuse r: ok\nfuse rw: ok\n1\n");
    assert_eq!(all[2].stdout(Kind::Rsrun), "fuse r: ok\nfuse rw: denied\n1\n");
}
