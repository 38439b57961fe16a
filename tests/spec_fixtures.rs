//! The configs real engines wrote (captured on this project's test machine, copied into
//! tests/fixtures/configs/) parse, and a few values of each land where they should.
use rsrun::spec::{NsType, Spec, parse_config};
use std::path::PathBuf;

fn load(name: &str) -> &'static [u8] {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configs").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.leak()
}

fn parse(name: &str) -> Spec<'static> {
    parse_config(load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ns_kinds(s: &Spec) -> Vec<NsType> {
    s.linux.as_ref().unwrap().namespaces.iter().map(|n| n.kind).collect()
}

#[test]
fn docker() {
    let s = parse("docker.json");
    assert_eq!(s.oci_version, "1.0.2-dev");
    let p = s.process.as_ref().unwrap();
    assert_eq!(p.args, ["true"]);
    assert_eq!(p.user.additional_gids, [0]);
    assert_eq!(p.oom_score_adj, Some(0));
    assert_eq!(p.capabilities.as_ref().unwrap().bounding.len(), 14);
    assert_eq!(s.hostname.as_deref(), Some("4ab17604d15a"));
    assert_eq!(s.mounts.len(), 10);
    assert_eq!(s.mounts[7].destination, "/etc/resolv.conf");
    assert_eq!(s.mounts[7].options, ["rbind", "rprivate"]);
    // docker always sends a prestart hook (libnetwork) and two net.* sysctls.
    let hooks = s.hooks.as_ref().unwrap();
    assert_eq!(hooks.prestart.len(), 1);
    assert_eq!(hooks.prestart[0].path, "/proc/1715/exe");
    assert_eq!(hooks.prestart[0].args[0], "libnetwork-setkey");
    assert!(hooks.poststop.is_empty());
    let l = s.linux.as_ref().unwrap();
    assert_eq!(l.sysctl.len(), 2);
    assert_eq!(l.sysctl[0].0, "net.ipv4.ip_unprivileged_port_start");
    assert_eq!(l.sysctl[1].1, "0 2147483647");
    let r = l.resources.as_ref().unwrap();
    assert_eq!(r.devices.len(), 8);
    assert!(!r.devices[0].allow);
    assert_eq!(r.devices[0].kind, None);
    assert_eq!((r.devices[7].major, r.devices[7].minor), (Some(10), Some(229)));
    assert_eq!(r.memory.as_ref().unwrap().disable_oom_killer, Some(false));
    assert_eq!(r.cpu.as_ref().unwrap().shares, Some(0));
    assert_eq!(r.block_io.as_ref().unwrap().weight, Some(0));
    assert_eq!(
        l.cgroups_path.as_deref(),
        Some("/docker/4ab17604d15aec6d1490b57065f3caf1ecc8fd3e54b7441973798b53bd1fbdb1")
    );
    use NsType::*;
    assert_eq!(ns_kinds(&s), [Mount, Network, Uts, Pid, Ipc]);
    let sc = l.seccomp.as_ref().unwrap();
    assert_eq!(sc.default_action, "SCMP_ACT_ERRNO");
    assert_eq!(sc.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    let names: usize = sc.syscalls.iter().map(|c| c.names.len()).sum();
    assert!(names > 300, "{names} syscall names");
    assert_eq!(sc.syscalls[0].action, "SCMP_ACT_ALLOW");
    let personality = sc.syscalls.iter().find(|c| c.names == ["personality"]).unwrap();
    assert_eq!((personality.args[0].index, personality.args[0].value), (0, 0));
    assert_eq!(personality.args[0].op, "SCMP_CMP_EQ");
    assert_eq!(l.masked_paths.len(), 10);
    assert_eq!(l.readonly_paths[4], "/proc/sysrq-trigger");
}

#[test]
fn podman() {
    let s = parse("podman.json");
    let p = s.process.as_ref().unwrap();
    assert_eq!(p.user.umask, Some(18));
    assert_eq!(p.rlimits.len(), 2);
    assert_eq!((p.rlimits[1].kind.as_ref(), p.rlimits[1].hard, p.rlimits[1].soft), ("RLIMIT_NPROC", 32768, 32768));
    assert!(p.env.iter().any(|e| e == "container=podman"));
    assert!(s.hooks.is_none(), "podman sends no hooks here");
    // podman mounts cgroup at /sys/fs/cgroup.
    let cg = s.mounts.iter().find(|m| m.destination == "/sys/fs/cgroup").unwrap();
    assert_eq!(cg.kind.as_deref(), Some("cgroup"));
    assert_eq!(s.annotations.len(), 8);
    assert!(s.annotations.iter().any(|(k, v)| k == "io.container.manager" && v == "libpod"));
    let l = s.linux.as_ref().unwrap();
    assert_eq!(
        l.cgroups_path.as_deref(),
        Some("/libpod_parent/libpod-4233e11f5561e361efb2ec706847628c97bbbca57aa7faf5a7e557345b8990fc")
    );
    assert!(l.sysctl.is_empty());
    assert_eq!(l.resources.as_ref().unwrap().pids.as_ref().unwrap().limit, 2048);
    let sc = l.seccomp.as_ref().unwrap();
    assert_eq!(sc.default_action, "SCMP_ACT_ERRNO");
    assert_eq!(sc.default_errno_ret, Some(38));
    let names: usize = sc.syscalls.iter().map(|c| c.names.len()).sum();
    assert!(names > 400, "{names} syscall names");
    assert!(sc.syscalls.iter().any(|c| c.errno_ret == Some(1)));
    assert_eq!(l.masked_paths.len(), 11);
}

#[test]
fn containerd_ctr() {
    let s = parse("containerd-ctr.json");
    assert!(s.process.as_ref().unwrap().no_new_privileges);
    assert_eq!(s.root.as_ref().unwrap().path, "rootfs");
    let l = s.linux.as_ref().unwrap();
    assert_eq!(l.cgroups_path.as_deref(), Some("/clients/ex1"));
    let r = l.resources.as_ref().unwrap();
    assert_eq!(r.cpu.as_ref().unwrap().shares, Some(1024));
    // "major": 136 without a minor: the minor stays absent (all minors).
    let pts = r.devices.iter().find(|d| d.major == Some(136)).unwrap();
    assert_eq!((pts.minor, pts.access.as_deref()), (None, Some("rwm")));
    assert!(l.seccomp.is_none());
    use NsType::*;
    assert_eq!(ns_kinds(&s), [Pid, Ipc, Uts, Mount, Network]);
}

#[test]
fn crun_spec() {
    let s = parse("crun-spec.json");
    assert_eq!(s.oci_version, "1.0.0");
    assert_eq!(s.hostname.as_deref(), Some("crun"));
    let root = s.root.as_ref().unwrap();
    assert!(root.readonly);
    let p = s.process.as_ref().unwrap();
    assert!(!p.terminal);
    let caps = p.capabilities.as_ref().unwrap();
    assert!(caps.inheritable.is_empty());
    assert_eq!(caps.ambient, ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    assert!(s.mounts[0].options.is_empty(), "/proc has no options");
    assert!(s.linux.as_ref().unwrap().cgroups_path.is_none());
}

#[test]
fn fixture_strings_are_borrowed() {
    // The captured configs contain no escapes: nothing should have been copied.
    for name in ["docker.json", "podman.json", "containerd-ctr.json", "crun-spec.json"] {
        let s = parse(name);
        let p = s.process.as_ref().unwrap();
        let all = p.args.iter().chain(&p.env).chain(s.mounts.iter().flat_map(|m| &m.options));
        for x in all {
            assert!(matches!(x, std::borrow::Cow::Borrowed(_)), "{name}: {x:?} was copied");
        }
    }
}
