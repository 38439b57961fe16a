//! Checks the test harness itself (tests/common) with crun and runc, which are known to work, so a
//! failing rsrun test can be trusted to be rsrun's fault. Needs root; crun needs
//! tools/cgroup-hybrid-for-crun.sh on hybrid-cgroup hosts.
mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const REFERENCES: [Kind; 2] = [Kind::Crun, Kind::Runc];

#[test]
fn mkbundle_makes_the_crun_spec_config_and_a_busybox_rootfs() {
    let bundle = Bundle::new();
    assert_eq!(bundle.query(".process.terminal"), "false");
    assert_eq!(bundle.query(".process.args"), r#"["/bin/true"]"#);
    // Apart from those two fields the config is exactly the checked-in `crun spec` output.
    let default = std::fs::read_to_string(repo_root().join("tools/config-default.json")).unwrap();
    let strip = "del(.process.terminal, .process.args)";
    assert_eq!(bundle.query(strip), jq(&default, strip));
    assert_eq!(jq(&default, ".process.args"), r#"["sh"]"#);

    let root = bundle.rootfs();
    assert_eq!(std::fs::read_link(root.join("bin/sh")).unwrap().to_str(), Some("/bin/busybox"));
    assert!(root.join("bin/busybox").is_file());
    for dir in ["proc", "sys", "dev", "tmp"] {
        assert!(root.join(dir).is_dir(), "{dir} missing");
    }
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.contains("user:x:1000:1000:"), "{passwd}");
    let group = std::fs::read_to_string(root.join("etc/group")).unwrap();
    assert!(group.contains("users:x:100:user,user2"), "{group}");
}

#[test]
fn patch_and_args_edit_config_with_jq() {
    let bundle = Bundle::new();
    bundle.patch(r#".process.args = ["sh","-c","id"] | .hostname = "x""#);
    assert_eq!(bundle.query(".hostname"), r#""x""#);
    bundle.args(&["echo", "a \"quoted\" \\ arg"]);
    assert_eq!(bundle.query(".process.args[1]"), r#""a \"quoted\" \\ arg""#);
}

#[test]
fn echo_hi_under_crun_and_runc() {
    for kind in REFERENCES {
        let bundle = Bundle::new();
        bundle.sh("echo hi; echo err >&2");
        let rt = Runtime::new(kind);
        let id = unique_id("echo-hi");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.run_container(&bundle, &id);
        out.assert_ok();
        assert_eq!(out.stdout, "hi\n", "{}", rt.name());
        assert!(out.stderr.contains("err"), "{}: {out}", rt.name());
        leaks.assert_clean();
    }
}

#[test]
fn exit_code_of_the_container_is_returned() {
    for kind in REFERENCES {
        let bundle = Bundle::new();
        bundle.sh("exit 3");
        let rt = Runtime::new(kind);
        let id = unique_id("exit-code");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.run_container(&bundle, &id).assert_code(3);
        leaks.assert_clean();
    }
}

#[test]
fn differential_crun_runc_id_hostname_caps() {
    let script = "id; hostname; grep Cap /proc/self/status";
    let diff = differential_on(
        &REFERENCES,
        &format!(".process.args = {}", json_array(&["sh", "-c", script])),
        norm::code_and_stdout,
    );
    diff.assert_same();
    let out = diff.get(Kind::Crun);
    assert!(out.contains("uid=0(root) gid=0(root)"), "{out}");
    assert!(out.contains("\ncrun\n"), "hostname from the crun spec: {out}");
    assert!(out.contains("CapBnd:\t0000000020000420"), "{out}");
}

#[test]
fn differential_as_user_1000() {
    let diff = differential_on(
        &REFERENCES,
        r#".process.user = {"uid": 1000, "gid": 1000, "additionalGids": [100]} | .process.args = ["id"]"#,
        norm::code_and_stdout,
    );
    diff.assert_same();
    assert!(diff.get(Kind::Runc).contains("uid=1000(user) gid=1000(user)"), "{}", diff.get(Kind::Runc));
}

#[test]
fn lifecycle_create_start_state_kill_delete() {
    for kind in REFERENCES {
        let bundle = Bundle::new();
        bundle.sh("echo started; exec sleep 1000");
        let rt = Runtime::new(kind);
        let id = unique_id("lifecycle");
        let leaks = LeakCheck::new(&rt, &bundle, &id);

        rt.create(&bundle, &id).assert_ok();
        assert_eq!(rt.status(&id).as_deref(), Some("created"), "{}", rt.name());
        assert!(rt.state_dir(&id).exists());
        // Before start, the leak check must see the container (proves the detector works).
        let found = leaks.find();
        for what in ["state dir", "cgroup", "process"] {
            assert!(
                found.iter().any(|l| l.starts_with(what)),
                "{}: leak check does not see the created container's {what}: {found:#?}",
                rt.name()
            );
        }

        rt.start(&id).assert_ok();
        assert_eq!(rt.wait_status(&id, "running", Duration::from_secs(5)).as_deref(), Some("running"));
        let pid = rt.pid(&id).unwrap();
        assert!(proc_start_time(pid).is_some());

        rt.kill(&id, "KILL").assert_ok();
        assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(5)).as_deref(), Some("stopped"));
        rt.delete(&id).assert_ok();
        assert!(rt.status(&id).is_none(), "state after delete");
        leaks.assert_clean();
        let (stdout, _) = rt.container_output(&id);
        assert_eq!(stdout, "started\n", "{}", rt.name());
    }
}

#[test]
fn running_container_is_killed_by_pid_on_drop() {
    for kind in REFERENCES {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let rt = Runtime::new(kind);
        let id = unique_id("spawn");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        {
            let c = rt.spawn(&bundle, &id);
            assert!(c.alive(), "{}", rt.name());
            assert_eq!(rt.status(&id).as_deref(), Some("running"));
        }
        leaks.assert_clean();
    }
}

#[test]
fn runtime_drop_cleans_up_a_forgotten_container() {
    for kind in REFERENCES {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let id = unique_id("forgotten");
        let (leaks, root) = {
            let rt = Runtime::new(kind);
            let leaks = LeakCheck::new(&rt, &bundle, &id);
            rt.create(&bundle, &id).assert_ok();
            rt.start(&id).assert_ok();
            (leaks, rt.root().to_path_buf())
        };
        leaks.assert_clean();
        assert!(!root.exists(), "runtime root {} not removed", root.display());
    }
}

#[test]
fn timeout_kills_a_hanging_run_and_cleans_up() {
    // Tests run as parallel threads of one process, so pass a short limit to run_command rather
    // than changing RSRUN_TEST_TIMEOUT for everyone.
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::runc();
    let id = unique_id("timeout");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.track(&id);
    let mut cmd = rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]);
    let out = run_command(&mut cmd, None, Duration::from_secs(2));
    assert!(out.timed_out, "{out}");
    assert!(out.to_string().contains("TIMED OUT"));
    rt.cleanup(&id);
    leaks.assert_clean();
}

#[test]
fn leak_check_sees_a_host_mount_in_the_bundle_and_drop_removes_it() {
    let bundle = Bundle::new();
    let rt = Runtime::runc();
    let id = unique_id("mount-leak");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let target = bundle.rootfs().join("mnt");
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "rsrun-test-harness", target.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let found = leaks.find();
    assert!(found.iter().any(|l| l.starts_with("host mount")), "{found:?}");
    let dir = bundle.path().to_path_buf();
    drop(bundle);
    assert!(mount_points_under(&dir).is_empty());
    assert!(!dir.exists(), "bundle with a leaked mount was not removed");
}

#[test]
fn unique_ids_are_fixed_width_and_distinct() {
    let a = unique_id("Some Test/Name");
    let b = unique_id("Some Test/Name");
    assert_ne!(a, b);
    assert_eq!(a.len(), b.len());
    assert!(a.starts_with("rsrun-test-some-test-name-"), "{a}");
    assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
}

#[test]
fn rsrun_binary_is_built_for_tests() {
    let rt = Runtime::rsrun();
    assert!(rt.bin().is_file(), "{}", rt.bin().display());
}
