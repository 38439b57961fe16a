//! A container whose `create` has not finished: still running, or killed half-way.
//!
//! `create` makes the state directory, then, before it makes anything else (cgroups, the exec fifo,
//! the init), records what it is about to make in state.json.tmp, the file its final state is
//! written to anyway: the record is written early through the same fd, and at the end the final
//! state overwrites it in place and the file is renamed to state.json, as before. One syscall more
//! than writing the state once (the record's write), no extra file, no rename over an existing
//! name (which ext4 makes pay for a forced block allocation) and nothing to remove later. Readers
//! never see it: they read state.json, which does not exist until the rename.
//!
//! The record is `{"creating":true,"cgroup":<the cgroup slot as state.json keeps it>}`, written with
//! every hierarchy's leaf counted as made by create (the usual case); create records again in the
//! rare case it made more (missing parents) or found the leaf existing. A later version is never
//! shorter than an earlier one in the file: it is padded with spaces (JSON allows them).
//!
//! Whatever else a half-created container has is found without a record: its processes hold the
//! exec fifo open until they exec (container/recover.rs finds them through /proc), and nothing is
//! mounted outside the init's own mount namespace.
//!
//! `salvage` reads what it can from a damaged state.json, or from a state.json.tmp a create killed
//! between its last write and the rename left complete.
use super::{Container, STATE_FILE, STATE_TMP, State};
use crate::error::{Context, Result};
use crate::rt::cs;
use alloc::vec::Vec;
use core::cell::Cell;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FlockOperation, Mode, OFlags};

/// The key that marks a creation record.
pub const CREATING: &str = "creating";

/// state.json.tmp of a container being created, open for writing.
pub struct Record {
    fd: OwnedFd,
    /// The longest text written so far: a shorter one is padded to it.
    len: Cell<usize>,
}

impl Container {
    /// Starts the record (see the module docs): creates state.json.tmp and writes `record` into it.
    /// Call in a fresh state directory, before anything of the container is made.
    pub fn record_creation(&self, record: &[u8]) -> Result<Record> {
        let what = || alloc::format!("record the creation of {}", self.path);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(self.dir(), cs(STATE_TMP), flags, Mode::from_raw_mode(0o600)).with_context(what)?;
        let rec = Record { fd, len: Cell::new(0) };
        rec.put(record).with_context(what)?;
        Ok(rec)
    }

    /// What an unfinished create left in state.json.tmp: its creation record, or its complete
    /// final state if it was killed right before the rename (salvaged if damaged). None when
    /// there is no such file.
    pub fn creation_record(&self) -> Option<State> {
        let text = crate::rt::io::read_at_nofollow(self.dir(), STATE_TMP).ok()?;
        Some(State::from_json(&text).unwrap_or_else(|_| salvage(&text)))
    }

    /// Whether no process holds the container's lock now: a create still running holds it for
    /// its whole life, so an incomplete container nobody locks was abandoned. Takes the lock
    /// (released when `self` is dropped); holding it already counts as free.
    pub fn lock_is_free(&self) -> bool {
        rustix::fs::flock(&self.dir, FlockOperation::NonBlockingLockExclusive).is_ok()
    }
}

impl Record {
    /// Replaces the record with a new version.
    pub fn rewrite(&self, record: &[u8]) -> Result<()> {
        self.put(record).context("record the creation again")
    }

    /// Writes the final state over the record and renames the file to state.json: the container
    /// is created. Hold the lock.
    pub fn commit(self, c: &Container, st: &State) -> Result<()> {
        let what = || alloc::format!("write {}/{STATE_FILE}", c.path);
        self.put(&st.to_json()).with_context(what)?;
        crate::rt::done_with(self.fd);
        rustix::fs::renameat(c.dir(), cs(STATE_TMP), c.dir(), cs(STATE_FILE)).with_context(what)
    }

    /// One pwrite at offset 0 of `text`, padded with spaces to the longest text written before.
    fn put(&self, text: &[u8]) -> core::result::Result<(), rustix::io::Errno> {
        let mut buf;
        let text = if text.len() < self.len.get() {
            buf = Vec::with_capacity(self.len.get());
            buf.extend_from_slice(text);
            buf.resize(self.len.get(), b' ');
            &buf[..]
        } else {
            text
        };
        let mut done = 0;
        while done < text.len() {
            match rustix::io::pwrite(self.fd.as_fd(), &text[done..], done as u64) {
                Ok(0) => return Err(rustix::io::Errno::IO),
                Ok(n) => done += n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        self.len.set(text.len());
        Ok(())
    }
}

/// What can still be read from a damaged state file: the init's pid and start time (only both
/// together: a pid alone could name a recycled process) and the "cgroup" record, each found by its
/// key wherever it is in the text rsrun wrote (compact JSON).
pub fn salvage(data: &[u8]) -> State {
    let mut st = State::default();
    if let (Some(pid), Some(start)) = (number_after(data, b"\"pid\":"), number_after(data, b"\"start\":"))
        && let Ok(pid) = i32::try_from(pid)
        && start != 0
    {
        st.pid = pid;
        st.start_time = start;
    }
    if let Some(obj) = object_after(data, b"\"cgroup\":") {
        st.set_extra("cgroup", obj);
    }
    st
}

fn after<'a>(data: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let i = data.windows(key.len()).position(|w| w == key)?;
    let rest = data.get(i + key.len()..)?;
    let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
    rest.get(skip..)
}

fn number_after(data: &[u8], key: &[u8]) -> Option<u64> {
    let rest = after(data, key)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    crate::rt::parse_uint(core::str::from_utf8(rest.get(..digits)?).ok()?)
}

/// The JSON object text that follows `key`, up to its matching brace (strings skipped).
fn object_after<'a>(data: &'a [u8], key: &[u8]) -> Option<&'a str> {
    let rest = after(data, key)?;
    if rest.first() != Some(&b'{') {
        return None;
    }
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, &b) in rest.iter().enumerate() {
        match (in_str, esc, b) {
            (true, true, _) => esc = false,
            (true, false, b'\\') => esc = true,
            (true, false, b'"') => in_str = false,
            (true, ..) => {}
            (false, _, b'"') => in_str = true,
            (false, _, b'{') => depth += 1,
            (false, _, b'}') => {
                depth -= 1;
                if depth == 0 {
                    return core::str::from_utf8(rest.get(..=i)?).ok();
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salvage_finds_what_is_intact() {
        let good = br#"{"ociVersion":"1.0.0","id":"x","pid":42,"start":777,"bundle":"/b","cgroup":{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a}\"{","created":1}]},"hooks":{"#;
        let st = salvage(good);
        assert_eq!((st.pid, st.start_time), (42, 777));
        assert_eq!(
            st.extra("cgroup"),
            Some(r#"{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a}\"{","created":1}]}"#)
        );
        // A pid without its start time could name a recycled process: not used.
        let st = salvage(br#"{"pid":42,"start":"x","cgroup":{"mode""#);
        assert_eq!((st.pid, st.start_time, st.extra("cgroup")), (0, 0, None));
        let st = salvage(b"\0\0\0garbage");
        assert_eq!((st.pid, st.extra.len()), (0, 0));
    }

    #[test]
    fn a_record_becomes_the_state() {
        let dir = std::env::temp_dir().join(format!("rsrun-test-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = super::super::Store::new(dir.to_str().unwrap());
        let id = super::super::Id::new("c").unwrap();
        let c = store.create(id).unwrap();
        assert!(c.creation_record().is_none());
        let long = br#"{"creating":true,"cgroup":{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a/long/path","created":1}]}}"#;
        let rec = c.record_creation(long).unwrap();
        assert!(c.try_load().unwrap().is_none(), "a record is not a state");
        assert!(c.creation_record().unwrap().extra("cgroup").unwrap().contains("/a/long/path"));
        // A shorter version is padded: no trace of the longer one is left to parse.
        rec.rewrite(br#"{"creating":true,"cgroup":{"mode":"v2","dirs":[]}}"#).unwrap();
        assert_eq!(c.creation_record().unwrap().extra("cgroup"), Some(r#"{"mode":"v2","dirs":[]}"#));
        rec.commit(&c, &State { id: "c".into(), ..State::default() }).unwrap();
        assert!(c.creation_record().is_none());
        assert_eq!(c.try_load().unwrap().unwrap().id, "c");
        c.remove().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
