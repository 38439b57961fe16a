//! What the container sees of its namespaces: hostname and domainname, sysctls, namespaces joined
//! by path, user namespaces with id mappings, time namespace offsets, cgroup namespace; in real
//! busybox containers under rsrun, compared with crun 1.8.1 and runc 1.1.5 where they implement it.
//!
//! Normalisations and exclusions, each where it is used:
//! - the bundle path and container id become `$BUNDLE`/`$ID` (`run_each`);
//! - sysctl: crun refuses `kernel.domainname` together with the `domainname` field; that pair is
//!   not in the comparison;
//! - user namespace: /dev/mqueue's owner is where the runtimes differ among themselves (rsrun
//!   65534:65534 because its one clone3 makes the IPC namespace, whose mqueue superblock takes the
//!   creator's ids, before the init becomes the mapped root; crun 0:0, runc 0:65534): left out;
//!   crun's /dev/core symlink dropped;
//! - cgroup namespace: the mount sources of the cgroup hierarchies are names (runc "systemd" for
//!   name=systemd, crun the host path, rsrun "cgroup"): dropped, as is the cgroup tmpfs line
//!   (docs/mounts.md);
//! - time namespace: runc 1.1.5 does not know it and crun 1.8.1 fails with it ("write to sync
//!   socket: Broken pipe"): rsrun is checked against the host's clocks instead.
mod common;
use common::*;
use std::fs;
use std::process::Command;

/// hostname and domainname in a new UTS namespace. runc 1.1.5 ignores `domainname` (the kernel's
/// "(none)" stays): the domainname line is compared with crun only.
#[test]
fn hostname_and_domainname() {
    require_root();
    let runs = run_all(&format!(
        ".hostname = \"box-1.local\" | .domainname = \"example.org\" | {}",
        sh_args(
            "uname -n; hostname; cat /proc/sys/kernel/hostname; echo domainname: $(cat /proc/sys/kernel/domainname)"
        )
    ));
    runs.assert_pair(Kind::Rsrun, Kind::Crun, norm::code_and_stdout);
    runs.assert_pair(Kind::Rsrun, Kind::Runc, |o| {
        norm::code_and_stdout(o).split("domainname:").next().unwrap().to_string()
    });
    assert_eq!(runs.stdout(Kind::Rsrun), "box-1.local\nbox-1.local\nbox-1.local\ndomainname: example.org\n");
}

/// linux.sysctl values of every namespaced kind (IPC, mqueue, net in "." and "/" form, UTS) as the
/// container reads them back; the ones that need a namespace the container lacks, or no namespace
/// at all, are refused with runc's words and leave nothing behind.
#[test]
fn sysctl_values_and_refusals() {
    require_root();
    let keys = [
        "kernel/shmmax",
        "kernel/msgmax",
        "fs/mqueue/msg_max",
        "net/ipv4/ip_forward",
        "net/core/somaxconn",
        "kernel/domainname",
        "net/ipv4/conf/lo/forwarding",
    ];
    let script = format!("for k in {}; do echo $k $(cat /proc/sys/$k); done", keys.join(" "));
    let runs = run_all(&format!(
        r#".linux.sysctl = {{"kernel.shmmax": "4096000", "kernel.msgmax": "16384", "fs.mqueue.msg_max": "20",
            "net.ipv4.ip_forward": "1", "net.core.somaxconn": "512", "kernel.domainname": "sysctl.example",
            "net/ipv4/conf/lo/forwarding": "1"}} | {}"#,
        sh_args(&script)
    ));
    runs.assert_rsrun_matches_all(norm::code_and_stdout);
    assert_eq!(
        runs.stdout(Kind::Rsrun),
        "kernel/shmmax 4096000\nkernel/msgmax 16384\nfs/mqueue/msg_max 20\nnet/ipv4/ip_forward 1\nnet/core/somaxconn 512\n\
         kernel/domainname sysctl.example\nnet/ipv4/conf/lo/forwarding 1\n"
    );

    let rt = Runtime::rsrun();
    for (patch, want) in [
        (
            r#".linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))"#,
            r#"sysctl "net.ipv4.ip_forward" not allowed in host network namespace"#,
        ),
        (
            r#".linux.sysctl = {"kernel.shmmax": "1"} | .linux.namespaces |= map(select(.type != "ipc"))"#,
            r#"sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace"#,
        ),
        (
            r#".linux.sysctl = {"kernel.domainname": "x"} | .linux.namespaces |= map(select(.type != "uts")) | del(.hostname)"#,
            r#"sysctl "kernel.domainname" is not in a separate kernel namespace"#,
        ),
        (
            r#".linux.sysctl = {"vm.swappiness": "1"}"#,
            r#"sysctl "vm.swappiness" is not in a separate kernel namespace"#,
        ),
        (
            r#".linux.sysctl = {"kernel.hostname": "x"}"#,
            r#"sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field"#,
        ),
    ] {
        let bundle = Bundle::with(patch);
        let id = unique_id("sysctl-refused");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "{patch}: want {want:?}\n{out}");
        leaks.assert_clean();
    }
}

/// Namespaces joined by path: container A (rsrun, `sleep`) and container B joining A's network,
/// IPC, UTS and PID namespaces through /proc/<A>/ns/*, under each runtime. B's namespace links are
/// A's (as the host reads them), B sees A's hostname and A's processes. A path of the wrong type is
/// refused by name.
#[test]
fn namespaces_joined_by_path() {
    require_root();
    let a_bundle = Bundle::with(".hostname = \"box-a\"");
    a_bundle.args(&["sleep", "1000"]);
    let a_rt = Runtime::rsrun();
    let a_id = unique_id("ns-join-a");
    let a_leaks = LeakCheck::new(&a_rt, &a_bundle, &a_id);
    let a = a_rt.spawn(&a_bundle, &a_id);
    let kinds = ["net", "ipc", "uts", "pid"];
    let a_links: Vec<String> = kinds
        .iter()
        .map(|k| fs::read_link(format!("/proc/{}/ns/{k}", a.pid)).unwrap().to_string_lossy().into_owned())
        .collect();
    let want = format!("{}\nbox-a\nps\nsh\nsleep\n", a_links.join("\n"));
    let join = |types: &[(&str, &str)]| {
        let entries: Vec<String> = types
            .iter()
            .map(|(t, file)| format!("{{\"type\": \"{t}\", \"path\": \"/proc/{}/ns/{file}\"}}", a.pid))
            .collect();
        format!(
            ".linux.namespaces |= map(select(.type != \"network\" and .type != \"ipc\" and .type != \"uts\" and .type != \"pid\")) \
             | .linux.namespaces += [{}] | del(.hostname)",
            entries.join(", ")
        )
    };
    let patch = join(&[("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("pid", "pid")]);
    let runs = run_each(ALL, &[], |b, _| {
        b.patch(&patch);
        b.patch(&sh_args(
            "for n in net ipc uts pid; do readlink /proc/self/ns/$n; done; hostname; ps -o comm > /dev/shm/ps; sed 1d /dev/shm/ps | sort",
        ));
    });
    for (kind, out) in &runs.runs {
        assert!(out.success() && out.stdout == want, "{}: want {want:?}\n{out}", kind.name());
    }
    assert!(a.alive(), "container A died while B ran");

    let rt = Runtime::rsrun();
    for (patch, want) in [
        (join(&[("network", "ipc")]), "ns/ipc is a ipc namespace, not network"),
        (join(&[("pid", "net")]), "ns/net is a network namespace, not pid"),
    ] {
        let bundle = Bundle::with(&patch);
        let id = unique_id("ns-wrong-type");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "want {want:?}\n{out}");
        leaks.assert_clean();
    }
    drop(a);
    a_leaks.assert_clean();
}

/// A user namespace with uid/gid mappings (container 0..65536 = host 100000..165536), the rootfs
/// chowned to the mapped range: ids, the maps, owners of image files and of what the runtime made,
/// capabilities, setgroups. stdin is a pipe: crun 1.8.1 chowns a /dev/null given as stdio of a
/// user-namespaced container to the container's root, on the host.
#[test]
fn user_namespace_with_mappings() {
    require_root();
    if !namespace("user") {
        skip("user_namespace_with_mappings: no user namespaces here (CONFIG_USER_NS, user.max_user_namespaces > 0)");
        return;
    }
    let script = "id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; \
                  stat -c '%n %u %g' / /etc/passwd /home/user /dev /dev/shm /dev/pts /proc/1 /newcwd; \
                  grep Cap /proc/$$/status; touch /dev/shm/x && stat -c '%n %u %g' /dev/shm/x; \
                  cd /dev && for f in $(ls | sort); do [ $f = mqueue ] || stat -c '%n %A %u %g' $f; done";
    let dev_null_before = owner("/dev/null");
    let mut results = Vec::new();
    for kind in [Kind::Rsrun, Kind::Crun, Kind::Runc] {
        let bundle = Bundle::new();
        let r = bundle.rootfs();
        let chown = |spec: &str, path: &std::path::Path| {
            assert!(Command::new("chown").args(["-Rh", spec]).arg(path).status().unwrap().success());
        };
        chown("100000:100000", &r);
        chown("101000:101000", &r.join("home/user"));
        bundle.patch(
            r#".linux.namespaces += [{"type": "user"}]
               | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
               | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
               | .process.cwd = "/newcwd""#,
        );
        bundle.patch(&sh_args(script));
        let rt = Runtime::new(kind);
        let id = unique_id("userns");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let out = rt.run_stdin(&["run", "--bundle", bundle.path().to_str().unwrap(), &id], b"");
        leaks.assert_clean();
        results.push((kind, out));
    }
    let dev_null_after = owner("/dev/null");
    if dev_null_after != dev_null_before {
        // Put the host back before failing.
        let _ =
            Command::new("chown").arg(format!("{}:{}", dev_null_before.0, dev_null_before.1)).arg("/dev/null").status();
        panic!("the host's /dev/null changed owner: {dev_null_before:?} -> {dev_null_after:?}");
    }
    let core = |o: &Out| {
        norm::code_and_stdout(o)
            .lines()
            .filter(|l| !l.starts_with("core "))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let ours = core(&results[0].1);
    for (kind, out) in &results[1..] {
        assert_eq!(ours, core(out), "rsrun vs {}:\n{}\n{out}", kind.name(), results[0].1);
    }
    for want in [
        "uid=0(root) gid=0(root)",
        "         0     100000      65536\n         0     100000      65536\nallow\n",
        "/ 0 0\n/etc/passwd 0 0\n/home/user 1000 1000\n/dev 0 0\n/dev/shm 0 0\n/dev/pts 0 0\n/proc/1 0 0\n/newcwd 0 0\n",
        "CapEff:\t0000000020000420\n",
        "/dev/shm/x 0 0\n",
        // Host device nodes bound in (mknod is not allowed in a user namespace): owned by the
        // unmapped host root.
        "null crw-rw-rw- 65534 65534\n",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
}

fn owner(path: &str) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).unwrap();
    (m.uid(), m.gid())
}

/// A time namespace with offsets: /proc/self/timens_offsets lists them, the container's uptime
/// (boottime) is the host's plus one day, its monotonic clock one hour ahead. rsrun only (module doc).
#[test]
fn time_namespace_offsets() {
    require_root();
    if !namespace("time") {
        skip("time_namespace_offsets: no time namespaces in this kernel (CONFIG_TIME_NS, Linux 5.6+)");
        return;
    }
    let host_before = uptime();
    let runs = run_each(&[Kind::Rsrun], &[], |b, _| {
        b.patch(
            r#".linux.namespaces += [{"type": "time"}]
               | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 500000000}}"#,
        );
        b.patch(&sh_args("cat /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time"));
    });
    let host_after = uptime();
    let out = runs.out(Kind::Rsrun);
    out.assert_ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["monotonic", "3600", "500000000"], "{out}");
    assert_eq!(lines[1].split_whitespace().collect::<Vec<_>>(), ["boottime", "86400", "0"], "{out}");
    let inside: f64 = lines[2].parse().unwrap();
    assert!(
        inside >= host_before + 86400.0 - 0.05 && inside <= host_after + 86400.0 + 0.05,
        "uptime inside {inside}, host {host_before}..{host_after}"
    );
    let host_ns = fs::read_link("/proc/self/ns/time").unwrap();
    assert_ne!(lines[3], host_ns.to_str().unwrap(), "same time namespace as the host");
}

fn uptime() -> f64 {
    fs::read_to_string("/proc/uptime").unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// A cgroup namespace: /proc/self/cgroup shows "/" for every hierarchy and the "cgroup" mount is a
/// fresh mount of each hierarchy rooted at the container's cgroup.
#[test]
fn cgroup_namespace() {
    require_root();
    if !namespace("cgroup") || v1_hierarchy("pids").is_none() {
        skip("cgroup_namespace: needs cgroup namespaces and a v1 pids hierarchy (this host's are checked)");
        return;
    }
    let runs = run_all(&format!(
        ".linux.namespaces += [{{\"type\": \"cgroup\"}}] | .linux.resources.pids = {{\"limit\": 55}} | {}",
        sh_args(
            "cat /proc/self/cgroup; grep ' /sys/fs/cgroup/' /proc/self/mountinfo; cat /sys/fs/cgroup/pids/pids.max"
        )
    ));
    // mountinfo lines without ids and without the mount source (module doc).
    let norm = |o: &Out| {
        let mut s = format!("exit {:?}\n", o.code);
        for line in o.stdout.lines() {
            match line.split_once(" - ") {
                Some((left, right)) => {
                    let l: Vec<&str> = left.split(' ').collect();
                    let r: Vec<&str> = right.split(' ').collect();
                    s.push_str(&format!("{} - {} {}\n", l[3..].join(" "), r[0], r[2..].join(" ")));
                }
                None => s.push_str(&format!("{line}\n")),
            }
        }
        let mut lines: Vec<&str> = s.lines().collect();
        lines.sort();
        lines.join("\n")
    };
    runs.assert_rsrun_matches_all(norm);
    let ours = runs.stdout(Kind::Rsrun);
    let own: Vec<&str> = ours.lines().filter(|l| !l.contains(' ') && l.split(':').count() == 3).collect();
    assert!(own.len() > 1 && own.iter().all(|l| l.ends_with(":/")), "{ours}");
    assert!(ours.contains(":pids:/\n") && ours.contains("0::/\n") && ours.ends_with("\n55\n"), "{ours}");
}
