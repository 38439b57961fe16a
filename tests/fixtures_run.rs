//! The four captured configs in tests/fixtures/configs/ (docker, podman, containerd's ctr, `crun
//! spec`) run under rsrun, and under crun and runc for comparison. What cannot exist on this machine
//! is replaced, and only that:
//! - root.path points at the bundle's busybox rootfs (the captured paths are the engines' overlay
//!   mounts);
//! - bind mount sources that were engine-owned files (docker's resolv.conf/hostname/hosts, podman's
//!   hosts/hostname/.containerenv/shm) become files or a directory in the bundle;
//! - docker's prestart hook was dockerd itself (/proc/1715/exe libnetwork-setkey): it becomes a hook
//!   that reads its state from stdin and checks it names the container;
//! - cgroupsPath keeps its shape but gets a unique last component (the test's container id), so
//!   parallel runs and the leak check can tell the cgroups apart;
//! - process.args become a script printing what the container sees; rlimits above this machine's
//!   hard limits (no CAP_SYS_RESOURCE here) are lowered to the hard limit.
mod common;
use common::*;
use std::fs;

const SCRIPT: &str = "echo ok; id -u; hostname; cat /proc/self/status | grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):'; \
    cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null; ls /dev | tr '\\n' ' '; echo";

fn hard_nofile() -> u64 {
    let limits = fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    line.split_whitespace().nth(4).unwrap().parse().unwrap()
}

/// A bundle whose config.json is the fixture `name`, adapted as the module doc says.
fn fixture_bundle(name: &str, id: &str) -> Bundle {
    let bundle = Bundle::new();
    let src = fs::read_to_string(repo_root().join(format!("tests/fixtures/configs/{name}.json"))).unwrap();
    fs::write(bundle.config_path(), src).unwrap();
    let host = bundle.path().join("host-files");
    fs::create_dir_all(host.join("shm")).unwrap();
    for f in ["resolv.conf", "hostname", "hosts", ".containerenv"] {
        fs::write(host.join(f), format!("# {f} for {id}\n")).unwrap();
    }
    let host = host.to_str().unwrap();
    let hook_check = format!("read -r s; case \"$s\" in *'\"id\":\"{id}\"'*) exit 0;; esac; exit 1");
    bundle.patch(&format!(
        ".root.path = \"rootfs\" \
         | .process.terminal = false \
         | .process.args = [\"sh\", \"-c\", {script}] \
         | .mounts |= map(if .type == \"bind\" and (.source | test(\"^/(tmp/clients|run/containers|var/lib/containers)\")) \
                          then .source = \"{host}/\" + (.source | split(\"/\") | last) else . end) \
         | if .hooks.prestart then .hooks.prestart = [{{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", {hook}]}}] else . end \
         | if .linux.cgroupsPath then .linux.cgroupsPath = (.linux.cgroupsPath | split(\"/\") | .[:-1] | join(\"/\")) + \"/{id}\" else . end \
         | if .process.rlimits then .process.rlimits |= map(if .hard > {hard} then .hard = {hard} | .soft = ([.soft, {hard}] | min) else . end) else . end",
        script = json_str(SCRIPT),
        hook = json_str(&hook_check),
        hard = hard_nofile(),
    ));
    bundle
}

fn run_fixture(name: &str, kind: Kind) -> String {
    let rt = Runtime::new(kind);
    let id = unique_id(&format!("fx-{name}"));
    let bundle = fixture_bundle(name, &id);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.run_container(&bundle, &id);
    assert!(out.success(), "{name} under {}:\n{out}", rt.name());
    assert!(out.stdout.starts_with("ok\n"), "{name} under {}:\n{out}", rt.name());
    leaks.assert_clean();
    // The cgroupsPath parents the fixtures name ("/docker", "/libpod_parent", "/clients") are made by
    // the runtime and must be gone too when nothing else uses them.
    if let Some(parent) = jq_raw(&bundle.config(), ".linux.cgroupsPath // \"\" | split(\"/\") | .[1] // empty")
        .filter(|p| !p.is_empty())
    {
        let leftover = format!("/sys/fs/cgroup/pids/{parent}/{id}");
        assert!(!std::path::Path::new(&leftover).exists(), "{leftover} left behind");
    }
    out.stdout.clone()
}

/// crun always adds a /dev/core symlink; runc (and rsrun) only when the host has /proc/kcore.
fn without_dev_core(s: String) -> String {
    s.replace(" core fd ", " fd ").replace("\ncore fd ", "\nfd ")
}

fn fixture(name: &str) {
    require_root();
    let ours = run_fixture(name, Kind::Rsrun);
    // Same user, hostname, capabilities, no_new_privs, seccomp mode, sysctl and /dev as crun and runc.
    let crun = without_dev_core(run_fixture(name, Kind::Crun));
    assert_eq!(without_dev_core(ours.clone()), crun, "rsrun vs crun on the {name} fixture");
    let runc = run_fixture(name, Kind::Runc);
    assert_eq!(ours, runc, "rsrun vs runc on the {name} fixture");
}

#[test]
fn crun_spec_fixture_runs() {
    fixture("crun-spec");
}

#[test]
fn containerd_fixture_runs() {
    fixture("containerd-ctr");
}

#[test]
fn docker_fixture_runs() {
    fixture("docker");
}

#[test]
fn podman_fixture_runs() {
    fixture("podman");
}
