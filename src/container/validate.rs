//! Checks on a parsed config that need no side effects, run by `create` before it makes anything,
//! so a bad config leaves nothing behind. The parser has checked types; here is meaning, and every
//! field rsrun does not implement yet is refused by name: ignoring it would run a container less
//! confined, or otherwise different, from what its owner asked for.
//!
//! The rules follow runc's validator (libcontainer/configs/validate) and the runtime-spec's MUSTs:
//! - namespaces: a mount namespace is required; `hostname`/`domainname` need a UTS namespace,
//!   id mappings a user namespace and a new user namespace mappings; namespace paths are absolute;
//!   `timeOffsets` name known clocks and do not go with a time namespace joined by path; sysctls
//!   need the namespace that owns them (src/init/sysctl.rs);
//! - ids: with a new user namespace, the process's uid, gid and additionalGids and the `uid=`/`gid=`
//!   options of mounts must be inside the mappings (the kernel refuses them at setresuid/mount time
//!   with a bare EINVAL otherwise);
//! - rootless (rsrun run with an euid other than 0, runc's RootlessEUID): a user namespace is
//!   required, id-mapped mounts are refused;
//! - hooks: absolute paths, no NUL bytes, positive timeouts;
//! - `linux.cgroupsPath`: no NUL byte; with --systemd-cgroup the "slice:prefix:name" form (the
//!   systemd driver's own checks, run before anything is made);
//! - resources that are wrong on every host (memory+swap below memory);
//! - mounts, devices, rootfsPropagation (src/init/rootfs.rs), the process (src/init/process.rs).
//!
//! All of it is CPU work on the parsed config, except the few stats the sysctl, namespace-path and
//! LSM rules need when those fields are set.
use crate::error::{Context, Quoted, Result};
use crate::spec::{IdMapping, NsType, Spec};

/// What validation needs to know about this invocation besides the config.
pub struct Invocation {
    /// `create --no-pivot`.
    pub no_pivot: bool,
    /// The effective uid rsrun runs with: anything but 0 is a rootless container.
    pub euid: u32,
    /// `--systemd-cgroup`: linux.cgroupsPath is "slice:prefix:name".
    pub systemd_cgroup: bool,
}

pub fn check(spec: &Spec, inv: &Invocation) -> Result<()> {
    if spec.process.is_none() {
        crate::bail!("process: missing");
    }
    namespaces(spec)?;
    ids(spec)?;
    if inv.euid != 0 {
        rootless(spec)?;
    }
    hooks(spec)?;
    if let Some(l) = spec.linux.as_ref() {
        if let Some(p) = l.cgroups_path.as_deref() {
            cgroups_path(p, inv.systemd_cgroup)?;
        }
        if let Some(m) = l.resources.as_ref().and_then(|r| r.memory.as_ref())
            && let (Some(limit), Some(swap)) = (m.limit, m.swap)
            && limit > 0
            && swap > 0
            && swap < limit
        {
            crate::bail!("linux.resources.memory.swap: memory+swap limit {swap} is lower than the memory limit {limit}");
        }
        if l.intel_rdt.is_some() {
            crate::bail!("linux.intelRdt: Intel RDT is not supported");
        }
        if l.mount_label.as_deref().is_some_and(|s| !s.is_empty()) {
            crate::bail!("linux.mountLabel: SELinux is not supported");
        }
    }
    super::netdev::validate(spec, inv.euid)?;
    crate::init::rootfs::validate(spec, inv.no_pivot)?;
    crate::init::process::validate(spec)?;
    Ok(())
}

fn has(spec: &Spec, t: NsType) -> bool {
    spec.linux.as_ref().is_some_and(|l| l.namespaces.iter().any(|n| n.kind == t))
}

/// A namespace of type `t` that the container creates (listed without a path).
fn creates(spec: &Spec, t: NsType) -> bool {
    spec.linux
        .as_ref()
        .is_some_and(|l| l.namespaces.iter().any(|n| n.kind == t && n.path.as_deref().is_none_or(str::is_empty)))
}

fn namespaces(spec: &Spec) -> Result<()> {
    if !has(spec, NsType::Mount) {
        crate::bail!("linux.namespaces: a mount namespace is required");
    }
    for (field, value) in [("hostname", &spec.hostname), ("domainname", &spec.domainname)] {
        if value.as_deref().is_some_and(|h| !h.is_empty()) && !has(spec, NsType::Uts) {
            crate::bail!("{field}: setting the {field} needs a new UTS namespace (linux.namespaces)");
        }
    }
    let Some(l) = spec.linux.as_ref() else { return Ok(()) };
    for (i, ns) in l.namespaces.iter().enumerate() {
        if let Some(p) = ns.path.as_deref().filter(|p| !p.is_empty())
            && (!p.starts_with('/') || p.contains('\0'))
        {
            crate::bail!("linux.namespaces[{i}].path: must be an absolute path, got {}", Quoted::str(p));
        }
    }
    let userns = has(spec, NsType::User);
    if !userns && (!l.uid_mappings.is_empty() || !l.gid_mappings.is_empty()) {
        crate::bail!("linux.uidMappings: id mappings need a user namespace (linux.namespaces)");
    }
    if creates(spec, NsType::User) && (l.uid_mappings.is_empty() || l.gid_mappings.is_empty()) {
        crate::bail!("linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
    }
    for (field, maps) in [("linux.uidMappings", &l.uid_mappings), ("linux.gidMappings", &l.gid_mappings)] {
        if let Some(i) = maps.iter().position(|m| m.size == 0) {
            crate::bail!("{field}[{i}].size: must not be 0");
        }
    }
    if !l.time_offsets.is_empty() {
        if has(spec, NsType::Time) && !creates(spec, NsType::Time) {
            crate::bail!("linux.timeOffsets: cannot be set for a time namespace joined by path (linux.namespaces)");
        }
        for (clock, off) in &l.time_offsets {
            if !matches!(&**clock, "monotonic" | "boottime") {
                crate::bail!("linux.timeOffsets: unknown clock {} (monotonic or boottime)", Quoted::str(clock));
            }
            if off.nanosecs >= 1_000_000_000 {
                crate::bail!("linux.timeOffsets.{clock}.nanosecs: must be below 1000000000, got {}", off.nanosecs);
            }
        }
    }
    Ok(())
}

/// Whether container id `id` falls inside one of `maps`.
fn mapped(maps: &[IdMapping], id: u32) -> bool {
    maps.iter().any(|m| id >= m.container_id && u64::from(id - m.container_id) < u64::from(m.size))
}

/// With a new user namespace, every id the container uses must be mapped: setresuid, setgroups and
/// mount(2) refuse unmapped ids with a bare EINVAL, after the container is half made.
fn ids(spec: &Spec) -> Result<()> {
    if !creates(spec, NsType::User) {
        return Ok(());
    }
    let (Some(l), Some(p)) = (spec.linux.as_ref(), spec.process.as_ref()) else { return Ok(()) };
    let (uids, gids) = (&l.uid_mappings[..], &l.gid_mappings[..]);
    if !mapped(uids, p.user.uid) {
        crate::bail!("process.user.uid: {} is not mapped in linux.uidMappings", p.user.uid);
    }
    if !mapped(gids, p.user.gid) {
        crate::bail!("process.user.gid: {} is not mapped in linux.gidMappings", p.user.gid);
    }
    if let Some((i, g)) = p.user.additional_gids.iter().enumerate().find(|(_, g)| !mapped(gids, **g)) {
        crate::bail!("process.user.additionalGids[{i}]: {g} is not mapped in linux.gidMappings");
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        for opt in &m.options {
            let (maps, field, id) = if let Some(v) = opt.strip_prefix("uid=") {
                (uids, "linux.uidMappings", v)
            } else if let Some(v) = opt.strip_prefix("gid=") {
                (gids, "linux.gidMappings", v)
            } else {
                continue;
            };
            // A value that is not a number is the filesystem's business (runc ignores it too).
            if let Some(id) = crate::rt::parse_u32(id)
                && !mapped(maps, id)
            {
                crate::bail!("mounts[{i}] ({}): option {opt}: {id} is not mapped in {field}", m.destination);
            }
        }
    }
    Ok(())
}

/// runc's rootless rules (an unprivileged caller): only a user namespace gives the container the
/// privileges its setup needs, and id-mapped mounts need CAP_SYS_ADMIN in the initial namespace.
fn rootless(spec: &Spec) -> Result<()> {
    if !has(spec, NsType::User) {
        crate::bail!("linux.namespaces: a rootless container (rsrun not run as root) requires a user namespace");
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        if !m.uid_mappings.is_empty() || !m.gid_mappings.is_empty() || m.options.iter().any(|o| o == "idmap" || o == "ridmap") {
            crate::bail!("mounts[{i}] ({}): id-mapped mounts are not supported for rootless containers", m.destination);
        }
    }
    // A single-id gid map is written by the user itself, which needs setgroups denied first.
    if let (Some(l), Some(p)) = (spec.linux.as_ref(), spec.process.as_ref())
        && matches!(&l.gid_mappings[..], [m] if m.size == 1)
        && !p.user.additional_gids.is_empty()
    {
        crate::bail!("process.user.additionalGids: a rootless container with one mapped gid cannot have additional groups (setgroups is denied; map ranges from /etc/subgid)");
    }
    Ok(())
}

fn hooks(spec: &Spec) -> Result<()> {
    let Some(h) = spec.hooks.as_ref() else { return Ok(()) };
    for (kind, list) in [
        ("prestart", &h.prestart),
        ("createRuntime", &h.create_runtime),
        ("createContainer", &h.create_container),
        ("startContainer", &h.start_container),
        ("poststart", &h.poststart),
        ("poststop", &h.poststop),
    ] {
        for (i, hook) in list.iter().enumerate() {
            if !hook.path.starts_with('/') {
                crate::bail!("hooks.{kind}[{i}].path: must be an absolute path, got {}", Quoted::str(&hook.path));
            }
            if hook.path.contains('\0') {
                crate::bail!("hooks.{kind}[{i}].path: contains a NUL byte");
            }
            for (field, strs) in [("args", &hook.args), ("env", &hook.env)] {
                if let Some(j) = strs.iter().position(|s| s.contains('\0')) {
                    crate::bail!("hooks.{kind}[{i}].{field}[{j}]: contains a NUL byte");
                }
            }
            if hook.timeout.is_some_and(|t| t <= 0) {
                crate::bail!("hooks.{kind}[{i}].timeout: must be greater than zero");
            }
        }
    }
    Ok(())
}

/// cgroupfs takes any path (absolute, or relative to rsrun's own cgroup; src/cgroups/detect.rs).
/// The systemd driver names units: "slice:prefix:name", checked here with the driver's own rules
/// (src/cgroups/systemd) before anything is made.
fn cgroups_path(p: &str, systemd: bool) -> Result<()> {
    if p.contains('\0') {
        crate::bail!("linux.cgroupsPath: contains a NUL byte");
    }
    if systemd && !p.is_empty() {
        let (slice, _, _) = crate::cgroups::systemd::names(Some(p), "id", false)?;
        crate::cgroups::systemd::expand_slice(&slice).context("linux.cgroupsPath")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_paths() {
        for ok in ["system.slice:docker:abc", ":rsrun:abc", "a-b.slice:p:n", "machine.slice::x"] {
            assert!(cgroups_path(ok, true).is_ok(), "{ok}");
            assert!(cgroups_path(ok, false).is_ok(), "{ok}");
        }
        for bad in ["/a/b", "a:b", "a:b:c:d", "system:docker:abc", "a/b.slice:p:n", "a--b.slice:p:n", "x.slice:p:", "x.slice:p/q:n"] {
            let e = cgroups_path(bad, true).unwrap_err().to_string();
            assert!(e.starts_with("linux.cgroupsPath: "), "{bad}: {e}");
        }
        assert!(cgroups_path("/a/b", false).is_ok() && cgroups_path("", true).is_ok());
        assert!(cgroups_path("a\0b", false).unwrap_err().to_string().contains("NUL"));
    }

    #[test]
    fn mapping_ranges() {
        let maps = [IdMapping { container_id: 0, host_id: 1000, size: 1 }, IdMapping { container_id: 10, host_id: 5000, size: 5 }];
        assert!(mapped(&maps, 0) && mapped(&maps, 10) && mapped(&maps, 14));
        assert!(!mapped(&maps, 1) && !mapped(&maps, 9) && !mapped(&maps, 15) && !mapped(&[], 0));
        let all = [IdMapping { container_id: 1, host_id: 0, size: u32::MAX }];
        assert!(mapped(&all, u32::MAX) && !mapped(&all, 0));
    }
}
