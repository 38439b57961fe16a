//! The C probe (tests/common/probe.c, built once per test binary with `gcc -static -O2`, which needs
//! gcc and libc6-dev), runs of one bundle setup under several runtimes, host directories that must
//! stay untouched, and the docker seccomp profile.
use super::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Directories removed when the test binary exits (the compiled helpers).
static AT_EXIT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

unsafe extern "C" {
    fn atexit(cb: extern "C" fn()) -> i32;
}

extern "C" fn remove_at_exit() {
    if let Ok(dirs) = AT_EXIT.lock() {
        for d in dirs.iter() {
            let _ = fs::remove_dir_all(d);
        }
    }
}

/// The probe, compiled on first use into a private directory under the test dir (removed at exit).
pub fn probe_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = test_dir().join(format!("helpers-{}", unique_suffix()));
        fs::create_dir_all(&dir).unwrap();
        AT_EXIT.lock().unwrap().push(dir.clone());
        // SAFETY: registers a plain function; libtest leaves main through exit(), which calls it.
        unsafe { atexit(remove_at_exit) };
        let bin = dir.join("probe");
        let src = repo_root().join("tests/common/probe.c");
        let out = run_command(
            Command::new("gcc").args(["-static", "-O2", "-Wall", "-o"]).arg(&bin).arg(&src),
            None,
            timeout(),
        );
        assert!(out.success(), "building tests/common/probe.c needs gcc and libc6-dev (static libc):\n{out}");
        bin
    })
}

/// Whether this kernel runs i386 syscalls from 64-bit processes (CONFIG_IA32_EMULATION, not
/// disabled with ia32_emulation=0): the probe's `x86` mode on the host.
pub fn ia32_available() -> bool {
    let out = run_command(Command::new(probe_binary()).args(["x86", "24"]), None, timeout());
    out.success() && out.stdout.starts_with("ok ")
}

/// Copies the probe into the bundle's rootfs as `/bin/<name>`.
pub fn install_probe_as(bundle: &Bundle, name: &str) {
    let dst = bundle.rootfs().join("bin").join(name);
    fs::copy(probe_binary(), &dst).unwrap_or_else(|e| panic!("copy probe to {}: {e}", dst.display()));
}

/// Copies the probe into the bundle's rootfs as `/bin/probe`.
pub fn install_probe(bundle: &Bundle) {
    install_probe_as(bundle, "probe");
}

/// `linux.seccomp` of tests/fixtures/configs/docker.json (docker 20's default profile), compact JSON.
pub fn docker_seccomp() -> String {
    let cfg = fs::read_to_string(repo_root().join("tests/fixtures/configs/docker.json")).unwrap();
    jq(&cfg, ".linux.seccomp")
}

/// Runs a fresh bundle, prepared by `setup`, under `kind` with `run` in the foreground; checks that
/// nothing is left behind and returns the bundle (for files the container wrote) and the output.
pub fn run_one(kind: Kind, tag: &str, setup: &dyn Fn(&Bundle)) -> (Bundle, Out) {
    let bundle = Bundle::new();
    setup(&bundle);
    let rt = Runtime::new(kind);
    let id = unique_id(tag);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.run_container(&bundle, &id);
    assert!(!out.timed_out, "{} timed out:\n{out}", kind.name());
    leaks.assert_clean();
    drop(rt);
    (bundle, out)
}

/// `run_one` under each of `kinds`; the outputs in the same order.
pub fn run_per_runtime(kinds: &[Kind], tag: &str, setup: &dyn Fn(&Bundle)) -> Vec<(Kind, Out)> {
    kinds.iter().map(|&k| (k, run_one(k, tag, setup).1)).collect()
}


/// Panics unless `norm(out)` is the same for every run, showing all of them.
#[track_caller]
pub fn assert_same(runs: &[(Kind, Out)], norm: impl Fn(&Out) -> String) {
    let first = norm(&runs[0].1);
    if runs.iter().all(|(_, o)| norm(o) == first) {
        return;
    }
    let mut msg = String::from("runtimes disagree:\n");
    for (k, o) in runs {
        msg.push_str(&format!("===== {} (normalised) =====\n{}\n----- raw -----\n{o}\n", k.name(), norm(o)));
    }
    panic!("{msg}");
}

/// `rsrun create` of a fresh bundle prepared by `setup` must fail with every string of `want` in its
/// message and leave nothing behind. Returns the output.
#[track_caller]
pub fn create_fails(tag: &str, setup: &dyn Fn(&Bundle), want: &[&str]) -> Out {
    let bundle = Bundle::new();
    setup(&bundle);
    let rt = Runtime::rsrun();
    let id = unique_id(tag);
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let out = rt.create(&bundle, &id);
    out.assert_fail();
    for w in want {
        assert!(out.stderr.contains(w), "want {w:?} in the error:\n{out}");
    }
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "one line of error:\n{out}");
    leaks.assert_clean();
    out
}

/// A directory on the host, outside every rootfs, that a container must not write to or mount on.
/// Holds one marker file; removed on drop.
pub struct HostDir {
    path: PathBuf,
}

impl HostDir {
    pub fn new(tag: &str) -> HostDir {
        let path = test_dir().join(format!("host-{tag}-{}", unique_suffix()));
        fs::create_dir_all(&path).unwrap();
        fs::write(path.join("marker"), "host\n").unwrap();
        HostDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// Panics if anything but the marker is in it, the marker changed, or something is mounted
    /// on or under it (in this mount namespace).
    #[track_caller]
    pub fn assert_untouched(&self) {
        let entries: Vec<String> =
            fs::read_dir(&self.path).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(entries, ["marker"], "host directory {} was written to", self.path.display());
        assert_eq!(fs::read_to_string(self.path.join("marker")).unwrap(), "host\n");
        let mounts = mount_points_under(&self.path);
        assert!(mounts.is_empty(), "host mounts under {}: {mounts:?}", self.path.display());
    }
}

impl Drop for HostDir {
    fn drop(&mut self) {
        remove_tree(&self.path);
    }
}
