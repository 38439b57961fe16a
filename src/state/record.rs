//! state.json: what rsrun remembers about a container between verbs.
//!
//! ```json
//! {"ociVersion":"1.2.0","id":"c1","pid":1234,"start":56789,"bundle":"/b","rootfs":"/b/rootfs",
//!  "created":"2026-11-29T00:12:34.123456789Z","owner":0,"annotations":{...},"cgroup":...}
//! ```
//! - `pid` and `start` identify the init process: `start` is field 22 of /proc/<pid>/stat (start
//!   time in clock ticks since boot), so a recycled pid is told apart (0 = unknown, not checked).
//! - `annotations` is kept as the raw JSON object text from config.json: nothing is re-encoded.
//! - Any other key is an opaque raw-JSON slot (`State::extra`) that the lifecycle verbs fill and
//!   read: e.g. "cgroup" (paths), "poststop" (hooks to run at delete), "flags" (create options).
//!   Unknown keys survive a load/save round trip untouched.
//! - The status is never stored: it is derived each time (see `status.rs`).
use crate::error::{Error, Result};
use crate::json::{Kind, Writer};
use crate::state::Status;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Default, Clone)]
pub struct State {
    pub oci_version: String,
    pub id: String,
    /// The init's pid in our pid namespace; 0 before it exists.
    pub pid: i32,
    /// Field 22 of /proc/<pid>/stat when the init was made; 0 = unknown.
    pub start_time: u64,
    /// Absolute bundle path.
    pub bundle: String,
    /// Absolute rootfs path.
    pub rootfs: String,
    /// RFC 3339 UTC with nanoseconds.
    pub created: String,
    /// The uid that created the container.
    pub owner: u32,
    /// config.json's annotations as raw JSON object text, if there were any.
    pub annotations: Option<String>,
    /// Other keys: (key, raw JSON value), in file order.
    pub extra: Vec<(String, String)>,
}

impl State {
    /// The raw JSON of slot `key`.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets slot `key` to `raw_json` (which must be one valid JSON value).
    pub fn set_extra(&mut self, key: &str, raw_json: &str) {
        match self.extra.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = raw_json.into(),
            None => self.extra.push((key.into(), raw_json.into())),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.begin_object()
            .field_str("ociVersion", &self.oci_version)
            .field_str("id", &self.id)
            .field_i64("pid", self.pid.into())
            .field_u64("start", self.start_time)
            .field_str("bundle", &self.bundle)
            .field_str("rootfs", &self.rootfs)
            .field_str("created", &self.created)
            .field_u64("owner", self.owner.into());
        if let Some(a) = &self.annotations {
            w.key("annotations").raw(a.as_bytes());
        }
        for (k, v) in &self.extra {
            w.key(k).raw(v.as_bytes());
        }
        w.end_object();
        w.into_bytes()
    }

    pub fn from_json(data: &[u8]) -> Result<Self> {
        let doc = crate::json::parse(data).map_err(Error::msg)?;
        let root = doc.root();
        if root.kind() != Kind::Object {
            return Err(Error::msg("not a JSON object"));
        }
        let mut st = State::default();
        // Members in file order; a repeated key overwrites, so the last one wins as in Go.
        for (k, v) in root.members() {
            let key = k.get();
            let bad = || Error::msg(format_args!("bad value for \"{key}\": {}", v.text()));
            let string = || v.as_str().map(|s| String::from(&*s.get())).ok_or_else(bad);
            match &*key {
                "ociVersion" => st.oci_version = string()?,
                "id" => st.id = string()?,
                "pid" => st.pid = v.as_i64().and_then(|p| i32::try_from(p).ok()).ok_or_else(bad)?,
                "start" => st.start_time = v.as_u64().ok_or_else(bad)?,
                "bundle" => st.bundle = string()?,
                "rootfs" => st.rootfs = string()?,
                "created" => st.created = string()?,
                "owner" => st.owner = v.as_u64().and_then(|o| u32::try_from(o).ok()).ok_or_else(bad)?,
                "annotations" => st.annotations = Some(v.text().into()),
                _ => st.set_extra(&key, v.text()),
            }
        }
        Ok(st)
    }

    /// Writes the state object `runc state` prints (and `list --format json` lists): ociVersion, id,
    /// pid (0 unless the init is alive), status, bundle, rootfs, created, annotations (only when
    /// non-empty), owner (`owner`: runc prints "" in `state` and the user name in `list`).
    pub fn write_oci(&self, w: &mut Writer, status: Status, owner: &str) {
        let pid = if status == Status::Stopped { 0 } else { self.pid };
        w.begin_object()
            .field_str("ociVersion", &self.oci_version)
            .field_str("id", &self.id)
            .field_i64("pid", pid.into())
            .field_str("status", status.as_str())
            .field_str("bundle", &self.bundle)
            .field_str("rootfs", &self.rootfs)
            .field_str("created", &self.created);
        if let Some(a) = self.annotations.as_deref().filter(|a| has_members(a)) {
            w.key("annotations").raw(a.as_bytes());
        }
        w.field_str("owner", owner).end_object();
    }

    /// The runtime-spec state hooks receive on stdin: ociVersion, id, status, pid, bundle,
    /// annotations.
    pub fn write_hook_state(&self, w: &mut Writer, status: Status) {
        let pid = if status == Status::Stopped { 0 } else { self.pid };
        w.begin_object()
            .field_str("ociVersion", &self.oci_version)
            .field_str("id", &self.id)
            .field_str("status", status.as_str())
            .field_i64("pid", pid.into())
            .field_str("bundle", &self.bundle);
        if let Some(a) = self.annotations.as_deref().filter(|a| has_members(a)) {
            w.key("annotations").raw(a.as_bytes());
        }
        w.end_object();
    }
}

/// Whether a raw JSON object text has at least one member (`{}` and `{ }` do not).
fn has_members(obj: &str) -> bool {
    obj.bytes().any(|b| !matches!(b, b'{' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_raw_slots_and_unknown_keys() {
        let src = br#"{"ociVersion":"1.2.0","id":"c\u00e91","pid":42,"start":123456789012,"bundle":"/b \"q\"","rootfs":"/b/rootfs","created":"2026-11-29T00:12:34.123456789Z","owner":1000,"annotations":{"a":"<&>","b":"\u00e9"},"cgroup":{"paths":["/x", 1.5e3]},"future":[true,null]}"#;
        let st = State::from_json(src).unwrap();
        assert_eq!(st.id, "cé1");
        assert_eq!((st.pid, st.start_time, st.owner), (42, 123456789012, 1000));
        assert_eq!(st.bundle, "/b \"q\"");
        assert_eq!(st.annotations.as_deref(), Some(r#"{"a":"<&>","b":"\u00e9"}"#));
        assert_eq!(st.extra("cgroup"), Some(r#"{"paths":["/x", 1.5e3]}"#));
        assert_eq!(st.extra("future"), Some("[true,null]"));
        let again = State::from_json(&st.to_json()).unwrap();
        assert_eq!(again.to_json(), st.to_json());
        assert_eq!(again.extra, st.extra);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        for bad in
            [&b""[..], b"[]", b"{\"pid\":\"x\"}", b"{\"pid\":99999999999}", b"{\"owner\":-1}", b"{\"id\":1}", b"{"]
        {
            assert!(State::from_json(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn oci_state_hides_pid_when_stopped_and_empty_annotations() {
        let st = State { id: "x".into(), pid: 7, annotations: Some("{}".into()), ..State::default() };
        let mut w = Writer::new();
        st.write_oci(&mut w, Status::Stopped, "");
        let s = String::from_utf8(w.into_bytes()).unwrap();
        assert!(s.contains("\"pid\":0,\"status\":\"stopped\"") && !s.contains("annotations"), "{s}");
    }
}
