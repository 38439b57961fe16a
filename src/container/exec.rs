//! `rsrun exec`: runs one more process in a running container.
//!
//! rsrun (the parent), from its sealed copy (CVE-2019-5736):
//! 1. checks everything it can before making anything: the container is running (paused only
//!    with --ignore-paused), the process (`exec_process::compose`, then `process::validate`: an
//!    AppArmor profile or SELinux label this host cannot apply is refused), terminal misuse
//!    (`tty::check_use`), the container's seccomp profile compiled; connects the console socket;
//! 2. opens a pidfd of the init (start time checked: never a recycled pid), makes itself
//!    non-dumpable (the child inherits it before it can be seen from the container: CVE-2016-9962),
//!    joins the init's PID (and time) namespace for its children only, and forks once with clone3:
//!    the child is born inside the container's PID namespace and, on cgroup v2, inside the
//!    container's cgroup (CLONE_INTO_CGROUP, or the --cgroup sub-cgroup);
//! 3. relays what the child sends on the setup channel (the pty master, a seccomp notify fd, an
//!    error) until the channel's end: the child has exec'd. Then --pid-file, and with --detach exit
//!    0; in the foreground forward signals (relay the terminal) and exit with the process's status
//!    (128 + signal when a signal ended it).
//!
//! The child: closes the host fds it does not need, joins its v1 cgroups (host paths, so before the
//! mount namespace), joins every other namespace of the init in one setns on the pidfd, makes the pty
//! (process.terminal) from the container's devpts and hands the master over, then the same
//! `process::prepare`/`apply`/`exec` as the container init (docs/process.md): rlimits, labels,
//! user, capabilities, no_new_privs, seccomp, umask, cwd (checked to be inside the container:
//! CVE-2024-21626), every fd not passed on closed, execve.
//!
//! Errors of rsrun exit 255, as runc's (cli::main).
use super::exec_process;
use crate::cgroups::Cgroup;
use crate::channel::{self, Channel, Msg};
use crate::cli::{ExecOpts, Global};
use crate::error::{Context as _, Error, Result};
use crate::init::process::{self, Role};
use crate::init::Context;
use crate::spec::{self, Spec};
use crate::state::{State, Status, Store};
use crate::tty::relay::Relay;
use core::convert::Infallible;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::process::WaitIdStatus;
use syscalls::process::{CloneArgs, CloneFlags, Fork, clone3, exit_group};
use syscalls::signal::{How, SigSet, SignalfdFlags, rt_sigprocmask, signalfd4};

const SIGCHLD: i32 = 17;

/// Errors exit 255 (cli::main).
pub fn run(g: &Global, o: &ExecOpts) -> Result<i32> {
    super::selfexe::ensure_sealed_copy(crate::rt::raw_argv(), crate::rt::raw_envp())?;
    let c = Store::new(&g.root).get(o.id)?;
    let st = c.load()?;
    match c.status(&st)? {
        Status::Running => {}
        Status::Paused if o.ignore_paused => {}
        Status::Paused => crate::bail!("cannot exec in a paused container (use --ignore-paused to override)"),
        s => crate::bail!("cannot exec in a {s} container: container not running"),
    }
    drop(c);
    let config = super::create::read_config(&st.bundle)?;
    let mut spec = spec::parse_config(&config).context("config.json")?;
    let file = o.process.map(read_file).transpose()?;
    let file_process = match &file {
        Some(data) => {
            let doc = crate::json::parse(data).map_err(|e| Error::msg(format_args!("--process: {e}")))?;
            Some(spec::parse_process(doc.root()).context("--process")?)
        }
        None => None,
    };
    spec.process = Some(exec_process::compose(o, spec.process.take(), file_process)?);
    let spec = spec;
    process::validate(&spec)?;
    let terminal = spec.process.as_ref().is_some_and(|p| p.terminal);
    let what = if o.process.is_some() { "process.terminal" } else { "--tty" };
    crate::tty::check_use(terminal.then_some(what), o.console_socket, o.detach)?;
    let seccomp = match spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) {
        Some(s) => Some(crate::seccomp::compile(&crate::seccomp::config::from_spec(s)?).context("linux.seccomp")?),
        None => None,
    };
    let mut cgroup = super::delete::cgroup(&st)?;
    if !o.cgroup.is_empty() {
        cgroup.as_mut().ok_or_else(|| Error::msg("--cgroup: the container has no cgroup recorded"))?.use_sub(&o.cgroup)?;
    }
    if let Some(cg) = cgroup.as_mut() {
        cg.open_unified()?;
    }
    let console_socket = o.console_socket.map(crate::tty::socket::connect).transpose()?;
    let pidfd = super::process::open_init(&st)?.ok_or_else(|| Error::msg("container not running"))?;

    let namespaces = crate::ns::listed(&spec);
    // PID and time namespaces apply to the children of whoever joins them: rsrun joins them so its
    // one child is born inside. Rootless, only the container's user namespace gives the right to
    // (the user has every capability there, none over namespaces it owns from outside): rsrun
    // joins that first, and the child, born in it, does not join it again.
    let mut parent_joins = namespaces & (CloneFlags::NEWPID | CloneFlags::NEWTIME);
    if !parent_joins.is_empty() && namespaces.contains(CloneFlags::NEWUSER) && rustix::process::geteuid().as_raw() != 0 {
        parent_joins |= CloneFlags::NEWUSER;
    }
    let run =
        Run { spec: &spec, st: &st, o, cgroup: cgroup.as_ref(), seccomp: seccomp.as_ref(), namespaces, parent_joins, terminal };
    run.go(pidfd.as_fd(), console_socket.as_ref())
}

fn read_file(path: &str) -> Result<alloc::vec::Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(crate::rt::cs(path), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .context(format_args!("--process: open {path}"))?;
    crate::rt::io::read_fd(fd.as_fd()).context(format_args!("--process: read {path}"))
}

/// Everything checked and prepared; what is left makes the process.
struct Run<'r, 'a> {
    spec: &'r Spec<'a>,
    st: &'r State,
    o: &'r ExecOpts<'r>,
    cgroup: Option<&'r Cgroup>,
    seccomp: Option<&'r crate::seccomp::Filter>,
    namespaces: CloneFlags,
    /// The namespaces rsrun itself joins before the fork (the rest: the child).
    parent_joins: CloneFlags,
    terminal: bool,
}

impl Run<'_, '_> {
    fn go(&self, init: BorrowedFd<'_>, console_socket: Option<&OwnedFd>) -> Result<i32> {
        let foreground = !self.o.detach;
        // The foreground forwards every signal it can catch: blocked before the child exists, so
        // none is lost (they queue on the signalfd); the child clears the mask before it execs.
        let signals = if foreground {
            let mut set = SigSet::all();
            set.remove(9);
            set.remove(19);
            rt_sigprocmask(How::Block, &set).context("block signals")?;
            Some(signalfd4(&set, SignalfdFlags::CLOEXEC).context("signalfd")?)
        } else {
            None
        };
        // Inherited by the child at fork: it is never dumpable while it can be seen from the
        // container, and rsrun itself has no reason to be.
        process::make_undumpable()?;
        // PID and time namespaces apply to the children of whoever joins them: the one child is
        // born inside them.
        crate::ns::join_process(init, self.st.pid, self.parent_joins)?;
        let (parent_end, child_end) = channel::pair()?;
        let mut args = CloneArgs::new(CloneFlags::PIDFD);
        args.cgroup = self.cgroup.and_then(Cgroup::clone_into_fd);
        // SAFETY: rsrun is single-threaded; the child ends in execve or exit_group.
        let mut forked = unsafe { clone3(&args) };
        let fallback;
        if matches!(forked, Err(rustix::io::Errno::BUSY))
            && self.o.cgroup.is_empty()
            && let Some(cg) = self.cgroup
        {
            // The container's cgroup takes no processes (it enabled controllers for sub-cgroups):
            // its init's cgroup then, as runc.
            fallback = cg.unified_dir_of(self.st.pid)?;
            args.cgroup = fallback.as_ref().map(|f| f.as_fd());
            // SAFETY: as above.
            forked = unsafe { clone3(&args) };
        }
        if matches!(forked, Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM))
            && args.cgroup.is_some()
            // (rsrun's euid as executed: it has joined the container's user namespace by now)
            && crate::rt::exec_ids().is_some_and(|(_, euid, _, _)| euid != 0)
        {
            // Rootless, and the caller may not move a process into the container's cgroup (the
            // kernel wants write access to the common ancestor's cgroup.procs: a caller outside its
            // delegated subtree has none): the process runs outside it, as runc does then.
            args.cgroup = None;
            // SAFETY: as above.
            forked = unsafe { clone3(&args) };
        }
        let (pid, pidfd) = match forked.context("clone3")? {
            Fork::Child => self.child(init, &child_end),
            Fork::Parent { pid, pidfd } => (pid, pidfd.ok_or_else(|| Error::msg("clone3 returned no pidfd"))?),
        };
        drop(child_end);

        let mut console = crate::tty::Handoff::new(console_socket);
        let mut relay = None;
        let waited = loop {
            match parent_end.recv() {
                Ok(Msg::Closed) => break None,
                Ok(Msg::Console(master)) => {
                    console.received(master)?;
                    if let Some(master) = foreground.then(|| console.take_kept()).flatten() {
                        relay = Some(Relay::new(master)?);
                    }
                    // The child waits for this: the terminal is sized (and rsrun's raw) before the
                    // process starts.
                    let _ = parent_end.send(&Msg::Go(0));
                }
                Ok(Msg::SeccompFd(fd)) => {
                    super::create::send_to_seccomp_agent(self.spec, self.st, Status::Running, &fd)?
                }
                Ok(Msg::Error(text)) => {
                    let _ = wait(pidfd.as_fd());
                    return Err(Error::msg(crate::rt::lossy(&text)));
                }
                Ok(_) => break Some(Error::msg("exec: unexpected message from the process")),
                Err(e) => break Some(e),
            }
        };
        if let Some(e) = waited {
            let _ = syscalls::signal::pidfd_send_signal(&pidfd, 9);
            let _ = wait(pidfd.as_fd());
            return Err(e);
        }
        if let Some(path) = self.o.pid_file {
            super::create::write_pid_file(path, pid.as_raw_nonzero().get())?;
        }
        let Some(signals) = signals else { return Ok(0) };
        let mut on_signal = |sig: i32| -> Result<Option<i32>> {
            if sig != SIGCHLD {
                let _ = syscalls::signal::pidfd_send_signal(&pidfd, sig);
                return Ok(None);
            }
            // EINTR is retried here: this SIGCHLD is consumed, none other may come, and the
            // process would stay an unreaped zombie that keeps its PID namespace's init from
            // ever finishing its exit (tests/fault.rs found it).
            loop {
                match rustix::process::waitid(
                    rustix::process::WaitId::PidFd(pidfd.as_fd()),
                    rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOHANG,
                ) {
                    Ok(Some(st)) => return Ok(Some(exit_code(&st))),
                    Ok(None) => return Ok(None),
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(Error::sys("waitid", e)),
                }
            }
        };
        let code = crate::tty::relay::forward(relay.as_mut(), signals.as_fd(), &mut on_signal)?;
        drop(relay);
        Ok(code)
    }

    /// The child, from clone3 to execve. Never returns.
    fn child(&self, init: BorrowedFd<'_>, chan: &Channel) -> ! {
        let err = match self.setup(init, chan) {
            Err(e) => e,
            Ok(never) => match never {},
        };
        // The parent reports the error (the channel is open until execve succeeds); stderr if
        // rsrun is gone.
        if chan.send(&Msg::Error(err.message().as_bytes().to_vec())).is_err() {
            crate::log::error(err.message());
        }
        exit_group(255)
    }

    fn setup(&self, init: BorrowedFd<'_>, chan: &Channel) -> Result<Infallible> {
        close_host_fds(self.o.preserve_fds.saturating_add(3), [init, chan.as_fd()]);
        // Still in the host's mount namespace: its /proc tells what the caller left ignored.
        process::reset_ignored_signals();
        process::set_initial_affinity(self.spec)?;
        if let Some(cg) = self.cgroup {
            // The v1 hierarchies by host path, before the mount namespace hides them (cgroup2 is
            // done: clone3 put us there).
            cg.join_self_v1()?;
        }
        let rest = self.namespaces - self.parent_joins;
        crate::ns::join_process(init, self.st.pid, rest)?;
        if self.terminal {
            // setns into the mount namespace made the cwd the container's root.
            let pty = crate::tty::Pty::open_in(rustix::fs::CWD)?;
            if let Some(size) = self.spec.process.as_ref().and_then(|p| p.console_size.as_ref()) {
                crate::tty::pty::set_size(pty.master.as_fd(), size)?;
            }
            crate::tty::hand_over(pty, chan)?;
            match chan.recv()? {
                Msg::Go(_) => {}
                Msg::Closed => crate::bail!("exec: rsrun exited before the process started"),
                _ => crate::bail!("exec: unexpected message from rsrun"),
            }
        }
        let install_seccomp = || {
            if let Some(filter) = self.seccomp
                && let Some(fd) = crate::seccomp::install::install(filter)?
            {
                chan.send(&Msg::SeccompFd(fd))?;
            }
            Ok(())
        };
        let ctx = Context {
            spec: self.spec,
            id: self.st.id.as_str(),
            bundle: &self.st.bundle,
            rootfs: &self.st.rootfs,
            no_pivot: false,
            preserve_fds: self.o.preserve_fds,
            listen_fds: None,
            new_userns: self.namespaces.contains(CloneFlags::NEWUSER),
            cgroup: None,
            cgroups_ready: &|| Ok(()),
            new_cgroupns: self.namespaces.contains(CloneFlags::NEWCGROUP),
            install_seccomp: &install_seccomp,
        };
        let prepared = process::prepare(&ctx, Role::Exec)?;
        process::apply(&ctx, &prepared)?;
        // The channel stays open (close-on-exec) into execve: its end tells rsrun the process has
        // really been exec'd, and an execve failure still reaches rsrun.
        Err(process::exec_keeping(&prepared, Some(rustix::fd::AsRawFd::as_raw_fd(chan) as u32)))
    }
}

/// In the child, before it joins the container: closes every fd from 3 + --preserve-fds on but the
/// init's pidfd, its end of the channel and the --log file (CVE-2016-9962: nothing of the host, the
/// state directory, config.json, the cgroup directory, the console socket, rsrun's own binary,
/// stays open while the container can see the process). At most 3 close_range.
fn close_host_fds(first: u32, keep: [BorrowedFd<'_>; 2]) {
    use rustix::fd::AsRawFd;
    let mut kept = [keep[0].as_raw_fd(), keep[1].as_raw_fd(), crate::log::log_fd().map_or(-1, |f| f.as_raw_fd())];
    // Three numbers: a bubble sort, not core's sort (size).
    for i in 0..2 {
        for j in 0..2 - i {
            if kept[j] > kept[j + 1] {
                kept.swap(j, j + 1);
            }
        }
    }
    let mut from = first;
    for fd in kept.into_iter().filter(|&f| f >= first as i32).map(|f| f as u32).chain([u32::MAX]) {
        if fd > from {
            // SAFETY: the parent's values owning fds of these ranges are never used or dropped in
            // the child, which ends in execve or exit_group; the kept fds are outside the ranges.
            let _ = unsafe { syscalls::fd::close_range(from, fd - 1, syscalls::fd::CloseRangeFlags::empty()) };
        }
        from = fd.saturating_add(1);
    }
}

fn wait(pidfd: BorrowedFd<'_>) -> Result<Option<WaitIdStatus>> {
    loop {
        match rustix::process::waitid(rustix::process::WaitId::PidFd(pidfd), rustix::process::WaitIdOptions::EXITED) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.context("waitid"),
        }
    }
}

/// The process's exit code, or 128 + the signal that ended it.
fn exit_code(status: &WaitIdStatus) -> i32 {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => 255,
    }
}
