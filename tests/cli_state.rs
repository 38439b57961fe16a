//! `state`, `list`, `delete` and `--log` against hand-made state directories, with the real binary.
use rsrun::json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rsrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsrun")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh --root (removed when dropped).
struct Root(PathBuf);

impl Root {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("rsrun-test-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Root(p)
    }
    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn run(&self, args: &[&str]) -> Output {
        rsrun(&[&["--root", self.s()][..], args].concat())
    }
    /// Writes `<root>/<id>/state.json` by hand, as create will.
    fn container(&self, id: &str, pid: u32, start: u64) {
        let dir = self.0.join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let json = format!(
            r#"{{"ociVersion":"1.2.0","id":"{id}","pid":{pid},"start":{start},"bundle":"/tmp/bundle-{id}","rootfs":"/tmp/bundle-{id}/rootfs","created":"2026-11-29T00:12:34.123456789Z","owner":0,"annotations":{{"org_test":"<&>"}},"future":{{"path":"/rsrun-test-cli"}}}}"#
        );
        std::fs::write(dir.join("state.json"), json).unwrap();
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The output's JSON, read with the crate's reader (checked against python3's in json_python.rs).
fn json(o: &Output) -> Doc {
    Doc(text(&o.stdout))
}

struct Doc(String);

impl Doc {
    fn with<R>(&self, f: impl FnOnce(Value) -> R) -> R {
        let d = rsrun::json::parse(self.0.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}", self.0));
        f(d.root())
    }
}

fn at<'d, 'a>(v: Value<'d, 'a>, path: &str) -> Value<'d, 'a> {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => v.items().nth(i).unwrap(),
        Err(_) => v.get(k).unwrap_or_else(|| panic!("no {k} in {}", v.text())),
    })
}

fn s(v: Value, path: &str) -> String {
    at(v, path).as_str().unwrap().get().into_owned()
}

fn n(v: Value, path: &str) -> i64 {
    at(v, path).as_i64().unwrap()
}

fn keys(v: Value) -> Vec<String> {
    v.members().map(|(k, _)| k.get().into_owned()).collect()
}

/// Field 22 of /proc/<pid>/stat, read with std for comparison.
fn start_time(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    s[s.rfind(')').unwrap() + 2..].split(' ').nth(19).unwrap().parse().unwrap()
}

#[test]
fn missing_containers() {
    let r = Root::new("missing");
    let o = r.run(&["state", "nosuch"]);
    assert_eq!((o.status.code(), text(&o.stderr).as_str()), (Some(1), "rsrun: container \"nosuch\" does not exist\n"));
    let o = r.run(&["delete", "nosuch"]);
    assert_eq!((o.status.code(), text(&o.stderr).as_str()), (Some(1), "rsrun: container \"nosuch\" does not exist\n"));
    let o = r.run(&["delete", "-f", "nosuch"]);
    assert_eq!((o.status.code(), o.stderr.len(), o.stdout.len()), (Some(0), 0, 0));
    assert!(!r.0.exists(), "state/delete must not create the root");
    std::fs::create_dir_all(&r.0).unwrap();
    assert_eq!(r.run(&["state", "nosuch"]).status.code(), Some(1));
}

#[test]
fn log_file_json_and_text() {
    let r = Root::new("log");
    std::fs::create_dir_all(&r.0).unwrap();
    let log = r.0.join("log.json");
    let l = log.to_str().unwrap();
    for _ in 0..2 {
        let o = r.run(&["--log", l, "--log-format", "json", "state", "nosuch"]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            text(&o.stderr),
            "container \"nosuch\" does not exist\n",
            "with --log, stderr gets the bare message"
        );
    }
    let o = rsrun(&["--root", r.s(), "--log", l, "--log-format=json", "state", "../x"]);
    assert_eq!(o.status.code(), Some(1));
    let data = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<_> = data.lines().collect();
    assert_eq!(lines.len(), 3, "{data}");
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with("{\"level\":\"error\",\"msg\":\""), "{line}");
        let v = Doc(line.to_string());
        assert_eq!(v.with(keys), ["level", "msg", "time"]);
        assert_eq!(v.with(|v| s(v, "level")), "error");
        let msg = v.with(|v| s(v, "msg"));
        if i < 2 {
            assert_eq!(msg, "container \"nosuch\" does not exist");
        } else {
            assert!(msg.starts_with("invalid container id \"../x\""), "{msg}");
        }
        let time = v.with(|v| s(v, "time"));
        assert_eq!(time.len(), 30, "{time}");
        assert!(
            time.starts_with("20") && time.ends_with('Z') && &time[10..11] == "T" && &time[19..20] == ".",
            "{time}"
        );
    }
    // And an independent judge: python3's json module takes every line.
    let py =
        "import json,sys\nfor l in open(sys.argv[1]): d = json.loads(l); assert list(d) == ['level','msg','time'], d";
    assert!(Command::new("python3").args(["-c", py, l]).status().unwrap().success());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o644);

    let txt = r.0.join("log.txt");
    let o = r.run(&["--log", txt.to_str().unwrap(), "delete", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    let data = std::fs::read_to_string(&txt).unwrap();
    assert!(data.starts_with("time=\"20"), "{data}");
    assert!(data.ends_with("Z\" level=error msg=\"container \\\"nosuch\\\" does not exist\"\n"), "{data}");

    // --debug lines go to the log too; without --debug there are none.
    let dbg = r.0.join("debug.json");
    let d = dbg.to_str().unwrap();
    r.run(&["--log", d, "--log-format", "json", "--criu", "/x", "list"]);
    assert!(!dbg.exists() || std::fs::read_to_string(&dbg).unwrap().is_empty());
    r.run(&["--log", d, "--log-format", "json", "--debug", "--criu", "/x", "list"]);
    let data = std::fs::read_to_string(&dbg).unwrap();
    assert!(data.starts_with("{\"level\":\"debug\",\"msg\":\"--criu is ignored"), "{data}");
}

#[test]
fn list_formats() {
    let r = Root::new("list");
    // No root at all, then an empty root: header only, nothing, empty array.
    for _ in 0..2 {
        assert_eq!(
            text(&r.run(&["list"]).stdout),
            "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
        );
        assert_eq!(text(&r.run(&["list", "-q"]).stdout), "");
        assert_eq!(text(&r.run(&["list", "--format", "json"]).stdout), "[]\n");
        std::fs::create_dir_all(&r.0).unwrap();
    }
    r.container("stopped-one", 999_999_999, 5);
    std::fs::create_dir_all(r.0.join("no-state-yet")).unwrap(); // being created: not listed
    std::fs::write(r.0.join("stray-file"), b"").unwrap();
    let out = text(&r.run(&["list"]).stdout);
    assert_eq!(
        out,
        "ID            PID         STATUS      BUNDLE                    CREATED                          OWNER\n\
         stopped-one   0           stopped     /tmp/bundle-stopped-one   2026-11-29T00:12:34.123456789Z   root\n"
    );
    assert_eq!(text(&r.run(&["list", "-q"]).stdout), "stopped-one\n");
    json(&r.run(&["list", "-f", "json"])).with(|v| {
        assert_eq!(v.len(), 1);
        let c = at(v, "0");
        assert_eq!(
            keys(c),
            ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"]
        );
        assert_eq!(
            (s(c, "id"), s(c, "status"), s(c, "owner")),
            ("stopped-one".into(), "stopped".into(), "root".into())
        );
        assert_eq!(n(c, "pid"), 0);
        assert_eq!(s(c, "annotations.org_test"), "<&>");
    });
}

#[test]
fn state_status_and_delete() {
    let r = Root::new("status");
    let mut child = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = child.id();
    let start = start_time(pid);
    r.container("live", pid, start);
    r.container("reused-pid", pid, start + 1);
    r.container("gone", 999_999_999, 0);

    let st = |id: &str| json(&r.run(&["state", id])).with(|v| (s(v, "status"), n(v, "pid")));
    json(&r.run(&["state", "live"])).with(|v| {
        assert_eq!(
            keys(v),
            ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"]
        );
        assert_eq!(s(v, "owner"), "");
        assert_eq!(s(v, "bundle"), "/tmp/bundle-live");
    });
    assert_eq!(st("live"), ("running".into(), pid as i64));
    let out = text(&r.run(&["state", "live"]).stdout);
    assert!(out.starts_with("{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"live\",\n"), "{out}");
    assert_eq!(st("reused-pid"), ("stopped".into(), 0));
    assert_eq!(st("gone"), ("stopped".into(), 0));

    std::fs::write(r.0.join("live/exec.fifo"), b"").unwrap();
    assert_eq!(st("live"), ("created".into(), pid as i64));
    std::fs::remove_file(r.0.join("live/exec.fifo")).unwrap();

    // Deleting a running container needs --force (and the kill path, which comes later).
    let o = r.run(&["delete", "live"]);
    assert_eq!(text(&o.stderr), "rsrun: cannot delete container live that is not stopped: running\n");
    assert!(r.0.join("live/state.json").exists());

    // A stopped container (pid gone, or pid reused) is removed, state dir and all.
    std::fs::write(r.0.join("gone/exec.fifo"), b"").unwrap();
    for id in ["gone", "reused-pid"] {
        let o = r.run(&["delete", id]);
        assert_eq!((o.status.code(), o.stderr.len()), (Some(0), 0), "{}", text(&o.stderr));
        assert!(!r.0.join(id).exists());
        assert_eq!(r.run(&["delete", id]).status.code(), Some(1));
    }
    // A directory with no state.json (a create that died) is only cleaned by --force.
    std::fs::create_dir_all(r.0.join("half")).unwrap();
    assert!(text(&r.run(&["delete", "half"]).stderr).contains("does not exist"));
    assert_eq!(r.run(&["delete", "--force", "half"]).status.code(), Some(0));
    assert!(!Path::new(&r.0.join("half")).exists());

    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(st("live"), ("stopped".into(), 0));
    assert_eq!(r.run(&["delete", "live"]).status.code(), Some(0));
}
