use super::*;
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};

/// A valid config with `extra` spliced in as further top-level members.
fn cfg(extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"ociVersion": "1.2.0", "process": {{"cwd": "/", "args": ["sh"]}}{sep}{extra}}}"#)
}

/// Parses a valid config; the source is leaked so tests can build it inline.
fn ok(src: &str) -> Spec<'static> {
    let src: &'static str = String::from(src).leak();
    parse_config(src.as_bytes()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> String {
    match parse_config(src.as_bytes()) {
        Ok(s) => panic!("{src} parsed: {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn err_cfg(extra: &str) -> String {
    err(&cfg(extra))
}

fn resources_err(src: &str) -> String {
    let doc = crate::json::parse(src.as_bytes()).unwrap();
    parse_resources(doc.root()).unwrap_err().to_string()
}

#[test]
fn minimal_config() {
    let s = ok(&cfg(""));
    assert_eq!(s.oci_version, "1.2.0");
    let p = s.process.unwrap();
    assert_eq!(p.cwd, "/");
    assert_eq!(p.args, ["sh"]);
    assert!(s.root.is_none() && s.linux.is_none() && s.hooks.is_none() && s.mounts.is_empty());
}

#[test]
fn error_styles() {
    assert_eq!(
        err_cfg(r#""linux": {"resources": {"memory": {"limit": "64m"}}}"#),
        r#"linux.resources.memory.limit: expected an integer, got "64m""#
    );
    assert_eq!(err(r#"{"process": {"cwd": "/", "args": ["a", "b", 5]}}"#), "process.args[2]: expected a string, got 5");
    assert_eq!(
        err_cfg(r#""linux": {"namespaces": [{"type": "pid"}, {"type": "netns"}]}"#),
        r#"linux.namespaces[1].type: unknown namespace type "netns""#
    );
    assert_eq!(
        err(r#"{"process": {"cwd": "/", "args": ["sh"], "user": {"uid": -1}}}"#),
        "process.user.uid: expected an integer from 0 to 4294967295, got -1"
    );
    assert_eq!(
        err_cfg(r#""linux": {"namespaces": [{"type": "pid"}, {"type": "uts"}, {"type": "pid"}]}"#),
        r#"linux.namespaces: duplicate namespace type "pid""#
    );
    assert_eq!(
        err_cfg(r#""linux": {"sysctl": {"net.ipv4.ip_forward": 1}}"#),
        r#"linux.sysctl["net.ipv4.ip_forward"]: expected a string, got 1"#
    );
    assert_eq!(err_cfg(r#""root": {"readonly": "yes"}"#), r#"root.readonly: expected a boolean, got "yes""#);
    assert_eq!(err_cfg(r#""mounts": {"destination": "/x"}"#), r#"mounts: expected an array, got {"destination": "/x"}"#);
    assert_eq!(err_cfg(r#""linux": []"#), "linux: expected an object, got []");
    assert_eq!(err("[1, 2]"), "expected an object, got [1, 2]");
}

#[test]
fn integer_forms_and_ranges() {
    let mem = |v: &str| err_cfg(&format!(r#""linux": {{"resources": {{"memory": {{"limit": {v}}}}}}}"#));
    assert_eq!(mem("1.5"), "linux.resources.memory.limit: expected an integer, got 1.5");
    assert_eq!(mem("1e3"), "linux.resources.memory.limit: expected an integer, got 1e3");
    assert_eq!(mem("1.0"), "linux.resources.memory.limit: expected an integer, got 1.0");
    assert_eq!(
        mem("9223372036854775808"),
        "linux.resources.memory.limit: expected an integer from -9223372036854775808 to 9223372036854775807, got 9223372036854775808"
    );
    assert_eq!(mem("true"), "linux.resources.memory.limit: expected an integer, got true");
    // uint16 blockIO weights, int32 scheduler nice, uint64 cpu shares.
    assert_eq!(
        err_cfg(r#""linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 65536}]}}}"#),
        "linux.resources.blockIO.weightDevice[0].weight: expected an integer from 0 to 65535, got 65536"
    );
    assert_eq!(
        err(r#"{"process": {"cwd": "/", "args": ["sh"], "scheduler": {"policy": "SCHED_OTHER", "nice": -2147483649}}}"#),
        "process.scheduler.nice: expected an integer from -2147483648 to 2147483647, got -2147483649"
    );
    assert_eq!(
        err_cfg(r#""linux": {"resources": {"cpu": {"shares": -2}}}"#),
        "linux.resources.cpu.shares: expected an integer from 0 to 18446744073709551615, got -2"
    );
    // -1 where the Go type is signed.
    let s = ok(&cfg(
        r#""linux": {"resources": {"memory": {"limit": -1, "swap": -1, "reservation": -1}, "pids": {"limit": -1},
            "cpu": {"quota": -1}, "devices": [{"allow": true, "major": -1, "minor": -1}]},
          "devices": [{"type": "c", "path": "/dev/x", "major": -1, "minor": -1}]}"#,
    ));
    let l = s.linux.unwrap();
    let r = l.resources.unwrap();
    let m = r.memory.unwrap();
    assert_eq!((m.limit, m.swap, m.reservation), (Some(-1), Some(-1), Some(-1)));
    assert_eq!(r.pids.unwrap().limit, -1);
    assert_eq!(r.cpu.unwrap().quota, Some(-1));
    assert_eq!((r.devices[0].major, r.devices[0].minor), (Some(-1), Some(-1)));
    assert_eq!((l.devices[0].major, l.devices[0].minor), (-1, -1));
    // Extremes that fit.
    let s = ok(&cfg(r#""linux": {"resources": {"cpu": {"shares": 18446744073709551615}, "memory": {"limit": -9223372036854775808}}}"#));
    let r = s.linux.unwrap().resources.unwrap();
    assert_eq!(r.cpu.unwrap().shares, Some(u64::MAX));
    assert_eq!(r.memory.unwrap().limit, Some(i64::MIN));
}

#[test]
fn long_values_are_cut_and_kept_on_one_line() {
    let long = "x".repeat(100);
    let e = err_cfg(&format!(r#""hostname": ["{long}"]"#));
    assert_eq!(e, format!("hostname: expected a string, got [\"{}...", "x".repeat(38)));
    let e = err_cfg("\"root\": [\n    1,\n    2\n]");
    assert_eq!(e, "root: expected an object, got [ 1, 2 ]");
}

#[test]
fn invalid_json_reports_line_and_column() {
    let e = err("{\n  \"ociVersion\": \"1.2.0\",\n  \"x\": ,\n}");
    assert_eq!(e, "invalid JSON at line 3 column 8: expected a value");
}

#[test]
fn process_checks_match_runc() {
    assert_eq!(err(r#"{"ociVersion": "1.2.0"}"#), "process: missing");
    assert_eq!(err(r#"{"process": null}"#), "process: missing");
    assert_eq!(err(r#"{"process": {"args": ["sh"]}}"#), "process.cwd: missing");
    assert_eq!(err(r#"{"process": {"cwd": "tmp", "args": ["sh"]}}"#), r#"process.cwd: must be an absolute path, got "tmp""#);
    assert_eq!(err(r#"{"process": {"cwd": "/"}}"#), "process.args: must not be empty");
    assert_eq!(err(r#"{"process": {"cwd": "/", "args": []}}"#), "process.args: must not be empty");
    // ociVersion is not required (runc reads a missing one as "").
    assert_eq!(ok(r#"{"process": {"cwd": "/", "args": ["sh"]}}"#).oci_version, "");
    assert_eq!(err(r#"{"ociVersion": 1, "process": {"cwd": "/", "args": ["sh"]}}"#), "ociVersion: expected a string, got 1");
}

#[test]
fn parse_process_paths_start_at_the_object() {
    let doc = crate::json::parse(br#"{"cwd": "/", "args": ["sh", 5]}"#).unwrap();
    assert_eq!(parse_process(doc.root()).unwrap_err().to_string(), "args[1]: expected a string, got 5");
    let doc = crate::json::parse(br#"{"cwd": "/", "args": []}"#).unwrap();
    assert_eq!(parse_process(doc.root()).unwrap_err().to_string(), "args: must not be empty");
    let doc = crate::json::parse(br#"{"cwd": "/w", "args": ["top", "-b"], "env": ["A=1"], "terminal": true}"#).unwrap();
    let p = parse_process(doc.root()).unwrap();
    assert_eq!((p.cwd.as_ref(), p.args.len(), p.terminal), ("/w", 2, true));
}

#[test]
fn resources_paths_start_at_the_object() {
    assert_eq!(resources_err(r#"{"memory": {"limit": "64m"}}"#), r#"memory.limit: expected an integer, got "64m""#);
    assert_eq!(resources_err(r#"{"cpu": {"cpus": 3}}"#), "cpu.cpus: expected a string, got 3");
    assert_eq!(resources_err(r#"{"pids": {"limit": 1.5}}"#), "pids.limit: expected an integer, got 1.5");
    assert_eq!(resources_err("[]"), "expected an object, got []");
    let doc = crate::json::parse(br#"{"memory": {"limit": 1048576, "checkBeforeUpdate": true}, "cpu": {"burst": 5, "idle": 1}}"#).unwrap();
    let r = parse_resources(doc.root()).unwrap();
    let m = r.memory.unwrap();
    assert_eq!((m.limit, m.check_before_update), (Some(1048576), Some(true)));
    let c = r.cpu.unwrap();
    assert_eq!((c.burst, c.idle), (Some(5), Some(1)));
    // `update` with nothing to change.
    let doc = crate::json::parse(b"null").unwrap();
    assert!(parse_resources(doc.root()).unwrap().memory.is_none());
}

#[test]
fn null_is_absent() {
    let s = ok(&cfg(
        r#""root": null, "hostname": null, "domainname": null, "mounts": null, "hooks": null, "annotations": null,
        "linux": {"uidMappings": null, "sysctl": null, "resources": {"memory": {"limit": null, "disableOOMKiller": null},
          "pids": null, "devices": null, "unified": null}, "cgroupsPath": null, "namespaces": null, "seccomp": null,
          "maskedPaths": null, "intelRdt": null, "timeOffsets": null, "netDevices": null}"#,
    ));
    assert!(s.root.is_none() && s.hostname.is_none() && s.domainname.is_none() && s.hooks.is_none());
    assert!(s.mounts.is_empty() && s.annotations.is_empty());
    let l = s.linux.unwrap();
    assert!(l.uid_mappings.is_empty() && l.sysctl.is_empty() && l.namespaces.is_empty() && l.masked_paths.is_empty());
    assert!(l.cgroups_path.is_none() && l.seccomp.is_none() && l.intel_rdt.is_none());
    assert!(l.time_offsets.is_empty() && l.net_devices.is_empty());
    let r = l.resources.unwrap();
    let m = r.memory.unwrap();
    assert!(m.limit.is_none() && m.disable_oom_killer.is_none());
    assert!(r.pids.is_none() && r.devices.is_empty() && r.unified.is_empty());

    // Plain fields keep their default; list elements read as zero values, as Go decodes them.
    let s = ok(r#"{"ociVersion": null, "process": {"cwd": "/", "args": ["sh", null], "terminal": null,
        "user": {"uid": null, "additionalGids": [null, 5]}}}"#);
    assert_eq!(s.oci_version, "");
    let p = s.process.unwrap();
    assert_eq!(p.args, ["sh", ""]);
    assert!(!p.terminal);
    assert_eq!((p.user.uid, p.user.additional_gids.as_slice()), (0, &[0, 5][..]));
}

#[test]
fn duplicate_keys_last_wins() {
    let s = ok(&cfg(
        r#""hostname": "a", "hostname": "b",
        "annotations": {"k": "1", "j": "x", "k": "2"},
        "linux": {"cgroupsPath": "/one", "resources": {"memory": {"limit": 1, "limit": 2}}, "cgroupsPath": "/two"}"#,
    ));
    assert_eq!(s.hostname.as_deref(), Some("b"));
    assert_eq!(s.annotations.len(), 2);
    assert!(s.annotations.iter().any(|(k, v)| k == "k" && v == "2"));
    assert!(s.annotations.iter().any(|(k, v)| k == "j" && v == "x"));
    let l = s.linux.unwrap();
    assert_eq!(l.cgroups_path.as_deref(), Some("/two"));
    assert_eq!(l.resources.unwrap().memory.unwrap().limit, Some(2));
    // A duplicate "process" replaces the first one entirely.
    let s = ok(r#"{"process": {"cwd": "/a", "args": ["x"], "terminal": true}, "process": {"cwd": "/b", "args": ["y"]}}"#);
    let p = s.process.unwrap();
    assert_eq!((p.cwd.as_ref(), p.terminal), ("/b", false));
}

#[test]
fn strings_borrow_unless_escaped() {
    let src = cfg(r#""hostname": "plain", "domainname": "a\u0062c\n", "annotations": {"k\u0065y": "v\"q"}"#);
    let s = ok(&src);
    assert!(matches!(s.hostname, Some(Cow::Borrowed("plain"))));
    assert!(matches!(&s.domainname, Some(Cow::Owned(d)) if d == "abc\n"));
    assert!(matches!(s.process.as_ref().unwrap().cwd, Cow::Borrowed("/")));
    let (k, v) = &s.annotations[0];
    assert_eq!((k.as_ref(), v.as_ref()), ("key", "v\"q"));
    // An escaped key still names its field.
    let s = ok(r#"{"process": {"c\u0077d": "/x", "args": ["sh"]}}"#);
    assert_eq!(s.process.unwrap().cwd, "/x");
}

#[test]
fn unknown_fields_are_ignored() {
    let s = ok(&cfg(
        r#""windows": {"layerFolders": 5}, "vm": [], "linux": {"futureThing": {"a": [1]}, "cgroupsPath": "/c"},
        "root": {"path": "rootfs", "extra": null}"#,
    ));
    assert_eq!(s.linux.unwrap().cgroups_path.as_deref(), Some("/c"));
    assert_eq!(s.root.unwrap().path, "rootfs");
}

#[test]
fn namespaces() {
    let s = ok(&cfg(
        r#""linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"}, {"type": "mount"},
          {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}]}"#,
    ));
    let ns = s.linux.unwrap().namespaces;
    let kinds: Vec<_> = ns.iter().map(|n| n.kind).collect();
    use NsType::*;
    assert_eq!(kinds, [Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time]);
    assert_eq!(ns[1].path.as_deref(), Some("/var/run/netns/x"));
    assert!(ns[0].path.is_none());
    assert_eq!(err_cfg(r#""linux": {"namespaces": [{"path": "/x"}]}"#), "linux.namespaces[0].type: missing");
    assert_eq!(err_cfg(r#""linux": {"namespaces": [null]}"#), "linux.namespaces[0].type: missing");
    assert_eq!(err_cfg(r#""linux": {"namespaces": [{"type": 1}]}"#), "linux.namespaces[0].type: expected a string, got 1");
    assert_eq!(err_cfg(r#""linux": {"namespaces": ["pid"]}"#), r#"linux.namespaces[0]: expected an object, got "pid""#);
}

#[test]
fn nested_paths_in_lists_and_maps() {
    assert_eq!(
        err_cfg(r#""hooks": {"poststop": [{"path": "/a"}, {"path": "/b", "timeout": "5"}]}"#),
        r#"hooks.poststop[1].timeout: expected an integer, got "5""#
    );
    assert_eq!(
        err_cfg(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "args": [{"index": -1}]}]}}"#),
        "linux.seccomp.syscalls[0].args[0].index: expected an integer from 0 to 4294967295, got -1"
    );
    assert_eq!(
        err_cfg(r#""linux": {"timeOffsets": {"monotonic": {"secs": 1, "nanosecs": -5}}}"#),
        r#"linux.timeOffsets["monotonic"].nanosecs: expected an integer from 0 to 4294967295, got -5"#
    );
    // A map key is shown as written in the file.
    assert_eq!(
        err_cfg(r#""linux": {"sysctl": {"kernel\u002eshmmax": 5}}"#),
        r#"linux.sysctl["kernel\u002eshmmax"]: expected a string, got 5"#
    );
    assert_eq!(
        err_cfg(r#""linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": "3"}}}}"#),
        r#"linux.resources.rdma["mlx5_1"].hcaHandles: expected an integer, got "3""#
    );
    assert_eq!(
        err_cfg(r#""mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 4294967296}]}]"#),
        "mounts[0].uidMappings[0].size: expected an integer from 0 to 4294967295, got 4294967296"
    );
}
