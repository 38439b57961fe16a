//! What the container sees of its filesystem: /proc/self/mountinfo for every kind of mount and
//! option, masked and read-only paths, a read-only root, tmpcopyup, --no-pivot, /dev and
//! linux.devices; in real busybox containers under rsrun, compared with crun 1.8.1 and runc 1.1.5.
//!
//! Mount table normalisation (`table`), for every runtime:
//! - mount id, parent id and st_dev (fields 1-3) are dropped: they number mounts and anonymous
//!   superblocks of one boot;
//! - peer group numbers (`shared:N`, `master:N`) are renumbered by first appearance;
//! - the bundle path and container id become `$BUNDLE`/`$ID` (`run_each`).
//!
//! Where crun 1.8.1 legitimately differs (`crun_view`, applied to both sides of an rsrun/crun
//! comparison only; rsrun and runc are compared without it):
//! - the cgroup v1 tmpfs at /sys/fs/cgroup: crun names it "cgroup" with size=1024k, runc leaves it
//!   writable, rsrun makes it read-only with the rest of a "ro" cgroup mount (docs/mounts.md): the
//!   line is dropped for every runtime (in `table`); crun also makes net_cls and net_prio
//!   directories in it although this host does not mount those controllers;
//! - cgroup hierarchies: crun's default cgroup path is `/<id>`, runc's (and rsrun's) relative to
//!   the runtime's own cgroup, which differs in the memory hierarchy here: the root field is dropped;
//! - sysfs: crun remounts the mount point read-only, runc and rsrun pass MS_RDONLY (superblock "ro"
//!   vs "rw"): the superblock options are dropped;
//! - masked paths: crun binds the host's /dev/null and a size=0 read-only tmpfs, runc and rsrun the
//!   container's /dev/null and a read-only tmpfs: reduced to "<path> masked";
//! - crun mounts readonly paths after masked ones: lines are sorted;
//! - propagation: crun 1.8.1 leaves bind mounts private whatever rshared/rslave asks (no
//!   `shared:`/`master:` fields): compared with runc only;
//! - tmpcopyup: crun's tmpfs gets mode 1777, runc's and rsrun's the image directory's mode;
//! - /dev/core: crun always adds it, runc and rsrun only when the host has /proc/kcore (this one
//!   has none).
mod common;
use common::*;
use std::fs;
use std::process::Command;
use std::time::Duration;

/// mountinfo text reduced as the module doc says: "root mountpoint options [optional...] - fstype
/// source superoptions", peer groups renumbered; the cgroup v1 tmpfs line left out. Other lines
/// (what the script printed besides mountinfo) pass unchanged.
fn table(mountinfo: &str) -> String {
    let mut out = String::new();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.len() < 7 || !line.contains(" - ") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if fields[4] == "/sys/fs/cgroup" {
            continue;
        }
        out.push_str(&fields[3..].join(" "));
        out.push('\n');
    }
    renumber_after(&out, &["shared:", "master:"])
}

/// A mount table line split: (root, mount point, options, optional fields, fstype, source,
/// superblock options).
fn parts(line: &str) -> Option<(&str, &str, &str, String, &str, &str, &str)> {
    let (left, right) = line.split_once(" - ")?;
    let l: Vec<&str> = left.split(' ').collect();
    let r: Vec<&str> = right.split(' ').collect();
    Some((l.first()?, l.get(1)?, l.get(2)?, l[3..].join(" "), r.first()?, r.get(1)?, r.get(2).copied().unwrap_or("")))
}

/// `table` output seen the way crun 1.8.1 can be compared (module doc), sorted.
fn crun_view(table: &str, masked: &[&str]) -> String {
    let mut lines: Vec<String> = table
        .lines()
        .map(|line| {
            let Some((root, mp, opts, _optional, fstype, source, superopts)) = parts(line) else {
                return line.to_string();
            };
            if masked.contains(&mp) {
                return format!("{mp} masked");
            }
            let root = if mp.starts_with("/sys/fs/cgroup/") { "-" } else { root };
            let superopts = if fstype == "sysfs" { "-" } else { superopts };
            format!("{root} {mp} {opts} - {fstype} {source} {superopts}")
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

/// The `crun spec` masked paths.
const MASKED: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
];

/// The whole mount table of the `crun spec` configuration (proc, /dev tmpfs, devpts, shm, mqueue,
/// sysfs ro, the "cgroup" mount, masked and readonly paths, read-only root), with pivot_root and
/// with --no-pivot: rsrun equals runc line by line (order included) and crun after `crun_view`.
#[test]
fn default_mount_table_with_and_without_pivot() {
    require_root();
    for flags in [&[][..], &["--no-pivot"][..]] {
        let runs = run_each(ALL, flags, |b, _| {
            b.patch(&sh_args("cat /proc/self/mountinfo; ls /; readlink /proc/1/root"));
        });
        let tab = |o: &Out| format!("exit {:?}\n{}", o.code, table(&o.stdout));
        runs.assert_pair(Kind::Rsrun, Kind::Runc, tab);
        runs.assert_pair(Kind::Rsrun, Kind::Crun, |o| crun_view(&tab(o), MASKED));
        let ours = table(runs.stdout(Kind::Rsrun));
        for want in [
            "$BUNDLE/rootfs / ro,relatime - ",
            "/ /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666\n",
            "/ /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n",
            "/ /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw\n",
            "/ /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n",
            "/sys /proc/sys ro,relatime - proc proc rw\n",
        ] {
            assert!(ours.contains(want), "{flags:?}: want {want:?} in\n{ours}");
        }
    }
}

/// Bind mounts with ro, nosuid/nodev/noexec, rbind with a submount, rbind+rro (the submount
/// read-only too), tmpfs data options (mode, size), and propagation rshared/rslave/rprivate of
/// binds from a shared host directory. Writes into read-only binds fail with EROFS.
#[test]
fn bind_tmpfs_and_propagation_options() {
    require_root();
    let script = "grep -E ' /mnt/' /proc/self/mountinfo; \
                  for d in ro rro rro/sub rbind/sub; do touch /mnt/$d/new 2>/dev/null && echo \"$d writable\" || echo \"$d read-only\"; done; \
                  stat -c '%a' /mnt/tmp";
    let runs = run_each(ALL, &[], |b, _| {
        let host = shared_host_dir(b);
        let h = json_str(host.to_str().unwrap());
        b.patch(&format!(
            ".mounts += [
               {{\"destination\":\"/mnt/ro\",\"type\":\"bind\",\"source\":{h},\"options\":[\"bind\",\"ro\"]}},
               {{\"destination\":\"/mnt/flags\",\"type\":\"bind\",\"source\":{h},\"options\":[\"bind\",\"nosuid\",\"nodev\",\"noexec\"]}},
               {{\"destination\":\"/mnt/rbind\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\"]}},
               {{\"destination\":\"/mnt/rro\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rro\"]}},
               {{\"destination\":\"/mnt/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"mode=1700\",\"size=1m\",\"nosuid\",\"nodev\"]}},
               {{\"destination\":\"/mnt/shared\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rshared\"]}},
               {{\"destination\":\"/mnt/slave\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rslave\"]}},
               {{\"destination\":\"/mnt/private\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rprivate\"]}}]"
        ));
        b.patch(&sh_args(script));
    });
    let tab = |o: &Out| format!("exit {:?}\n{}", o.code, table(&o.stdout));
    runs.assert_pair(Kind::Rsrun, Kind::Runc, tab);
    // crun 1.8.1: no propagation on binds (module doc).
    let no_propagation = |o: &Out| {
        tab(o)
            .lines()
            .map(|l| {
                let kept: Vec<&str> =
                    l.split(' ').filter(|w| !w.starts_with("shared:") && !w.starts_with("master:")).collect();
                kept.join(" ") + "\n"
            })
            .collect::<String>()
    };
    runs.assert_pair(Kind::Rsrun, Kind::Crun, no_propagation);
    let ours = table(runs.stdout(Kind::Rsrun));
    for want in [
        "/host /mnt/ro ro,relatime master:N0 - ",
        "/host /mnt/flags rw,nosuid,nodev,noexec,relatime master:N0 - ",
        "/ /mnt/rbind/sub rw,relatime master:N1 - tmpfs sub rw,size=1024k\n",
        "/ /mnt/rro/sub ro,relatime master:N1 - tmpfs sub rw,size=1024k\n",
        "/ /mnt/tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1024k,mode=1700\n",
        "/host /mnt/shared rw,relatime shared:N2 master:N0 - ",
        "/host /mnt/slave rw,relatime master:N0 - ",
        "/host /mnt/private rw,relatime - ",
        "ro read-only\nrro read-only\nrro/sub read-only\nrbind/sub writable\n1700\n",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
}

/// `<bundle>/host`: a directory bind-mounted on itself and made shared, with a tmpfs submount
/// `sub` (so rbind and propagation have something to show). The bundle's drop detaches both.
fn shared_host_dir(b: &Bundle) -> std::path::PathBuf {
    let host = b.path().join("host");
    fs::create_dir_all(host.join("sub")).unwrap();
    fs::write(host.join("file"), "hi\n").unwrap();
    let h = host.to_str().unwrap();
    for args in [
        &["--bind", h, h][..],
        &["--make-shared", h][..],
        &["-t", "tmpfs", "-o", "size=1m", "sub", &format!("{h}/sub")][..],
    ] {
        let st = Command::new("mount").args(args).status().unwrap();
        assert!(st.success(), "mount {args:?}");
    }
    host
}

/// Propagation at work: after the container started, the host mounts a tmpfs under the shared
/// directory. It shows up in the rshared and rslave binds, not in the rprivate one. rsrun and runc
/// (crun 1.8.1 leaves binds private).
#[test]
fn propagation_of_a_later_host_mount() {
    require_root();
    let mut results = Vec::new();
    for kind in [Kind::Rsrun, Kind::Runc] {
        let bundle = Bundle::new();
        let host = shared_host_dir(&bundle);
        let h = json_str(host.to_str().unwrap());
        bundle.patch(&format!(
            ".mounts += [
               {{\"destination\":\"/mnt/shared\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rshared\"]}},
               {{\"destination\":\"/mnt/slave\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rslave\"]}},
               {{\"destination\":\"/mnt/private\",\"type\":\"bind\",\"source\":{h},\"options\":[\"rbind\",\"rprivate\"]}}]"
        ));
        bundle.patch(&sh_args(
            "while [ ! -e /mnt/private/go ]; do sleep 0.02; done; \
             for m in shared slave private; do grep -q \" /mnt/$m/late \" /proc/self/mountinfo && echo \"$m sees it\" || echo \"$m does not\"; done",
        ));
        let rt = Runtime::new(kind);
        let id = unique_id("propagation");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.create(&bundle, &id).assert_ok();
        rt.start(&id).assert_ok();
        fs::create_dir_all(host.join("late")).unwrap();
        let late = host.join("late");
        assert!(Command::new("mount").args(["-t", "tmpfs", "late"]).arg(&late).status().unwrap().success());
        fs::write(host.join("go"), "").unwrap();
        let status = rt.wait_status(&id, "stopped", Duration::from_secs(10));
        let (stdout, stderr) = rt.container_output(&id);
        assert_eq!(status.as_deref(), Some("stopped"), "{}: {stdout}{stderr}", rt.name());
        rt.delete(&id).assert_ok();
        assert!(Command::new("umount").arg(&late).status().unwrap().success());
        leaks.assert_clean();
        results.push((kind, stdout));
    }
    for (kind, stdout) in results {
        assert_eq!(stdout, "shared sees it\nslave sees it\nprivate does not\n", "{}", kind.name());
    }
}

/// The "cgroup" mount on this hybrid host: one directory per v1 hierarchy with the container's own
/// cgroup bound there (its pids.max and memory limit read back), read-only, no cgroup2.
#[test]
fn cgroup_mount_shows_the_containers_own_cgroups() {
    require_root();
    let script = "ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes; \
                  grep -c . /sys/fs/cgroup/devices/cgroup.procs; grep ' /sys/fs/cgroup/' /proc/self/mountinfo; \
                  mkdir /sys/fs/cgroup/pids/x 2>&1 | sed 's/.*: //'";
    let runs = run_each(ALL, &[], |b, _| {
        b.patch(".linux.resources.pids = {\"limit\": 77} | .linux.resources.memory = {\"limit\": 67108864}");
        b.patch(&sh_args(script));
    });
    let tab = |o: &Out| format!("exit {:?}\n{}", o.code, table(&o.stdout));
    runs.assert_pair(Kind::Rsrun, Kind::Runc, tab);
    // crun also makes net_cls and net_prio directories, though this host does not mount them.
    runs.assert_pair(Kind::Rsrun, Kind::Crun, |o| {
        crun_view(&tab(o), &[])
            .lines()
            .filter(|l| *l != "net_cls" && *l != "net_prio")
            .map(|l| format!("{l}\n"))
            .collect()
    });
    let ours = table(runs.stdout(Kind::Rsrun));
    // cgroup.procs of the devices hierarchy: the shell and grep.
    assert!(ours.contains("\n77\n67108864\n2\n"), "{ours}");
    assert!(
        ours.contains("/$ID /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids\n"),
        "{ours}"
    );
    assert!(ours.ends_with("Read-only file system\n"), "{ours}");
    assert!(!ours.contains("unified"), "{ours}");
}

/// Masked paths read as empty (files: /dev/null over them; directories: an empty read-only
/// tmpfs), readonly paths fail writes with EROFS, root.readonly makes / read-only while tmpfs
/// mounts stay writable.
#[test]
fn masked_readonly_paths_and_readonly_root() {
    require_root();
    let script = "exec 2>&1; \
        for f in /proc/kcore /proc/keys /proc/timer_list; do echo \"$f: $(cat $f | wc -c) bytes\"; done; \
        echo \"/sys/firmware: $(ls -A /sys/firmware | wc -l) entries\"; echo \"/proc/acpi: $(ls -A /proc/acpi | wc -l) entries\"; \
        echo x > /proc/keys && echo 'write to masked /proc/keys: ok'; touch /sys/firmware/x; \
        echo 1 > /proc/sys/kernel/ns_last_pid; cat /proc/irq/default_smp_affinity > /proc/irq/default_smp_affinity; \
        touch /x; mkdir /etc/x; echo w > /dev/shm/w && cat /dev/shm/w; echo t > /tmp/t && cat /tmp/t; \
        grep -c . /proc/sys/kernel/hostname";
    let runs = run_each(ALL, &[], |b, _| {
        b.patch(".mounts += [{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\"]}]");
        b.patch(&sh_args(script));
    });
    runs.assert_rsrun_matches_all(norm::code_and_stdout);
    let ours = runs.stdout(Kind::Rsrun);
    for want in [
        "/proc/keys: 0 bytes\n/proc/timer_list: 0 bytes\n/sys/firmware: 0 entries\n/proc/acpi: 0 entries\n",
        "write to masked /proc/keys: ok\n",
        "touch: /sys/firmware/x: Read-only file system\n",
        "can't create /proc/sys/kernel/ns_last_pid: Read-only file system\n",
        "can't create /proc/irq/default_smp_affinity: Read-only file system\n",
        "touch: /x: Read-only file system\nmkdir: can't create directory '/etc/x': Read-only file system\nw\nt\n1\n",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
}

/// tmpcopyup (podman's option): a tmpfs over an image directory starts with a copy of its content
/// (files, modes incl. setuid/sticky, owners, symlinks, subdirectories), writable. rsrun equals
/// runc; crun too but for the tmpfs root's mode (1777). No fifo: runc 1.1.5 fails to copy one
/// (lchown of a fifo it did not create), rsrun copies them.
#[test]
fn tmpcopyup_keeps_the_image_directory_content() {
    require_root();
    let script = "cd /image/dir && find . | sort | while read f; do stat -c '%n %A %u %g %s %N' \"$f\"; done; \
                  cat f sub/g; echo new > added && cat added; grep ' /image/dir ' /proc/self/mountinfo; \
                  echo image:; ls /mnt/image/dir";
    let runs = run_each(ALL, &[], |b, _| {
        let dir = b.rootfs().join("image/dir");
        fs::create_dir_all(dir.join("sub/deeper")).unwrap();
        fs::write(dir.join("f"), "image file\n").unwrap();
        fs::write(dir.join("sub/g"), "nested\n").unwrap();
        let sh =
            |c: &str| assert!(Command::new("sh").arg("-c").arg(c).current_dir(&dir).status().unwrap().success(), "{c}");
        sh("chmod 1750 . && chmod 4755 f && chmod 0604 sub/g && chown 1000:100 sub/g && chown 1001:1001 sub/deeper \
            && ln -s ../f sub/link");
        // The image directory seen from the host, to check nothing is written through.
        let image = json_str(b.rootfs().join("image").to_str().unwrap());
        b.patch(&format!(
            ".mounts += [{{\"destination\":\"/image/dir\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"tmpcopyup\",\"nosuid\"]}},
                         {{\"destination\":\"/mnt/image\",\"type\":\"bind\",\"source\":{image},\"options\":[\"bind\",\"ro\"]}}]"
        ));
        b.patch(&sh_args(script));
    });
    // The superblock of runc's tmpfs shows no mode= (runc chmods the mounted root afterwards);
    // rsrun mounts it with the mode. What the container sees (stat) is the same.
    let no_sb_mode = |o: &Out| format!("exit {:?}\n{}", o.code, table(&o.stdout)).replace("rw,mode=1750\n", "rw\n");
    runs.assert_pair(Kind::Rsrun, Kind::Runc, no_sb_mode);
    runs.assert_pair(Kind::Rsrun, Kind::Crun, |o| no_sb_mode(o).replace(". drwxrwxrwt ", ". drwxr-x--T "));
    let ours = runs.stdout(Kind::Rsrun);
    for want in [
        ". drwxr-x--T 0 0 ",
        "./f -rwsr-xr-x 0 0 11 ./f\n",
        "./sub/deeper drwxr-xr-x 1001 1001 ",
        "./sub/g -rw----r-- 1000 100 7 ./sub/g\n",
        "./sub/link lrwxrwxrwx 0 0 4 './sub/link' -> '../f'\n",
        "image file\nnested\nnew\n",
        " / /image/dir rw,nosuid,relatime - tmpfs tmpfs rw,mode=1750\n",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
    assert!(ours.ends_with("image:\nf\nsub\n"), "written through to the image:\n{ours}");
}

/// /dev: the default devices and symlinks, and linux.devices of every type with modes, owners and
/// nested paths (`ls -ln`-like: type+mode, owner, major:minor), compared with crun and runc. The
/// device cgroup lets the container read a listed device that is also allowed.
#[test]
fn dev_default_devices_and_linux_devices() {
    require_root();
    let script = "cd /dev && for f in $(find . | sort); do stat -c '%n %A %u %g %t:%T %N' $f; done; \
                  head -c1 /dev/zero | wc -c; head -c1 /dev/sub/dir/u | wc -c; head -c1 /dev/mydev 2>&1; echo rc=$?";
    let runs = run_each(ALL, &[], |b, _| {
        b.patch(
            r#".linux.devices = [
                {"path":"/dev/mydev","type":"c","major":1,"minor":3,"fileMode":416,"uid":1000,"gid":100},
                {"path":"/dev/myblk","type":"b","major":7,"minor":200},
                {"path":"/dev/myfifo","type":"p","fileMode":384},
                {"path":"/dev/sub/dir/u","type":"u","major":1,"minor":5,"uid":1,"gid":2}]
              | .linux.resources.devices += [{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]"#,
        );
        b.patch(&sh_args(script));
    });
    // crun adds /dev/core -> /proc/kcore even when the host has no /proc/kcore (module doc).
    let no_core = |o: &Out| {
        norm::code_and_stdout(o)
            .lines()
            .filter(|l| !l.starts_with("./core "))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    runs.assert_pair(Kind::Rsrun, Kind::Runc, norm::code_and_stdout);
    runs.assert_pair(Kind::Rsrun, Kind::Crun, no_core);
    let ours = runs.stdout(Kind::Rsrun);
    for want in [
        "./fd lrwxrwxrwx 0 0 0:0 './fd' -> '/proc/self/fd'\n",
        "./full crw-rw-rw- 0 0 1:7 ./full\n",
        "./mqueue drwxrwxrwt 0 0 0:0 ./mqueue\n",
        "./myblk brw-rw-rw- 0 0 7:c8 ./myblk\n",
        "./mydev crw-r----- 1000 100 1:3 ./mydev\n",
        "./myfifo prw------- 0 0 0:0 ./myfifo\n",
        "./null crw-rw-rw- 0 0 1:3 ./null\n",
        "./ptmx lrwxrwxrwx 0 0 0:0 './ptmx' -> 'pts/ptmx'\n",
        "./pts/ptmx crw-rw-rw- 0 0 5:2 ./pts/ptmx\n",
        "./random crw-rw-rw- 0 0 1:8 ./random\n",
        "./stderr lrwxrwxrwx 0 0 0:0 './stderr' -> '/proc/self/fd/2'\n",
        "./stdin lrwxrwxrwx 0 0 0:0 './stdin' -> '/proc/self/fd/0'\n",
        "./stdout lrwxrwxrwx 0 0 0:0 './stdout' -> '/proc/self/fd/1'\n",
        "./sub/dir/u crw-rw-rw- 1 2 1:5 ./sub/dir/u\n",
        "./tty crw-rw-rw- 0 0 5:0 ./tty\n",
        "./urandom crw-rw-rw- 0 0 1:9 ./urandom\n",
        "./zero crw-rw-rw- 0 0 1:5 ./zero\n",
        "1\n1\nhead: /dev/mydev: Permission denied\nrc=1\n",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
}
