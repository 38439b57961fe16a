//! The container's filesystem view: mounts, /dev, pivot_root, masked and readonly paths.
//!
//! Call order (see `init/mod.rs`):
//!   * `validate` (and its part `validate_sysctl`) in `create`, before anything is made;
//!   * `prepare` in `create` before clone3 (id-mapped mounts only; free otherwise);
//!   * `setup` in the init, in its new namespaces: root propagation, rootfs bind, `mounts[]`,
//!     /dev, process.cwd, the `before_pivot` callback (createContainer hooks), pivot_root;
//!   * `finish` in the init after hostname/domainname: sysctl, readonly paths, masked paths,
//!     read-only root, rootfsPropagation.
//!
//! Contracts with the rest of the init: setup leaves the cwd at the container's root (finish
//! resolves paths from it) and the umask as it found it; temporary fds are O_CLOEXEC and left open
//! for `process::apply`'s close_range (see `sys.rs`). Without a mount namespace (runc would mount
//! into the host's namespace) only a plain chroot is allowed: `validate` refuses mounts, masked and
//! readonly paths, a read-only root and rootfsPropagation.
use super::Context;
use super::dev;
use super::masks;
use super::mount_opts::{self, PROPAGATION};
use super::mountinfo;
use super::mounts::{self, Mounter};
use super::paths::{self, PATH_FLAGS, Root};
use super::sys::{self, Attr};
use crate::bail;
use crate::error::{Context as _, Quoted, Result};
use crate::spec::{NsType, Spec};
use crate::rt::cs;
use linux_raw_sys::general as g;
use rustix::fd::BorrowedFd;
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountPropagationFlags, UnmountFlags};

pub use super::idmap::{Prepared, prepare};
pub use super::mount_opts::known_options;
pub use super::sysctl::validate_sysctl;

fn has_mount_ns(spec: &Spec<'_>) -> bool {
    spec.linux.as_ref().is_some_and(|l| l.namespaces.iter().any(|n| n.kind == NsType::Mount))
}

/// Builds the container's filesystem and enters it. Runs in the init, already in its namespaces,
/// as root there; `prepared` comes from `prepare` (default when no mount is id-mapped). With
/// `process.terminal`, returns the container's pty, its slave already bound over /dev/console.
pub fn setup(
    ctx: &Context<'_, '_>,
    prepared: &Prepared,
    before_pivot: &mut dyn FnMut() -> Result<()>,
) -> Result<Option<crate::tty::Pty>> {
    let spec = ctx.spec;
    let terminal = spec.process.as_ref().is_some_and(|p| p.terminal);
    if !has_mount_ns(spec) {
        if terminal {
            bail!("process.terminal: a terminal needs a mount namespace (for /dev/console)");
        }
        return chroot_only(ctx, before_pivot).map(|()| None);
    }
    let p = crate::trace::phase("mounts");
    // Mode bits from the config are exact (device nodes 0666, directories 0755).
    let old_umask = rustix::process::umask(Mode::empty());
    // Nothing done from here on may propagate to the host; rootfsPropagation is applied in finish.
    rustix::mount::mount_change(c"/", MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC)
        .context("make / rslave")?;
    // pivot_root needs the new root to be a mount point.
    // The first use of root.path: a missing one fails here, a file (which binds) at the open.
    rustix::mount::mount_bind_recursive(cs(ctx.rootfs), cs(ctx.rootfs))
        .context(format_args!("root.path: {} (bind onto itself)", ctx.rootfs))?;
    let mut mt = Mounter::new(ctx, Root::open(ctx.rootfs)?, prepared);
    for (i, m) in spec.mounts.iter().enumerate() {
        mt.mount(i, m)?;
    }
    drop(p);
    if dev::needs_setup(spec) {
        let _p = crate::trace::phase("devices");
        dev::setup(&mut mt).context("set up /dev")?;
    }
    let pty = if terminal { Some(super::console::setup(&mut mt)?) } else { None };
    make_cwd(&mt.root, spec)?;
    // Hooks get the umask rsrun was started with; without hooks the process setup sets the
    // container's own umask later anyway.
    if spec.hooks.is_some() {
        rustix::process::umask(old_umask);
    }
    // createContainer hooks run with the rootfs as their cwd, as in runc.
    rustix::process::fchdir(mt.root.fd()).context("chdir to the rootfs")?;
    before_pivot()?;
    let _p = crate::trace::phase("pivot_root");
    if ctx.no_pivot {
        move_root(ctx.rootfs)?;
    } else {
        rustix::process::pivot_root(c".", c".").context("pivot_root")?;
        // The old root is now stacked on the new one at "/" (a joiner of the namespace lands on the
        // new root once it is gone; tested). It is rslave: the unmount does not reach the host.
        rustix::mount::unmount(c"/", UnmountFlags::DETACH).context("unmount the old root")?;
    }
    for &fd in &mt.delayed_ro {
        // SAFETY: delayed_ro fds stay open until exec.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        sys::mount_setattr(fd, false, &Attr { set: g::MOUNT_ATTR_RDONLY, ..Attr::default() })
            .context("make a tmpfs read-only")?;
    }
    mt.root.leak();
    Ok(pty)
}

/// After hostname/domainname: sysctl, readonly paths, masked paths, read-only root, rootfsPropagation.
pub fn finish(ctx: &Context<'_, '_>) -> Result<()> {
    let spec = ctx.spec;
    let mut proc = None;
    super::sysctl::apply(spec, &mut proc)?;
    if !has_mount_ns(spec) {
        return Ok(());
    }
    let _p = crate::trace::phase("masks");
    if let Some(linux) = &spec.linux {
        let mut proc_names = super::proc_names::ProcNames::default();
        masks::readonly_paths(&linux.readonly_paths, &mut proc_names)?;
        masks::masked_paths(&linux.masked_paths, &mut proc, mounts_procfs(spec), &mut proc_names)?;
    }
    if spec.root.as_ref().is_some_and(|r| r.readonly) {
        masks::readonly_root()?;
    }
    if let Some(p) = spec.linux.as_ref().and_then(|l| l.rootfs_propagation.as_deref()) {
        // Everything is rslave already (setup): only other kinds need a change.
        let flags = propagation_flags(p)?;
        if flags & g::MS_SLAVE == 0 {
            rustix::mount::mount_change(c"/", MountPropagationFlags::from_bits_retain(flags))
                .context(format_args!("set rootfsPropagation {p}"))?;
        }
    }
    Ok(())
}

/// Whether setup put a procfs on /proc: every mount the config makes there is one (`check` refuses
/// a new filesystem of another type, `mounts.rs` a bind of anything but a procfs), nothing can
/// cover /proc (no mount over "/"; only files lxcfs emulates inside it), and setup fails if the
/// mount does.
fn mounts_procfs(spec: &Spec<'_>) -> bool {
    spec.mounts.iter().any(|m| paths::clean(&m.destination) == "proc")
}

fn propagation_flags(word: &str) -> Result<u32> {
    match PROPAGATION.get(word) {
        Some(&p) => Ok(p),
        None => bail!("linux.rootfsPropagation: {} is not supported", Quoted::str(word)),
    }
}

/// runc creates process.cwd when it is missing (inside the container, mode 0755).
fn make_cwd(root: &Root, spec: &Spec<'_>) -> Result<()> {
    let Some(p) = &spec.process else { return Ok(()) };
    let rel = paths::clean(&p.cwd);
    if rel.is_empty() {
        return Ok(());
    }
    let fd = match root.open_at(&rel, PATH_FLAGS | OFlags::DIRECTORY, false) {
        Err(Errno::NOENT) => root.mkdir_all(&rel).context(format_args!("process.cwd {}", p.cwd)),
        r => r.context(format_args!("process.cwd {}", p.cwd)),
    }?;
    sys::release(fd);
    Ok(())
}

/// --no-pivot: MS_MOVE the rootfs over "/" and chroot. Full procfs and sysfs mounts of the host are
/// detached first (runc does the same), because a chrooted process could otherwise reach them.
fn move_root(rootfs: &str) -> Result<()> {
    let info = sys::read_file(CWD, "/proc/self/mountinfo")?;
    let info = core::str::from_utf8(&info).unwrap_or("");
    let mut hide = alloc::vec::Vec::new();
    // mountinfo lists parents before children: unmounting in reverse order never skips a covered one.
    for e in mountinfo::parse(info) {
        let inside = e.mount_point.len() > rootfs.len()
            && e.mount_point.starts_with(rootfs)
            && e.mount_point.as_bytes()[rootfs.len()] == b'/';
        if e.root == "/" && matches!(e.fstype, "proc" | "sysfs") && !inside && e.mount_point != rootfs {
            hide.push(alloc::string::String::from(&*e.mount_point));
        }
    }
    for p in hide.iter().rev() {
        match rustix::mount::unmount(cs(p), UnmountFlags::DETACH) {
            Ok(()) | Err(Errno::NOENT | Errno::INVAL) => {}
            Err(Errno::PERM) => rustix::mount::mount(c"tmpfs", cs(p), c"tmpfs", rustix::mount::MountFlags::empty(), None)
                .context(format_args!("cover {p}"))?,
            Err(e) => return Err(e).context(format_args!("unmount {p}")),
        }
    }
    rustix::mount::mount_move(c".", c"/").context("move the rootfs to /")?;
    rustix::process::chroot(c".").context("chroot")
}

/// No mount namespace: runc would mount into the host's namespace; rsrun only chroots (validate
/// refuses configs that need more).
fn chroot_only(ctx: &Context<'_, '_>, before_pivot: &mut dyn FnMut() -> Result<()>) -> Result<()> {
    rustix::process::chdir(cs(ctx.rootfs)).context(format_args!("root.path: {} (chdir)", ctx.rootfs))?;
    before_pivot()?;
    rustix::process::chroot(c".").context("chroot")?;
    make_cwd(&Root::cwd(), ctx.spec)
}

/// Checks everything about the filesystem that can be checked before clone3; `no_pivot` is
/// `--no-pivot`. Includes `validate_sysctl`.
pub fn validate(spec: &Spec<'_>, no_pivot: bool) -> Result<()> {
    let linux = spec.linux.as_ref();
    let mount_ns = has_mount_ns(spec);
    if spec.root.as_ref().is_none_or(|r| r.path.is_empty()) {
        bail!("root.path must be specified");
    }
    if let Some(p) = linux.and_then(|l| l.rootfs_propagation.as_deref()) {
        let flags = propagation_flags(p)?;
        if no_pivot && flags & g::MS_PRIVATE != 0 {
            bail!("linux.rootfsPropagation: [r]private is not safe without pivot_root (--no-pivot)");
        }
    }
    if !mount_ns {
        let l = linux.map(|l| (l.masked_paths.len(), l.readonly_paths.len(), l.rootfs_propagation.is_some()));
        if let Some((m, r, _)) = l
            && m + r > 0
        {
            bail!("unable to restrict sys entries without a private MNT namespace");
        }
        if !spec.mounts.is_empty() {
            bail!("mounts need a private mount namespace (add {{\"type\": \"mount\"}} to linux.namespaces)");
        }
        if spec.root.as_ref().is_some_and(|r| r.readonly) {
            bail!("unable to make rootfs read-only without a private MNT namespace");
        }
        if l.is_some_and(|l| l.2) {
            bail!("linux.rootfsPropagation: needs a private MNT namespace");
        }
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        validate_mount(spec, m).context(format_args!("mounts[{i}] ({})", m.destination))?;
    }
    for (i, d) in linux.map_or(&[][..], |l| &l.devices).iter().enumerate() {
        let ok_kind = matches!(&*d.kind, "c" | "b" | "u" | "p");
        if !ok_kind {
            bail!("linux.devices[{i}]: invalid device type \"{}\"", d.kind);
        }
        if paths::clean(&d.path).is_empty() || d.path.contains('\0') {
            bail!("linux.devices[{i}]: invalid path \"{}\"", d.path);
        }
        if d.kind != "p" && (u32::try_from(d.major).is_err() || u32::try_from(d.minor).is_err()) {
            bail!("linux.devices[{i}]: invalid major/minor {}:{}", d.major, d.minor);
        }
    }
    validate_sysctl(spec).context("linux.sysctl")
}

fn validate_mount(spec: &Spec<'_>, m: &crate::spec::Mount<'_>) -> Result<()> {
    let fstype = m.kind.as_deref().unwrap_or("");
    let src = m.source.as_deref().unwrap_or("");
    if [&*m.destination, fstype, src].iter().any(|s| s.contains('\0')) || m.options.iter().any(|o| o.contains('\0')) {
        bail!("mount field contains null byte");
    }
    let dest = paths::clean(&m.destination);
    if dest.is_empty() {
        bail!("invalid destination \"{}\"", m.destination);
    }
    let opts = mount_opts::parse(&m.options);
    let bind = opts.is_bind() || fstype == "bind";
    if bind {
        if src.is_empty() {
            bail!("bind mount without a source");
        }
        if !opts.data.is_empty() {
            bail!("bind mounts cannot have any filesystem-specific options applied ({})", opts.data);
        }
    } else if fstype.is_empty() {
        bail!("no type given and not a bind mount");
    }
    if !mounts::proc_destination_allowed(&dest) {
        bail!("\"/{dest}\" cannot be mounted because it is inside /proc");
    }
    if dest == "proc" && !bind && fstype != "proc" {
        bail!("\"/proc\" cannot be mounted because it is not of type proc");
    }
    if super::idmap::wants_idmap(&opts, &m.uid_mappings, &m.gid_mappings) {
        if !bind {
            bail!("id-mapped mounts are only supported for bind-mounts");
        }
        let (uid, gid) = if m.uid_mappings.is_empty() && m.gid_mappings.is_empty() {
            let l = spec.linux.as_ref();
            let joins = l.is_some_and(|l| l.namespaces.iter().any(|n| n.kind == NsType::User && n.path.is_some()));
            if joins {
                return Ok(());
            }
            l.map_or((&[][..], &[][..]), |l| (&l.uid_mappings[..], &l.gid_mappings[..]))
        } else {
            (&m.uid_mappings[..], &m.gid_mappings[..])
        };
        if uid.is_empty() || gid.is_empty() {
            bail!("id-mapped mounts must have both uid and gid mappings specified");
        }
        if uid.iter().chain(gid).any(|x| x.size == 0) {
            bail!("id-mapped mounts: mapping size must not be 0");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Device, Linux, Mount, Namespace, Root as SpecRoot};
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;

    fn base(mounts: Vec<Mount<'static>>) -> Spec<'static> {
        Spec {
            root: Some(SpecRoot { path: "rootfs".into(), readonly: false }),
            mounts,
            linux: Some(Linux {
                namespaces: vec![Namespace { kind: NsType::Mount, path: None }],
                ..Linux::default()
            }),
            ..Spec::default()
        }
    }

    fn mnt(dest: &'static str, kind: Option<&'static str>, src: &'static str, opts: &[&'static str]) -> Mount<'static> {
        Mount {
            destination: dest.into(),
            kind: kind.map(Into::into),
            source: Some(src.into()),
            options: opts.iter().map(|&o| o.into()).collect(),
            ..Mount::default()
        }
    }

    fn check(spec: &Spec<'_>) -> core::result::Result<(), alloc::string::String> {
        validate(spec, false).map_err(|e| e.to_string())
    }

    #[test]
    fn mounts_rules() {
        assert!(check(&base(vec![mnt("/proc", Some("proc"), "proc", &[])])).is_ok());
        assert!(check(&base(vec![mnt("/proc/sys", Some("tmpfs"), "x", &[])])).unwrap_err().contains("inside /proc"));
        assert!(check(&base(vec![mnt("/proc/meminfo", None, "/x", &["bind"])])).is_ok());
        assert!(check(&base(vec![mnt("/proc", Some("tmpfs"), "x", &[])])).unwrap_err().contains("not of type proc"));
        assert!(check(&base(vec![mnt("/x", None, "/y", &["rbind", "mode=755"])])).unwrap_err().contains("filesystem-specific"));
        assert!(check(&base(vec![mnt("/x", None, "y", &[])])).unwrap_err().contains("no type"));
        assert!(check(&base(vec![mnt("/x", Some("tmpfs"), "t", &["idmap"])])).unwrap_err().contains("only supported for bind"));
        assert!(check(&base(vec![mnt("/x", None, "/y", &["bind", "idmap"])])).unwrap_err().contains("both uid and gid"));
        assert!(check(&base(vec![mnt("/", Some("tmpfs"), "t", &[])])).unwrap_err().contains("invalid destination"));
        let mut s = base(vec![]);
        s.linux.as_mut().unwrap().rootfs_propagation = Some("bogus".into());
        assert_eq!(check(&s).unwrap_err(), "linux.rootfsPropagation: \"bogus\" is not supported");
        s.linux.as_mut().unwrap().rootfs_propagation = Some("rprivate".into());
        assert!(check(&s).is_ok());
        assert!(validate(&s, true).unwrap_err().to_string().contains("not safe without pivot_root"));
    }

    #[test]
    fn no_mount_namespace() {
        let mut s = base(vec![mnt("/proc", Some("proc"), "proc", &[])]);
        s.linux.as_mut().unwrap().namespaces.clear();
        assert!(check(&s).unwrap_err().contains("private mount namespace"));
        s.mounts.clear();
        assert!(check(&s).is_ok());
        s.linux.as_mut().unwrap().masked_paths = vec!["/proc/kcore".into()];
        assert_eq!(check(&s).unwrap_err(), "unable to restrict sys entries without a private MNT namespace");
    }

    #[test]
    fn devices_rules() {
        let mut s = base(vec![]);
        s.linux.as_mut().unwrap().devices = vec![Device { kind: "x".into(), path: "/dev/x".into(), ..Device::default() }];
        assert!(check(&s).unwrap_err().contains("invalid device type"));
        s.linux.as_mut().unwrap().devices = vec![Device { kind: "c".into(), path: "/dev/x".into(), major: -1, ..Device::default() }];
        assert!(check(&s).unwrap_err().contains("major/minor"));
    }
}
