//! The container lifecycle on real busybox bundles: create, start, run, state, kill, delete, the
//! statuses between them, their errors, pid files, hooks, and that nothing is left behind.
mod common;
use common::*;
use std::fs;
use std::time::Duration;

#[test]
fn run_prints_and_returns_the_exit_code() {
    require_root();
    let bundle = Bundle::new();
    bundle.sh("echo hello; exit 7");
    let rt = Runtime::rsrun();
    let id = unique_id("run-code");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.run_container(&bundle, &id);
    out.assert_code(7);
    assert_eq!(out.stdout, "hello\n");
    leaks.assert_clean();
}

#[test]
fn run_reports_a_signal_as_128_plus_its_number() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("run-sig");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let mut child = rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]).spawn().unwrap();
    rt.track(&id);
    assert_eq!(rt.wait_status(&id, "running", Duration::from_secs(10)).as_deref(), Some("running"));
    rt.kill(&id, "KILL").assert_ok();
    assert_eq!(child.wait().unwrap().code(), Some(137));
    leaks.assert_clean();
}

#[test]
fn create_start_kill_delete_walk_through_the_statuses() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("statuses");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let pid_file = bundle.path().join("pid");
    rt.create_with(&bundle, &id, &["--pid-file", pid_file.to_str().unwrap()]).assert_ok();
    assert_eq!(rt.status(&id).as_deref(), Some("created"));
    let pid = rt.pid(&id).expect("created container has a pid");
    assert_eq!(fs::read_to_string(&pid_file).unwrap(), pid.to_string());
    let state = rt.state(&id).assert_ok().stdout.clone();
    assert_eq!(jq_raw(&state, ".id").as_deref(), Some(id.as_str()));
    assert_eq!(jq_raw(&state, ".bundle").as_deref(), bundle.path().to_str());

    // CVE-2019-5736: the init is a sealed memfd copy, not the host binary.
    let exe = fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert!(exe.to_string_lossy().starts_with("/memfd:"), "init exe is {exe:?}");

    rt.start(&id).assert_ok();
    assert_eq!(rt.status(&id).as_deref(), Some("running"));
    let out = rt.start(&id);
    out.assert_fail();
    rt.delete(&id).assert_fail();
    assert!(rt.delete(&id).stderr.contains("that is not stopped"), "{}", rt.delete(&id));

    rt.kill(&id, "KILL").assert_ok();
    assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(5)).as_deref(), Some("stopped"));
    let out = rt.kill(&id, "TERM");
    out.assert_fail();
    assert!(out.stderr.contains("container not running"), "{out}");
    rt.delete(&id).assert_ok();
    assert!(rt.state(&id).stderr.contains("does not exist"));
    leaks.assert_clean();
}

#[test]
fn a_created_container_is_deleted_without_force() {
    require_root();
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let id = unique_id("del-created");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    let pid = rt.pid(&id).unwrap();
    rt.delete(&id).assert_ok();
    assert!(!std::path::Path::new(&format!("/proc/{pid}/exe")).exists() || proc_is_zombie(pid));
    leaks.assert_clean();
}

fn proc_is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).map(|s| s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z')).unwrap_or(true)
}

/// A bundle without a PID namespace whose init leaves a `sleep 1000` behind, its pid in /bg.pid;
/// `extra` is more of the jq patch.
fn orphan_bundle(extra: &str) -> Bundle {
    let bundle = Bundle::with(&format!(".linux.namespaces |= map(select(.type != \"pid\")) | .root.readonly = false{extra}"));
    bundle.sh("sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > /bg.pid");
    bundle
}

/// Creates and starts `id` from an `orphan_bundle`, waits until it is stopped, and returns the
/// pid of the sleep that outlived its init.
fn run_until_only_the_orphan_lives(rt: &Runtime, bundle: &Bundle, id: &str) -> i32 {
    rt.create(bundle, id).assert_ok();
    rt.start(id).assert_ok();
    assert_eq!(rt.wait_status(id, "stopped", Duration::from_secs(10)).as_deref(), Some("stopped"));
    let bg: i32 = fs::read_to_string(bundle.rootfs().join("bg.pid")).unwrap().trim().parse().unwrap();
    assert!(!proc_is_zombie(bg), "the background sleep {bg} should outlive the init");
    bg
}

/// Without a PID namespace of its own, a container's processes outlive its init: `delete` of the
/// stopped container (which spares the kill when the init is gone) must still find them in its
/// cgroups, kill them and remove everything.
#[test]
fn delete_kills_what_outlived_an_init_without_a_pid_namespace() {
    require_root();
    let bundle = orphan_bundle("");
    let rt = Runtime::rsrun();
    let id = unique_id("del-orphan");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let bg = run_until_only_the_orphan_lives(&rt, &bundle, &id);
    rt.delete(&id).assert_ok();
    assert!(proc_is_zombie(bg), "delete left the container's process {bg} running");
    leaks.assert_clean();
}

/// The same with a cgroup that existed before create (an absolute cgroupsPath made beforehand):
/// rsrun never removes such a directory, so no rmdir can tell that processes still live in it;
/// `delete` must kill them all the same.
#[test]
fn delete_kills_what_outlived_the_init_in_a_cgroup_made_beforehand() {
    require_root();
    let id = unique_id("del-premade");
    let path = format!("/{id}");
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let dirs: Vec<String> = mountinfo
        .lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let point = pre.split(' ').nth(4)?;
            let fstype = post.split(' ').next()?;
            (matches!(fstype, "cgroup" | "cgroup2") && point.starts_with("/sys/fs/cgroup")).then(|| format!("{point}{path}"))
        })
        .collect();
    assert!(!dirs.is_empty(), "no cgroup hierarchy under /sys/fs/cgroup");
    /// Removes the directories made here, whatever the test's outcome.
    struct Premade(Vec<String>);
    impl Drop for Premade {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(100));
            for d in &self.0 {
                let _ = fs::remove_dir(d);
            }
        }
    }
    let _premade = Premade(dirs.clone());
    for d in &dirs {
        fs::create_dir(d).unwrap();
        if let Some(root) = d.strip_suffix(path.as_str()).filter(|r| r.ends_with("/cpuset")) {
            // A v1 cpuset takes no task until it has cpus and mems (rsrun copies them only into
            // directories it makes).
            for f in ["cpuset.cpus", "cpuset.mems"] {
                fs::write(format!("{d}/{f}"), fs::read_to_string(format!("{root}/{f}")).unwrap()).unwrap();
            }
        }
    }
    let bundle = orphan_bundle(&format!(" | .linux.cgroupsPath = \"{path}\""));
    let rt = Runtime::rsrun();
    let bg = run_until_only_the_orphan_lives(&rt, &bundle, &id);
    rt.delete(&id).assert_ok();
    // SIGKILL through the cgroup is delivered at once; the process may take a moment to go (a
    // directory that existed before create is not removed, so delete does not wait for it empty).
    let gone_by = std::time::Instant::now() + Duration::from_secs(2);
    while !proc_is_zombie(bg) && std::time::Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = proc_is_zombie(bg);
    if !killed {
        unsafe_kill(bg, 9);
    }
    assert!(killed, "delete left the container's process {bg} running in the cgroup made beforehand");
    assert!(!rt.state_dir(&id).exists());
}

#[test]
fn delete_force_stops_a_running_container_and_ignores_missing_ids() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("del-force");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
    rt.delete_force("never-existed").assert_ok();
    let out = rt.delete("never-existed");
    out.assert_fail();
    assert!(out.stderr.contains("does not exist"), "{out}");
}

#[test]
fn kill_accepts_signal_names_and_numbers() {
    require_root();
    let rt = Runtime::rsrun();
    for sig in ["TERM", "SIGTERM", "sigterm", "15", "term"] {
        let bundle = Bundle::new();
        bundle.sh("trap 'echo got-term; exit 0' TERM; while true; do sleep 0.05; done");
        let id = unique_id("kill-names");
        rt.create(&bundle, &id).assert_ok();
        rt.start(&id).assert_ok();
        std::thread::sleep(Duration::from_millis(150));
        rt.kill(&id, sig).assert_ok();
        assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(5)).as_deref(), Some("stopped"), "{sig}");
        assert!(rt.container_output(&id).0.contains("got-term"), "{sig}: {:?}", rt.container_output(&id));
        rt.delete(&id).assert_ok();
    }
}

#[test]
fn duplicate_and_invalid_ids_create_nothing() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("dup");
    rt.create(&bundle, &id).assert_ok();
    let out = rt.create(&bundle, &id);
    out.assert_fail();
    assert!(out.stderr.contains("already exists"), "{out}");
    rt.delete(&id).assert_ok();
    for bad in ["../x", "a/b", ".", "..", ".hidden"] {
        let out = rt.run(&["create", "--bundle", bundle.path().to_str().unwrap(), bad]);
        out.assert_fail();
        assert!(out.stderr.contains("invalid container id"), "{bad}: {out}");
    }
    let entries: Vec<_> = fs::read_dir(rt.root()).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(entries.is_empty(), "left in root: {entries:?}");
}

#[test]
fn run_detach_leaves_it_running() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("detach");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.run_container_with(&bundle, &id, &["--detach"]).assert_ok();
    assert_eq!(rt.status(&id).as_deref(), Some("running"));
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

#[test]
fn run_forwards_signals_to_the_container() {
    require_root();
    let bundle = Bundle::new();
    bundle.sh("trap 'exit 3' TERM; echo ready; while true; do sleep 0.05; done");
    let rt = Runtime::rsrun();
    let id = unique_id("fwd");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let mut child = rt
        .command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rt.track(&id);
    use std::io::Read;
    let mut first = [0u8; 6];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    unsafe_kill(child.id() as i32, SIGTERM);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    leaks.assert_clean();
}

fn unsafe_kill(pid: i32, sig: i32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: plain syscall wrapper on a pid this test started.
    assert_eq!(unsafe { kill(pid, sig) }, 0);
}

#[test]
fn bad_configs_fail_cleanly() {
    require_root();
    let rt = Runtime::rsrun();
    let cases: &[(&str, &str)] = &[
        (".process.args = 5", "process.args"),
        (".root.path = \"nonexistent\"", "root.path"),
        (".linux.namespaces |= map(select(.type != \"mount\"))", "mount namespace"),
        (".linux.namespaces |= map(select(.type != \"uts\"))", "hostname"),
        (".linux.namespaces += [{\"type\":\"network\",\"path\":\"/proc/self/ns/uts\"}] | .linux.namespaces |= map(select(.type != \"network\" or .path))", "not network"),
        (".hooks = {\"prestart\":[{\"path\":\"relative/hook\"}]}", "hooks.prestart[0].path"),
    ];
    for (patch, want) in cases {
        let bundle = Bundle::with(patch);
        let id = unique_id("badcfg");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "{patch}: want {want:?} in {out}");
        leaks.assert_clean();
    }
    let bundle = Bundle::new();
    fs::write(bundle.config_path(), "{\"ociVersion\": ").unwrap();
    let out = rt.create(&bundle, &unique_id("badjson"));
    out.assert_fail();
    assert!(out.stderr.contains("config.json: invalid JSON at line 1"), "{out}");
}

/// Hooks run in order with the state on stdin; a hook that fails fails the operation and leaves
/// nothing behind; poststop failures are only warnings.
#[test]
fn hooks_run_in_order_with_state_on_stdin() {
    require_root();
    let bundle = Bundle::new();
    let log = bundle.path().join("hooks.log");
    let log_s = log.to_str().unwrap();
    // Host-side hooks append "<kind> <state JSON>" to a file in the bundle; the container-side
    // startContainer hook (after pivot_root) writes inside the rootfs.
    let host_hook = |kind: &str| {
        let script = format!("read -r s; echo \"{kind} $s\" >> {log_s}");
        format!("{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",{}]}}", json_str(&script))
    };
    let patch = format!(
        ".hooks = {{\"prestart\":[{}],\"createRuntime\":[{}],\"poststart\":[{}],\"poststop\":[{}],\
         \"startContainer\":[{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo startContainer >> /hooks.log\"]}}]}}",
        host_hook("prestart"),
        host_hook("createRuntime"),
        host_hook("poststart"),
        host_hook("poststop")
    );
    bundle.patch(&patch);
    bundle.patch(".root.readonly = false");
    bundle.args(&["true"]);
    let rt = Runtime::rsrun();
    let id = unique_id("hooks");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    rt.wait_status(&id, "stopped", Duration::from_secs(5));
    rt.delete(&id).assert_ok();
    let got = fs::read_to_string(&log).unwrap();
    let lines: Vec<(String, String)> = got
        .lines()
        .map(|l| {
            let (kind, json) = l.split_once(' ').unwrap();
            (kind.to_string(), json.to_string())
        })
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["prestart", "createRuntime", "poststart", "poststop"], "{got}");
    let statuses: Vec<String> = lines.iter().map(|(_, j)| jq_raw(j, ".status").unwrap()).collect();
    assert_eq!(statuses, ["creating", "creating", "running", "stopped"]);
    for (_, j) in &lines {
        assert_eq!(jq_raw(j, ".id").as_deref(), Some(id.as_str()));
        assert_eq!(jq_raw(j, ".bundle").as_deref(), bundle.path().to_str());
    }
    assert!(jq_raw(&lines[0].1, ".pid").unwrap().parse::<i32>().unwrap() > 0);
    let inside = fs::read_to_string(bundle.rootfs().join("hooks.log")).unwrap();
    assert_eq!(inside, "startContainer\n");
    leaks.assert_clean();
}

#[test]
fn a_failing_hook_fails_create_and_leaves_nothing() {
    require_root();
    let rt = Runtime::rsrun();
    for kind in ["prestart", "createRuntime", "createContainer"] {
        let bundle = Bundle::with(&format!(
            ".hooks = {{\"{kind}\":[{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo hook-said-no >&2; exit 3\"]}}]}}"
        ));
        let id = unique_id("hookfail");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(&format!("{kind} hook #0")), "{out}");
        assert!(out.stderr.contains("exit status 3"), "{out}");
        assert!(out.stderr.contains("hook-said-no"), "{out}");
        leaks.assert_clean();
    }
}

#[test]
fn a_hook_that_times_out_is_killed() {
    require_root();
    let rt = Runtime::rsrun();
    let bundle =
        Bundle::with(".hooks = {\"createRuntime\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"100\"],\"timeout\":1}]}");
    let id = unique_id("hooktime");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let t = std::time::Instant::now();
    let out = rt.create(&bundle, &id);
    out.assert_fail();
    assert!(out.stderr.contains("timed out"), "{out}");
    assert!(t.elapsed() < Duration::from_secs(10));
    leaks.assert_clean();
}
