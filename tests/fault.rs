//! Fault injection, systematic: `create`, `start`, `run`, `delete` and `exec` are run under
//! strace, which at one syscall either kills the verb (`signal=KILL`) or makes the call fail
//! (ENOSPC, EMFILE, ENOMEM, EINTR). The points are every syscall the verb (or the container init
//! it forks) makes in a normal run, taken from a baseline trace. After each run:
//!
//! - the verb succeeded (the fault was retried or harmless), or it died of the injected SIGKILL, or
//!   it failed with exactly one line on stderr, never an internal error (a panic), never another
//!   signal, never a hang;
//! - no process of the container waits for anything but `start` (an init that reported ready and
//!   blocks on the exec fifo is a legitimate created container; anything else waits forever);
//! - `delete --force` succeeds and leaves nothing: no state directory, no cgroup in any hierarchy,
//!   no host mount, no process (tests/common/leaks.rs).
//!
//! CI runs a representative subset: every point of the syscalls a verb makes once or twice (the
//! distinctive steps: clone3, the state record, the fifo, the channel, the device filter...) plus
//! every 8th point, each with SIGKILL and one of the errnos in turn. `FAULT_SWEEP=all` (what
//! bench/faults.sh sets) runs every point with all five actions. Each test prints its tally.
mod common;

use common::*;
use std::time::Duration;

const ERRNOS: [&str; 4] = ["ENOSPC", "EMFILE", "ENOMEM", "EINTR"];

/// Syscalls that cannot fail (close always releases the fd; its result is ignored).
const NEVER_FAIL: [&str; 10] =
    ["exit_group", "exit", "close", "umask", "geteuid", "getuid", "getegid", "getgid", "getpid", "getppid"];

/// How long the processes of a killed verb may take to end by themselves.
const ORPHAN_GRACE: Duration = Duration::from_secs(5);

fn full_sweep() -> bool {
    std::env::var("FAULT_SWEEP").is_ok_and(|v| v == "all")
}

/// The (point, action) runs for one trace (see the module docs).
fn plan(points: &[Point]) -> Vec<(Point, Action)> {
    let count = |s: &str| points.iter().filter(|p| p.syscall == s).count();
    let mut runs = Vec::new();
    for (i, p) in points.iter().enumerate() {
        // Calls that cannot fail get no error: injected, it would only make them return what
        // their callers rightly assume impossible (rustix asserts it in debug builds). The first
        // execve is strace starting the verb.
        let skip_errors = NEVER_FAIL.contains(&p.syscall.as_str()) || (p.syscall == "execve" && p.nth == 1);
        if full_sweep() {
            runs.push((p.clone(), Action::Kill));
            if !skip_errors {
                runs.extend(ERRNOS.iter().map(|e| (p.clone(), Action::Errno(e))));
            }
        } else if count(&p.syscall) <= 2 || i % 8 == 0 {
            if !(p.syscall == "execve" && p.nth == 1) {
                runs.push((p.clone(), Action::Kill));
            }
            if !skip_errors {
                runs.push((p.clone(), Action::Errno(ERRNOS[i % ERRNOS.len()])));
            }
        }
    }
    runs
}

/// Failures of one sweep, and how many runs there were.
#[derive(Default)]
struct Tally {
    /// Injection points in the baseline trace.
    points: usize,
    runs: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: String, problems: Vec<String>) {
        self.runs += 1;
        if !problems.is_empty() {
            self.failures.push(format!("{what}:\n    {}", problems.join("\n    ")));
        }
    }

    #[track_caller]
    fn report(self, name: &str) {
        let passed = self.runs - self.failures.len();
        println!(
            "fault sweep {name}: {} injection points, {} runs, {passed} passed, {} failed",
            self.points,
            self.runs,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} fault runs failed:\n{}",
            self.failures.len(),
            self.runs,
            self.failures.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
        );
    }
}

/// What a verb run with a fault must have done (see the module docs).
fn verdict(out: &Out, point: &Point, action: Action) -> Vec<String> {
    let mut problems = Vec::new();
    let lines = out.stderr.trim_end().lines().count();
    if out.timed_out {
        problems.push("hung (killed by the harness)".to_string());
    } else if let Some(sig) = out.signal {
        if !(action == Action::Kill && sig == SIGKILL) {
            problems.push(format!("died of signal {sig}"));
        }
    } else if out.code != Some(0) {
        // A failed write of the error message itself leaves stderr empty.
        let message_lost = lines == 0 && point.syscall == "write" && action != Action::Kill;
        if lines != 1 && !message_lost {
            problems.push(format!("{lines} lines on stderr, want one"));
        }
    }
    if out.stderr.contains("internal error") {
        problems.push("an internal error (panic)".to_string());
    }
    if !problems.is_empty() {
        problems.push(format!("exit {:?} signal {:?}, stderr: {}", out.code, out.signal, out.stderr.trim_end()));
    }
    problems
}

/// After a fault: nothing waits forever, `delete --force` works, nothing is left.
fn aftermath(rt: &Runtime, id: &str, leaks: &LeakCheck, problems: &mut Vec<String>) {
    for p in orphans(id, ORPHAN_GRACE) {
        problems.push(format!("process {} left waiting in syscall {} ({})", p.pid, p.syscall, p.cmdline));
    }
    let del = rt.delete_force(id);
    if !del.success() {
        problems.push(format!("delete --force failed: {}", del.stderr.trim_end()));
    }
    let end = std::time::Instant::now() + Duration::from_secs(5);
    let mut left = leaks.find();
    while !left.is_empty() && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        left = leaks.find();
    }
    problems.extend(left.into_iter().map(|l| format!("left after delete --force: {l}")));
}

fn skip_without_strace() -> bool {
    require_root();
    if strace_available() {
        return false;
    }
    println!("skipped: strace is not installed (tools/setup.sh installs it)");
    true
}

fn bundle_str(b: &Bundle) -> &str {
    b.path().to_str().unwrap()
}

/// A config that takes the other paths of create: a PID namespace joined by path (one more fork,
/// InitPid), a new cgroup namespace (unshared by the init once in its cgroups), and hooks run
/// during create (RuntimeHooks/HooksDone on the channel, createContainer in the init).
const OTHER_PATHS: &str = r#".linux.namespaces = [{"type":"pid","path":"/proc/self/ns/pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}] | .hooks = {"prestart":[{"path":"/bin/true"}],"createRuntime":[{"path":"/bin/true"}],"createContainer":[{"path":"/bin/true"}]}"#;

/// `create` with a fault in the runtime process (`follow` false) or in the processes it forks
/// (`follow` true: the first child and the init; strace -f applies the point to every traced
/// process, the runtime included when it makes that many of the call). `patch`: the bundle's config.
fn sweep_create(name: &str, follow: bool, patch: &str) {
    if skip_without_strace() {
        return;
    }
    let bundle = Bundle::with(if patch.is_empty() { "." } else { patch });
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "fault");
    let id = unique_id("fault-base");
    rt.track(&id);
    let (out, traces) = baseline(&rt.command(&["create", "--bundle", bundle_str(&bundle), &id]), &io);
    out.assert_ok();
    rt.delete_force(&id).assert_ok();
    let points: Vec<Point> = if follow {
        traces.iter().skip(1).flat_map(|t| points(t)).collect()
    } else {
        points(&traces[0])
    };
    assert!(points.len() > 20, "a baseline trace of create: {traces:?}");
    let mut tally = Tally { points: points.len(), ..Tally::default() };
    for (point, action) in plan(&points) {
        let id = unique_id("fault-create");
        rt.track(&id);
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = inject(&rt.command(&["create", "--bundle", bundle_str(&bundle), &id]), &point, action, follow, &io);
        let mut problems = verdict(&out, &point, action);
        aftermath(&rt, &id, &leaks, &mut problems);
        tally.check(format!("create, {} at {point}", action.name()), problems);
    }
    tally.report(name);
}

#[test]
fn create_with_a_fault_in_the_runtime() {
    sweep_create("create (runtime)", false, "");
}

#[test]
fn create_with_a_fault_in_the_init() {
    sweep_create("create (init)", true, "");
}

#[test]
fn create_with_a_fault_joining_a_pid_namespace_with_hooks() {
    sweep_create("create, pid namespace by path, cgroupns, hooks (runtime)", false, OTHER_PATHS);
}

#[test]
fn create_with_a_fault_in_the_init_joining_a_pid_namespace_with_hooks() {
    sweep_create("create, pid namespace by path, cgroupns, hooks (init)", true, OTHER_PATHS);
}

/// `start` of a created container with a fault in it; afterwards another `start` either works or
/// fails with one line (a stale fifo must not leave it "created" for ever).
#[test]
fn start_with_a_fault() {
    if skip_without_strace() {
        return;
    }
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "fault");
    let id = unique_id("fault-base");
    rt.create(&bundle, &id).assert_ok();
    let (out, traces) = baseline(&rt.command(&["start", &id]), &io);
    out.assert_ok();
    rt.delete_force(&id).assert_ok();
    let points = points(&traces[0]);
    let mut tally = Tally { points: points.len(), ..Tally::default() };
    for (point, action) in plan(&points) {
        let id = unique_id("fault-start");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.create(&bundle, &id).assert_ok();
        let out = inject(&rt.command(&["start", &id]), &point, action, false, &io);
        let mut problems = verdict(&out, &point, action);
        let again = rt.start(&id);
        if !again.success() && again.stderr.trim_end().lines().count() != 1 {
            problems.push(format!("a second start: {}", again.stderr.trim_end()));
        }
        aftermath(&rt, &id, &leaks, &mut problems);
        tally.check(format!("start, {} at {point}", action.name()), problems);
    }
    tally.report("start");
}

/// `run` (create, start, wait, delete) with a fault in the runtime process: killed while the
/// container runs, the container goes on as with runc (`delete --force` removes it).
#[test]
fn run_with_a_fault() {
    if skip_without_strace() {
        return;
    }
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "fault");
    let id = unique_id("fault-base");
    rt.track(&id);
    let (out, traces) = baseline(&rt.command(&["run", "--bundle", bundle_str(&bundle), &id]), &io);
    out.assert_ok();
    let points = points(&traces[0]);
    let mut tally = Tally { points: points.len(), ..Tally::default() };
    for (point, action) in plan(&points) {
        let id = unique_id("fault-run");
        rt.track(&id);
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = inject(&rt.command(&["run", "--bundle", bundle_str(&bundle), &id]), &point, action, false, &io);
        let mut problems = verdict(&out, &point, action);
        aftermath(&rt, &id, &leaks, &mut problems);
        tally.check(format!("run, {} at {point}", action.name()), problems);
    }
    tally.report("run");
}

/// `delete --force` of a running container with a fault in it; another `delete --force` finishes
/// the job.
#[test]
fn delete_with_a_fault() {
    if skip_without_strace() {
        return;
    }
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "fault");
    let id = unique_id("fault-base");
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    let (out, traces) = baseline(&rt.command(&["delete", "--force", &id]), &io);
    out.assert_ok();
    let points = points(&traces[0]);
    let mut tally = Tally { points: points.len(), ..Tally::default() };
    for (point, action) in plan(&points) {
        let id = unique_id("fault-delete");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.create(&bundle, &id).assert_ok();
        rt.start(&id).assert_ok();
        let out = inject(&rt.command(&["delete", "--force", &id]), &point, action, false, &io);
        let mut problems = verdict(&out, &point, action);
        aftermath(&rt, &id, &leaks, &mut problems);
        tally.check(format!("delete, {} at {point}", action.name()), problems);
    }
    tally.report("delete");
}

/// `exec ID /bin/true` into one running container with a fault in rsrun (`follow` false) or in the
/// process it forks (`follow` true). After each: the verdict as for the other verbs, no process
/// naming the id left waiting (rsrun's child before its execve does), and the container still
/// takes an exec; at the end `delete --force` leaves nothing.
fn sweep_exec(name: &str, follow: bool) {
    if skip_without_strace() || !exec_or_skip() {
        return;
    }
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let io = io_dir(&rt, "fault");
    let id = unique_id("fault-exec");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.create(&bundle, &id).assert_ok();
    rt.start(&id).assert_ok();
    let (out, traces) = baseline(&rt.command(&["exec", &id, "/bin/true"]), &io);
    out.assert_ok();
    // The forked process's points end at its execve: after it, /bin/true runs (its own faults are
    // the process's business, passed through as its exit status).
    let until_execve = |t: &String| t.find("\nexecve(").map_or(t.clone(), |i| t[..t[i + 1..].find('\n').map_or(t.len(), |j| i + 1 + j)].to_string());
    let points: Vec<Point> =
        if follow { traces.iter().skip(1).flat_map(|t| points(&until_execve(t))).collect() } else { points(&traces[0]) };
    assert!(points.len() > 10, "a baseline trace of exec: {traces:?}");
    let mut tally = Tally { points: points.len(), ..Tally::default() };
    for (point, action) in plan(&points) {
        let out = inject(&rt.command(&["exec", &id, "/bin/true"]), &point, action, follow, &io);
        // The joining process SIGKILLed before its execve: rsrun passes 137 on, without a message
        // (it cannot tell that death from the process's own).
        let passed_on = follow && action == Action::Kill && out.code == Some(137) && out.stderr.is_empty();
        let mut problems = if passed_on { Vec::new() } else { verdict(&out, &point, action) };
        for p in orphans(&id, ORPHAN_GRACE) {
            problems.push(format!("process {} left waiting in syscall {} ({})", p.pid, p.syscall, p.cmdline));
        }
        let again = rt.run(&["exec", &id, "/bin/true"]);
        if !again.success() {
            problems.push(format!("the next exec failed: {}", again.stderr.trim_end()));
        }
        tally.check(format!("exec, {} at {point}", action.name()), problems);
    }
    let del = rt.delete_force(&id);
    assert!(del.success(), "{name}: delete --force after the sweep:\n{del}\n{}", tally.failures.join("\n"));
    leaks.assert_clean();
    tally.report(name);
}

#[test]
fn exec_with_a_fault_in_the_runtime() {
    sweep_exec("exec (runtime)", false);
}

#[test]
fn exec_with_a_fault_in_the_joining_process() {
    sweep_exec("exec (joining process)", true);
}
