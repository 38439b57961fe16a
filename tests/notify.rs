//! NOTIFY_SOCKET (sd_notify through the runtime), beside crun and runc: with NOTIFY_SOCKET set for
//! create and start, the container sees a socket of the runtime's at /run/notify/notify.sock (never
//! the host's), and `start` passes the container's READY=1 on to the host's socket with the init's
//! pid as MAINPID. Without it, nothing is mounted.
mod common;
use common::*;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// `BIN --root R ARGS...` with NOTIFY_SOCKET=`socket`, output to files (the container keeps them).
fn with_notify(rt: &Runtime, args: &[&str], socket: &std::path::Path, name: &str) -> Out {
    let out = rt.base().join(format!("{name}.out"));
    let err = rt.base().join(format!("{name}.err"));
    run_to_files(rt.command(args).env("NOTIFY_SOCKET", socket), None, &out, &err, timeout())
}

#[test]
fn ready_reaches_the_host_socket_with_the_init_as_mainpid() {
    require_root();
    for &kind in ALL {
        let rt = Runtime::new(kind);
        let bundle = Bundle::new();
        install_probe(&bundle);
        bundle.args(&["/bin/probe", "notify"]);
        let id = unique_id("notify");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let host = rt.base().join("host-notify.sock");
        let listener = UnixDatagram::bind(&host).unwrap();
        listener.set_read_timeout(Some(Duration::from_secs(20))).unwrap();

        rt.track(&id);
        let b = bundle.path().to_str().unwrap();
        with_notify(&rt, &["create", "--bundle", b, &id], &host, "create").assert_ok();
        let pid = rt.pid(&id).expect("a created container has a pid");
        // `start` returns once the container said READY (or ended).
        with_notify(&rt, &["start", &id], &host, "start").assert_ok();
        let mut got = String::new();
        let mut buf = [0u8; 4096];
        // crun 1.8 sends READY=1 and BARRIER=1, no MAINPID; rsrun does what runc does.
        let want_mainpid = kind != Kind::Crun;
        while !got.contains("READY=1\n") || (want_mainpid && !got.contains("MAINPID=")) {
            let n = listener.recv(&mut buf).unwrap_or_else(|e| panic!("{}: nothing on the host socket ({e}); got {got:?}", kind.name()));
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
            if !got.ends_with('\n') {
                got.push('\n');
            }
        }
        let lines: Vec<&str> = got.lines().collect();
        assert!(lines.contains(&"READY=1"), "{}: {got:?}", kind.name());
        if want_mainpid {
            assert!(lines.contains(&format!("MAINPID={pid}").as_str()), "{}: want MAINPID={pid}, got {got:?}", kind.name());
        }

        assert_eq!(rt.wait_status(&id, "stopped", Duration::from_secs(10)).as_deref(), Some("stopped"));
        // The container's stdio is create's.
        let stdout = std::fs::read_to_string(rt.base().join("create.out")).unwrap();
        let stderr = std::fs::read_to_string(rt.base().join("create.err")).unwrap();
        // runc's path (rsrun's too); crun 1.8 mounts its proxy at "<host path>/notify". Never the
        // host's own socket.
        let want = if kind == Kind::Crun { format!("NOTIFY_SOCKET={}/notify\nsent\n", host.display()) } else { "NOTIFY_SOCKET=/run/notify/notify.sock\nsent\n".to_string() };
        assert_eq!(stdout, want, "{}: stderr {stderr}", kind.name());
        rt.delete(&id).assert_ok();
        leaks.assert_clean();
    }
}

#[test]
fn without_notify_socket_nothing_is_mounted_or_set() {
    require_root();
    let rt = Runtime::rsrun();
    let bundle = Bundle::new();
    install_probe(&bundle);
    bundle.sh("/bin/probe notify; test -e /run/notify && echo mounted || echo none");
    let id = unique_id("no-notify");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let mut cmd = rt.command(&["run", "--bundle", bundle.path().to_str().unwrap(), &id]);
    cmd.env_remove("NOTIFY_SOCKET");
    rt.track(&id);
    let out = run_command(&mut cmd, None, timeout());
    assert_eq!(out.stdout, "NOTIFY_SOCKET=\nnone\n", "{out}");
    leaks.assert_clean();
}
