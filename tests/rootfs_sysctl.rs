//! `linux.sysctl`: validation before clone3 and writes through the container's /proc. Root.
mod rootfs_util;

use rootfs_util::*;
use rsrun::init::rootfs;
use rsrun::spec::NsType;

fn with_sysctl(keys: &[(&str, &str)]) -> rsrun::spec::Spec<'static> {
    let mut spec = small_spec();
    spec.linux.as_mut().unwrap().sysctl = keys.iter().map(|(k, v)| (s(k), s(v))).collect();
    spec
}

#[test]
fn values_are_written() {
    let case = "values_are_written";
    if let Some(dir) = child(case) {
        let spec = with_sysctl(&[
            ("net.ipv4.ip_forward", "1"),
            ("net/ipv4/conf/lo/forwarding", "1"),
            ("kernel.shmmax", "123456789"),
            ("kernel.domainname", "example.org"),
            ("fs.mqueue.msg_max", "20"),
        ]);
        enter_and_exec(&spec, &dir, Opts::default(), "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/lo/forwarding \
            /proc/sys/kernel/shmmax /proc/sys/kernel/domainname /proc/sys/fs/mqueue/msg_max");
    }
    let host_fwd = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap();
    let b = Bundle::new(case);
    let run = b.run(&[]);
    assert_eq!(run.ok(), "1\n1\n123456789\nexample.org\n20\n");
    assert_eq!(std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap(), host_fwd, "host untouched");
}

#[test]
fn no_proc_is_a_clear_error() {
    let case = "no_proc_is_a_clear_error";
    if let Some(dir) = child(case) {
        let mut spec = with_sysctl(&[("net.ipv4.ip_forward", "1")]);
        spec.mounts.retain(|m| m.destination != "/proc");
        enter_and_exec(&spec, &dir, Opts::default(), "true");
    }
    let b = Bundle::new(case);
    let run = b.run(&[]);
    assert!(run.setup_error().contains("/proc in the container is not a procfs"), "{}", run.body);
}

#[test]
fn validation() {
    let err = |keys: &[(&str, &str)], ns: &[NsType]| {
        let mut spec = with_sysctl(keys);
        spec.linux.as_mut().unwrap().namespaces = ns_list(ns);
        rootfs::validate(&spec, false).map_err(|e| e.to_string())
    };
    let all = [NsType::Mount, NsType::Network, NsType::Ipc, NsType::Uts];
    assert!(err(&[("net.core.somaxconn", "1")], &all).is_ok());
    assert_eq!(
        err(&[("net.core.somaxconn", "1")], &[NsType::Mount]).unwrap_err(),
        "linux.sysctl: sysctl \"net.core.somaxconn\" not allowed in host network namespace"
    );
    assert!(err(&[("kernel.sem", "1")], &[NsType::Mount]).unwrap_err().contains("hosts ipc namespace"));
    assert!(err(&[("kernel.hostname", "x")], &all).unwrap_err().contains("conflicts with the OCI \"hostname\" field"));
    assert!(err(&[("vm.swappiness", "1")], &all).unwrap_err().contains("is not in a separate kernel namespace"));
    // Joining the host's own network namespace by path is the host network namespace.
    let mut spec = with_sysctl(&[("net.ipv4.ip_forward", "1")]);
    spec.linux.as_mut().unwrap().namespaces = ns_list(&[NsType::Mount]);
    spec.linux.as_mut().unwrap().namespaces.push(rsrun::spec::Namespace { kind: NsType::Network, path: Some(s("/proc/self/ns/net")) });
    let e = rootfs::validate_sysctl(&spec).unwrap_err().to_string();
    assert!(e.contains("not allowed in host network namespace"), "{e}");
}

fn ns_list(kinds: &[NsType]) -> Vec<rsrun::spec::Namespace<'static>> {
    ns(kinds)
}
