//! The process setup (src/init/process.rs) end to end, in children of this test binary that apply a
//! hand-built config and exec busybox, which reports what the container process got.
mod process_support;

use process_support::*;
use rsrun::init::process::Role;
use rsrun::spec::{Capabilities, ExecCpuAffinity, IoPriority, Linux, MemoryPolicy, Personality, Process, Rlimit, Scheduler, Spec, User};
use rustix::fd::IntoRawFd;
use rustix::fs::{Mode, OFlags};
use syscalls::raw;

fn strs(v: &[&str]) -> Vec<rsrun::spec::Str<'static>> {
    v.iter().map(|s| s.to_string().into()).collect()
}

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

/// An fd without O_CLOEXEC at number >= `min` (as a leaked host fd would be).
fn leak_fd(path: &str, flags: OFlags, min: i32) -> i32 {
    let fd = rustix::fs::open(path, flags, Mode::empty()).unwrap().into_raw_fd();
    // SAFETY: F_DUPFD (0) copies an open fd to the lowest free number >= min.
    unsafe { raw::syscall3(linux_raw_sys::general::__NR_fcntl, fd as usize, 0, min as usize) }.unwrap() as i32
}

/// Puts /dev/null at fd `n` (no O_CLOEXEC).
fn devnull_at(n: i32) {
    let fd = rustix::fs::open("/dev/null", OFlags::RDWR, Mode::empty()).unwrap().into_raw_fd();
    // SAFETY: dup2 of an open fd onto a number this test owns.
    unsafe { raw::syscall2(linux_raw_sys::general::__NR_dup2, fd as usize, n as usize) }.unwrap();
}

fn block_signals() {
    let set: u64 = 1 << (10 - 1) | 1 << (15 - 1); // SIGUSR1, SIGTERM
    // SAFETY: rt_sigprocmask(SIG_BLOCK, &set, NULL, 8) on this thread.
    unsafe { raw::syscall4(linux_raw_sys::general::__NR_rt_sigprocmask, 0, &set as *const u64 as usize, 0, 8) }.unwrap();
}

/// Prints what execve keeps but busybox cannot show: the I/O priority and the memory policy.
fn print_pre_exec() {
    // SAFETY: ioprio_get(IOPRIO_WHO_PROCESS, 0) takes integers.
    let io = unsafe { raw::syscall2(linux_raw_sys::general::__NR_ioprio_get, 1, 0) }.unwrap();
    let mut mode: i32 = -1;
    let mut mask = [0u64; 16];
    // SAFETY: get_mempolicy(&mode, mask, 1024, NULL, 0) writes into the two live buffers.
    unsafe {
        raw::syscall5(
            linux_raw_sys::general::__NR_get_mempolicy,
            &mut mode as *mut i32 as usize,
            mask.as_mut_ptr() as usize,
            1024,
            0,
            0,
        )
    }
    .unwrap();
    println!("PRE ioprio={} mempolicy={} nodes={:#x}", io, mode, mask[0]);
}

fn noop() -> rsrun::error::Result<()> {
    Ok(())
}

/// The "full" config: a non-root user with groups, umask and cwd, one ambient capability, scheduler,
/// I/O priority, personality, memory policy, rlimits, oomScoreAdj, seccomp without no_new_privs.
fn full_spec(args: Vec<String>) -> Spec<'static> {
    Spec {
        process: Some(Process {
            user: User { uid: 1000, gid: 100, umask: Some(0o027), additional_gids: vec![10, 2000], username: None },
            args: args.into_iter().map(Into::into).collect(),
            env: strs(&["PATH=/bin", "A=1", "B=2", "A=3"]),
            cwd: "/home/user".into(),
            capabilities: Some(Capabilities {
                bounding: strs(&["CAP_KILL", "CAP_NET_RAW", "CAP_AUDIT_WRITE"]),
                effective: strs(&["CAP_KILL", "CAP_NET_RAW"]),
                permitted: strs(&["CAP_KILL", "CAP_NET_RAW"]),
                inheritable: strs(&["CAP_KILL"]),
                ambient: strs(&["CAP_KILL", "CAP_NET_RAW"]),
            }),
            rlimits: vec![
                Rlimit { kind: "RLIMIT_NOFILE".into(), soft: 512, hard: 1024 },
                Rlimit { kind: "RLIMIT_CORE".into(), soft: 0, hard: 0 },
            ],
            no_new_privileges: false,
            oom_score_adj: Some(500),
            scheduler: Some(Scheduler { policy: "SCHED_BATCH".into(), nice: 7, ..Default::default() }),
            io_priority: Some(IoPriority { class: "IOPRIO_CLASS_BE".into(), priority: 6 }),
            ..Default::default()
        }),
        linux: Some(Linux {
            personality: Some(Personality { domain: "LINUX32".into(), flags: vec![] }),
            memory_policy: Some(MemoryPolicy { mode: "MPOL_BIND".into(), nodes: Some("0".into()), flags: vec![] }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn with_process(mut s: Spec<'static>, f: impl FnOnce(&mut Process<'static>)) -> Spec<'static> {
    f(s.process.as_mut().unwrap());
    s
}

/// The child side of every test below; a no-op in a normal test run.
#[test]
fn child() {
    let Some(case) = child_case() else { return };
    let root = child_root();
    let enter = |proc_: bool| enter_rootfs(root.as_deref().expect("case needs a rootfs"), proc_);
    let report = sh(REPORT);
    match case.as_str() {
        "crun-spec" => {
            enter(true);
            block_signals();
            run_all(&crun_spec(report), 0, None, Role::Init, &noop, &|| {})
        }
        "full" => {
            devnull_at(3);
            let host = leak_fd("/", OFlags::PATH | OFlags::DIRECTORY, 20);
            println!("LEAKED {host}");
            enter(true);
            run_all(&full_spec(report), 1, None, Role::Init, &allow_all_seccomp, &print_pre_exec)
        }
        "nnp-seccomp" => {
            enter(true);
            let s = with_process(full_spec(report), |p| p.no_new_privileges = true);
            run_all(&s, 0, None, Role::Init, &allow_all_seccomp, &|| {})
        }
        "listen" => {
            devnull_at(3);
            devnull_at(4);
            enter(true);
            run_all(&crun_spec(report), 2, Some(2), Role::Init, &noop, &|| {})
        }
        "exec-role" => {
            enter(true);
            let s = with_process(crun_spec(report), |p| {
                p.exec_cpu_affinity = Some(ExecCpuAffinity { initial: Some("1".into()), final_: Some("0".into()) })
            });
            run_all(&s, 0, None, Role::Exec, &noop, &|| {})
        }
        "init-role-affinity" => {
            enter(true);
            let s = with_process(crun_spec(report), |p| {
                p.exec_cpu_affinity = Some(ExecCpuAffinity { initial: Some("1".into()), final_: Some("0".into()) })
            });
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "cwd-secret" => {
            enter(true);
            let s = with_process(full_spec(sh("pwd; echo ok")), |p| p.cwd = "/secret".into());
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "rlimit-raise" => {
            enter(true);
            let cur = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum.unwrap();
            let s = with_process(crun_spec(report), |p| {
                p.rlimits = vec![Rlimit { kind: "RLIMIT_NOFILE".into(), soft: cur + 1, hard: cur + 1 }]
            });
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "cwd-breakout" => {
            let host = leak_fd("/", OFlags::PATH | OFlags::DIRECTORY, 7);
            enter(true);
            let s = with_process(crun_spec(report), |p| p.cwd = format!("/proc/self/fd/{host}").into());
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "exe-magiclink" => {
            let host = leak_fd(BUSYBOX, OFlags::RDONLY, 7);
            enter(true);
            let s = with_process(crun_spec(vec![format!("/proc/self/fd/{host}"), "true".into()]), |_| {});
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "oom-negative" => {
            enter(true);
            let s = with_process(crun_spec(report), |p| p.oom_score_adj = Some(-500));
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "noexec-user" => {
            enter(true);
            let s = with_process(full_spec(vec!["/bin/root-only".into()]), |_| {});
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "cap-unavailable" => {
            enter(true);
            let s = with_process(crun_spec(report), |p| {
                let c = p.capabilities.as_mut().unwrap();
                c.bounding.push("CAP_SYS_RESOURCE".into());
                c.permitted.push("CAP_SYS_RESOURCE".into());
            });
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "proc-not-procfs" => {
            enter(false);
            let s = with_process(crun_spec(report), |p| p.oom_score_adj = Some(100));
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "proc-overmount" => {
            // A file bind-mounted over /proc/<pid>/oom_score_adj (CVE-2025-52881's trick with a
            // harmless target): the write must refuse to cross into it.
            enter(true);
            std::fs::write("/tmp/fake", "untouched").unwrap();
            let target = format!("/proc/{}/oom_score_adj", std::process::id());
            rustix::mount::mount_bind("/tmp/fake", target.as_str()).unwrap();
            let s = with_process(crun_spec(report), |p| p.oom_score_adj = Some(100));
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "proc-symlink" => {
            enter(false);
            let s = with_process(crun_spec(report), |p| p.oom_score_adj = Some(100));
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "cwd-missing" => {
            enter(true);
            let s = with_process(crun_spec(report), |p| p.cwd = "/nonexistent".into());
            run_all(&s, 0, None, Role::Init, &noop, &|| {})
        }
        "not-found" => {
            enter(true);
            run_all(&crun_spec(vec!["nosuchcmd".into()]), 0, None, Role::Init, &noop, &|| {})
        }
        other => panic!("unknown case {other}"),
    }
}

fn caps_lines(o: &Out) -> [String; 5] {
    ["CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"].map(|p| o.line(p))
}

#[test]
fn crun_spec_config() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("crunspec");
    let o = run_child("crun-spec", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    let three = capmask(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    // Ambient without inheritable is not raisable; inheritable stays empty (CVE-2022-29162).
    assert_eq!(caps_lines(&o), [capmask(&[]), three.clone(), three.clone(), three, capmask(&[])], "{o}");
    assert_eq!(o.line("NoNewPrivs:"), "1");
    assert_eq!(o.line("Seccomp:"), "0");
    assert_eq!(o.line("LIMIT Max open files"), "1024                 1024                 files");
    assert_eq!(o.line("ID"), "uid=0(root) gid=0(root)");
    assert_eq!(o.line("UMASK"), "0022");
    assert_eq!(o.line("PWD"), "/");
    assert_eq!(o.line("FDS"), "0 1 2");
    // The child blocked SIGUSR1 and SIGTERM before apply; the shell starts with nothing blocked.
    assert_eq!(o.line("SigBlk:"), "0000000000000000");
    assert_eq!(
        o.lines("ENV "),
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"]
    );
}

#[test]
fn full_config() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("full");
    let o = run_child("full", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    let kill = capmask(&["CAP_KILL"]);
    // uid 1000: after execve the shell's permitted and effective sets are its ambient set (CAP_KILL,
    // the one ambient capability that is also inheritable; CAP_NET_RAW is skipped).
    assert_eq!(
        caps_lines(&o),
        [kill.clone(), kill.clone(), kill.clone(), capmask(&["CAP_KILL", "CAP_NET_RAW", "CAP_AUDIT_WRITE"]), kill],
        "{o}"
    );
    assert_eq!(o.line("NoNewPrivs:"), "0");
    assert_eq!(o.line("Seccomp:"), "2", "seccomp callback ran");
    // Without no_new_privs the filter goes in before the user switch, as root with all capabilities.
    assert!(o.stderr.contains("SECCOMP euid=0 "), "{o}");
    assert_eq!(o.line("ID"), "uid=1000(user) gid=100(users) groups=10(wheel),2000(extra)");
    assert_eq!(o.line("Groups:"), "10 2000");
    assert_eq!(o.line("UMASK"), "0027");
    assert_eq!(o.line("PWD"), "/home/user");
    assert_eq!(o.line("OOM"), "500");
    assert_eq!(o.line("PERS"), "00000008");
    assert_eq!(o.line("ARCH"), "i686");
    assert_eq!(o.lines("SCHED "), ["policy : 3", "prio : 127"]);
    assert_eq!(o.line("IONICE"), "best-effort: prio 6");
    assert_eq!(o.line("PRE"), "ioprio=16390 mempolicy=2 nodes=0x1");
    assert_eq!(o.line("LIMIT Max open files"), "512                  1024                 files");
    assert_eq!(o.line("LIMIT Max core file size"), "0                    0                    bytes");
    assert_eq!(o.lines("ENV "), ["PATH=/bin", "A=3", "B=2", "HOME=/home/user"]);
    // fd 3 was preserved; the leaked host directory fd was not.
    assert_eq!(o.line("FDS"), "0 1 2 3", "{o}");
}

#[test]
fn nnp_puts_seccomp_last() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("nnp");
    let o = run_child("nnp-seccomp", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    assert_eq!(o.line("NoNewPrivs:"), "1");
    assert_eq!(o.line("Seccomp:"), "2");
    // With no_new_privs the filter goes in right before execve: after the user switch and capset.
    let eff = u64::from_str_radix(&capmask(&["CAP_KILL", "CAP_NET_RAW"]), 16).unwrap();
    assert!(o.stderr.contains(&format!("SECCOMP euid=1000 eff={eff:#x}")), "{o}");
}

#[test]
fn listen_fds() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("listen");
    let o = run_child("listen", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    let env = o.lines("ENV ");
    assert!(env.contains(&"LISTEN_FDS=2".to_string()), "{o}");
    assert!(env.iter().any(|e| e.starts_with("LISTEN_PID=") && e != "LISTEN_PID=1"), "{o}");
    assert_eq!(o.line("FDS"), "0 1 2 3 4");
}

#[test]
fn exec_cpu_affinity() {
    if !require_root() || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return;
    }
    let r = Rootfs::new("affinity");
    let o = run_child("exec-role", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    assert_eq!(o.line("INITIAL"), "1");
    assert_eq!(o.line("Cpus_allowed_list:"), "0");
    // Not for the container's init (runtime-spec: "not applicable to the container's init process").
    let o = run_child("init-role-affinity", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    assert_ne!(o.line("Cpus_allowed_list:"), "0");
}

#[test]
fn cwd_reached_as_root_first() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("secret");
    let o = run_child("cwd-secret", Some(&r.root()));
    assert_eq!(o.code, 0, "{o}");
    assert!(o.stdout.contains("/secret\nok\n"), "{o}");
}

#[test]
fn errors_name_the_field() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("errors");
    let root = Some(r.root());
    let err = |case: &str| {
        let o = run_child(case, root.as_deref());
        assert_eq!(o.code, 97, "{case}: {o}");
        o.err()
    };
    let nofile_hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum.unwrap();
    let no_sys_resource =
        !rustix::thread::capabilities(None).unwrap().effective.contains(rustix::thread::CapabilitySet::SYS_RESOURCE);
    if no_sys_resource {
        let n = nofile_hard + 1;
        assert_eq!(
            err("rlimit-raise"),
            format!(
                "process.rlimits: RLIMIT_NOFILE: the hard limit {n} is above the current hard limit {nofile_hard} (raising it needs CAP_SYS_RESOURCE): set RLIMIT_NOFILE to {n}/{n}: Operation not permitted"
            )
        );
        assert_eq!(err("oom-negative"), "process.oomScoreAdj: write /proc/self/oom_score_adj: Permission denied");
        assert_eq!(
            err("cap-unavailable"),
            "process.capabilities.permitted: CAP_SYS_RESOURCE is not available to the runtime: capset: Operation not permitted"
        );
    }
    let e = err("cwd-breakout");
    assert!(e.starts_with("process.cwd: current working directory is outside of container mount namespace root -- possible container breakout detected"), "{e}");
    let e = err("exe-magiclink");
    assert!(e.starts_with("exec /proc/self/fd/") && e.ends_with(": No such file or directory"), "{e}");
    assert_eq!(err("noexec-user"), "exec: \"/bin/root-only\": Permission denied");
    assert!(err("proc-not-procfs").starts_with("process.oomScoreAdj: /proc is not a procfs mount"));
    assert_eq!(
        err("cwd-missing"),
        "process.cwd: chdir to cwd (\"/nonexistent\") set in config.json failed: No such file or directory"
    );
    assert_eq!(err("not-found"), "exec: \"nosuchcmd\": executable file not found in $PATH");
    assert_eq!(
        err("proc-overmount"),
        "process.oomScoreAdj: open /proc/self/oom_score_adj: Invalid cross-device link"
    );
    assert_eq!(std::fs::read_to_string(r.root().join("tmp/fake")).unwrap(), "untouched");
}

#[test]
fn proc_must_be_a_procfs_directory() {
    if !require_root() {
        return;
    }
    let r = Rootfs::new("procsymlink");
    std::fs::remove_dir(r.root().join("proc")).unwrap();
    std::os::unix::fs::symlink("tmp", r.root().join("proc")).unwrap();
    let o = run_child("proc-symlink", Some(&r.root()));
    assert_eq!(o.code, 97, "{o}");
    assert_eq!(o.err(), "process.oomScoreAdj: open /proc: Not a directory");
}
