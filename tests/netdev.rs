//! linux.netDevices (src/container/netdev.rs, runtime-spec 1.3 "Network Devices") on real
//! containers: a host veth end moved into the container under a new name, with its MTU, MAC
//! address and permanent addresses, and up (the container pings the other end); a "%d" template;
//! a network namespace joined by path, where the device stays after the container; each refusal
//! one clear line with nothing left behind and the host's device as it was, including a device
//! already moved when a later one fails. (runc 1.1 and crun 1.8, Debian 12's, have no netDevices:
//! no differential check here.)
mod common;
use common::*;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn ip(args: &str) -> Out {
    let mut c = Command::new("ip");
    c.args(args.split_whitespace());
    run_command(&mut c, None, timeout())
}

/// A short interface name unique to this test process (IFNAMSIZ: at most 15 bytes).
fn ifname(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("rn{}{}{}", std::process::id() % 100_000, N.fetch_add(1, Ordering::Relaxed), tag)
}

/// A veth pair on the host: `dev` (to be moved, down, MTU 1400, a fixed MAC, 10.231.<n>.1/24 and
/// fd00:231:<n>::1/64) and `peer` (up, 10.231.<n>.2/24). Deleted on drop wherever still present.
struct Veth {
    dev: String,
    peer: String,
    net: u32,
}

impl Veth {
    fn new() -> Option<Veth> {
        require_root();
        if !ip("-V").success() {
            skip("no ip (iproute2)");
            return None;
        }
        static NET: AtomicU32 = AtomicU32::new(0);
        let net = (std::process::id() + NET.fetch_add(1, Ordering::Relaxed)) % 250;
        let (dev, peer) = (ifname("d"), ifname("p"));
        let made = ip(&format!("link add {dev} type veth peer name {peer}"));
        if !made.success() {
            skip(&format!("cannot make a veth pair: {}", made.stderr.trim()));
            return None;
        }
        let v = Veth { dev, peer, net };
        for cmd in [
            format!("link set {} mtu 1400 address 02:00:00:23:{:02x}:01", v.dev, net),
            format!("addr add 10.231.{net}.1/24 dev {}", v.dev),
            format!("addr add fd00:231:{net}::1/64 dev {} nodad", v.dev),
            format!("link set {} up", v.peer),
            format!("addr add 10.231.{net}.2/24 dev {}", v.peer),
        ] {
            ip(&cmd).assert_ok();
        }
        Some(v)
    }

    /// What a move could change of the device on the host, from `ip -o link` and `ip -o addr`:
    /// its flags (not the carrier's, which follow the peer and settle asynchronously), MTU, MAC
    /// address and addresses (not the link-local one the kernel makes when it goes up). "" once
    /// it is gone from the host.
    fn on_host(&self) -> String {
        let link = ip(&format!("-o link show dev {}", self.dev));
        if !link.success() {
            return String::new();
        }
        let words: Vec<&str> = link.stdout.split_whitespace().collect();
        let after = |key: &str| words.iter().position(|w| *w == key).map_or("?", |i| words[i + 1]);
        let flags = words[2].replace(",LOWER_UP", "").replace("NO-CARRIER,", "");
        let mut parts = vec![flags, format!("mtu {}", after("mtu")), after("link/ether").to_string()];
        for l in ip(&format!("-o addr show dev {}", self.dev)).stdout.lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            if !w[3].starts_with("fe80:") {
                parts.push(format!("{} {}", w[2], w[3]));
            }
        }
        parts.join(" ")
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        for d in [&self.dev, &self.peer] {
            if ip(&format!("link show dev {d}")).success() {
                let _ = ip(&format!("link del {d}"));
            }
        }
    }
}

/// The bundle's `linux.netDevices`, and CAP_NET_RAW for busybox's ping.
fn net_devices(b: &Bundle, devices: &str) {
    b.patch(&format!(".linux.netDevices = {devices}"));
    b.patch(".process.capabilities |= with_entries(.value += [\"CAP_NET_RAW\"])");
}

fn wait_gone(v: &Veth) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if v.on_host().is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn moved_renamed_up_with_its_addresses() {
    let Some(v) = Veth::new() else { return };
    let n = v.net;
    let script = format!(
        "cd /sys/class/net/ctr0 && cat mtu address flags && ls /sys/class/net | sort | tr '\\n' ' ' && echo && \
         ip -o addr show dev ctr0 | grep -v ' fe80:' | awk '{{print $3, $4}}' && ping -c1 -W5 10.231.{n}.2 >/dev/null && echo pong"
    );
    let (_b, out) = run_one(Kind::Rsrun, "netdev", &|b| {
        b.sh(&script);
        net_devices(b, &format!(r#"{{"{}": {{"name": "ctr0"}}}}"#, v.dev));
    });
    out.assert_ok();
    let want = format!(
        "1400\n02:00:00:23:{n:02x}:01\n0x1003\nctr0 lo \ninet 10.231.{n}.1/24\ninet6 fd00:231:{n}::1/64\n"
    );
    // flags 0x1003: IFF_UP | IFF_BROADCAST | IFF_MULTICAST (down on the host before).
    assert!(out.stdout.starts_with(&want), "want\n{want}got\n{out}");
    assert!(out.stdout.trim_end().ends_with("pong"), "{out}");
    // The container's namespace is gone, and with it the veth (the kernel's rule for virtual
    // devices; rsrun does not move devices out of a container).
    assert!(wait_gone(&v), "{} still on the host: {}", v.dev, v.on_host());
}

#[test]
fn a_template_name_is_completed_by_the_kernel() {
    let Some(v) = Veth::new() else { return };
    let (_b, out) = run_one(Kind::Rsrun, "netdev-tpl", &|b| {
        b.sh("ls /sys/class/net | sort | tr '\\n' ' '; cat /sys/class/net/vx0/flags");
        net_devices(b, &format!(r#"{{"{}": {{"name": "vx%d"}}}}"#, v.dev));
    });
    out.assert_ok();
    assert_eq!(out.stdout, "lo vx0 0x1003\n", "{out}");
}

/// A network namespace made by `ip netns add`, removed on drop.
struct NetNs(String);

impl NetNs {
    fn new() -> NetNs {
        let name = ifname("ns");
        ip(&format!("netns add {name}")).assert_ok();
        NetNs(name)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = ip(&format!("netns del {}", self.0));
    }
}

#[test]
fn joined_namespace_keeps_the_device_and_refuses_a_taken_name() {
    let Some(v) = Veth::new() else { return };
    let ns = NetNs::new();
    let path = format!("/run/netns/{}", ns.0);
    let join = |b: &Bundle| {
        b.patch(&format!(r#"(.linux.namespaces[] | select(.type == "network")) |= . + {{"path": "{path}"}}"#));
    };
    // A device of that name already there: refused, and the host's device untouched.
    ip(&format!("-n {} link add taken0 type veth peer name taken1", ns.0)).assert_ok();
    let before = v.on_host();
    let dev = v.dev.clone();
    create_fails(
        "netdev-taken",
        &|b| {
            join(b);
            net_devices(b, &format!(r#"{{"{dev}": {{"name": "taken0"}}}}"#));
        },
        &[&format!("linux.netDevices.{dev}: "), "already has a device named \"taken0\""],
    );
    assert_eq!(v.on_host(), before);

    let (_b, out) = run_one(Kind::Rsrun, "netdev-join", &|b| {
        join(b);
        b.sh("cat /sys/class/net/in0/mtu");
        net_devices(b, &format!(r#"{{"{dev}": {{"name": "in0"}}}}"#));
    });
    out.assert_ok();
    assert_eq!(out.stdout, "1400\n");
    // The namespace outlives the container: the device stays in it, up, with its address.
    let there = ip(&format!("-n {} -o addr show dev in0", ns.0));
    assert!(there.stdout.contains(&format!("inet 10.231.{}.1/24", v.net)), "{there}");
    assert!(v.on_host().is_empty());
}

#[test]
fn refusals_leave_nothing_and_the_host_as_it_was() {
    let Some(v) = Veth::new() else { return };
    let Some(w) = Veth::new() else { return };
    let before_v = v.on_host();
    let (vd, wd) = (v.dev.clone(), w.dev.clone());
    // No such device on the host.
    create_fails("netdev-none", &|b| net_devices(b, r#"{"rsrun-nodev0": {}}"#), &["no network device \"rsrun-nodev0\" on the host"]);
    // The new name exists in the new namespace ("lo"): the kernel refuses the move as a whole.
    create_fails(
        "netdev-lo",
        &|b| net_devices(b, &format!(r#"{{"{vd}": {{"name": "lo"}}}}"#)),
        &["already has a device named \"lo\""],
    );
    // The first device moves, the second fails: the first is given back (name, addresses, state).
    ip(&format!("link set {wd} up")).assert_ok();
    let before_w_up = w.on_host();
    create_fails(
        "netdev-second",
        &|b| net_devices(b, &format!(r#"{{"{wd}": {{"name": "first0"}}, "{vd}": {{"name": "lo"}}}}"#)),
        &[&format!("linux.netDevices.{vd}: "), "already has a device named \"lo\""],
    );
    assert_eq!(w.on_host(), before_w_up, "not given back as it was");
    assert_eq!(v.on_host(), before_v);
    // Checked before anything is made.
    for (devices, want) in [
        (r#"{"lo/x": {}}"#, "is not a valid network device name"),
        (r#"{"rsrun-nodev0": {"name": "a%d%d"}}"#, "\"a%d%d\" is not a valid network device name"),
        (r#"{"rsrun-nodev0": {"name": "0123456789abcdef"}}"#, "is not a valid network device name"),
        (r#"{"rsrun-nodev0": {"name": "x"}, "rsrun-nodev1": {"name": "x"}}"#, "two devices would be named \"x\""),
    ] {
        create_fails("netdev-bad", &|b| net_devices(b, devices), &["linux.netDevices", want]);
    }
    create_fails(
        "netdev-hostns",
        &|b| {
            net_devices(b, &format!(r#"{{"{vd}": {{}}}}"#));
            b.patch(r#".linux.namespaces |= map(select(.type != "network"))"#);
        },
        &["linux.netDevices: needs a network namespace"],
    );
    assert_eq!(v.on_host(), before_v);
}

/// A hook of `kind` running `sh -c script` (JSON for `.hooks`).
fn hook(kind: &str, script: &str) -> String {
    format!(r#"{{"{kind}": [{{"path": "/bin/sh", "args": ["sh", "-c", {}]}}]}}"#, json_str(script))
}

/// Hooks find the devices in: createRuntime (the runtime's namespace, through the init's pid) and
/// createContainer (run by the init in the container's namespaces, before its Go from create).
/// A hook that fails after the move fails the create, and the device is back on the host as it was.
#[test]
fn hooks_find_the_devices_and_a_failed_create_gives_them_back() {
    let Some(v) = Veth::new() else { return };
    let in_init = r#"pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'); grep -q ' ctr0:' /proc/$pid/net/dev"#;
    let dev = v.dev.clone();
    let (_b, out) = run_one(Kind::Rsrun, "netdev-hooks", &|b| {
        b.args(&["true"]);
        net_devices(b, &format!(r#"{{"{dev}": {{"name": "ctr0"}}}}"#));
        b.patch(&format!(".hooks = {} + {}", hook("createRuntime", in_init), hook("createContainer", "grep -q ' ctr0:' /proc/self/net/dev")));
    });
    out.assert_ok();

    let Some(w) = Veth::new() else { return };
    ip(&format!("link set {} up", w.dev)).assert_ok();
    let before = w.on_host();
    let dev = w.dev.clone();
    create_fails(
        "netdev-hookfail",
        &|b| {
            net_devices(b, &format!(r#"{{"{dev}": {{"name": "ctr0"}}}}"#));
            b.patch(&format!(".hooks = {}", hook("createRuntime", "exit 3")));
        },
        &["createRuntime"],
    );
    assert_eq!(w.on_host(), before, "not given back as it was");
}

/// A bridge cannot leave its namespace (the kernel marks it netns-local): the move's error, named.
#[test]
fn an_unmovable_device_is_a_clear_error() {
    require_root();
    let br = ifname("b");
    if !ip(&format!("link add {br} type bridge")).success() {
        skip("cannot make a bridge");
        return;
    }
    let out = create_fails(
        "netdev-br",
        &|b| net_devices(b, &format!(r#"{{"{br}": {{}}}}"#)),
        &[&format!("linux.netDevices.{br}: move into the container's network namespace: ")],
    );
    let _ = ip(&format!("link del {br}"));
    assert!(!out.stderr.contains("panic"));
}

/// `features` says netDevices is implemented.
#[test]
fn features_reports_net_devices() {
    let rt = Runtime::rsrun();
    let out = rt.run(&["features"]);
    out.assert_ok();
    assert_eq!(jq(&out.stdout, ".linux.netDevices.enabled"), "true");
}
