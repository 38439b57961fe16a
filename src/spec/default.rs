//! The configuration `rsrun spec` writes: runc 1.1's default, with our spec version and hostname.
//! `rootless` (the caller's uid and gid) gives runc's rootless variant: a user namespace mapping
//! root to the caller, no network namespace, /sys bind-mounted, no devices cgroup rule and no
//! `gid=5` on /dev/pts.
use crate::json::Writer;
use alloc::vec::Vec;

fn strs(w: &mut Writer, key: &str, items: &[&str]) {
    w.key(key).begin_array();
    for i in items {
        w.str(i);
    }
    w.end_array();
}

fn mount(w: &mut Writer, dest: &str, kind: &str, source: &str, options: &[&str]) {
    w.begin_object().field_str("destination", dest).field_str("type", kind).field_str("source", source);
    if !options.is_empty() {
        strs(w, "options", options);
    }
    w.end_object();
}

fn id_map(w: &mut Writer, key: &str, host: u32) {
    w.key(key).begin_array().begin_object();
    w.field_u64("containerID", 0).field_u64("hostID", host.into()).field_u64("size", 1);
    w.end_object().end_array();
}

/// The default config.json, compact (pretty-print it for the file). `rootless` = (uid, gid).
pub fn default_config(rootless: Option<(u32, u32)>) -> Vec<u8> {
    const CAPS: &[&str] = &["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    let mut w = Writer::new();
    w.begin_object().field_str("ociVersion", crate::cli::SPEC_VERSION);

    w.key("process").begin_object().field_bool("terminal", true);
    w.key("user").begin_object().field_u64("uid", 0).field_u64("gid", 0).end_object();
    strs(&mut w, "args", &["sh"]);
    strs(&mut w, "env", &["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]);
    w.field_str("cwd", "/");
    w.key("capabilities").begin_object();
    for set in ["bounding", "effective", "permitted", "ambient"] {
        strs(&mut w, set, CAPS);
    }
    w.end_object();
    w.key("rlimits").begin_array().begin_object();
    w.field_str("type", "RLIMIT_NOFILE").field_u64("hard", 1024).field_u64("soft", 1024);
    w.end_object().end_array();
    w.field_bool("noNewPrivileges", true).end_object();

    w.key("root").begin_object().field_str("path", "rootfs").field_bool("readonly", true).end_object();
    w.field_str("hostname", "rsrun");

    w.key("mounts").begin_array();
    mount(&mut w, "/proc", "proc", "proc", &[]);
    mount(&mut w, "/dev", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]);
    let pts: &[&str] = &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"];
    mount(&mut w, "/dev/pts", "devpts", "devpts", if rootless.is_some() { &pts[..5] } else { pts });
    mount(&mut w, "/dev/shm", "tmpfs", "shm", &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]);
    mount(&mut w, "/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]);
    match rootless {
        Some(_) => mount(&mut w, "/sys", "none", "/sys", &["rbind", "nosuid", "noexec", "nodev", "ro"]),
        None => mount(&mut w, "/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
    }
    mount(&mut w, "/sys/fs/cgroup", "cgroup", "cgroup", &["nosuid", "noexec", "nodev", "relatime", "ro"]);
    w.end_array();

    w.key("linux").begin_object();
    let namespaces: &[&str] = match rootless {
        Some((uid, gid)) => {
            id_map(&mut w, "uidMappings", uid);
            id_map(&mut w, "gidMappings", gid);
            &["pid", "ipc", "uts", "mount", "user"]
        }
        None => {
            w.key("resources").begin_object().key("devices").begin_array().begin_object();
            w.field_bool("allow", false).field_str("access", "rwm");
            w.end_object().end_array().end_object();
            &["pid", "network", "ipc", "uts", "mount"]
        }
    };
    w.key("namespaces").begin_array();
    for ns in namespaces {
        w.begin_object().field_str("type", ns).end_object();
    }
    w.end_array();
    strs(
        &mut w,
        "maskedPaths",
        &[
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
        ],
    );
    strs(&mut w, "readonlyPaths", &["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]);
    w.end_object();

    w.end_object();
    w.into_bytes()
}
