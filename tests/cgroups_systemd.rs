//! `--systemd-cgroup` on a host without systemd (this kind of machine): create fails with one line
//! naming the D-Bus sockets it tried and leaves nothing behind (no state, no cgroup, no process);
//! a cgroupfs-style `linux.cgroupsPath` is refused with runc's message before systemd is asked, on
//! any host. The driver itself (units, limits, verbs) is tested on a real systemd in the VM:
//! tests/vm/run-systemd-tests.sh.
mod common;
use common::*;
use std::path::Path;

fn systemd_reachable() -> bool {
    ["/run/systemd/private", "/run/dbus/system_bus_socket"].iter().any(|p| Path::new(p).exists())
}

/// Every directory under /sys/fs/cgroup (all hierarchies) whose name contains `needle`.
fn cgroups_named(needle: &str) -> Vec<String> {
    let out = std::process::Command::new("find")
        .args(["/sys/fs/cgroup", "-xdev", "-type", "d", "-name", &format!("*{needle}*")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

fn systemd_create(bundle: &Bundle, id: &str) -> (Runtime, Out) {
    let rt = Runtime::rsrun();
    rt.track(id);
    let out = rt.run(&["--systemd-cgroup", "create", "--bundle", bundle.path().to_str().unwrap(), id]);
    (rt, out)
}

#[test]
fn without_systemd_create_names_the_missing_bus_and_leaves_nothing() {
    require_root();
    if systemd_reachable() {
        println!("skipped: this host runs systemd (tests/vm/run-systemd-tests.sh covers the driver)");
        return;
    }
    let bundle = Bundle::new();
    bundle.sh("true");
    let id = unique_id("sdbus");
    let (rt, out) = systemd_create(&bundle, &id);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    out.assert_fail();
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "one line of error:\n{out}");
    for want in ["systemd cgroup driver", "D-Bus", "/run/systemd/private", "/run/dbus/system_bus_socket"] {
        assert!(err.contains(want), "want {want:?} in the error:\n{out}");
    }
    leaks.assert_clean();
    assert_eq!(cgroups_named(&id), Vec::<String>::new(), "cgroups left");
    // The same bundle without the flag still works: nothing of the failed attempt is in the way.
    rt.create(&bundle, &id).assert_ok();
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

#[test]
fn cgroupfs_path_is_refused_with_runcs_message() {
    require_root();
    let bundle = Bundle::new();
    bundle.sh("true").patch(r#".linux.cgroupsPath = "/docker/abc""#);
    let id = unique_id("sdpath");
    let (rt, out) = systemd_create(&bundle, &id);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    out.assert_fail();
    assert_eq!(
        out.stderr.trim_end().lines().last().unwrap_or(""),
        "rsrun: linux.cgroupsPath: expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/docker/abc\" instead",
        "{out}"
    );
    leaks.assert_clean();
    for (path, want) in [("a--b.slice:p:x", "invalid slice name: a--b.slice"), ("system.slice:p:a/b", "invalid systemd unit name")] {
        bundle.patch(&format!(".linux.cgroupsPath = \"{path}\""));
        let (_, out) = systemd_create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "{path}: want {want:?}:\n{out}");
        leaks.assert_clean();
    }
}
