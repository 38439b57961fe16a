//! `linux.sysctl`: validated before clone3 (runc's rules), written after pivot_root.
//!
//! /proc/sys is only partly namespaced, so a key is accepted only when the container has the
//! namespace that makes it its own: IPC keys (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*)
//! need an ipc namespace, net.* a network namespace that is not the host's, kernel.domainname a uts
//! namespace; kernel.hostname is refused (it conflicts with the `hostname` field); anything else is
//! refused. Keys use "." or "/" separators (sysctl.d(5): "net/ipv4/conf/eth0.100/rp_filter").
//!
//! Writes go through the container's /proc checked with fstatfs == PROC_SUPER_MAGIC, and each key is
//! opened below /proc/sys with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV: no symlink and no
//! mount (e.g. a bind over a /proc/sys file) can redirect the write.
use super::masks::proc_fd;
use super::paths::Root;
use crate::bail;
use crate::error::{Context as _, Error, Result};
use crate::spec::{NsType, Spec};
use crate::rt::cs;
use alloc::borrow::Cow;
use alloc::format;
use rustix::fd::{BorrowedFd, RawFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};

const IPC_KEYS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// Checks every `linux.sysctl` key against the namespaces the container will have. Call before
/// clone3 so a bad key creates nothing.
pub fn validate_sysctl(spec: &Spec<'_>) -> Result<()> {
    let Some(linux) = &spec.linux else { return Ok(()) };
    let has = |t: NsType| linux.namespaces.iter().any(|n| n.kind == t);
    let mut host_net: Option<bool> = None;
    for (key, _) in &linux.sysctl {
        let k = dotted(key);
        if k.is_empty() || k.contains('\0') || path_of(key).split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            bail!("invalid key \"{key}\"");
        }
        if IPC_KEYS.contains(&&*k) || k.starts_with("fs.mqueue.") {
            if !has(NsType::Ipc) {
                bail!("sysctl \"{k}\" is not allowed in the hosts ipc namespace");
            }
            continue;
        }
        if k.starts_with("net.") {
            let hostnet = match host_net {
                Some(h) => h,
                None => {
                    let h = match linux.namespaces.iter().find(|n| n.kind == NsType::Network) {
                        None => true,
                        Some(n) => match &n.path {
                            None => false,
                            Some(p) => same_file(p, "/proc/self/ns/net").context("invalid netns path")?,
                        },
                    };
                    *host_net.insert(h)
                }
            };
            if hostnet {
                bail!("sysctl \"{k}\" not allowed in host network namespace");
            }
            continue;
        }
        if has(NsType::Uts) {
            match &*k {
                "kernel.domainname" => continue,
                "kernel.hostname" => {
                    bail!("sysctl \"{k}\" is not allowed as it conflicts with the OCI \"hostname\" field")
                }
                _ => {}
            }
        }
        bail!("sysctl \"{k}\" is not in a separate kernel namespace");
    }
    Ok(())
}

fn same_file(a: &str, b: &str) -> Result<bool> {
    let sa = rustix::fs::stat(cs(a)).context(format_args!("stat {a}"))?;
    let sb = rustix::fs::stat(cs(b)).context(format_args!("stat {b}"))?;
    Ok(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
}

/// The key in "." form: a key whose first separator is "/" has its "." and "/" swapped.
fn dotted(key: &str) -> Cow<'_, str> {
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes()[i] == b'/' => {
            Cow::Owned(key.chars().map(|c| match c { '.' => '/', '/' => '.', c => c }).collect())
        }
        _ => Cow::Borrowed(key),
    }
}

/// The key as a path below /proc/sys.
fn path_of(key: &str) -> Cow<'_, str> {
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes()[i] == b'.' => Cow::Owned(key.replace('.', "/")),
        _ => Cow::Borrowed(key),
    }
}

/// Writes every `linux.sysctl` value (after pivot_root, in the container's namespaces).
pub fn apply(spec: &Spec<'_>, proc: &mut Option<RawFd>) -> Result<()> {
    let Some(linux) = &spec.linux else { return Ok(()) };
    if linux.sysctl.is_empty() {
        return Ok(());
    }
    let proc = proc_fd(&Root::cwd(), proc)?;
    // SAFETY: proc_fd's fd stays open until exec.
    let proc = unsafe { BorrowedFd::borrow_raw(proc) };
    for (key, value) in &linux.sysctl {
        let path = format!("sys/{}", path_of(key));
        let fd = rustix::fs::openat2(
            proc,
            cs(&path),
            OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_XDEV,
        )
        .context(format_args!("sysctl {key}: open /proc/{path}"))?;
        let n = rustix::io::write(&fd, value.as_bytes()).context(format_args!("sysctl {key}={value}"))?;
        if n != value.len() {
            return Err(Error::msg(format_args!("sysctl {key}={value}: short write")));
        }
        super::sys::release(fd);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Linux, Namespace};
    use alloc::string::ToString;
    use alloc::vec;

    fn spec(ns: &[NsType], key: &'static str) -> Spec<'static> {
        Spec {
            linux: Some(Linux {
                namespaces: ns.iter().map(|&kind| Namespace { kind, path: None }).collect(),
                sysctl: vec![(key.into(), "1".into())],
                ..Linux::default()
            }),
            ..Spec::default()
        }
    }

    #[test]
    fn rules() {
        let err = |ns: &[NsType], k| validate_sysctl(&spec(ns, k)).map_err(|e| e.to_string());
        assert!(err(&[NsType::Network], "net.ipv4.ip_forward").is_ok());
        assert!(err(&[NsType::Network], "net/ipv4/conf/eth0.100/rp_filter").is_ok());
        assert_eq!(
            err(&[], "net.ipv4.ip_forward").unwrap_err(),
            "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace"
        );
        assert!(err(&[NsType::Ipc], "kernel.shmmax").is_ok() && err(&[NsType::Ipc], "fs.mqueue.msg_max").is_ok());
        assert!(err(&[], "kernel.msgmax").unwrap_err().contains("hosts ipc namespace"));
        assert!(err(&[NsType::Uts], "kernel.domainname").is_ok());
        assert!(err(&[NsType::Uts], "kernel.hostname").unwrap_err().contains("conflicts with the OCI \"hostname\""));
        assert!(err(&[NsType::Uts, NsType::Ipc], "kernel.core_pattern").unwrap_err().contains("not in a separate"));
        assert!(err(&[NsType::Network], "net/../kernel/core_pattern").unwrap_err().contains("invalid key"));
        assert!(err(&[NsType::Network], "net..x").unwrap_err().contains("invalid key"));
    }

    #[test]
    fn key_forms() {
        assert_eq!(dotted("net/ipv4/conf/eno2.100/rp_filter"), "net.ipv4.conf.eno2/100.rp_filter");
        assert_eq!(path_of("net.ipv4.ip_forward"), "net/ipv4/ip_forward");
        assert_eq!(path_of("net/ipv4/conf/eno2.100/rp_filter"), "net/ipv4/conf/eno2.100/rp_filter");
    }
}
