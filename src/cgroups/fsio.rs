//! cgroupfs file operations: one openat per file (relative to the cgroup2 directory fd, or by
//! absolute path on v1), one read or write, and errors that name the file and the value.
//! The small helpers are `#[inline(never)]`: one shared copy is smaller than one per call site.
use super::Hier;
use crate::error::{Error, Quoted, Result};
use crate::rt::cs;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Display;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

/// A cgroup directory: its path (for messages, and for opens when there is no fd) and its fd.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub path: &'a str,
    pub fd: Option<BorrowedFd<'a>>,
}

#[inline(never)]
fn open(at: At<'_>, name: &str, flags: OFlags) -> core::result::Result<OwnedFd, Errno> {
    let flags = flags | OFlags::CLOEXEC | OFlags::NOCTTY;
    match at.fd {
        Some(fd) => fs::openat(fd, cs(name), flags, Mode::empty()),
        None => fs::openat(CWD, cs(&crate::rt::cat(&[at.path, "/", name])), flags, Mode::empty()),
    }
}

#[inline(never)]
pub(crate) fn open_write(at: At<'_>, name: &str) -> core::result::Result<OwnedFd, Errno> {
    open(at, name, OFlags::WRONLY)
}

#[inline(never)]
pub(crate) fn open_read(at: At<'_>, name: &str) -> core::result::Result<OwnedFd, Errno> {
    open(at, name, OFlags::RDONLY)
}

/// Opens a cgroup directory for CLONE_INTO_CGROUP, BPF_PROG_ATTACH and openat.
pub(crate) fn open_dir(path: &str) -> Result<OwnedFd> {
    fs::openat(CWD, cs(path), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys(format_args!("open {path}"), e))
}

/// Writes `val` with a single write(2): the kernel parses each write as one request.
///
/// The fd goes to `rt::done_with`: in the short-lived verbs the kernel closes it at exit, which
/// saves a third of the syscalls of every write (on a hybrid host, 11 joins alone).
#[inline(never)]
pub(crate) fn write(at: At<'_>, name: &str, val: &str) -> core::result::Result<(), Errno> {
    let fd = open_write(at, name)?;
    let r = rustix::io::write(&fd, val.as_bytes()).map(drop);
    crate::rt::done_with(fd);
    r
}

/// Reads a cgroup file of one record (a value, memory.stat, /proc/self/cgroup): the kernel hands it
/// out whole, so a short read is the end and no read(2) is spent to see 0.
#[inline(never)]
pub(crate) fn read(at: At<'_>, name: &str) -> core::result::Result<String, Errno> {
    read_with(at, name, crate::rt::io::read_fd)
}

/// Reads a file of many records (cgroup.procs, mountinfo): seq files hand those out a page at a
/// time, so it is read until a read returns 0.
#[inline(never)]
pub(crate) fn read_records(at: At<'_>, name: &str) -> core::result::Result<String, Errno> {
    read_with(at, name, crate::rt::io::read_fd_all)
}

fn read_with(
    at: At<'_>,
    name: &str,
    reader: fn(rustix::fd::BorrowedFd<'_>) -> core::result::Result<Vec<u8>, Errno>,
) -> core::result::Result<String, Errno> {
    let fd = open(at, name, OFlags::RDONLY)?;
    let buf = reader(fd.as_fd());
    crate::rt::done_with(fd);
    String::from_utf8(buf?).map_err(|_| Errno::INVAL)
}

/// `read_records`, naming the file on error.
#[inline(never)]
pub(crate) fn get_records(at: At<'_>, name: &str) -> Result<String> {
    read_records(at, name).map_err(|e| Error::sys(format_args!("read {}/{name}", at.path), e))
}

/// The error for a failed write of `val` to `name`: ENOENT means the host lacks the knob.
#[inline(never)]
pub(crate) fn err(at: At<'_>, name: &str, val: &str, e: Errno) -> Error {
    if e == Errno::NOENT {
        Error::msg(format_args!("not supported by this host ({}/{name} missing)", at.path))
    } else if val.is_empty() {
        Error::sys(format_args!("open {}/{name}", at.path), e)
    } else {
        Error::sys(format_args!("write {} to {}/{name}", val.trim_end(), at.path), e)
    }
}

/// Writes a resource value; errors are prefixed with the config field (formatted only then).
#[inline(never)]
pub(crate) fn set(at: At<'_>, field: &dyn Display, name: &str, val: &str) -> Result<()> {
    write(at, name, val).map_err(|e| err(at, name, val, e).context(field))
}

/// Decimal text. Hand-rolled: one shared function is smaller than core::fmt at every call site.
#[inline(never)]
pub(crate) fn dec(v: i64) -> String {
    let mut s = String::new();
    if v < 0 {
        s.push('-');
    }
    push_udec(&mut s, v.unsigned_abs());
    s
}

#[inline(never)]
pub(crate) fn udec(v: u64) -> String {
    let mut s = String::new();
    push_udec(&mut s, v);
    s
}

#[inline(never)]
pub(crate) fn push_udec(s: &mut String, v: u64) {
    s.extend(crate::rt::dec(v, &mut [0; 20]).iter().map(|&b| b as char));
}

/// "major:minor " (the prefix of per-device lines), then `rest`.
#[inline(never)]
pub(crate) fn dev_line(major: i64, minor: i64, rest: &str) -> String {
    let mut s = dec(major);
    s.push(':');
    s.push_str(&dec(minor));
    s.push(' ');
    s.push_str(rest);
    s
}

/// Reads a file, naming it on error.
#[inline(never)]
pub(crate) fn get(at: At<'_>, name: &str) -> Result<String> {
    read(at, name).map_err(|e| Error::sys(format_args!("read {}/{name}", at.path), e))
}

/// The first number in a file ("max" reads as u64::MAX, as runc reports unlimited v2 values).
#[inline(never)]
pub(crate) fn get_u64(at: At<'_>, name: &str) -> Result<u64> {
    let s = get(at, name)?;
    parse_u64(s.trim()).ok_or_else(|| Error::msg(format_args!("{}/{name}: unexpected content {}", at.path, Quoted::str(s.trim()))))
}

#[inline(never)]
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    match s {
        "max" => Some(u64::MAX),
        _ if s.starts_with('+') => None,
        _ => crate::rt::parse_uint(s),
    }
}

/// `key value` lines (memory.stat, cpu.stat, memory.events, ...).
pub(crate) fn kv(text: &str) -> impl Iterator<Item = (&str, u64)> {
    text.lines().filter_map(|l| {
        let (k, v) = l.split_once(' ')?;
        Some((k, parse_u64(v.trim())?))
    })
}

/// Creates `dir` and any missing parents below the mount point (`dir[..mnt]`). Returns how many
/// trailing components it created (0: `dir` existed). One mkdir when only the leaf is missing.
///
/// A parent shared with other containers can vanish between our mkdir of it (EEXIST) and the
/// leaf's: the container that made it removes it when it is deleted and the parent is empty. The
/// chain is then made again (a few times: each retry needs another container's delete to win).
pub(crate) fn mkdir_chain(dir: &str, mnt: usize) -> Result<u16> {
    let mut tries = 0;
    loop {
        match mkdir_chain_once(dir, mnt) {
            Err(Errno::NOENT) if tries < 4 => tries += 1,
            Err(e) => return Err(Error::sys(format_args!("mkdir {dir}"), e)),
            Ok(n) => return Ok(n),
        }
    }
}

/// One attempt of `mkdir_chain`; on error, the parents it made are removed again.
fn mkdir_chain_once(dir: &str, mnt: usize) -> core::result::Result<u16, Errno> {
    match fs::mkdirat(CWD, cs(dir), Mode::from_raw_mode(0o755)) {
        Ok(()) => Ok(1),
        Err(Errno::EXIST) => Ok(0),
        Err(Errno::NOENT) if parent(dir).len() > mnt => {
            let n = mkdir_chain_once(parent(dir), mnt)?;
            match fs::mkdirat(CWD, cs(dir), Mode::from_raw_mode(0o755)) {
                Ok(()) => Ok(n + 1),
                Err(e) => {
                    // Take back the parents made for it: the caller never learns about them.
                    let mut d = dir;
                    for _ in 0..n {
                        d = parent(d);
                        let _ = fs::unlinkat(CWD, cs(d), AtFlags::REMOVEDIR);
                    }
                    Err(e)
                }
            }
        }
        Err(e) => Err(e),
    }
}

#[inline(never)]
pub(crate) fn parent(dir: &str) -> &str {
    crate::rt::rfind(dir, b'/').map_or("", |i| crate::rt::head(dir, i))
}

/// An existing cgroup named by the config is used only if no process is in it (runc: "container's
/// cgroup is not empty").
pub(crate) fn check_unused(at: At<'_>) -> Result<()> {
    let procs = get_records(at, "cgroup.procs")?;
    if !procs.trim().is_empty() {
        crate::bail!("cgroup {} already exists and has processes in it", at.path);
    }
    Ok(())
}

/// Writes `pid` to cgroup.procs. EINVAL can mean the task is still being created (TASK_NEW): retry
/// a few times, as runc does.
#[inline(never)]
pub(crate) fn join(h: &Hier, pid: u32) -> Result<()> {
    let val = udec(pid as u64);
    let mut tries = 0;
    loop {
        match write(h.at(), "cgroup.procs", &val) {
            Err(Errno::INVAL) if tries < 5 => {
                tries += 1;
                sleep_ms(10);
            }
            r => return r.map_err(|e| err(h.at(), "cgroup.procs", &val, e)),
        }
    }
}

pub(crate) fn sleep_ms(ms: u64) {
    let t = rustix::time::Timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 };
    let _ = rustix::thread::nanosleep(&t);
}

/// Removes what rsrun created in one hierarchy: the leaf (and sub-cgroups inside it), then the
/// created parents if they are empty (another container may share them).
pub(crate) fn remove_created(h: &Hier) -> Result<()> {
    if h.created == 0 {
        return Ok(());
    }
    rmdir_tree(&h.dir)?;
    remove_created_parents(h)
}

/// `remove_created` if nothing keeps the leaf busy: one rmdir, no sub-cgroup walk, no waiting.
/// Ok(false) when it is busy (processes or sub-cgroups in it), and for a leaf that existed before
/// create (never removed, so no rmdir can tell): nothing is removed then.
pub(crate) fn remove_created_if_idle(h: &Hier) -> Result<bool> {
    if h.created == 0 {
        return Ok(false);
    }
    match fs::unlinkat(CWD, cs(&h.dir), AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(Errno::BUSY | Errno::NOTEMPTY) => return Ok(false),
        Err(e) => return Err(Error::sys(format_args!("rmdir {}", h.dir), e)),
    }
    remove_created_parents(h).map(|()| true)
}

/// The parents rsrun created above a removed leaf, each only if it is empty.
fn remove_created_parents(h: &Hier) -> Result<()> {
    let mut d = h.dir.as_str();
    for _ in 1..h.created {
        d = parent(d);
        match fs::unlinkat(CWD, cs(d), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT | Errno::BUSY | Errno::NOTEMPTY) => {}
            Err(e) => return Err(Error::sys(format_args!("rmdir {d}"), e)),
        }
    }
    Ok(())
}

/// rmdir, first trying the directory alone (one syscall in the usual case); when it is busy,
/// removes sub-cgroups depth-first and retries with growing sleeps (~0.5 s in all) while the last
/// processes exit.
pub(crate) fn rmdir_tree(dir: &str) -> Result<()> {
    let mut delay = 1;
    loop {
        match fs::unlinkat(CWD, cs(dir), AtFlags::REMOVEDIR) {
            Ok(()) | Err(Errno::NOENT) => return Ok(()),
            Err(e @ (Errno::BUSY | Errno::NOTEMPTY)) => {
                let subs = subdirs(dir)?;
                for s in &subs {
                    rmdir_tree(s)?;
                }
                if subs.is_empty() {
                    if delay > 256 {
                        return Err(Error::sys(format_args!("rmdir {dir}"), e));
                    }
                    sleep_ms(delay);
                    delay *= 2;
                }
            }
            Err(e) => return Err(Error::sys(format_args!("rmdir {dir}"), e)),
        }
    }
}

/// Absolute paths of the sub-directories (child cgroups) of `dir`.
pub(crate) fn subdirs(dir: &str) -> Result<Vec<String>> {
    let fd = match fs::openat(CWD, cs(dir), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(Vec::new()),
        Err(e) => return Err(Error::sys(format_args!("open {dir}"), e)),
    };
    let mut out = Vec::new();
    let mut buf = Vec::with_capacity(8192);
    let mut d = fs::RawDir::new(fd.as_fd(), buf.spare_capacity_mut());
    while let Some(ent) = d.next() {
        let ent = match ent {
            Ok(ent) => ent,
            Err(Errno::NOENT) => break, // the cgroup went away while listed
            Err(e) => return Err(Error::sys(format_args!("read {dir}"), e)),
        };
        let name = ent.file_name().to_bytes();
        if ent.file_type() == fs::FileType::Directory
            && name != b"."
            && name != b".."
            && let Ok(n) = core::str::from_utf8(name)
        {
            out.push(crate::rt::cat(&[dir, "/", n]));
        }
    }
    Ok(out)
}
