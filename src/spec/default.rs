//! The configuration `rsrun spec` writes: runc 1.1's default, with our spec version and hostname.
//! `rootless` (the caller's uid and gid) gives runc's rootless variant: a user namespace mapping
//! root to the caller, no network namespace, /sys bind-mounted, no devices cgroup rule and no
//! `gid=5` on /dev/pts.
//!
//! Written as compact JSON text with the few variable parts spliced in, rather than built through
//! the JSON writer call by call: the text is about the size of the strings the calls needed anyway,
//! and the ~1.6 KB of code that made the calls is gone. `rsrun spec` pretty-prints it for the file.
use alloc::vec::Vec;

/// The capability list every set gets (a macro so that `concat!` can take it).
macro_rules! caps {
    () => {
        r#"["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]"#
    };
}

/// From after the spec version to the /dev/pts options that both variants share.
const HEAD: &str = concat!(
    r#"","process":{"terminal":true,"user":{"uid":0,"gid":0},"args":["sh"],"#,
    r#""env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"cwd":"/","#,
    r#""capabilities":{"bounding":"#, caps!(), r#","effective":"#, caps!(), r#","permitted":"#, caps!(),
    r#","ambient":"#, caps!(), r#"},"#,
    r#""rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true},"#,
    r#""root":{"path":"rootfs","readonly":true},"hostname":"rsrun","mounts":["#,
    r#"{"destination":"/proc","type":"proc","source":"proc"},"#,
    r#"{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},"#,
    r#"{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620""#,
);

/// /dev/shm and /dev/mqueue, between the two variant parts.
const SHM: &str = concat!(
    r#"]},{"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},"#,
    r#"{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},"#,
);

const SYS_ROOTFUL: &str =
    r#"{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},"#;
const SYS_ROOTLESS: &str =
    r#"{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]},"#;

const CGROUP: &str = concat!(
    r#"{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}],"#,
    r#""linux":{"#,
);

const NS_ROOTFUL: &str = concat!(
    r#""resources":{"devices":[{"allow":false,"access":"rwm"}]},"#,
    r#""namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],"#,
);
const NS_ROOTLESS: &str = r#""namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"}],"#;

const TAIL: &str = concat!(
    r#""maskedPaths":["/proc/acpi","/proc/asound","/proc/kcore","/proc/keys","/proc/latency_stats","#,
    r#""/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/sys/firmware","/proc/scsi"],"#,
    r#""readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}"#,
);

/// `"KEY":[{"containerID":0,"hostID":HOST,"size":1}],`
fn id_map(out: &mut Vec<u8>, key: &str, host: u32) {
    let mut buf = [0u8; 20];
    for part in [b"\"", key.as_bytes(), b"\":[{\"containerID\":0,\"hostID\":", crate::rt::dec(host.into(), &mut buf)] {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b",\"size\":1}],");
}

/// The default config.json, compact (pretty-print it for the file). `rootless` = (uid, gid).
pub fn default_config(rootless: Option<(u32, u32)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    for part in [r#"{"ociVersion":""#, crate::cli::SPEC_VERSION, HEAD] {
        out.extend_from_slice(part.as_bytes());
    }
    if rootless.is_none() {
        out.extend_from_slice(br#","gid=5""#);
    }
    out.extend_from_slice(SHM.as_bytes());
    out.extend_from_slice(if rootless.is_some() { SYS_ROOTLESS } else { SYS_ROOTFUL }.as_bytes());
    out.extend_from_slice(CGROUP.as_bytes());
    match rootless {
        Some((uid, gid)) => {
            id_map(&mut out, "uidMappings", uid);
            id_map(&mut out, "gidMappings", gid);
            out.extend_from_slice(NS_ROOTLESS.as_bytes());
        }
        None => out.extend_from_slice(NS_ROOTFUL.as_bytes()),
    }
    out.extend_from_slice(TAIL.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variants_are_valid_json() {
        for r in [None, Some((1000, 1001))] {
            let text = default_config(r);
            let doc = crate::json::parse(&text).unwrap();
            assert!(doc.root().members().count() > 5);
        }
        let rootless = default_config(Some((1000, 1001)));
        let s = core::str::from_utf8(&rootless).unwrap();
        assert!(s.contains(r#""uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":1001,"#));
        assert!(!s.contains("gid=5") && !s.contains("network"));
    }
}
