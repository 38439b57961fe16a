//! Shared by tests/process_*.rs: run one case of the process setup in a child, which is this same test
//! binary re-run with RSRUN_PROCSETUP_CHILD=<case> (so the child is a fresh process that may change its
//! credentials, capabilities and limits and then exec busybox), plus a throwaway busybox rootfs.
//!
//! The child runs on libtest's test thread. Everything the process setup changes is either per-thread
//! (credentials, capabilities, no_new_privs, scheduler, ioprio, personality, mempolicy, affinity, the
//! signal mask; execve keeps the exec-ing thread's) or per-process (rlimits, oom_score_adj, fds), and
//! `enter_rootfs` unshares the fs struct (umask, cwd, root) with the mount namespace, so the result is
//! the same as in the single-threaded container init.
#![allow(dead_code)]

use rsrun::error::Result;
use rsrun::init::Context;
use rsrun::init::process::{self, Role};
use rsrun::spec::{Capabilities, Process, Rlimit, Spec, User};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CHILD_ENV: &str = "RSRUN_PROCSETUP_CHILD";
pub const ROOT_ENV: &str = "RSRUN_PROCSETUP_ROOT";
pub const BUSYBOX: &str = "/bin/busybox";

/// Is this process a child started by `run_child`? Returns its case name.
pub fn child_case() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// The child's rootfs (set by the parent with `run_child_in`).
pub fn child_root() -> Option<PathBuf> {
    std::env::var_os(ROOT_ENV).map(PathBuf::from)
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Lines of stdout that start with `prefix`, prefix removed and trimmed.
    pub fn lines(&self, prefix: &str) -> Vec<String> {
        // libtest prints "test child ... " without a newline before the child's own output.
        self.stdout
            .lines()
            .map(|l| l.strip_prefix("test child ... ").unwrap_or(l))
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|l| l.trim().to_string())
            .collect()
    }

    /// The one stdout line starting with `prefix` (panics with the whole output otherwise).
    pub fn line(&self, prefix: &str) -> String {
        let v = self.lines(prefix);
        assert_eq!(v.len(), 1, "expected one line starting with {prefix:?}\n{self}");
        v[0].clone()
    }

    /// The error line the child prints when the API returns an error.
    pub fn err(&self) -> String {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("ERR: "))
            .unwrap_or_else(|| panic!("no ERR line\n{self}"))
            .to_string()
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `case` in a child of this test binary (test function `child`), optionally inside `root`.
pub fn run_child(case: &str, root: Option<&Path>) -> Out {
    run_child_with(case, root, None)
}

/// Like `run_child`, under `wrapper` (e.g. ["strace", "-f", "-o", "FILE"]).
pub fn run_child_with(case: &str, root: Option<&Path>, wrapper: Option<&[&str]>) -> Out {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match wrapper {
        Some(w) => {
            let mut c = Command::new(w[0]);
            c.args(&w[1..]).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, case);
    match root {
        Some(r) => cmd.env(ROOT_ENV, r),
        None => cmd.env_remove(ROOT_ENV),
    };
    let o = cmd.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn require_root() -> bool {
    if rustix::process::geteuid().is_root() {
        true
    } else {
        eprintln!("skipped: needs root");
        false
    }
}

/// A busybox rootfs in /tmp/rsrun-test-procsetup/, removed on drop: /bin/busybox plus applet
/// symlinks in /bin, /etc/passwd and /etc/group (root, user 1000, user2 1001), /proc, /tmp (1777),
/// /home/user (owned by 1000), and /secret (0700, a root-only directory).
pub struct Rootfs {
    pub dir: PathBuf,
}

impl Rootfs {
    pub fn new(tag: &str) -> Rootfs {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = PathBuf::from("/tmp/rsrun-test-procsetup");
        let dir = base.join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let r = dir.join("rootfs");
        for d in ["bin", "etc", "proc", "tmp", "home/user", "secret", "dev", "sys", "root"] {
            fs::create_dir_all(r.join(d)).unwrap();
        }
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&r, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(r.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
        fs::set_permissions(r.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(r.join("home/user"), Some(1000), Some(1000)).unwrap();
        fs::copy(BUSYBOX, r.join("bin/busybox")).unwrap();
        for a in [
            "sh", "cat", "grep", "id", "ls", "pwd", "tr", "sed", "echo", "uname", "ionice", "true", "env", "sort",
            "umask", "taskset",
        ] {
            symlink("busybox", r.join("bin").join(a)).unwrap();
        }
        fs::write(r.join("bin/root-only"), "#!/bin/sh\necho hi\n").unwrap();
        fs::set_permissions(r.join("bin/root-only"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::write(
            r.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nuser2:x:1001:1001::/home/user2:/bin/sh\n",
        )
        .unwrap();
        fs::write(r.join("etc/group"), "root:x:0:\nwheel:x:10:user\nusers:x:100:user\nuser:x:1000:\nextra:x:2000:user\n").unwrap();
        Rootfs { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("rootfs")
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        // Children mount proc only in their own mount namespaces, which died with them.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Child side: a private mount namespace for this thread, proc on ROOT/proc (unless `mount_proc` is
/// false), then chroot into ROOT.
pub fn enter_rootfs(root: &Path, mount_proc: bool) {
    use rustix::mount::{MountFlags, MountPropagationFlags};
    // SAFETY: unsharing the mount namespace (and with it this thread's fs struct) affects only this
    // thread, which goes on to exec.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }.expect("unshare(CLONE_NEWNS)");
    rustix::mount::mount_change("/", MountPropagationFlags::PRIVATE | MountPropagationFlags::REC).expect("make / private");
    if mount_proc {
        rustix::mount::mount("proc", root.join("proc").to_str().unwrap(), "proc", MountFlags::empty(), None).expect("mount proc");
    }
    std::os::unix::fs::chroot(root).expect("chroot");
    std::env::set_current_dir("/").expect("chdir /");
}

/// A marker in an strace log: write(-1, "MARK <what>") fails with EBADF and costs one syscall.
pub fn mark(what: &str) {
    let m = format!("MARK {what}");
    // SAFETY: -1 is never an open fd; the write only fails with EBADF.
    let _ = unsafe { syscalls::raw::syscall3(linux_raw_sys::general::__NR_write, usize::MAX, m.as_ptr() as usize, m.len()) };
}

/// The busybox rootfs `crun spec` config, as a Spec: uid 0, caps AUDIT_WRITE, KILL and
/// NET_BIND_SERVICE in every set but inheritable, RLIMIT_NOFILE 1024/1024, noNewPrivileges, the
/// default PATH and TERM.
pub fn crun_spec(args: Vec<String>) -> Spec<'static> {
    let caps: Vec<_> = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"].iter().map(|c| (*c).into()).collect();
    Spec {
        process: Some(Process {
            user: User::default(),
            args: args.into_iter().map(Into::into).collect(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(), "TERM=xterm".into()],
            cwd: "/".into(),
            capabilities: Some(Capabilities {
                bounding: caps.clone(),
                effective: caps.clone(),
                inheritable: vec![],
                permitted: caps.clone(),
                ambient: caps,
            }),
            rlimits: vec![Rlimit { kind: "RLIMIT_NOFILE".into(), hard: 1024, soft: 1024 }],
            no_new_privileges: true,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The shell script that prints what the tests compare (about the shell itself, `$$`). FDS leaves out
/// fd 10, which busybox ash opens for itself (/dev/null).
pub const REPORT: &str = r#"
grep -E '^(Cap|NoNewPrivs|Seccomp:|Groups|Cpus_allowed_list|SigBlk)' /proc/$$/status
grep -E '^Max (open files|core file size)' /proc/$$/limits | sed 's/^/LIMIT /'
echo "ID $(id)"
echo "UMASK $(umask)"
echo "PWD $(pwd)"
echo "OOM $(cat /proc/$$/oom_score_adj)"
echo "PERS $(cat /proc/$$/personality)"
echo "ARCH $(uname -m)"
grep -E '^(policy|prio) ' /proc/$$/sched | tr -s ' ' | sed 's/^/SCHED /'
echo "IONICE $(ionice -p $$)"
tr '\0' '\n' < /proc/$$/environ | sed 's/^/ENV /'
(ls /proc/$$/fd > /tmp/.fds.$$); echo "FDS $(grep -vx 10 /tmp/.fds.$$ | tr '\n' ' ')"
"#;

/// Child side: the whole sequence create would run (validate, make_undumpable, prepare, apply, exec),
/// printing "ERR: <message>" and exiting 97 on the first error.
pub fn run_all(
    spec: &Spec<'_>,
    preserve_fds: u32,
    listen_fds: Option<u32>,
    role: Role,
    seccomp: &dyn Fn() -> Result<()>,
    after_apply: &dyn Fn(),
) -> ! {
    let ctx = Context {
        spec,
        id: "rsrun-test-procsetup",
        bundle: "/",
        rootfs: "/",
        no_pivot: false,
        preserve_fds,
        listen_fds,
        new_userns: false,
        new_cgroupns: false,
        cgroups_ready: &|| Ok(()),
        cgroup: None,
        install_seccomp: seccomp,
    };
    let fail = |e: rsrun::error::Error| -> ! {
        eprintln!("ERR: {e}");
        std::process::exit(97)
    };
    mark("validate");
    process::validate(spec).unwrap_or_else(|e| fail(e));
    mark("undumpable");
    process::make_undumpable().unwrap_or_else(|e| fail(e));
    if role == Role::Exec {
        process::set_initial_affinity(spec).unwrap_or_else(|e| fail(e));
        let a = rustix::thread::sched_getaffinity(None).unwrap();
        println!("INITIAL {}", (0..4).filter(|c| a.is_set(*c)).map(|c| c.to_string()).collect::<Vec<_>>().join(","));
    }
    mark("prepare");
    let p = process::prepare(&ctx, role).unwrap_or_else(|e| fail(e));
    mark("apply");
    process::apply(&ctx, &p).unwrap_or_else(|e| fail(e));
    after_apply();
    mark("exec");
    fail(process::exec(&ctx, &p))
}

/// A seccomp filter that allows everything (one BPF instruction), installed with prctl: enough to
/// make /proc/self/status say "Seccomp: 2" and to see where the callback ran.
pub fn allow_all_seccomp() -> Result<()> {
    #[repr(C)]
    struct SockFilter {
        code: u16,
        jt: u8,
        jf: u8,
        k: u32,
    }
    #[repr(C)]
    struct SockFprog {
        len: u16,
        filter: *const SockFilter,
    }
    let insn = [SockFilter { code: 0x06, jt: 0, jf: 0, k: 0x7fff_0000 }]; // BPF_RET|BPF_K, SECCOMP_RET_ALLOW
    let prog = SockFprog { len: 1, filter: insn.as_ptr() };
    eprintln!(
        "SECCOMP euid={} eff={:#x}",
        rustix::process::geteuid().as_raw(),
        rustix::thread::capabilities(None).unwrap().effective.bits()
    );
    // SAFETY: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) reads `prog`, which lives across the call.
    unsafe { syscalls::raw::syscall3(linux_raw_sys::general::__NR_prctl, 22, 2, &prog as *const SockFprog as usize) }
        .map(drop)
        .map_err(|e| rsrun::error::Error::sys("seccomp", e))
}

/// Cap bits as /proc/<pid>/status prints them.
pub fn capmask(names: &[&str]) -> String {
    let m = names.iter().fold(0u64, |m, n| m | 1 << rsrun::init::caps::number(n).unwrap());
    format!("{m:016x}")
}
