//! What the container process sees of `process.*` (and `linux.personality`), in real busybox
//! containers under rsrun, compared with crun 1.8.1 and runc 1.1.5 where all three implement the
//! field. Each container prints what it got from /proc/$$ (the container process itself, not a child
//! that exec'd again).
//!
//! Normalisations, each where it is used:
//! - the bundle path and container id become `$BUNDLE`/`$ID` (`run_each`);
//! - HOME for a uid missing from /etc/passwd (crun leaves it unset, runc and rsrun give "/") and an
//!   empty HOME (crun keeps it, runc and rsrun fill it in): compared with runc only;
//! - a relative args[0]: runc execs the relative path, so a script's $0 differs from crun's and
//!   rsrun's absolute one: mapped before comparing with runc;
//! - LISTEN_FDS: crun 1.8.1 does not put LISTEN_FDS in the container's environment (only LISTEN_PID);
//! - scheduler, ioPriority: runc 1.1.5 and crun 1.8.1 ignore them (runtime-spec 1.2 fields; checked:
//!   policy 0, "none: prio 0" under both), so rsrun's values are checked against the kernel's
//!   numbers instead; personality: runc 1.1.5 ignores it, compared with crun only;
//! - error texts differ between runtimes: failures compare by "it failed", rsrun's message is
//!   checked for the field it names.
mod common;
use common::*;
use std::process::Command;

/// Runs `script` (sh -c) under all three runtimes once per patch in `patches`; exit code and stdout
/// must be the same for each. Returns the runs, one `Runs` per patch.
#[track_caller]
fn same_everywhere<S: AsRef<str>>(patches: &[S], script: &str) -> Vec<Runs> {
    let args = sh_args(script);
    let patches: Vec<String> = patches.iter().map(|p| format!("{} | {args}", p.as_ref())).collect();
    let all = run_all_cases(&patches.iter().map(String::as_str).collect::<Vec<_>>());
    for (runs, patch) in all.iter().zip(&patches) {
        eprintln!("case: {patch}");
        runs.assert_rsrun_matches_all(norm::code_and_stdout);
    }
    all
}

const CAPS: &str = "grep -E '^(Cap|NoNewPrivs)' /proc/$$/status";

/// The five capability sets and no_new_privs for several capability lists: the `crun spec` one
/// (ambient listed without inheritable: skipped by all three), mixed sets with ambient for root and
/// for a non-root user (where only ambient survives execve), no capabilities at all, and every
/// capability this host's runtime holds (all but CAP_SYS_RESOURCE on this VM).
#[test]
fn capability_sets_and_no_new_privs() {
    require_root();
    let mixed = r#".process.capabilities = {
        "bounding": ["CAP_CHOWN","CAP_NET_RAW","CAP_KILL","CAP_SETUID","CAP_SYS_ADMIN"],
        "permitted": ["CAP_CHOWN","CAP_NET_RAW","CAP_KILL","CAP_SYS_ADMIN"],
        "effective": ["CAP_CHOWN","CAP_KILL"],
        "inheritable": ["CAP_NET_RAW","CAP_CHOWN"],
        "ambient": ["CAP_NET_RAW","CAP_KILL"]} | .process.noNewPrivileges = false"#;
    let held = held_capability_names();
    let held_json = json_array(&held.iter().map(String::as_str).collect::<Vec<_>>());
    let all = format!(
        ".process.capabilities = {{\"bounding\": {h}, \"permitted\": {h}, \"effective\": {h}, \"inheritable\": {h}, \
         \"ambient\": {h}}} | .process.noNewPrivileges = false",
        h = held_json
    );
    let cases: Vec<(&str, String)> = vec![
        ("crun spec", ".".into()),
        ("mixed, root", mixed.into()),
        ("mixed, uid 1000", format!("{mixed} | .process.user = {{\"uid\": 1000, \"gid\": 1000}}")),
        ("none", "del(.process.capabilities)".into()),
        ("all held", all),
    ];
    let patches: Vec<&str> = cases.iter().map(|(_, p)| p.as_str()).collect();
    for ((name, _), runs) in cases.iter().zip(same_everywhere(&patches, CAPS)) {
        let ours = runs.stdout(Kind::Rsrun);
        match *name {
            "crun spec" => assert!(
                ours.contains(
                    "CapEff:\t0000000020000420\nCapBnd:\t0000000020000420\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1"
                ),
                "{name}: {ours}"
            ),
            "mixed, root" => assert!(
                ours.contains("CapInh:\t0000000000002001\n")
                    && ours.contains("CapAmb:\t0000000000002000\nNoNewPrivs:\t0"),
                "{name}: {ours}"
            ),
            "mixed, uid 1000" => {
                assert!(ours.contains("CapPrm:\t0000000000002000\nCapEff:\t0000000000002000\n"), "{name}: {ours}")
            }
            "none" => assert!(
                ours.contains("CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000"),
                "{name}: {ours}"
            ),
            _ => assert!(!ours.contains("CapAmb:\t0000000000000000"), "{name}: ambient should be set: {ours}"),
        }
    }
}

/// Capability names the test process holds in its bounding set (what a runtime started from here can
/// grant), from /proc/self/status and the kernel's numbering.
fn held_capability_names() -> Vec<String> {
    const NAMES: [&str; 41] = [
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    ];
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:\t")).unwrap();
    let eff = u64::from_str_radix(eff.trim(), 16).unwrap();
    NAMES.iter().enumerate().filter(|(i, _)| eff & (1 << i) != 0).map(|(_, n)| format!("CAP_{n}")).collect()
}

/// rlimits of several types, as /proc/$$/limits shows them (values below any sane CI hard limit).
#[test]
fn rlimits() {
    require_root();
    let patch = r#".process.rlimits = [
        {"type":"RLIMIT_NOFILE","soft":256,"hard":512},
        {"type":"RLIMIT_NPROC","soft":1000,"hard":2000},
        {"type":"RLIMIT_CORE","soft":0,"hard":4096},
        {"type":"RLIMIT_STACK","soft":1048576,"hard":4194304},
        {"type":"RLIMIT_CPU","soft":1000,"hard":2000},
        {"type":"RLIMIT_FSIZE","soft":1073741824,"hard":2147483648},
        {"type":"RLIMIT_AS","soft":4294967296,"hard":8589934592},
        {"type":"RLIMIT_MSGQUEUE","soft":4096,"hard":8192},
        {"type":"RLIMIT_SIGPENDING","soft":100,"hard":200},
        {"type":"RLIMIT_MEMLOCK","soft":32768,"hard":65536},
        {"type":"RLIMIT_LOCKS","soft":10,"hard":20}]"#;
    let runs = same_everywhere(&[patch], "cat /proc/$$/limits");
    let ours = runs[0].stdout(Kind::Rsrun);
    for want in [
        "Max open files            256                  512",
        "Max core file size        0                    4096",
        "Max file locks            10                   20",
    ] {
        assert!(ours.contains(want), "want {want:?} in\n{ours}");
    }
}

/// soft > hard is refused by name before anything is created (crun and runc fail too, later, with
/// EINVAL from setrlimit).
#[test]
fn rlimit_soft_above_hard_is_refused() {
    require_root();
    let bundle = Bundle::with(r#".process.rlimits = [{"type":"RLIMIT_NOFILE","soft":200,"hard":100}]"#);
    let rt = Runtime::rsrun();
    let id = unique_id("rlimit-soft-hard");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.create(&bundle, &id);
    out.assert_fail();
    assert!(
        out.stderr.contains("process.rlimits[0]: RLIMIT_NOFILE: soft limit 200 is greater than hard limit 100"),
        "{out}"
    );
    leaks.assert_clean();
    assert!(std::fs::read_dir(rt.root()).unwrap().next().is_none(), "something left in the root");
}

/// process.user: uid, gid, additionalGids, umask (and the modes of what the process creates).
#[test]
fn user_groups_and_umask() {
    require_root();
    let script = "id; umask; grep -E '^(Uid|Gid|Groups):' /proc/$$/status; \
                  touch /dev/shm/f; mkdir /dev/shm/d; stat -c '%n %a %u %g' /dev/shm/f /dev/shm/d";
    let users = [
        r#"{"uid": 1000, "gid": 100, "additionalGids": [10, 2000], "umask": 23}"#,
        r#"{"uid": 1001, "gid": 1001}"#,
        r#"{"uid": 0, "gid": 0, "additionalGids": [5], "umask": 63}"#,
        r#"{"uid": 4242, "gid": 4343, "additionalGids": [4444]}"#,
    ];
    // Each case removes what the previous one made in /dev/shm: /dev is a fresh tmpfs per container.
    let patches: Vec<String> = users.iter().map(|u| format!(".process.user = {u}")).collect();
    let runs = same_everywhere(&patches, script);
    let ours = runs[0].stdout(Kind::Rsrun);
    assert!(ours.starts_with("uid=1000(user) gid=100(users) groups=10(wheel),2000(extra)\n0027\n"), "{ours}");
    assert!(ours.contains("/dev/shm/f 640 1000 100\n/dev/shm/d 750 1000 100\n"), "{ours}");
}

/// The environment exactly as passed (/proc/$$/environ keeps order: duplicates merged at the first
/// position with the last value), and HOME filled in from /etc/passwd when missing.
#[test]
fn environment_and_home() {
    require_root();
    let script = "tr '\\0' '\\n' < /proc/$$/environ";
    let cases = [
        ".process.env += [\"A=1\", \"B=2\", \"A=3\", \"EMPTY=\", \"WITH_EQ=x=y\"]",
        ".process.user = {\"uid\": 1000, \"gid\": 1000}",
        ".process.user = {\"uid\": 1000, \"gid\": 1000} | .process.env += [\"HOME=/custom\"]",
    ];
    let runs = same_everywhere(&cases, script);
    assert_eq!(
        runs[0].stdout(Kind::Rsrun),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nTERM=xterm\nA=3\nB=2\nEMPTY=\nWITH_EQ=x=y\nHOME=/root\n"
    );
    assert!(runs[1].stdout(Kind::Rsrun).ends_with("HOME=/home/user\n"), "{}", runs[1].stdout(Kind::Rsrun));
    assert!(runs[2].stdout(Kind::Rsrun).ends_with("HOME=/custom\n"), "{}", runs[2].stdout(Kind::Rsrun));
    // A uid /etc/passwd does not list: runc (and rsrun) give HOME=/, crun leaves it unset. An
    // empty HOME: runc (and rsrun) fill it in, crun keeps it empty.
    let cases = [
        (".process.user = {\"uid\": 4242, \"gid\": 4242}", "HOME=/\n"),
        (".process.env += [\"HOME=\"]", "HOME=/root\n"),
    ];
    let all = run_cases(&[Kind::Rsrun, Kind::Runc], &[], &cases, |b, _, (patch, _)| {
        b.patch(patch);
        b.patch(&sh_args(script));
    });
    for (runs, (_, home)) in all.iter().zip(cases) {
        runs.assert_pair(Kind::Rsrun, Kind::Runc, norm::code_and_stdout);
        assert!(runs.stdout(Kind::Rsrun).ends_with(home), "{}", runs.stdout(Kind::Rsrun));
    }
}

/// process.cwd: created when missing (owned by root, 0755, even for another user), used as is when
/// it exists.
#[test]
fn working_directory() {
    require_root();
    let script = "pwd; readlink /proc/$$/cwd; stat -c '%a %u %g' .";
    let runs = same_everywhere(
        &[
            ".process.cwd = \"/a/b/c\"",
            ".process.cwd = \"/new/dir\" | .process.user = {\"uid\": 1000, \"gid\": 1000}",
            ".process.cwd = \"/home/user\" | .process.user = {\"uid\": 1000, \"gid\": 1000}",
            // Cleaned lexically: /x need not exist (runc and crun agree).
            ".process.cwd = \"/x/../y/./z/\"",
        ],
        script,
    );
    assert_eq!(runs[0].stdout(Kind::Rsrun), "/a/b/c\n/a/b/c\n755 0 0\n");
    assert_eq!(runs[3].stdout(Kind::Rsrun), "/y/z\n/y/z\n755 0 0\n");
}

/// args[0] without a slash is looked up on the container's PATH (not the host's); with a slash it
/// is relative to the cwd; not found fails `run` with runc's words.
#[test]
fn args_resolved_on_path() {
    require_root();
    let cases = [
        ".process.env = [\"PATH=/nonexistent:/opt/bin:/bin\"] | .process.args = [\"hello\", \"a\", \"b\"]",
        ".process.args = [\"busybox\", \"echo\", \"found in /bin\"]",
        ".process.cwd = \"/opt\" | .process.args = [\"bin/hello\", \"rel\"]",
        ".process.env = [\"PATH=/bin\"] | .process.args = [\"hello\"]",
    ];
    let all = run_cases(ALL, &[], &cases, |b, _, patch| {
        let p = b.rootfs().join("opt/bin/hello");
        if !p.exists() {
            b.write_rootfs("opt/bin/hello", b"#!/bin/sh\necho \"hello from $0 ($*)\"\n");
            Command::new("chmod").arg("0755").arg(&p).status().unwrap();
        }
        b.patch(patch);
    });
    for runs in &all[..2] {
        runs.assert_rsrun_matches_all(norm::code_and_stdout);
    }
    assert_eq!(all[0].stdout(Kind::Rsrun), "hello from /opt/bin/hello (a b)\n");
    // A relative args[0] with a slash runs relative to process.cwd. runc passes it to execve as is,
    // so a script's $0 is "bin/hello"; crun and rsrun pass the resolved "/opt/bin/hello".
    all[2].assert_pair(Kind::Rsrun, Kind::Crun, norm::code_and_stdout);
    all[2].assert_pair(Kind::Rsrun, Kind::Runc, |o| {
        norm::code_and_stdout(o).replace("from bin/hello", "from /opt/bin/hello")
    });
    assert_eq!(all[2].stdout(Kind::Rsrun), "hello from /opt/bin/hello (rel)\n");
    let runs = &all[3];
    for (k, o) in &runs.runs {
        o.assert_fail();
        assert!(o.stdout.is_empty(), "{}: {o}", k.name());
    }
    let ours = runs.out(Kind::Rsrun);
    assert!(ours.stderr.contains("exec: \"hello\": executable file not found in $PATH"), "{ours}");
}

/// process.oomScoreAdj (raising only: lowering needs CAP_SYS_RESOURCE, which this VM lacks).
#[test]
fn oom_score_adj() {
    require_root();
    let runs =
        same_everywhere(&[".process.oomScoreAdj = 500", ".process.oomScoreAdj = 1000"], "cat /proc/$$/oom_score_adj");
    assert_eq!(runs[0].stdout(Kind::Rsrun), "500\n");
    assert_eq!(runs[1].stdout(Kind::Rsrun), "1000\n");
}

/// process.scheduler and process.ioPriority, read back from /proc/$$/stat (priority, nice,
/// rt_priority, policy), /proc/$$/sched and busybox ionice. rsrun only: runc 1.1.5 and crun 1.8.1
/// predate these runtime-spec 1.2 fields and ignore them.
///
/// With RT group scheduling (v1 cpu controller with cpu.rt_runtime_us, as here) a new cgroup has no
/// realtime budget: SCHED_FIFO/RR need `linux.resources.cpu.realtimeRuntime`, and without it the
/// init's sched_setattr fails (EPERM, as runc 1.2 does).
#[test]
fn scheduler_and_io_priority() {
    require_root();
    let rt_group = std::path::Path::new("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists();
    let rt_budget =
        if rt_group { ".linux.resources.cpu = {\"realtimeRuntime\": 10000, \"realtimePeriod\": 1000000}" } else { "." };
    // stat fields 18 priority, 19 nice, 40 rt_priority, 41 policy (comm is "sh": no spaces).
    let script = "cut -d' ' -f18,19,40,41 /proc/$$/stat; grep -E '^policy' /proc/$$/sched | tr -s ' '; ionice; \
                  echo child; cut -d' ' -f41 /proc/self/stat";
    let cases = [
        (
            r#".process.scheduler = {"policy":"SCHED_BATCH","nice":5} | .process.ioPriority = {"class":"IOPRIO_CLASS_BE","priority":3}"#,
            "25 5 0 3\npolicy : 3\nbest-effort: prio 3\nchild\n3\n",
        ),
        (
            r#".process.scheduler = {"policy":"SCHED_IDLE"} | .process.ioPriority = {"class":"IOPRIO_CLASS_IDLE","priority":0}"#,
            "20 0 0 5\npolicy : 5\nidle\nchild\n5\n",
        ),
        (
            r#".process.scheduler = {"policy":"SCHED_FIFO","priority":10} | .process.ioPriority = {"class":"IOPRIO_CLASS_RT","priority":2}"#,
            "-11 0 10 1\npolicy : 1\nrealtime: prio 2\nchild\n1\n",
        ),
        // SCHED_FLAG_RESET_ON_FORK: the shell is RR, the `cut` it forks is back to SCHED_OTHER.
        (
            r#".process.scheduler = {"policy":"SCHED_RR","priority":20,"flags":["SCHED_FLAG_RESET_ON_FORK"]}"#,
            "-21 0 20 2\npolicy : 2\nnone: prio 0\nchild\n0\n",
        ),
    ];
    let all = run_cases(&[Kind::Rsrun], &[], &cases, |b, _, (patch, _)| {
        b.patch(patch);
        if patch.contains("SCHED_FIFO") || patch.contains("SCHED_RR") {
            b.patch(rt_budget);
        }
        b.patch(&sh_args(script));
    });
    for (runs, (patch, want)) in all.iter().zip(cases) {
        let out = runs.out(Kind::Rsrun);
        out.assert_ok();
        assert_eq!(out.stdout, want, "{patch}\n{out}");
    }
    if rt_group {
        let bundle = Bundle::with(r#".process.scheduler = {"policy":"SCHED_FIFO","priority":10}"#);
        let rt = Runtime::rsrun();
        let id = unique_id("sched-no-rt-budget");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.run_container(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains("process.scheduler: sched_setattr: Operation not permitted"), "{out}");
        leaks.assert_clean();
    }
}

/// linux.personality LINUX32: `uname -m` says i686 (and LINUX leaves x86_64). Compared with crun;
/// runc 1.1.5 ignores the field.
#[test]
fn personality() {
    require_root();
    let cases = [("LINUX32", "i686"), ("LINUX", "x86_64")];
    let all = run_cases(&[Kind::Rsrun, Kind::Crun], &[], &cases, |b, _, (domain, _)| {
        b.patch(&format!(".linux.personality = {{\"domain\": \"{domain}\"}}"));
        b.patch(&sh_args("uname -m; cat /proc/$$/personality"));
    });
    for (runs, (_, machine)) in all.iter().zip(cases) {
        runs.assert_pair(Kind::Rsrun, Kind::Crun, norm::code_and_stdout);
        assert!(runs.stdout(Kind::Rsrun).starts_with(&format!("{machine}\n")), "{:?}", runs.out(Kind::Rsrun));
    }
}

/// AppArmor and SELinux are absent here: a profile or label is refused by name before anything is
/// created (runc and crun fail too, later in the init).
#[test]
fn lsm_labels_refused_without_the_lsm() {
    require_root();
    let rt = Runtime::rsrun();
    for (patch, want) in [
        (
            ".process.apparmorProfile = \"docker-default\"",
            "process.apparmorProfile: AppArmor is not enabled on this host",
        ),
        (
            ".process.selinuxLabel = \"system_u:system_r:container_t:s0\"",
            "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported",
        ),
    ] {
        if patch.contains("apparmor") && apparmor() {
            skip("lsm_labels_refused_without_the_lsm, apparmorProfile: AppArmor is enabled on this host");
            continue;
        }
        let bundle = Bundle::with(patch);
        let id = unique_id("lsm");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.create(&bundle, &id);
        out.assert_fail();
        assert!(out.stderr.contains(want), "{patch}: {out}");
        leaks.assert_clean();
    }
}

/// `run --preserve-fds 2`: fds 3 and 4 of the runtime reach the container open and readable, fd 5 is
/// closed. With LISTEN_FDS=1 (socket activation; runc checks LISTEN_PID against its own pid) fd 3
/// is passed and the container gets LISTEN_FDS=1, LISTEN_PID=1 (crun 1.8.1 sets only LISTEN_PID).
#[test]
fn preserve_fds_and_listen_fds() {
    require_root();
    let script = "for fd in 3 4 5; do if [ -e /proc/$$/fd/$fd ]; then echo \"fd $fd: $(cat <&$fd)\"; \
                  else echo \"fd $fd: closed\"; fi; done; tr '\\0' '\\n' < /proc/$$/environ | grep ^LISTEN_ || true";
    let mut results = Vec::new();
    for kind in [Kind::Rsrun, Kind::Crun, Kind::Runc] {
        let bundle = Bundle::new();
        bundle.patch(&sh_args(script));
        bundle.write_rootfs("../fd3", b"three");
        bundle.write_rootfs("../fd4", b"four");
        bundle.write_rootfs("../fd5", b"five");
        let rt = Runtime::new(kind);
        for listen in [false, true] {
            let id = unique_id("preserve-fds");
            let leaks = LeakCheck::new(&rt, &bundle, &id);
            rt.track(&id);
            // sh opens the files on fds 3-5, then execs the runtime (same pid, for LISTEN_PID).
            let pre = if listen { "export LISTEN_FDS=1 LISTEN_PID=$$; " } else { "" };
            let flags = if listen { "" } else { "--preserve-fds 2" };
            let b = bundle.path().display();
            let cmd = format!(
                "exec 3<{b}/fd3 4<{b}/fd4 5<{b}/fd5; {pre}exec {bin} --root {root} run {flags} --bundle {b} {id}",
                bin = rt.bin().display(),
                root = rt.root().display()
            );
            let out = run_command(Command::new("sh").arg("-c").arg(&cmd), None, timeout());
            leaks.assert_clean();
            results.push((kind, listen, out));
        }
    }
    let want_plain = "fd 3: three\nfd 4: four\nfd 5: closed\n";
    let want_listen = "fd 3: three\nfd 4: closed\nfd 5: closed\nLISTEN_FDS=1\nLISTEN_PID=1\n";
    for (kind, listen, out) in &results {
        let want = match (listen, kind) {
            (false, _) => want_plain.to_string(),
            (true, Kind::Crun) => want_listen.replace("LISTEN_FDS=1\n", ""),
            (true, _) => want_listen.to_string(),
        };
        assert!(out.success() && out.stdout == want, "{} (LISTEN_FDS: {listen}): want {want:?}\n{out}", kind.name());
    }
}
