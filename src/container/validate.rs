//! Checks on a parsed config that need no side effects, run by `create` before it makes anything,
//! so a bad config leaves nothing behind. The parser has checked types; here is meaning, and every
//! field rsrun does not implement yet is refused by name: ignoring it would run a container less
//! confined, or otherwise different, from what its owner asked for.
use crate::error::Result;
use crate::spec::{NsType, Spec};

pub fn check(spec: &Spec, no_pivot: bool) -> Result<()> {
    let has = |t: NsType| spec.linux.as_ref().is_some_and(|l| l.namespaces.iter().any(|n| n.kind == t));
    if spec.process.is_none() {
        crate::bail!("process: missing");
    }
    if !has(NsType::Mount) {
        crate::bail!("linux.namespaces: a mount namespace is required");
    }
    if spec.hostname.as_deref().is_some_and(|h| !h.is_empty()) && !has(NsType::Uts) {
        crate::bail!("hostname: setting the hostname needs a new UTS namespace (linux.namespaces)");
    }
    if spec.domainname.as_deref().is_some_and(|h| !h.is_empty()) && !has(NsType::Uts) {
        crate::bail!("domainname: setting the domainname needs a new UTS namespace (linux.namespaces)");
    }
    if let Some(h) = spec.hooks.as_ref() {
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
                    crate::bail!("hooks.{kind}[{i}].path: must be an absolute path, got \"{}\"", hook.path);
                }
                if hook.timeout.is_some_and(|t| t <= 0) {
                    crate::bail!("hooks.{kind}[{i}].timeout: must be greater than zero");
                }
            }
        }
    }
    if let Some(l) = spec.linux.as_ref() {
        let userns = has(NsType::User);
        let userns_new = l.namespaces.iter().any(|n| n.kind == NsType::User && n.path.as_deref().is_none_or(str::is_empty));
        if !userns && (!l.uid_mappings.is_empty() || !l.gid_mappings.is_empty()) {
            crate::bail!("linux.uidMappings: id mappings need a user namespace (linux.namespaces)");
        }
        if userns_new && (l.uid_mappings.is_empty() || l.gid_mappings.is_empty()) {
            crate::bail!("linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
        }
        if l.intel_rdt.is_some() {
            crate::bail!("linux.intelRdt: Intel RDT is not supported");
        }
        if !l.net_devices.is_empty() {
            crate::bail!("linux.netDevices: not supported yet");
        }
        if l.mount_label.as_deref().is_some_and(|s| !s.is_empty()) {
            crate::bail!("linux.mountLabel: SELinux is not supported");
        }
    }
    crate::init::rootfs::validate(spec, no_pivot)?;
    crate::init::process::validate(spec)?;
    Ok(())
}
