//! `process.user`: the container's uid, gid, supplementary groups and umask, and HOME from the
//! container's /etc/passwd.
//!
//! The switch uses the raw per-thread syscalls (setgroups, setresgid, setresuid): the init is single-
//! threaded, so there is no need for glibc's all-threads broadcast. Order: groups first and uid last,
//! because setgroups and setresgid need CAP_SETGID, which a switch away from uid 0 takes away.
//! Supplementary groups are exactly `additionalGids`: runc and crun do not add the groups /etc/group
//! lists for the user when the config gives the gid explicitly (it always does).
use crate::bail;
use crate::error::{Context, Error, Result};
use alloc::vec::Vec;
use rustix::fd::IntoRawFd;
use rustix::fs::{CWD, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use rustix::process::{Gid, Uid};

/// The ids to switch to, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

/// The largest number of supplementary groups the kernel takes (NGROUPS_MAX).
const NGROUPS_MAX: usize = 65536;

/// Checks the ids: -1 (4294967295) means "unchanged" to the set*id syscalls, so it is refused.
pub fn check(uid: u32, gid: u32, groups: &[u32]) -> Result<Ids> {
    if uid == u32::MAX {
        bail!("process.user.uid: {uid} is not a valid id");
    }
    if gid == u32::MAX {
        bail!("process.user.gid: {gid} is not a valid id");
    }
    if let Some(i) = groups.iter().position(|g| *g == u32::MAX) {
        bail!("process.user.additionalGids[{i}]: {} is not a valid id", u32::MAX);
    }
    if groups.len() > NGROUPS_MAX {
        bail!("process.user.additionalGids: {} groups, at most {NGROUPS_MAX}", groups.len());
    }
    Ok(Ids { uid, gid, groups: groups.to_vec() })
}

/// setgroups, setresgid, setresuid: 3 syscalls. In a user namespace whose setgroups is "deny",
/// setgroups fails with EPERM; with no additional gids that is fine (runc skips the call then).
/// `current`: the process's (uid, gid) when known to be all three of real, effective and saved
/// (see `exec_creds`); a setresuid or setresgid to exactly those would change nothing and is skipped.
pub fn switch(ids: &Ids, current: Option<(u32, u32)>) -> Result<()> {
    let groups: Vec<Gid> = ids.groups.iter().map(|g| Gid::from_raw(*g)).collect();
    match rustix::thread::set_thread_groups(&groups) {
        Ok(()) => {}
        Err(Errno::PERM) if groups.is_empty() => {}
        Err(e) => return Err(Error::sys("process.user.additionalGids: setgroups", e)),
    }
    let gid = Gid::from_raw(ids.gid);
    if current.is_none_or(|(_, g)| g != ids.gid) {
        rustix::thread::set_thread_res_gid(gid, gid, gid)
            .context(format_args!("process.user.gid: setresgid({})", ids.gid))?;
    }
    let uid = Uid::from_raw(ids.uid);
    if current.is_none_or(|(u, _)| u != ids.uid) {
        rustix::thread::set_thread_res_uid(uid, uid, uid)
            .context(format_args!("process.user.uid: setresuid({})", ids.uid))?;
    }
    Ok(())
}

/// The container init's (uid, gid) when they are the same real, effective and saved ids it was
/// executed with, from the auxiliary vector (no syscall): rsrun is not set-id (saved = effective
/// after execve) and nothing changes its ids before the switch, unless it is in a user namespace
/// (made or joined: `in_userns`), where setresuid(0) is what maps it. None otherwise.
pub fn exec_creds(in_userns: bool) -> Option<(u32, u32)> {
    let (uid, euid, gid, egid) = crate::rt::exec_ids()?;
    (!in_userns && uid == euid && gid == egid).then_some((uid, gid))
}

/// Gives a terminal on stdio to the container user before the switch, so a non-root process can use
/// its own console (runc's fixStdioPermissions does this for any stdio fd; rsrun limits it to
/// terminals, so that a host file or pipe given as stdout is never chowned). Only the owner changes.
/// Errors are ignored as runc does (an unmapped owner in a user namespace, a read-only /dev).
/// Costs 3 fstat when the uid is not 0, none otherwise.
pub fn give_tty(uid: u32) {
    if uid == 0 {
        return;
    }
    for n in 0..3 {
        // SAFETY: a number that is not open only makes fstat fail with EBADF.
        let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(n) };
        let Ok(st) = rustix::fs::fstat(fd) else { continue };
        let major = rustix::fs::major(st.st_rdev);
        // Unix98 pty slaves (136..=143) and the console/tty majors (4, 5).
        let tty = FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice && matches!(major, 4 | 5 | 136..=143);
        if tty && st.st_uid != uid {
            let _ = rustix::fs::fchown(fd, Some(Uid::from_raw(uid)), None);
        }
    }
}

/// The home directory of `uid` in the container's /etc/passwd, or "/" (runc's default) when the file
/// or the user is missing. The first matching line wins, as in runc.
///
/// The file is opened with RESOLVE_NO_MAGICLINKS (a symlink into /proc/self/fd cannot reach a host
/// file the init holds) and O_NONBLOCK (a FIFO there cannot hang the init); at most 1 MiB is read.
/// Not closed: see the fd contract in `process::exec`. open + read (+ read for files over 64 KiB).
pub fn home_of(uid: u32) -> Vec<u8> {
    let Ok(fd) = rustix::fs::openat2(
        CWD,
        c"/etc/passwd",
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
        ResolveFlags::NO_MAGICLINKS,
    ) else {
        return b"/".to_vec();
    };
    const CHUNK: usize = 64 * 1024;
    const MAX: usize = 1024 * 1024;
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < MAX {
        buf.reserve(CHUNK);
        let Ok((n, _)) = rustix::io::read(&fd, buf.spare_capacity_mut()) else { break };
        let n = n.len();
        // SAFETY: read initialised the first `n` bytes of the spare capacity.
        unsafe { buf.set_len(buf.len() + n) };
        // A regular file returns everything it has: a short read is the end.
        if n < CHUNK {
            break;
        }
    }
    let _ = fd.into_raw_fd();
    home_in(&buf, uid).unwrap_or(b"/").to_vec()
}

/// Finds `uid`'s home in passwd text (name:password:uid:gid:gecos:home:shell).
#[doc(hidden)]
pub fn home_in(passwd: &[u8], uid: u32) -> Option<&[u8]> {
    let mut want = [0u8; 20];
    let want = crate::rt::dec(u64::from(uid), &mut want);
    passwd.split(|b| *b == b'\n').find_map(|line| {
        let mut f = line.split(|b| *b == b':');
        let _name = f.next()?;
        let _pw = f.next()?;
        if f.next()? != want {
            return None;
        }
        let _gid = f.next()?;
        let _gecos = f.next()?;
        f.next()
    })
}

/// The process umask: `process.user.umask`, or runc's default 0022 (set even when absent, so the
/// container does not inherit whatever umask rsrun was started with). One syscall.
pub fn set_umask(umask: u32) {
    rustix::process::umask(Mode::from_raw_mode(umask));
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn passwd_lookup() {
        let p = b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:U:/home/user:/bin/sh\nbad line\ndup:x:1000:1:::\n";
        assert_eq!(home_in(p, 0), Some(&b"/root"[..]));
        assert_eq!(home_in(p, 1000), Some(&b"/home/user"[..]));
        assert_eq!(home_in(p, 10), None);
        assert_eq!(home_in(b"x:x:7:7:", 7), None, "no home field");
        assert_eq!(home_in(b"x:x:7:7:::", 7), Some(&b""[..]));
        assert_eq!(home_in(b"x:x:4294967294:7::/h", 4294967294), Some(&b"/h"[..]));
    }

    #[test]
    fn ids() {
        assert_eq!(check(1, 2, &[3]).unwrap(), Ids { uid: 1, gid: 2, groups: alloc::vec![3] });
        assert_eq!(check(u32::MAX, 0, &[]).unwrap_err().to_string(), "process.user.uid: 4294967295 is not a valid id");
        assert_eq!(check(0, u32::MAX, &[]).unwrap_err().to_string(), "process.user.gid: 4294967295 is not a valid id");
        assert_eq!(
            check(0, 0, &[1, u32::MAX]).unwrap_err().to_string(),
            "process.user.additionalGids[1]: 4294967295 is not a valid id"
        );
    }
}
