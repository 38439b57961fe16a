//! Compiled filters in a real kernel: each test forks a child that sets no_new_privs, loads a filter
//! and reports through its exit status. The child only makes raw syscalls (no allocation: the
//! test harness is multi-threaded and the child has one thread).
use linux_raw_sys::general::*;
use rsrun::seccomp::{Action, ArgCond, Op, Profile, SyscallRule, compile, install};
use rustix::process::{Pid, WaitOptions, waitpid};
use syscalls::raw;

fn rule<'a>(names: &[&'a str], action: Action, errno_ret: Option<u32>, args: Vec<ArgCond>) -> SyscallRule<'a> {
    SyscallRule { names: names.to_vec(), action, errno_ret, args }
}

/// Forks; the child runs `f` (which returns its exit code) and exits. Returns the wait status.
fn in_child(f: impl FnOnce() -> i32) -> rustix::process::WaitStatus {
    // SAFETY: fork takes no arguments; the child only makes raw syscalls and exits.
    let pid = unsafe { raw::syscall0(__NR_fork) }.expect("fork");
    if pid == 0 {
        let code = f();
        syscalls::process::exit_group(code);
    }
    let (_, status) = waitpid(Pid::from_raw(pid as i32), WaitOptions::empty()).unwrap().unwrap();
    status
}

/// The child's raw syscall result as a signed number (-errno on failure).
fn sys(r: Result<usize, rustix::io::Errno>) -> i64 {
    match r {
        Ok(v) => v as i64,
        Err(e) => -(e.raw_os_error() as i64),
    }
}

#[test]
fn errno_allow_and_argument_conditions() {
    let p = Profile {
        default_action: Action::Errno, // EPERM
        syscalls: vec![
            rule(&["exit_group", "getpid"], Action::Allow, None, vec![]),
            rule(&["getppid"], Action::Errno, Some(13), vec![]),
            // kill(pid, 0) only: signal 0 probes, anything else is denied.
            rule(&["kill"], Action::Allow, None, vec![ArgCond { index: 1, value: 0, value_two: 0, op: Op::Eq }]),
        ],
        ..Default::default()
    };
    let filter = compile(&p).unwrap();
    let status = in_child(|| {
        if rustix::thread::set_no_new_privs(true).is_err() || install::install(&filter).is_err() {
            return 10;
        }
        // SAFETY: argument-free or plain-integer syscalls.
        let pid = sys(unsafe { raw::syscall0(__NR_getpid) });
        if pid <= 0 {
            return 11;
        }
        if sys(unsafe { raw::syscall0(__NR_getppid) }) != -13 {
            return 12;
        }
        let mut buf = [0u8; 512];
        // SAFETY: uname writes a struct utsname (390 bytes) into buf.
        if sys(unsafe { raw::syscall1(__NR_uname, buf.as_mut_ptr() as usize) }) != -1 {
            return 13;
        }
        if sys(unsafe { raw::syscall2(__NR_kill, pid as usize, 0) }) != 0 {
            return 14;
        }
        // SIGCONT to ourselves would be harmless, but the filter refuses it before the kernel sees it.
        if sys(unsafe { raw::syscall2(__NR_kill, pid as usize, 18) }) != -1 {
            return 15;
        }
        0
    });
    assert_eq!(status.exit_status(), Some(0), "{status:?}");
}

#[test]
fn kill_process_is_sigsys() {
    let p = Profile {
        default_action: Action::Allow,
        syscalls: vec![rule(&["getppid"], Action::KillProcess, None, vec![])],
        ..Default::default()
    };
    let filter = compile(&p).unwrap();
    let status = in_child(|| {
        if rustix::thread::set_no_new_privs(true).is_err() || install::install(&filter).is_err() {
            return 10;
        }
        // SAFETY: argument-free syscall.
        let _ = unsafe { raw::syscall0(__NR_getppid) };
        20 // not reached
    });
    assert_eq!(status.terminating_signal(), Some(31), "{status:?}"); // SIGSYS
}

#[test]
fn docker_profile_loads_and_runs() {
    // The real thing: docker's default profile with a few calls that must pass or fail.
    let text = std::process::Command::new("/usr/bin/python3")
        .args([concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seccomp_ref.py"), "convert", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/configs/docker.json")])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let mut p = Profile::default();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w[0] {
            "default" => p.default_action = Action::from_name(w[1]).unwrap(),
            "arch" => p.architectures.push(rsrun::seccomp::Arch::from_name(w[1]).unwrap()),
            "rule" => p.syscalls.push(rule(&w[3..], Action::from_name(w[1]).unwrap(), w[2].parse().ok(), vec![])),
            "arg" => p.syscalls.last_mut().unwrap().args.push(ArgCond {
                index: w[1].parse().unwrap(),
                op: rsrun::seccomp::Op::from_name(w[2]).unwrap(),
                value: w[3].parse().unwrap(),
                value_two: w[4].parse().unwrap(),
            }),
            _ => {}
        }
    }
    let filter = compile(&p).unwrap();
    let status = in_child(|| {
        if rustix::thread::set_no_new_privs(true).is_err() || install::install(&filter).is_err() {
            return 10;
        }
        // SAFETY: plain-integer syscalls; the denied ones fail in the filter.
        if sys(unsafe { raw::syscall0(__NR_getpid) }) <= 0 {
            return 11;
        }
        // clone3 gets ENOSYS so libc falls back to clone (docker's rule).
        if sys(unsafe { raw::syscall2(__NR_clone3, 0, 0) }) != -38 {
            return 12;
        }
        // mount is not in the profile: EPERM.
        if sys(unsafe { raw::syscall5(__NR_mount, 0, 0, 0, 0, 0) }) != -1 {
            return 13;
        }
        // personality(0xffffffff) queries and is allowed; personality(1) is not.
        if sys(unsafe { raw::syscall1(__NR_personality, 0xffff_ffff) }) < 0 {
            return 14;
        }
        if sys(unsafe { raw::syscall1(__NR_personality, 1) }) != -1 {
            return 15;
        }
        // A syscall newer than every one the profile names: runc's stub answers ENOSYS.
        if sys(unsafe { raw::syscall0(469) }) != -38 {
            return 16;
        }
        0
    });
    assert_eq!(status.exit_status(), Some(0), "{status:?}");
}

#[test]
fn notify_fd_reaches_the_listener() {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use rustix::fd::{AsFd, AsRawFd, BorrowedFd};
    let dir = std::env::temp_dir().join(format!("rsrun-test-seccomp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("agent.sock");
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let path_str = path.to_str().unwrap().to_string();
    let state = br#"{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":1,"metadata":"m","state":{}}"#;
    let p = Profile {
        default_action: Action::Allow,
        syscalls: vec![rule(&["getppid"], Action::Notify, None, vec![])],
        ..Default::default()
    };
    let filter = compile(&p).unwrap();
    let status = in_child(|| {
        if rustix::thread::set_no_new_privs(true).is_err() {
            return 10;
        }
        let Ok(Some(fd)) = install::install(&filter) else { return 11 };
        if install::send_to_listener(&path_str, state, fd.as_fd()).is_err() {
            return 12;
        }
        0
    });
    assert_eq!(status.exit_status(), Some(0), "{status:?}");
    let (conn, _) = listener.accept().unwrap();
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut buf = [0u8; 256];
    // SAFETY: `conn` stays open for the call.
    let conn_fd = unsafe { BorrowedFd::borrow_raw(std::os::fd::AsRawFd::as_raw_fd(&conn)) };
    let msg = rustix::net::recvmsg(conn_fd, &mut [rustix::io::IoSliceMut::new(&mut buf)], &mut control, RecvFlags::empty()).unwrap();
    assert_eq!(&buf[..msg.bytes], state);
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(r) = m {
            fds.extend(r);
        }
    }
    assert_eq!(fds.len(), 1);
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fds[0].as_raw_fd())).unwrap();
    assert_eq!(link.to_str().unwrap(), "anon_inode:seccomp notify");
    std::fs::remove_dir_all(&dir).unwrap();
}
