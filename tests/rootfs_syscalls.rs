//! Syscall count of `setup` + `finish` for the `crun spec` configuration, measured with strace between
//! two marker writes in the forked child. Root; needs strace.
//!
//! `cargo test --test rootfs_syscalls -- --nocapture` prints the per-syscall breakdown.
mod rootfs_util;

use rootfs_util::*;
use std::collections::BTreeMap;

/// The budget for this host (hybrid cgroup v1: the "cgroup" mount is a tmpfs plus one bind per
/// hierarchy, about 30 syscalls; about 3 on a cgroup v2 host).
const BUDGET: usize = 110;

#[test]
fn crun_spec_syscalls() {
    let case = "crun_spec_syscalls";
    if let Some(dir) = child(case) {
        enter_and_exec(&crun_spec(), &dir, Opts { markers: true, ..Opts::default() }, "true");
    }
    if std::process::Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace not installed: skipped");
        return;
    }
    let b = Bundle::new(case);
    let trace = b.dir.join("strace.out");
    let run = b.run_with(&[], &["strace", "-f", "-o", trace.to_str().unwrap()]);
    run.ok();
    let text = std::fs::read_to_string(&trace).unwrap();
    let (count, by_name) = count_between_markers(&text);
    // sethostname is the test's stand-in for the orchestration, not part of rootfs.
    let count = count - by_name.get("sethostname").copied().unwrap_or(0);
    eprintln!("setup+finish for the crun spec config: {count} syscalls");
    for (name, n) in &by_name {
        eprintln!("  {n:3} {name}");
    }
    assert!(count <= BUDGET, "{count} syscalls > budget {BUDGET}: {by_name:?}");
}

/// Syscalls of the marker thread strictly between the RSRUN-BEGIN and RSRUN-END writes.
fn count_between_markers(text: &str) -> (usize, BTreeMap<String, usize>) {
    let begin = text.lines().find(|l| l.contains("write(999, \"RSRUN-BEGIN\"")).expect("begin marker");
    let pid = begin.split_whitespace().next().unwrap();
    let mut inside = false;
    let mut by_name = BTreeMap::new();
    let mut count = 0;
    for l in text.lines() {
        let mut f = l.splitn(2, ' ');
        if f.next() != Some(pid) {
            continue;
        }
        let call = f.next().unwrap_or("").trim_start();
        if call.contains("RSRUN-BEGIN") {
            inside = true;
            continue;
        }
        if call.contains("RSRUN-END") {
            break;
        }
        if !inside || call.starts_with("<...") || call.starts_with("+++") || call.starts_with("---") {
            continue;
        }
        if std::env::var_os("RSRUN_ROOTFS_TRACE").is_some() {
            eprintln!("    {}", &call[..call.len().min(150)]);
        }
        let name = call.split('(').next().unwrap_or("").to_string();
        *by_name.entry(name).or_insert(0) += 1;
        count += 1;
    }
    (count, by_name)
}
