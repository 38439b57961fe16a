//! `rsrun features`: what this runtime supports, as runtime-spec's features.md document (indented
//! like runc's). The lists are the single source of truth: the modules that implement them (hooks,
//! mounts, namespaces, capabilities, seccomp) should check configs against these same constants,
//! so the document cannot drift from the behaviour.
use crate::cli::{Global, SPEC_VERSION};
use crate::error::Result;
use crate::json::Writer;

pub const OCI_VERSION_MIN: &str = "1.0.0";

// Each list is one string of space-separated names rather than a `&[&str]`: a `&str` in a table
// costs 16 bytes of pointer and length beside its text, a space one byte (~1 KB over these lists).
pub const HOOKS: &str = "prestart createRuntime createContainer startContainer poststart poststop";

/// Mount options understood in config.json `mounts[].options` (plus `idmap`/`ridmap`, and
/// `tmpcopyup`, which podman sends for tmpfs).
pub const MOUNT_OPTIONS: &str = concat!(
    "acl async atime bind defaults dev diratime dirsync exec idmap iversion ",
    "lazytime loud mand noacl noatime nodev nodiratime noexec noiversion nolazytime ",
    "nomand norelatime nostrictatime nosuid nosymfollow private ratime rbind rdev ",
    "rdiratime relatime remount rexec ridmap rnoatime rnodev rnodiratime rnoexec ",
    "rnorelatime rnostrictatime rnosuid rnosymfollow ro rprivate rrelatime rro rrw ",
    "rshared rslave rstrictatime rsuid rsymfollow runbindable rw shared silent slave ",
    "strictatime suid symfollow sync tmpcopyup unbindable",
);

pub const NAMESPACES: &str = "cgroup ipc mount network pid time user uts";

pub const SECCOMP_ACTIONS: &str = concat!(
    "SCMP_ACT_ALLOW SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD ",
    "SCMP_ACT_LOG SCMP_ACT_NOTIFY SCMP_ACT_TRACE SCMP_ACT_TRAP",
);

pub const SECCOMP_OPERATORS: &str =
    "SCMP_CMP_EQ SCMP_CMP_GE SCMP_CMP_GT SCMP_CMP_LE SCMP_CMP_LT SCMP_CMP_MASKED_EQ SCMP_CMP_NE";

pub const SECCOMP_ARCHS: &str = "SCMP_ARCH_X32 SCMP_ARCH_X86 SCMP_ARCH_X86_64";

pub const SECCOMP_FLAGS: &str =
    "SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW SECCOMP_FILTER_FLAG_TSYNC";

/// A JSON array of the space-separated names in `items`.
fn list(w: &mut Writer, key: &str, items: &str) {
    w.key(key).begin_array();
    for i in items.split(' ') {
        w.str(i);
    }
    w.end_array();
}

fn enabled(w: &mut Writer, key: &str, on: bool) {
    w.key(key).begin_object().field_bool("enabled", on).end_object();
}

/// The features document, compact.
pub fn document() -> alloc::vec::Vec<u8> {
    let mut w = Writer::new();
    w.begin_object().field_str("ociVersionMin", OCI_VERSION_MIN).field_str("ociVersionMax", SPEC_VERSION);
    list(&mut w, "hooks", HOOKS);
    list(&mut w, "mountOptions", MOUNT_OPTIONS);
    w.key("linux").begin_object();
    list(&mut w, "namespaces", NAMESPACES);
    // The table the capability code itself uses (index = capability number).
    w.key("capabilities").begin_array();
    for name in crate::init::caps::NAMES {
        w.str(name);
    }
    w.end_array();
    w.key("cgroup")
        .begin_object()
        .field_bool("v1", true)
        .field_bool("v2", true)
        .field_bool("systemd", true)
        .field_bool("systemdUser", true)
        .field_bool("rdma", false)
        .end_object();
    w.key("seccomp").begin_object().field_bool("enabled", true);
    list(&mut w, "actions", SECCOMP_ACTIONS);
    list(&mut w, "operators", SECCOMP_OPERATORS);
    list(&mut w, "archs", SECCOMP_ARCHS);
    list(&mut w, "knownFlags", SECCOMP_FLAGS);
    list(&mut w, "supportedFlags", SECCOMP_FLAGS);
    w.end_object();
    enabled(&mut w, "apparmor", false);
    enabled(&mut w, "selinux", false);
    enabled(&mut w, "intelRdt", false);
    enabled(&mut w, "netDevices", true);
    w.key("mountExtensions").begin_object();
    enabled(&mut w, "idmap", true);
    w.end_object();
    w.end_object().end_object();
    w.into_bytes()
}

pub fn run(_g: &Global) -> Result<i32> {
    let mut out = super::pretty(&document(), b"    ");
    out.push(b'\n');
    super::print(&out)?;
    Ok(0)
}
