//! /proc/self/mountinfo and /proc/self/cgroup parsing: the init's mountinfo reader
//! (`init::mountinfo::parse`, `unescape`), the v1 hierarchies of the "cgroup" mount
//! (`init::v1_hierarchies`), and cgroup layout detection + `linux.cgroupsPath` resolution
//! (`cgroups::resolve_from_texts`). Input: mountinfo text, then NUL-separated /proc/self/cgroup
//! text, cgroupsPath and container id. No panic; every resolved cgroup directory is below
//! /sys/fs/cgroup without "." or ".." components, and what create would record in state.json
//! loads back (so delete can remove it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::cgroups::{Cgroup, resolve_from_texts};
use rsrun::init::mountinfo;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.split('\0');
    let info = parts.next().unwrap_or("");
    let own = parts.next().unwrap_or("");
    let path = parts.next();
    let id = parts.next().unwrap_or("c1");
    for e in mountinfo::parse(info) {
        assert!(!e.fstype.contains(' ') && !e.super_opts.contains(' '));
        let _ = mountinfo::unescape(&e.mount_point);
    }
    for (name, _ctrls, source) in rsrun::init::v1_hierarchies(info, own) {
        assert!(!name.is_empty() && !name.contains('/'), "hierarchy name {name:?}");
        let _ = source;
    }
    if let Ok(cg) = resolve_from_texts(info, own, path, id) {
        for dir in cg.dirs() {
            let below = dir.strip_prefix("/sys/fs/cgroup/").unwrap_or_else(|| panic!("{dir} outside /sys/fs/cgroup"));
            assert!(below.split('/').all(|c| !matches!(c, "" | "." | "..")), "unclean cgroup dir {dir}");
        }
        let mut w = rsrun::json::Writer::new();
        cg.to_json(&mut w);
        let saved = std::str::from_utf8(w.as_bytes()).expect("UTF-8");
        if let Err(e) = Cgroup::from_state_slot(Some(saved)) {
            panic!("create would record a cgroup delete cannot load: {saved}: {e}");
        }
    }
});
