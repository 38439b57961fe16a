//! A mount of type "cgroup" (podman and `crun spec` put one at /sys/fs/cgroup).
//!
//! cgroup v2 host (/sys/fs/cgroup is cgroup2): a cgroup2 mount; where that is refused (a user
//! namespace without a cgroup namespace) a bind of the host's /sys/fs/cgroup, as runc.
//!
//! v1 or hybrid host: runc's layout. A tmpfs (nosuid,nodev,noexec, mode=755) at the destination and,
//! for every v1 hierarchy this process is in, a directory named like the host's mount point with the
//! container's own cgroup directory bind-mounted on it (or, with a cgroup namespace, a fresh cgroup
//! mount of that hierarchy); "cpu" -> "cpu,cpuacct" symlinks for co-mounted controllers. The hybrid
//! host's cgroup2 at /sys/fs/cgroup/unified is left out, as runc does.
//!
//! In a user namespace, bound host cgroups are always read-only (CVE-2023-25809).
//!
//! One difference from runc: the mount's flags ("ro", "nosuid", ...) are applied with a single
//! recursive mount_setattr over the whole tree at the end, so a read-only cgroup mount also makes
//! the tmpfs read-only (runc leaves the tmpfs writable). 1 syscall instead of one per hierarchy.
use super::mount_opts::{self, MountOpts};
use super::mountinfo;
use super::mounts::{self, Mounter, Want};
use super::sys::{self, Attr};
use crate::error::{Context as _, Result};
use crate::rt::cs;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use linux_raw_sys::general as g;
use rustix::fd::BorrowedFd;
use rustix::fs::CWD;
use rustix::io::Errno;

/// One v1 hierarchy to expose in the container.
#[derive(Debug, PartialEq, Eq)]
struct Hierarchy {
    /// Directory name under the destination: the host mount point's base name ("cpu,cpuacct").
    name: String,
    /// mount(2) data for a fresh mount in a cgroup namespace: the controllers ("name=systemd").
    controllers: String,
    /// Host path of this process's own cgroup in the hierarchy.
    source: String,
}

pub fn mount(mt: &mut Mounter<'_, '_, '_>, src: &str, opts: &MountOpts, dest: &str) -> Result<()> {
    let v2_host = match mt.ctx.cgroup {
        Some(cg) => cg.mode() == crate::cgroups::Mode::V2,
        None => {
            rustix::fs::statfs(c"/sys/fs/cgroup").context("statfs /sys/fs/cgroup")?.f_type as u32
                == g::CGROUP2_SUPER_MAGIC
        }
    };
    if v2_host {
        return v2(mt, src, opts, dest);
    }
    v1(mt, opts, dest)
}

fn v2(mt: &mut Mounter<'_, '_, '_>, src: &str, opts: &MountOpts, dest: &str) -> Result<()> {
    let source = if src.is_empty() { "cgroup" } else { src };
    let t = mt.target(dest, Want::Dir, false)?;
    match mounts::mount(source, &t.path(), "cgroup2", opts.flags, &opts.data) {
        Err(Errno::PERM | Errno::BUSY) => {
            let mut bind = opts.clone();
            // In a user namespace the host's cgroup tree is the user's own (a delegated subtree):
            // never writable from inside (CVE-2023-25809), whatever the config says.
            bind.flags |= g::MS_BIND | if mt.ctx.new_userns { g::MS_RDONLY } else { 0 };
            bind.data.clear();
            let cg = sys::read_file(CWD, "/proc/self/cgroup")?;
            let own = own_v2_path(core::str::from_utf8(&cg).unwrap_or(""));
            let host =
                if mt.ctx.new_cgroupns { format!("/sys/fs/cgroup{own}") } else { String::from("/sys/fs/cgroup") };
            mt.bind_tree(&host, &bind, dest, None, t)
        }
        r => {
            r.context("mount cgroup2")?;
            mt.mounted(dest, false, false);
            mt.after_mount(dest, false, opts, false)
        }
    }
}

fn v1(mt: &mut Mounter<'_, '_, '_>, opts: &MountOpts, dest: &str) -> Result<()> {
    // The container's v1 directories are made by create while the init sets up: wait for them.
    (mt.ctx.cgroups_ready)()?;
    // The container's cgroup directories come from create, which made them before clone3: the init
    // may not have been moved into them yet, and this saves reading mountinfo and /proc/self/cgroup.
    let hier = match mt.ctx.cgroup {
        Some(cg) => cg
            .v1_hierarchies()
            .map(|(mnt, dir, controllers)| Hierarchy {
                name: String::from(crate::rt::after_last(mnt, b'/')),
                controllers,
                source: String::from(dir),
            })
            .filter(|h| !h.name.is_empty())
            .collect(),
        None => {
            let info = sys::read_file(CWD, "/proc/self/mountinfo")?;
            let cg = sys::read_file(CWD, "/proc/self/cgroup")?;
            hierarchies(core::str::from_utf8(&info).unwrap_or(""), core::str::from_utf8(&cg).unwrap_or(""))
        }
    };

    let t = mt.target(dest, Want::Dir, false)?;
    let base = g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC;
    mounts::mount("tmpfs", &t.path(), "tmpfs", base, "mode=755").context("mount tmpfs")?;
    mt.mounted(dest, true, false);
    let root = mt.mount_root(dest, false)?;
    // SAFETY: mount_root's fds stay open until exec.
    let dir = unsafe { BorrowedFd::borrow_raw(root) };
    for h in &hier {
        rustix::fs::mkdirat(dir, cs(&h.name), rustix::fs::Mode::from_raw_mode(0o755))
            .context(format_args!("mkdir {}", h.name))?;
        let target = sys::fd_child_path(dir, &h.name);
        if mt.ctx.new_cgroupns {
            let ro = opts.flags & g::MS_RDONLY;
            mounts::mount("cgroup", &target, "cgroup", base | ro, &h.controllers)
        } else {
            mounts::mount(&h.source, &target, "", g::MS_BIND | g::MS_REC, "")
        }
        .context(format_args!("mount cgroup {} on {}", h.controllers, h.name))?;
        if h.name.contains(',') {
            for c in h.name.split(',') {
                match rustix::fs::symlinkat(cs(&h.name), dir, cs(c)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e).context(format_args!("symlink {c}")),
                }
            }
        }
    }
    // Flags, atime and propagation for the whole tree in one call (only "set": the tmpfs keeps its
    // nosuid,nodev,noexec).
    // Bound host cgroups in a user namespace are read-only whatever the config says
    // (CVE-2023-25809; see `v2`).
    let ro = if mt.ctx.new_userns && !mt.ctx.new_cgroupns { g::MS_RDONLY } else { 0 };
    let (mut set, mut clr) = (mount_opts::attrs_of((opts.flags | ro) & mount_opts::PER_MOUNT), 0);
    if opts.flags & mount_opts::ATIME != 0 {
        let (s, c) = mount_opts::bind_attrs(opts, false);
        set |= s & g::MOUNT_ATTR__ATIME;
        clr |= c & g::MOUNT_ATTR__ATIME;
    }
    let mut rest = opts.clone();
    let mut propagation = 0;
    if let Some(i) = rest.propagation.iter().position(|p| p & g::MS_REC != 0) {
        propagation = rest.propagation.remove(i) & !g::MS_REC;
    }
    if set != 0 || clr != 0 || propagation != 0 {
        sys::mount_setattr(dir, true, &Attr { set, clr, propagation, ..Attr::default() })
            .context("set cgroup mount attributes")?;
    }
    mounts::apply_post(dir, &rest, true)
}

/// The v1 hierarchies of this process, in mountinfo order (as runc): each v1 cgroup mount matched
/// to the `/proc/self/cgroup` line of its controllers.
fn hierarchies(mountinfo: &str, cgroup: &str) -> Vec<Hierarchy> {
    let lines: Vec<(&str, &str)> = cgroup
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_id, ctrls, path) = (f.next()?, f.next()?, f.next()?);
            // An empty controller list is the v2 line of a hybrid host.
            (!ctrls.is_empty()).then_some((ctrls, path))
        })
        .collect();
    let mut out: Vec<Hierarchy> = Vec::new();
    for m in mountinfo::parse(mountinfo).filter(|e| e.fstype == "cgroup") {
        let Some(&(ctrls, path)) =
            lines.iter().find(|(c, _)| c.split(',').all(|c| m.super_opts.split(',').any(|o| o == c)))
        else {
            continue;
        };
        let name = crate::rt::after_last(&m.mount_point, b'/');
        if name.is_empty() || out.iter().any(|h| h.name == name || h.controllers == ctrls) {
            continue;
        }
        // The cgroup path relative to the mount's root (the mount may show a subtree).
        let root = crate::rt::trim_end(&m.root, b'/');
        let rel = path.strip_prefix(root).unwrap_or(path);
        let source = format!("{}{}", crate::rt::trim_end(&m.mount_point, b'/'), if rel == "/" { "" } else { rel });
        out.push(Hierarchy { name: String::from(name), controllers: String::from(ctrls), source });
    }
    out
}

/// (name, controllers, source) of each v1 hierarchy `hierarchies` finds: for fuzz/fuzz_targets/mountinfo.rs.
#[doc(hidden)]
pub fn v1_hierarchies(mountinfo: &str, cgroup: &str) -> Vec<(String, String, String)> {
    hierarchies(mountinfo, cgroup).into_iter().map(|h| (h.name, h.controllers, h.source)).collect()
}

/// This process's cgroup2 path from `/proc/self/cgroup` ("0::/path").
fn own_v2_path(cgroup: &str) -> &str {
    cgroup.lines().find_map(|l| l.strip_prefix("0::")).map_or("", |r| crate::rt::trim_end(r, b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_host() {
        let info = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n\
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
            35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
            40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n\
            41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n\
            50 31 0:32 /sub /mnt/mem2 rw - cgroup cgroup rw,memory\n";
        let cg = "12:cpu,cpuacct:/c1\n5:memory:/pa/c1\n1:name=systemd:/c1\n0::/c1\n";
        let h = hierarchies(info, cg);
        assert_eq!(h.len(), 3);
        assert_eq!(
            h[0],
            Hierarchy {
                name: "cpu,cpuacct".into(),
                controllers: "cpu,cpuacct".into(),
                source: "/sys/fs/cgroup/cpu,cpuacct/c1".into()
            }
        );
        assert_eq!(h[1].source, "/sys/fs/cgroup/memory/pa/c1");
        assert_eq!((h[2].name.as_str(), h[2].controllers.as_str()), ("systemd", "name=systemd"));
        assert_eq!(own_v2_path(cg), "/c1");
        assert_eq!(own_v2_path("0::/\n"), "");
    }
}
