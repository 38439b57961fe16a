//! The names in the container's /proc, read once, so that each masked or read-only path of the
//! usual lists that this kernel lacks (/proc/kcore, sched_debug, timer_stats, scsi, asound, ...: 7
//! of `crun spec`'s 15 on a Debian 12 kernel) costs no `openat2` that only returns ENOENT. One
//! open and one getdents64 replace those calls.
//!
//! Only absence is trusted, and only for a direct child of /proc: a name the listing has still
//! goes through the same in-root `openat2` as every other path (masks.rs), so the listing never
//! decides what gets masked, only which lookups are certain to fail. It is taken right before the
//! masks, from the directory those lookups would search (`proc` below the container's root), and a
//! top-level /proc name appears later only when a module registers one (sound, scsi), which would
//! leave it unmasked with or without this.
//!
//! The listing is used only when it is known whole: getdents64 stops early only when the next
//! record does not fit, so a result that leaves room for the longest record ends the directory (one
//! call instead of RawDir's two). A /proc with too many processes for the buffer (a container
//! sharing the host's PID namespace) is not listed, and every path is looked up as before.
use alloc::vec::Vec;
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};

/// Big enough for /proc's ~70 fixed names and the processes of a new PID namespace.
const BUF: usize = 4096;
/// The longest `struct linux_dirent64`: 19 bytes of header, a 255-byte name, its NUL, padding.
const MAX_RECORD: usize = 280;

/// The listing, taken on first use.
#[derive(Default)]
pub struct ProcNames {
    state: Listing,
}

#[derive(Default)]
enum Listing {
    #[default]
    NotRead,
    /// Whole: the getdents64 records of /proc.
    Whole(Vec<u8>),
    /// Could not be read whole (or at all): every path is looked up.
    Unknown,
}

impl ProcNames {
    /// Whether `rel` (a cleaned path relative to the container's root, as masks.rs has it) is
    /// `proc/NAME` with NAME certainly not in /proc.
    pub fn lacks(&mut self, rel: &str) -> bool {
        let Some(name) = rel.strip_prefix("proc/").filter(|n| !n.is_empty() && !n.contains('/')) else {
            return false;
        };
        if matches!(self.state, Listing::NotRead) {
            self.state = read().map_or(Listing::Unknown, Listing::Whole);
        }
        match &self.state {
            Listing::Whole(records) => !names(records).any(|n| n == name.as_bytes()),
            _ => false,
        }
    }
}

/// The records of `proc` below the cwd (the container's root after pivot_root), if whole.
fn read() -> Option<Vec<u8>> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let dir = rustix::fs::open(c"proc", flags, Mode::empty()).ok()?;
    let mut buf = alloc::vec![0u8; BUF];
    let n = syscalls::fd::getdents64(dir.as_fd(), &mut buf).ok()?;
    super::sys::release(dir);
    if n == 0 || n > BUF - MAX_RECORD {
        return None;
    }
    buf.truncate(n);
    Some(buf)
}

/// The names of getdents64 records; a malformed record ends the walk.
fn names(records: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    core::iter::from_fn(move || {
        // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name (NUL-ended).
        let len = u16::from_ne_bytes([*records.get(at + 16)?, *records.get(at + 17)?]) as usize;
        let name = records.get(at + 19..at + len)?;
        at += len.max(1);
        Some(name.split(|&b| b == 0).next().unwrap_or(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> Vec<u8> {
        let len = (19 + name.len() + 1).next_multiple_of(8);
        let mut r = alloc::vec![0u8; len];
        r[16..18].copy_from_slice(&(len as u16).to_ne_bytes());
        r[19..19 + name.len()].copy_from_slice(name.as_bytes());
        r
    }

    #[test]
    fn absence_only_for_direct_children_of_a_whole_listing() {
        let records: Vec<u8> = [".", "..", "keys", "sys", "1", "self"].iter().flat_map(|n| record(n)).collect();
        let mut p = ProcNames { state: Listing::Whole(records) };
        assert!(p.lacks("proc/kcore"));
        assert!(p.lacks("proc/key"));
        assert!(!p.lacks("proc/keys"));
        assert!(!p.lacks("proc/sys"));
        assert!(!p.lacks("proc/sys/kernel"), "below a child: not listed");
        assert!(!p.lacks("sys/firmware"));
        assert!(!p.lacks("proc"));
        let mut unknown = ProcNames { state: Listing::Unknown };
        assert!(!unknown.lacks("proc/kcore"));
    }

    #[test]
    fn truncated_records_end_the_walk() {
        let mut r = record("keys");
        r.truncate(20);
        assert_eq!(names(&r).count(), 0);
        let mut zero = record("a");
        zero[16] = 0;
        zero[17] = 0;
        assert_eq!(names(&zero).count(), 0);
    }
}
