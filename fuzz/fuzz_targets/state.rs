//! state.json as the later verbs read it: `State::from_json`, then what `delete --force` and the
//! status check take from it (the "cgroup" slot through `Cgroup::from_state_slot`, the "hooks"
//! slot through `spec::parse_hooks`) and what `state`/hooks print. A corrupt file must be an error,
//! never a panic; a loaded state must save and load back to the same bytes; and no cgroup path
//! from state.json may point outside /sys/fs/cgroup, since `delete` removes those directories.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::cgroups::Cgroup;
use rsrun::json::Writer;
use rsrun::state::{State, Status};

fn check_cgroup(cg: &Cgroup) {
    for dir in cg.dirs() {
        let below = dir.strip_prefix("/sys/fs/cgroup/").unwrap_or_else(|| panic!("{dir} outside /sys/fs/cgroup"));
        assert!(below.split('/').all(|c| !matches!(c, "" | "." | "..")), "unclean cgroup dir {dir}");
    }
    let mut w = Writer::new();
    cg.to_json(&mut w);
    let text = std::str::from_utf8(w.as_bytes()).expect("cgroup JSON is UTF-8");
    let back = Cgroup::from_state_slot(Some(text)).expect("saved cgroup must load").expect("slot given");
    let mut w2 = Writer::new();
    back.to_json(&mut w2);
    assert_eq!(w.as_bytes(), w2.as_bytes(), "cgroup round trip");
}

fuzz_target!(|data: &[u8]| {
    let Ok(st) = State::from_json(data) else { return };
    let saved = st.to_json();
    let back = State::from_json(&saved).expect("a saved state must load");
    assert_eq!(back.to_json(), saved, "state round trip");
    if let Ok(Some(cg)) = Cgroup::from_state_slot(st.extra("cgroup")) {
        check_cgroup(&cg);
    }
    if let Some(raw) = st.extra("hooks")
        && let Ok(doc) = rsrun::json::parse(raw.as_bytes())
    {
        let _ = rsrun::spec::parse_hooks(doc.root());
    }
    for status in [Status::Created, Status::Running, Status::Stopped] {
        let mut w = Writer::new();
        st.write_oci(&mut w, status, "root");
        assert!(rsrun::json::parse(w.as_bytes()).is_ok(), "state output must be JSON");
        let mut w = Writer::new();
        st.write_hook_state(&mut w, status);
        assert!(rsrun::json::parse(w.as_bytes()).is_ok(), "hook state must be JSON");
    }
});
