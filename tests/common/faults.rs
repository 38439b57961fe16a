//! Crash and fault injection with strace: run a runtime verb, kill it (`signal=KILL`) or make one
//! syscall fail (`error=E`) at its N-th call of a given syscall, then look at what is left.
//!
//! strace counts `when=N` per traced process and per syscall, so an injection point is
//! (syscall, N): "the 3rd mkdirat". Without -f only the runtime process is traced (the container
//! init it forks is not); with -f every process it forks is traced too, and the point applies to
//! each of them at its own N-th call.
use super::cmd::run_to_files;
use super::*;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// Whether strace can inject faults here (tools/setup.sh installs it).
pub fn strace_available() -> bool {
    Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// What to do at an injection point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Kill,
    Errno(&'static str),
}

impl Action {
    fn spec(self) -> String {
        match self {
            Action::Kill => "signal=KILL".into(),
            Action::Errno(e) => format!("error={e}"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Kill => "KILL",
            Action::Errno(e) => e,
        }
    }
}

/// One injection point: the `nth` call of `syscall`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    pub syscall: String,
    pub nth: u32,
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.syscall, self.nth)
    }
}

/// The syscalls of one traced process, in order, as injection points.
pub fn points(trace: &str) -> Vec<Point> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::new();
    for line in trace.lines() {
        // "openat(AT_FDCWD, ...) = 3"; signals ("--- SIGCHLD") and exits ("+++") are no syscalls.
        let Some(open) = line.find('(') else { continue };
        let name = &line[..open];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let n = seen.entry(name.to_string()).or_insert(0);
        *n += 1;
        out.push(Point { syscall: name.to_string(), nth: *n });
    }
    out
}

/// Runs `cmd` (a runtime verb) under `strace -ff -o PREFIX` (`-D`: strace is not our child, so a
/// verb that leaves a process behind returns at once) and returns the trace of every process, the
/// verb's own first. `cmd` must not be started yet.
pub fn baseline(cmd: &Command, dir: &Path) -> (Out, Vec<String>) {
    let prefix = dir.join("baseline");
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().starts_with("baseline.") {
            let _ = fs::remove_file(e.path());
        }
    }
    let mut st = Command::new("strace");
    st.arg("-D").arg("-ff").arg("-o").arg(&prefix).arg(cmd.get_program()).args(cmd.get_args());
    let out = run_to_files(&mut st, None, &dir.join("baseline.out"), &dir.join("baseline.err"), timeout());
    // The tracer writes the files as the processes run; give the last ones a moment.
    thread::sleep(Duration::from_millis(200));
    let mut traces: Vec<(u32, String)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid: u32 = name.strip_prefix("baseline.")?.parse().ok()?;
            Some((pid, fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    // The verb's own trace opens with the execve strace made; a forked process's with whatever
    // it did first.
    traces.sort_by_key(|(pid, t)| (!t.starts_with("execve("), *pid));
    (out, traces.into_iter().map(|(_, t)| t).collect())
}

/// Runs `cmd` with one fault: at `point`, `action`. `follow`: trace (and inject into) the
/// processes it forks too (strace -f, detached with -D so that a process left behind does not keep
/// us waiting).
pub fn inject(cmd: &Command, point: &Point, action: Action, follow: bool, io: &Path) -> Out {
    let mut st = Command::new("strace");
    if follow {
        st.arg("-D").arg("-f");
    }
    st.arg("-o").arg("/dev/null");
    st.arg("-e").arg(format!("trace={}", point.syscall));
    st.arg("-e").arg(format!("inject={}:{}:when={}", point.syscall, action.spec(), point.nth));
    st.arg(cmd.get_program()).args(cmd.get_args());
    run_to_files(&mut st, None, &io.join("inject.out"), &io.join("inject.err"), timeout())
}

/// A process whose command line names `id` (strace itself excepted).
#[derive(Debug)]
pub struct Proc {
    pub pid: i32,
    pub cmdline: String,
    /// Blocked reading the container's exec fifo: an init that reported ready and waits for
    /// `start`, a legitimate created container.
    pub on_exec_fifo: bool,
    /// /proc/PID/syscall: the syscall it is blocked in, for messages.
    pub syscall: String,
}

pub fn processes_of(id: &str) -> Vec<Proc> {
    let mut found = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let p = e.path();
        let Ok(raw) = fs::read(p.join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if !cmdline.split(' ').any(|w| w == id) || fs::read_to_string(p.join("comm")).is_ok_and(|c| c.trim() == "strace") {
            continue;
        }
        if proc_state(pid) == Some('Z') {
            continue;
        }
        let syscall = fs::read_to_string(p.join("syscall")).unwrap_or_default().trim().to_string();
        let mut words = syscall.split(' ');
        let on_exec_fifo = words.next() == Some("0")
            && words
                .next()
                .and_then(|fd| i64::from_str_radix(fd.trim_start_matches("0x"), 16).ok())
                .and_then(|fd| fs::read_link(p.join(format!("fd/{fd}"))).ok())
                .is_some_and(|l| l.to_string_lossy().ends_with("/exec.fifo"));
        found.push(Proc { pid, cmdline: cmdline.trim_end().to_string(), on_exec_fifo, syscall });
    }
    found
}

fn proc_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Processes of `id` that wait for something else than `start` (an init left waiting forever for
/// a runtime that is gone), after giving them `grace` to end by themselves.
pub fn orphans(id: &str, grace: Duration) -> Vec<Proc> {
    let end = Instant::now() + grace;
    loop {
        let left: Vec<Proc> = processes_of(id).into_iter().filter(|p| !p.on_exec_fifo).collect();
        if left.is_empty() || Instant::now() >= end {
            return left;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// A directory for the files of one fault run.
pub fn io_dir(rt: &Runtime, name: &str) -> PathBuf {
    let d = rt.base().join(name);
    fs::create_dir_all(&d).unwrap();
    d
}
