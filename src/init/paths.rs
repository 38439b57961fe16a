//! Paths inside the container's root, resolved by the kernel so they cannot leave it.
//!
//! Every lookup is `openat2(root, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` relative to an O_PATH
//! fd of the root: symlinks (even absolute ones) and ".." resolve as if the root were "/", so a
//! malicious image cannot redirect a mount, a device node or a mkdir to the host (CVE-2021-30465,
//! CVE-2024-45310). Missing directories are created one component at a time with mkdirat relative to
//! the parent's fd, then reopened in-root. "Strict" lookups (targets of proc, sysfs and /dev) also
//! refuse every symlink: those must be real directories (CVE-2019-19921, CVE-2023-27561).
use crate::error::{Context, Error, Result};
use crate::rt::cs;
use alloc::format;
use alloc::string::String;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags, ResolveFlags, openat2};
use rustix::io::Errno;

pub const RESOLVE: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);
const STRICT: ResolveFlags = RESOLVE.union(ResolveFlags::NO_SYMLINKS);
pub const PATH_FLAGS: OFlags = OFlags::PATH.union(OFlags::CLOEXEC);

/// A container path cleaned lexically, without its leading "/": "/dev//pts/" -> "dev/pts",
/// "/a/../b" -> "b", "/" -> "". Relative destinations are taken relative to the root, as runc does.
pub fn clean(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                let cut = crate::rt::rfind(&out, b'/').unwrap_or(0);
                out.truncate(cut);
            }
            c => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    out
}

/// `(parent, name)` of a cleaned path; the parent of "x" is "".
pub fn split(rel: &str) -> (&str, &str) {
    match crate::rt::rfind(rel, b'/') {
        Some(i) => (crate::rt::head(rel, i), crate::rt::tail(rel, i + 1)),
        None => ("", rel),
    }
}

/// Is `rel` (cleaned) `dir` or below it?
pub fn is_within(rel: &str, dir: &str) -> bool {
    dir.is_empty() || rel == dir || (rel.len() > dir.len() && rel.starts_with(dir) && rel.as_bytes()[dir.len()] == b'/')
}

/// What to create when a target does not exist.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Create {
    Dir,
    /// An empty regular file (mode 0755, as runc), e.g. for a bind mount of a file.
    File,
}

/// The container's root: an O_PATH fd before pivot_root, the process root (cwd) after it.
pub struct Root {
    fd: Option<OwnedFd>,
}

impl Root {
    /// Opens the (already bind-mounted) rootfs on the host.
    pub fn open(host_path: &str) -> Result<Root> {
        let fd = rustix::fs::open(cs(host_path), PATH_FLAGS | OFlags::DIRECTORY, Mode::empty())
            .context(format_args!("root.path: {host_path}"))?;
        Ok(Root { fd: Some(fd) })
    }

    /// After pivot_root or chroot: the cwd, which setup leaves at the container's root.
    pub fn cwd() -> Root {
        Root { fd: None }
    }

    /// Gives up the fd without closing it (see the fd contract in `sys.rs`).
    pub fn leak(self) {
        if let Some(fd) = self.fd {
            super::sys::leak(fd);
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        match &self.fd {
            Some(fd) => fd.as_fd(),
            None => CWD,
        }
    }

    /// `openat2(root, rel, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS [|RESOLVE_NO_SYMLINKS])`.
    pub fn open_at(&self, rel: &str, flags: OFlags, strict: bool) -> core::result::Result<OwnedFd, Errno> {
        let path = if rel.is_empty() { "." } else { rel };
        openat2(self.fd(), cs(path), flags | OFlags::CLOEXEC, Mode::empty(), if strict { STRICT } else { RESOLVE })
    }

    /// An O_PATH fd of the directory `rel`, created (with parents, mode 0755) if missing.
    pub fn mkdir_all(&self, rel: &str) -> Result<OwnedFd> {
        self.mkdir_all_at(rel, 0)
    }

    fn mkdir_all_at(&self, rel: &str, depth: u32) -> Result<OwnedFd> {
        match self.open_at(rel, PATH_FLAGS | OFlags::DIRECTORY, false) {
            Err(Errno::NOENT) => self.create_at(rel, Create::Dir, PATH_FLAGS | OFlags::DIRECTORY, false, depth),
            r => r.context(format_args!("open /{rel}")),
        }
    }

    /// Creates the missing `rel` as `kind` (parents as directories) and opens it with `flags`.
    ///
    /// A dangling symlink on the way (an image's /etc/resolv.conf -> ../run/..., say) is handled as
    /// runc's in-root resolution does: what it points to is created, inside the root. Reopening
    /// in-root after the create means nothing is ever followed out of the root.
    pub fn create_and_open(&self, rel: &str, kind: Create, flags: OFlags, strict: bool) -> Result<OwnedFd> {
        self.create_at(rel, kind, flags, strict, 0)
    }

    fn create_at(&self, rel: &str, kind: Create, flags: OFlags, strict: bool, depth: u32) -> Result<OwnedFd> {
        let (parent, name) = split(rel);
        let pfd = self.mkdir_all_at(parent, depth)?;
        create_in(pfd.as_fd(), name, kind).context(format_args!("create /{rel}"))?;
        match self.open_at(rel, flags, strict) {
            Err(Errno::NOENT) if !strict && depth < 40 => {
                let link = rustix::fs::readlinkat(&pfd, cs(name), alloc::vec::Vec::new())
                    .map_err(|_| Error::sys(format_args!("open /{rel} after creating it"), Errno::NOENT))?;
                let link = crate::rt::lossy(link.as_bytes());
                let target = if link.starts_with('/') { clean(&link) } else { clean(&format!("{parent}/{link}")) };
                self.create_at(&target, kind, flags, strict, depth + 1)?;
                self.open_at(rel, flags, strict).context(format_args!("open /{rel}"))
            }
            r => r.context(format_args!("open /{rel} after creating it")),
        }
    }
}

/// mkdirat or an empty file (mknodat S_IFREG: creates without opening); an existing entry is fine.
pub fn create_in(dir: BorrowedFd<'_>, name: &str, kind: Create) -> core::result::Result<(), Errno> {
    let r = match kind {
        Create::Dir => rustix::fs::mkdirat(dir, cs(name), Mode::from_raw_mode(0o755)),
        Create::File => {
            rustix::fs::mknodat(dir, cs(name), rustix::fs::FileType::RegularFile, Mode::from_raw_mode(0o755), 0)
        }
    };
    match r {
        Err(Errno::EXIST) => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths() {
        assert_eq!(clean("/dev//pts/"), "dev/pts");
        assert_eq!(clean("/a/../b"), "b");
        assert_eq!(clean("/../../etc"), "etc");
        assert_eq!(clean("/"), "");
        assert_eq!(clean("rel/x/."), "rel/x");
        assert_eq!(split("dev/pts"), ("dev", "pts"));
        assert_eq!(split("dev"), ("", "dev"));
        assert!(is_within("proc/sys", "proc") && is_within("proc", "proc") && !is_within("procx", "proc"));
        assert!(is_within("x", ""));
    }
}
