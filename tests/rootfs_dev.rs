//! /dev setup and `linux.devices`, in forked children. Root.
mod rootfs_util;

use rootfs_util::*;

/// `ls -ln` fields of /dev entry `name`: (mode string, uid, gid, major/minor or size).
fn entry<'a>(ls: &'a str, name: &str) -> Vec<&'a str> {
    let l = ls.lines().find(|l| l.split_whitespace().last() == Some(name)).unwrap_or_else(|| panic!("no {name}:\n{ls}"));
    l.split_whitespace().collect()
}

#[test]
fn linux_devices() {
    let case = "linux_devices";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.linux.as_mut().unwrap().devices = vec![
            device("c", "/dev/fuse", 10, 229, Some(0o600), Some(1000), Some(1001)),
            device("b", "/dev/loop9", 7, 9, Some(0o660), None, Some(6)),
            device("u", "/dev/unbuf", 1, 5, None, None, None),
            device("p", "/dev/myfifo", 0, 0, Some(0o640), None, None),
            device("c", "/dev/net/tun", 10, 200, None, None, None),
            // Replaces the default /dev/null (mode 0666).
            device("c", "/dev/null", 1, 3, Some(0o620), None, None),
            // Ignored: /dev/ptmx is always the pts/ptmx symlink.
            device("c", "/dev/ptmx", 5, 2, None, None, None),
            device("c", "/other/place", 1, 7, Some(0o644), None, None),
        ];
        enter_and_exec(&spec, &dir, Opts::default(), "ls -ln /dev /dev/net /other");
    }
    let b = Bundle::new(case);
    let run = b.run(&[]);
    let ls = run.ok();
    assert_eq!(entry(ls, "fuse")[..6], ["crw-------", "1", "1000", "1001", "10,", "229"]);
    assert_eq!(entry(ls, "loop9")[..6], ["brw-rw----", "1", "0", "6", "7,", "9"]);
    assert_eq!(entry(ls, "unbuf")[..6], ["crw-rw-rw-", "1", "0", "0", "1,", "5"]);
    assert_eq!(entry(ls, "myfifo")[..4], ["prw-r-----", "1", "0", "0"]);
    assert_eq!(entry(ls, "tun")[..6], ["crw-rw-rw-", "1", "0", "0", "10,", "200"]);
    assert_eq!(entry(ls, "null")[..6], ["crw--w----", "1", "0", "0", "1,", "3"]);
    assert_eq!(entry(ls, "place")[..6], ["crw-r--r--", "1", "0", "0", "1,", "7"]);
    assert!(entry(ls, "pts/ptmx")[0].starts_with('l'));
    for d in ["zero", "full", "random", "urandom", "tty"] {
        assert_eq!(entry(ls, d)[0], "crw-rw-rw-", "{d}");
    }
}

// In a new user namespace mknod is not allowed: the host's nodes are bind-mounted instead.
#[test]
fn user_namespace_binds_devices() {
    let case = "user_namespace_binds_devices";
    if let Some(dir) = child(case) {
        enter_and_exec(&small_spec(), &dir, Opts { new_userns: true, ..Opts::default() }, "ls -ln /dev; echo ==; cat /proc/self/mountinfo; echo x > /dev/null && echo null-ok");
    }
    let b = Bundle::new(case);
    let run = b.run(&[]);
    let (ls, info) = run.ok().split_once("==\n").unwrap();
    assert_eq!(entry(ls, "null")[..6], ["crw-rw-rw-", "1", "0", "0", "1,", "3"]);
    let info_lines = mountinfo_lines(info);
    for d in ["null", "zero", "full", "random", "urandom", "tty"] {
        let l = line_for(&info_lines, &format!("/dev/{d}"));
        assert!(l.contains("devtmpfs"), "{l}");
    }
    assert!(info.ends_with("null-ok\n"));
}

// No /dev mount: devices go into the image's /dev, whose existing entries are kept (as runc).
#[test]
fn image_dev_directory() {
    let case = "image_dev_directory";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.mounts.retain(|m| m.destination != "/dev");
        enter_and_exec(&spec, &dir, Opts::default(), "ls -ln /dev");
    }
    let b = Bundle::new(case);
    std::fs::write(b.rootfs().join("dev/zero"), "image file").unwrap();
    std::fs::write(b.rootfs().join("dev/ptmx"), "").unwrap();
    std::os::unix::fs::symlink("/somewhere", b.rootfs().join("dev/stdin")).unwrap();
    let run = b.run(&[]);
    let ls = run.ok();
    assert!(entry(ls, "zero")[0].starts_with('-'), "kept");
    assert!(entry(ls, "null")[0].starts_with('c'));
    assert!(ls.contains("ptmx -> pts/ptmx"), "ptmx replaced by the symlink");
    assert!(ls.contains("stdin -> /somewhere"), "kept");
}

// A bind mount at /dev: nothing is created in it.
#[test]
fn dev_bind_mount_is_left_alone() {
    let case = "dev_bind_mount_is_left_alone";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.mounts.retain(|m| m.destination != "/dev");
        let d = dir.join("mydev").to_str().unwrap().to_string();
        spec.mounts.push(mnt("/dev", None, &d, &["rbind"]));
        enter_and_exec(&spec, &dir, Opts::default(), "ls -A /dev");
    }
    let b = Bundle::new(case);
    std::fs::create_dir_all(b.dir.join("mydev")).unwrap();
    std::fs::write(b.dir.join("mydev/only"), "").unwrap();
    let run = b.run(&[]);
    assert_eq!(run.ok().trim(), "only");
    assert_eq!(std::fs::read_dir(b.dir.join("mydev")).unwrap().count(), 1);
}

// A read-only /dev (or any read-only tmpfs) is mounted writable, filled, and made read-only after
// pivot_root, as runc's finalizeRootfs does; mounts nested in a read-only tmpfs still work.
#[test]
fn readonly_dev_and_tmpfs() {
    let case = "readonly_dev_and_tmpfs";
    if let Some(dir) = child(case) {
        let mut spec = small_spec();
        spec.mounts[1].options.push(s("ro"));
        spec.mounts.push(mnt("/dev/pts", Some("devpts"), "devpts", &["newinstance"]));
        spec.mounts.push(mnt("/run", Some("tmpfs"), "tmpfs", &["ro"]));
        spec.mounts.push(mnt("/run/inner", Some("tmpfs"), "tmpfs", &[]));
        spec.mounts.push(mnt("/srv/ro-copy", Some("tmpfs"), "tmpfs", &["ro", "tmpcopyup"]));
        enter_and_exec(&spec, &dir, Opts::default(), "ls /dev/null /dev/pts/ptmx; touch /dev/x 2>&1; touch /run/x 2>&1; \
            touch /run/inner/x && echo inner-rw; touch /srv/ro-copy/y 2>&1; cat /srv/ro-copy/f");
    }
    let b = Bundle::new(case);
    std::fs::create_dir_all(b.rootfs().join("srv/ro-copy")).unwrap();
    std::fs::write(b.rootfs().join("srv/ro-copy/f"), "copied\n").unwrap();
    let run = b.run(&[]);
    let l: Vec<&str> = run.ok().lines().collect();
    assert_eq!(l[..2], ["/dev/null", "/dev/pts/ptmx"]);
    assert!(l[2].contains("Read-only file system") && l[3].contains("Read-only file system"), "{l:?}");
    assert_eq!(l[4], "inner-rw");
    assert!(l[5].contains("Read-only file system"), "{l:?}");
    assert_eq!(l[6], "copied");
}
