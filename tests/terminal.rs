//! `process.terminal` on real containers: the pty master handed to a console socket (what docker's
//! containerd shim and podman's conmon receive), the foreground relay of `run` driven through a real
//! pseudoterminal, and the misuse rules. Compared with crun and runc where they agree. Root only.
//!
//! The pty master of a console socket and of `Term` is driven like a terminal emulator would:
//! keys written, output read until a marker the shell computes (`$((6*7))`), so the echo of what
//! was typed never matches it.
mod common;

use common::*;
use std::fs;
use std::time::Duration;

/// A new pty's settings: what the user's terminal is before the runtime touches it. Read from a pty
/// of its own, since on a busy machine the runtime may have made its pty raw before the test looks.
fn fresh_termios() -> String {
    termios_text(&rustix::termios::tcgetattr(&open_pty().0).expect("tcgetattr on a new pty"))
}

const WAIT: Duration = Duration::from_secs(20);

/// Facts about the terminal a container process sees, one per line; then it reads a line from the
/// terminal and prints it back.
const PROBE: &str = r#"echo READY-$((6*7))
tty
stty size
test -t 0 && test -t 1 && test -t 2 && echo stdio-is-a-tty
set -- $(cut -d' ' -f5-8 /proc/self/stat)
echo "session=$2 tty_nr=$3 foreground=$([ "$1" = "$4" ] && echo yes)"
stat -c '%F %t:%T' /dev/console
stat -L -c '%t:%T' /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2
stat -L -c '%u %g %a' /proc/self/fd/0
grep -c ' /dev/console ' /proc/self/mountinfo
stty -a | tr ' ;' '\n\n' | grep -x -E -e '-?icanon' -e '-?echo'
read line
echo "got:$line"
echo END-$((6*7))
exit 3"#;

/// A bundle whose process runs `script` on a terminal of 30x100 (process.consoleSize).
fn terminal_bundle(script: &str) -> Bundle {
    let b = Bundle::with(".process.terminal = true | .process.consoleSize = {\"height\": 30, \"width\": 100}");
    b.sh(script);
    b
}

/// What `PROBE` printed, from READY to END, without the echo of the typed line.
fn probe_output(seen: &str) -> Vec<String> {
    let lines = term_lines(seen);
    let start = lines.iter().position(|l| l == "READY-42").map_or(0, |i| i + 1);
    let end = lines.iter().position(|l| l == "END-42").unwrap_or(lines.len());
    lines[start..end.max(start)].iter().filter(|l| *l != "hello").cloned().collect()
}

/// create --console-socket, receive the master, start, talk to the process. Returns what it
/// printed and the payload sent with the master.
fn through_console_socket(kind: Kind, bundle: &Bundle, tag: &str) -> (Vec<String>, Vec<u8>) {
    let rt = Runtime::new(kind);
    let id = unique_id(tag);
    let leaks = LeakCheck::new(&rt, bundle, &id);
    let sock = ConsoleSocket::new();
    rt.create_with(bundle, &id, &["--console-socket", sock.str()]).assert_ok();
    let got = sock.receive(WAIT).unwrap_or_else(|| panic!("{}: nothing on the console socket", kind.name()));
    assert_eq!(got.fds.len(), 1, "{}: one fd per message", kind.name());
    let mut master = Master::new(got.fds.into_iter().next().unwrap());
    rt.start(&id).assert_ok();
    let ready = master.read_until("READY-42", WAIT);
    assert!(ready.contains("READY-42"), "{}: the container printed:\n{ready}", kind.name());
    master.send("hello\n");
    let out = master.read_until("END-42", WAIT);
    assert!(out.contains("END-42"), "{}: the container printed:\n{}", kind.name(), master.seen);
    // The process exits: its end of the pty goes away with it (a moment before it is a zombie).
    master.read_for(Duration::from_secs(2));
    let lines = probe_output(&master.seen);
    assert_eq!(rt.wait_status(&id, "stopped", WAIT).as_deref(), Some("stopped"), "{}", kind.name());
    rt.delete(&id).assert_ok();
    leaks.assert_clean();
    (lines, got.payload)
}

/// The pty from the console socket is the container's: /dev/pts/0 of its own devpts, stdio and
/// controlling terminal of a session led by the init, /dev/console bound to it, the config's size,
/// canonical mode with echo (the runtime leaves the slave's settings alone), input reaches the
/// process. Identical under rsrun, crun and runc.
#[test]
fn console_socket_gets_the_container_pty() {
    require_root();
    let bundle = terminal_bundle(PROBE);
    let mut runs = Vec::new();
    for kind in [Kind::Rsrun, Kind::Crun, Kind::Runc] {
        let (lines, payload) = through_console_socket(kind, &bundle, "console-socket");
        eprintln!("reference: {} sends {:?} with the master", kind.name(), String::from_utf8_lossy(&payload));
        assert!(!payload.is_empty(), "{}: an empty payload", kind.name());
        runs.push((kind, lines));
    }
    let want = [
        "/dev/pts/0",
        "30 100",
        "stdio-is-a-tty",
        "session=1 tty_nr=34816 foreground=yes",
        "character special file 88:0",
        "88:0",
        "88:0",
        "88:0",
        "0 5 620",
        "1",
        "icanon",
        "echo",
        "got:hello",
    ];
    for (kind, lines) in &runs {
        assert_eq!(lines, &want, "{}", kind.name());
    }
}

/// As a non-root user, the terminal on stdio belongs to that user (its group stays the devpts
/// gid), as with runc and crun.
#[test]
fn console_socket_terminal_belongs_to_the_user() {
    require_root();
    let bundle = terminal_bundle("echo READY-$((6*7)); id -u; stat -L -c '%u %g %a' /proc/self/fd/0 /dev/console; read x; echo END-$((6*7))");
    bundle.patch(".process.user = {\"uid\": 1000, \"gid\": 1000}");
    let mut runs = Vec::new();
    for kind in [Kind::Rsrun, Kind::Crun, Kind::Runc] {
        let (lines, _) = through_console_socket(kind, &bundle, "console-user");
        runs.push((kind, lines));
    }
    for (kind, lines) in &runs {
        assert_eq!(lines, &["1000", "1000 5 620", "1000 5 620"], "{}", kind.name());
    }
}

/// `run` in the foreground in a pseudoterminal, the way a user types `rsrun run`: output relayed,
/// the user's terminal raw while the container runs and restored after, its size given to the
/// container at start and on each resize (SIGWINCH), the exit status passed through. runc does the
/// same (crun 1.8 keeps consoleSize and ignores resizes).
#[test]
fn foreground_run_relays_the_terminal() {
    require_root();
    let bundle = terminal_bundle("sh");
    for kind in [Kind::Rsrun, Kind::Runc] {
        let rt = Runtime::new(kind);
        let id = unique_id("tty-fg");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let mut term = Term::spawn(rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]));
        let before = fresh_termios();
        term.master.send("stty size; tty; echo A-$((40+2))\n");
        let first = term.master.read_until("A-42", WAIT);
        let t = term.master.termios();
        let raw = !t.local_modes.contains(rustix::termios::LocalModes::ICANON)
            && !t.local_modes.contains(rustix::termios::LocalModes::ECHO);
        term.master.set_size(33, 99);
        std::thread::sleep(Duration::from_millis(300));
        term.master.send("stty size; echo B-$((40+3))\n");
        let second = term.master.read_until("B-43", WAIT);
        term.master.send("exit 7\n");
        let code = term.wait(WAIT);
        let after = termios_text(&term.master.termios());
        let seen = term.master.seen.clone();
        // rsrun sizes the pty before the process starts; runc resizes it from a goroutine after
        // the start, so its first `stty size` may still see consoleSize.
        let initial = term_lines(&first).iter().any(|l| l == "24 80");
        assert!(initial || kind == Kind::Runc, "{}: initial size:\n{seen}", kind.name());
        assert!(term_lines(&first).iter().any(|l| l == "/dev/pts/0"), "{}:\n{seen}", kind.name());
        assert!(term_lines(&second).iter().any(|l| l == "33 99"), "{}: size after a resize:\n{seen}", kind.name());
        assert!(raw, "{}: the user's terminal is not raw while the container runs", kind.name());
        assert_eq!(code, Some(7), "{}: exit status:\n{seen}", kind.name());
        assert_eq!(before, after, "{}: the user's terminal settings were not restored", kind.name());
        // Output is relayed as the container's pty makes it (ONLCR on: "\r\n"), through the
        // user's terminal already raw (no second "\r"). (runc sometimes writes before its raw mode
        // is in place: "\r\r\n".)
        assert!(seen.contains("A-42\r\n") || kind == Kind::Runc, "{}:\n{seen:?}", kind.name());
        leaks.assert_clean();
    }
}

/// ^C typed at the user's terminal is a byte for the container's terminal, whose line discipline
/// makes it SIGINT for the container's foreground processes: `run` exits 130 (128 + SIGINT) and the
/// user's terminal is restored. Same under runc.
#[test]
fn ctrl_c_interrupts_the_container_not_the_runtime() {
    require_root();
    let bundle = terminal_bundle("echo READY-$((6*7)); sleep 100; echo not-interrupted");
    for kind in [Kind::Rsrun, Kind::Runc] {
        let rt = Runtime::new(kind);
        let id = unique_id("tty-ctrl-c");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let mut term = Term::spawn(rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]));
        let before = fresh_termios();
        let ready = term.master.read_until("READY-42", WAIT);
        assert!(ready.contains("READY-42"), "{}:\n{ready}", kind.name());
        // The ^C must find `sleep` in the foreground: the shell is the container's PID 1, which
        // ignores SIGINT, so a ^C before the fork (a busy machine) would interrupt nothing.
        let init = rt.pid(&id).expect("a running container has a pid");
        let deadline = std::time::Instant::now() + WAIT;
        while !child_named(init, "sleep") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(50));
        term.master.send("\x03");
        let code = term.wait(WAIT);
        assert_eq!(code, Some(130), "{}:\n{}", kind.name(), term.master.seen);
        assert!(!term.master.seen.contains("not-interrupted"), "{}", kind.name());
        assert_eq!(before, termios_text(&term.master.termios()), "{}: terminal not restored", kind.name());
        leaks.assert_clean();
    }
}

/// Whether `parent` has a child process whose command name is `name` (from /proc/PID/stat).
fn child_named(parent: i32, name: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else { return false };
    dir.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { return false };
        let Some((head, rest)) = stat.rsplit_once(") ") else { return false };
        let comm = head.split_once(" (").map_or("", |(_, c)| c);
        let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<i32>().ok());
        comm == name && ppid == Some(parent)
    })
}

/// Without a terminal of its own (stdin /dev/null, stdout a file), a foreground `run` still relays
/// the container's pty to its stdout and passes the exit status on. (runc and crun refuse to run
/// then: runc "open /dev/tty: no such device or address", crun "tcgetattr: Inappropriate ioctl".)
#[test]
fn foreground_run_without_a_terminal_relays_output() {
    require_root();
    let bundle = terminal_bundle("tty; stty size; test -t 1 && echo out-is-a-tty; exit 5");
    let rt = Runtime::rsrun();
    let id = unique_id("tty-no-host-tty");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.run_container(&bundle, &id);
    out.assert_code(5);
    assert_eq!(out.stdout, "/dev/pts/0\r\n30 100\r\nout-is-a-tty\r\n", "{out}");
    leaks.assert_clean();
}

/// The master a console socket received stops at EIO once the container is deleted: nothing of the
/// pty stays alive in rsrun or the container (no leaked slave), and nothing is left behind.
#[test]
fn console_socket_master_ends_with_the_container() {
    require_root();
    let bundle = terminal_bundle("echo READY-$((6*7)); sleep 100");
    let rt = Runtime::rsrun();
    let id = unique_id("tty-end");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let sock = ConsoleSocket::new();
    rt.create_with(&bundle, &id, &["--console-socket", sock.str()]).assert_ok();
    let mut master = Master::new(sock.receive(WAIT).expect("the master").fds.remove(0));
    rt.start(&id).assert_ok();
    assert!(master.read_until("READY-42", WAIT).contains("READY-42"), "{}", master.seen);
    rt.delete_force(&id).assert_ok();
    let mut buf = [0u8; 64];
    let end = std::time::Instant::now() + WAIT;
    let r = loop {
        match rustix::io::read(&master.fd, &mut buf) {
            Ok(n) if n > 0 && std::time::Instant::now() < end => continue,
            r => break r,
        }
    };
    assert_eq!(r, Err(rustix::io::Errno::IO), "the pty is still open somewhere");
    leaks.assert_clean();
}

/// Misuse of terminals and console sockets fails before anything is made, with one line naming the
/// problem; runc refuses the same cases.
#[test]
fn terminal_misuse_is_refused_before_anything_is_made() {
    require_root();
    let sock = ConsoleSocket::new();
    let missing = test_dir().join(format!("no-such-{}.sock", unique_suffix()));
    let not_a_socket = test_dir().join(format!("file-{}.sock", unique_suffix()));
    fs::write(&not_a_socket, "").unwrap();
    let missing = missing.to_str().unwrap();
    let file = not_a_socket.to_str().unwrap();
    let s = sock.str();
    // (verb and flags, terminal, words of the error)
    let cases: &[(&[&str], bool, &str)] = &[
        (&["create"], true, "process.terminal: a terminal for a detached container needs --console-socket"),
        (&["run", "-d"], true, "process.terminal: a terminal for a detached container needs --console-socket"),
        (&["create", "--console-socket", s], false, "--console-socket: there is no terminal to send"),
        (&["run", "-d", "--console-socket", s], false, "--console-socket: there is no terminal to send"),
        (&["run", "--console-socket", s], false, "--console-socket: there is no terminal to send"),
        (&["run", "--console-socket", s], true, "--console-socket: only with a detached container"),
        (&["create", "--console-socket", missing], true, "No such file or directory"),
        (&["create", "--console-socket", file], true, "Connection refused"),
    ];
    for (args, terminal, want) in cases {
        for kind in [Kind::Rsrun, Kind::Runc] {
            let bundle = Bundle::with(&format!(".process.terminal = {terminal}"));
            let rt = Runtime::new(kind);
            let id = unique_id("tty-misuse");
            let leaks = LeakCheck::new(&rt, &bundle, &id);
            rt.track(&id);
            let mut full: Vec<&str> = args.to_vec();
            full.extend_from_slice(&["--bundle", bundle.path().to_str().unwrap(), &id]);
            let out = rt.run(&full);
            out.assert_fail();
            if kind == Kind::Rsrun {
                assert!(out.stderr.contains(want), "{args:?} terminal={terminal}: want {want:?}:\n{out}");
                assert_eq!(out.stderr.trim_end().lines().count(), 1, "one line:\n{out}");
            }
            leaks.assert_clean();
        }
        // Nothing was sent to the socket.
        assert!(sock.receive(Duration::from_millis(1)).is_none(), "{args:?}: something connected to the console socket");
    }
    let _ = fs::remove_file(&not_a_socket);
}

/// A terminal needs the container's own devpts: without a devpts on /dev/pts create fails with an
/// error that says so, and leaves nothing behind.
#[test]
fn terminal_without_devpts_is_a_clear_error() {
    require_root();
    let sock = ConsoleSocket::new();
    let bundle = Bundle::with(".process.terminal = true | .mounts |= map(select(.destination != \"/dev/pts\"))");
    let rt = Runtime::rsrun();
    let id = unique_id("tty-no-devpts");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.create_with(&bundle, &id, &["--console-socket", sock.str()]);
    out.assert_fail();
    assert!(
        out.stderr.contains("/dev/pts/ptmx in the container (is a devpts mounted on /dev/pts?): No such file or directory"),
        "{out}"
    );
    leaks.assert_clean();
}

/// The relay's memory does not grow with what passes through it: rsrun's peak RSS once the relay
/// runs, and again after 20 MB of container output went through it to a reader in a pty, differ by
/// less than 128 kB. (The absolute figure depends on the build: ~430 kB for the release binary.)
#[test]
fn foreground_relay_memory_stays_flat() {
    require_root();
    let bundle = terminal_bundle(
        "echo READY-$((6*7)); read x; head -c 20000000 /dev/zero | tr '\\0' a; echo; echo DONE-$((6*7)); read x",
    );
    let rt = Runtime::rsrun();
    let id = unique_id("tty-flood");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    rt.track(&id);
    let mut term = Term::spawn(rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]));
    let pid = term.child.id();
    let peak = || -> u64 {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    assert!(term.master.read_until("READY-42", WAIT).contains("READY-42"), "{}", term.master.seen);
    let before = peak();
    term.master.send("\n");
    // Counted, not kept: 20 MB through `Master::seen` would only measure the test.
    let mut total = 0usize;
    let mut tail = Vec::new();
    let end = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < end {
        let mut buf = [0u8; 65536];
        match rustix::io::read(&term.master.fd, &mut buf) {
            Ok(n) if n > 0 => {
                total += n;
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 64 {
                    tail.drain(..tail.len() - 64);
                }
                if String::from_utf8_lossy(&tail).contains("DONE-42") {
                    break;
                }
            }
            _ => break,
        }
    }
    let after = peak();
    term.master.send("\n");
    assert_eq!(term.wait(WAIT), Some(0), "{}", term.master.seen);
    assert!(total >= 20_000_000, "only {total} bytes relayed");
    eprintln!("rsrun run relaying 20 MB: VmHWM {before} kB -> {after} kB");
    assert!(after < before + 128, "rsrun run grew from {before} kB to {after} kB while relaying 20 MB");
    leaks.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// exec -t: a terminal for a process exec'd into a running container (which has none itself).

/// The runtimes for an exec -t test: `want`, without rsrun on a build that has no exec.
fn exec_kinds(want: &[Kind]) -> Vec<Kind> {
    want.iter().copied().filter(|k| *k != Kind::Rsrun || exec_or_skip()).collect()
}

/// `exec -t ID sh` in the foreground in a pseudoterminal, as a user types `rsrun exec -t`: the
/// process gets a pty of the container's devpts sized like the user's terminal, resized on
/// SIGWINCH; the user's terminal is raw meanwhile and restored after; exit status passed through.
/// Same under runc (crun 1.8 ignores resizes).
#[test]
fn exec_t_foreground_relays_the_terminal() {
    require_root();
    for kind in exec_kinds(&[Kind::Rsrun, Kind::Runc]) {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let rt = Runtime::new(kind);
        let id = unique_id("exectest-tty-fg");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        {
            let c = rt.spawn(&bundle, &id);
            let mut term = Term::spawn(rt.command(&["exec", "-t", &id, "sh"]));
            let before = fresh_termios();
            term.master.send("stty size; tty; test -t 0 && test -t 1 && test -t 2 && echo stdio-is-a-tty; echo A-$((40+2))\n");
            let first = term.master.read_until("A-42", WAIT);
            let t = term.master.termios();
            let raw = !t.local_modes.contains(rustix::termios::LocalModes::ICANON)
                && !t.local_modes.contains(rustix::termios::LocalModes::ECHO);
            term.master.set_size(33, 99);
            std::thread::sleep(Duration::from_millis(300));
            term.master.send("stty size; echo B-$((40+3))\n");
            let second = term.master.read_until("B-43", WAIT);
            term.master.send("exit 7\n");
            let code = term.wait(WAIT);
            let after = termios_text(&term.master.termios());
            let seen = term.master.seen.clone();
            let name = kind.name();
            let lines = term_lines(&first);
            // runc resizes from a goroutine after the start: its first `stty size` may be 0 0.
            assert!(lines.iter().any(|l| l == "24 80") || kind == Kind::Runc, "{name}: initial size:\n{seen}");
            assert!(lines.iter().any(|l| l.starts_with("/dev/pts/")), "{name}: tty:\n{seen}");
            assert!(lines.iter().any(|l| l == "stdio-is-a-tty"), "{name}:\n{seen}");
            assert!(term_lines(&second).iter().any(|l| l == "33 99"), "{name}: size after a resize:\n{seen}");
            assert!(raw, "{name}: the user's terminal is not raw while the process runs");
            assert_eq!(code, Some(7), "{name}: exit status:\n{seen}");
            assert_eq!(before, after, "{name}: the user's terminal settings were not restored");
            assert!(c.alive(), "{name}: the container died");
        }
        leaks.assert_clean();
    }
}

/// `exec --process P --detach --console-socket S --pid-file F` with process.terminal and a
/// consoleSize, as containerd's shim and conmon call it: the master arrives over SCM_RIGHTS
/// (one fd), the slave of the container's devpts is the process's stdin, stdout, stderr and
/// controlling terminal (it leads its session, in the foreground), consoleSize applied, input
/// reaches it. Same under rsrun, crun and runc.
#[test]
fn exec_t_console_socket_gets_the_pty() {
    require_root();
    let script = r#"echo READY-$((6*7))
tty
stty size
test -t 0 && test -t 1 && test -t 2 && echo stdio-is-a-tty
set -- $(cut -d' ' -f5-8 /proc/self/stat)
echo "leads-session=$([ "$2" = "$$" ] && echo yes) tty_major=$(($3 >> 8)) foreground=$([ "$1" = "$4" ] && echo yes)"
read line
echo "got:$line"
echo END-$((6*7))"#;
    let mut runs = Vec::new();
    for kind in exec_kinds(ALL) {
        let name = kind.name();
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let process = bundle.path().join("process.json");
        fs::write(
            &process,
            format!(
                "{{\"terminal\":true,\"consoleSize\":{{\"height\":30,\"width\":100}},\"args\":{},\"cwd\":\"/\",\
                 \"env\":[\"PATH=/bin:/usr/bin\",\"TERM=xterm\"],\"user\":{{\"uid\":0,\"gid\":0}}}}",
                json_array(&["sh", "-c", script])
            ),
        )
        .unwrap();
        let pid_file = bundle.path().join("exec.pid");
        let rt = Runtime::new(kind);
        let id = unique_id("exectest-tty-sock");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        {
            let c = rt.spawn(&bundle, &id);
            let sock = ConsoleSocket::new();
            let o = rt.run(&[
                "exec",
                "--process",
                process.to_str().unwrap(),
                "--detach",
                "--console-socket",
                sock.str(),
                "--pid-file",
                pid_file.to_str().unwrap(),
                &id,
            ]);
            o.assert_ok();
            let got = sock.receive(WAIT).unwrap_or_else(|| panic!("{name}: nothing on the console socket"));
            assert_eq!(got.fds.len(), 1, "{name}: one fd per message");
            let mut master = Master::new(got.fds.into_iter().next().unwrap());
            let pid: i32 = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
            assert!(proc_start_time(pid).is_some(), "{name}: the pid file's process");
            let ready = master.read_until("READY-42", WAIT);
            assert!(ready.contains("READY-42"), "{name}:\n{ready}");
            master.send("hello\n");
            let out = master.read_until("END-42", WAIT);
            assert!(out.contains("END-42"), "{name}:\n{}", master.seen);
            let lines = probe_output(&master.seen);
            runs.push((kind, lines));
            assert!(c.alive());
        }
        leaks.assert_clean();
    }
    for (kind, lines) in &runs {
        assert!(lines[0].starts_with("/dev/pts/"), "{}: {lines:?}", kind.name());
        let mut lines = lines.clone();
        if *kind == Kind::Crun && lines[1].starts_with("stty: ") {
            // crun 1.8.1 sometimes sizes the pty after the process started: its stty then fails
            // ("stty: standard input: No child processes"). Recorded, not asserted.
            eprintln!("reference: crun exec --console-socket: {}", lines[1]);
            lines[1] = "30 100".into();
        }
        assert_eq!(
            &lines[1..],
            ["30 100", "stdio-is-a-tty", "leads-session=yes tty_major=136 foreground=yes", "got:hello"],
            "{}",
            kind.name()
        );
    }
}

/// Terminal misuse in exec fails before anything is made: a terminal for a detached process without
/// a console socket, a console socket without a terminal. One line from rsrun, exit 255 as runc;
/// nothing connects to the socket, the container runs on. (crun 1.8 fails the first with
/// "tcgetattr" and accepts the second.)
#[test]
fn exec_terminal_misuse_is_refused() {
    require_root();
    for kind in exec_kinds(&[Kind::Rsrun, Kind::Runc]) {
        let bundle = Bundle::new();
        bundle.args(&["sleep", "1000"]);
        let rt = Runtime::new(kind);
        let id = unique_id("exectest-tty-misuse");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        {
            let c = rt.spawn(&bundle, &id);
            let sock = ConsoleSocket::new();
            let s = sock.str();
            let cases: &[&[&str]] = &[&["-t", "-d"], &["--console-socket", s], &["-d", "--console-socket", s]];
            for flags in cases {
                let mut args = vec!["exec"];
                args.extend_from_slice(flags);
                args.extend_from_slice(&[&id, "echo", "RAN"]);
                let o = rt.run(&args);
                assert_eq!(o.code, Some(255), "{} {flags:?}:\n{o}", kind.name());
                assert!(!o.stdout.contains("RAN"), "{} {flags:?}:\n{o}", kind.name());
                if kind == Kind::Rsrun {
                    assert_eq!(o.stderr.trim_end().lines().count(), 1, "one line:\n{o}");
                }
                assert!(sock.receive(Duration::from_millis(1)).is_none(), "{flags:?}: something connected to the socket");
            }
            assert!(c.alive());
        }
        leaks.assert_clean();
    }
}
