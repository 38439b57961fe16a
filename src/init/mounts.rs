//! `mounts[]`: each entry mounted on an in-root target, in order, as runc does.
//!
//! Filesystems (proc, tmpfs, devpts, mqueue, sysfs, overlay, ...) use classic mount(2) on
//! `/proc/self/fd/N` of the target's O_PATH fd: one syscall, flags and data included. Bind mounts
//! without attributes do the same; bind mounts with attributes, propagation or an id mapping are
//! cloned with open_tree, given their attributes with mount_setattr while still detached (no window
//! where the mount is visible without "ro"), then attached with move_mount. `cgroup` is in
//! `cgroup.rs`, `tmpcopyup` in `copyup.rs`.
//!
//! Syscall economy: a tmpfs this init just mounted is empty and unreachable by anyone else, so a
//! target directly inside it (/dev/pts, /dev/shm, ...) is created with mkdirat on the tmpfs root's fd
//! and mounted through `/proc/self/fd/N/name` without another lookup ("fresh" mounts below).
use super::Context;
use super::idmap::Prepared;
use super::mount_opts::{self, MountOpts};
use super::paths::{self, Create, PATH_FLAGS, Root};
use super::sys::{self, Attr, leak, release};
use crate::bail;
use crate::error::{Context as _, Error, Result};
use crate::rt::cs;
use crate::spec::Mount;
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use rustix::fs::{AtFlags, CWD, OFlags, StatxFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MoveMountFlags, OpenTreeFlags};

/// Destinations whose target must be a real directory reached without symlinks: proc and sysfs
/// (CVE-2019-19921, CVE-2023-27561) and /dev, where device nodes go (a /dev symlink must not put them
/// anywhere else).
pub fn is_strict(dest: &str) -> bool {
    matches!(dest, "proc" | "sys" | "dev")
}

/// Paths under /proc that may be mount destinations (files lxcfs emulates), as runc allows.
const PROC_ALLOWED: &[&str] = &[
    "proc/cpuinfo",
    "proc/diskstats",
    "proc/meminfo",
    "proc/stat",
    "proc/swaps",
    "proc/uptime",
    "proc/loadavg",
    "proc/slabinfo",
    "proc/net/dev",
    "proc/sys/kernel/ns_last_pid",
    "proc/sys/crypto/fips_enabled",
];

pub fn proc_destination_allowed(dest: &str) -> bool {
    !paths::is_within(dest, "proc") || dest == "proc" || PROC_ALLOWED.contains(&dest)
}

/// A mount target: `dir` itself, or entry `name` of the fresh directory `dir`.
pub struct Target {
    dir: RawFd,
    name: String,
    /// The target's own fd (not a fresh directory's), released when the mount is done.
    owned: Option<OwnedFd>,
    /// The target did not exist and was created (a tmpfs over it then gets runc's default mode).
    pub created: bool,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(fd) = self.owned.take() {
            release(fd);
        }
    }
}

impl Target {
    /// The path mount(2) is given: `/proc/self/fd/N[/name]`.
    pub fn path(&self) -> String {
        if self.name.is_empty() { sys::fd_path(self.dir()) } else { sys::fd_child_path(self.dir(), &self.name) }
    }
    fn dir(&self) -> BorrowedFd<'_> {
        // SAFETY: `dir` is `owned` (alive as long as self) or a fresh directory's fd, which the
        // Mounter never closes before exec.
        unsafe { BorrowedFd::borrow_raw(self.dir) }
    }
    /// Opens the target itself with `flags` (e.g. to read a directory the target covers).
    pub fn reopen(&self, flags: OFlags) -> core::result::Result<OwnedFd, Errno> {
        let name = if self.name.is_empty() { "." } else { self.name.as_str() };
        rustix::fs::openat(self.dir(), cs(name), flags | OFlags::NOFOLLOW | OFlags::CLOEXEC, rustix::fs::Mode::empty())
    }

    /// Attaches the detached tree `tree` here.
    pub fn move_here(&self, tree: BorrowedFd<'_>) -> core::result::Result<(), Errno> {
        let flags = MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH;
        if self.name.is_empty() {
            rustix::mount::move_mount(tree, c"", self.dir(), c"", flags | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH)
        } else {
            rustix::mount::move_mount(tree, c"", self.dir(), cs(&self.name), flags)
        }
    }
}

/// What to create when a mount target is missing.
#[derive(Clone, Copy)]
pub enum Want<'a> {
    Dir,
    /// A directory or a file, like the bind source `path` (relative to the fd; "" for the fd itself).
    Like(BorrowedFd<'a>, &'a str),
}

impl Want<'_> {
    fn resolve(self) -> Result<Create> {
        match self {
            Want::Dir => Ok(Create::Dir),
            Want::Like(fd, path) => source_kind(fd, path),
        }
    }
}

/// A tmpfs mounted by this init that nothing has been mounted over yet.
struct Fresh {
    dest: String,
    strict: bool,
    fd: Option<RawFd>,
}

/// Mount state for one container init, alive from the rootfs bind until after pivot_root.
pub struct Mounter<'c, 's, 'a> {
    pub ctx: &'c Context<'s, 'a>,
    pub root: Root,
    prepared: &'c Prepared,
    fresh: Vec<Fresh>,
    /// Roots of tmpfs and /dev mounts that asked for "ro": mounted rw so targets and device nodes can
    /// be created in them, made read-only after pivot_root (runc's finalizeRootfs).
    pub delayed_ro: Vec<RawFd>,
}

impl<'c, 's, 'a> Mounter<'c, 's, 'a> {
    pub fn new(ctx: &'c Context<'s, 'a>, root: Root, prepared: &'c Prepared) -> Self {
        Mounter { ctx, root, prepared, fresh: Vec::new(), delayed_ro: Vec::new() }
    }

    /// Mounts `mounts[index]`.
    pub fn mount(&mut self, index: usize, m: &Mount<'_>) -> Result<()> {
        let opts = mount_opts::parse(&m.options);
        let dest = paths::clean(&m.destination);
        let fstype = m.kind.as_deref().unwrap_or("");
        let src = m.source.as_deref().unwrap_or("");
        let r = if opts.is_bind() || fstype == "bind" {
            self.bind(index, src, &opts, &dest)
        } else if fstype == "cgroup" {
            super::cgroup::mount(self, src, &opts, &dest)
        } else if fstype == "tmpfs" && opts.copyup {
            super::copyup::mount(self, src, &opts, &dest)
        } else {
            self.filesystem(src, fstype, &opts, &dest)
        };
        r.context(format_args!("mount \"{src}\" on \"/{dest}\""))
    }

    /// A new filesystem instance (proc, tmpfs, devpts, mqueue, sysfs, cgroup2, overlay, ...).
    pub fn filesystem(&mut self, src: &str, fstype: &str, opts: &MountOpts, dest: &str) -> Result<()> {
        let strict = is_strict(dest);
        let tmpfs = fstype == "tmpfs";
        let t = self.target(dest, Want::Dir, strict)?;
        let mut data = Cow::Borrowed(opts.data.as_str());
        if tmpfs && !t.created && opts.flags & g::MS_REMOUNT == 0 && !has_option(&opts.data, "mode") {
            // runc keeps the mode of the directory a tmpfs covers unless "mode=" says otherwise.
            let st = rustix::fs::statx(t.dir(), c"", AtFlags::EMPTY_PATH, StatxFlags::MODE)
                .context("stat target")?;
            let sep = if data.is_empty() { "" } else { "," };
            data = Cow::Owned(format!("mode={:o}{sep}{data}", u32::from(st.stx_mode) & 0o7777));
        }
        let delay_ro = (tmpfs || dest == "dev") && opts.flags & g::MS_RDONLY != 0;
        let flags = opts.flags & !if delay_ro { g::MS_RDONLY } else { 0 };
        let source = if src.is_empty() { fstype } else { src };
        let r = mount(source, &t.path(), fstype, flags, &data);
        if r == Err(Errno::PERM) && fstype == "sysfs" {
            // No sysfs of our own (a user namespace without a network namespace): bind the host's, as
            // runc does.
            let mut bind = opts.clone();
            bind.flags |= g::MS_BIND | g::MS_REC;
            return self.bind_tree("/sys", &bind, dest, None, t);
        }
        r.context("mount")?;
        // A remount changes an existing mount: not an empty one of ours.
        self.mounted(dest, tmpfs && opts.flags & g::MS_REMOUNT == 0, strict);
        self.after_mount(dest, strict, opts, delay_ro)
    }

    /// Propagation, recursive attributes and delayed "ro" of a mount just made at `dest`.
    pub fn after_mount(&mut self, dest: &str, strict: bool, opts: &MountOpts, delay_ro: bool) -> Result<()> {
        if opts.propagation.is_empty() && !opts.has_rec_attrs() && !delay_ro {
            return Ok(());
        }
        let fd = self.mount_root(dest, strict)?;
        // SAFETY: mount_root's fds are never closed before exec.
        apply_post(unsafe { BorrowedFd::borrow_raw(fd) }, opts, true)?;
        if delay_ro {
            self.delayed_ro.push(fd);
        }
        Ok(())
    }

    /// A bind mount of host path `src` (relative: to the bundle).
    fn bind(&mut self, index: usize, src: &str, opts: &MountOpts, dest: &str) -> Result<()> {
        if src.is_empty() {
            bail!("bind mount without a source");
        }
        let src: Cow<'_, str> =
            if src.starts_with('/') { Cow::Borrowed(src) } else { Cow::Owned(format!("{}/{src}", self.ctx.bundle)) };
        if dest == "proc" {
            // Only a procfs may cover /proc (runc's checkProcMount).
            let st = rustix::fs::statfs(cs(&src)).context(format_args!("statfs {src}"))?;
            if st.f_type as u32 != g::PROC_SUPER_MAGIC {
                bail!("\"/proc\" cannot be mounted because it is not of type proc");
            }
        }
        let prepared = self.prepared.get(index);
        let strict = is_strict(dest);
        let plain = prepared.is_none() && !opts.bind_needs_attrs() && !opts.has_rec_attrs() && opts.propagation.is_empty();
        if plain {
            let t = self.target(dest, Want::Like(CWD, &src), strict)?;
            let rec = if opts.is_recursive_bind() { g::MS_REC } else { 0 };
            mount(&src, &t.path(), "", g::MS_BIND | rec, "").context("bind")?;
            self.mounted(dest, false, strict);
            return Ok(());
        }
        let rec = if opts.is_recursive_bind() { OpenTreeFlags::AT_RECURSIVE } else { OpenTreeFlags::empty() };
        let cloned = match prepared {
            Some(_) => None,
            None => Some(
                rustix::mount::open_tree(CWD, cs(&src), OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC | rec)
                    .context(format_args!("open_tree {src}"))?,
            ),
        };
        let tree = match (&cloned, prepared) {
            (Some(fd), _) => fd.as_fd(),
            // SAFETY: the prepared trees' fds stay open (`Prepared` outlives setup).
            (None, Some(raw)) => unsafe { BorrowedFd::borrow_raw(raw) },
            (None, None) => bail!("no mount tree to bind"),
        };
        let t = self.target(dest, Want::Like(tree, ""), strict)?;
        self.bind_tree(&src, opts, dest, Some(tree), t)?;
        if let Some(fd) = cloned {
            release(fd);
        }
        Ok(())
    }

    /// Gives the detached `tree` (cloned from `src` if None) the bind attributes and attaches it at `t`.
    pub fn bind_tree(
        &mut self,
        src: &str,
        opts: &MountOpts,
        dest: &str,
        tree: Option<BorrowedFd<'_>>,
        t: Target,
    ) -> Result<()> {
        let owned;
        let tree = match tree {
            Some(t) => t,
            None => {
                let rec = if opts.is_recursive_bind() { OpenTreeFlags::AT_RECURSIVE } else { OpenTreeFlags::empty() };
                owned = rustix::mount::open_tree(
                    CWD,
                    cs(src),
                    OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC | rec,
                )
                .context(format_args!("open_tree {src}"))?;
                owned.as_fd()
            }
        };
        if opts.bind_needs_attrs() {
            let (set, clr) = mount_opts::bind_attrs(opts, true);
            match sys::mount_setattr(tree, false, &Attr { set, clr, ..Attr::default() }) {
                // A flag is locked (the source came from a less privileged user namespace): keep the
                // source's flags and apply only what was asked, as runc's retry does.
                Err(Errno::PERM) => {
                    let (set, clr) = mount_opts::bind_attrs(opts, false);
                    sys::mount_setattr(tree, false, &Attr { set, clr, ..Attr::default() })
                }
                r => r,
            }
            .context("set mount attributes")?;
        }
        if opts.has_rec_attrs() {
            sys::mount_setattr(tree, true, &Attr { set: opts.rec_set, clr: opts.rec_clr, ..Attr::default() })
                .context("set recursive mount attributes")?;
        }
        t.move_here(tree).context("move_mount")?;
        self.mounted(dest, false, is_strict(dest));
        let props = MountOpts { propagation: opts.propagation.clone(), ..MountOpts::default() };
        apply_post(tree, &props, false)
    }

    /// Resolves (and if needed creates) the target of a mount at `dest`.
    pub fn target(&mut self, dest: &str, want: Want<'_>, strict: bool) -> Result<Target> {
        if dest.is_empty() {
            bail!("cannot mount over the container's root");
        }
        let (parent, name) = paths::split(dest);
        if let Some(pfd) = self.fresh_fd(parent)? {
            // SAFETY: fresh fds are never closed before exec.
            let dir = unsafe { BorrowedFd::borrow_raw(pfd) };
            paths::create_in(dir, name, want.resolve()?).context(format_args!("create /{dest}"))?;
            return Ok(Target { dir: pfd, name: String::from(name), created: true, owned: None });
        }
        let flags = if strict { PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW } else { PATH_FLAGS };
        // First without any symlink: the common case, and a target reached through none cannot be
        // somewhere the destination does not say (inside /proc, say).
        let (fd, created) = match self.root.open_at(dest, flags, true) {
            Ok(fd) => (fd, false),
            Err(Errno::NOENT) => (self.root.create_and_open(dest, want.resolve()?, flags, strict)?, true),
            Err(Errno::LOOP | Errno::NOTDIR) if strict => {
                bail!("/{dest} must be a real directory, not a symlink or a file")
            }
            Err(Errno::LOOP) => {
                let (fd, created) = match self.root.open_at(dest, flags, false) {
                    Ok(fd) => (fd, false),
                    Err(Errno::NOENT) => (self.root.create_and_open(dest, want.resolve()?, flags, false)?, true),
                    Err(e) => return Err(Error::sys(format_args!("open /{dest}"), e)),
                };
                let st = rustix::fs::fstatfs(&fd).context("statfs target")?;
                if st.f_type as u32 == g::PROC_SUPER_MAGIC && !PROC_ALLOWED.contains(&dest) {
                    bail!("/{dest} resolves to a path inside /proc");
                }
                (fd, created)
            }
            Err(e) => return Err(Error::sys(format_args!("open /{dest}"), e)),
        };
        Ok(Target { dir: fd.as_raw_fd(), name: String::new(), created, owned: Some(fd) })
    }

    /// Records a mount at `dest`: fresh entries it covers are gone; an empty tmpfs becomes fresh.
    pub fn mounted(&mut self, dest: &str, empty: bool, strict: bool) {
        self.fresh.retain(|f| !paths::is_within(&f.dest, dest));
        if empty {
            self.fresh.push(Fresh { dest: String::from(dest), strict, fd: None });
        }
    }

    /// The root of the mount now at `dest` (an fd that stays open until exec).
    pub fn mount_root(&mut self, dest: &str, strict: bool) -> Result<RawFd> {
        if let Some(fd) = self.fresh_fd(dest)? {
            return Ok(fd);
        }
        let (parent, name) = paths::split(dest);
        let fd = if let Some(pfd) = self.fresh_fd(parent)? {
            // SAFETY: fresh fds are never closed before exec.
            let dir = unsafe { BorrowedFd::borrow_raw(pfd) };
            rustix::fs::openat(dir, cs(name), PATH_FLAGS | OFlags::NOFOLLOW, rustix::fs::Mode::empty())
        } else {
            let flags = if strict { PATH_FLAGS | OFlags::DIRECTORY | OFlags::NOFOLLOW } else { PATH_FLAGS };
            self.root.open_at(dest, flags, strict)
        }
        .context(format_args!("reopen /{dest}"))?;
        let raw = fd.as_raw_fd();
        leak(fd);
        Ok(raw)
    }

    /// The fd of fresh tmpfs `dest`, opened on first use; None if `dest` is not fresh.
    fn fresh_fd(&mut self, dest: &str) -> Result<Option<RawFd>> {
        let Some(f) = self.fresh.iter_mut().find(|f| f.dest == dest) else { return Ok(None) };
        if f.fd.is_none() {
            let flags = PATH_FLAGS | OFlags::DIRECTORY | if f.strict { OFlags::NOFOLLOW } else { OFlags::empty() };
            let fd = self.root.open_at(&f.dest, flags, f.strict).context(format_args!("open /{dest}"))?;
            f.fd = Some(fd.as_raw_fd());
            leak(fd);
        }
        Ok(f.fd)
    }

    /// Is `dest` a tmpfs this init mounted and nothing covers? (Its entries are ours alone.)
    pub fn is_fresh(&self, dest: &str) -> bool {
        self.fresh.iter().any(|f| f.dest == dest)
    }

    /// The fd of `dest` if it is fresh.
    pub fn fresh_dir(&mut self, dest: &str) -> Result<Option<RawFd>> {
        self.fresh_fd(dest)
    }
}

/// Propagation changes (in order) and recursive attributes of `opts` on the mount `fd` is the root
/// of; the attributes ride along with a recursive propagation change when there is one.
pub fn apply_post(fd: BorrowedFd<'_>, opts: &MountOpts, with_rec: bool) -> Result<()> {
    let mut pending = with_rec && opts.has_rec_attrs();
    let last = opts.propagation.len();
    for (k, &p) in opts.propagation.iter().enumerate() {
        let rec = p & g::MS_REC != 0;
        let mut a = Attr { propagation: p & !g::MS_REC, ..Attr::default() };
        if pending && rec && k + 1 == last {
            a.set = opts.rec_set;
            a.clr = opts.rec_clr;
            pending = false;
        }
        sys::mount_setattr(fd, rec, &a).context("set propagation")?;
    }
    if pending {
        sys::mount_setattr(fd, true, &Attr { set: opts.rec_set, clr: opts.rec_clr, ..Attr::default() })
            .context("set recursive mount attributes")?;
    }
    Ok(())
}

/// `mount(source, target, fstype, flags, data)` with raw MS_* flags; empty data is NULL.
pub fn mount(source: &str, target: &str, fstype: &str, flags: u32, data: &str) -> core::result::Result<(), Errno> {
    let flags = MountFlags::from_bits_retain(flags);
    if data.is_empty() {
        rustix::mount::mount(cs(source), cs(target), cs(fstype), flags, None)
    } else {
        let mut d = Vec::with_capacity(data.len() + 1);
        d.extend_from_slice(data.as_bytes());
        d.push(0);
        let d = core::ffi::CStr::from_bytes_until_nul(&d).map_err(|_| Errno::INVAL)?;
        rustix::mount::mount(cs(source), cs(target), cs(fstype), flags, Some(d))
    }
}

/// Directory or file, to create a missing bind target of the same kind as its source.
fn source_kind(dirfd: BorrowedFd<'_>, path: &str) -> Result<Create> {
    let flags = if path.is_empty() { AtFlags::EMPTY_PATH } else { AtFlags::empty() };
    let st = rustix::fs::statx(dirfd, cs(path), flags, StatxFlags::TYPE).context(format_args!("stat source {path}"))?;
    Ok(if u32::from(st.stx_mode) & 0o170000 == 0o040000 { Create::Dir } else { Create::File })
}

/// Does the comma-separated data contain `key` or `key=...`?
pub fn has_option(data: &str, key: &str) -> bool {
    data.split(',').any(|o| o == key || (o.len() > key.len() && o.starts_with(key) && o.as_bytes()[key.len()] == b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_proc_rules() {
        assert!(has_option("size=1k,mode=755", "mode") && !has_option("modex=1", "mode"));
        assert!(proc_destination_allowed("proc") && proc_destination_allowed("proc/meminfo"));
        assert!(!proc_destination_allowed("proc/sys") && !proc_destination_allowed("proc/self/attr"));
        assert!(proc_destination_allowed("procx") && proc_destination_allowed("etc"));
        assert!(is_strict("dev") && !is_strict("dev/pts"));
    }
}
