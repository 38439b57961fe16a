//! Runtime handles (rsrun, crun, runc) with private roots; verbs; long-running containers.
use super::cmd::run_to_files;
use super::*;
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Rsrun,
    Crun,
    Runc,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Rsrun => "rsrun",
            Kind::Crun => "crun",
            Kind::Runc => "runc",
        }
    }
}

/// A runtime binary with its own private `--root` (state directory) under /tmp/rsrun-tests.
///
/// Binaries: rsrun is `CARGO_BIN_EXE_rsrun` (override with RSRUN_BIN, e.g. target/release/rsrun);
/// crun and runc come from PATH (override with CRUN_BIN / RUNC_BIN).
///
/// Every id given to `create`, `run_container` or `spawn` is remembered; on drop the handle kills
/// and force-deletes them, then removes its root.
pub struct Runtime {
    pub kind: Kind,
    bin: PathBuf,
    base: PathBuf,
    root: PathBuf,
    io: PathBuf,
    calls: AtomicU32,
    ids: Mutex<Vec<String>>,
    /// id -> stdout/stderr files of its create or run (the container writes there too).
    io_of: Mutex<HashMap<String, (PathBuf, PathBuf)>>,
}

impl Runtime {
    pub fn new(kind: Kind) -> Runtime {
        require_root();
        let bin = match kind {
            Kind::Rsrun => std::env::var_os("RSRUN_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rsrun"))),
            Kind::Crun => std::env::var_os("CRUN_BIN").map(PathBuf::from).unwrap_or_else(|| "crun".into()),
            Kind::Runc => std::env::var_os("RUNC_BIN").map(PathBuf::from).unwrap_or_else(|| "runc".into()),
        };
        if kind == Kind::Crun {
            check_crun_cgroups();
        }
        let base = test_dir().join(format!("r-{}-{}", kind.name(), unique_suffix()));
        let root = base.join("root");
        let io = base.join("io");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&io).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        Runtime {
            kind,
            bin,
            base,
            root,
            io,
            calls: AtomicU32::new(0),
            ids: Mutex::new(Vec::new()),
            io_of: Mutex::new(HashMap::new()),
        }
    }

    pub fn rsrun() -> Runtime {
        Runtime::new(Kind::Rsrun)
    }

    pub fn crun() -> Runtime {
        Runtime::new(Kind::Crun)
    }

    pub fn runc() -> Runtime {
        Runtime::new(Kind::Runc)
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// The directory holding `root()` and the captured output files (`r-<kind>-<suffix>`).
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The `--root` directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where this runtime keeps `id`'s state (crun, runc and rsrun all use `<root>/<id>`).
    pub fn state_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// `BIN --root ROOT ARGS...`, ready to run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(&self.root).args(args);
        c
    }

    /// Remember `id` for cleanup on drop.
    pub fn track(&self, id: &str) {
        let mut ids = self.ids.lock().unwrap();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }

    /// Runs `BIN --root ROOT ARGS...` with stdin from /dev/null.
    pub fn run(&self, args: &[&str]) -> Out {
        self.exec(args, None, None)
    }

    /// Runs the runtime with `stdin` fed to it.
    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Out {
        self.exec(args, Some(stdin), None)
    }

    /// Runs the runtime. Output goes through files (so a container left running with our stdio cannot
    /// block us); when `for_id` is given, the files are remembered as that container's output.
    fn exec(&self, args: &[&str], stdin: Option<&[u8]>, for_id: Option<&str>) -> Out {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let verb = args.iter().find(|a| !a.starts_with('-')).copied().unwrap_or("x");
        let verb: String = verb.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
        let out_path = self.io.join(format!("{n:04}-{verb}.out"));
        let err_path = self.io.join(format!("{n:04}-{verb}.err"));
        if let Some(id) = for_id {
            self.io_of.lock().unwrap().insert(id.to_string(), (out_path.clone(), err_path.clone()));
        }
        run_to_files(&mut self.command(args), stdin, &out_path, &err_path, timeout())
    }

    /// Runs the runtime with `fds` open at the given numbers without close-on-exec (as a caller
    /// passing fds for --preserve-fds does, or a careless one leaks them); output through files.
    pub fn run_with_fds(&self, args: &[&str], fds: &[(i32, &fs::File)]) -> Out {
        use std::os::unix::process::CommandExt;
        unsafe extern "C" {
            fn dup2(old: i32, new: i32) -> i32;
            fn close(fd: i32) -> i32;
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let out_path = self.io.join(format!("{n:04}-fds.out"));
        let err_path = self.io.join(format!("{n:04}-fds.err"));
        let mut cmd = self.command(args);
        let pairs: Vec<(i32, i32)> = fds.iter().map(|(n, f)| (std::os::fd::AsRawFd::as_raw_fd(*f), *n)).collect();
        // SAFETY: the closure only calls dup2/close (async-signal-safe) on fds of the forked child.
        unsafe {
            cmd.pre_exec(move || {
                // Park every source above the targets first, so a source number equal to a target
                // cannot be overwritten before it is copied.
                for (i, (src, _)) in pairs.iter().enumerate() {
                    if dup2(*src, 900 + i as i32) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                for (i, (_, dst)) in pairs.iter().enumerate() {
                    if dup2(900 + i as i32, *dst) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    close(900 + i as i32);
                }
                Ok(())
            });
        }
        run_to_files(&mut cmd, None, &out_path, &err_path, timeout())
    }

    /// `run --bundle B ID` in the foreground: waits for the container and captures its output (the
    /// container inherits the runtime's stdout/stderr). Exit code is the container's.
    pub fn run_container(&self, bundle: &Bundle, id: &str) -> Out {
        self.run_container_with(bundle, id, &[])
    }

    /// `run [EXTRA...] --bundle B ID`.
    pub fn run_container_with(&self, bundle: &Bundle, id: &str, extra: &[&str]) -> Out {
        self.track(id);
        let b = bundle.path().to_str().unwrap();
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--bundle", b, id]);
        let out = self.exec(&args, None, Some(id));
        if out.timed_out {
            // The runtime was killed, its container may live on: kill it before the test reports.
            self.cleanup(id);
        }
        out
    }

    /// `create --bundle B ID`. The container's stdio goes to files: read them with
    /// `container_output`.
    pub fn create(&self, bundle: &Bundle, id: &str) -> Out {
        self.create_with(bundle, id, &[])
    }

    /// `create [EXTRA...] --bundle B ID`, e.g. extra = ["--pid-file", p].
    pub fn create_with(&self, bundle: &Bundle, id: &str, extra: &[&str]) -> Out {
        self.track(id);
        let b = bundle.path().to_str().unwrap();
        let mut args = vec!["create"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--bundle", b, id]);
        self.exec(&args, None, Some(id))
    }

    pub fn start(&self, id: &str) -> Out {
        self.run(&["start", id])
    }

    pub fn state(&self, id: &str) -> Out {
        self.run(&["state", id])
    }

    /// `kill ID SIGNAL` (SIGNAL as the runtime accepts it: "KILL", "SIGTERM", "9").
    pub fn kill(&self, id: &str, signal: &str) -> Out {
        self.run(&["kill", id, signal])
    }

    pub fn delete(&self, id: &str) -> Out {
        self.run(&["delete", id])
    }

    pub fn delete_force(&self, id: &str) -> Out {
        self.run(&["delete", "--force", id])
    }

    /// `.status` of `state ID`, None if `state` fails.
    pub fn status(&self, id: &str) -> Option<String> {
        let out = self.state(id);
        if !out.success() {
            return None;
        }
        jq_raw(&out.stdout, ".status")
    }

    /// `.pid` of `state ID`, None if `state` fails or has no pid.
    pub fn pid(&self, id: &str) -> Option<i32> {
        let out = self.state(id);
        if !out.success() {
            return None;
        }
        jq_raw(&out.stdout, ".pid").and_then(|p| p.parse().ok()).filter(|p| *p > 0)
    }

    /// Polls `state` until `.status` is `want` or `limit` passes; returns the last status seen.
    pub fn wait_status(&self, id: &str, want: &str, limit: Duration) -> Option<String> {
        let end = Instant::now() + limit;
        loop {
            let s = self.status(id);
            if s.as_deref() == Some(want) || Instant::now() >= end {
                return s;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the container `id` (and its runtime) wrote so far to stdout and stderr, for ids
    /// made with `create` or `run_container`.
    pub fn container_output(&self, id: &str) -> (String, String) {
        let map = self.io_of.lock().unwrap();
        let (o, e) = map.get(id).unwrap_or_else(|| panic!("no output recorded for {id}"));
        (
            String::from_utf8_lossy(&fs::read(o).unwrap_or_default()).into_owned(),
            String::from_utf8_lossy(&fs::read(e).unwrap_or_default()).into_owned(),
        )
    }

    /// create + start a long-running container (e.g. args `sleep 1000`) and return a guard holding
    /// its pid. Dropping the guard kills the process by pid (after checking it is still the same
    /// process) and force-deletes the container.
    pub fn spawn(&self, bundle: &Bundle, id: &str) -> Running<'_> {
        self.create(bundle, id).assert_ok();
        self.start(id).assert_ok();
        let pid = self
            .pid(id)
            .unwrap_or_else(|| panic!("{}: no pid in state of {id}:\n{}", self.name(), self.state(id)));
        let start_time = proc_start_time(pid);
        Running { rt: self, id: id.to_string(), pid, start_time }
    }

    /// Kills `id`'s process (pid from state; the runtime checks it) and force-deletes the container.
    /// Errors are ignored: this is teardown.
    pub fn cleanup(&self, id: &str) {
        if let Some(pid) = self.pid(id)
            && let Some(st) = proc_start_time(pid)
        {
            kill_if_same(pid, st, SIGKILL);
        }
        let _ = self.delete_force(id);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let ids: Vec<String> = std::mem::take(&mut *self.ids.lock().unwrap());
        for id in ids {
            if self.state_dir(&id).exists() {
                self.cleanup(&id);
            }
        }
        remove_tree(&self.base);
    }
}

/// crun refuses a hybrid host while cgroup2 has controllers; say how to fix it instead of letting
/// every test fail with crun's message.
fn check_crun_cgroups() {
    if let Ok(c) = fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers") {
        assert!(
            c.trim().is_empty(),
            "crun cannot run on this hybrid cgroup host while cgroup2 has controllers ({}); run \
             `tools/cgroup-hybrid-for-crun.sh` as root once (tools/setup.sh and tools/test.sh do)",
            c.trim()
        );
    }
}

/// A started container; killed by pid and force-deleted on drop.
pub struct Running<'a> {
    pub rt: &'a Runtime,
    pub id: String,
    /// The container process as seen from the host.
    pub pid: i32,
    /// Its start time (field 22 of /proc/PID/stat), so teardown never kills a recycled pid.
    start_time: Option<u64>,
}

impl Running<'_> {
    /// Is the container process still the one we started and alive (not a zombie)?
    pub fn alive(&self) -> bool {
        self.start_time.is_some() && proc_start_time(self.pid) == self.start_time && !is_zombie(self.pid)
    }

    /// SIGKILL by pid (if still ours), then `delete --force`.
    pub fn stop(&mut self) {
        if let Some(st) = self.start_time.take() {
            kill_if_same(self.pid, st, SIGKILL);
        }
        let _ = self.rt.delete_force(&self.id);
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), None if gone.
pub fn proc_start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm (field 2) may contain spaces and parens: fields after it start past the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

pub(super) fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|i| s[i + 1..].trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// Sends `sig` to `pid` only if it is still the process that started at `start_time`.
pub fn kill_if_same(pid: i32, start_time: u64, sig: i32) -> bool {
    if pid <= 1 || proc_start_time(pid) != Some(start_time) {
        return false;
    }
    // SAFETY: kill has no memory-safety preconditions; pid > 1 and checked to be the same process.
    unsafe { sys::kill(pid, sig) == 0 }
}

/// Whether this rsrun build implements `exec` (a build without it says "not implemented"). Tests
/// that need it print "skipped: rsrun exec not implemented" otherwise, so a branch without exec
/// stays green.
pub fn rsrun_has_exec() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        let rt = Runtime::rsrun();
        let out = rt.run(&["exec", "rsrun-test-exec-probe", "true"]);
        !out.stderr.contains("not implemented")
    })
}

/// `rsrun_has_exec()`, printing the skip line when it is false.
pub fn exec_or_skip() -> bool {
    let has = rsrun_has_exec();
    if !has {
        skip("rsrun exec not implemented");
    }
    has
}
