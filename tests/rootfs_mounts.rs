//! `rootfs::setup`/`finish` in forked children: the `crun spec` configuration, every mount type and
//! option, tmpcopyup, id-mapped binds, propagation. Needs root.
mod rootfs_util;

use rootfs_util::*;
use rsrun::spec::NsType;

const SHOW: &str = "cat /proc/self/mountinfo";

fn cgroup2_host() -> bool {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines().any(|l| l.contains(" /sys/fs/cgroup ") && l.contains(" - cgroup2 "))
}

#[test]
fn crun_spec_config() {
    if let Some(dir) = child("crun_spec_config") {
        enter_and_exec(&crun_spec(), &dir, Opts::default(), "cat /proc/self/mountinfo; echo ==; ls -ln /dev; echo ==; \
            touch /x 2>&1; (echo 0 > /proc/sys/net/ipv4/ip_forward) 2>&1; wc -c < /proc/keys; ls /sys/firmware | wc -l; \
            touch /sys/firmware/x 2>&1; touch /dev/shm/x && echo shm-rw; hostname; readlink /proc/self/cwd");
    }
    let b = Bundle::new("crun_spec_config");
    let run = b.run(&[]);
    let out = run.ok();
    let mut parts = out.split("==\n");
    let info = mountinfo_lines(parts.next().unwrap());
    let dev = parts.next().unwrap();
    let rest = parts.next().unwrap();

    assert!(line_for(&info, "/").contains(" ro,"), "{}", line_for(&info, "/"));
    assert!(line_for(&info, "/proc").contains(" proc proc "));
    let d = line_for(&info, "/dev");
    assert!(d.starts_with("/dev rw,nosuid ") && d.contains("tmpfs tmpfs") && d.contains("size=65536k") && d.contains("mode=755"), "{d}");
    let pts = line_for(&info, "/dev/pts");
    assert!(pts.contains("rw,nosuid,noexec") && pts.contains("devpts devpts") && pts.contains("gid=5,mode=620,ptmxmode=666"), "{pts}");
    assert!(line_for(&info, "/dev/shm").contains("rw,nosuid,nodev,noexec"));
    assert!(line_for(&info, "/dev/mqueue").contains("mqueue mqueue"));
    assert!(line_for(&info, "/sys").starts_with("/sys ro,nosuid,nodev,noexec"));
    let cg = line_for(&info, "/sys/fs/cgroup");
    if cgroup2_host() {
        assert!(cg.starts_with("/sys/fs/cgroup ro,nosuid,nodev,noexec,relatime cgroup2 cgroup"), "{cg}");
    } else {
        assert!(cg.contains("ro,nosuid,nodev,noexec") && cg.contains("tmpfs"), "{cg}");
        for l in info.iter().filter(|l| l.starts_with("/sys/fs/cgroup/")) {
            assert!(l.contains("ro,nosuid,nodev,noexec,relatime") && l.contains(" cgroup cgroup "), "{l}");
        }
        assert!(info.iter().any(|l| l.starts_with("/sys/fs/cgroup/memory ")), "{info:#?}");
        assert!(!info.iter().any(|l| l.starts_with("/sys/fs/cgroup/unified")));
    }
    for p in ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"] {
        if !std::path::Path::new(p).exists() {
            continue; // not in this kernel: skipped, as runc
        }
        assert!(opts_of(&info, p).contains(&"ro"), "{p}");
    }
    assert!(line_for(&info, "/proc/acpi").contains("ro") && line_for(&info, "/proc/acpi").contains("tmpfs"));
    assert!(line_for(&info, "/proc/keys").contains("tmpfs tmpfs"), "masked with the container's /dev/null");
    assert!(line_for(&info, "/sys/firmware").starts_with("/sys/firmware ro"));

    for (name, maj_min) in [("null", "1,   3"), ("zero", "1,   5"), ("full", "1,   7"), ("random", "1,   8"), ("urandom", "1,   9"), ("tty", "5,   0")] {
        let l = dev.lines().find(|l| l.ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("no /dev/{name}:\n{dev}"));
        assert!(l.starts_with("crw-rw-rw-") && l.contains(" 0        0 ") && l.contains(maj_min), "{l}");
    }
    for (name, target) in [("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
        assert!(dev.lines().any(|l| l.starts_with('l') && l.ends_with(&format!("{name} -> {target}"))), "{name}:\n{dev}");
    }
    let kcore = std::path::Path::new("/proc/kcore").exists();
    assert_eq!(dev.contains("core -> /proc/kcore"), kcore);

    let mut r = rest.lines();
    assert!(r.next().unwrap().contains("Read-only file system"), "root ro");
    assert!(r.next().unwrap().contains("Read-only file system"), "/proc/sys ro");
    assert_eq!(r.next().unwrap().trim(), "0", "/proc/keys masked");
    assert_eq!(r.next().unwrap().trim(), "0", "/sys/firmware masked");
    assert!(r.next().unwrap().contains("Read-only file system"), "/sys/firmware mask ro");
    assert_eq!(r.next().unwrap(), "shm-rw");
    assert_eq!(r.next().unwrap(), "crun");
    assert_eq!(r.next().unwrap(), "/");
}

#[test]
fn filesystem_options() {
    if let Some(dir) = child("filesystem_options") {
        let mut spec = small_spec();
        spec.mounts.extend([
            mnt("/t/ro", Some("tmpfs"), "tmpfs", &["ro", "nosuid", "nodev", "noexec"]),
            mnt("/t/noatime", Some("tmpfs"), "tmpfs", &["noatime", "size=1m"]),
            mnt("/t/strict", Some("tmpfs"), "tmpfs", &["strictatime", "nodiratime"]),
            mnt("/t/relatime", Some("tmpfs"), "tmpfs", &["noatime", "atime", "relatime"]),
            mnt("/t/nosym", Some("tmpfs"), "tmpfs", &["nosymfollow", "sync", "dirsync", "mode=700"]),
            mnt("/t/shared", Some("tmpfs"), "tmpfs", &["shared"]),
            mnt("/t/unbindable", Some("tmpfs"), "tmpfs", &["unbindable"]),
            mnt("/t/private", Some("tmpfs"), "tmpfs", &["rshared", "private"]),
            mnt("/t/rro", Some("tmpfs"), "tmpfs", &["rro"]),
            mnt("/mq", Some("mqueue"), "mqueue", &["nodev"]),
            mnt("/pts", Some("devpts"), "devpts", &["newinstance", "ptmxmode=0600"]),
            mnt("/sys", Some("sysfs"), "sysfs", &["ro"]),
            mnt("/over", Some("overlay"), "overlay", &["lowerdir=/lower1:/lower2"]),
        ]);
        let lower = dir.join("rootfs");
        // overlay's lowerdirs are host paths.
        spec.mounts.last_mut().unwrap().options = vec![s(&format!("lowerdir={}:{}", lower.join("etc").display(), lower.join("bin").display()))];
        enter_and_exec(&spec, &dir, Opts::default(), &format!("{SHOW}; echo ==; stat -c %a /t/nosym; touch /t/ro/x 2>&1; ls /over | grep -c passwd"));
    }
    let b = Bundle::new("filesystem_options");
    let run = b.run(&[]);
    let out = run.ok();
    let (info, rest) = out.split_once("==\n").unwrap();
    let info = mountinfo_lines(info);
    assert_eq!(opts_of(&info, "/t/ro"), ["ro", "nosuid", "nodev", "noexec", "relatime"]);
    assert_eq!(opts_of(&info, "/t/noatime"), ["rw", "noatime"]);
    assert!(line_for(&info, "/t/noatime").contains("size=1024k"));
    assert_eq!(opts_of(&info, "/t/strict"), ["rw", "nodiratime"]);
    assert_eq!(opts_of(&info, "/t/relatime"), ["rw", "relatime"]);
    let ns = line_for(&info, "/t/nosym");
    assert!(opts_of(&info, "/t/nosym").contains(&"nosymfollow"), "{ns}");
    assert!(ns.contains("rw,sync,dirsync") && ns.contains("mode=700"), "{ns}");
    assert!(line_for(&info, "/t/shared").ends_with(" shared"), "{}", line_for(&info, "/t/shared"));
    assert!(line_for(&info, "/t/unbindable").ends_with(" unbindable"));
    assert!(!line_for(&info, "/t/private").contains("shared"));
    assert!(opts_of(&info, "/t/rro").contains(&"ro"));
    assert!(opts_of(&info, "/mq").contains(&"nodev"));
    assert!(line_for(&info, "/pts").contains("ptmxmode=600"));
    assert!(line_for(&info, "/sys").starts_with("/sys ro"));
    assert!(line_for(&info, "/over").contains("overlay overlay"));
    let mut r = rest.lines();
    assert_eq!(r.next(), Some("700"));
    assert!(r.next().unwrap().contains("Read-only file system"));
    assert_eq!(r.next(), Some("1"));
}

#[test]
fn bind_mounts() {
    if let Some(dir) = child("bind_mounts") {
        let host = dir.join("host");
        let mut spec = small_spec();
        let h = |p: &str| host.join(p).to_str().unwrap().to_string();
        spec.mounts.extend([
            mnt("/b/plain", None, &h("d"), &["bind"]),
            mnt("/b/ro", Some("bind"), &h("d"), &["rbind", "ro", "nosuid", "rprivate"]),
            mnt("/b/rec", None, &h("d"), &["rbind", "rro", "rnosuid"]),
            mnt("/b/norec", None, &h("d"), &["rbind", "ro"]),
            mnt("/b/file", None, &h("f"), &["bind", "ro"]),
            mnt("/b/nosym", None, &h("d"), &["bind", "nosymfollow"]),
            mnt("/b/rnosym", None, &h("d"), &["rbind", "rnosymfollow", "rnoexec", "rnoatime"]),
            mnt("/b/slave", None, &h("d"), &["bind", "slave"]),
            mnt("/b/rel", None, "host/d", &["bind", "rw"]),
        ]);
        enter_and_exec(&spec, &dir, Opts::default(), &format!("{SHOW}; echo ==; cat /b/file; cat /b/plain/sub/hello; \
            cat /b/nosym/link 2>&1; cat /b/rnosym/link 2>&1; cat /b/plain/link; touch /b/ro/x 2>&1; touch /b/rel/y && echo rw"));
    }
    let b = Bundle::new("bind_mounts");
    let host = b.dir.join("host");
    std::fs::create_dir_all(host.join("d/sub")).unwrap();
    std::fs::write(host.join("d/sub/hello"), "hello\n").unwrap();
    std::fs::write(host.join("f"), "file\n").unwrap();
    std::os::unix::fs::symlink("sub/hello", host.join("d/link")).unwrap();
    // A submount in the source: rbind copies it, rro/rnosuid reach it, plain ro does not.
    let sub = host.join("d/sub").to_str().unwrap().to_string();
    let d = host.join("d").to_str().unwrap().to_string();
    let pre = format!("mount --bind {d} {d} && mount --make-shared {d} && mount -t tmpfs sub {sub} && echo hello > {sub}/hello && \"$@\"");
    let run = b.run_with(&[], &["unshare", "--mount", "--propagation", "private", "sh", "-c", &pre, "sh"]);
    let out = run.ok();
    let (info, rest) = out.split_once("==\n").unwrap();
    let info = mountinfo_lines(info);
    assert!(opts_of(&info, "/b/plain").contains(&"rw"));
    assert_eq!(opts_of(&info, "/b/ro")[..2], ["ro", "nosuid"]);
    assert!(!line_for(&info, "/b/ro").contains("master"), "rprivate");
    assert!(opts_of(&info, "/b/rec").contains(&"ro") && opts_of(&info, "/b/rec/sub").contains(&"ro"));
    assert!(opts_of(&info, "/b/rec/sub").contains(&"nosuid"));
    assert!(opts_of(&info, "/b/norec").contains(&"ro") && opts_of(&info, "/b/norec/sub").contains(&"rw"));
    assert!(opts_of(&info, "/b/file").contains(&"ro"));
    assert!(opts_of(&info, "/b/nosym").contains(&"nosymfollow"));
    let rn = opts_of(&info, "/b/rnosym/sub");
    assert!(rn.contains(&"nosymfollow") && rn.contains(&"noexec") && rn.contains(&"noatime"), "{rn:?}");
    assert!(line_for(&info, "/b/slave").ends_with("master"), "{}", line_for(&info, "/b/slave"));
    assert!(opts_of(&info, "/b/rel").contains(&"rw"));
    let r: Vec<&str> = rest.lines().collect();
    assert_eq!(r[0], "file");
    assert!(r[1].is_empty() || r[1] == "hello", "{r:?}");
    assert!(r.iter().any(|l| l.contains("Too many levels of symbolic links")), "nosymfollow: {r:?}");
    assert!(r.iter().any(|l| l.contains("Read-only file system")), "{r:?}");
    assert_eq!(*r.last().unwrap(), "rw");
}

#[test]
fn tmpcopyup() {
    if let Some(dir) = child("tmpcopyup") {
        let mut spec = small_spec();
        spec.mounts.push(mnt("/data", Some("tmpfs"), "tmpfs", &["tmpcopyup", "nosuid", "size=1m"]));
        spec.mounts.push(mnt("/empty", Some("tmpfs"), "tmpfs", &["tmpcopyup"]));
        enter_and_exec(&spec, &dir, Opts::default(), "grep ' /data ' /proc/self/mountinfo; cd /data && \
            stat -c '%n %a %u %g %F' . f suid sub sub/deep link fifo | sort; readlink link; cat sub/deep; ls -A /empty | wc -l");
    }
    let b = Bundle::new("tmpcopyup");
    let d = b.rootfs().join("data");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("f"), "x".repeat(100_000)).unwrap();
    std::fs::write(d.join("sub/deep"), "deep\n").unwrap();
    std::fs::write(d.join("suid"), "s").unwrap();
    let sh = |c: &str| assert!(Command::new("sh").arg("-c").arg(c).status().unwrap().success(), "{c}");
    let p = d.to_str().unwrap();
    sh(&format!("cd {p} && chmod 4755 suid && chown 1000:1001 f && chmod 640 f && chmod 2750 sub && chown 7:8 sub && \
        ln -s sub/deep link && chown -h 5:6 link && mkfifo fifo && chmod 600 fifo && chmod 711 . && chown 3:4 ."));
    let run = b.run(&[]);
    let out = run.ok();
    let mut l = out.lines();
    let m = l.next().unwrap();
    assert!(m.contains(" - tmpfs tmpfs ") && m.contains("mode=711"), "{m}");
    let stats: Vec<&str> = l.by_ref().take(7).collect();
    assert_eq!(stats, [
        ". 711 3 4 directory",
        "f 640 1000 1001 regular file",
        "fifo 600 0 0 fifo",
        "link 777 5 6 symbolic link",
        "sub 2750 7 8 directory",
        "sub/deep 644 0 0 regular file",
        "suid 4755 0 0 regular file",
    ]);
    assert_eq!(l.next(), Some("sub/deep"));
    assert_eq!(l.next(), Some("deep"));
    assert_eq!(l.next().map(str::trim), Some("0"));
}

use std::process::Command;

#[test]
fn idmapped_bind() {
    if let Some(dir) = child("idmapped_bind") {
        let host = dir.join("host").to_str().unwrap().to_string();
        let mut spec = small_spec();
        let mut m = mnt("/mapped", None, &host, &["bind", "idmap"]);
        m.uid_mappings = idmap(0, 1000, 10);
        m.gid_mappings = idmap(0, 2000, 10);
        spec.mounts.push(m);
        let mut m = mnt("/rmapped", None, &host, &["rbind", "ridmap", "ro"]);
        m.uid_mappings = idmap(0, 3000, 100);
        m.gid_mappings = idmap(0, 3000, 100);
        spec.mounts.push(m);
        enter_and_exec(&spec, &dir, Opts::default(), "ls -ln /mapped | tail -n +2; echo ==; ls -ln /rmapped | tail -n +2; \
            awk '$6 ~ /idmapped/ {print $5}' /proc/self/mountinfo | sort | tr '\\n' ' '");
    }
    let b = Bundle::new("idmapped_bind");
    let host = b.dir.join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("root-file"), "").unwrap();
    std::fs::write(host.join("user-file"), "").unwrap();
    std::os::unix::fs::chown(host.join("user-file"), Some(5), Some(6)).unwrap();
    std::fs::create_dir_all(host.join("sub")).unwrap();
    let sub = host.join("sub").to_str().unwrap().to_string();
    let pre = format!("mount -t tmpfs sub {sub} && touch {sub}/f && \"$@\"");
    let run = b.run_with(&[], &["unshare", "--mount", "--propagation", "private", "sh", "-c", &pre, "sh"]);
    let out = run.ok();
    let (a, bb) = out.split_once("==\n").unwrap();
    let owner = |text: &str, file: &str| {
        let l = text.lines().find(|l| l.ends_with(file)).unwrap_or_else(|| panic!("{file}: {text}"));
        let f: Vec<&str> = l.split_whitespace().collect();
        (f[2].to_string(), f[3].to_string())
    };
    assert_eq!(owner(a, "root-file"), ("1000".into(), "2000".into()));
    assert_eq!(owner(a, "user-file"), ("1005".into(), "2006".into()));
    assert_eq!(owner(bb, "root-file"), ("3000".into(), "3000".into()));
    assert_eq!(bb.lines().last().map(str::trim), Some("/mapped /rmapped /rmapped/sub"), "{bb}");
}

#[test]
fn root_propagation() {
    for (case, prop, expect) in [
        ("prop_default", None, "master"),
        ("prop_rshared", Some("rshared"), "shared,master"),
        ("prop_rprivate", Some("rprivate"), ""),
        ("prop_unbindable", Some("runbindable"), "unbindable"),
    ] {
        let b = Bundle::new(case);
        // The host side of the rootfs is shared, as on systemd hosts.
        let d = b.dir.to_str().unwrap().to_string();
        let pre = format!("mount --bind {d} {d} && mount --make-shared {d} && \"$@\"");
        let run = b.run_with(&[], &["unshare", "--mount", "--propagation", "shared", "sh", "-c", &pre, "sh"]);
        let info = mountinfo_lines(run.ok());
        let root = line_for(&info, "/");
        assert_eq!(root.split(' ').nth(5).unwrap_or(""), expect, "{case} ({prop:?}): {root}");
    }
}

#[test]
fn prop_default() {
    prop_child("prop_default", None);
}
#[test]
fn prop_rshared() {
    prop_child("prop_rshared", Some("rshared"));
}
#[test]
fn prop_rprivate() {
    prop_child("prop_rprivate", Some("rprivate"));
}
#[test]
fn prop_unbindable() {
    prop_child("prop_unbindable", Some("runbindable"));
}

fn prop_child(case: &str, prop: Option<&str>) {
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.linux.as_mut().unwrap().rootfs_propagation = prop.map(s);
        spec.linux.as_mut().unwrap().masked_paths = vec![s("/proc/kcore"), s("/proc/keys")];
        spec.linux.as_mut().unwrap().readonly_paths = vec![s("/proc/sys")];
        enter_and_exec(&spec, &dir, Opts::default(), SHOW);
    }
}

#[test]
fn no_pivot() {
    if let Some(dir) = child("no_pivot") {
        let mut spec = crun_spec();
        spec.mounts.pop();
        enter_and_exec(&spec, &dir, Opts { no_pivot: true, ..Opts::default() }, "cat /proc/self/mountinfo; echo ==; ls /; readlink /proc/self/root");
    }
    let b = Bundle::new("no_pivot");
    let run = b.run(&[]);
    let out = run.ok();
    let (info, rest) = out.split_once("==\n").unwrap();
    let info = mountinfo_lines(info);
    assert!(line_for(&info, "/").contains(" ro,"));
    assert!(rest.contains("busybox") || rest.contains("bin"));
    assert_eq!(rest.lines().last(), Some("/"));
}

#[test]
fn cgroup_namespace_and_cwd() {
    if let Some(dir) = child("cgroup_namespace_and_cwd") {
        let mut spec = small_spec();
        spec.mounts.push(mnt("/sys/fs/cgroup", Some("cgroup"), "cgroup", &["rprivate", "nosuid", "noexec", "nodev", "relatime"]));
        spec.linux.as_mut().unwrap().namespaces.push(rsrun::spec::Namespace { kind: NsType::Cgroup, path: None });
        spec.process.as_mut().unwrap().cwd = s("/home/user/work");
        enter_and_exec(&spec, &dir, Opts { new_cgroupns: true, ..Opts::default() }, "grep cgroup /proc/self/mountinfo; ls -d /home/user/work");
    }
    let b = Bundle::new("cgroup_namespace_and_cwd");
    std::fs::create_dir_all(b.rootfs().join("sys")).unwrap();
    let run = b.run(&[]);
    let out = run.ok();
    let info = mountinfo_lines(out);
    let mem = line_for(&info, if cgroup2_host() { "/sys/fs/cgroup" } else { "/sys/fs/cgroup/memory" });
    assert!(mem.contains("rw,nosuid,nodev,noexec,relatime") && mem.contains("cgroup"), "{mem}");
    assert!(out.lines().any(|l| l == "/home/user/work"), "{out}");
}

// Temporary fds are left open only while their numbers are low: hundreds of mounts fit in a small
// RLIMIT_NOFILE.
#[test]
fn many_mounts_few_fds() {
    let case = "many_mounts_few_fds";
    if let Some(dir) = child(case) {
        let src = dir.join("src").to_str().unwrap().to_string();
        let mut spec = small_spec();
        for i in 0..300 {
            spec.mounts.push(mnt(&format!("/many/t{i}"), Some("tmpfs"), "tmpfs", &[]));
            spec.mounts.push(mnt(&format!("/many/b{i}"), None, &src, &["bind", "ro"]));
        }
        spec.linux.as_mut().unwrap().readonly_paths = (0..300).map(|i| s(&format!("/many/t{i}"))).collect();
        enter_and_exec(&spec, &dir, Opts::default(), "grep -c /many/ /proc/self/mountinfo; ls /proc/self/fd | wc -l");
    }
    let b = Bundle::new(case);
    std::fs::create_dir_all(b.dir.join("src")).unwrap();
    let run = b.run_with(&[], &["prlimit", "--nofile=512:512"]);
    let l: Vec<&str> = run.ok().lines().collect();
    assert_eq!(l[0], "900", "{l:?}");
}
