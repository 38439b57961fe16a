//! The container's mount table for the `crun spec` configuration, compared with what runc and crun
//! produce on this host (normalised: mount point, per-mount options, fstype, source, super options).
//! Root; skipped when a runtime is not installed.
mod rootfs_util;

use rootfs_util::*;
use std::collections::BTreeSet;
use std::process::Command;

/// A copy of ../shared/fixtures/configs/crun-spec.json.
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/configs/crun-spec.json");

/// Lines every runtime may legitimately differ on (documented in docs/mounts.md).
fn normalise(text: &str, masked: &[&str]) -> BTreeSet<String> {
    mountinfo_lines(text)
        .into_iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let mp = f[0];
            // The cgroup v1 tmpfs: rsrun makes it read-only with the rest of the cgroup mount,
            // runc and crun leave it writable (and crun names it "cgroup", size=1024k).
            if mp == "/sys/fs/cgroup" {
                return None;
            }
            // Masked paths: what matters is that they are covered (crun binds the host's
            // /dev/null, runc and rsrun the container's).
            if masked.contains(&mp) {
                return Some(format!("{mp} masked"));
            }
            // sysfs: runc and rsrun pass MS_RDONLY to mount(2) (superblock "ro"), crun remounts the
            // mount point read-only (superblock "rw"). Both are read-only mounts.
            if f[2] == "sysfs" {
                return Some(f[..4].join(" "));
            }
            Some(f[..5].join(" "))
        })
        .collect()
}

fn run_runtime(rt: &str, b: &Bundle) -> Option<String> {
    if Command::new(rt).arg("--version").output().is_err() || !std::path::Path::new(CONFIG).exists() {
        return None;
    }
    let cfg: String = std::fs::read_to_string(CONFIG).unwrap();
    let cfg = cfg.replace("\"true\"", "\"/bin/cat\", \"/proc/self/mountinfo\"");
    std::fs::write(b.dir.join("config.json"), cfg).unwrap();
    let root = format!("/tmp/rsrun-test-rootfs-{rt}root-{}", std::process::id());
    let id = format!("rsrun-test-rootfs-{}", std::process::id());
    let out = Command::new(rt).args(["--root", &root, "run", "--bundle"]).arg(&b.dir).arg(&id).output().unwrap();
    let _ = Command::new(rt).args(["--root", &root, "delete", "--force", &id]).output();
    let _ = std::fs::remove_dir_all(&root);
    assert!(out.status.success(), "{rt}: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn same_mounts_as_runc_and_crun() {
    let case = "same_mounts_as_runc_and_crun";
    if let Some(dir) = child(case) {
        enter_and_exec(&crun_spec(), &dir, Opts::default(), "cat /proc/self/mountinfo");
    }
    let spec = crun_spec();
    let masked: Vec<&str> = spec.linux.as_ref().unwrap().masked_paths.iter().map(|p| &**p).collect();
    let b = Bundle::new(case);
    let ours = normalise(b.run(&[]).ok(), &masked);
    for rt in ["runc", "crun"] {
        let Some(theirs) = run_runtime(rt, &b) else {
            eprintln!("{rt} not available: skipped");
            continue;
        };
        let theirs = normalise(&theirs, &masked);
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        assert!(only_ours.is_empty() && only_theirs.is_empty(), "vs {rt}:\nonly rsrun: {only_ours:#?}\nonly {rt}: {only_theirs:#?}");
    }
}
