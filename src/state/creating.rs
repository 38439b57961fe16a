//! A container whose `create` has not finished: still running, or killed half-way.
//!
//! `create` makes the state directory, then, before it makes anything else (cgroups, the exec fifo,
//! the init), records what it is about to make: the record is the *target* of a symlink named
//! state.json. One symlinkat, no file to open, write or close, and nothing to remove later: the
//! final state.json is renamed over it. Readers open state.json with O_NOFOLLOW, so a record reads
//! as "no state yet" (ELOOP). A record longer than a symlink can hold goes into a regular
//! state.json instead, told apart by its "creating" key.
//!
//! The record is `{"creating":true,"cgroup":<the cgroup slot as state.json keeps it>}`, written with
//! every hierarchy's leaf counted as made by create (the usual case); create records again in the
//! rare case it made more (missing parents) or found the leaf existing.
//!
//! Whatever else a half-created container has is found without a record: its processes hold the
//! exec fifo open until they exec (container/recover.rs finds them through /proc), and nothing is
//! mounted outside the init's own mount namespace.
//!
//! `salvage` reads what it can from a damaged state.json, for `delete --force`.
use super::{Container, STATE_FILE, STATE_TMP, State};
use crate::error::{Context, Result};
use crate::rt::cs;
use rustix::fd::AsFd;
use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

/// The longest symlink target the kernel stores (PATH_MAX including its NUL).
const MAX_LINK: usize = 4095;

/// The key that marks a creation record.
pub const CREATING: &str = "creating";

impl Container {
    /// Records, as state.json, what `create` is about to make (see the module docs): one
    /// symlinkat in a fresh state directory.
    pub fn record_creation(&self, record: &[u8]) -> Result<()> {
        self.write_record(STATE_FILE, record)
    }

    /// Replaces the creation record atomically (temp name, then rename over state.json).
    pub fn rerecord_creation(&self, record: &[u8]) -> Result<()> {
        let _ = rustix::fs::unlinkat(self.dir(), cs(STATE_TMP), AtFlags::empty());
        self.write_record(STATE_TMP, record)?;
        rustix::fs::renameat(self.dir(), cs(STATE_TMP), self.dir(), cs(STATE_FILE))
            .context(format_args!("record the creation of {}", self.path))
    }

    fn write_record(&self, name: &str, record: &[u8]) -> Result<()> {
        let what = || alloc::format!("record the creation of {}", self.path);
        if record.len() <= MAX_LINK && !record.contains(&0) {
            return rustix::fs::symlinkat(crate::rt::CPath(record), self.dir(), cs(name)).with_context(what);
        }
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(self.dir(), cs(name), flags, Mode::from_raw_mode(0o600)).with_context(what)?;
        crate::rt::write_all(fd.as_fd(), record).with_context(what)
    }

    /// The creation record, if state.json is one (a symlink, or a regular file with the
    /// "creating" key). None when there is no state.json, a real one, or it cannot be read.
    pub fn creation_record(&self) -> Option<State> {
        let text = match rustix::fs::readlinkat(self.dir(), cs(STATE_FILE), alloc::vec::Vec::new()) {
            Ok(target) => target.into_bytes(),
            Err(Errno::INVAL) => crate::rt::io::read_at_nofollow(self.dir(), STATE_FILE).ok()?,
            Err(_) => return None,
        };
        State::from_json(&text).ok().filter(|st| st.extra(CREATING).is_some())
    }

    /// Whether no process holds the container's lock now: a create still running holds it for
    /// its whole life, so an incomplete container nobody locks was abandoned. Takes the lock
    /// (released when `self` is dropped); holding it already counts as free.
    pub fn lock_is_free(&self) -> bool {
        rustix::fs::flock(&self.dir, FlockOperation::NonBlockingLockExclusive).is_ok()
    }
}

/// What can still be read from a damaged state.json: the init's pid and start time (only both
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
    fn records_are_not_states() {
        let dir = std::env::temp_dir().join(format!("rsrun-test-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = super::super::Store::new(dir.to_str().unwrap());
        let id = super::super::Id::new("c").unwrap();
        let c = store.create(id).unwrap();
        assert!(c.creation_record().is_none());
        c.record_creation(br#"{"creating":true,"cgroup":{"mode":"v2","dirs":[]}}"#).unwrap();
        assert!(c.try_load().unwrap().is_none(), "a record is not a state");
        assert!(std::fs::symlink_metadata(dir.join("c/state.json")).unwrap().file_type().is_symlink());
        assert_eq!(c.creation_record().unwrap().extra("cgroup"), Some(r#"{"mode":"v2","dirs":[]}"#));
        // Too long for a symlink: a regular file, still a record.
        let long = format!(r#"{{"creating":true,"cgroup":{{"mode":"v2","dirs":[]}},"pad":"{}"}}"#, "x".repeat(5000));
        c.rerecord_creation(long.as_bytes()).unwrap();
        assert!(std::fs::symlink_metadata(dir.join("c/state.json")).unwrap().is_file());
        assert!(c.try_load().unwrap().is_none());
        assert!(c.creation_record().is_some());
        // The final state replaces it.
        c.save(&State { id: "c".into(), ..State::default() }).unwrap();
        assert!(c.creation_record().is_none());
        assert_eq!(c.try_load().unwrap().unwrap().id, "c");
        c.remove().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
