//! Crash safety: a verb killed at a bad moment, a state directory its create left half-made, a
//! damaged state.json, a failing poststart hook. Whatever happened, no process is left waiting
//! for ever, `delete --force` removes everything (state, cgroups in every hierarchy, mounts,
//! processes), and the other verbs say what they see in one line. tests/fault.rs kills and fails
//! every syscall in turn; these are the cases worth naming, plus the ones that need no strace.
mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// A container with a new cgroup namespace that joins a PID namespace by path (the runtime's own,
/// which runc accepts) hung `create` for ever: the init waited for CgroupsReady before its pid fork,
/// create waited for the pid of that fork before sending it. Same output as crun and runc.
#[test]
fn cgroupns_with_a_pid_namespace_joined_by_path() {
    require_root();
    let setup = |b: &Bundle| {
        b.patch(
            r#".linux.namespaces = [{"type":"pid","path":"/proc/self/ns/pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]"#,
        );
        // In its own cgroup namespace every hierarchy's path is "/".
        b.sh("cat /proc/self/cgroup | sed 's/^[0-9]*://' | sort");
    };
    let runs = run_per_runtime(ALL, "cgns-pid-path", &setup);
    runs[0].1.assert_ok();
    assert!(runs[0].1.stdout.lines().all(|l| l.ends_with(":/")), "{}", runs[0].1);
    assert_same(&runs, |o| format!("{:?} {}", o.code, o.stdout));
}

/// create killed while its init waits for it (here: for the end of a prestart hook): the init reads
/// the end of the stream and exits, instead of waiting for ever; `delete --force` removes the rest.
#[test]
fn create_killed_while_its_init_waits_for_it() {
    require_root();
    let bundle = Bundle::new();
    let mark = bundle.path().join("hook-ran");
    let hook = format!("echo $PPID > {}; sleep 3", mark.display());
    bundle.patch(&format!(".hooks.prestart = [{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",{}]}}]", json_str(&hook)));
    let rt = Runtime::rsrun();
    let id = unique_id("killed-create");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let create = {
        let rt = &rt;
        let bundle = &bundle;
        let id = id.clone();
        thread::scope(|s| {
            let h = s.spawn(move || rt.create(bundle, &id));
            let create_pid = wait_for_file(&mark).trim().parse::<i32>().expect("the hook wrote create's pid");
            let st = proc_start_time(create_pid).expect("create is alive");
            assert!(kill_if_same(create_pid, st, SIGKILL));
            h.join().unwrap()
        })
    };
    assert_eq!(create.signal, Some(SIGKILL), "{create}");
    let left = orphans(&id, Duration::from_secs(5));
    assert!(left.is_empty(), "processes left waiting after create was killed: {left:?}");
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

/// create killed after its init reported ready, before state.json: the init waiting for `start`
/// is a created container without a state. `state` and `delete` say the create was interrupted,
/// `list` skips it with a warning, `delete --force` removes everything.
#[test]
fn create_killed_after_ready_before_its_state() {
    require_root();
    if !strace_available() {
        println!("skipped: strace is not installed (tools/setup.sh installs it)");
        return;
    }
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let id = unique_id("half-created");
    rt.track(&id);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let io = io_dir(&rt, "crash");
    // state.json is renamed into place: the one renameat of create.
    let point = Point { syscall: "renameat".into(), nth: 1 };
    let create = rt.command(&["create", "--bundle", bundle.path().to_str().unwrap(), &id]);
    let out = inject(&create, &point, Action::Kill, false, &io);
    assert_eq!(out.signal, Some(SIGKILL), "{out}");
    // The init sent "ready" before create's rename, and then reads the exec fifo: on a busy machine
    // it may not be blocked there yet when create is killed (seen once in a full CI run).
    let deadline = Instant::now() + Duration::from_secs(5);
    let procs = loop {
        let procs = processes_of(&id);
        if (procs.len() == 1 && procs[0].on_exec_fifo) || Instant::now() > deadline {
            break procs;
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(procs.len() == 1 && procs[0].on_exec_fifo, "the init should wait on the exec fifo: {procs:?}");
    // The state was written to state.json.tmp over the creation record, not renamed into place:
    // state.json is still the empty claim of the state directory (state/mod.rs).
    let claim = std::fs::read(rt.state_dir(&id).join("state.json")).unwrap_or_default();
    assert!(claim.is_empty(), "state.json should be the empty claim: {claim:?}");
    assert!(rt.state_dir(&id).join("state.json.tmp").exists());

    let interrupted = format!("container \"{id}\" does not exist (its create was interrupted");
    let state = rt.state(&id);
    state.assert_fail();
    assert!(state.stderr.contains(&interrupted), "{state}");
    let list = rt.run(&["list", "-q"]);
    list.assert_ok();
    assert!(!list.stdout.contains(&id), "{list}");
    let del = rt.delete(&id);
    del.assert_fail();
    assert!(del.stderr.contains(&interrupted), "{del}");
    assert_eq!(del.stderr.trim_end().lines().count(), 1, "{del}");

    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

/// A state directory with nothing in it (create killed right after its mkdir) is handled by every
/// verb; `delete --force` removes it.
#[test]
fn an_empty_state_directory() {
    require_root();
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let id = unique_id("empty-state");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    fs::create_dir(rt.state_dir(&id)).unwrap();
    for verb in [&["state", &id][..], &["start", &id], &["kill", &id, "KILL"], &["delete", &id]] {
        let out = rt.run(verb);
        out.assert_fail();
        assert!(out.stderr.contains("does not exist (its create was interrupted"), "{out}");
    }
    let list = rt.run(&["list"]);
    list.assert_ok();
    assert!(!list.stdout.contains(&id), "{list}");
    assert!(list.stderr.contains(&id) && list.stderr.contains("its create was interrupted"), "{list}");
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

/// A damaged state.json never stops `delete --force`: the pid, start time and cgroup are salvaged
/// where they are intact, and a created init is found through the exec fifo it holds.
#[test]
fn delete_force_with_a_damaged_state() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();

    // Running, the file damaged before its pid: salvage finds pid, start and cgroup.
    let id = unique_id("damaged-running");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    let path = rt.state_dir(&id).join("state.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen("\"ociVersion\":\"", "\"ociVersion\":\u{1}", 1)).unwrap();
    assert!(rt.state(&id).stderr.contains("state.json"), "the damage shows");
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();

    // Created, the file all garbage: the init holds the exec fifo.
    let id = unique_id("damaged-created");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    let cgroups = cgroups_named(&id);
    fs::write(rt.state_dir(&id).join("state.json"), b"\0garbage{").unwrap();
    rt.delete_force(&id).assert_ok();
    assert!(processes_of(&id).is_empty(), "the init is killed");
    assert!(!rt.state_dir(&id).exists());
    // Nothing names the cgroup any more: removing it is all that is left to the caller.
    remove_cgroups(&cgroups);
    leaks.assert_clean();
}

/// A failing poststart hook stops the container and fails `start` with the hook's error; as with
/// runc, the container is then gone (destroyed: poststop hooks run, cgroups and state removed).
#[test]
fn a_failing_poststart_hook_stops_the_container() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let poststop = bundle.path().join("poststop-ran");
    bundle.patch(&format!(
        ".hooks = {{\"poststart\":[{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo broken; exit 3\"]}}],\
          \"poststop\":[{{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",{}]}}]}}",
        json_str(&format!("touch {}", poststop.display()))
    ));
    let rt = Runtime::rsrun();
    let id = unique_id("poststart-fails");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    let pid = rt.pid(&id).unwrap();
    let start = rt.start(&id);
    start.assert_fail();
    assert_eq!(start.stderr.trim_end().lines().count(), 1, "{start}");
    assert!(start.stderr.contains("poststart hook #0 (/bin/sh): exit status 3: broken"), "{start}");
    assert!(proc_start_time(pid).is_none() || processes_of(&id).is_empty(), "the container still runs");
    assert!(rt.state(&id).stderr.contains("does not exist"));
    assert!(poststop.exists(), "poststop hooks run when the container is destroyed");
    leaks.assert_clean();
}

/// `start` killed after it released the init and before it removed the exec fifo: the container
/// runs; another `start` says so and removes the stale fifo, so the status reads running again.
#[test]
fn start_killed_before_removing_the_fifo() {
    require_root();
    if !strace_available() {
        println!("skipped: strace is not installed (tools/setup.sh installs it)");
        return;
    }
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("killed-start");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    let io = io_dir(&rt, "crash");
    let out = inject(&rt.command(&["start", &id]), &Point { syscall: "unlinkat".into(), nth: 1 }, Action::Kill, false, &io);
    assert_eq!(out.signal, Some(SIGKILL), "{out}");
    // The released init execs the container's process (until then the fifo still has a reader).
    let pid = rt.pid(&id).expect("the init lives");
    let end = Instant::now() + Duration::from_secs(10);
    while !fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default().starts_with(b"sleep") {
        assert!(Instant::now() < end, "the container process never started");
        thread::sleep(Duration::from_millis(10));
    }
    let again = rt.start(&id);
    again.assert_fail();
    assert!(again.stderr.contains("cannot start an already running container"), "{again}");
    assert_eq!(rt.status(&id).as_deref(), Some("running"));
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}

/// `delete --force` killed half-way (some cgroups removed, the state still there): a second one
/// finishes the job.
#[test]
fn delete_killed_half_way() {
    require_root();
    if !strace_available() {
        println!("skipped: strace is not installed (tools/setup.sh installs it)");
        return;
    }
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "crash");
    for nth in [1, 2, 4] {
        let id = unique_id("killed-delete");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.create(&bundle, &id).assert_ok();
        rt.start(&id).assert_ok();
        let point = Point { syscall: "unlinkat".into(), nth };
        let out = inject(&rt.command(&["delete", "--force", &id]), &point, Action::Kill, false, &io);
        assert_eq!(out.signal, Some(SIGKILL), "{out}");
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

/// `run` killed while the container runs: as with crun and runc the container goes on (it is
/// not the runtime's to stop), its state says so, and `delete --force` removes it.
#[test]
fn run_killed_leaves_a_running_container() {
    require_root();
    for kind in ALL.iter().copied() {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let rt = Runtime::new(kind);
        let id = unique_id("killed-run");
        rt.track(&id);
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let mut run = rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]);
        run.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let mut child = run.spawn().unwrap();
        let status = rt.wait_status(&id, "running", Duration::from_secs(10));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(status.as_deref(), Some("running"), "{}", kind.name());
        thread::sleep(Duration::from_millis(200));
        assert_eq!(rt.status(&id).as_deref(), Some("running"), "{}: the container goes on", kind.name());
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

fn wait_for_file(path: &Path) -> String {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(s) = fs::read_to_string(path)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(Instant::now() < end, "{} never appeared", path.display());
        thread::sleep(Duration::from_millis(20));
    }
}

/// rmdir of cgroup directories, deepest first.
fn remove_cgroups(dirs: &[std::path::PathBuf]) {
    let mut dirs = dirs.to_vec();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.as_os_str().len()));
    for d in dirs {
        let _ = fs::remove_dir(&d);
    }
}

/// Processes in the PID namespace of `init` (not zombies), init included.
fn in_pid_namespace_of(init: i32) -> Vec<i32> {
    let Ok(ns) = fs::read_link(format!("/proc/{init}/ns/pid")) else { return Vec::new() };
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|p| fs::read_link(format!("/proc/{p}/ns/pid")).ok().as_ref() == Some(&ns))
        .filter(|p| !fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| s.rfind(')').is_some_and(|i| s[i + 1..].trim_start().starts_with('Z'))))
        .collect()
}

/// `rsrun exec` SIGKILLed at pseudo-random moments (0-40 ms after it started: reading the state,
/// joining, setting the process up, relaying, waiting; foreground and --detach): nothing waits for
/// ever (no process naming the id is left, and after the exec'd process's own 0.2 s only the init
/// is left in the container), the container still takes an exec, and `delete --force` removes
/// everything.
#[test]
fn exec_killed_at_random_moments() {
    require_root();
    if !exec_or_skip() {
        return;
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("killed-exec");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    let init = rt.pid(&id).unwrap();
    for round in 0..24 {
        let delay = Duration::from_micros(next() % 40_000);
        let detach = round % 3 == 2;
        let mut args = vec!["exec"];
        if detach {
            args.push("-d");
        }
        args.extend_from_slice(&[&id, "sh", "-c", "sleep 0.2"]);
        let mut cmd = rt.command(&args);
        cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let what = format!("seed {seed} round {round}: killed after {delay:?} (detach {detach})");
        let left = orphans(&id, Duration::from_secs(5));
        assert!(left.is_empty(), "{what}: processes left waiting: {left:?}");
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let procs = in_pid_namespace_of(init);
            if procs == [init] {
                break;
            }
            assert!(Instant::now() < end, "{what}: processes left in the container: {procs:?}");
            thread::sleep(Duration::from_millis(50));
        }
        let o = rt.run(&["exec", &id, "echo", "usable"]);
        assert_eq!(o.stdout, "usable\n", "{what}:\n{o}");
    }
    rt.delete_force(&id).assert_ok();
    leaks.assert_clean();
}
