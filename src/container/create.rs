//! `rsrun create`: sets a container up and leaves its init blocked on the exec fifo until `start`.
//!
//! Order (DESIGN.md section 2): everything that can be checked is checked before anything is
//! made; then the state directory (atomic mkdir, locked), the channel, the creation record
//! (state/creating.rs: what `delete --force` needs if create is killed from here on), the cgroup,
//! the exec fifo, one clone3; the parent writes uid/gid maps and finishes the cgroup, runs the
//! createRuntime hooks when the child asks, and waits for the child's "ready" or its error. A
//! failure anywhere undoes all of it: the init is killed, the cgroup and the state directory
//! removed. Crash safety (docs/architecture.md): the init keeps only its own end of the channel,
//! so it ends when create dies before "ready", and create's every wait ends with the init.
use crate::channel::{self, Msg};
use crate::ns::{self, Plan};
use crate::cgroups::Cgroup;
use crate::cli::{CreateOpts, Global, Rootless};
use crate::error::{Context, Error, Result};
use crate::init::{self, Context as InitContext, Launch};
use crate::rt::cs;
use crate::spec::{self, Spec};
use crate::state::{Container, EXEC_FIFO, State, Status, Store};
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::process::Pid;
use syscalls::process::{CloneArgs, CloneFlags, Fork, clone3};

pub fn run(g: &Global, o: &CreateOpts) -> Result<i32> {
    super::selfexe::ensure_sealed_copy(crate::rt::raw_argv(), crate::rt::raw_envp())?;
    // The process exits now: the kernel closes the state directory (and its lock), the pidfd and
    // the cgroup fd; closing them one by one would only cost syscalls.
    core::mem::forget(create(g, o, true)?);
    Ok(0)
}

/// A container whose init is ready and waiting for `start`.
pub struct Created {
    /// The state directory, still locked.
    pub container: Container,
    pub state: State,
    /// A pidfd of the init (our child: `run` waits for it through this).
    pub pidfd: OwnedFd,
    pub cgroup: Option<Cgroup>,
    /// The pty master of a terminal container without a console socket (`run` in the foreground
    /// relays it); None otherwise.
    pub console: Option<OwnedFd>,
    /// create's read-write end of the exec fifo. `create` exits with it (no close(2)); `run` must
    /// drop it before `start`, or the fifo would keep a reader after the init is gone.
    pub exec_fifo: Option<OwnedFd>,
}

/// Reads and parses `<bundle>/config.json`.
pub fn read_config(bundle: &str) -> Result<Vec<u8>> {
    let path = alloc::format!("{bundle}/config.json");
    let fd = rustix::fs::open(cs(&path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {path}"))?;
    let data = crate::rt::io::read_fd(fd.as_fd()).context(format_args!("read {path}"))?;
    crate::rt::done_with(fd);
    Ok(data)
}

/// `detached`: nobody stays to relay a terminal (create, `run -d`); see `tty::check_use`.
pub fn create(g: &Global, o: &CreateOpts, detached: bool) -> Result<Created> {
    let bundle = super::absolute(o.bundle.unwrap_or("."))?;
    let p = crate::trace::phase("config");
    let config = read_config(&bundle)?;
    let mut spec = spec::parse_config(&config).context("config.json")?;
    drop(p);
    let p = crate::trace::phase("validation");
    let terminal = spec.process.as_ref().is_some_and(|p| p.terminal).then_some("process.terminal");
    crate::tty::check_use(terminal, o.console_socket, detached)?;
    let rootfs = rootfs_path(&spec, &bundle)?;
    // The euid for the rootless rules and the state's owner: from the auxiliary vector (no
    // syscall; nothing changes it before here), else one geteuid.
    let euid = crate::rt::exec_ids().map_or_else(|| rustix::process::geteuid().as_raw(), |(_, e, _, _)| e);
    let inv = super::validate::Invocation { no_pivot: o.no_pivot, euid, systemd_cgroup: g.systemd_cgroup };
    super::validate::check(&spec, &inv)?;
    drop(p);
    let p = crate::trace::phase("seccomp compile");
    let seccomp = match spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) {
        Some(s) => Some(crate::seccomp::compile(&crate::seccomp::config::from_spec(s)?).context("linux.seccomp")?),
        None => None,
    };
    drop(p);
    let p = crate::trace::phase("namespaces and mounts plan");
    let plan = ns::plan(&spec)?;
    // Id-mapped mount trees are made on the host side (they need the host's root); the init only
    // attaches them. Nothing happens without idmap mounts.
    let mounts = crate::init::rootfs::prepare(&spec, &bundle)?;
    // The engine's console socket is connected before anything is made: a wrong path fails here.
    let console_socket = o.console_socket.map(crate::tty::socket::connect).transpose()?;
    drop(p);

    let p = crate::trace::phase("state dir");
    let container = Store::new(&g.root).create(o.id)?;
    super::notify::add_to_spec(&mut spec, container.path());
    // The channel right after the state directory: the two fds the init must close (the
    // directory's, which carries create's lock, and create's end of the channel) are then
    // adjacent, and one close_range closes both (see `close_in_init`).
    let (parent_end, child_end) = match channel::pair() {
        Ok(p) => p,
        Err(e) => {
            let _ = container.remove();
            return Err(e);
        }
    };
    drop(p);
    let mut undo = Undo { container: Some(container), init: None, cgroup: None, chan: Some(parent_end), net: None };
    let console = crate::tty::Handoff::new(console_socket.as_ref());
    let setup_result =
        setup(g, o, euid, &spec, &config, &bundle, &rootfs, &plan, seccomp.as_ref(), &mounts, console, child_end, &mut undo);
    match setup_result {
        Ok((state, pidfd, console, exec_fifo)) => {
            let container = undo.container.take().ok_or_else(|| Error::msg("internal: state directory lost"))?;
            Ok(Created { container, state, pidfd, cgroup: undo.cgroup.take(), console, exec_fifo: Some(exec_fifo) })
        }
        Err(e) => {
            undo.run();
            Err(e)
        }
    }
}

/// The init's start time as /proc/<pid>/stat shows it to create (field 22: clock ticks of
/// CLOCK_BOOTTIME, USER_HZ = 100, in create's time namespace), known without reading that file:
/// the kernel stamps the child inside clone3, so a boottime read just before and one just after
/// that fall in the same tick give it exactly. Clocks through the vDSO: no syscall. When clone3
/// straddles a tick (about one create in 20 here) or there is no vDSO, create reads the file
/// after "ready" as before (2 syscalls).
fn boottime_tick() -> Option<i64> {
    const CLOCK_BOOTTIME: i32 = 7;
    const NSEC_PER_TICK: i64 = 1_000_000_000 / 100;
    let (sec, nsec) = crate::rt::vdso::clock_gettime(CLOCK_BOOTTIME)?;
    Some((sec * 1_000_000_000 + nsec) / NSEC_PER_TICK)
}

/// The tick two `boottime_tick` reads both fall in, if they do (see there).
fn same_tick(before: Option<i64>, after: Option<i64>) -> Option<u64> {
    match (before, after) {
        (Some(a), Some(b)) if a == b && a >= 0 => Some(a as u64),
        _ => None,
    }
}

/// What to tear down if create fails part-way.
struct Undo<'s> {
    container: Option<Container>,
    init: Option<OwnedFd>,
    cgroup: Option<Cgroup>,
    /// create's end of the channel: closed only after the init is dead, so that the init never
    /// sees create go away (and says so on stderr) while create reports its own error.
    chan: Option<channel::Channel>,
    /// Network devices moved into the init's namespace: given back before the init dies.
    net: Option<super::netdev::Moved<'s>>,
}

impl Undo<'_> {
    fn run(&mut self) {
        if let Some(net) = self.net.take() {
            net.give_back();
        }
        if let Some(pidfd) = self.init.take() {
            let _ = syscalls::signal::pidfd_send_signal(&pidfd, 9);
            let _ = rustix::process::waitid(
                rustix::process::WaitId::PidFd(pidfd.as_fd()),
                rustix::process::WaitIdOptions::EXITED,
            );
        }
        if let Some(cg) = self.cgroup.take() {
            // A hook or a forked helper may still be in it: kill what is left, then remove.
            let _ = cg.kill_all(rustix::process::Signal::KILL);
            let _ = cg.destroy();
        }
        if let Some(c) = self.container.take() {
            let _ = c.remove();
        }
        self.chan = None;
    }
}

/// root.path made absolute against the bundle. That it is a directory is found by the init, whose
/// first use of it (the bind onto itself, or the chdir without a mount namespace) fails with an
/// error naming root.path, and create then removes what it made (a stat here would be one syscall
/// more on every create for an error path).
fn rootfs_path(spec: &Spec, bundle: &str) -> Result<String> {
    let root = spec.root.as_ref().ok_or_else(|| Error::msg("root: missing"))?;
    if root.path.is_empty() {
        crate::bail!("root.path: missing");
    }
    let path = if root.path.starts_with('/') {
        super::absolute(&root.path)?
    } else {
        super::absolute(&alloc::format!("{bundle}/{}", root.path))?
    };
    Ok(path)
}

#[allow(clippy::too_many_arguments)]
fn setup<'s>(
    g: &Global,
    o: &CreateOpts,
    euid: u32,
    spec: &'s Spec,
    config: &[u8],
    bundle: &str,
    rootfs: &str,
    plan: &Plan,
    seccomp: Option<&crate::seccomp::Filter>,
    mounts: &crate::init::rootfs::Prepared,
    mut console: crate::tty::Handoff<'_>,
    child_end: channel::Channel,
    undo: &mut Undo<'s>,
) -> Result<(State, OwnedFd, Option<OwnedFd>, OwnedFd)> {
    let parent_end = undo.chan.as_ref().ok_or_else(|| Error::msg("internal: no channel"))?;
    let mut state = initial_state(o, euid, spec, config, bundle, rootfs)?;
    let linux = spec.linux.as_ref();
    let resources = linux.and_then(|l| l.resources.as_ref());
    let c = undo.container.as_ref().ok_or_else(|| Error::msg("internal: no state directory"))?;
    // Before anything is made, record what will be: a create killed from here on leaves enough
    // for `delete --force` to find it (state/creating.rs). Only the cgroup2 directory exists
    // before clone3 (CLONE_INTO_CGROUP needs it); the v1 directories, the limits and the device
    // filter are made after it, while the init sets itself up on the other CPU (see
    // Context::cgroups_ready). With --systemd-cgroup nothing is made yet: systemd creates the
    // unit around the init after clone3 (PIDs=[init]), so clone_into_fd is None and the init
    // waits in rsrun's cgroup.
    let cgroups_path = linux.and_then(|l| l.cgroups_path.as_deref());
    let p = crate::trace::phase("cgroups");
    let mut cgroup = Cgroup::plan(cgroups_path, o.id.as_str(), g.systemd_cgroup)?;
    cgroup.add_unit_properties(&spec.annotations)?;
    let record = c.record_creation(&creation_record(Some(&cgroup), true))?;
    if super::notify::in_spec(spec) {
        super::notify::make_dir(c)?;
    }
    // Rootless (container/userns.rs): the whole cgroup is made before clone3, so that a cgroup
    // the user may not write is known before there is an init to undo.
    let rootless = euid != 0 || g.rootless == Rootless::True;
    let early = rootless && !g.systemd_cgroup;
    let mut made = cgroup.make_unified();
    if made.is_ok() && early {
        made = cgroup.finish(resources, 0);
        if made.is_err() {
            let _ = cgroup.destroy();
        }
    }
    undo.cgroup = match made {
        Ok(()) => Some(cgroup),
        Err(e) if g.rootless != Rootless::False && (rootless || crate::ns::in_user_namespace()) => {
            super::userns::without_cgroup(e, cgroups_path, resources)?;
            record.rewrite(&creation_record(None, false))?;
            None
        }
        Err(e) => return Err(e),
    };
    // Device rules need a device filter, which an unprivileged user cannot load (runc ignores them).
    let devices = !rootless && undo.cgroup.is_some();
    drop(p);

    // The exec fifo: the init holds it open read-write (so opening it never blocks and `start` can
    // tell a live init from a dead one: O_WRONLY|O_NONBLOCK fails with ENXIO without a reader) and
    // reads one byte, which `start` writes.
    let p = crate::trace::phase("exec fifo");
    rustix::fs::mknodat(c.dir(), cs(EXEC_FIFO), rustix::fs::FileType::Fifo, Mode::from_raw_mode(0o600), 0)
        .context(format_args!("create {}/{EXEC_FIFO}", c.path()))?;
    let fifo = rustix::fs::openat(c.dir(), cs(EXEC_FIFO), OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("open {}/{EXEC_FIFO}", c.path()))?;
    drop(p);

    let new_userns = plan.clone.contains(CloneFlags::NEWUSER);
    let hooks = spec.hooks.as_ref();
    // The init joins its v1 cgroups itself once they are made (Cgroup::join_self_v1: no global
    // lock, no RCU wait); in a new user namespace it may not write the host's cgroup files, so the
    // parent joins it.
    let init_joins_cgroups = !new_userns;
    let wait_go = new_userns
        || plan.pid_fork
        || hooks.is_some_and(|h| !h.create_container.is_empty() || !h.start_container.is_empty());
    let cgroup = undo.cgroup.as_ref();
    let gate = init::CgroupGate {
        chan: &child_end,
        cgroup,
        join: init_joins_cgroups,
        done: core::cell::Cell::new(false),
    };

    let ctx = InitContext {
        spec,
        id: o.id.as_str(),
        bundle,
        rootfs,
        no_pivot: o.no_pivot,
        preserve_fds: o.preserve_fds + listen_fds().unwrap_or(0),
        listen_fds: listen_fds(),
        new_userns: plan.all.contains(CloneFlags::NEWUSER),
        new_cgroupns: plan.all.contains(CloneFlags::NEWCGROUP),
        cgroup,
        cgroups_ready: &|| gate.pass(),
        install_seccomp: &|| {
            let _p = crate::trace::phase("seccomp load");
            if let Some(filter) = seccomp
                && let Some(fd) = crate::seccomp::install::install(filter)?
            {
                child_end.send(&Msg::SeccompFd(fd))?;
            }
            Ok(())
        },
    };
    let mut args = CloneArgs::new(plan.clone | CloneFlags::PIDFD);
    args.cgroup = cgroup.and_then(Cgroup::clone_into_fd);
    let p = crate::trace::phase("clone3");
    let before = boottime_tick();
    // SAFETY: rsrun is single-threaded; the child runs the container init and never returns.
    let forked = unsafe { clone3(&args) }.map_err(|e| crate::ns::refused("clone3", plan.clone, e))?;
    let (mut pid, pidfd) = match forked {
        Fork::Child => {
            crate::trace::child();
            close_in_init(c.dir(), c.claim_fd(), parent_end);
            if let Some(cg) = cgroup {
                cg.close_in_child();
            }
            // The parent's values are never dropped here: `init::run` ends in exec or exit.
            let launch = Launch {
                plan,
                chan: &child_end,
                fifo: fifo.as_fd(),
                wait_go,
                dumpable_until_go: new_userns,
                state: &state,
                mounts,
            };
            init::run(&ctx, &launch)
        }
        Fork::Parent { pid, pidfd } => (pid, pidfd.ok_or_else(|| Error::msg("clone3 returned no pidfd"))?),
    };
    // With a PID namespace joined by path the init is forked later, by this child: not bracketed.
    let known_start = if plan.pid_fork { None } else { same_tick(before, boottime_tick()) };
    undo.init = Some(pidfd);
    // Closed now: the init must be the only one holding it, so that its death reads as the end of
    // the stream. The fifo goes back to the caller (see `Created::exec_fifo`).
    drop(child_end);
    drop(p);

    if new_userns {
        let _p = crate::trace::phase("id maps");
        super::userns::write_id_maps(spec, pid.as_raw_nonzero().get(), euid)?;
    }
    state.pid = pid.as_raw_nonzero().get();
    if linux.is_some_and(|l| !l.net_devices.is_empty()) {
        // The network namespace exists since clone3 (or is the path's: see netdev::validate; with
        // a PID namespace to fork into, the first child's is the init's). Moved before Go, so that
        // createContainer hooks find the devices; prestart and createRuntime hooks run from
        // create's wait below, and the container's process only after "ready" and `start`.
        let _p = crate::trace::phase("net devices");
        undo.net = super::netdev::move_in(spec, plan, state.pid)?;
    }
    if wait_go {
        parent_end.send(&Msg::Go(state.pid))?;
    }

    // The second half of the cgroup while the init sets up: v1 directories, limits, device filter.
    let p = crate::trace::phase("cgroups finish");
    if let Some(cgroup) = undo.cgroup.as_mut() {
        // With systemd the unit is started with the init in it (with a PID namespace joined by
        // path, the first child: the init it forks inherits the unit's cgroup).
        if !early {
            cgroup.finish(resources, state.pid as u32)?;
        }
        if !cgroup.made_as_planned() {
            // The record assumed the usual case (state/creating.rs): say what was really made.
            record.rewrite(&creation_record(Some(cgroup), false))?;
        }
        if !init_joins_cgroups {
            // With a PID namespace joined by path this is the first child, before it forks the
            // init (which inherits the cgroups): it waits for CgroupsReady before the fork.
            cgroup.join_v1(state.pid as u32)?;
        }
    }
    // A send that fails because the init has died is no error here: its error message is
    // already queued for us, or its end of the stream.
    if let Err(e) = parent_end.send(&Msg::CgroupsReady)
        && !matches!(e.errno(), Some(rustix::io::Errno::PIPE | rustix::io::Errno::CONNRESET))
    {
        return Err(e);
    }
    drop(p);

    // Messages of the init that came before InitPid (see below), handled in order after it.
    let mut early: Vec<Msg> = Vec::new();
    if plan.pid_fork {
        // The first child forks the real init into the PID namespace (after CgroupsReady: a new
        // cgroup namespace must be unshared inside the cgroup, before that fork) and exits: reap
        // it and follow the init instead. Both write to the one channel: on a busy machine the
        // init may get a message (RuntimeHooks, SeccompFd, Console, even Ready) in before the
        // first child's InitPid. Those wait until the init's pid is known (hooks need it).
        let mut msg = parent_end.recv()?;
        while matches!(msg, Msg::RuntimeHooks | Msg::SeccompFd(_) | Msg::Console(_) | Msg::Ready) {
            let done = matches!(msg, Msg::RuntimeHooks | Msg::Ready);
            early.push(msg);
            if done {
                // The init now waits for HooksDone (or has finished): only InitPid can follow.
                msg = parent_end.recv()?;
                break;
            }
            msg = parent_end.recv()?;
        }
        match msg {
            Msg::InitPid(p) => {
                let first = undo.init.take().ok_or_else(|| Error::msg("internal: no init pidfd"))?;
                let _ = rustix::process::waitid(
                    rustix::process::WaitId::PidFd(first.as_fd()),
                    rustix::process::WaitIdOptions::EXITED,
                );
                pid = Pid::from_raw(p).ok_or_else(|| Error::msg("container setup: bad init pid"))?;
                undo.init =
                    Some(rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).context("pidfd_open")?);
                state.pid = p;
            }
            Msg::Error(text) => return Err(Error::msg(crate::rt::lossy(&text))),
            Msg::Closed => return Err(init_died(undo.init.as_ref())),
            _ => return Err(Error::msg("container setup: unexpected message")),
        }
    }

    let p = crate::trace::phase("device filter");
    if let Some(cgroup) = undo.cgroup.as_ref() {
        // The device filter (BPF verification and JIT: ~0.3 ms) while the init joins and finishes
        // its setup: it is attached before we read the init's "ready", so before `start` can let
        // the container's process run.
        if devices {
            cgroup.apply_devices(resources.map_or(&[][..], |r| &r.devices[..]), true)?;
        }
        let mut w = crate::json::Writer::new();
        cgroup.to_json(&mut w);
        state.set_extra("cgroup", core::str::from_utf8(w.as_bytes()).unwrap_or("null"));
    }
    drop(p);

    let p = crate::trace::phase("wait for init");
    early.reverse();
    loop {
        let msg = match early.pop() {
            Some(m) => m,
            None => parent_end.recv()?,
        };
        match msg {
            Msg::Ready => break,
            Msg::Error(text) => return Err(Error::msg(crate::rt::lossy(&text))),
            Msg::RuntimeHooks => {
                let mut w = crate::json::Writer::new();
                state.write_hook_state(&mut w, Status::Creating);
                let input = w.into_bytes();
                if let Some(h) = hooks {
                    let _p = crate::trace::phase("prestart, createRuntime hooks");
                    crate::hooks::run_all("prestart", &h.prestart, &input)?;
                    crate::hooks::run_all("createRuntime", &h.create_runtime, &input)?;
                }
                parent_end.send(&Msg::HooksDone)?;
            }
            Msg::SeccompFd(fd) => send_to_seccomp_agent(spec, &state, Status::Creating, &fd)?,
            Msg::Console(fd) => console.received(fd)?,
            Msg::Closed => return Err(init_died(undo.init.as_ref())),
            Msg::InitPid(_) | Msg::Go(_) | Msg::HooksDone | Msg::CgroupsReady => {
                return Err(Error::msg("container setup: unexpected message"));
            }
        }
    }
    drop(p);

    let _p = crate::trace::phase("state write");
    state.start_time = match known_start {
        Some(t) => t,
        None => {
            crate::state::proc_stat(state.pid)?
                .ok_or_else(|| Error::msg("the container init exited right after setup"))?
                .start_time
        }
    };
    record.commit(c, &state)?;
    if let Some(path) = o.pid_file {
        write_pid_file(path, state.pid)?;
    }
    let pidfd = undo.init.take().ok_or_else(|| Error::msg("internal: no init pidfd"))?;
    // The init no longer reads the channel; the kernel closes our end when we exit.
    if let Some(chan) = undo.chan.take() {
        chan.done();
    }
    Ok((state, pidfd, console.into_kept(), fifo))
}

/// The creation record (state/creating.rs): the cgroup as it will be (`planned`) or as made.
fn creation_record(cgroup: Option<&Cgroup>, planned: bool) -> Vec<u8> {
    let mut w = crate::json::Writer::new();
    w.begin_object().field_bool(crate::state::CREATING, true);
    match cgroup {
        Some(cg) if planned => cg.to_json_as_made(w.key("cgroup")),
        Some(cg) => cg.to_json(w.key("cgroup")),
        None => {}
    }
    w.end_object();
    w.into_bytes()
}

/// In the init, right after clone3: closes the state directory's fd (it carries create's flock,
/// which `start` and `delete` wait for), the claim's fd (state.json, see state/mod.rs) and create's
/// end of the channel. With only its own end open, the init reads the end of the stream wherever it
/// waits for create, and a send fails, once create is gone: a create killed before "ready" never
/// leaves an init waiting forever. One close_range when the fds are consecutive (create opens them
/// one after the other, so they are unless fds it inherited leave gaps), else one close each.
fn close_in_init(dir: BorrowedFd<'_>, claim: Option<BorrowedFd<'_>>, parent_end: &channel::Channel) {
    use rustix::fd::AsRawFd;
    let (a, b) = (dir.as_raw_fd(), parent_end.as_raw_fd());
    let mid = claim.map(|c| c.as_raw_fd());
    let consecutive = match mid {
        Some(m) => m == a + 1 && b == a + 2,
        None => b == a + 1,
    };
    // SAFETY: these fds belong to this (child) process's copy of the table and are never used
    // again here: the parent's `Container` and `Channel` values are not used or dropped in the
    // child, which ends in exec or exit. The range holds exactly these fds when `consecutive`.
    unsafe {
        let one_call =
            consecutive && syscalls::fd::close_range(a as u32, b as u32, syscalls::fd::CloseRangeFlags::empty()).is_ok();
        if !one_call {
            rustix::io::close(a);
            if let Some(m) = mid {
                rustix::io::close(m);
            }
            rustix::io::close(b);
        }
    }
}

/// Hands the init's seccomp notify fd to the agent at linux.seccomp.listenerPath, with the
/// runtime-spec "container process state" as the message.
pub(crate) fn send_to_seccomp_agent(spec: &Spec, state: &State, status: Status, fd: &OwnedFd) -> Result<()> {
    let Some(sc) = spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) else {
        return Ok(());
    };
    let Some(path) = sc.listener_path.as_deref() else {
        return Ok(());
    };
    let mut w = crate::json::Writer::new();
    w.begin_object()
        .field_str("ociVersion", crate::cli::SPEC_VERSION)
        .key("fds")
        .begin_array()
        .str("seccompFd")
        .end_array()
        .field_i64("pid", state.pid.into())
        .field_str("metadata", sc.listener_metadata.as_deref().unwrap_or(""))
        .key("state");
    state.write_hook_state(&mut w, status);
    w.end_object();
    crate::seccomp::install::send_to_listener(path, w.as_bytes(), fd.as_fd()).context("linux.seccomp.listenerPath")
}

/// The error when the init ended without saying why (killed, or crashed).
fn init_died(pidfd: Option<&OwnedFd>) -> Error {
    let status = pidfd.and_then(|p| {
        rustix::process::waitid(rustix::process::WaitId::PidFd(p.as_fd()), rustix::process::WaitIdOptions::EXITED)
            .ok()
            .flatten()
    });
    match status {
        Some(s) => Error::msg(format_args!("the container init ended during setup ({})", crate::spawn::describe(&s))),
        None => Error::msg("the container init ended during setup"),
    }
}

fn initial_state(o: &CreateOpts, euid: u32, spec: &Spec, config: &[u8], bundle: &str, rootfs: &str) -> Result<State> {
    let mut st = State {
        oci_version: spec.oci_version.as_ref().into(),
        id: o.id.as_str().into(),
        bundle: bundle.into(),
        rootfs: rootfs.into(),
        created: crate::rt::lossy(&crate::rt::time::rfc3339(crate::rt::time::realtime())).into_owned(),
        owner: euid,
        ..State::default()
    };
    // Annotations and the hooks that later verbs run are kept as their raw JSON from config.json.
    if !spec.annotations.is_empty()
        || spec.hooks.as_ref().is_some_and(|h| !h.poststart.is_empty() || !h.poststop.is_empty())
    {
        let doc = crate::json::parse(config).map_err(Error::msg)?;
        let root = doc.root();
        if let Some(a) = root.get("annotations").filter(|a| !a.is_null()) {
            st.annotations = Some(a.text().into());
        }
        if let Some(h) = root.get("hooks").filter(|h| !h.is_null()) {
            st.set_extra("hooks", h.text());
        }
    }
    Ok(st)
}

/// LISTEN_FDS from rsrun's environment (socket activation): that many fds from 3 are passed on.
fn listen_fds() -> Option<u32> {
    let v = crate::rt::getenv(b"LISTEN_FDS")?;
    crate::rt::parse_u32(core::str::from_utf8(v).ok()?).filter(|&n| n > 0)
}

/// The pid file engines ask for: written whole to a temporary name, then renamed into place, so a
/// reader never sees a partial pid.
pub(crate) fn write_pid_file(path: &str, pid: i32) -> Result<()> {
    let path = super::absolute(path)?;
    let tmp = alloc::format!("{path}.tmp");
    let what = || alloc::format!("write pid file {path}");
    let fd = rustix::fs::open(
        cs(&tmp),
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .with_context(what)?;
    let text = alloc::format!("{pid}");
    crate::rt::write_all(fd.as_fd(), text.as_bytes()).with_context(what)?;
    drop(fd);
    match rustix::fs::rename(cs(&tmp), cs(&path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = rustix::fs::unlink(cs(&tmp));
            Err(Error::sys(what(), e))
        }
    }
}
