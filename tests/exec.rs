//! `exec` on real containers, differential: the same bundle (a busybox `sleep 1000` container)
//! under rsrun, crun and runc, the same exec, the same observable result: output and exit status,
//! the `ID CMD...` and `--process FILE` forms, --cwd, --env, --user (strict), --additional-gids,
//! --cap, --no-new-privs, --preserve-fds, --detach + --pid-file, --cgroup, the config's rlimits,
//! seccomp and umask, namespaces and cgroups identical to the init's, label refusals, and exec into
//! created, stopped and paused containers. Every container is leak-checked after it is deleted.
//!
//! Where runc 1.1.5 and crun 1.8.1 (Debian 12's) differ, rsrun is held to runc's behaviour and a
//! comment says what crun does. On a build without exec the rsrun runs are skipped ("skipped:
//! rsrun exec not implemented") and the reference runtimes still run. Root only.
mod common;

use common::*;
use std::fs;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

/// `want` without rsrun when this build has no exec (printing the skip line).
fn runtimes(want: &[Kind]) -> Vec<Kind> {
    want.iter().copied().filter(|k| *k != Kind::Rsrun || exec_or_skip()).collect()
}

/// For each runtime: a fresh bundle running `sleep 1000` (after `setup`), created and started,
/// handed to `body`; afterwards the container is killed, force-deleted and leak-checked.
fn each_running<R>(
    kinds: &[Kind],
    tag: &str,
    setup: &dyn Fn(&Bundle),
    mut body: impl FnMut(Kind, &Runtime, &Running, &Bundle) -> R,
) -> Vec<(Kind, R)> {
    let mut res = Vec::new();
    for &kind in kinds {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        setup(&bundle);
        let rt = Runtime::new(kind);
        let id = unique_id(&format!("exectest-{tag}"));
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let r = {
            let running = rt.spawn(&bundle, &id);
            body(kind, &rt, &running, &bundle)
        };
        leaks.assert_clean();
        res.push((kind, r));
    }
    res
}

/// `RT exec [OPTS...] ID CMD...`.
fn exec(rt: &Runtime, id: &str, opts: &[&str], cmd: &[&str]) -> Out {
    let mut a = vec!["exec"];
    a.extend_from_slice(opts);
    a.push(id);
    a.extend_from_slice(cmd);
    rt.run(&a)
}

/// Panics, showing every result, unless the runtimes of `among` that ran got the same text.
#[track_caller]
fn agree(results: &[(Kind, String)], among: &[Kind]) {
    let sel: Vec<&(Kind, String)> = results.iter().filter(|(k, _)| among.contains(k)).collect();
    if sel.windows(2).all(|w| w[0].1 == w[1].1) {
        return;
    }
    let mut msg = String::from("runtimes disagree:\n");
    for (k, s) in sel {
        msg.push_str(&format!("===== {} =====\n{s}\n", k.name()));
    }
    panic!("{msg}");
}

/// rsrun's own error: exit 255 (as runc's exec), one line naming `want`.
#[track_caller]
fn rsrun_error(out: &Out, want: &str) {
    assert_eq!(out.code, Some(255), "rsrun exec errors exit 255:\n{out}");
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "one line of error:\n{out}");
    assert!(out.stderr.contains(want), "want {want:?} in the error:\n{out}");
}

fn status_of(pid: i32, field: &str) -> String {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines().find(|l| l.starts_with(field)).unwrap_or("").to_string()
}

/// The process's exit status and output pass through: exit 7 with stdout and stderr, and a
/// process killed by a signal gives 128 + N. Same under all three.
#[test]
fn exit_status_and_output_pass_through() {
    require_root();
    let kinds = runtimes(ALL);
    let res = each_running(&kinds, "status", &|_| {}, |_, rt, c, _| {
        let o = exec(rt, &c.id, &[], &["sh", "-c", "echo out; echo err >&2; exit 7"]);
        let mut s = format!("exit {:?} out {:?} err {:?}\n", o.code, o.stdout, o.stderr);
        for sig in ["HUP", "INT", "KILL", "TERM"] {
            let o = exec(rt, &c.id, &[], &["sh", "-c", &format!("kill -{sig} $$")]);
            s += &format!("{sig}: exit {:?}\n", o.code);
        }
        s += &format!("true: exit {:?}\n", exec(rt, &c.id, &[], &["true"]).code);
        assert!(c.alive(), "the container died");
        s
    });
    let want = "exit Some(7) out \"out\\n\" err \"err\\n\"\nHUP: exit Some(129)\nINT: exit Some(130)\n\
                KILL: exit Some(137)\nTERM: exit Some(143)\ntrue: exit Some(0)\n";
    for (k, s) in &res {
        assert_eq!(s, want, "{}", k.name());
    }
}

/// `BIN --root ROOT ARGS...` started with SIGHUP and SIGPIPE ignored (as under `nohup`, or a
/// supervisor that ignores SIGPIPE): SIG_IGN survives execve, so the runtime must set them back.
fn with_hup_pipe_ignored(rt: &Runtime, args: &[&str]) -> Out {
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "trap '' HUP PIPE 37; exec \"$@\"", "sh"]).arg(rt.bin()).arg("--root").arg(rt.root()).args(args);
    run_command(&mut cmd, None, Duration::from_secs(30))
}

/// The signals `with_hup_pipe_ignored`'s shell ignores: SIGHUP (1), SIGPIPE (13) and the real-time
/// signal 37, as bits of a SigIgn line.
const CALLER_IGNORED: u64 = (1 << 0) | (1 << 12) | (1 << 36);

/// Which of the caller's ignored signals /proc/self/status's SigIgn line still shows ignored, e.g.
/// "SigIgn:\t0000001000001001\n" (crun leaves 32 and 33, glibc's own, ignored: not compared).
fn ignored(status_line: &str) -> u64 {
    let hex = status_line.trim().strip_prefix("SigIgn:").unwrap_or_else(|| panic!("not a SigIgn line: {status_line:?}"));
    u64::from_str_radix(hex.trim(), 16).unwrap() & CALLER_IGNORED
}

/// Signals the caller left ignored (here SIGHUP, SIGPIPE and the real-time signal 37) are back to
/// the default in the container's process, for `run` (the init) and for `exec`, as runc and crun
/// do.
#[test]
fn signals_the_caller_ignored_are_reset() {
    require_root();
    let kinds = runtimes(ALL);
    let res = each_running(&kinds, "sigign", &|_| {}, |_, rt, c, _| {
        let o = with_hup_pipe_ignored(rt, &["exec", &c.id, "grep", "SigIgn", "/proc/self/status"]);
        o.assert_ok();
        o.stdout
    });
    for (k, s) in &res {
        assert_eq!(ignored(s), 0, "{}: exec: {s}", k.name());
    }
    for &kind in &kinds {
        let bundle = Bundle::new();
        bundle.args(&["grep", "SigIgn", "/proc/self/status"]);
        let rt = Runtime::new(kind);
        let id = unique_id("exectest-sigign-run");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let o = with_hup_pipe_ignored(&rt, &["run", "--bundle", bundle.path().to_str().unwrap(), &id]);
        o.assert_ok();
        assert_eq!(ignored(&o.stdout), 0, "{}: run: {}", kind.name(), o.stdout);
        leaks.assert_clean();
    }
}

/// Errors: an id that does not exist ("does not exist", as containerd matches), a command that is
/// not in the container, a --process file that does not exist. rsrun and runc exit 255 (crun exits 1
/// for the missing id); the container is untouched and still takes an exec.
#[test]
fn errors_exit_255() {
    require_root();
    let kinds = runtimes(ALL);
    each_running(&kinds, "errors", &|_| {}, |kind, rt, c, b| {
        let o = rt.run(&["exec", "rsrun-test-exectest-nosuch-id", "true"]);
        assert!(o.stderr.contains("does not exist") || kind == Kind::Crun, "{}:\n{o}", kind.name());
        let o2 = exec(rt, &c.id, &[], &["/nonexistent", "x"]);
        assert_eq!(o2.code, Some(255), "{}:\n{o2}", kind.name());
        let missing = b.path().join("no-process.json");
        let o3 = exec(rt, &c.id, &["--process", missing.to_str().unwrap()], &[]);
        o3.assert_fail();
        match kind {
            Kind::Rsrun => {
                rsrun_error(&o, "does not exist");
                rsrun_error(&o2, "/nonexistent");
                rsrun_error(&o3, "no-process.json");
            }
            Kind::Runc => assert_eq!(o.code, Some(255), "{o}"),
            Kind::Crun => {
                o.assert_fail();
            }
        };
        assert!(c.alive());
        exec(rt, &c.id, &[], &["true"]).assert_ok();
    });
}

/// `--process FILE` (args, cwd, env, user with additionalGids) and the same settings given as flags
/// (`ID CMD...` with --cwd, -e, -u, --additional-gids) run the same process. The file's env
/// replaces the config's; flags add to it (runc; crun has no --additional-gids, so the flag form is
/// compared with runc only).
#[test]
fn process_file_and_flags() {
    require_root();
    let kinds = runtimes(ALL);
    let script = "id; pwd; env | sort";
    let res = each_running(&kinds, "process-file", &|_| {}, |kind, rt, c, b| {
        let file = b.path().join("process.json");
        let p = format!(
            "{{\"args\":{},\"cwd\":\"/tmp\",\"env\":[\"X=y\",\"PATH=/bin\"],\
             \"user\":{{\"uid\":1000,\"gid\":100,\"additionalGids\":[10]}},\"terminal\":false}}",
            json_array(&["sh", "-c", script])
        );
        fs::write(&file, p).unwrap();
        let f = exec(rt, &c.id, &["--process", file.to_str().unwrap()], &[]);
        f.assert_ok();
        let mut s = format!("--process:\n{}", f.stdout);
        if kind != Kind::Crun {
            let o = exec(
                rt,
                &c.id,
                &["--cwd", "/tmp", "-e", "X=y", "-u", "1000:100", "--additional-gids", "10"],
                &["sh", "-c", script],
            );
            o.assert_ok();
            s += &format!("flags:\n{}", o.stdout);
        }
        s
    });
    for (k, s) in &res {
        assert!(s.starts_with("--process:\nuid=1000(user) gid=100(users) groups=10(wheel)\n/tmp\n"), "{}:\n{s}", k.name());
        assert!(s.contains("\nX=y\n"), "{}:\n{s}", k.name());
    }
    agree(&res, &[Kind::Rsrun, Kind::Runc]);
    let file_part = |s: &str| s.split("flags:").next().unwrap().to_string();
    let files: Vec<(Kind, String)> = res.iter().map(|(k, s)| (*k, file_part(s))).collect();
    agree(&files, ALL);
}

/// -e overrides a variable of the config (TERM, PATH) and adds new ones; the rest of the config's
/// env stays; HOME is set from the user. runc's rule; crun 1.8.1 drops the config's env when -e is
/// given (TERM disappears), so it is not compared.
#[test]
fn env_override_and_add() {
    require_root();
    let kinds = runtimes(&[Kind::Rsrun, Kind::Runc]);
    let res = each_running(&kinds, "env", &|b| {
        b.patch(".process.env += [\"KEEP=1\"]");
    }, |_, rt, c, _| {
        let o = exec(rt, &c.id, &["-e", "TERM=dumb", "-e", "NEW=2", "-e", "PATH=/bin:/sbin"], &["/usr/bin/env"]);
        o.assert_ok();
        let mut l: Vec<&str> = o.stdout.lines().collect();
        l.sort_unstable();
        l.join("\n")
    });
    for (k, s) in &res {
        assert_eq!(s, "HOME=/root\nKEEP=1\nNEW=2\nPATH=/bin:/sbin\nTERM=dumb", "{}", k.name());
    }
}

/// -u uid and uid:gid as all three do (without a gid the config's stays, not the passwd entry's),
/// over a config user. Junk is refused, exit 255, as runc refuses it. rsrun is stricter than both
/// references in two cases (DESIGN.md: `exec --user` parsing is strict): "" (runc and crun treat it
/// as not given) and "4294967296" (runc 1.1.5 wraps it to uid 0, crun accepts it too).
#[test]
fn user_forms_and_strict_parsing() {
    require_root();
    let kinds = runtimes(ALL);
    let res = each_running(&kinds, "user", &|b| {
        b.patch(".process.user = {\"uid\": 1000, \"gid\": 1000}");
    }, |kind, rt, c, _| {
        let mut s = String::new();
        for u in ["1000", "1000:2000", "0", "0:10", "65534:65534", "1001:100"] {
            let o = exec(rt, &c.id, &["-u", u], &["id"]);
            s += &format!("{u}: {:?} {}", o.code, o.stdout);
        }
        // Not given at all: the config's user.
        let o = exec(rt, &c.id, &[], &["id"]);
        s += &format!("config: {:?} {}", o.code, o.stdout);
        if kind == Kind::Crun {
            return s; // crun accepts "1:", ":1", "-1", " 1" (exit 0) and exits 1 on the rest
        }
        for junk in ["1x", "x", "user", "1:", ":1", "-1", "1:2:3", " 1", "1 ", "0x10", "1:x"] {
            let o = exec(rt, &c.id, &["-u", junk], &["id"]);
            assert_eq!(o.code, Some(255), "{} -u {junk:?}:\n{o}", kind.name());
            assert_eq!(o.stdout, "", "{} -u {junk:?} ran:\n{o}", kind.name());
            if kind == Kind::Rsrun {
                rsrun_error(&o, "");
            }
        }
        if kind == Kind::Rsrun {
            rsrun_error(&exec(rt, &c.id, &["-u", ""], &["id"]), "");
            rsrun_error(&exec(rt, &c.id, &["-u", "4294967296"], &["id"]), "4294967296");
        } else {
            let o = exec(rt, &c.id, &["-u", ""], &["id"]);
            eprintln!("reference: {} exec -u \"\": exit {:?} {}", kind.name(), o.code, o.stdout.trim());
        }
        s
    });
    let (_, s) = &res[0];
    assert!(s.starts_with("1000: Some(0) uid=1000(user) gid=1000(user)\n0: Some(0) uid=0(root) gid=1000(user)\n")
        || s.starts_with("1000: Some(0) uid=1000(user) gid=1000(user)\n1000:2000: Some(0) uid=1000(user) gid=2000(extra)\n"), "{s}");
    agree(&res, &[Kind::Rsrun, Kind::Runc]);
    // crun 1.8.1's exec ignores the config's user: only the uid:gid forms compare.
    let explicit = |s: &str| s.lines().filter(|l| l.split(": ").next().unwrap_or("").contains(':')).collect::<Vec<_>>().join("\n");
    agree(&res.iter().map(|(k, s)| (*k, explicit(s))).collect::<Vec<_>>(), ALL);
}

/// --cap adds to the bounding, effective and permitted sets of the config (runc; crun 1.8.1
/// replaces the sets), never to the inheritable one (CVE-2022-29162) and, for that reason, not to
/// the ambient one either; a non-root user ends with empty effective/permitted sets.
#[test]
fn capabilities() {
    require_root();
    let kinds = runtimes(ALL);
    let res = each_running(&kinds, "caps", &|_| {}, |_, rt, c, _| {
        let mut s = String::new();
        for (u, caps) in [("0", false), ("0", true), ("1000", true)] {
            let mut opts = vec!["-u", u];
            if caps {
                opts.extend(["--cap", "CAP_SYS_ADMIN", "--cap", "CAP_NET_RAW"]);
            }
            let o = exec(rt, &c.id, &opts, &["grep", "^Cap", "/proc/self/status"]);
            o.assert_ok();
            s += &format!("uid {u} caps {caps}:\n{}", o.stdout);
        }
        s
    });
    for (k, s) in &res {
        assert_eq!(s.matches("CapInh:\t0000000000000000").count(), 3, "{}:\n{s}", k.name());
    }
    let r: Vec<(Kind, String)> = res.iter().filter(|(k, _)| *k != Kind::Crun).cloned().collect();
    if let Some((_, s)) = r.first() {
        // Config: AUDIT_WRITE, KILL, NET_BIND_SERVICE (0x20000420); + SYS_ADMIN, NET_RAW.
        assert!(s.contains("uid 0 caps true:\nCapInh:\t0000000000000000\nCapPrm:\t0000000020202420\nCapEff:\t0000000020202420\nCapBnd:\t0000000020202420\nCapAmb:\t0000000000000000"), "{s}");
    }
    agree(&res, &[Kind::Rsrun, Kind::Runc]);
}

/// --no-new-privs sets NoNewPrivs for the exec'd process only; without it, the config's
/// noNewPrivileges holds (runc; crun 1.8.1 ignores the config's value in exec).
#[test]
fn no_new_privs() {
    require_root();
    let kinds = runtimes(ALL);
    let res = each_running(&kinds, "nnp", &|b| {
        b.patch(".process.noNewPrivileges = false");
    }, |_, rt, c, _| {
        let a = exec(rt, &c.id, &[], &["grep", "NoNewPrivs", "/proc/self/status"]);
        let b = exec(rt, &c.id, &["--no-new-privs"], &["grep", "NoNewPrivs", "/proc/self/status"]);
        let init = status_of(c.pid, "NoNewPrivs");
        format!("{}{}init {init}", a.stdout, b.stdout)
    });
    for (k, s) in &res {
        assert_eq!(s, "NoNewPrivs:\t0\nNoNewPrivs:\t1\ninit NoNewPrivs:\t0", "{}", k.name());
    }
    let kinds = runtimes(&[Kind::Rsrun, Kind::Runc]);
    let res = each_running(&kinds, "nnp-config", &|_| {}, |_, rt, c, _| {
        exec(rt, &c.id, &[], &["grep", "NoNewPrivs", "/proc/self/status"]).stdout
    });
    for (k, s) in &res {
        assert_eq!(s, "NoNewPrivs:\t1\n", "{}", k.name());
    }
}

/// --preserve-fds N passes fds 3..3+N of the caller on, and only those: a fd above them that the
/// caller leaked does not reach the process. Without the flag only 0, 1, 2 do.
#[test]
fn preserve_fds() {
    require_root();
    let host = HostDir::new("exectest-fds");
    let a = fs::File::open(host.path().join("marker")).unwrap();
    let d = fs::File::open(host.path()).unwrap();
    let kinds = runtimes(ALL);
    let script = "ls /proc/self/fd | tr '\\n' ' '; echo; for f in 3 4; do readlink /proc/self/fd/$f; done; exit 0";
    let res = each_running(&kinds, "preserve-fds", &|_| {}, |_, rt, c, _| {
        let fds: &[(i32, &fs::File)] = &[(3, &a), (4, &d), (5, &d), (9, &a)];
        let p = rt.run_with_fds(&["exec", "--preserve-fds", "2", &c.id, "sh", "-c", script], fds);
        p.assert_ok();
        let n = rt.run_with_fds(&["exec", &c.id, "sh", "-c", script], fds);
        n.assert_ok();
        format!("{}--\n{}", p.stdout, n.stdout)
    });
    let want = format!("0 1 2 3 4 5 \n{}/marker\n{}\n--\n0 1 2 3 \n", host.str(), host.str());
    for (k, s) in &res {
        // ls's own directory fd is the lowest free one: 5 with two preserved, 3 without; the
        // readlinks of 3 and 4 fail without --preserve-fds (nothing printed).
        assert_eq!(s, &want, "{}", k.name());
    }
    host.assert_untouched();
}

/// --detach --pid-file: exec returns at once, the pid file holds the host pid of the process, which
/// runs in the container's PID namespace (a second NSpid), in every namespace of the init
/// (/proc/PID/ns links) and in the init's cgroups; a foreground exec sees the same cgroups.
/// delete --force kills it with the container (each_running's leak check).
#[test]
fn detach_pid_file_namespaces_and_cgroups() {
    require_root();
    let kinds = runtimes(ALL);
    each_running(&kinds, "detach", &|b| {
        b.patch(".linux.namespaces += [{\"type\":\"cgroup\"}]");
    }, |kind, rt, c, b| {
        let name = kind.name();
        let pid_file = b.path().join("exec.pid");
        let o = exec(rt, &c.id, &["-d", "--pid-file", pid_file.to_str().unwrap()], &["sleep", "1000"]);
        o.assert_ok();
        let text = fs::read_to_string(&pid_file).unwrap_or_else(|e| panic!("{name}: pid file: {e}"));
        let pid: i32 = text.trim().parse().unwrap_or_else(|_| panic!("{name}: pid file holds {text:?}"));
        assert!(proc_start_time(pid).is_some(), "{name}: {pid} is not running");
        let nspid: Vec<String> = status_of(pid, "NSpid:").split_whitespace().skip(1).map(String::from).collect();
        assert_eq!(nspid.len(), 2, "{name}: NSpid of the exec'd process {nspid:?}");
        assert_eq!(nspid[0], pid.to_string(), "{name}");
        assert_ne!(nspid[1], "1", "{name}");
        let mut kinds_seen = 0;
        for e in fs::read_dir(format!("/proc/{}/ns", c.pid)).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let want = fs::read_link(e.path()).unwrap();
            let got = fs::read_link(format!("/proc/{pid}/ns/{n}")).unwrap();
            assert_eq!(got, want, "{name}: namespace {n} of the exec'd process");
            kinds_seen += 1;
        }
        assert!(kinds_seen >= 7, "{name}");
        let init_cg = fs::read_to_string(format!("/proc/{}/cgroup", c.pid)).unwrap();
        assert_eq!(fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap(), init_cg, "{name}: cgroups");
        // In the container's cgroup namespace the foreground process sees what the init sees.
        let fg = exec(rt, &c.id, &[], &["sh", "-c", "cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup"]);
        fg.assert_ok();
        let (mine, init) = fg.stdout.split_once("==\n").unwrap();
        assert_eq!(mine, init, "{name}: cgroups seen inside");
        // The pid is in the container's pid ns: from inside it is NSpid[1], and its parent there
        // is no host process (0: outside the namespace).
        let ps = exec(rt, &c.id, &[], &["sh", "-c", &format!("cut -d' ' -f1 /proc/{}/stat", nspid[1])]);
        assert_eq!(ps.stdout.trim(), nspid[1], "{name}:\n{ps}");
    });
}

/// The directories of the init's cgroups (one per line of /proc/PID/cgroup), host paths.
fn cgroup_dirs(pid: i32) -> Vec<(String, PathBuf)> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let (_, ctrls, path) = (it.next()?, it.next()?, it.next()?);
            let mount = if ctrls.is_empty() { cgroup2_mount()? } else { v1_hierarchy(ctrls.split(',').next()?)? };
            Some((ctrls.to_string(), mount.join(path.trim_start_matches('/'))))
        })
        .collect()
}

/// --cgroup SUB puts the process in the sub-cgroup SUB of the container's cgroup (in every
/// hierarchy: it must exist in each, else exec fails); --cgroup CTRL:SUB only in that controller's
/// hierarchy. Compared with runc; crun 1.8.1 on a hybrid host leaves the process in the root
/// cgroup of every hierarchy but the ones named (outside the container's limits).
#[test]
fn sub_cgroup() {
    require_root();
    let kinds = runtimes(&[Kind::Rsrun, Kind::Runc]);
    each_running(&kinds, "sub-cgroup", &|_| {}, |kind, rt, c, _| {
        let name = kind.name();
        let dirs = cgroup_dirs(c.pid);
        let init_cg = fs::read_to_string(format!("/proc/{}/cgroup", c.pid)).unwrap();
        // A sub-cgroup that exists nowhere: an error, nothing made.
        let o = exec(rt, &c.id, &["--cgroup", "nosuch"], &["true"]);
        assert_eq!(o.code, Some(255), "{name}:\n{o}");
        for (_, d) in &dirs {
            assert!(!d.join("nosuch").exists(), "{name}: {} made", d.join("nosuch").display());
        }
        for (_, d) in &dirs {
            fs::create_dir(d.join("sub")).unwrap();
            // A v1 cpuset takes no task before it has cpus and mems.
            for f in ["cpuset.cpus", "cpuset.mems"] {
                if let Ok(v) = fs::read_to_string(d.join(f)) {
                    fs::write(d.join("sub").join(f), v.trim()).unwrap();
                }
            }
        }
        let all = exec(rt, &c.id, &["--cgroup", "sub"], &["cat", "/proc/self/cgroup"]);
        let want: String = init_cg.lines().map(|l| format!("{l}/sub\n")).collect();
        let one = exec(rt, &c.id, &["--cgroup", "pids:sub"], &["cat", "/proc/self/cgroup"]);
        for (_, d) in &dirs {
            let _ = fs::remove_dir(d.join("sub"));
        }
        all.assert_ok();
        assert_eq!(all.stdout, want, "{name}: --cgroup sub");
        one.assert_ok();
        let want_one: String = init_cg
            .lines()
            .map(|l| {
                let ctrls = l.split(':').nth(1).unwrap_or("");
                let here = if cgroup_v2() { ctrls.is_empty() } else { ctrls.split(',').any(|c| c == "pids") };
                if here { format!("{l}/sub\n") } else { format!("{l}\n") }
            })
            .collect();
        assert_eq!(one.stdout, want_one, "{name}: --cgroup pids:sub");
    });
}

/// The config's rlimits, seccomp profile, umask and noNewPrivileges apply to the exec'd process as
/// to the init: compared with runc, except the umask, which runc 1.1.5 leaves at 0022 in exec
/// (issue 8 asks for the config's: rsrun must give 0027). crun 1.8.1 applies only the seccomp
/// profile: its exec builds the process without the config's user, rlimits, umask and
/// noNewPrivileges, so it is not compared.
#[test]
fn rlimits_seccomp_umask_from_the_config() {
    require_root();
    let kinds = runtimes(&[Kind::Rsrun, Kind::Runc]);
    let patch = r#".process.rlimits = [{"type":"RLIMIT_NOFILE","hard":456,"soft":123},{"type":"RLIMIT_NPROC","hard":777,"soft":555}]
        | .process.user.umask = 23
        | .linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
            "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#;
    let script = "ulimit -n; ulimit -Hn; ulimit -u; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; \
                  mkdir /tmp/d 2>&1; umask; exit 0";
    let res = each_running(&kinds, "rlimits", &|b| {
        b.patch(patch);
    }, |_, rt, c, _| {
        let o = exec(rt, &c.id, &[], &["sh", "-c", script]);
        o.assert_ok();
        o.stdout
    });
    // runc 1.1.5's exec sometimes gives the process its hard NOFILE limit as the soft one: its init
    // is a Go program, whose runtime raises the soft limit to the hard one at start, and whether
    // that happens before or after runc applies the config's limits is a race (seen in background
    // runs of the suite). rsrun must give the config's soft limit every time.
    let res: Vec<(Kind, String)> = res
        .into_iter()
        .map(|(k, s)| match k {
            Kind::Runc if s.starts_with("456\n456\n") => (k, s.replacen("456\n456\n", "123\n456\n", 1)),
            _ => (k, s),
        })
        .collect();
    for (k, s) in &res {
        assert!(s.starts_with("123\n456\n555\nNoNewPrivs:\t1\nSeccomp:\t2\n"), "{}:\n{s}", k.name());
        assert!(s.contains("Permission denied"), "{}: mkdir was not denied:\n{s}", k.name());
        if *k == Kind::Rsrun {
            assert!(s.ends_with("\n0027\n"), "rsrun: the config's umask:\n{s}");
        }
    }
    let no_umask = |s: &str| s.trim_end().rsplit_once('\n').map_or(String::new(), |(a, _)| a.to_string());
    agree(&res.iter().map(|(k, s)| (*k, no_umask(s))).collect::<Vec<_>>(), ALL);
}

/// --apparmor on a host without AppArmor and --process-label on a host without SELinux are refused
/// (exit 255), the container is untouched. crun 1.8.1 ignores --process-label.
#[test]
fn labels_are_refused() {
    require_root();
    if apparmor() {
        skip("AppArmor is enabled here: an unknown profile would be a different error");
        return;
    }
    let kinds = runtimes(ALL);
    each_running(&kinds, "labels", &|_| {}, |kind, rt, c, _| {
        let o = exec(rt, &c.id, &["--apparmor", "rsrun-test-profile"], &["echo", "RAN"]);
        assert_eq!(o.code, Some(255), "{}:\n{o}", kind.name());
        assert!(!o.stdout.contains("RAN"), "{}:\n{o}", kind.name());
        if kind != Kind::Crun {
            let o2 = exec(rt, &c.id, &["--process-label", "system_u:system_r:container_t:s0"], &["echo", "RAN"]);
            assert_eq!(o2.code, Some(255), "{}:\n{o2}", kind.name());
            assert!(!o2.stdout.contains("RAN"), "{}:\n{o2}", kind.name());
            if kind == Kind::Rsrun {
                rsrun_error(&o, "apparmor");
                rsrun_error(&o2, "label");
            }
        }
        assert!(c.alive());
        exec(rt, &c.id, &[], &["true"]).assert_ok();
    });
}

/// Exec into a stopped container fails (rsrun and runc exit 255; crun 1). Into a paused one it
/// fails unless --ignore-paused, and then the process starts once the container is resumed (crun
/// 1.8.1 has no --ignore-paused). Into a created one rsrun refuses ("not running"), as issue 8
/// asks; runc 1.1.5 and crun 1.8.1 both run the process beside the waiting init (recorded, not
/// asserted).
#[test]
fn exec_into_created_stopped_and_paused() {
    require_root();
    let kinds = runtimes(ALL);
    for &kind in &kinds {
        let name = kind.name();
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let rt = Runtime::new(kind);
        let id = unique_id("exectest-states");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.create(&bundle, &id).assert_ok();
        let o = exec(&rt, &id, &[], &["echo", "RAN"]);
        if kind == Kind::Rsrun {
            rsrun_error(&o, "not running");
            assert!(o.stderr.contains("created"), "{o}");
        } else {
            eprintln!("reference: {name} exec into a created container: exit {:?}", o.code);
        }
        rt.start(&id).assert_ok();
        // Paused.
        rt.run(&["pause", &id]).assert_ok();
        let o = exec(&rt, &id, &[], &["echo", "RAN"]);
        o.assert_fail();
        assert!(!o.stdout.contains("RAN"), "{name}:\n{o}");
        if kind != Kind::Crun {
            assert_eq!(o.code, Some(255), "{name}:\n{o}");
            assert!(o.stderr.contains("paused"), "{name}:\n{o}");
            let pid_file = bundle.path().join("paused.pid");
            let p = pid_file.to_str().unwrap();
            let got = thread::scope(|s| {
                let h = s.spawn(|| exec(&rt, &id, &["--ignore-paused", "-d", "--pid-file", p], &["sleep", "1000"]));
                thread::sleep(Duration::from_millis(500));
                rt.run(&["resume", &id]).assert_ok();
                h.join().unwrap()
            });
            got.assert_ok();
            let pid: i32 = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
            assert!(proc_start_time(pid).is_some(), "{name}");
        } else {
            rt.run(&["resume", &id]).assert_ok();
        }
        exec(&rt, &id, &[], &["true"]).assert_ok();
        // Stopped.
        rt.kill(&id, "KILL").assert_ok();
        assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(10)).as_deref(), Some("stopped"), "{name}");
        let o = exec(&rt, &id, &[], &["echo", "RAN"]);
        o.assert_fail();
        assert!(!o.stdout.contains("RAN"), "{name}:\n{o}");
        if kind == Kind::Rsrun {
            rsrun_error(&o, "not running");
        } else if kind == Kind::Runc {
            assert_eq!(o.code, Some(255), "{o}");
        }
        rt.delete(&id).assert_ok();
        leaks.assert_clean();
    }
}
