//! `rsrun exec` on real busybox containers: the process joins the container (namespaces, cgroup,
//! PID namespace), gets the flags' settings, returns its status; the errors engines depend on;
//! --detach with --pid-file; signals; terminals (foreground relay and --console-socket); the exec
//! side of CVE-2024-21626 and CVE-2022-29162. Root only. (The differential suite against runc and
//! crun is tests/exec.rs.)
mod common;

use common::*;
use std::fs;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn sleeper() -> Bundle {
    let b = Bundle::new();
    b.args(&["sleep", "1000"]);
    b
}

fn exec(rt: &Runtime, id: &str, args: &[&str]) -> Out {
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    if let Some(pos) = all.iter().position(|a| *a == "--") {
        all[pos] = id;
    } else {
        all.insert(1, id);
    }
    rt.run(&all)
}

/// Lines of `/proc/<pid>/<file>` in the host's view.
fn proc_file(pid: i32, file: &str) -> String {
    fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default()
}

#[test]
fn exec_joins_the_container_and_returns_the_status() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-join");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let init = c.pid;
    let script = "echo out; echo err >&2; for n in pid mnt net uts ipc; do readlink /proc/self/ns/$n; done; \
        cat /proc/self/cgroup; echo pid=$$; exit 3";
    let out = exec(&rt, &id, &["sh", "-c", script]);
    out.assert_code(3);
    assert_eq!(out.stderr, "err\n");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "out");
    for (i, ns) in ["pid", "mnt", "net", "uts", "ipc"].iter().enumerate() {
        let want = fs::read_link(format!("/proc/{init}/ns/{ns}")).unwrap();
        assert_eq!(lines[1 + i], want.to_str().unwrap(), "{ns} namespace");
    }
    let mut cg: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())).collect();
    let init_cg = proc_file(init, "cgroup");
    let mut want: Vec<&str> = init_cg.lines().collect();
    cg.sort();
    want.sort();
    assert_eq!(cg, want, "the exec'd process is in the container's cgroups");
    let pid: i32 = lines.last().unwrap().strip_prefix("pid=").unwrap().parse().unwrap();
    assert!(pid > 1, "a pid of the container's PID namespace: {pid}");
    // Killed by a signal: 128 + the signal.
    exec(&rt, &id, &["sh", "-c", "kill -9 $$"]).assert_code(137);
    drop(c);
    leaks.assert_clean();
}

#[test]
fn flags_set_user_cwd_env_caps_and_no_new_privs() {
    require_root();
    let bundle = sleeper();
    bundle.patch(r#".process.env += ["KEEP=1", "OVER=old"] | .process.noNewPrivileges = false"#);
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-flags");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let script = "id -u; id -g; id -G; pwd; echo $KEEP $OVER $NEW; grep -E '^(CapInh|CapBnd|NoNewPrivs)' /proc/self/status";
    let out = exec(
        &rt,
        &id,
        &["-u", "1:2", "--additional-gids", "7", "--cwd", "/tmp", "-e", "OVER=new", "--env", "NEW=x", "--cap", "CAP_NET_ADMIN", "--no-new-privs", "--", "sh", "-c", script],
    );
    out.assert_ok();
    let l: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(&l[..5], ["1", "2", "2 7", "/tmp", "1 new x"], "{out}");
    assert_eq!(l[5], "CapInh:\t0000000000000000", "--cap never fills the inheritable set (CVE-2022-29162)");
    let bnd = u64::from_str_radix(l[6].strip_prefix("CapBnd:\t").unwrap(), 16).unwrap();
    assert_ne!(bnd & (1 << 12), 0, "CAP_NET_ADMIN in the bounding set: {}", l[6]);
    assert_eq!(l[7], "NoNewPrivs:\t1");
    // --user is strict: a name or junk is an error of rsrun (255), nothing runs.
    for bad in ["root", "1:", "1x", ":2", "-1"] {
        let o = exec(&rt, &id, &["-u", bad, "--", "true"]);
        o.assert_code(255);
        assert!(o.stderr.contains("invalid --user"), "{bad}: {o}");
    }
    drop(c);
    leaks.assert_clean();
}

#[test]
fn errors_exit_255_with_the_words_engines_match() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-errors");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let o = exec(&rt, &unique_id("exec-exec-missing"), &["true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("does not exist"), "{o}");

    rt.create(&bundle, &id).assert_ok();
    let o = exec(&rt, &id, &["true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("container not running"), "created: {o}");
    rt.start(&id).assert_ok();

    let o = exec(&rt, &id, &["nosuch"]);
    o.assert_code(255);
    assert_eq!(o.stderr, "rsrun: exec: \"nosuch\": executable file not found in $PATH\n");
    let o = exec(&rt, &id, &["--cwd", "/nonexistent", "--", "true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("chdir"), "{o}");

    rt.run(&["pause", &id]).assert_ok();
    let o = exec(&rt, &id, &["true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("paused") && o.stderr.contains("--ignore-paused"), "{o}");
    rt.run(&["resume", &id]).assert_ok();
    exec(&rt, &id, &["true"]).assert_ok();

    rt.kill(&id, "KILL").assert_ok();
    assert_eq!(rt.wait_status(&id, "stopped", WAIT).as_deref(), Some("stopped"));
    let o = exec(&rt, &id, &["true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("container not running"), "stopped: {o}");
    rt.delete(&id).assert_ok();
    leaks.assert_clean();
}

/// What containerd's shim does: --process FILE --detach --pid-file; rsrun returns once the process
/// runs, and the pid file names it (the host's pid of a process in the container's PID namespace).
#[test]
fn detached_process_file_with_a_pid_file() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-detach");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let process = bundle.path().join("process.json");
    fs::write(&process, r#"{"args":["sleep","321"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},"terminal":false}"#).unwrap();
    let pid_file = bundle.path().join("exec.pid");
    let o = rt.run(&["exec", "--process", process.to_str().unwrap(), "--detach", "--pid-file", pid_file.to_str().unwrap(), &id]);
    o.assert_ok();
    assert!(o.stdout.is_empty(), "{o}");
    let pid: i32 = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert_eq!(proc_file(pid, "cmdline"), "sleep\u{0}321\u{0}");
    let nspid = proc_file(pid, "status").lines().find(|l| l.starts_with("NSpid:")).unwrap().to_string();
    assert_eq!(nspid.split_whitespace().count(), 3, "in the container's PID namespace: {nspid}");
    let ps = rt.run(&["ps", "--format", "json", &id]).assert_ok().stdout.clone();
    assert!(ps.contains(&pid.to_string()), "ps --format json lists the exec'd process: {ps}");
    // Not found: an error, not a detached process that failed.
    fs::write(&process, r#"{"args":["nosuch"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}"#).unwrap();
    let o = rt.run(&["exec", "--process", process.to_str().unwrap(), "--detach", &id]);
    o.assert_code(255);
    assert!(o.stderr.contains("executable file not found in $PATH"), "{o}");
    drop(c);
    leaks.assert_clean();
}

/// A foreground exec forwards the signals it gets to the process.
#[test]
fn foreground_exec_forwards_signals() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-signal");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let mut child = rt
        .command(&["exec", &id, "sh", "-c", "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    rustix::process::kill_process(rustix::process::Pid::from_raw(child.id() as i32).unwrap(), rustix::process::Signal::TERM)
        .unwrap();
    let st = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(st.code(), Some(9));
    drop(c);
    leaks.assert_clean();
}

/// CVE-2024-21626: a cwd reaching a host directory through an fd (here one passed on purpose with
/// --preserve-fds) is refused; no fd of rsrun reaches the process.
#[test]
fn a_cwd_outside_the_container_is_refused_and_no_fd_leaks() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-cwd");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let host_dir = fs::File::open(bundle.path()).unwrap();
    let mut cmd = rt.command(&["exec", "--preserve-fds", "1", "--cwd", "/proc/self/fd/3", &id, "pwd"]);
    let raw = std::os::fd::AsRawFd::as_raw_fd(&host_dir);
    // SAFETY: dup2 in the forked child before exec, on fds it owns.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if raw == 3 {
                // Already there: only close-on-exec must go.
                return rustix::io::fcntl_setfd(rustix::fd::BorrowedFd::borrow_raw(3), rustix::io::FdFlags::empty())
                    .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()));
            }
            // Never dropped: fd 3 must stay open into the runtime.
            let mut three = std::mem::ManuallyDrop::new(<rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(3));
            rustix::io::dup2(rustix::fd::BorrowedFd::borrow_raw(raw), &mut three)
                .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))
        });
    }
    let o = run_command(&mut cmd, None, WAIT);
    o.assert_code(255);
    assert!(o.stderr.contains("outside of container"), "{o}");
    let o = exec(&rt, &id, &["ls", "/proc/self/fd"]);
    o.assert_ok();
    assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["0", "1", "2", "3"], "ls's own directory fd only");
    drop(c);
    leaks.assert_clean();
}

/// exec -t in the foreground: the process gets a pty of the container's devpts as its controlling
/// terminal, sized like rsrun's; rsrun's terminal is raw meanwhile and restored; the status passes.
#[test]
fn exec_tty_in_the_foreground() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-tty");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    // A fresh pty's settings: what the Term's are before rsrun makes them raw (reading them after
    // the spawn could already see raw mode).
    let before = termios_text(&rustix::termios::tcgetattr(&open_pty().0).unwrap());
    let mut term = Term::spawn(rt.command(&["exec", "-t", &id, "sh"]));
    term.master.send("tty; stty size; test -t 0 && echo tty-ok; echo A-$((40+2))\n");
    let first = term.master.read_until("A-42", WAIT);
    let lines = term_lines(&first);
    term.master.send("exit 6\n");
    let code = term.wait(WAIT);
    assert!(lines.iter().any(|l| l == "/dev/pts/0"), "{first}");
    assert!(lines.iter().any(|l| l == "24 80"), "{first}");
    assert!(lines.iter().any(|l| l == "tty-ok"), "{first}");
    assert_eq!(code, Some(6), "{}", term.master.seen);
    assert_eq!(before, termios_text(&term.master.termios()), "terminal not restored");
    drop(c);
    leaks.assert_clean();
}

/// exec --detach with a terminal: the master goes to the console socket (as docker's shim and
/// conmon get it); the process talks through it.
#[test]
fn exec_tty_through_a_console_socket() {
    require_root();
    let bundle = sleeper();
    let rt = Runtime::rsrun();
    let id = unique_id("exec-exec-sock");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let c = rt.spawn(&bundle, &id);
    let sock = ConsoleSocket::new();
    let process = bundle.path().join("process.json");
    fs::write(
        &process,
        r#"{"args":["sh"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},"terminal":true,"consoleSize":{"height":31,"width":101}}"#,
    )
    .unwrap();
    rt.run(&["exec", "--process", process.to_str().unwrap(), "--detach", "--console-socket", sock.str(), &id]).assert_ok();
    let got = sock.receive(WAIT).expect("the master on the console socket");
    let mut master = Master::new(got.fds.into_iter().next().unwrap());
    master.send("tty; stty size; echo B-$((40+3)); exit\n");
    let seen = master.read_until("B-43", WAIT);
    let lines = term_lines(&seen);
    assert!(lines.iter().any(|l| l == "31 101"), "consoleSize: {seen}");
    assert!(lines.iter().any(|l| l.starts_with("/dev/pts/")), "{seen}");
    // Misuse: a terminal detached without a socket, a socket without a terminal.
    let o = rt.run(&["exec", "-t", "-d", &id, "true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("--console-socket"), "{o}");
    let o = rt.run(&["exec", "-d", "--console-socket", sock.str(), &id, "true"]);
    o.assert_code(255);
    assert!(o.stderr.contains("no terminal"), "{o}");
    drop(c);
    leaks.assert_clean();
}
