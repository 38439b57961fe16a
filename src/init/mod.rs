//! What runs inside the new namespaces: the container init, from clone3 until execve.
//!
//! `create` (src/container/create.rs) computes a `Context` before clone3; the child then calls, in
//! this order (runc's order):
//!
//! 1. `process::make_undumpable` right after clone3; namespaces joined by path, uid/gid maps
//!    awaited, time offsets (orchestration, here);
//! 2. `rootfs::setup`: propagation, rootfs bind, mounts, /dev, devices, the pty and /dev/console
//!    (`console.rs`, with process.terminal), the before_pivot callback (createRuntime/createContainer
//!    hooks), pivot_root or --no-pivot;
//! 3. the pty master to rsrun, the slave as stdio and controlling terminal; hostname, domainname
//!    (orchestration);
//! 4. `rootfs::finish`: sysctl, readonly paths, masked paths, readonly root;
//! 5. `process::prepare`: resolve args[0] on the container's PATH, build argv/env;
//! 6. `process::apply`: rlimits, oom_score_adj, scheduler, ioprio, personality, LSM labels, user,
//!    capabilities, no_new_privs, umask, cwd, fd hygiene (seccomp through the context's callback at
//!    runc's point);
//! 7. report "ready" to the parent, block on the exec fifo, startContainer hooks (orchestration);
//! 8. `process::exec`: seccomp if it goes last, close every fd not passed on, execve.
use crate::error::Result;
use crate::spec::Spec;

pub mod caps;
pub mod exec;
pub mod limits;
pub mod lsm;
pub mod process;
pub mod rootfs;
pub mod sched;
pub mod user;

// Private parts of `rootfs` (filesystem setup), one concern each.
mod cgroup;
#[doc(hidden)]
pub use cgroup::v1_hierarchies;
mod console;
mod copyup;
mod dev;
mod idmap;
mod masks;
mod mount_opts;
#[doc(hidden)]
pub mod mountinfo;
mod mounts;
mod paths;
mod proc_names;
pub(crate) mod sys;
mod sysctl;

/// Everything the container init needs, computed by `create` before clone3.
pub struct Context<'s, 'a> {
    pub spec: &'s Spec<'a>,
    pub id: &'s str,
    /// Absolute path of the bundle directory.
    pub bundle: &'s str,
    /// Absolute host path of the root filesystem (root.path resolved against the bundle).
    pub rootfs: &'s str,
    /// `--no-pivot`: MS_MOVE + chroot instead of pivot_root.
    pub no_pivot: bool,
    /// Number of fds above stdio passed into the container (`--preserve-fds` plus LISTEN_FDS).
    pub preserve_fds: u32,
    /// LISTEN_FDS was set for rsrun: the container gets LISTEN_FDS/LISTEN_PID in its env.
    pub listen_fds: Option<u32>,
    /// The init runs in a user namespace created for it (mknod is not allowed there: bind devices).
    pub new_userns: bool,
    /// The container's cgroup, made by create before clone3 (its v1 directories are what a "cgroup"
    /// mount shows). None in tests that set up a rootfs without one.
    pub cgroup: Option<&'s crate::cgroups::Cgroup>,
    /// Waits (once) until create has finished the container's cgroups and the init has joined them.
    /// The rootfs setup calls it before a "cgroup" mount; the init before a cgroup namespace, hooks
    /// and the process setup. Tests without a cgroup pass `&|| Ok(())`.
    pub cgroups_ready: &'s dyn Fn() -> Result<()>,
    /// The init got a new cgroup namespace (a cgroup mount shows only its own cgroup).
    pub new_cgroupns: bool,
    /// Installs the container's seccomp filter (no-op when the config has none). `process` calls it
    /// at the point runc does: before the user switch without no_new_privs, right before execve
    /// with it.
    pub install_seccomp: &'s dyn Fn() -> Result<()>,
}

use crate::channel::{Channel, Msg};
use crate::ns::Plan;
use crate::error::{Context as _, Error};
use crate::state::{State, Status};
use core::convert::Infallible;
use rustix::fd::{AsFd, BorrowedFd};
use syscalls::process::{CloneArgs, CloneFlags, Fork, clone3, exit_group};

/// What the child needs besides the `Context`, all set up by `create` before clone3.
pub struct Launch<'s> {
    pub plan: &'s Plan,
    pub chan: &'s Channel,
    /// The exec fifo, opened O_RDWR by the parent: reading it blocks until `start` writes.
    pub fifo: BorrowedFd<'s>,
    /// Wait for the parent's Go (uid/gid maps written, cgroups joined) before anything else.
    pub wait_go: bool,
    /// A new user namespace: stay dumpable until the parent has written the id maps (a parent
    /// without privilege over the child's namespace, such as a rootless one, may open
    /// /proc/PID/uid_map only of a dumpable process), as runc does. Nothing of the container runs
    /// before that.
    pub dumpable_until_go: bool,
    /// The container's state as create will save it; the child fills in the pid for hook input.
    pub state: &'s State,
    /// Id-mapped mount trees the parent made for the rootfs setup.
    pub mounts: &'s rootfs::Prepared,
}

/// The container init: sets everything up, reports to the parent, waits for `start`, execs.
/// Never returns: it ends in execve or, on any error, reports the error and exits.
pub fn run(ctx: &Context, l: &Launch) -> ! {
    let err = match init(ctx, l) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    // Before "ready" the parent reports the error; after it (the exec itself failed once `start`
    // released us) nobody listens on the channel, so the container's stderr gets it, as with crun.
    if l.chan.send(&Msg::Error(err.message().as_bytes().to_vec())).is_err() {
        crate::log::error(err.message());
    }
    crate::trace::finish(1);
    exit_group(1)
}

fn init(ctx: &Context, l: &Launch) -> Result<Infallible> {
    let p = crate::trace::phase("namespaces");
    if !l.dumpable_until_go {
        process::make_undumpable()?;
    }
    let mut state = l.state.clone();
    if l.wait_go {
        match l.chan.recv()? {
            Msg::Go(pid) => state.pid = pid,
            m => return Err(unexpected(m, "the go-ahead")),
        }
        if l.dumpable_until_go {
            process::make_undumpable()?;
        }
        if l.plan.clone.contains(CloneFlags::NEWUSER) {
            become_root_in_userns()?;
        }
    }
    join_namespaces(ctx, l)?;
    if l.plan.pid_fork {
        // The cgroups first: create sends CgroupsReady before it waits for InitPid, and the init
        // inherits what this process joined.
        (ctx.cgroups_ready)()?;
        // CLONE_PARENT: the init becomes create's child, with create's exit signal; clone3 wants
        // exit_signal 0 with it (EINVAL otherwise).
        let args = CloneArgs { exit_signal: None, ..CloneArgs::new(CloneFlags::PARENT) };
        // SAFETY: single-threaded; the intermediate process only reports the new pid and exits.
        match unsafe { clone3(&args) }.context("clone3 into the PID namespace")? {
            Fork::Child => crate::trace::child(),
            Fork::Parent { pid, .. } => {
                let _ = l.chan.send(&Msg::InitPid(pid.as_raw_nonzero().get()));
                drop(p);
                crate::trace::finish(1);
                exit_group(0)
            }
        }
    }

    // The caller's ignored signals back to the default.
    process::reset_ignored_signals();

    let hook_state = |status: Status| {
        let mut w = crate::json::Writer::new();
        state.write_hook_state(&mut w, status);
        w.into_bytes()
    };
    drop(p);
    let hooks = ctx.spec.hooks.as_ref();
    let p = crate::trace::phase("rootfs");
    let pty = rootfs::setup(ctx, l.mounts, &mut || {
        // Last moment with the host's /sys/fs/cgroup in view: join the container's cgroups now at
        // the latest (hooks also see the container in them).
        (ctx.cgroups_ready)()?;
        if let Some(h) = hooks {
            if !h.prestart.is_empty() || !h.create_runtime.is_empty() {
                l.chan.send(&Msg::RuntimeHooks)?;
                match l.chan.recv()? {
                    Msg::HooksDone => {}
                    m => return Err(unexpected(m, "the end of the createRuntime hooks")),
                }
            }
            let _p = crate::trace::phase("createContainer hooks");
            crate::hooks::run_all("createContainer", &h.create_container, &hook_state(Status::Creating))?;
        }
        Ok(())
    })?;
    drop(p);
    if let Some(pty) = pty {
        let _p = crate::trace::phase("console");
        crate::tty::hand_over(pty, l.chan)?;
    }
    let p = crate::trace::phase("rootfs finish");
    set_names(ctx)?;
    rootfs::finish(ctx)?;
    drop(p);
    let p = crate::trace::phase("process setup");
    let prepared = process::prepare(ctx, process::Role::Init)?;
    process::apply(ctx, &prepared)?;
    drop(p);

    let p = crate::trace::phase("exec wait");
    l.chan.send(&Msg::Ready)?;
    // `start` may never come (delete kills a created container here): what is traced so far is
    // written now.
    crate::trace::flush();
    wait_for_start(l.fifo)?;
    drop(p);
    if let Some(h) = hooks {
        let _p = crate::trace::phase("startContainer hooks");
        crate::hooks::run_all("startContainer", &h.start_container, &hook_state(Status::Created))?;
    }
    // Then close_range and execve, which the counter does not see.
    crate::trace::finish(2);
    Err(process::exec(ctx, &prepared))
}

/// In a new user namespace whose maps the parent has written: take uid and gid 0 there, so the
/// setup runs as the namespace's root.
fn become_root_in_userns() -> Result<()> {
    let root_gid = rustix::process::Gid::ROOT;
    let root_uid = rustix::process::Uid::ROOT;
    rustix::thread::set_thread_res_gid(root_gid, root_gid, root_gid).context("setresgid(0) in the user namespace")?;
    rustix::thread::set_thread_res_uid(root_uid, root_uid, root_uid).context("setresuid(0) in the user namespace")?;
    Ok(())
}

/// Joins the namespaces given by path, then unshares the ones that must come after them, then
/// writes the time offsets of a new time namespace.
fn join_namespaces(ctx: &Context, l: &Launch) -> Result<()> {
    use rustix::thread::{UnshareFlags, move_into_link_name_space, unshare_unsafe};
    for (f, fd) in &l.plan.join {
        move_into_link_name_space(fd.as_fd(), None)
            .context(format_args!("join the {} namespace", crate::ns::name(*f)))?;
    }
    if l.plan.unshare.contains(CloneFlags::NEWCGROUP) {
        // A cgroup namespace is rooted at the cgroups its creator is in.
        (ctx.cgroups_ready)()?;
    }
    if !l.plan.unshare.is_empty() {
        // SAFETY: single-threaded; unsharing namespaces affects only this process (and its children).
        unsafe { unshare_unsafe(UnshareFlags::from_bits_retain(l.plan.unshare.bits() as u32)) }
            .map_err(|e| crate::ns::refused("unshare the container's namespaces", l.plan.unshare, e))?;
    }
    if l.plan.time_offsets {
        let mut text = alloc::string::String::new();
        for (clock, off) in ctx.spec.linux.as_ref().map_or(&[][..], |x| &x.time_offsets[..]) {
            use core::fmt::Write;
            let _ = writeln!(text, "{clock} {} {}", off.secs, off.nanosecs);
        }
        crate::procfs::Procfs::open()?.write("self/timens_offsets", text.as_bytes()).context("linux.timeOffsets")?;
    }
    Ok(())
}

fn set_names(ctx: &Context) -> Result<()> {
    if let Some(h) = ctx.spec.hostname.as_deref().filter(|h| !h.is_empty()) {
        rustix::system::sethostname(h.as_bytes()).context("sethostname")?;
    }
    if let Some(d) = ctx.spec.domainname.as_deref().filter(|d| !d.is_empty()) {
        rustix::system::setdomainname(d.as_bytes()).context("setdomainname")?;
    }
    Ok(())
}

/// The init's side of `Context::cgroups_ready`: once, wait for the parent's CgroupsReady, then join
/// the v1 hierarchies (unless the parent does it: in a new user namespace the init may not write the
/// host's cgroup files).
pub struct CgroupGate<'s> {
    pub chan: &'s Channel,
    pub cgroup: Option<&'s crate::cgroups::Cgroup>,
    pub join: bool,
    pub done: core::cell::Cell<bool>,
}

impl CgroupGate<'_> {
    pub fn pass(&self) -> Result<()> {
        if self.done.get() {
            return Ok(());
        }
        match self.chan.recv()? {
            Msg::CgroupsReady => {}
            m => return Err(unexpected(m, "the cgroups")),
        }
        if self.join
            && let Some(cg) = self.cgroup
        {
            cg.join_self_v1()?;
        }
        self.done.set(true);
        Ok(())
    }
}

/// The init's error when create sent something else than `what`, or ended (the init holds only
/// its own end of the channel, so create's exit reads as the end of the stream).
fn unexpected(m: Msg, what: &str) -> Error {
    match m {
        Msg::Closed => Error::msg("container setup: rsrun create exited before the container was ready"),
        _ => Error::msg(format_args!("container setup: expected {what} from rsrun")),
    }
}

/// Blocks until `start` writes to the exec fifo.
fn wait_for_start(fifo: BorrowedFd) -> Result<()> {
    let mut b = [0u8; 1];
    loop {
        match rustix::io::read(fifo, &mut b) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::sys("wait for start on the exec fifo", e)),
        }
    }
}
