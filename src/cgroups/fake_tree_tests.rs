//! `linux.resources` against fake cgroup trees: plain directories holding only the files a host
//! with fewer kernel features would have (no swap accounting, no realtime group scheduling, no
//! block I/O weights, no huge page size, no rdma or hugetlb controller). The real kernel files of
//! this machine cannot be hidden, so these show what rsrun does where they are missing: the value
//! goes where the host has a place for it, and what it has none for is refused with an error naming
//! the field and the missing file, never ignored.
use super::{Apply, Cgroup, Hier, Mode, ctrl};
use crate::spec::{BlockIo, Cpu, HugepageLimit, Memory, Rdma, Resources};
use alloc::borrow::Cow;
use std::fs;
use std::path::PathBuf;
use std::string::{String, ToString};
use std::vec::Vec;

/// A fake tree under the temp dir: one hierarchy per (controller bits, files); removed on drop.
struct Fake {
    base: PathBuf,
    cg: Cgroup,
}

impl Fake {
    fn new(mode: Mode, hiers: &[(u16, &[&str])]) -> Fake {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir().join(format!(
            "rsrun-fake-cgroups-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut hier = Vec::new();
        for (i, (ctrls, files)) in hiers.iter().enumerate() {
            let mnt = base.join(format!("h{i}"));
            let dir = mnt.join("ct");
            fs::create_dir_all(&dir).unwrap();
            for f in *files {
                fs::write(dir.join(f), "").unwrap();
            }
            let (mnt, dir) = (mnt.to_str().unwrap().to_string(), dir.to_str().unwrap().to_string());
            hier.push(Hier { ctrls: *ctrls, mnt: mnt.len(), dir, created: 0, fd: None });
        }
        Fake { base, cg: Cgroup { mode, hier, systemd: None } }
    }

    fn apply(&self, r: &Resources<'_>) -> Result<(), String> {
        self.cg.apply(r, Apply::Create).map_err(|e| e.to_string())
    }

    /// What was written to `file` of hierarchy `i`.
    fn read(&self, i: usize, file: &str) -> String {
        fs::read_to_string(format!("{}/{file}", self.cg.hier[i].dir)).unwrap()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn memory(limit: i64, swap: Option<i64>) -> Resources<'static> {
    Resources { memory: Some(Memory { limit: Some(limit), swap, ..Memory::default() }), ..Resources::default() }
}

#[test]
fn v1_without_swap_accounting() {
    let f = Fake::new(Mode::V1, &[(ctrl::MEMORY, &["memory.limit_in_bytes"])]);
    let e = f.apply(&memory(1 << 20, Some(2 << 20))).unwrap_err();
    assert!(e.starts_with("linux.resources.memory.swap: the host has no swap accounting ("), "{e}");
    assert!(e.ends_with("/memory.memsw.limit_in_bytes missing)"), "{e}");
    // Unlimited memory lifts memsw only where it exists (runc does the same). (Plain files are
    // not truncated on write like cgroup files: a fresh tree per write.)
    let f = Fake::new(Mode::V1, &[(ctrl::MEMORY, &["memory.limit_in_bytes"])]);
    f.apply(&memory(-1, None)).unwrap();
    assert_eq!(f.read(0, "memory.limit_in_bytes"), "-1");
    let f = Fake::new(Mode::V1, &[(ctrl::MEMORY, &["memory.limit_in_bytes"])]);
    f.apply(&memory(1 << 20, None)).unwrap();
    assert_eq!(f.read(0, "memory.limit_in_bytes"), "1048576");
}

#[test]
fn v2_without_swap_accounting() {
    let f = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["memory.max", "memory.low"])]);
    let e = f.apply(&memory(1 << 20, Some(2 << 20))).unwrap_err();
    assert!(e.starts_with("linux.resources.memory.swap: the host has no swap accounting ("), "{e}");
    assert!(e.ends_with("/memory.swap.max missing)"), "{e}");
    let f = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["memory.max", "memory.low"])]);
    f.apply(&memory(1 << 20, None)).unwrap();
    assert_eq!(f.read(0, "memory.max"), "1048576");
}

#[test]
fn v1_without_realtime_group_scheduling() {
    let f = Fake::new(Mode::V1, &[(ctrl::CPU | ctrl::CPUACCT, &["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"])]);
    let rt = Resources {
        cpu: Some(Cpu { realtime_period: Some(1_000_000), realtime_runtime: Some(1000), ..Cpu::default() }),
        ..Resources::default()
    };
    let e = f.apply(&rt).unwrap_err();
    assert!(e.starts_with("linux.resources.cpu.realtimePeriod: not supported by this host ("), "{e}");
    assert!(e.ends_with("/cpu.rt_period_us missing)"), "{e}");
    let shares = Resources { cpu: Some(Cpu { shares: Some(512), ..Cpu::default() }), ..Resources::default() };
    f.apply(&shares).unwrap();
    assert_eq!(f.read(0, "cpu.shares"), "512");
}

fn weight(w: u16) -> Resources<'static> {
    Resources { block_io: Some(BlockIo { weight: Some(w), ..BlockIo::default() }), ..Resources::default() }
}

#[test]
fn block_io_weight_files() {
    // v1: CFQ's blkio.weight is gone since Linux 5.0; BFQ's blkio.bfq.weight takes the value.
    let none = Fake::new(Mode::V1, &[(ctrl::BLKIO, &["blkio.throttle.read_bps_device"])]);
    let e = none.apply(&weight(500)).unwrap_err();
    assert!(e.starts_with("linux.resources.blockIO.weight: not supported by this host ("), "{e}");
    assert!(e.ends_with("/blkio.weight and blkio.bfq.weight missing)"), "{e}");
    let bfq = Fake::new(Mode::V1, &[(ctrl::BLKIO, &["blkio.bfq.weight"])]);
    bfq.apply(&weight(500)).unwrap();
    assert_eq!(bfq.read(0, "blkio.bfq.weight"), "500");
    // v2: io.bfq.weight as is, else io.weight converted, else an error.
    let none = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["io.max"])]);
    let e = none.apply(&weight(500)).unwrap_err();
    assert!(e.starts_with("linux.resources.blockIO.weight: not supported by this host ("), "{e}");
    assert!(e.ends_with("/io.weight missing)"), "{e}");
    let iocost = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["io.weight"])]);
    iocost.apply(&weight(500)).unwrap();
    assert_eq!(iocost.read(0, "io.weight"), "4950");
    // Zero is "unset" (docker sends it): no file needed.
    Fake::new(Mode::V1, &[(ctrl::BLKIO, &[])]).apply(&weight(0)).unwrap();
}

fn huge(size: &'static str) -> Resources<'static> {
    Resources { hugepage_limits: alloc::vec![HugepageLimit { page_size: Cow::Borrowed(size), limit: 1 << 21 }], ..Resources::default() }
}

#[test]
fn huge_page_sizes_and_controllers() {
    // No hugetlb hierarchy at all (v1).
    let f = Fake::new(Mode::V1, &[(ctrl::MEMORY, &[])]);
    let e = f.apply(&huge("2MB")).unwrap_err();
    assert_eq!(e, "linux.resources.hugepageLimits: the hugetlb cgroup controller is not mounted on this host");
    // 2MB pages but no 1GB ones, and no reservation files (kernels before 5.7): the limit alone.
    let f = Fake::new(Mode::V1, &[(ctrl::HUGETLB, &["hugetlb.2MB.limit_in_bytes"])]);
    f.apply(&huge("2MB")).unwrap();
    assert_eq!(f.read(0, "hugetlb.2MB.limit_in_bytes"), "2097152");
    let f = Fake::new(Mode::V1, &[(ctrl::HUGETLB, &["hugetlb.2MB.limit_in_bytes"])]);
    let e = f.apply(&huge("1GB")).unwrap_err();
    assert!(e.starts_with("linux.resources.hugepageLimits[0].pageSize: the host has no 1GB huge pages ("), "{e}");
    let f = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max"])]);
    f.apply(&huge("2MB")).unwrap();
    assert_eq!((f.read(0, "hugetlb.2MB.max"), f.read(0, "hugetlb.2MB.rsvd.max")), ("2097152".into(), "2097152".into()));
    assert!(f.apply(&huge("1GB")).unwrap_err().contains("the host has no 1GB huge pages"));
}

#[test]
fn rdma_without_the_controller() {
    let r = Resources {
        rdma: alloc::vec![(Cow::Borrowed("mlx5_0"), Rdma { hca_handles: Some(3), hca_objects: None })],
        ..Resources::default()
    };
    let e = Fake::new(Mode::V1, &[(ctrl::MEMORY, &[])]).apply(&r).unwrap_err();
    assert_eq!(e, "linux.resources.rdma: the rdma cgroup controller is not mounted on this host");
    let e = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["pids.max"])]).apply(&r).unwrap_err();
    assert!(e.starts_with("linux.resources.rdma.mlx5_0: not supported by this host ("), "{e}");
    let f = Fake::new(Mode::V2, &[(ctrl::UNIFIED, &["rdma.max"])]);
    f.apply(&r).unwrap();
    assert_eq!(f.read(0, "rdma.max"), "mlx5_0 hca_handle=3");
}
