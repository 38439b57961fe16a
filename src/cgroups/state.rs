//! The cgroup as stored in the container's state.json between verbs:
//! `{"mode":"hybrid","dirs":[{"ctrl":"cpu,cpuacct","mount":"/sys/fs/cgroup/cpu,cpuacct",
//! "path":"/docker/c1","created":1},…]}`. `ctrl` is "" for the cgroup2 hierarchy; `created` is how
//! many trailing components of `path` rsrun made (what `delete` removes). With the systemd driver
//! a `"systemd":{"unit":"rsrun-c1.scope","user":false}` member names the unit `delete` stops.
use super::{Cgroup, Hier, Mode, ctrl};
use crate::error::{Error, Result};
use crate::json::{Kind, Value, Writer};
use alloc::string::String;
use alloc::vec::Vec;

impl Cgroup {
    pub fn to_json(&self, w: &mut Writer) {
        w.begin_object().field_str("mode", self.mode.as_str()).key("dirs").begin_array();
        for h in &self.hier {
            let mut names = String::new();
            ctrl::names(h.ctrls, &mut names);
            w.begin_object()
                .field_str("ctrl", &names)
                .field_str("mount", crate::rt::head(&h.dir, h.mnt))
                .field_str("path", crate::rt::tail(&h.dir, h.mnt))
                .field_u64("created", h.created as u64)
                .end_object();
        }
        w.end_array();
        if let Some(s) = &self.systemd {
            w.key("systemd").begin_object().field_str("unit", &s.unit).field_bool("user", s.user).end_object();
        }
        w.end_object();
    }

    /// Rebuilds the cgroup from `to_json`'s output, without touching the filesystem. Paths are
    /// checked (below /sys/fs/cgroup, no empty, "." or ".." components) since `delete` removes what
    /// they name.
    pub fn from_json(v: Value<'_, '_>) -> Result<Self> {
        parse(v).ok_or_else(|| Error::msg("state.json: invalid cgroup record"))
    }

    /// The cgroup of a container from the raw JSON of its state's "cgroup" slot (None: no slot,
    /// so no cgroup was recorded).
    pub fn from_state_slot(raw: Option<&str>) -> Result<Option<Self>> {
        let Some(raw) = raw else { return Ok(None) };
        let doc = crate::json::parse(raw.as_bytes()).map_err(Error::msg)?;
        Self::from_json(doc.root()).map(Some)
    }
}

fn parse(v: Value<'_, '_>) -> Option<Cgroup> {
    let mode = v.get("mode")?.as_str()?;
    let mode = [Mode::V1, Mode::Hybrid, Mode::V2].into_iter().find(|m| mode.eq_str(m.as_str()))?;
    let mut hier = Vec::new();
    for d in v.get("dirs").filter(|d| d.kind() == Kind::Array)?.items() {
        let s = |k: &str| Some(d.get(k)?.as_str()?.get());
        let (names, mount, path) = (s("ctrl")?, s("mount")?, s("path")?);
        let created = d.get("created")?.as_u64()?;
        let ctrls = if names.is_empty() { ctrl::UNIFIED } else { ctrl::parse_list(&names) };
        // `delete` removes the last `created` components of `path`: never more than it has, and
        // never anything outside /sys/fs/cgroup.
        if ctrls == 0 || !super::detect::is_cgroup_dir(&mount, &path) || created as usize > path.split('/').count() - 1 {
            return None;
        }
        let mut dir = String::from(&*mount);
        dir.push_str(&path);
        hier.push(Hier { ctrls, mnt: mount.len(), dir, created: u16::try_from(created).ok()?, fd: None });
    }
    let systemd = match v.get("systemd") {
        None => None,
        Some(sd) => {
            let unit = sd.get("unit")?.as_str()?.get();
            let user = sd.get("user")?.as_bool()?;
            // The unit name goes to systemd as it is: the characters systemd allows only.
            let ok = |c: u8| c.is_ascii_alphanumeric() || b":_.\\@-".contains(&c);
            if unit.is_empty() || !unit.bytes().all(ok) {
                return None;
            }
            Some(alloc::boxed::Box::new(super::systemd::Scope::recorded(&unit, user)))
        }
    };
    Some(Cgroup { mode, hier, systemd })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let cg = Cgroup {
            mode: Mode::Hybrid,
            hier: alloc::vec![
                Hier {
                    ctrls: ctrl::CPU | ctrl::CPUACCT,
                    mnt: 26,
                    dir: "/sys/fs/cgroup/cpu,cpuacct/a/b".into(),
                    created: 2,
                    fd: None
                },
                Hier { ctrls: ctrl::UNIFIED, mnt: 22, dir: "/sys/fs/cgroup/unified/a/b".into(), created: 1, fd: None },
            ],
            systemd: None,
        };
        let mut w = Writer::new();
        cg.to_json(&mut w);
        let text = core::str::from_utf8(w.as_bytes()).unwrap();
        assert_eq!(
            text,
            r#"{"mode":"hybrid","dirs":[{"ctrl":"cpu,cpuacct","mount":"/sys/fs/cgroup/cpu,cpuacct","path":"/a/b","created":2},{"ctrl":"","mount":"/sys/fs/cgroup/unified","path":"/a/b","created":1}]}"#
        );
        let doc = crate::json::parse(text.as_bytes()).unwrap();
        let back = Cgroup::from_json(doc.root()).unwrap();
        let mut w2 = Writer::new();
        back.to_json(&mut w2);
        assert_eq!(w.as_bytes(), w2.as_bytes());
        let sd = r#"{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/system.slice/rsrun-c.scope","created":1}],"systemd":{"unit":"rsrun-c.scope","user":false}}"#;
        let doc = crate::json::parse(sd.as_bytes()).unwrap();
        let back = Cgroup::from_json(doc.root()).unwrap();
        assert_eq!(back.systemd_unit(), Some("rsrun-c.scope"));
        let mut w3 = Writer::new();
        back.to_json(&mut w3);
        assert_eq!(w3.as_bytes(), sd.as_bytes());
        for bad in [
            r#"{"mode":"v3","dirs":[]}"#,
            r#"{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a/../..","created":1}]}"#,
            r#"{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a","created":2}]}"#,
            r#"{"mode":"v1","dirs":[{"ctrl":"bogus","mount":"/x","path":"/a","created":1}]}"#,
            r#"{"mode":"v2","dirs":[],"systemd":{"unit":"a/b","user":false}}"#,
            r#"{"mode":"v2","dirs":[],"systemd":{"unit":"a.scope"}}"#,
            // Only directories below /sys/fs/cgroup are ever removed.
            r#"{"mode":"v1","dirs":[{"ctrl":"memory","mount":"/home","path":"/user","created":1}]}"#,
            r#"{"mode":"v1","dirs":[{"ctrl":"memory","mount":"/sys/fs/cgroupx","path":"/a","created":1}]}"#,
            r#"{"mode":"v1","dirs":[{"ctrl":"memory","mount":"/sys/fs/cgroup/../../etc","path":"/a","created":1}]}"#,
            r#"{"mode":"v2","dirs":[{"ctrl":"","mount":"/sys/fs/cgroup","path":"/a//b","created":1}]}"#,
        ] {
            let doc = crate::json::parse(bad.as_bytes()).unwrap();
            assert!(Cgroup::from_json(doc.root()).is_err(), "{bad}");
        }
    }
}
