//! Test support for `init::rootfs`: a busybox rootfs under /tmp, and a "child mode" of the test
//! binary that runs in new mount/pid/net/ipc/uts namespaces (via util-linux `unshare`), calls
//! `rootfs::setup` + `rootfs::finish` with a spec built in Rust, then execs `/bin/sh -c SCRIPT` inside
//! the container. Everything the child mounts lives in its private mount namespace and disappears
//! with it; the parent removes the directory and checks that no mount leaked to the host.
#![allow(dead_code)]

use rsrun::error::Result;
use rsrun::init::Context;
use rsrun::init::rootfs;
use rsrun::spec::{Device, IdMapping, Linux, Mount, Namespace, NsType, Process, Root, Spec, Str};
use std::borrow::Cow;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CASE_ENV: &str = "RSRUN_ROOTFS_CASE";
pub const DIR_ENV: &str = "RSRUN_ROOTFS_DIR";
/// Printed by the child right before the script's output.
pub const BEGIN: &str = "=====BEGIN=====";

pub fn s(x: &str) -> Str<'static> {
    Cow::Owned(x.to_string())
}

pub fn mnt(dest: &str, kind: Option<&str>, src: &str, opts: &[&str]) -> Mount<'static> {
    Mount {
        destination: s(dest),
        kind: kind.map(s),
        source: Some(s(src)),
        options: opts.iter().map(|o| s(o)).collect(),
        ..Mount::default()
    }
}

pub fn ns(kinds: &[NsType]) -> Vec<Namespace<'static>> {
    kinds.iter().map(|&kind| Namespace { kind, path: None }).collect()
}

pub fn idmap(c: u32, h: u32, n: u32) -> Vec<IdMapping> {
    vec![IdMapping { container_id: c, host_id: h, size: n }]
}

pub fn device(kind: &str, path: &str, major: i64, minor: i64, mode: Option<u32>, uid: Option<u32>, gid: Option<u32>) -> Device<'static> {
    Device { kind: s(kind), path: s(path), major, minor, file_mode: mode, uid, gid }
}

/// The configuration `crun spec` writes (tools/config-default.json), root read-only.
pub fn crun_spec() -> Spec<'static> {
    Spec {
        oci_version: s("1.0.0"),
        process: Some(Process { cwd: s("/"), args: vec![s("true")], ..Process::default() }),
        root: Some(Root { path: s("rootfs"), readonly: true }),
        hostname: Some(s("crun")),
        mounts: vec![
            mnt("/proc", Some("proc"), "proc", &[]),
            mnt("/dev", Some("tmpfs"), "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mnt("/dev/pts", Some("devpts"), "devpts", &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            mnt("/dev/shm", Some("tmpfs"), "shm", &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            mnt("/dev/mqueue", Some("mqueue"), "mqueue", &["nosuid", "noexec", "nodev"]),
            mnt("/sys", Some("sysfs"), "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
            mnt("/sys/fs/cgroup", Some("cgroup"), "cgroup", &["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ],
        linux: Some(Linux {
            namespaces: ns(&[NsType::Pid, NsType::Network, NsType::Ipc, NsType::Uts, NsType::Mount]),
            masked_paths: [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ]
            .iter()
            .map(|p| s(p))
            .collect(),
            readonly_paths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"].iter().map(|p| s(p)).collect(),
            ..Linux::default()
        }),
        ..Spec::default()
    }
}

/// A minimal spec: proc, a /dev tmpfs, sysfs, mount+pid+net+ipc+uts namespaces.
pub fn small_spec() -> Spec<'static> {
    Spec {
        process: Some(Process { cwd: s("/"), ..Process::default() }),
        root: Some(Root { path: s("rootfs"), readonly: false }),
        mounts: vec![
            mnt("/proc", Some("proc"), "proc", &[]),
            mnt("/dev", Some("tmpfs"), "tmpfs", &["nosuid", "mode=755"]),
        ],
        linux: Some(Linux {
            namespaces: ns(&[NsType::Pid, NsType::Network, NsType::Ipc, NsType::Uts, NsType::Mount]),
            ..Linux::default()
        }),
        ..Spec::default()
    }
}

/// Flags of the init's Context that tests vary.
#[derive(Default, Clone, Copy)]
pub struct Opts {
    pub no_pivot: bool,
    pub new_userns: bool,
    pub new_cgroupns: bool,
    /// Print the syscall markers (a failing write to fd 999) around setup+finish, for strace.
    pub markers: bool,
}

/// Child side: the bundle dir when this process is the child for `case`.
pub fn child(case: &str) -> Option<PathBuf> {
    (std::env::var(CASE_ENV).ok()? == case).then(|| PathBuf::from(std::env::var(DIR_ENV).unwrap()))
}

/// Child side: prepare + setup + finish, then exec `/bin/sh -c script` inside the container.
/// A setup error is printed as "SETUP-ERROR: <message>" and the process exits 70.
pub fn enter_and_exec(spec: &Spec<'_>, bundle: &Path, opts: Opts, script: &str) -> ! {
    let rootfs = bundle.join("rootfs");
    if opts.new_cgroupns {
        // SAFETY: a cgroup namespace does not change the process's memory or fd state.
        unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWCGROUP) }.expect("unshare cgroup namespace");
    }
    let r = (|| -> Result<()> {
        rootfs::validate(spec, opts.no_pivot)?;
        let prepared = rootfs::prepare(spec, bundle.to_str().unwrap())?;
        let seccomp = || Ok(());
        let ctx = Context {
            spec,
            id: "rsrun-test-rootfs",
            bundle: bundle.to_str().unwrap(),
            rootfs: rootfs.to_str().unwrap(),
            no_pivot: opts.no_pivot,
            preserve_fds: 0,
            listen_fds: None,
            new_userns: opts.new_userns,
            new_cgroupns: opts.new_cgroupns,
            cgroups_ready: &|| Ok(()),
            cgroup: None,
            install_seccomp: &seccomp,
        };
        if std::env::var_os("RSRUN_ROOTFS_DEBUG").is_some() {
            let d = bundle.to_str().unwrap();
            for l in std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines().filter(|l| l.contains(d)) {
                println!("DEBUG before setup: {l}");
            }
        }
        if opts.markers {
            marker(b"RSRUN-BEGIN");
        }
        rootfs::setup(&ctx, &prepared, &mut || Ok(()))?;
        if std::env::var_os("RSRUN_ROOTFS_DEBUG").is_some() {
            for l in std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines() {
                println!("DEBUG after setup: {l}");
            }
        }
        if let Some(h) = &spec.hostname {
            rustix::system::sethostname(h.as_bytes()).map_err(|e| rsrun::error::Error::sys("sethostname", e))?;
        }
        rootfs::finish(&ctx)?;
        if opts.markers {
            marker(b"RSRUN-END");
        }
        Ok(())
    })();
    if let Err(e) = r {
        println!("SETUP-ERROR: {e}");
        std::process::exit(70);
    }
    println!("{BEGIN}");
    let err = Command::new("/bin/sh").arg("-c").arg(script).env_clear().env("PATH", "/bin").exec();
    println!("SETUP-ERROR: exec: {err}");
    std::process::exit(71);
}

fn marker(m: &[u8]) {
    // SAFETY: fd 999 is not open; the write fails with EBADF and only shows up in strace.
    let _ = unsafe { rustix::io::write(rustix::fd::BorrowedFd::borrow_raw(999), m) };
}

/// Parent side: a busybox rootfs at /tmp/rsrun-test-rootfs-<pid>-<case>/rootfs, removed on drop.
pub struct Bundle {
    pub dir: PathBuf,
    pub case: String,
}

const APPLETS: &[&str] = &[
    "sh", "cat", "ls", "stat", "echo", "touch", "mkdir", "readlink", "grep", "head", "tail", "wc", "id", "sed", "sort",
    "test", "true", "false", "mount", "sysctl", "hostname", "pwd", "mknod", "rm", "ln", "cut", "find", "awk", "tr",
];

impl Bundle {
    pub fn new(case: &str) -> Bundle {
        let dir = PathBuf::from(format!("/tmp/rsrun-test-rootfs-{}-{case}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let r = dir.join("rootfs");
        for d in ["bin", "proc", "sys", "dev", "etc", "tmp", "root", "run", "var"] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", r.join("bin/busybox")).unwrap();
        for a in APPLETS {
            std::os::unix::fs::symlink("busybox", r.join("bin").join(a)).unwrap();
        }
        std::fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
        Bundle { dir, case: case.to_string() }
    }

    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }

    /// Runs the child for this case with extra `unshare` arguments; returns (exit code, output after
    /// BEGIN or the setup error, all output).
    pub fn run(&self, extra_unshare: &[&str]) -> Run {
        self.run_with(extra_unshare, &[])
    }

    pub fn run_with(&self, extra_unshare: &[&str], wrapper: &[&str]) -> Run {
        let exe = std::env::current_exe().unwrap();
        let mut cmd = Command::new(wrapper.first().copied().unwrap_or("unshare"));
        if !wrapper.is_empty() {
            cmd.args(&wrapper[1..]).arg("unshare");
        }
        cmd.args(["--mount", "--pid", "--fork", "--mount-proc", "--net", "--ipc", "--uts", "--propagation", propagation()])
            .args(extra_unshare)
            .arg(&exe)
            .args([self.case.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(CASE_ENV, &self.case)
            .env(DIR_ENV, &self.dir);
        let out = cmd.output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let body = match all.find(BEGIN) {
            Some(i) => all[i + BEGIN.len()..].trim_start_matches('\n').to_string(),
            None => all.find("SETUP-ERROR").map(|i| all[i..].lines().next().unwrap_or("")).unwrap_or("").to_string(),
        };
        assert_no_leak(&self.dir);
        Run { code: out.status.code().unwrap_or(-1), body, all }
    }
}

/// util-linux's unshare can leave propagation unchanged (what a runtime sees); busybox's cannot.
pub fn propagation() -> &'static str {
    let v = Command::new("unshare").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if v.is_ok_and(|v| v.contains("util-linux")) { "unchanged" } else { "private" }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Run {
    pub code: i32,
    pub body: String,
    pub all: String,
}

impl Run {
    /// Asserts the container ran (setup succeeded) and returns the script's output.
    pub fn ok(&self) -> &str {
        assert!(self.all.contains(BEGIN), "setup failed:\n{}", self.all);
        &self.body
    }
    /// Asserts setup failed and returns its message.
    pub fn setup_error(&self) -> &str {
        assert!(!self.all.contains(BEGIN), "setup unexpectedly succeeded:\n{}", self.all);
        assert!(self.body.starts_with("SETUP-ERROR"), "no setup error:\n{}", self.all);
        &self.body
    }
}

/// Nothing the child mounted may be visible in the host's mount table.
pub fn assert_no_leak(dir: &Path) {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let d = dir.to_str().unwrap();
    assert!(!info.contains(d), "mount leaked to the host:\n{}", info.lines().filter(|l| l.contains(d)).collect::<Vec<_>>().join("\n"));
}

/// mountinfo lines reduced to "mount_point per_mount_opts fstype source super_opts [propagation]".
pub fn mountinfo_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let dash = f.iter().position(|x| *x == "-")?;
            let prop: Vec<&str> = f[6..dash].iter().map(|p| p.split(':').next().unwrap()).collect();
            Some(format!("{} {} {} {} {} {}", f.get(4)?, f.get(5)?, f.get(dash + 1)?, f.get(dash + 2)?, f.get(dash + 3)?, prop.join(",")).trim_end().to_string())
        })
        .collect()
}

/// The line for `mount_point` (the last one: the top of a stack), panicking if absent.
pub fn line_for<'a>(lines: &'a [String], mount_point: &str) -> &'a str {
    lines.iter().rev().find(|l| l.split(' ').next() == Some(mount_point)).unwrap_or_else(|| panic!("no mount at {mount_point}:\n{}", lines.join("\n")))
}

/// The per-mount options of the mount at `mount_point`.
pub fn opts_of<'a>(lines: &'a [String], mount_point: &str) -> Vec<&'a str> {
    line_for(lines, mount_point).split(' ').nth(1).unwrap().split(',').collect()
}
