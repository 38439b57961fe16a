//! The new user namespace's id maps, written by `create` after clone3 (the init waits for them),
//! and the rootless rules for the container's cgroup.
//!
//! As root the maps are written straight to /proc/PID/{uid,gid}_map. An unprivileged caller may
//! write only a map of its own euid/egid, and gid_map only once /proc/PID/setgroups says "deny"
//! (so the container can never drop a group the user has on the host); the init then skips
//! setgroups. Any other map (ranges from /etc/subuid and /etc/subgid) is written by the setuid
//! helpers newuidmap/newgidmap (package uidmap), which check the ranges, as runc and crun do.
//!
//! Cgroups of a rootless container (runc's rules): the cgroup is made only where the user may
//! write (a delegated subtree); on a permission error, and without an explicit linux.cgroupsPath,
//! the container runs without a cgroup of its own, and a resource limit in the config is then
//! refused with an error naming it. Device rules are not applied (devices are bind mounts of the
//! host's nodes, which the user can open anyway, and loading a device filter needs privilege).
use crate::error::{Context, Error, Result};
use crate::spec::{IdMapping, Resources, Spec};
use alloc::string::String;
use core::fmt::Write;

/// Writes uid_map and gid_map of the init `pid` (with setgroups denied when an unprivileged caller
/// writes its own gid: validate.rs refuses additionalGids then, and the init skips setgroups).
pub fn write_id_maps(spec: &Spec, pid: i32, euid: u32) -> Result<()> {
    let linux = spec.linux.as_ref().ok_or_else(|| Error::msg("linux: missing"))?;
    let proc = crate::procfs::Procfs::open()?;
    let egid = if euid == 0 { 0 } else { rustix::process::getegid().as_raw() };
    for (file, maps, own) in [("uid_map", &linux.uid_mappings, euid), ("gid_map", &linux.gid_mappings, egid)] {
        let field = if file == "uid_map" { "linux.uidMappings" } else { "linux.gidMappings" };
        let only_own = matches!(&maps[..], [m] if m.host_id == own && m.size == 1);
        if euid != 0 && !only_own {
            helper(if file == "uid_map" { "newuidmap" } else { "newgidmap" }, pid, maps).context(field)?;
            continue;
        }
        if euid != 0 && file == "gid_map" {
            proc.write(&alloc::format!("{pid}/setgroups"), b"deny").context("write setgroups \"deny\"")?;
        }
        let mut text = String::new();
        for m in maps.iter() {
            let _ = writeln!(text, "{} {} {}", m.container_id, m.host_id, m.size);
        }
        proc.write(&alloc::format!("{pid}/{file}"), text.as_bytes()).context(field)?;
    }
    Ok(())
}

/// Runs `newuidmap PID ID HOSTID SIZE...` (or newgidmap) from PATH and waits for it.
fn helper(name: &str, pid: i32, maps: &[IdMapping]) -> Result<()> {
    use crate::rt::cstrs::CStrs;
    let dirs = crate::rt::getenv(b"PATH").unwrap_or(b"/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    let path = dirs
        .split(|&b| b == b':')
        .filter(|d| d.starts_with(b"/"))
        .map(|d| alloc::format!("{}/{name}", crate::rt::lossy(d)))
        .find(|p| rustix::fs::access(crate::rt::cs(p), rustix::fs::Access::EXEC_OK).is_ok())
        .ok_or_else(|| Error::msg(format_args!("{name} not found in PATH: install the uidmap package to map more than your own id")))?;
    let mut argv = CStrs::new();
    let mut args = alloc::format!("{name} {pid}");
    for m in maps {
        let _ = write!(args, " {} {} {}", m.container_id, m.host_id, m.size);
    }
    for a in args.split(' ') {
        let _ = argv.push(a.as_bytes());
    }
    let mut path_c = CStrs::new();
    let _ = path_c.push(path.as_bytes());
    let p = path_c.finish()[0];
    // SAFETY: `p` points into `path_c`, a NUL-terminated string alive until the end of this function.
    let cpath = unsafe { core::ffi::CStr::from_ptr(p) };
    let child = crate::spawn::spawn(cpath, argv.finish(), &[core::ptr::null()], Default::default())?;
    match child.wait()? {
        Some(s) if s.exit_status() == Some(0) => Ok(()),
        Some(s) => Err(Error::msg(format_args!("{args}: {}", crate::spawn::describe(&s)))),
        None => Err(Error::msg(format_args!("{args}: no exit status"))),
    }
}

/// What a failure `e` to make a rootless container's cgroup means. Ok: run without a cgroup of
/// its own (a permission error, no explicit linux.cgroupsPath, no resource limit: runc's rule).
/// Else the error to report: a permission error with a resource limit names the limit's field,
/// whether or not linux.cgroupsPath is explicit (the user cares that the limit cannot hold).
pub fn without_cgroup(e: Error, cgroups_path: Option<&str>, resources: Option<&Resources<'_>>) -> Result<()> {
    use rustix::io::Errno;
    if !matches!(e.errno(), Some(Errno::ACCESS | Errno::PERM | Errno::ROFS)) {
        return Err(e);
    }
    if let Some(field) = resources.and_then(limit_field) {
        crate::bail!("{field}: a rootless container can set no resource limits without a cgroup it may write ({e})");
    }
    if cgroups_path.is_none_or(str::is_empty) { Ok(()) } else { Err(e) }
}

/// The first resource limit `r` sets (device rules aside), as the config field that names it.
pub fn limit_field(r: &Resources<'_>) -> Option<&'static str> {
    let set = |v: Option<i64>| v.is_some_and(|v| v > 0);
    if let Some(m) = &r.memory
        && (set(m.limit) || set(m.reservation) || set(m.swap) || set(m.kernel) || set(m.kernel_tcp) || m.swappiness.is_some()
            || m.disable_oom_killer == Some(true))
    {
        return Some("linux.resources.memory");
    }
    if let Some(c) = &r.cpu
        && (c.shares.is_some_and(|v| v > 0) || set(c.quota) || c.period.is_some_and(|v| v > 0) || c.burst.is_some()
            || set(c.realtime_runtime) || c.cpus.as_deref().is_some_and(|s| !s.is_empty())
            || c.mems.as_deref().is_some_and(|s| !s.is_empty()) || c.idle.is_some())
    {
        return Some("linux.resources.cpu");
    }
    if r.pids.as_ref().is_some_and(|p| p.limit > 0) {
        return Some("linux.resources.pids");
    }
    if let Some(b) = &r.block_io
        && (b.weight.is_some_and(|w| w > 0) || b.leaf_weight.is_some_and(|w| w > 0) || !b.weight_device.is_empty()
            || !b.throttle_read_bps_device.is_empty() || !b.throttle_write_bps_device.is_empty()
            || !b.throttle_read_iops_device.is_empty() || !b.throttle_write_iops_device.is_empty())
    {
        return Some("linux.resources.blockIO");
    }
    [
        (!r.hugepage_limits.is_empty(), "linux.resources.hugepageLimits"),
        (r.network.as_ref().is_some_and(|n| n.class_id.is_some() || !n.priorities.is_empty()), "linux.resources.network"),
        (!r.rdma.is_empty(), "linux.resources.rdma"),
        (!r.unified.is_empty(), "linux.resources.unified"),
    ]
    .into_iter()
    .find_map(|(on, f)| on.then_some(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Cpu, Memory, Pids};

    #[test]
    fn limits_that_need_a_cgroup() {
        let mut r = Resources::default();
        assert_eq!(limit_field(&r), None);
        // Device rules and "unset" values (0, -1 pids) need no cgroup.
        r.devices.push(Default::default());
        r.memory = Some(Memory { limit: Some(0), ..Memory::default() });
        r.pids = Some(Pids { limit: -1 });
        r.cpu = Some(Cpu { shares: Some(0), ..Cpu::default() });
        assert_eq!(limit_field(&r), None);
        r.pids = Some(Pids { limit: 10 });
        assert_eq!(limit_field(&r), Some("linux.resources.pids"));
        r.memory = Some(Memory { limit: Some(1 << 20), ..Memory::default() });
        assert_eq!(limit_field(&r), Some("linux.resources.memory"));
    }

    #[test]
    fn only_permission_errors_without_a_path_or_limits_mean_no_cgroup() {
        use alloc::string::ToString;
        let denied = || Error::sys("mkdir /sys/fs/cgroup/x", rustix::io::Errno::ACCESS);
        assert!(without_cgroup(denied(), None, None).is_ok() && without_cgroup(denied(), Some(""), None).is_ok());
        assert!(without_cgroup(denied(), Some("/mine"), None).is_err());
        assert!(without_cgroup(Error::sys("mkdir", rustix::io::Errno::NOSPC), None, None).is_err());
        // A limit is refused naming its field, with or without an explicit cgroupsPath.
        let r = Resources { pids: Some(Pids { limit: 10 }), ..Resources::default() };
        for path in [None, Some("/mine")] {
            let msg = without_cgroup(denied(), path, Some(&r)).unwrap_err().to_string();
            assert!(msg.starts_with("linux.resources.pids: ") && msg.contains("Permission denied"), "{msg}");
        }
    }
}
