//! The `--root` store: one directory per container, `<root>/<id>/`, holding `state.json`, the exec
//! fifo and whatever else the lifecycle verbs keep there.
//!
//! - The root is made (mode 0700, parents too) only by `Store::create`; a missing root for the
//!   read-only verbs just means no container exists.
//! - A container directory is made with one `mkdir` (0711, like runc, so a container whose user is
//!   mapped can still reach the fifo by path): EEXIST is a duplicate id, so two concurrent creates
//!   of one id cannot both succeed.
//! - Locking: `flock(LOCK_EX)` on the container directory's fd. It needs no extra file and no extra
//!   open, because every verb opens the directory anyway to reach its files (`openat`), so a lock
//!   costs one syscall. The lock belongs to the open file description: a child forked while it is
//!   held shares it until the child closes the fd or execs (the fd is CLOEXEC). The container init
//!   must close the directory fd right after the fork, or `start`/`delete` would wait for its exec.
//! - Ownership: between create's `mkdir` and its `flock` the directory is unlocked, and a
//!   `delete --force` (which removes a directory without state, the leftover of a create that died)
//!   may remove it, and another create may make a new one under the same name, which the first
//!   create would then open. So create claims the directory it locked by making an empty
//!   `state.json` with O_EXCL: EEXIST means the directory belongs to another container, ENOENT that
//!   it was removed before the lock (create tries again). An empty state.json reads as "no state
//!   yet" (`try_load`). Directories are removed by path only while locked and still linked
//!   (`remove`), so nobody removes a directory another verb has claimed.
//! - `state.json` is replaced atomically: written to `state.json.tmp`, then renamed over. Readers
//!   (`state`, `list`) take no lock and always see a whole file.
mod creating;
mod record;
mod status;

pub use creating::{CREATING, Record, salvage};
pub use record::State;
pub use status::{ProcStat, Status, own_ignored_signals, parse_stat, proc_stat};

use crate::error::{Context, Error, Result};
use crate::rt::cs;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

pub const STATE_FILE: &str = "state.json";
const STATE_TMP: &str = "state.json.tmp";
/// The fifo the container init blocks on until `start` opens it; its presence means "created".
pub const EXEC_FIFO: &str = "exec.fifo";
/// With NOTIFY_SOCKET (container/notify.rs): the directory bind-mounted into the container and the
/// proxy socket in it.
pub const NOTIFY_DIR: &str = "notify";
pub const NOTIFY_SOCKET: &str = "notify.sock";

/// A container id that passed validation: 1..=1024 bytes of `[A-Za-z0-9_+.-]`, not starting with
/// '.'. It is safe to use as a single path component under the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id<'a>(&'a str);

impl<'a> Id<'a> {
    pub fn new(id: &'a str) -> Result<Self> {
        let why = if id.is_empty() {
            "must not be empty"
        } else if id.len() > 1024 {
            "longer than 1024 bytes"
        } else if id.starts_with('.') {
            "must not start with '.'"
        } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'.' | b'-')) {
            "only [A-Za-z0-9_+.-] are allowed"
        } else {
            return Ok(Self(id));
        };
        Err(Error::msg(format_args!("invalid container id \"{id}\": {why}")))
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The error every verb gives for an unknown id (containerd matches "does not exist").
pub fn not_found(id: &str) -> Error {
    Error::msg(format_args!("container \"{id}\" does not exist"))
}

/// The state root (`--root`, absolute).
pub struct Store {
    root: String,
}

impl Store {
    /// Names the root; touches nothing.
    pub fn new(root: &str) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &str {
        &self.root
    }

    fn path(&self, id: &str) -> String {
        let mut p = self.root.clone();
        if !p.ends_with('/') {
            p.push('/');
        }
        p.push_str(id);
        p
    }

    /// Makes the container directory for a new container and returns it locked. Creates the root
    /// first if needed. Fails with "container with id X already exists" on a duplicate.
    pub fn create(&self, id: Id) -> Result<Container> {
        let path = self.path(id.as_str());
        let exists = || Error::msg(format_args!("container with id \"{}\" already exists", id.as_str()));
        let mkdir = || rustix::fs::mkdir(cs(&path), Mode::from_raw_mode(0o711));
        // Each retry follows a `delete --force` that removed our directory before we locked it: a
        // few are plenty, the loop only guards against a livelock.
        for _ in 0..8 {
            let made = match mkdir() {
                Err(Errno::NOENT) => {
                    mkdir_all(&self.root, 0o700).context(format_args!("create state root {}", self.root))?;
                    mkdir()
                }
                r => r,
            };
            made.map_err(|e| match e {
                Errno::EXIST => exists(),
                e => Error::sys(format_args!("create state directory {path}"), e),
            })?;
            let Some(mut c) = self.open_path(id.as_str(), path.clone())? else { continue };
            c.lock()?;
            // The claim (see the module doc): one openat; its fd stays with the container (see
            // `claim_fd`) and is left to the kernel at exit.
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
            match rustix::fs::openat(c.dir(), cs(STATE_FILE), flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => {
                    c.claim = Some(fd);
                    return Ok(c);
                }
                Err(Errno::EXIST) => return Err(exists()),
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(Error::sys(format_args!("create {path}/{STATE_FILE}"), e)),
            }
        }
        Err(exists())
    }

    /// Opens an existing container directory (unlocked); None if there is no such container.
    pub fn open(&self, id: Id) -> Result<Option<Container>> {
        self.open_path(id.as_str(), self.path(id.as_str()))
    }

    /// Like `open`, with the "does not exist" error for a missing container.
    pub fn get(&self, id: Id) -> Result<Container> {
        self.open(id)?.ok_or_else(|| not_found(id.as_str()))
    }

    fn open_path(&self, id: &str, path: String) -> Result<Option<Container>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        match rustix::fs::open(cs(&path), flags, Mode::empty()) {
            Ok(dir) => Ok(Some(Container { id: id.into(), path, dir, claim: None })),
            Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
            Err(e) => Err(Error::sys(format_args!("open {path}"), e)),
        }
    }

    /// The ids of all containers in the root, sorted; empty if the root does not exist. Entries
    /// that are not directories or not valid ids are skipped.
    pub fn ids(&self) -> Result<Vec<String>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(cs(&self.root), flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(Vec::new()),
            Err(e) => return Err(Error::sys(format_args!("open {}", self.root), e)),
        };
        let mut ids = Vec::new();
        let mut buf = Vec::with_capacity(8192);
        let mut dir = rustix::fs::RawDir::new(fd.as_fd(), buf.spare_capacity_mut());
        while let Some(entry) = dir.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(Errno::NOENT) => break, // the root went away while listed
                Err(e) => return Err(Error::sys(format_args!("read {}", self.root), e)),
            };
            let is_dir = matches!(entry.file_type(), rustix::fs::FileType::Directory | rustix::fs::FileType::Unknown);
            if let Ok(name) = entry.file_name().to_str()
                && is_dir
                && Id::new(name).is_ok()
            {
                ids.push(String::from(name));
            }
        }
        // Insertion sort: a handful of ids, and far less code than the library sorts.
        for i in 1..ids.len() {
            let mut j = i;
            while j > 0 && ids[j - 1] > ids[j] {
                ids.swap(j - 1, j);
                j -= 1;
            }
        }
        Ok(ids)
    }
}

/// Makes `path` and its missing parents with `mode` (like `mkdir -p`).
fn mkdir_all(path: &str, mode: u32) -> core::result::Result<(), Errno> {
    match rustix::fs::mkdir(cs(path), Mode::from_raw_mode(mode)) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(Errno::NOENT) => {
            let trimmed = crate::rt::trim_end(path, b'/');
            let parent = crate::rt::rfind(trimmed, b'/').map_or("", |i| crate::rt::head(trimmed, i));
            if parent.is_empty() {
                return Err(Errno::NOENT);
            }
            mkdir_all(parent, 0o755)?;
            match rustix::fs::mkdir(cs(path), Mode::from_raw_mode(mode)) {
                Err(Errno::EXIST) => Ok(()),
                r => r,
            }
        }
        Err(e) => Err(e),
    }
}

/// Removes the notify directory (`NOTIFY_DIR`, with its socket) from the state dir `dir`.
fn remove_notify_dir(dir: BorrowedFd<'_>) -> core::result::Result<(), Errno> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let sub = rustix::fs::openat(dir, cs(NOTIFY_DIR), flags, Mode::empty())?;
    match rustix::fs::unlinkat(&sub, cs(NOTIFY_SOCKET), AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(e),
    }
    rustix::fs::unlinkat(dir, cs(NOTIFY_DIR), AtFlags::REMOVEDIR)
}

/// An open container directory. Dropping it closes the fd and so releases a lock taken through it.
pub struct Container {
    id: String,
    path: String,
    dir: OwnedFd,
    /// The claim (state.json made O_EXCL by `Store::create`), kept open so the container init can
    /// close it with the directory's fd in one close_range (it is the next fd).
    claim: Option<OwnedFd>,
}

impl Container {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `<root>/<id>`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The directory fd, for `openat`/`mknodat` of the container's files.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// The fd of the claim `Store::create` made (None for a container opened otherwise).
    pub fn claim_fd(&self) -> Option<BorrowedFd<'_>> {
        self.claim.as_ref().map(|fd| fd.as_fd())
    }

    /// Takes the container's exclusive lock, waiting for another verb that holds it.
    pub fn lock(&self) -> Result<()> {
        loop {
            match rustix::fs::flock(&self.dir, FlockOperation::LockExclusive) {
                Err(Errno::INTR) => continue,
                r => return r.context(format_args!("lock {}", self.path)),
            }
        }
    }

    /// A second handle on this directory, without the lock (a new open file description: the
    /// lock stays with this one). One openat. For a verb that outlives its lock and must come back
    /// to this very directory (`run`), not to whatever holds the id by then.
    pub fn reopen_unlocked(&self) -> Result<Container> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::openat(self.dir(), c".", flags, Mode::empty()).context(format_args!("open {}", self.path))?;
        Ok(Container { id: self.id.clone(), path: self.path.clone(), dir, claim: None })
    }

    /// Reads state.json; None if it is missing or empty (the container is being created, or its
    /// creator died before finishing, or it was just deleted).
    pub fn try_load(&self) -> Result<Option<State>> {
        // O_NOFOLLOW: rsrun never makes it a symlink, and a planted one must not be followed.
        let data = match crate::rt::io::read_at_nofollow(self.dir(), STATE_FILE) {
            Ok(d) if d.is_empty() => return Ok(None),
            Ok(d) => d,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(Error::sys(format_args!("read {}/{STATE_FILE}", self.path), e)),
        };
        State::from_json(&data).context(format_args!("{}/{STATE_FILE}", self.path)).map(Some)
    }

    /// Reads state.json, with the "does not exist" error if it is missing.
    pub fn load(&self) -> Result<State> {
        match self.try_load()? {
            Some(st) => Ok(st),
            None => Err(self.incomplete()),
        }
    }

    /// The "does not exist" error for a directory without a state (containerd matches the words),
    /// saying why when its create was interrupted.
    pub fn incomplete(&self) -> Error {
        if !self.is_abandoned() {
            return not_found(&self.id);
        }
        Error::msg(format_args!(
            "container \"{}\" does not exist (its create was interrupted: `delete --force` removes what it left)",
            self.id
        ))
    }

    /// For a directory without a state: whether its create was interrupted (nobody holds the
    /// lock and the directory is still there), rather than at work or deleted meanwhile.
    pub fn is_abandoned(&self) -> bool {
        let removed = rustix::fs::fstat(&self.dir).map_or(true, |st| st.st_nlink == 0);
        !removed && self.lock_is_free()
    }

    /// Replaces state.json atomically (temp file + rename). Hold the lock.
    pub fn save(&self, st: &State) -> Result<()> {
        let json = st.to_json();
        let what = || alloc::format!("write {}/{STATE_FILE}", self.path);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(self.dir(), cs(STATE_TMP), flags, Mode::from_raw_mode(0o600)).with_context(what)?;
        crate::rt::write_all(fd.as_fd(), &json).with_context(what)?;
        crate::rt::done_with(fd);
        rustix::fs::renameat(self.dir(), cs(STATE_TMP), self.dir(), cs(STATE_FILE)).with_context(what)
    }

    /// The container's status now (see `Status`).
    pub fn status(&self, st: &State) -> Result<Status> {
        status::derive(self, st)
    }

    /// Unlinks a file of the directory: true if removed, false if it was not there.
    fn unlink(&self, name: &str) -> Result<bool> {
        match rustix::fs::unlinkat(self.dir(), cs(name), AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(Error::sys(format_args!("remove {}/{name}", self.path), e)),
        }
    }

    /// Whether the exec fifo is still there (`start` has not run yet).
    pub fn has_exec_fifo(&self) -> Result<bool> {
        match rustix::fs::accessat(self.dir(), cs(EXEC_FIFO), rustix::fs::Access::EXISTS, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(Error::sys(format_args!("access {}/{EXEC_FIFO}", self.path), e)),
        }
    }

    /// Removes the container directory and everything in it (files only: verbs keep no
    /// subdirectories there). Hold the lock. A directory already removed by someone else is left
    /// alone, even if a new container of the same id has been created since: the final rmdir goes
    /// by path, so it is done only while this directory is still the one linked there.
    pub fn remove(self) -> Result<()> {
        let what = || alloc::format!("remove {}", self.path);
        // The usual content is known: state.json, and exec.fifo until `start` removes it. So:
        // unlink state.json and rmdir (2 syscalls once started); the fifo and a second rmdir only
        // on ENOTEMPTY, and a listing only if something else is there.
        let removed_state = self.unlink(STATE_FILE)?;
        // Nothing there: maybe a directory another verb removed while we waited for its lock
        // (unlinked directories have no links). Only live directories are removed by path; a
        // file removed here proves this one is live (an unlinked directory is empty).
        if !removed_state && rustix::fs::fstat(self.dir()).with_context(what)?.st_nlink == 0 {
            return Ok(());
        }
        let rmdir = || match rustix::fs::unlinkat(CWD, cs(&self.path), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => Ok(true),
            Err(Errno::NOTEMPTY) => Ok(false),
            Err(e) => Err(Error::sys(what(), e)),
        };
        if rmdir()? || (self.unlink(EXEC_FIFO)? && rmdir()?) {
            // A verb that exits now leaves the fds to the kernel (`rt::done_with`).
            crate::rt::done_with(self.dir);
            if let Some(claim) = self.claim {
                crate::rt::done_with(claim);
            }
            return Ok(());
        }
        let Container { path, dir, .. } = self;
        let mut buf = Vec::with_capacity(8192);
        let mut entries = rustix::fs::RawDir::new(dir.as_fd(), buf.spare_capacity_mut());
        let mut names = Vec::new();
        while let Some(e) = entries.next() {
            let e = match e {
                Ok(e) => e,
                Err(Errno::NOENT) => break, // removed meanwhile: the rmdir below decides
                Err(e) => return Err(Error::sys(format_args!("read {path}"), e)),
            };
            let name = e.file_name();
            if name != c"." && name != c".." {
                names.push(alloc::ffi::CString::from(name));
            }
        }
        let fd = dir.as_fd();
        for name in names {
            match rustix::fs::unlinkat(fd, &name, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                // The one directory rsrun makes there (NOTIFY_SOCKET's proxy).
                Err(Errno::ISDIR) if name.as_bytes() == NOTIFY_DIR.as_bytes() => remove_notify_dir(fd)
                    .map_err(|e| Error::sys(format_args!("remove {path}/{}", crate::rt::lossy(name.as_bytes())), e))?,
                Err(e) => return Err(Error::sys(format_args!("remove {path}/{}", crate::rt::lossy(name.as_bytes())), e)),
            }
        }
        match rustix::fs::unlinkat(CWD, cs(&path), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::sys(format_args!("remove {path}"), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;


    #[test]
    fn id_rules() {
        for ok in ["a", "A-b_c+d.e", "0", "x.", "a..b", &"x".repeat(1024)] {
            assert!(Id::new(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a b", "a\0b", "é", "a:b", &"x".repeat(1025)] {
            let e = Id::new(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid container id "), "{bad:?}: {e}");
        }
        assert_eq!(Id::new("../x").unwrap_err().to_string(), "invalid container id \"../x\": must not start with '.'");
        assert_eq!(
            Id::new("a/b").unwrap_err().to_string(),
            "invalid container id \"a/b\": only [A-Za-z0-9_+.-] are allowed"
        );
    }

    fn tmp_root(name: &str) -> String {
        let p = std::env::temp_dir().join(format!("rsrun-test-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p.to_str().unwrap().into()
    }

    #[test]
    fn create_save_load_remove() {
        let root = tmp_root("store");
        let store = Store::new(&format!("{root}/nested/root"));
        assert!(store.ids().unwrap().is_empty(), "missing root = no containers");
        let id = Id::new("c1").unwrap();
        assert!(store.open(id).unwrap().is_none());
        assert!(store.get(id).err().unwrap().to_string().contains("does not exist"));
        let c = store.create(id).unwrap();
        let e = store.create(id).err().unwrap().to_string();
        assert_eq!(e, "container with id \"c1\" already exists");
        assert!(c.try_load().unwrap().is_none(), "the empty claim reads as no state yet");
        let mut st = State { id: "c1".into(), pid: 0, bundle: "/b".into(), ..State::default() };
        st.set_extra("cgroup", r#"{"path":"/x"}"#);
        c.save(&st).unwrap();
        let back = store.get(id).unwrap().load().unwrap();
        assert_eq!(back.to_json(), st.to_json());
        assert_eq!(store.ids().unwrap(), ["c1"]);
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&format!("{root}/nested/root")), 0o700);
        std::fs::write(format!("{}/exec.fifo", c.path()), b"").unwrap();
        assert!(c.has_exec_fifo().unwrap());
        let c2 = store.get(id).unwrap();
        c.remove().unwrap();
        assert!(store.open(id).unwrap().is_none());
        c2.remove().unwrap(); // already gone: no error
        std::fs::remove_dir_all(&root).unwrap();
    }
}
