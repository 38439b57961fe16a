//! Differential: the same process settings under crun (a real container from a `crun spec` bundle)
//! and under rsrun's process setup (a child of this test binary in a chroot of the same rootfs) must
//! give the same capability sets, no_new_privs, limits, ids, umask, cwd, environment, signal mask and
//! open fds. Skipped when crun or jq is missing. Needs tools/cgroup-hybrid-for-crun.sh
//! to have run once on this hybrid-cgroup VM (crun refuses to start otherwise; the test says so).
mod process_support;

use process_support::*;
use rsrun::init::process::Role;
use rsrun::spec::{Capabilities, Linux, Personality, Rlimit, Spec, User};
use std::path::Path;
use std::process::Command;

const USER_PATCH: &str = r#".process.user = {"uid": 1000, "gid": 100, "additionalGids": [10, 2000], "umask": 23}
 | .process.cwd = "/home/user"
 | .process.env = ["PATH=/bin", "A=1", "B=2", "A=3"]
 | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_RAW", "CAP_AUDIT_WRITE"],
     "effective": ["CAP_KILL", "CAP_NET_RAW"], "permitted": ["CAP_KILL", "CAP_NET_RAW"],
     "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL", "CAP_NET_RAW"]}
 | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
 | .process.noNewPrivileges = false
 | .process.oomScoreAdj = 500
 | .linux.personality = {"domain": "LINUX32"}"#;

/// USER_PATCH as a Spec.
fn user_spec(args: Vec<String>) -> Spec<'static> {
    let mut s = crun_spec(args);
    let p = s.process.as_mut().unwrap();
    p.user = User { uid: 1000, gid: 100, umask: Some(23), additional_gids: vec![10, 2000], username: None };
    p.cwd = "/home/user".into();
    p.env = ["PATH=/bin", "A=1", "B=2", "A=3"].iter().map(|e| (*e).into()).collect();
    let l = |v: &[&'static str]| v.iter().map(|c| rsrun::spec::Str::from(*c)).collect::<Vec<_>>();
    p.capabilities = Some(Capabilities {
        bounding: l(&["CAP_KILL", "CAP_NET_RAW", "CAP_AUDIT_WRITE"]),
        effective: l(&["CAP_KILL", "CAP_NET_RAW"]),
        permitted: l(&["CAP_KILL", "CAP_NET_RAW"]),
        inheritable: l(&["CAP_KILL"]),
        ambient: l(&["CAP_KILL", "CAP_NET_RAW"]),
    });
    p.rlimits = vec![
        Rlimit { kind: "RLIMIT_NOFILE".into(), soft: 512, hard: 1024 },
        Rlimit { kind: "RLIMIT_CORE".into(), soft: 0, hard: 0 },
    ];
    p.no_new_privileges = false;
    p.oom_score_adj = Some(500);
    s.linux = Some(Linux { personality: Some(Personality { domain: "LINUX32".into(), flags: vec![] }), ..Default::default() });
    s
}

#[test]
fn child() {
    let Some(case) = child_case() else { return };
    enter_rootfs(&child_root().expect("rootfs"), true);
    let spec = match case.as_str() {
        "crun-spec" => crun_spec(vec!["sh".into(), "-c".into(), REPORT.into()]),
        "crun-user" => user_spec(vec!["sh".into(), "-c".into(), REPORT.into()]),
        other => panic!("unknown case {other}"),
    };
    run_all(&spec, 0, None, Role::Init, &|| Ok(()), &|| {})
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs the bundle in `dir` (rootfs/ + config.json) with `crun run`.
fn crun_run(dir: &Path, patch: &str) -> Out {
    let st = Command::new("crun").arg("spec").current_dir(dir).status().unwrap();
    assert!(st.success(), "crun spec");
    let cfg = dir.join("config.json");
    let jq = format!(r#".root.readonly = false | .process.terminal = false | .process.args = ["sh", "-c", $script] | {patch}"#);
    let o = Command::new("jq").arg("--arg").arg("script").arg(REPORT).arg(jq).arg(&cfg).output().unwrap();
    assert!(o.status.success(), "jq: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(&cfg, o.stdout).unwrap();
    let id = format!("rsrun-test-procsetup-{}-{}", std::process::id(), dir.file_name().unwrap().to_string_lossy());
    let o = Command::new("crun")
        .args(["--root", "/tmp/rsrun-test-procsetup/crun-root", "run", "--bundle"])
        .arg(dir)
        .arg(&id)
        .output()
        .unwrap();
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    // `crun run` deletes the container when it exits; make sure even after a failure.
    let _ = Command::new("crun").args(["--root", "/tmp/rsrun-test-procsetup/crun-root", "delete", "-f", &id]).output();
    // Empty unless another test's container is still there.
    let _ = std::fs::remove_dir("/tmp/rsrun-test-procsetup/crun-root");
    out
}

/// The lines both must agree on.
const COMPARED: [&str; 19] = [
    "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "SigBlk:", "Groups:",
    "LIMIT Max open files", "LIMIT Max core file size", "ID", "UMASK", "PWD", "OOM", "PERS", "ARCH", "FDS", "ENV ",
];

fn compare(case: &str, patch: &str) {
    if !require_root() || !have("crun") || !have("jq") {
        eprintln!("skipped: needs root, crun and jq");
        return;
    }
    let r = Rootfs::new(case);
    let theirs = crun_run(&r.dir, patch);
    if theirs.stderr.contains("hybrid mode not supported") {
        panic!("crun needs tools/cgroup-hybrid-for-crun.sh run once on this VM:\n{theirs}");
    }
    assert_eq!(theirs.code, 0, "crun:\n{theirs}");
    let ours = run_child(case, Some(&r.root()));
    assert_eq!(ours.code, 0, "rsrun:\n{ours}");
    for p in COMPARED {
        assert_eq!(ours.lines(p), theirs.lines(p), "{p}\n== crun:\n{theirs}\n== rsrun:\n{ours}");
    }
}

#[test]
fn same_as_crun_for_crun_spec() {
    compare("crun-spec", ".");
}

#[test]
fn same_as_crun_for_user_config() {
    compare("crun-user", USER_PATCH);
}
