//! LSM labels for the container process: `process.apparmorProfile` and `process.selinuxLabel`.
//!
//! Both are exec-time transitions: the init writes the label to its own attribute file and the kernel
//! applies it at execve. The writes go through the verified procfs handle (`procfs`), to the
//! per-thread file (`thread-self`, what runc uses; the attribute is per task). A label on a host
//! without that LSM is refused before clone3 with an error naming the field, rather than with the
//! kernel's EINVAL on the write ("write /proc/self/attr/exec: invalid argument", runc 1.1).
use crate::bail;
use crate::error::{Quoted, Result};
use crate::procfs::Procfs;
use alloc::format;
use rustix::fs::{Mode, OFlags};

/// `SELINUX_MAGIC` (`<linux/magic.h>`): the selinuxfs superblock.
const SELINUX_MAGIC: u32 = 0xf97c_ff8c;

/// AppArmor is enabled when /sys/module/apparmor/parameters/enabled starts with 'Y' (open, read, close:
/// 3 syscalls, only when a profile is configured).
pub fn apparmor_enabled() -> bool {
    let Ok(fd) = rustix::fs::open(
        c"/sys/module/apparmor/parameters/enabled",
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    ) else {
        return false;
    };
    let mut b = [0u8; 4];
    matches!(rustix::io::read(&fd, &mut b), Ok(n) if n > 0 && b[0] == b'Y')
}

/// SELinux is enabled when selinuxfs is mounted at /sys/fs/selinux (one statfs).
pub fn selinux_enabled() -> bool {
    matches!(rustix::fs::statfs(c"/sys/fs/selinux"), Ok(st) if st.f_type as u32 == SELINUX_MAGIC)
}

/// Checks a label's text (the attribute files take one line) and that the host has the LSM.
pub fn validate(apparmor: Option<&str>, selinux: Option<&str>) -> Result<()> {
    if let Some(p) = apparmor.filter(|p| !p.is_empty()) {
        if p.contains(['\0', '\n']) {
            bail!("process.apparmorProfile: invalid profile name {}", Quoted::str(p));
        }
        if !apparmor_enabled() {
            bail!("process.apparmorProfile: AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled)");
        }
    }
    if let Some(l) = selinux.filter(|l| !l.is_empty()) {
        if l.contains(['\0', '\n']) {
            bail!("process.selinuxLabel: invalid label {}", Quoted::str(l));
        }
        if !selinux_enabled() {
            bail!("process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported");
        }
    }
    Ok(())
}

/// Asks AppArmor to switch to `profile` at the next execve ("exec <profile>").
pub fn apply_apparmor(proc: &Procfs, profile: &str) -> Result<()> {
    let cmd = format!("exec {profile}");
    proc.write_first(&["thread-self/attr/apparmor/exec", "thread-self/attr/exec"], cmd.as_bytes())
        .map_err(|e| e.context("process.apparmorProfile"))
}

/// Asks SELinux to run the next execve with `label`.
pub fn apply_selinux(proc: &Procfs, label: &str) -> Result<()> {
    proc.write("thread-self/attr/exec", label.as_bytes()).map_err(|e| e.context("process.selinuxLabel"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn labels_on_a_host_without_the_lsm() {
        // This VM has neither LSM; on a host with one, only the text checks apply.
        if !apparmor_enabled() {
            assert_eq!(
                validate(Some("docker-default"), None).unwrap_err().to_string(),
                "process.apparmorProfile: AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled)"
            );
        }
        if !selinux_enabled() {
            assert_eq!(
                validate(None, Some("system_u:system_r:container_t:s0")).unwrap_err().to_string(),
                "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported"
            );
        }
        assert!(validate(Some(""), Some("")).is_ok(), "empty means unset");
        assert_eq!(validate(Some("a\nb"), None).unwrap_err().to_string(), "process.apparmorProfile: invalid profile name \"a\\nb\"");
    }
}
