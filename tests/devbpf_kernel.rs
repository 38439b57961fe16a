//! The device filter on the real kernel: programs the verifier accepts, attached to a cgroup2 cgroup
//! of this host, deciding what a shell moved into it may open and mknod, replaced in place.
//!
//! Needs root and cgroup2 at /sys/fs/cgroup/unified or /sys/fs/cgroup (skips otherwise). On hybrid
//! hosts the v1 devices controller also checks, but the test shell stays in the root v1 cgroup,
//! which allows everything, so only the program decides.
use rsrun::bpf::{Access, DeviceKind, DeviceRule, apply, program, with_defaults};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use syscalls::bpf::{AttachFlags, AttachType, BpfInsn, ProgType, bpf_prog_attach, bpf_prog_load, bpf_prog_query};

const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

/// A cgroup2 cgroup of our own, removed on drop (also when an assertion fails).
struct TestCgroup {
    path: PathBuf,
    dir: OwnedFd,
}

impl TestCgroup {
    fn new(name: &str) -> Option<Self> {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root");
            return None;
        }
        let root = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
            .into_iter()
            .find(|p| rustix::fs::statfs(*p).is_ok_and(|s| s.f_type == CGROUP2_SUPER_MAGIC));
        let Some(root) = root else {
            eprintln!("skipped: no cgroup2 mount");
            return None;
        };
        let path = Path::new(root).join(format!("rsrun-test-devbpf-{}-{name}", std::process::id()));
        std::fs::create_dir(&path).unwrap();
        let dir = rustix::fs::open(path.as_os_str().as_bytes(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty());
        let cg = Self { path, dir: dir.unwrap() };
        Some(cg)
    }

    /// Runs `script` with /bin/sh inside the cgroup; stdout and stderr together.
    fn sh(&self, script: &str) -> String {
        let procs = self.path.join("cgroup.procs");
        // "0" moves the writing process: the shell itself, before it touches any device.
        let full = format!("exec 2>&1; echo 0 > {} || exit 99\n{script}", procs.display());
        let out = Command::new("/bin/sh").arg("-c").arg(full).stdin(Stdio::piped()).output().unwrap();
        assert_ne!(out.status.code(), Some(99), "could not join the cgroup: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stdout).unwrap()
    }

    fn attached(&self) -> Vec<u32> {
        let mut ids = [0u32; 64];
        let n = bpf_prog_query(self.dir.as_fd(), AttachType::CGROUP_DEVICE, &mut ids).unwrap();
        ids[..n].to_vec()
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // The shells are reaped by the time we get here; the kernel may still be tearing them down.
        for _ in 0..100 {
            if std::fs::remove_dir(&self.path).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        eprintln!("warning: could not remove {}", self.path.display());
    }
}

/// A temporary directory for device nodes, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("rsrun-test-devbpf-{}-{name}", std::process::id()));
        std::fs::create_dir(&p).unwrap();
        Self(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rule(allow: bool, kind: &str, major: i64, minor: i64, access: &str) -> DeviceRule {
    DeviceRule::from_oci(allow, Some(kind), Some(major), Some(minor), Some(access)).unwrap()
}

/// "ok" or the shell's error for opening `dev` for reading, in the cgroup.
fn open_null_zero(cg: &TestCgroup) -> (String, String) {
    let out = cg.sh("for d in /dev/null /dev/zero; do if true < $d; then echo \"$d ok\"; fi; done");
    let find = |dev: &str| out.lines().find(|l| l.contains(dev)).unwrap_or("no output").to_string();
    (find("/dev/null"), find("/dev/zero"))
}

#[test]
fn attach_enforce_and_replace() {
    let Some(cg) = TestCgroup::new("replace") else { return };
    let null = rule(true, "c", 1, 3, "rwm");
    let zero = rule(true, "c", 1, 5, "rwm");

    apply(cg.dir.as_fd(), &[null]).unwrap();
    let (n, z) = open_null_zero(&cg);
    assert_eq!(n, "/dev/null ok");
    assert!(z.contains("/dev/zero") && z.contains("Operation not permitted"), "{z}");
    let first = cg.attached();
    assert_eq!(first.len(), 1);

    // One program attached: replaced in one step (BPF_F_REPLACE).
    apply(cg.dir.as_fd(), &[null, zero]).unwrap();
    assert_eq!(open_null_zero(&cg), ("/dev/null ok".into(), "/dev/zero ok".into()));
    let second = cg.attached();
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);

    // Two programs attached (someone else's allow-all next to ours): attach, then detach both.
    let allow_all = [BpfInsn::new(0xb7, 0, 0, 0, 1), BpfInsn::new(0x95, 0, 0, 0, 0)];
    let other = bpf_prog_load(ProgType::CGROUP_DEVICE, &allow_all, c"GPL", b"other", None).unwrap();
    bpf_prog_attach(cg.dir.as_fd(), other.as_fd(), AttachType::CGROUP_DEVICE, AttachFlags::ALLOW_MULTI, None)
        .unwrap();
    assert_eq!(cg.attached().len(), 2);
    apply(cg.dir.as_fd(), &[null]).unwrap();
    let third = cg.attached();
    assert_eq!(third.len(), 1);
    assert!(!second.contains(&third[0]));
    assert!(open_null_zero(&cg).1.contains("Operation not permitted"));

    // A container's list: podman's "deny all" plus the defaults, which bring /dev/zero back.
    apply(cg.dir.as_fd(), &with_defaults(&[rule(false, "a", -1, -1, "rwm")])).unwrap();
    assert_eq!(open_null_zero(&cg), ("/dev/null ok".into(), "/dev/zero ok".into()));
    assert_eq!(cg.attached().len(), 1);

    // Nothing allowed at all.
    apply(cg.dir.as_fd(), &[]).unwrap();
    assert!(open_null_zero(&cg).0.contains("Operation not permitted"));
}

/// The kernel's decision for each (node, access) in one shell run: Some(true) allowed, Some(false)
/// EPERM. Opening a node of a major without a driver fails with ENXIO after the check: allowed.
fn kernel_decisions(cg: &TestCgroup, dir: &Path, devs: &[(DeviceKind, u32, u32)]) -> Vec<[bool; 4]> {
    let mut script = String::new();
    for (i, &(kind, major, minor)) in devs.iter().enumerate() {
        let t = if kind == DeviceKind::Block { 'b' } else { 'c' };
        let (node, fresh) = (dir.join(format!("n{i}")), dir.join(format!("m{i}")));
        // Made by the test process, outside the cgroup; the shell only opens it.
        let ft = if t == 'b' { rustix::fs::FileType::BlockDevice } else { rustix::fs::FileType::CharacterDevice };
        let dev = rustix::fs::makedev(major, minor);
        rustix::fs::mknodat(rustix::fs::CWD, node.as_os_str().as_bytes(), ft, Mode::from_bits_truncate(0o600), dev).unwrap();
        let (node, fresh) = (node.display(), fresh.display());
        for (j, redir) in ["<", ">", "<>"].iter().enumerate() {
            writeln!(script, "echo @{i}.{j}; true {redir} {node}").unwrap();
        }
        writeln!(script, "echo @{i}.3; mknod {fresh} {t} {major} {minor}").unwrap();
    }
    let out = cg.sh(&script);
    let mut res = vec![[true; 4]; devs.len()];
    let mut cur = None;
    for line in out.lines() {
        if let Some(tag) = line.strip_prefix('@') {
            let (i, j) = tag.split_once('.').unwrap();
            cur = Some((i.parse::<usize>().unwrap(), j.parse::<usize>().unwrap()));
        } else if line.contains("Operation not permitted") {
            let (i, j) = cur.unwrap();
            res[i][j] = false;
        }
    }
    res
}

fn reference(rules: &[DeviceRule], kind: DeviceKind, major: u32, minor: u32, req: Access) -> bool {
    [Access::MKNOD, Access::READ, Access::WRITE].into_iter().filter(|&b| req.contains(b)).all(|bit| {
        rules
            .iter()
            .rev()
            .find(|r| {
                (r.kind == DeviceKind::All || r.kind == kind)
                    && r.major.is_none_or(|m| m == major)
                    && r.minor.is_none_or(|m| m == minor)
                    && r.access.contains(bit)
            })
            .is_some_and(|r| r.allow)
    })
}

#[test]
fn kernel_decides_like_the_reference() {
    let Some(cg) = TestCgroup::new("diff") else { return };
    use DeviceKind::{Block, Char};
    // Majors 240-254 are reserved for local use: no driver answers, nothing happens on open.
    let devs = [
        (Char, 1, 3),
        (Char, 1, 5),
        (Char, 1, 7),
        (Char, 240, 0),
        (Char, 240, 1),
        (Char, 240, 2),
        (Block, 240, 0),
        (Block, 240, 1),
    ];
    let lists: Vec<Vec<DeviceRule>> = vec![
        with_defaults(&[rule(false, "a", -1, -1, "rwm"), rule(true, "c", 240, 1, "rw"), rule(false, "c", 1, 7, "w")]),
        // Per-bit precedence: O_RDWR of 240:1 needs w, which the later deny takes back... and
        // gives back for 240:1 only.
        vec![
            rule(true, "a", -1, -1, "rwm"),
            rule(false, "c", 240, -1, "w"),
            rule(true, "c", 240, 1, "w"),
            rule(false, "b", 240, -1, "rwm"),
            rule(false, "c", 1, 5, "r"),
        ],
        // Bits from different rules add up: r from 240:*, w from *:2.
        vec![rule(true, "c", 240, -1, "r"), rule(true, "c", -1, 2, "w"), rule(true, "b", 240, 0, "m"), rule(true, "c", 1, 3, "rw")],
        vec![],
    ];
    for (n, rules) in lists.iter().enumerate() {
        let dir = TempDir::new(&format!("nodes{n}"));
        apply(cg.dir.as_fd(), rules).unwrap();
        let got = kernel_decisions(&cg, &dir.0, &devs);
        let modes = [Access::READ, Access::WRITE, Access::READ.union(Access::WRITE), Access::MKNOD];
        for (i, &(kind, major, minor)) in devs.iter().enumerate() {
            for (j, &req) in modes.iter().enumerate() {
                let want = reference(rules, kind, major, minor, req);
                assert_eq!(got[i][j], want, "list {n}: {kind:?} {major}:{minor} {req}: kernel {} reference {want}", got[i][j]);
            }
        }
        assert_eq!(cg.attached().len(), 1);
    }
}

#[test]
fn verifier_accepts_random_programs() {
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let mut s: u64 = 0x5eed_0003;
    let mut next = |n: u64| {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    };
    let kinds = [DeviceKind::All, DeviceKind::Char, DeviceKind::Block];
    for _ in 0..300 {
        let rules: Vec<DeviceRule> = (0..next(20))
            .map(|_| DeviceRule {
                allow: next(2) == 1,
                kind: kinds[next(3) as usize],
                major: (next(3) > 0).then(|| next(300) as u32),
                minor: (next(3) > 0).then(|| next(300) as u32),
                access: Access::from_bits_truncate(1 + next(7) as u8),
            })
            .collect();
        let p = program(&with_defaults(&rules)).unwrap();
        let mut log = vec![0u8; 65536];
        let r = bpf_prog_load(ProgType::CGROUP_DEVICE, &p, c"Apache-2.0", b"rsrun_test", Some(&mut log));
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        assert!(r.is_ok(), "{rules:?}: {r:?}\n{}", String::from_utf8_lossy(&log[..end]));
    }
}
