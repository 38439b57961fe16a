//! linux.seccomp in real containers: docker's default profile, custom profiles (errnoRet, an ERRNO
//! default with an allow list, KILL_PROCESS, argument conditions, LOG, TRAP, the x86 architecture),
//! where the filter goes with and without noNewPrivileges, and SCMP_ACT_NOTIFY with a listener. Where
//! runtimes should agree, the same setup also runs under crun and runc and the outputs are compared.
//!
//! Syscalls are made by tests/common/probe.c (`probe sys NR ARGS...` prints `ok RET` or
//! `errno E`; `probe x86 ...` goes through the i386 entry, `int $0x80`). Numbers are x86_64's unless
//! marked x86. Root only.
mod common;

use common::*;
use std::fs;
use std::time::{Duration, Instant};

// x86_64 syscall numbers used below.
const MKDIR: u32 = 83;
const SYSINFO: u32 = 99;
const GETPRIORITY: u32 = 140;
const SCHED_GETSCHEDULER: u32 = 145;

/// jq patch: `.linux.seccomp = PROFILE` (a JSON text).
fn seccomp(profile: &str) -> String {
    format!(".linux.seccomp = {profile}")
}

/// Docker's profile inside: namespaces, mounts and keyctl refused with EPERM even though the
/// container holds CAP_SYS_ADMIN (so the filter, not the capability, refuses), personality only with
/// the listed arguments, clone3 ENOSYS (so libcs fall back to clone), and ordinary programs work. The
/// same under crun and runc; without the profile the same calls succeed.
#[test]
fn docker_profile_in_a_container() {
    require_root();
    let script = "unshare -U true 2>/dev/null; echo unshare-U=$?; \
        unshare -m true 2>/dev/null; echo unshare-m=$?; \
        mount -t tmpfs t /mnt 2>/dev/null; echo mount=$?; \
        echo unshare-probe $(probe sys 272 0x10000000); \
        echo mount-probe $(probe sys 165 s:t s:/mnt s:tmpfs 0 0); \
        echo keyctl $(probe sys 250 0 -3 0); \
        echo add_key $(probe sys 248 s:user s:k s:v 1 -3); \
        echo personality-query $(probe sys 135 0xffffffff); \
        echo personality-linux32 $(probe sys 135 8); \
        echo personality-1 $(probe sys 135 1); \
        echo clone3 $(probe sys 435 0 0); \
        X86; \
        ls / | grep -cx bin; cat /etc/passwd | head -1; echo c a b | tr ' ' '\\n' | sort | tr -d '\\n'; echo; \
        grep Seccomp: /proc/self/status";
    let ia32 = ia32_available();
    let script = script.replace("X86", if ia32 { "echo x86-getuid $(probe x86 24)" } else { "echo x86-getuid ok 0" });
    let script = script.as_str();
    let profile = docker_seccomp();
    let setup = |b: &Bundle| {
        install_probe(b);
        b.patch(&seccomp(&profile));
        b.patch(".process.capabilities |= with_entries(.value += [\"CAP_SYS_ADMIN\"])");
        b.sh(script);
    };
    let runs = run_per_runtime(ALL, "docker-profile", &setup);
    let ours = &runs[0].1;
    ours.assert_ok();
    let want = "unshare-U=1\nunshare-m=1\nmount=1\nunshare-probe errno 1\nmount-probe errno 1\nkeyctl errno 1\n\
        add_key errno 1\npersonality-query ok 0\npersonality-linux32 ok 0\npersonality-1 errno 1\nclone3 errno 38\n\
        x86-getuid ok 0\n1\nroot:x:0:0:root:/root:/bin/sh\nabc\nSeccomp:\t2\n";
    assert_eq!(ours.stdout, want, "{ours}");
    assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));

    // Control: without the profile the same calls go through (so the filter is what refused them).
    let (_, ctl) = run_one(Kind::Rsrun, "docker-control", &|b: &Bundle| {
        install_probe(b);
        b.patch(".process.capabilities |= with_entries(.value += [\"CAP_SYS_ADMIN\"])");
        b.sh("unshare -U true; echo unshare-U=$?; unshare -m true; echo unshare-m=$?; mount -t tmpfs t /mnt; echo mount=$?; \
              probe sys 250 0 -3 0 | cut -d' ' -f1; probe sys 135 1; grep Seccomp: /proc/self/status");
    });
    assert_eq!(ctl.stdout, "unshare-U=0\nunshare-m=0\nmount=0\nok\nok 0\nSeccomp:\t0\n", "{ctl}");
}

/// defaultAction ALLOW with one ERRNO rule: the probe sees errnoRet, busybox's mkdir fails, the rest
/// works. Same under crun and runc.
#[test]
fn errno_ret_of_one_rule() {
    require_root();
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}"#;
    let runs = run_per_runtime(ALL, "errno-ret", &|b: &Bundle| {
        install_probe(b);
        b.patch(&seccomp(profile));
        b.sh(&format!("probe sys {MKDIR} s:/tmp/a; mkdir /tmp/b 2>/dev/null; echo mkdir=$?; ls /tmp | wc -l; \
                       probe sys {SCHED_GETSCHEDULER} 0; echo ok"));
    });
    assert_eq!(runs[0].1.stdout, "errno 77\nmkdir=1\n0\nok 0\nok\n", "{}", runs[0].1);
    assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));
}

/// defaultAction ERRNO (defaultErrnoRet 77) with an allow list: docker's list without mkdir. Every
/// syscall not listed fails with 77; the container otherwise runs.
#[test]
fn errno_default_with_an_allow_list() {
    require_root();
    let docker = docker_seccomp();
    let profile = jq(
        &docker,
        ".defaultErrnoRet = 77 | .syscalls |= map(.names |= map(select(. != \"mkdir\" and . != \"mkdirat\")) | select(.names != []))",
    );
    let runs = run_per_runtime(ALL, "errno-default", &|b: &Bundle| {
        install_probe(b);
        b.patch(&seccomp(&profile));
        b.sh(&format!("probe sys {MKDIR} s:/tmp/a; mkdir /tmp/b 2>&1; probe sys 250 0 -3 0; probe sys 135 1; \
                       probe sys 135 0xffffffff; ls /bin | grep -c '^sh$'"));
    });
    // busybox prints glibc's strerror(77), EBADFD.
    let want = "errno 77\nmkdir: can't create directory '/tmp/b': File descriptor in bad state\nerrno 77\nerrno 77\nok 0\n1\n";
    assert_eq!(runs[0].1.stdout, want, "{}", runs[0].1);
    assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));
}

/// SCMP_ACT_KILL_PROCESS: the process making the call dies of SIGSYS. As the container's process,
/// `rsrun run` exits 159 (128 + SIGSYS), like crun and runc; inside a shell only the child dies.
/// SCMP_ACT_KILL (the thread) ends a single-threaded process the same way.
#[test]
fn kill_process_ends_the_container() {
    require_root();
    for action in ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL"] {
        let profile = format!(r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["sysinfo"],"action":"{action}"}}]}}"#);
        let runs = run_per_runtime(ALL, "kill-process", &|b: &Bundle| {
            install_probe(b);
            b.patch(&seccomp(&profile));
            b.args(&["/bin/probe", "sys", &SYSINFO.to_string(), "0"]);
        });
        for (k, o) in &runs {
            assert_eq!(o.code, Some(159), "{action} under {}:\n{o}", k.name());
            assert_eq!(o.stdout, "", "{action} under {}:\n{o}", k.name());
        }
        let (_, o) = run_one(Kind::Rsrun, "kill-in-shell", &|b: &Bundle| {
            install_probe(b);
            b.patch(&seccomp(&profile));
            b.sh(&format!("probe sys {SYSINFO} 0; echo status=$?; echo still-here"));
        });
        o.assert_ok();
        assert_eq!(o.stdout, "status=159\nstill-here\n", "{action}:\n{o}");
    }
}

/// Argument conditions allow one value and refuse another: NE on personality's persona, EQ on
/// socket's domain, MASKED_EQ on umask's mode, GE on getpriority's `which`. Same under crun and runc.
#[test]
fn argument_conditions() {
    require_root();
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_NE"}]},
        {"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":97,"args":[{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]},
        {"names":["umask"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":7,"valueTwo":7,"op":"SCMP_CMP_MASKED_EQ"}]},
        {"names":["getpriority"],"action":"SCMP_ACT_ERRNO","errnoRet":99,"args":[{"index":0,"value":3,"op":"SCMP_CMP_GE"}]}]}"#;
    let script = "echo personality-query $(probe sys 135 0xffffffff); echo personality-0 $(probe sys 135 0); \
        echo personality-linux32 $(probe sys 135 8); \
        echo socket-inet6 $(probe sys 41 10 1 0); echo socket-unix $(probe sys 41 1 1 0 | cut -d' ' -f1); \
        echo socket-inet $(probe sys 41 2 2 0 | cut -d' ' -f1); \
        echo umask-027 $(probe sys 95 023); echo umask-077 $(probe sys 95 63); echo umask-7 $(probe sys 95 7); \
        echo getpriority-0 $(probe sys 140 0 0 | cut -d' ' -f1); echo getpriority-2 $(probe sys 140 2 0 | cut -d' ' -f1); \
        echo getpriority-3 $(probe sys 140 3 0); echo getpriority-big $(probe sys 140 0x100000000 0)";
    let runs = run_per_runtime(ALL, "arg-conditions", &|b: &Bundle| {
        install_probe(b);
        b.patch(&seccomp(profile));
        b.sh(script);
    });
    // umask's old value is the runtime's default 0022 (18); getpriority's `which` is compared as a
    // 64-bit value on x86_64, so 1<<32 is >= 3 too.
    let want = "personality-query ok 0\npersonality-0 errno 13\npersonality-linux32 errno 13\nsocket-inet6 errno 97\n\
        socket-unix ok\nsocket-inet ok\numask-027 ok 18\numask-077 errno 22\numask-7 errno 22\ngetpriority-0 ok\n\
        getpriority-2 ok\ngetpriority-3 errno 99\ngetpriority-big errno 99\n";
    assert_eq!(runs[0].1.stdout, want, "{}", runs[0].1);
    assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));
}

/// SCMP_ACT_LOG lets the call through and the kernel logs it (audit type 1326, code 0x7ffc0000);
/// SCMP_ACT_TRAP raises SIGSYS: a handler sees the syscall number, without one the process dies
/// (159 in the shell). Same under crun and runc.
#[test]
fn log_and_trap() {
    require_root();
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["sched_getscheduler"],"action":"SCMP_ACT_LOG"},
        {"names":["getpriority"],"action":"SCMP_ACT_TRAP"}]}"#;
    let script = format!(
        "probe sys {SCHED_GETSCHEDULER} 0; probe trap {GETPRIORITY} 0 0 | head -1; \
         probe sys {GETPRIORITY} 0 0; echo status=$?; echo done"
    );
    let runs = run_per_runtime(ALL, "log-trap", &|b: &Bundle| {
        install_probe(b);
        b.patch(&seccomp(profile));
        b.sh(&script);
    });
    assert_eq!(runs[0].1.stdout, format!("ok 0\nsigsys {GETPRIORITY} data 0\nstatus=159\ndone\n"), "{}", runs[0].1);
    assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));

    let logged = fs::read_to_string("/proc/sys/kernel/seccomp/actions_logged").unwrap_or_default();
    if !logged.split_whitespace().any(|a| a == "log") {
        eprintln!("log_and_trap: kernel.seccomp.actions_logged lacks \"log\" ({logged:?}): not checking the kernel log");
        return;
    }
    // The kernel log line of rsrun's container, found by a probe name of our own. Without auditd the
    // lines go through printk_ratelimit (10 per 5 s, shared with everything else on the machine), so
    // a missing line is retried after the window.
    for attempt in 0..3 {
        let comm = format!("lg{}", &unique_suffix()[..12]);
        let (_, o) = run_one(Kind::Rsrun, "log-dmesg", &|b: &Bundle| {
            install_probe_as(b, &comm);
            b.patch(&seccomp(profile));
            b.args(&[&comm, "sys", &SCHED_GETSCHEDULER.to_string(), "0"]);
        });
        assert_eq!(o.stdout, "ok 0\n", "{o}");
        let needle = format!("comm=\"{comm}\"");
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            let dmesg = run_command(&mut std::process::Command::new("dmesg"), None, timeout());
            if let Some(line) = dmesg.stdout.lines().find(|l| l.contains(&needle)) {
                assert!(
                    line.contains("type=1326") && line.contains(&format!("syscall={SCHED_GETSCHEDULER} ")) && line.contains("code=0x7ffc0000"),
                    "{line}"
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("log_and_trap: no kernel log line for {needle} (attempt {attempt}); retrying after the printk rate-limit window");
        std::thread::sleep(Duration::from_secs(5));
    }
    panic!("SCMP_ACT_LOG: no audit line in dmesg after 3 runs");
}

/// i386 syscalls (`int $0x80` from the 64-bit probe: AUDIT_ARCH_I386) follow the profile's rules
/// when SCMP_ARCH_X86 is listed (x86 mkdir is 39) and kill the process when it is not (or when no
/// architectures are given: native only), as with crun and runc (libseccomp's bad-arch action).
/// gcc-multilib is not needed: the probe is 64-bit and switches entry, not binary.
#[test]
fn x86_syscalls_follow_the_architectures() {
    require_root();
    if !ia32_available() {
        eprintln!("x86_syscalls_follow_the_architectures: this kernel runs no i386 syscalls (ia32 emulation off): skipped");
        return;
    }
    for (arches, want) in [
        (r#"["SCMP_ARCH_X86_64"]"#, "status=159\nstatus=159\nerrno 77\n"),
        (r#"["SCMP_ARCH_X86_64","SCMP_ARCH_X86"]"#, "ok 0\nstatus=0\nerrno 77\nstatus=0\nerrno 77\n"),
        ("null", "status=159\nstatus=159\nerrno 77\n"),
    ] {
        let profile = format!(
            r#"{{"defaultAction":"SCMP_ACT_ALLOW","architectures":{arches},"syscalls":[{{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":77}}]}}"#
        );
        let runs = run_per_runtime(ALL, "x86-arch", &|b: &Bundle| {
            install_probe(b);
            b.patch(&seccomp(&profile));
            b.sh(&format!("probe x86 24; echo status=$?; probe x86 39 s:/tmp/x86; echo status=$?; probe sys {MKDIR} s:/tmp/x64"));
        });
        assert_eq!(runs[0].1.stdout, want, "architectures {arches}:\n{}", runs[0].1);
        assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));
    }
}

/// noNewPrivileges true: the filter is loaded after the user switch and the capability drop (a
/// profile that forbids setresuid and capset does not stop the init). false: it is loaded before,
/// while the init still holds CAP_SYS_ADMIN (needed without no_new_privs): the same profile then
/// breaks the user switch, and a harmless one is in force for a non-root user. Same as crun and runc.
#[test]
fn filter_placement_with_and_without_no_new_privileges() {
    require_root();
    let hostile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["capset","setresuid","setuid"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}"#;
    let harmless = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}"#;
    let script = format!(
        "id -u; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; probe sys {MKDIR} s:/tmp/a; probe sys 117 0 0 0"
    );
    for (nnp, profile, want) in [
        ("true", hostile, "1000\nNoNewPrivs:\t1\nSeccomp:\t2\nok 0\nerrno 77\n"),
        ("true", harmless, "1000\nNoNewPrivs:\t1\nSeccomp:\t2\nerrno 77\nerrno 1\n"),
        ("false", harmless, "1000\nNoNewPrivs:\t0\nSeccomp:\t2\nerrno 77\nerrno 1\n"),
    ] {
        let runs = run_per_runtime(ALL, "nnp-order", &|b: &Bundle| {
            install_probe(b);
            b.patch(&seccomp(profile));
            b.patch(&format!(".process.noNewPrivileges = {nnp} | .process.user.uid = 1000 | .root.readonly = false"));
            b.sh(&script);
        });
        assert_eq!(runs[0].1.stdout, want, "noNewPrivileges {nnp}:\n{}", runs[0].1);
        assert_same(&runs, |o| format!("{:?}\n{}", o.code, o.stdout));
    }
    // The hostile profile without no_new_privs: loaded before setresuid, so the init cannot switch.
    create_fails(
        "nnp-false-hostile",
        &|b: &Bundle| {
            b.patch(&seccomp(hostile));
            b.patch(".process.noNewPrivileges = false | .process.user.uid = 1000");
        },
        &["setresuid"],
    );
    for kind in [Kind::Crun, Kind::Runc] {
        let (_, o) = run_one(kind, "nnp-false-hostile", &|b: &Bundle| {
            b.patch(&seccomp(hostile));
            b.patch(".process.noNewPrivileges = false | .process.user.uid = 1000");
        });
        o.assert_fail();
    }
}

/// Syscalls a profile written before them does not know, all of which the runtime makes after the
/// filter is loaded: close_range (marking and closing the fds the container must not get), clone3
/// (startContainer hooks), faccessat2 (the exec check, without noNewPrivileges). Whether the profile
/// leaves them out (EPERM from the default action, runc's ENOSYS stub not covering them), refuses
/// them with ENOSYS or with EPERM, or is an old docker whitelist (docker 20's without the 18
/// syscalls newer than statx: what docker 17.x shipped, so the stub answers ENOSYS), the container
/// runs, with or without noNewPrivileges, and an fd the runtime inherited without close-on-exec
/// (fd 7) does not reach it. The same under crun and runc.
#[test]
fn profiles_older_than_the_syscalls_the_runtime_uses() {
    require_root();
    const NEWER: &str = r#"["close_range","clone3","faccessat2"]"#;
    // x86_64 numbers above statx (332) in docker 20's profile.
    const SINCE_DOCKER_17: &str = r#"["io_pgetevents","rseq","pidfd_send_signal","io_uring_setup","io_uring_enter",
        "io_uring_register","pidfd_open","clone3","close_range","openat2","faccessat2","epoll_pwait2",
        "landlock_create_ruleset","landlock_add_rule","landlock_restrict_self","memfd_secret","process_mrelease",
        "futex_waitv"]"#;
    let refuse = |errno: u32| {
        format!(
            ".linux.seccomp.syscalls |= map(.names -= {NEWER}) | .linux.seccomp.syscalls += \
             [{{\"names\":{NEWER},\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":{errno}}}]"
        )
    };
    let variants = [
        ("left out", format!(".linux.seccomp.syscalls |= map(.names -= {NEWER})")),
        ("ENOSYS", refuse(38)),
        ("EPERM", refuse(1)),
        ("docker 17", format!(".linux.seccomp.syscalls |= map(.names -= {SINCE_DOCKER_17})")),
    ];
    let profile = docker_seccomp();
    for (name, patch) in &variants {
        for nnp in [true, false] {
            let runs: Vec<(Kind, Out)> = ALL
                .iter()
                .map(|&kind| {
                    let bundle = Bundle::new();
                    bundle.patch(&seccomp(&profile));
                    bundle.patch(patch);
                    bundle.patch(&format!(".process.noNewPrivileges = {nnp}"));
                    // The hook reads its stdin (the state): crun 1.8 fails the container with
                    // EPIPE when a hook exits before crun has written the state to it.
                    bundle.patch(r#".hooks.startContainer = [{"path":"/bin/sh","args":["sh","-c","cat >/dev/null"]}]"#);
                    bundle.sh("ls /proc/self/fd | tr '\\n' ' '");
                    (kind, run_with_fd7(kind, &bundle))
                })
                .collect();
            let ours = &runs[0].1;
            assert!(ours.success(), "profile {name}, noNewPrivileges {nnp}:\n{ours}");
            assert_eq!(ours.stdout, "0 1 2 3 ", "profile {name}, noNewPrivileges {nnp}: fds of the container");
            assert_same(&runs, |o| format!("{:?} {}", o.code, o.stdout));
        }
    }
}

/// `run` of `bundle` with an fd 7 the runtime inherits without close-on-exec (a caller's leak).
fn run_with_fd7(kind: Kind, bundle: &Bundle) -> Out {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    unsafe extern "C" {
        fn dup2(old: i32, new: i32) -> i32;
    }
    let rt = Runtime::new(kind);
    let id = unique_id("old-profile");
    rt.track(&id);
    let leaks = LeakCheck::new(&rt, bundle, &id);
    let file = fs::File::open("/etc/hostname").unwrap();
    let fd = file.as_raw_fd();
    let mut cmd = rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]);
    // SAFETY: dup2 is async-signal-safe; fd stays open in the child until exec (the File lives).
    unsafe {
        cmd.pre_exec(move || if dup2(fd, 7) < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) });
    }
    let out = run_to_files(&mut cmd, None, &rt.base().join("fd7.out"), &rt.base().join("fd7.err"), timeout());
    drop(file);
    leaks.assert_clean();
    out
}

/// SCMP_ACT_NOTIFY: `create` connects to listenerPath and sends the container process state with the
/// notify fd (SCM_RIGHTS). The agent here answers the container's mkdir calls: the first with errno
/// 55, the next by letting it continue. Also checks the state's fields. Same under runc and crun.
#[test]
fn notify_reaches_the_listener() {
    require_root();
    for kind in [Kind::Rsrun, Kind::Runc, Kind::Crun] {
        notify_under(kind);
    }
}

fn notify_under(kind: Kind) {
    use std::os::unix::net::UnixListener;
    let bundle = Bundle::new();
    install_probe(&bundle);
    let sock = bundle.path().join("agent.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let profile = format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":{},"listenerMetadata":"sectests-meta","syscalls":[{{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}}]}}"#,
        json_str(sock.to_str().unwrap())
    );
    bundle.patch(&seccomp(&profile));
    bundle.patch(".root.readonly = false");
    bundle.sh(&format!("probe sys {MKDIR} s:/tmp/first; mkdir /tmp/second && ls -d /tmp/second; ls /tmp"));
    let rt = Runtime::new(kind);
    let id = unique_id("notify");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let agent = std::thread::spawn(move || agent(listener));
    let out = rt.create(&bundle, &id);
    out.assert_ok();
    let created_pid = rt.pid(&id);
    rt.start(&id).assert_ok();
    assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(10)).as_deref(), Some("stopped"));
    rt.delete(&id).assert_ok();
    let (state_json, answered) = agent.join().unwrap();
    let (stdout, stderr) = rt.container_output(&id);
    assert_eq!(stdout, "errno 55\n/tmp/second\nsecond\n", "{} container output:\n{stdout}\n{stderr}", kind.name());
    assert_eq!(answered, 2, "{}: notifications answered", kind.name());
    // The container process state (runtime-spec "ContainerProcessState").
    let j = |f: &str| jq_raw(&state_json, f);
    assert_eq!(j(".fds").as_deref(), Some("[\n  \"seccompFd\"\n]"), "{state_json}");
    assert_eq!(j(".metadata").as_deref(), Some("sectests-meta"), "{state_json}");
    assert_eq!(j(".state.id").as_deref(), Some(id.as_str()), "{state_json}");
    assert_eq!(j(".state.bundle").as_deref(), bundle.path().to_str(), "{state_json}");
    // crun 1.8.1 writes "0.2.0" (its seccomp-notify plugin protocol's version); runc and rsrun the
    // runtime-spec version.
    let version = j(".ociVersion").unwrap_or_default();
    assert!(version.starts_with(if kind == Kind::Crun { "0." } else { "1." }), "{state_json}");
    let pid: i32 = j(".pid").and_then(|p| p.parse().ok()).unwrap_or(0);
    assert!(pid > 1 && Some(pid) == created_pid, "state says {created_pid:?}: {state_json}");
    assert_eq!(j(".state.pid"), j(".pid"), "{state_json}");
    assert_eq!(j(".state.status").as_deref(), Some("creating"), "{state_json}");
    leaks.assert_clean();
}

/// The seccomp agent: accepts one connection, takes the state and the notify fd, answers mkdir
/// notifications (errno 55 first, then "continue") until the filter has no more users. Returns the
/// state JSON and how many notifications it answered.
fn agent(listener: std::os::unix::net::UnixListener) -> (String, u32) {
    use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let (conn, _) = listener.accept().unwrap();
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut buf = vec![0u8; 65536];
    // SAFETY: `conn` outlives the borrow.
    let conn_fd = unsafe { BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(&conn)) };
    let msg = rustix::net::recvmsg(conn_fd, &mut [rustix::io::IoSliceMut::new(&mut buf)], &mut control, RecvFlags::empty())
        .unwrap();
    let state = String::from_utf8_lossy(&buf[..msg.bytes]).into_owned();
    let mut fds: Vec<OwnedFd> = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(r) = m {
            fds.extend(r);
        }
    }
    assert_eq!(fds.len(), 1, "one fd with the state: {state}");
    let link = fs::read_link(format!("/proc/self/fd/{}", fds[0].as_raw_fd())).unwrap();
    assert_eq!(link.to_str().unwrap(), "anon_inode:seccomp notify");
    let notify = fds.pop().unwrap();
    let mut answered = 0;
    let end = Instant::now() + timeout();
    loop {
        assert!(Instant::now() < end, "seccomp agent: no end of notifications");
        let mut pfd = [rustix::event::PollFd::new(&notify, rustix::event::PollFlags::IN)];
        let ts = rustix::event::Timespec { tv_sec: 0, tv_nsec: 100_000_000 };
        if rustix::event::poll(&mut pfd, Some(&ts)).unwrap_or(0) == 0 {
            continue;
        }
        let rev = pfd[0].revents();
        if rev.contains(rustix::event::PollFlags::HUP) && !rev.contains(rustix::event::PollFlags::IN) {
            break; // every process using the filter is gone
        }
        let mut n = Notif::default();
        // SAFETY: SECCOMP_IOCTL_NOTIF_RECV fills the zeroed struct seccomp_notif it is given.
        let r = unsafe { ioctl(notify.as_fd(), NOTIF_RECV, &mut n as *mut Notif as usize) };
        match r {
            Ok(_) => {}
            Err(rustix::io::Errno::NOENT) | Err(rustix::io::Errno::INTR) => continue,
            Err(e) => panic!("SECCOMP_IOCTL_NOTIF_RECV: {e}"),
        }
        assert_eq!(n.data.nr, MKDIR as i32, "only mkdir notifies");
        let mut resp = Resp { id: n.id, val: 0, error: 0, flags: 0 };
        if answered == 0 {
            resp.error = -55;
        } else {
            resp.flags = 1; // SECCOMP_USER_NOTIF_FLAG_CONTINUE
        }
        // SAFETY: SECCOMP_IOCTL_NOTIF_SEND reads the struct seccomp_notif_resp it is given.
        match unsafe { ioctl(notify.as_fd(), NOTIF_SEND, &mut resp as *mut Resp as usize) } {
            Ok(_) => answered += 1,
            Err(rustix::io::Errno::NOENT) => {} // the task went away
            Err(e) => panic!("SECCOMP_IOCTL_NOTIF_SEND: {e}"),
        }
    }
    (state, answered)
}

#[repr(C)]
#[derive(Default)]
struct SeccompData {
    nr: i32,
    arch: u32,
    ip: u64,
    args: [u64; 6],
}

#[repr(C)]
#[derive(Default)]
struct Notif {
    id: u64,
    pid: u32,
    flags: u32,
    data: SeccompData,
}

#[repr(C)]
struct Resp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

/// _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp).
const NOTIF_RECV: usize = 0xC000_0000 | (80 << 16) | (0x21 << 8);
const NOTIF_SEND: usize = 0xC000_0000 | (24 << 16) | (0x21 << 8) | 1;

/// # Safety
/// `arg` must be what `req` expects.
unsafe fn ioctl(fd: rustix::fd::BorrowedFd, req: usize, arg: usize) -> Result<usize, rustix::io::Errno> {
    use rustix::fd::AsRawFd;
    // SAFETY: forwarded to the caller.
    unsafe { syscalls::raw::syscall3(linux_raw_sys::general::__NR_ioctl, fd.as_raw_fd() as usize, req, arg) }
}
