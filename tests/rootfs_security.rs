//! Security regressions for the filesystem setup (DESIGN.md section 4), in forked children. Root.
mod rootfs_util;

use rootfs_util::*;

/// A host directory outside every rootfs that must stay untouched; removed on drop.
struct HostDir(std::path::PathBuf);
impl HostDir {
    fn new(case: &str) -> HostDir {
        let p = std::path::PathBuf::from(format!("/tmp/rsrun-test-rootfs-host-{}-{case}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        HostDir(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn assert_untouched(&self) {
        let n = std::fs::read_dir(&self.0).unwrap().count();
        assert_eq!(n, 0, "host directory {} was written to", self.path());
        assert_no_leak(&self.0);
    }
}
impl Drop for HostDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// CVE-2019-19921, CVE-2023-27561: /proc and /sys targets must be real directories.
#[test]
fn proc_symlink_is_refused() {
    if let Some(dir) = child("proc_symlink_is_refused") {
        enter_and_exec(&small_spec(), &dir, Opts::default(), "true");
    }
    let host = HostDir::new("proc_symlink_is_refused");
    let b = Bundle::new("proc_symlink_is_refused");
    std::fs::remove_dir(b.rootfs().join("proc")).unwrap();
    std::os::unix::fs::symlink(host.path(), b.rootfs().join("proc")).unwrap();
    let run = b.run(&[]);
    assert!(run.setup_error().contains("mount \"proc\" on \"/proc\": /proc must be a real directory"), "{}", run.body);
    host.assert_untouched();
}

#[test]
fn sys_relative_symlink_is_refused() {
    if let Some(dir) = child("sys_relative_symlink_is_refused") {
        let mut spec = small_spec();
        spec.mounts.push(mnt("/sys", Some("sysfs"), "sysfs", &["ro"]));
        enter_and_exec(&spec, &dir, Opts::default(), "true");
    }
    let b = Bundle::new("sys_relative_symlink_is_refused");
    std::fs::remove_dir(b.rootfs().join("sys")).unwrap();
    std::os::unix::fs::symlink("tmp", b.rootfs().join("sys")).unwrap();
    assert!(b.run(&[]).setup_error().contains("/sys must be a real directory"));
}

// CVE-2021-30465, CVE-2024-45310: a destination through a symlink stays inside the rootfs.
#[test]
fn destination_symlink_stays_inside() {
    let case = "destination_symlink_stays_inside";
    if let Some(dir) = child(case) {
        let src = dir.join("src").to_str().unwrap().to_string();
        let mut spec = small_spec();
        spec.mounts.extend([
            mnt("/evil/x", Some("tmpfs"), "tmpfs", &["mode=700"]),
            mnt("/evil/bound", None, &src, &["bind"]),
            mnt("/dotdot/../../../../evil/y", Some("tmpfs"), "tmpfs", &[]),
            mnt("/rel/z", Some("tmpfs"), "tmpfs", &[]),
        ]);
        spec.process.as_mut().unwrap().cwd = "/evil/cwd".into();
        enter_and_exec(&spec, &dir, Opts::default(), "cat /proc/self/mountinfo | cut -d' ' -f5 | grep -v proc");
    }
    let host = HostDir::new(case);
    let b = Bundle::new(case);
    std::fs::create_dir_all(b.dir.join("src")).unwrap();
    std::os::unix::fs::symlink(host.path(), b.rootfs().join("evil")).unwrap();
    std::os::unix::fs::symlink("../../../../../..", b.rootfs().join("rel")).unwrap();
    let run = b.run(&[]);
    let out = run.ok();
    let inside = format!("{}/x", host.path());
    assert!(out.lines().any(|l| l == inside), "mounted at the in-root resolution of /evil/x:\n{out}");
    assert!(out.lines().any(|l| l == "/z"), "../ in a symlink resolves to the root:\n{out}");
    host.assert_untouched();
    // What was created went into the rootfs.
    let in_root = b.rootfs().join(host.path().trim_start_matches('/'));
    assert!(in_root.join("x").is_dir() && in_root.join("bound").is_dir() && in_root.join("cwd").is_dir());
}

// A /dev symlink cannot put device nodes anywhere else.
#[test]
fn dev_symlink_is_refused() {
    if let Some(dir) = child("dev_symlink_is_refused") {
        enter_and_exec(&no_dev_mount(), &dir, Opts::default(), "true");
    }
    for case in ["dev_symlink_is_refused", "dev_symlink_tmpfs"] {
        let host = HostDir::new(case);
        let b = Bundle::new(case);
        std::fs::remove_dir(b.rootfs().join("dev")).unwrap();
        std::os::unix::fs::symlink(host.path(), b.rootfs().join("dev")).unwrap();
        let err = b.run(&[]).setup_error().to_string();
        assert!(err.contains("/dev must be a real directory"), "{case}: {err}");
        host.assert_untouched();
    }
}

#[test]
fn dev_symlink_tmpfs() {
    if let Some(dir) = child("dev_symlink_tmpfs") {
        enter_and_exec(&small_spec(), &dir, Opts::default(), "true");
    }
}

fn no_dev_mount() -> rsrun::spec::Spec<'static> {
    let mut spec = small_spec();
    spec.mounts.retain(|m| m.destination != "/dev");
    spec
}

// CVE-2025-31133: masked paths never use a /dev/null that is not the null device.
#[test]
fn masked_path_with_fake_dev_null() {
    let case = "masked_path_with_fake_dev_null";
    if let Some(dir) = child(case) {
        let mut spec = no_dev_mount();
        spec.linux.as_mut().unwrap().masked_paths = vec!["/proc/keys".into()];
        enter_and_exec(&spec, &dir, Opts::default(), "true");
    }
    let b = Bundle::new(case);
    // The image's /dev/null is a symlink to a file: mknod keeps it (EEXIST, as runc), masking refuses it.
    std::os::unix::fs::symlink("/etc/passwd", b.rootfs().join("dev/null")).unwrap();
    let err = b.run(&[]).setup_error().to_string();
    assert!(err.contains("open /dev/null for masked paths") || err.contains("not the null device"), "{err}");
    assert_eq!(std::fs::read_to_string(b.rootfs().join("etc/passwd")).unwrap(), "root:x:0:0:root:/root:/bin/sh\n");
}

#[test]
fn masked_path_with_bind_over_dev_null() {
    let case = "masked_path_with_bind_over_dev_null";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        let f = dir.join("fake").to_str().unwrap().to_string();
        spec.mounts.push(mnt("/dev/null", None, &f, &["bind"]));
        spec.linux.as_mut().unwrap().masked_paths = vec!["/proc/keys".into()];
        enter_and_exec(&spec, &dir, Opts::default(), "true");
    }
    let b = Bundle::new(case);
    std::fs::write(b.dir.join("fake"), "not null").unwrap();
    let err = b.run(&[]).setup_error().to_string();
    assert!(err.contains("not the null device"), "{err}");
}

#[test]
fn masked_and_readonly_paths() {
    let case = "masked_and_readonly_paths";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.mounts.extend([
            mnt("/data", Some("tmpfs"), "tmpfs", &["nosuid", "noexec"]),
            mnt("/data/sub", Some("tmpfs"), "tmpfs", &[]),
            mnt("/secret", Some("tmpfs"), "tmpfs", &[]),
        ]);
        let l = spec.linux.as_mut().unwrap();
        l.masked_paths =
            ["/proc/keys", "/proc/timer_list", "/proc/acpi", "/proc/does-not-exist", "/secret"].iter().map(|p| s(p)).collect();
        l.readonly_paths = ["/proc/sys", "/data", "/nonexistent", "/etc/passwd"].iter().map(|p| s(p)).collect();
        enter_and_exec(&spec, &dir, Opts::default(), "wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /proc/acpi | wc -l; \
            ls -A /secret | wc -l; touch /secret/x 2>&1; touch /data/x 2>&1; touch /data/sub/x 2>&1; \
            (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1; (echo x >> /etc/passwd) 2>&1; echo ==; cat /proc/self/mountinfo");
    }
    let b = Bundle::new(case);
    let run = b.run(&[]);
    let out = run.ok();
    let (r, info) = out.split_once("==\n").unwrap();
    let r: Vec<&str> = r.lines().collect();
    assert_eq!(r[..4].iter().map(|l| l.trim()).collect::<Vec<_>>(), ["0", "0", "0", "0"], "{r:?}");
    for l in &r[4..] {
        assert!(l.contains("Read-only file system"), "{r:?}");
    }
    assert_eq!(r.len(), 9);
    let info = mountinfo_lines(info);
    let data = opts_of(&info, "/data");
    assert!(data.contains(&"ro") && data.contains(&"nosuid") && data.contains(&"noexec"), "{data:?}");
    assert!(opts_of(&info, "/data/sub").contains(&"ro"), "recursive");
}

#[test]
fn readonly_root_keeps_flags() {
    let case = "readonly_root_keeps_flags";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.root.as_mut().unwrap().readonly = true;
        spec.mounts.push(mnt("/tmp", Some("tmpfs"), "tmpfs", &[]));
        enter_and_exec(&spec, &dir, Opts::default(), "touch /x 2>&1; touch /tmp/x && echo tmp-rw; head -1 /proc/self/mountinfo");
    }
    let b = Bundle::new(case);
    // The rootfs comes from a nosuid,nodev mount of the host (as under many engines).
    let r = b.rootfs().to_str().unwrap().to_string();
    let pre = format!("mount --bind {r} {r} && mount -o remount,bind,nosuid,nodev {r} && \"$@\"");
    let run = b.run_with(&[], &["unshare", "--mount", "--propagation", "private", "sh", "-c", &pre, "sh"]);
    let out = run.ok();
    let l: Vec<&str> = out.lines().collect();
    assert!(l[0].contains("Read-only file system"), "{out}");
    assert_eq!(l[1], "tmp-rw");
    let root = mountinfo_lines(l[2]);
    assert!(root[0].starts_with("/ ro,nosuid,nodev"), "{}", root[0]);
}

// A destination reached through a symlink into /proc is refused (runc's checkProcMount).
#[test]
fn destination_symlink_into_proc() {
    let case = "destination_symlink_into_proc";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.mounts.push(mnt("/sneaky/kernel", Some("tmpfs"), "tmpfs", &[]));
        enter_and_exec(&spec, &dir, Opts::default(), "true");
    }
    let b = Bundle::new(case);
    std::os::unix::fs::symlink("/proc/sys", b.rootfs().join("sneaky")).unwrap();
    assert!(b.run(&[]).setup_error().contains("resolves to a path inside /proc"));
}

// After pivot_root the container's root is the mount namespace's root: a process joining the
// namespace (`exec`, nsenter) lands in the rootfs, not in an empty or host tree.
#[test]
fn joining_the_namespace_sees_the_rootfs() {
    let case = "joining_the_namespace_sees_the_rootfs";
    if let Some(dir) = child(case) {
        enter_and_exec(&crun_spec(), &dir, Opts::default(), "echo ready; read x");
    }
    let b = Bundle::new(case);
    let exe = std::env::current_exe().unwrap();
    let mut c = std::process::Command::new("unshare")
        .args(["--mount", "--pid", "--fork", "--mount-proc", "--net", "--ipc", "--uts", "--propagation", propagation()])
        .arg(&exe)
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_ENV, case)
        .env(DIR_ENV, &b.dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::{BufRead, Write};
    let mut out = std::io::BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 && !line.contains("ready") {
        line.clear();
    }
    let children = std::fs::read_to_string(format!("/proc/{}/task/{}/children", c.id(), c.id())).unwrap();
    let init = children.split_whitespace().next().unwrap().to_string();
    let joined = std::process::Command::new("nsenter").args(["--mount", "--target", &init, "cat", "/etc/passwd"]).output().unwrap();
    let mi = std::process::Command::new("nsenter").args(["--mount", "--target", &init, "/bin/cat", "/proc/self/mountinfo"]).output().unwrap();
    c.stdin.take().unwrap().write_all(b"\n").unwrap();
    c.wait().unwrap();
    assert_eq!(String::from_utf8_lossy(&joined.stdout), "root:x:0:0:root:/root:/bin/sh\n", "{}", String::from_utf8_lossy(&joined.stderr));
    let mi = String::from_utf8_lossy(&mi.stdout).to_string();
    assert!(!mi.contains(" /tmp ") && !mi.contains("/work"), "host mounts visible to a joiner:\n{mi}");
    assert_no_leak(&b.dir);
}
