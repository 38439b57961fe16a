//! The container process: everything from "the rootfs is ready" to execve, in runc's order.
//!
//! - `validate` (parent, before clone3): every process field that can be checked without the
//!   container, each error naming its field.
//! - `make_undumpable` (child, right after clone3).
//! - `set_initial_affinity` (`exec` only: child, right after fork, before joining the cgroup).
//! - `prepare` (child, after pivot_root): resolve args[0], build argv/envp once, HOME, LISTEN_*.
//! - `apply` (child, before the exec fifo): limits, scheduling, labels, user, capabilities, cwd, fds.
//! - `exec` (child, after the fifo): seccomp when it goes last, close stray fds, execve.
//!
//! The order of `apply` and the reason for each step are in docs/process.md.
use crate::error::{Error, Quoted, Result};
use crate::init::Context;
use crate::init::caps::CapSets;
use crate::init::exec::{self, Command, Env};
use crate::init::limits::{self, Limit};
use crate::procfs::Procfs;
use crate::init::sched::{self, Ioprio, Mempolicy};
use crate::init::user::{self, Ids};
use crate::init::lsm;
use crate::spec::{Process, Spec};
use crate::bail;
use crate::rt::cs;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::io::Errno;
use syscalls::fd::CloseRangeFlags;
use syscalls::process::Personality as Persona;
use syscalls::sched::SchedAttr;
use syscalls::signal::{How, SigSet};

/// Whether the process is the container's init (`create`/`run`) or an extra process (`exec`).
/// `process.execCPUAffinity` applies to `exec` only: the runtime-spec says it "is not applicable to
/// the container's init process", and runc applies it to `runc exec` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Init,
    Exec,
}

/// runc's default umask when `process.user.umask` is absent.
const DEFAULT_UMASK: u32 = 0o022;

/// Every process setting, checked and converted; nothing here touches the system.
struct Plan {
    caps: CapSets,
    limits: Vec<Limit>,
    ids: Ids,
    umask: u32,
    env: Env,
    nnp: bool,
    oom_score_adj: Option<i32>,
    apparmor: Option<String>,
    selinux: Option<String>,
    scheduler: Option<SchedAttr>,
    ioprio: Option<Ioprio>,
    personality: Option<Persona>,
    mempolicy: Option<Mempolicy>,
    affinity: sched::Affinity,
}

fn process<'s, 'a>(spec: &'s Spec<'a>) -> Result<&'s Process<'a>> {
    spec.process.as_ref().ok_or_else(|| Error::msg("process: missing"))
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

fn plan(spec: &Spec<'_>) -> Result<Plan> {
    let p = process(spec)?;
    if p.args.is_empty() {
        bail!("process.args: must not be empty");
    }
    if let Some(i) = p.args.iter().position(|a| a.contains('\0')) {
        bail!("process.args[{i}]: contains a NUL byte");
    }
    if p.cwd.is_empty() {
        bail!("process.cwd: missing");
    }
    if !p.cwd.starts_with('/') {
        bail!("process.cwd: must be an absolute path, got {}", Quoted::str(&p.cwd));
    }
    if p.cwd.contains('\0') {
        bail!("process.cwd: contains a NUL byte");
    }
    let env = Env::parse(&p.env)?;
    let ids = user::check(p.user.uid, p.user.gid, &p.user.additional_gids)?;
    let umask = match p.user.umask {
        Some(m) if m > 0o777 => bail!("process.user.umask: must be at most 0o777, got {m:#o}"),
        Some(m) => m,
        None => DEFAULT_UMASK,
    };
    let oom_score_adj = match p.oom_score_adj {
        Some(v) if !(-1000..=1000).contains(&v) => bail!("process.oomScoreAdj: must be from -1000 to 1000, got {v}"),
        v => v.map(|v| v as i32),
    };
    let mut affinity = sched::Affinity::default();
    if let Some(a) = &p.exec_cpu_affinity {
        if let Some(s) = &a.initial {
            affinity.initial = sched::parse_list(s, "process.execCPUAffinity.initial")?;
        }
        if let Some(s) = &a.final_ {
            affinity.final_ = sched::parse_list(s, "process.execCPUAffinity.final")?;
        }
    }
    let linux = spec.linux.as_ref();
    Ok(Plan {
        caps: CapSets::parse(p.capabilities.as_ref())?,
        limits: limits::parse(&p.rlimits)?,
        ids,
        umask,
        env,
        nnp: p.no_new_privileges,
        oom_score_adj,
        apparmor: nonempty(p.apparmor_profile.as_deref()).map(String::from),
        selinux: nonempty(p.selinux_label.as_deref()).map(String::from),
        scheduler: p.scheduler.as_ref().map(sched::parse_scheduler).transpose()?,
        ioprio: p.io_priority.as_ref().map(sched::parse_ioprio).transpose()?,
        personality: linux.and_then(|l| l.personality.as_ref()).map(sched::parse_personality).transpose()?,
        mempolicy: linux.and_then(|l| l.memory_policy.as_ref()).map(sched::parse_mempolicy).transpose()?,
        affinity,
    })
}

/// Checks everything about the process that can be checked before clone3: args, cwd, env, user ids
/// and umask, rlimit names and values, capability names, oomScoreAdj, scheduler, ioPriority,
/// execCPUAffinity, linux.personality, linux.memoryPolicy, and that an AppArmor profile or SELinux
/// label comes with that LSM enabled on the host. Syscalls: none, except 3 (AppArmor) or 1 (SELinux)
/// when a label is set.
pub fn validate(spec: &Spec<'_>) -> Result<()> {
    let plan = plan(spec)?;
    lsm::validate(plan.apparmor.as_deref(), plan.selinux.as_deref())
}

/// The process, ready to be applied and executed: owned, so it outlives the borrowed config.
pub struct Prepared {
    plan: Plan,
    cwd: String,
    arg0: String,
    cmd: Command,
    role: Role,
    /// `3 + ctx.preserve_fds`: the first fd that does not reach the container.
    first_private_fd: u32,
}

impl Prepared {
    /// The resolved executable (absolute path inside the container).
    pub fn executable(&self) -> &core::ffi::CStr {
        &self.cmd.exe
    }

    /// The argument strings as execve will get them.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        self.cmd.args()
    }

    /// The environment as execve will get it.
    pub fn env(&self) -> impl Iterator<Item = &[u8]> {
        self.cmd.env()
    }
}

/// After pivot_root (inside the container's root): resolves args[0] on the container's PATH (a path
/// with '/' is used as is and must be an executable file), adds HOME from the container's
/// /etc/passwd when the config has none (runc: "/" when the user is not listed), adds LISTEN_FDS and
/// LISTEN_PID when fds are passed with socket activation, and packs argv and envp so `exec` allocates
/// nothing.
///
/// `role` (an addition to the planned API): `Role::Exec` for `rsrun exec`, whose process gets
/// `execCPUAffinity.final`; `Role::Init` otherwise.
///
/// Syscalls: one stat per PATH entry tried (an absolute args[0]: one), 2-3 for /etc/passwd when HOME
/// is not set, 1 (getpid) with LISTEN_FDS.
pub fn prepare(ctx: &Context<'_, '_>, role: Role) -> Result<Prepared> {
    let mut plan = plan(ctx.spec)?;
    let p = process(ctx.spec)?;
    if plan.env.get(b"HOME").is_none_or(<[u8]>::is_empty) {
        let home = user::home_of(plan.ids.uid);
        plan.env.set(b"HOME", &home);
    }
    if let Some(n) = ctx.listen_fds {
        // runc writes LISTEN_PID=1; the real pid is right also without a PID namespace.
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        plan.env.set(b"LISTEN_FDS", format!("{n}").as_bytes());
        plan.env.set(b"LISTEN_PID", format!("{pid}").as_bytes());
    }
    // Cleaned lexically, as rootfs made it and as runc and crun use it ("/a/../b/" is "/b").
    let cwd = format!("/{}", crate::init::paths::clean(&p.cwd));
    let exe = exec::resolve(&p.args[0], &plan.env, &cwd)?;
    let cmd = Command::new(exe, &p.args, &plan.env)?;
    Ok(Prepared {
        cwd,
        arg0: String::from(&*p.args[0]),
        cmd,
        role,
        first_private_fd: ctx.preserve_fds.saturating_add(3),
        plan,
    })
}

/// `exec` only: `process.execCPUAffinity.initial`, for the child right after fork and before it is
/// moved into the container's cgroup (the runtime-spec: "before the transition to container's
/// cgroup"). One sched_setaffinity when set; nothing otherwise.
pub fn set_initial_affinity(spec: &Spec<'_>) -> Result<()> {
    let Some(a) = process(spec)?.exec_cpu_affinity.as_ref() else { return Ok(()) };
    match a.initial.as_deref().map(|s| sched::parse_list(s, "process.execCPUAffinity.initial")).transpose()? {
        Some(Some(bits)) => sched::set_affinity(&bits, "process.execCPUAffinity.initial"),
        _ => Ok(()),
    }
}

/// Applies the process settings, in runc's order (standard_init_linux.go, finalizeNamespace); see
/// docs/process.md for the reason behind each position. Calls `ctx.install_seccomp` here when
/// `noNewPrivileges` is false (loading a filter then needs CAP_SYS_ADMIN, so before the drop).
/// Ends with every fd >= 3 + preserve_fds close-on-exec, the cwd checked to be inside the container,
/// and an empty signal mask.
pub fn apply(ctx: &Context<'_, '_>, p: &Prepared) -> Result<()> {
    let plan = &p.plan;
    // 1. umask: runc sets it at the end of the rootfs setup, 0022 when not configured.
    user::set_umask(plan.umask);

    // 2-3. Things that need privileges the user switch drops: oom_score_adj (lowering it needs
    // CAP_SYS_RESOURCE; runc writes it first thing) and rlimits (raising a hard limit needs it).
    let mut proc: Option<Procfs> = None;
    if let Some(v) = plan.oom_score_adj {
        procfs(&mut proc)
            .and_then(|pf| pf.write("self/oom_score_adj", format!("{v}").as_bytes()))
            .map_err(|e| e.context("process.oomScoreAdj"))?;
    }
    limits::apply(&plan.limits)?;

    // 4-5. Placement: NUMA memory policy, then the exec process's final CPU affinity (it is in the
    // container's cgroup by now).
    if let Some(m) = &plan.mempolicy {
        sched::apply_mempolicy(m)?;
    }
    if let (Role::Exec, Some(bits)) = (p.role, &plan.affinity.final_) {
        sched::set_affinity(bits, "process.execCPUAffinity.final")?;
    }

    // 6. AppArmor (runc: right after the hostname, before no_new_privs). Takes effect at execve.
    if let Some(profile) = &plan.apparmor {
        let pf = procfs(&mut proc).map_err(|e| e.context("process.apparmorProfile"))?;
        lsm::apply_apparmor(pf, profile)?;
    }

    // 7. no_new_privs (runc: before the scheduler and the seccomp filter).
    if plan.nnp {
        rustix::thread::set_no_new_privs(true).map_err(|e| Error::sys("process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)", e))?;
    }

    // 8-10. Scheduling: policy (SCHED_FIFO needs CAP_SYS_NICE, still held), I/O priority, and the
    // personality (runc sets it last, after a NNP seccomp filter that may forbid personality(2);
    // it depends on nothing that follows, so it goes here).
    if let Some(a) = &plan.scheduler {
        sched::apply_scheduler(a)?;
    }
    if let Some(io) = plan.ioprio {
        sched::apply_ioprio(io)?;
    }
    if let Some(persona) = plan.personality {
        sched::apply_personality(persona)?;
    }

    // 11. SELinux exec label (runc: after the ready sync, before seccomp).
    if let Some(label) = &plan.selinux {
        let pf = procfs(&mut proc).map_err(|e| e.context("process.selinuxLabel"))?;
        lsm::apply_selinux(pf, label)?;
    }
    if let Some(pf) = proc.take() {
        pf.leak();
    }

    // 12. seccomp without no_new_privs needs CAP_SYS_ADMIN: before the capability drop.
    if !plan.nnp {
        (ctx.install_seccomp)().map_err(|e| e.context("seccomp"))?;
    }

    // 13. finalizeNamespace: every fd the container should not get becomes close-on-exec in one
    // syscall (the rootfs code leaves its temporary fds open on purpose).
    close_from(p.first_private_fd, CloseRangeFlags::CLOEXEC)
        .map_err(|e| Error::sys("mark the init's file descriptors close-on-exec", e))?;

    // 14. chdir as root first (a directory only root can reach); EACCES/EPERM: again as the user.
    // The init's cwd is the container's root already (rootfs::setup leaves it there after
    // pivot_root or chroot, and the masked and readonly paths resolve from it): a cwd of "/" needs
    // no chdir.
    let mut chdir_later = false;
    let at_cwd = p.role == Role::Init && p.cwd == "/";
    match if at_cwd { Ok(()) } else { rustix::process::chdir(cs(&p.cwd)) } {
        Ok(()) => {}
        Err(Errno::ACCESS | Errno::PERM) => chdir_later = true,
        Err(e) => return Err(chdir_error(&p.cwd, e)),
    }

    // 15. The bounding set needs CAP_SETPCAP: before setresuid and capset take it away.
    plan.caps.apply_bounding()?;

    // 16. Keep the permitted set across a switch away from uid 0 (cleared again by execve), and
    // hand a terminal on stdio to the user.
    let leaving_root = plan.ids.uid != 0;
    if leaving_root {
        rustix::thread::set_keep_capabilities(true).map_err(|e| Error::sys("prctl(PR_SET_KEEPCAPS)", e))?;
        user::give_tty(plan.ids.uid);
    }

    // 17. setgroups, setresgid, setresuid (the init skips the last two when its ids are already
    // the container's, see `user::exec_creds`).
    let current = if p.role == Role::Init { user::exec_creds(ctx.new_userns) } else { None };
    user::switch(&plan.ids, current)?;

    // 18. The working directory, then proof that it is inside the container (CVE-2024-21626: a
    // cwd like /proc/self/fd/7 reaching a host directory through a leaked fd).
    if chdir_later {
        rustix::process::chdir(cs(&p.cwd)).map_err(|e| chdir_error(&p.cwd, e))?;
    }
    if p.cwd != "/" {
        verify_cwd()?;
    }

    // 19. Effective, permitted, inheritable; then ambient (after the uid change, which clears it).
    plan.caps.apply()?;

    // 20. Can this user execute the program? Fails `create` rather than the container after `start`.
    exec::check_access(&p.cmd.exe, &p.arg0)?;

    // 21. The blocked mask survives execve: `rsrun run` blocks the signals it forwards.
    syscalls::signal::rt_sigprocmask(How::SetMask, &SigSet::empty()).map_err(|e| Error::sys("rt_sigprocmask", e))?;

    // 22. seccomp with no_new_privs: as late as possible, yet before the init reports ready (as
    // runc 1.1 does), so a NOTIFY filter's fd still reaches rsrun. What follows must be allowed by
    // the profile, or have a fallback that is: the report on the sync socket (sendto), reading the
    // exec fifo, startContainer hooks (clone3, else clone; pidfd_send_signal, else kill),
    // close_range (else one close per fd from /proc/self/fd), execve. Without no_new_privs the
    // filter comes at step 12, and steps 13-21 too run under it: close_range (same fallback),
    // faccessat2 (else faccessat), and calls as old as Linux itself.
    if plan.nnp {
        (ctx.install_seccomp)().map_err(|e| e.context("seccomp"))?;
    }
    Ok(())
}

fn procfs(slot: &mut Option<Procfs>) -> Result<&Procfs> {
    if slot.is_none() {
        *slot = Some(Procfs::open()?);
    }
    match slot {
        Some(p) => Ok(p),
        None => Err(Error::msg("procfs")),
    }
}

fn chdir_error(cwd: &str, e: Errno) -> Error {
    Error::sys(format_args!("process.cwd: chdir to cwd ({}) set in config.json failed", Quoted::str(cwd)), e)
}

/// getcwd must give an absolute path: a directory outside the container's root comes back as
/// "(unreachable)/..." (or ENOENT).
fn verify_cwd() -> Result<()> {
    const OUTSIDE: &str = concat!(
        "process.cwd: current working directory is outside of container mount namespace root -- ",
        "possible container breakout detected"
    );
    match rustix::process::getcwd(Vec::new()) {
        Ok(wd) if wd.as_bytes().first() == Some(&b'/') => Ok(()),
        Ok(wd) => bail!("{OUTSIDE}: cwd is {}", Quoted::str(&crate::rt::lossy(wd.as_bytes()))),
        Err(Errno::NOENT) => Err(Error::msg(OUTSIDE)),
        Err(e) => Err(Error::sys("process.cwd: getcwd", e)),
    }
}

/// Signals the caller left ignored (SIG_IGN survives execve: SIGPIPE from a supervisor, SIGHUP
/// from `nohup`, SIGINT and SIGQUIT for a shell's background job) go back to the default, as runc
/// and crun give the container's process: all 64, from the SigIgn line of /proc/self/status, read
/// while /proc is still the host's (none reset when it cannot be read: the process then inherits
/// them, as before). One open and one read, and one rt_sigaction per ignored signal.
pub fn reset_ignored_signals() {
    if let Some(ignored) = crate::state::own_ignored_signals()
        && ignored != 0
    {
        // An error leaves the rest ignored, as without this; nothing to report it to yet.
        let _ = syscalls::signal::reset_ignored(syscalls::signal::SigSet::from_bits(ignored));
    }
}

/// PR_SET_DUMPABLE 0, right after clone3 in the child: until execve, nobody (not even a process of
/// the same uid in the container) may ptrace the init or open its /proc/<pid> files; execve makes the
/// process dumpable again. One prctl.
pub fn make_undumpable() -> Result<()> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| Error::sys("prctl(PR_SET_DUMPABLE, 0)", e))
}

/// After the exec fifo: closes every fd >= 3 + preserve_fds, and execs.
/// Returns only on failure: "exec /bin/foo: Permission denied".
///
/// The close (not just close-on-exec) matters: execve resolves its path before close-on-exec takes
/// effect, so an args[0] or PATH symlink leading to /proc/self/fd/N would otherwise execute a host
/// file through an fd the init still holds (CVE-2024-21626, runc's UnsafeCloseFrom). It comes after
/// the seccomp callback, which may still need its fds; it is one close_range, and a failure (a
/// profile that forbids close_range) is ignored: the fds are close-on-exec already.
///
/// After a failure every fd >= 3 + preserve_fds is closed: report on stderr and exit, without using
/// or dropping an owned fd in that range.
pub fn exec(_ctx: &Context<'_, '_>, p: &Prepared) -> Error {
    exec_keeping(p, None)
}

/// `exec`, leaving `keep` open (close-on-exec: execve itself closes it), for `rsrun exec`, whose
/// parent reads the end of the channel as "execve succeeded" and still gets an error sent on it
/// when execve fails. `keep` is a socket, which no path can execute or traverse.
pub fn exec_keeping(p: &Prepared, keep: Option<u32>) -> Error {
    // Ignoring a failure is safe: every fd in the range is close-on-exec (step 13), and the only
    // way the fallback fails is without /proc/self/fd, where no path can lead through an fd.
    match keep.filter(|&k| k >= p.first_private_fd) {
        // SAFETY: as in close_from: nothing uses an fd of the range any more.
        Some(k) if k == p.first_private_fd
            || unsafe { syscalls::fd::close_range(p.first_private_fd, k - 1, CloseRangeFlags::empty()) }.is_ok() =>
        {
            let _ = close_from(k + 1, CloseRangeFlags::empty());
        }
        _ => {
            let _ = close_from(p.first_private_fd, CloseRangeFlags::empty());
        }
    }
    p.cmd.execve()
}

/// close_range(first, ~0, flags): closes every fd from `first`, or with CLOEXEC marks it
/// close-on-exec. Where the container's seccomp filter is already loaded and its profile is older
/// than close_range (ENOSYS from runc's stub, EPERM from the default action), the same one fd at a
/// time, listed from /proc/self/fd, as runc does.
///
/// Callers: nothing in the init may use an fd of the range as an owned fd after a close.
fn close_from(first: u32, flags: CloseRangeFlags) -> core::result::Result<(), Errno> {
    use rustix::fd::{AsRawFd, BorrowedFd};
    // SAFETY: the caller's contract (see above); with CLOEXEC nothing is closed.
    match unsafe { syscalls::fd::close_range(first, u32::MAX, flags) } {
        Err(Errno::NOSYS | Errno::PERM) => {}
        r => return r,
    }
    use rustix::fs::{Mode, OFlags};
    let dir = rustix::fs::open(c"/proc/self/fd", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    let mut fds = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let mut entries = rustix::fs::RawDir::new(&dir, buf.spare_capacity_mut());
    while let Some(e) = entries.next() {
        let e = e?;
        if let Some(fd) = core::str::from_utf8(e.file_name().to_bytes()).ok().and_then(crate::rt::parse_u32)
            && fd >= first
            && fd as i32 != dir.as_raw_fd()
        {
            fds.push(fd as i32);
        }
    }
    for fd in fds {
        if flags.contains(CloseRangeFlags::CLOEXEC) {
            // SAFETY: the fd is open (listed just now) and only its flags change.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
        } else {
            // SAFETY: the caller's contract: nothing uses an fd of the range any more.
            unsafe { rustix::io::close(fd) };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ExecCpuAffinity, IoPriority, Linux, MemoryPolicy, Personality, Rlimit, Scheduler};
    use alloc::string::ToString;
    use alloc::vec;

    fn spec(f: impl FnOnce(&mut Process<'static>)) -> Spec<'static> {
        let mut p = Process { args: vec!["sh".into()], cwd: "/".into(), ..Default::default() };
        f(&mut p);
        Spec { process: Some(p), ..Default::default() }
    }

    fn err(s: Spec<'static>) -> String {
        validate(&s).unwrap_err().to_string()
    }

    #[test]
    fn valid_configs() {
        validate(&spec(|_| {})).unwrap();
        let mut s = spec(|p| {
            p.env = vec!["PATH=/bin".into()];
            p.user.umask = Some(0o077);
            p.oom_score_adj = Some(-1000);
            p.rlimits = vec![Rlimit { kind: "RLIMIT_NOFILE".into(), soft: 1, hard: 2 }];
            p.scheduler = Some(Scheduler { policy: "SCHED_RR".into(), priority: 99, ..Default::default() });
            p.io_priority = Some(IoPriority { class: "IOPRIO_CLASS_IDLE".into(), priority: 0 });
            p.exec_cpu_affinity = Some(ExecCpuAffinity { initial: Some("0".into()), final_: Some("".into()) });
            p.apparmor_profile = Some("".into());
        });
        s.linux = Some(Linux {
            personality: Some(Personality { domain: "LINUX".into(), flags: vec![] }),
            memory_policy: Some(MemoryPolicy { mode: "MPOL_PREFERRED".into(), nodes: None, flags: vec![] }),
            ..Default::default()
        });
        validate(&s).unwrap();
        let plan = plan(&s).unwrap();
        assert_eq!(plan.umask, 0o077);
        assert_eq!(plan.affinity.final_, None, "empty means unset");
        assert_eq!(super::plan(&spec(|_| {})).unwrap().umask, 0o022, "runc's default umask");
    }

    #[test]
    fn every_invalid_field_is_named() {
        assert_eq!(validate(&Spec::default()).unwrap_err().to_string(), "process: missing");
        assert_eq!(err(spec(|p| p.args.clear())), "process.args: must not be empty");
        assert_eq!(err(spec(|p| p.args.push("a\0b".into()))), "process.args[1]: contains a NUL byte");
        assert_eq!(err(spec(|p| p.cwd = "".into())), "process.cwd: missing");
        assert_eq!(err(spec(|p| p.cwd = "tmp".into())), "process.cwd: must be an absolute path, got \"tmp\"");
        assert_eq!(err(spec(|p| p.env = vec!["X".into()])), "process.env[0]: invalid environment variable \"X\": missing '='");
        assert_eq!(err(spec(|p| p.user.uid = u32::MAX)), "process.user.uid: 4294967295 is not a valid id");
        assert_eq!(err(spec(|p| p.user.umask = Some(0o1000))), "process.user.umask: must be at most 0o777, got 0o1000");
        assert_eq!(err(spec(|p| p.oom_score_adj = Some(1001))), "process.oomScoreAdj: must be from -1000 to 1000, got 1001");
        assert_eq!(
            err(spec(|p| p.rlimits = vec![Rlimit { kind: "RLIMIT_X".into(), soft: 0, hard: 0 }])),
            "process.rlimits[0].type: wrong rlimit value: RLIMIT_X"
        );
        assert_eq!(
            err(spec(|p| p.capabilities = Some(crate::spec::Capabilities { ambient: vec!["CAP_X".into()], ..Default::default() }))),
            "process.capabilities.ambient[0]: unknown capability \"CAP_X\""
        );
        assert_eq!(
            err(spec(|p| p.scheduler = Some(Scheduler { policy: "SCHED_X".into(), ..Default::default() }))),
            "process.scheduler.policy: unknown policy \"SCHED_X\""
        );
        assert_eq!(
            err(spec(|p| p.io_priority = Some(IoPriority { class: "RT".into(), priority: 0 }))),
            "process.ioPriority.class: unknown class \"RT\""
        );
        assert_eq!(
            err(spec(|p| p.exec_cpu_affinity = Some(ExecCpuAffinity { initial: None, final_: Some("0-".into()) }))),
            "process.execCPUAffinity.final: invalid list \"0-\": expected numbers and ranges like \"0-3,7\""
        );
        let mut s = spec(|_| {});
        s.linux = Some(Linux { personality: Some(Personality { domain: "LINUX".into(), flags: vec!["X".into()] }), ..Default::default() });
        assert_eq!(err(s), "linux.personality.flags: no flags are supported, got \"X\"");
        let mut s = spec(|_| {});
        s.linux = Some(Linux {
            memory_policy: Some(MemoryPolicy { mode: "MPOL_INTERLEAVE".into(), nodes: Some(" ".into()), flags: vec![] }),
            ..Default::default()
        });
        assert_eq!(err(s), "linux.memoryPolicy.nodes: required for MPOL_INTERLEAVE");
    }
}
