//! `--trace FILE` and RSRUN_TRACE (docs/trace.md): a lifecycle traced into one file is valid
//! trace-event JSON with the phases of create, the container init, start and delete, in order; the
//! syscall counts agree with strace's count of the same run; off, nothing is written and no tracing
//! syscall is made; a bad path is one clear error with nothing left behind; processes appending at
//! once keep the file valid. The file checks are tools/trace-check.py (also for users).
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// tools/trace-check.py over `trace` (and `strace` output when given), with the lifecycle checks.
fn check(trace: &Path, strace: Option<&Path>, extra_env: &[(&str, &str)]) -> Out {
    let mut c = Command::new("python3");
    c.arg(repo_root().join("tools/trace-check.py")).arg(trace);
    if let Some(s) = strace {
        c.arg(s);
    }
    c.env("REQUIRE_ROOTS", "1");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    run_command(&mut c, None, timeout())
}

fn have(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success())
}

fn trace_file(rt: &Runtime, name: &str) -> PathBuf {
    rt.base().join(name)
}

/// A `true` container whose lifecycle a test runs under strace (tracked, leaks checked); None,
/// after saying "skipped", without strace.
struct StraceCase {
    bundle: Bundle,
    rt: Runtime,
    id: String,
    leaks: LeakCheck,
}

impl StraceCase {
    fn new(name: &str) -> Option<StraceCase> {
        require_root();
        if !have("strace") {
            skip("no strace");
            return None;
        }
        let bundle = Bundle::new();
        bundle.args(&["true"]);
        let rt = Runtime::rsrun();
        let id = unique_id(name);
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        Some(StraceCase { bundle, rt, id, leaks })
    }

    /// The start of a shell script, `R='BIN --root ROOT'; `, and the bundle's path.
    fn shell(&self) -> (String, &str) {
        let (bin, root) = (self.rt.bin().to_str().unwrap(), self.rt.root().to_str().unwrap());
        (format!("R='{bin} --root {root}'; "), self.bundle.path().to_str().unwrap())
    }
}

/// create with --trace, start with RSRUN_TRACE only, delete (of the stopped container) with
/// --trace: one file, four processes, every phase nested in its process and in lifecycle order.
#[test]
fn flag_and_env_trace_a_lifecycle_into_one_file() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["true"]);
    let rt = Runtime::rsrun();
    let id = unique_id("trace-life");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let f = trace_file(&rt, "life.json");
    let fs_ = f.to_str().unwrap();
    rt.track(&id);
    rt.run(&["--trace", fs_, "create", "--bundle", bundle.path().to_str().unwrap(), &id]).assert_ok();
    let mut start = rt.command(&["start", &id]);
    start.env("RSRUN_TRACE", fs_);
    let dir = rt.base();
    run_to_files(&mut start, None, &dir.join("start.out"), &dir.join("start.err"), timeout()).assert_ok();
    assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(10)).as_deref(), Some("stopped"));
    // The flag wins over the variable.
    let mut del = rt.command(&["--trace", fs_, "delete", &id]);
    del.env("RSRUN_TRACE", dir.join("not-this.json"));
    run_to_files(&mut del, None, &dir.join("del.out"), &dir.join("del.err"), timeout()).assert_ok();
    assert!(!dir.join("not-this.json").exists());
    leaks.assert_clean();

    let text = fs::read_to_string(&f).unwrap();
    assert!(text.starts_with("[\n") && text.ends_with("},\n"), "{text}");
    assert!(text.lines().skip(1).all(|l| l.starts_with('{') && l.ends_with("},")), "not one event a line: {text}");
    let out = check(&f, None, &[("LIFECYCLE", "1")]);
    assert!(out.success(), "{out}\n{text}");
    for name in ["rsrun create", "container init", "rsrun start", "rsrun delete"] {
        assert!(out.stdout.contains(name), "no {name}: {out}");
    }
}

/// The trace's per-process counts against `strace -f` of the same run (see tools/trace-check.py for
/// what is compared): each process's counted syscalls plus those of the tracing itself equal
/// strace's count of that process, within TOLERANCE.
#[test]
fn syscall_counts_agree_with_strace() {
    let Some(case) = StraceCase::new("trace-strace") else { return };
    let f = trace_file(&case.rt, "strace.json");
    let s = trace_file(&case.rt, "strace.txt");
    let ((r, b), t, id) = (case.shell(), f.to_str().unwrap(), &case.id);
    // The container's `true` must have run (and its init written its last events) before delete:
    // wait for "stopped" with untraced `state` calls (processes the trace does not know are not
    // compared).
    let script = format!(
        "{r}$R --trace {t} create --bundle {b} {id} && $R --trace {t} start {id} && \
         for i in $(seq 200); do $R state {id} | grep -q '\"stopped\"' && break; sleep 0.05; done && \
         $R --trace {t} delete {id}"
    );
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-o", s.to_str().unwrap(), "sh", "-c", &script]);
    run_command(&mut c, None, timeout()).assert_ok();
    case.leaks.assert_clean();
    let out = check(&f, Some(&s), &[]);
    assert!(out.success(), "{out}\n{}", fs::read_to_string(&f).unwrap());
    // The counts exist (tracefs and perf_event_open work here as root).
    assert!(!fs::read_to_string(&f).unwrap().contains("\"syscalls\":null"));
}

/// Off (no flag, RSRUN_TRACE unset or empty): no file, and not one tracing syscall.
#[test]
fn off_writes_nothing_and_makes_no_tracing_syscall() {
    let Some(case) = StraceCase::new("trace-off") else { return };
    let s = trace_file(&case.rt, "off.txt");
    let ((r, b), id) = (case.shell(), &case.id);
    let script = format!("{r}$R create --bundle {b} {id} && RSRUN_TRACE= $R start {id} && $R delete -f {id}");
    let mut c = Command::new("strace");
    // (flock and readlink are rsrun's own or busybox's: the tracing's are perf_event_open and fsopen.)
    c.args(["-f", "-qq", "-e", "signal=none", "-e", "trace=perf_event_open,fsopen", "-o", s.to_str().unwrap()]);
    c.args(["sh", "-c", &script]).env_remove("RSRUN_TRACE");
    run_command(&mut c, None, timeout()).assert_ok();
    case.leaks.assert_clean();
    let calls = fs::read_to_string(&s).unwrap();
    assert_eq!(calls.trim(), "", "tracing syscalls while off");
    let entries: Vec<_> = fs::read_dir(case.rt.base()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(!entries.iter().any(|n| n.to_string_lossy().ends_with(".json")), "{entries:?}");
}

/// RSRUN_TRACE_SYSCALLS=0: the same timeline with every count null, and no syscall counter opened
/// (perf_event_open switches the kernel's raw_syscalls tracepoint on and off, ~10 ms each way).
#[test]
fn times_only_opens_no_counter() {
    let Some(case) = StraceCase::new("trace-times") else { return };
    let f = trace_file(&case.rt, "times.json");
    let s = trace_file(&case.rt, "times.txt");
    let ((r, b), id) = (case.shell(), &case.id);
    // The init writes its root event just before it execs `true`: wait for "stopped" (untraced
    // `state` calls) so delete cannot kill it before that (a `delete -f` right after start did,
    // once in a CI run).
    let script = format!(
        "{r}$R create --bundle {b} {id} && $R start {id} && \
         for i in $(seq 200); do RSRUN_TRACE= $R state {id} | grep -q '\"stopped\"' && break; sleep 0.05; done && \
         $R delete {id}"
    );
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "signal=none", "-e", "trace=perf_event_open", "-o", s.to_str().unwrap()]);
    c.args(["sh", "-c", &script]).env("RSRUN_TRACE", &f).env("RSRUN_TRACE_SYSCALLS", "0");
    run_command(&mut c, None, timeout()).assert_ok();
    case.leaks.assert_clean();
    assert_eq!(fs::read_to_string(&s).unwrap().trim(), "", "a counter was opened");
    let text = fs::read_to_string(&f).unwrap();
    let out = check(&f, None, &[]);
    assert!(out.success(), "{out}\n{text}");
    for name in ["rsrun create", "container init", "rsrun start", "rsrun delete"] {
        assert!(out.stdout.contains(name), "no {name}: {out}");
    }
    assert!(text.contains("\"syscalls\":null") && !text.contains("\"syscalls\":1"), "{text}");
}

/// A trace file that cannot be opened: one line naming it, exit 1, no container, nothing left.
#[test]
fn bad_trace_path_is_a_clear_error_with_nothing_left() {
    require_root();
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    let b = bundle.path().to_str().unwrap();
    for (how, path) in [("flag", "/nonexistent-rsrun-dir/t.json"), ("env", "/proc/version/x.json")] {
        let id = unique_id("trace-bad");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let out = if how == "flag" {
            rt.run(&["--trace", path, "create", "--bundle", b, &id])
        } else {
            let mut c = rt.command(&["create", "--bundle", b, &id]);
            c.env("RSRUN_TRACE", path);
            let dir = rt.base();
            run_to_files(&mut c, None, &dir.join("bad.out"), &dir.join("bad.err"), timeout())
        };
        out.assert_code(1);
        assert_eq!(out.stderr.lines().count(), 1, "{out}");
        assert!(out.stderr.contains(&format!("open trace file {path}: ")), "{how}: {out}");
        assert!(!rt.state_dir(&id).exists());
        assert!(!Path::new(path).exists());
        leaks.assert_clean();
    }
}

/// Four `run`s at once into one new file: the header is written once, lines are whole, the file
/// stays valid, and each run is there.
#[test]
fn concurrent_invocations_append_whole_lines() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["true"]);
    let rt = Runtime::rsrun();
    let f = trace_file(&rt, "many.json");
    let ids: Vec<String> = (0..4).map(|i| unique_id(&format!("trace-many{i}"))).collect();
    let leaks: Vec<_> = ids.iter().map(|id| LeakCheck::new(&rt, &bundle, id)).collect();
    let b = bundle.path().to_str().unwrap();
    let children: Vec<_> = ids
        .iter()
        .map(|id| {
            rt.track(id);
            let mut c = rt.command(&["run", "--bundle", b, id]);
            c.env("RSRUN_TRACE", &f).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    for l in leaks {
        l.assert_clean();
    }
    let text = fs::read_to_string(&f).unwrap();
    assert_eq!(text.matches('[').count(), 1, "{text}");
    let out = check(&f, None, &[]);
    assert!(out.success(), "{out}\n{text}");
    assert_eq!(out.stdout.matches("rsrun run").count(), 4, "{out}");
}
