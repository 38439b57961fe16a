//! `rsrun spec` against `runc spec` (same key structure, recursively; same tab layout) and the
//! `features` document.
use rsrun::json::{Kind, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

fn rsrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsrun")).args(args).output().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("rsrun-test-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Every path to a leaf or container, with its kind: `.linux.namespaces[2].type String`.
fn shape(v: Value, at: &str, out: &mut Vec<String>) {
    out.push(format!("{at} {:?}", v.kind()));
    match v.kind() {
        Kind::Object => v.members().for_each(|(k, x)| shape(x, &format!("{at}.{}", k.get()), out)),
        Kind::Array => v.items().enumerate().for_each(|(i, x)| shape(x, &format!("{at}[{i}]"), out)),
        _ => {}
    }
}

fn shape_of(path: &PathBuf) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    let doc = rsrun::json::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    shape(doc.root(), "", &mut out);
    out
}

fn have_runc() -> bool {
    Command::new("runc").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn spec_matches_runc_spec() {
    if !have_runc() {
        eprintln!("runc not installed: skipped");
        return;
    }
    let dir = tmp("spec");
    for rootless in [false, true] {
        let (ours, theirs) = (dir.join(format!("rsrun-{rootless}")), dir.join(format!("runc-{rootless}")));
        std::fs::create_dir_all(&ours).unwrap();
        std::fs::create_dir_all(&theirs).unwrap();
        let flag: &[&str] = if rootless { &["--rootless"] } else { &[] };
        let o = rsrun(&[&["spec", "--bundle", ours.to_str().unwrap()][..], flag].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o =
            Command::new("runc").args([&["spec", "-b", theirs.to_str().unwrap()][..], flag].concat()).output().unwrap();
        assert!(o.status.success());
        let (a, b) = (ours.join("config.json"), theirs.join("config.json"));
        assert_eq!(shape_of(&a), shape_of(&b), "rootless={rootless}");
        // Same text too, but for our spec version and hostname.
        let ours_text = std::fs::read_to_string(&a).unwrap();
        let theirs_text = std::fs::read_to_string(&b).unwrap();
        let rsrun_as_runc = ours_text.replace("\"1.2.0\"", "\"1.0.2-dev\"").replace("\"rsrun\"", "\"runc\"");
        assert_eq!(rsrun_as_runc, theirs_text, "rootless={rootless}");
        if rootless {
            let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
            assert!(ours_text.contains(&format!("\"hostID\": {uid},")));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn spec_refuses_to_overwrite_and_uses_the_current_directory() {
    let dir = tmp("spec-exists");
    let o = Command::new(env!("CARGO_BIN_EXE_rsrun")).arg("spec").current_dir(&dir).output().unwrap();
    assert!(o.status.success());
    let first = std::fs::read(dir.join("config.json")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rsrun")).arg("spec").current_dir(&dir).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "rsrun: File config.json exists. Remove it first\n");
    assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), first, "the existing file must be untouched");
    let o = rsrun(&["spec", "-b", dir.join("nosuch").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("No such file or directory"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn features_document() {
    let o = rsrun(&["features"]);
    assert!(o.status.success());
    let doc = rsrun::json::parse(&o.stdout).unwrap();
    let root = doc.root();
    let strs = |v: Value| -> Vec<String> { v.items().map(|x| x.as_str().unwrap().get().into_owned()).collect() };
    let get =
        |path: &str| path.split('.').fold(root, |v, k| v.get(k).unwrap_or_else(|| panic!("features lacks {path}")));
    assert_eq!(get("ociVersionMin").as_str().unwrap().get(), "1.0.0");
    assert_eq!(get("ociVersionMax").as_str().unwrap().get(), "1.2.0");
    assert_eq!(strs(get("hooks")).len(), 6);
    assert!(strs(get("mountOptions")).iter().any(|o| o == "rbind"));
    assert_eq!(strs(get("linux.namespaces")), ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]);
    let caps = strs(get("linux.capabilities"));
    assert_eq!((caps.len(), caps[0].as_str(), caps[40].as_str()), (41, "CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"));
    assert_eq!(get("linux.seccomp.enabled").as_bool(), Some(true));
    assert_eq!(strs(get("linux.seccomp.archs")), ["SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"]);
    assert_eq!(strs(get("linux.seccomp.actions")).len(), 9);
    assert_eq!(strs(get("linux.seccomp.operators")).len(), 7);
    for k in ["v1", "v2", "systemd", "systemdUser"] {
        assert!(get(&format!("linux.cgroup.{k}")).as_bool().is_some());
    }
    assert_eq!(get("linux.mountExtensions.idmap.enabled").as_bool(), Some(true));
    assert_eq!(get("linux.apparmor.enabled").as_bool(), Some(false));
    // runc's layout: four-space indentation, trailing newline.
    assert!(o.stdout.starts_with(b"{\n    \"ociVersionMin\": \"1.0.0\",\n") && o.stdout.ends_with(b"\n}\n"));
    // Every capability runc knows is in our list.
    if have_runc() {
        let r = Command::new("runc").arg("features").output().unwrap();
        let rdoc = rsrun::json::parse(&r.stdout).unwrap();
        for cap in strs(rdoc.root().get("linux").unwrap().get("capabilities").unwrap()) {
            assert!(caps.contains(&cap), "{cap} missing");
        }
    }
}
