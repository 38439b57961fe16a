//! What this host has, for tests that need something optional: cgroup hierarchies and the files a
//! new cgroup gets (swap accounting, realtime group scheduling, huge page sizes, block I/O weights
//! depend on the kernel's configuration and the block scheduler), kernel namespaces, LSMs. A test
//! that needs what the host lacks prints "skipped: why" (`skip`) and returns; README.md's set-up
//! section says how to get each one.
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Whether RSRUN_TEST_PRETEND_MISSING (a comma-separated list: swap, rt, hugetlb, blkio, user,
/// time, cgroup) asks the tests to behave as on a host without `feature`: the skip paths run here
/// too, e.g. `RSRUN_TEST_PRETEND_MISSING=swap,rt,hugetlb,blkio,user,time,cgroup cargo test`.
pub fn pretend_missing(feature: &str) -> bool {
    std::env::var("RSRUN_TEST_PRETEND_MISSING").is_ok_and(|v| v.split(',').any(|f| f.trim() == feature))
}

/// Prints why a test (or part of one) does not run here. libtest shows it with --nocapture and in
/// the output of a failing test; tools/test.sh runs with the default capture, so keep it one line.
pub fn skip(why: &str) {
    eprintln!("skipped: {why}");
}

/// Pure cgroup v2 (/sys/fs/cgroup is cgroup2), as opposed to v1 or hybrid.
pub fn cgroup_v2() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// The mount point of the v1 hierarchy holding `controller` ("memory", "cpu", "name=systemd").
pub fn v1_hierarchy(controller: &str) -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mut r = right.split(' ');
        if r.next()? != "cgroup" {
            return None;
        }
        let opts = r.nth(1)?;
        let point = left.split(' ').nth(4)?;
        opts.split(',').any(|o| o == controller).then(|| PathBuf::from(point))
    })
}

/// The cgroup2 mount point: /sys/fs/cgroup on pure v2, usually /sys/fs/cgroup/unified on hybrid.
pub fn cgroup2_mount() -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let point = left.split(' ').nth(4)?;
        (right.split(' ').next()? == "cgroup2").then(|| PathBuf::from(point))
    })
}

/// The file names a new cgroup gets for `controller` on this host (the root cgroup lacks many of
/// them): a probe cgroup is made in the controller's v1 hierarchy, or in the cgroup2 root on pure
/// v2, listed and removed. Empty when the controller is not available. Cached per controller.
pub fn cgroup_files(controller: &str) -> Vec<String> {
    static CACHE: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);
    if let Some(v) = CACHE.lock().unwrap().get_or_insert_with(HashMap::new).get(controller) {
        return v.clone();
    }
    let parent = if cgroup_v2() {
        let enabled = fs::read_to_string("/sys/fs/cgroup/cgroup.subtree_control").unwrap_or_default();
        enabled.split_whitespace().any(|c| c == controller).then(|| PathBuf::from("/sys/fs/cgroup"))
    } else {
        v1_hierarchy(controller)
    };
    let names = match parent {
        Some(p) => {
            let dir = p.join(format!("rsrun-test-host-probe-{}", super::unique_suffix()));
            match fs::create_dir(&dir) {
                Ok(()) => {
                    let names = fs::read_dir(&dir)
                        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                        .unwrap_or_default();
                    let _ = fs::remove_dir(&dir);
                    names
                }
                Err(_) => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    CACHE.lock().unwrap().get_or_insert_with(HashMap::new).insert(controller.to_string(), names.clone());
    names
}

/// Whether a new cgroup of `controller` has `file` ("memory.memsw.limit_in_bytes", "cpu.rt_runtime_us").
pub fn has_cgroup_file(controller: &str, file: &str) -> bool {
    cgroup_files(controller).iter().any(|f| f == file)
}

/// Swap accounting (memory+swap limits): memory.memsw.* on v1, memory.swap.max on v2. Off when the
/// kernel lacks CONFIG_MEMCG_SWAP or boots with swapaccount=0 / cgroup.memory=noswap.
pub fn swap_accounting() -> bool {
    if pretend_missing("swap") {
        return false;
    }
    if cgroup_v2() { has_cgroup_file("memory", "memory.swap.max") } else { has_cgroup_file("memory", "memory.memsw.limit_in_bytes") }
}

/// Realtime group scheduling (cpu.rt_runtime_us, v1 only): CONFIG_RT_GROUP_SCHED.
pub fn rt_group_sched() -> bool {
    !pretend_missing("rt") && !cgroup_v2() && has_cgroup_file("cpu", "cpu.rt_runtime_us")
}

/// Huge pages of `size` ("2MB", "1GB") in the hugetlb controller.
pub fn hugetlb_size(size: &str) -> bool {
    if pretend_missing("hugetlb") {
        return false;
    }
    let file = if cgroup_v2() { format!("hugetlb.{size}.max") } else { format!("hugetlb.{size}.limit_in_bytes") };
    has_cgroup_file("hugetlb", &file)
}

/// A kernel namespace type ("time", "user", "cgroup") as /proc/self/ns shows it; user namespaces
/// also need user.max_user_namespaces above 0.
pub fn namespace(kind: &str) -> bool {
    if pretend_missing(kind) || !Path::new("/proc/self/ns").join(kind).exists() {
        return false;
    }
    kind != "user" || fs::read_to_string("/proc/sys/user/max_user_namespaces").is_ok_and(|v| v.trim() != "0")
}

/// AppArmor is enabled in the kernel (/sys/module/apparmor/parameters/enabled is "Y").
pub fn apparmor() -> bool {
    fs::read_to_string("/sys/module/apparmor/parameters/enabled").is_ok_and(|v| v.trim() == "Y")
}
