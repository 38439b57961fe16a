//! Syscall count of the process setup for the `crun spec` config (caps AUDIT_WRITE, KILL and
//! NET_BIND_SERVICE in every set but inheritable, RLIMIT_NOFILE 1024/1024, noNewPrivileges, uid 0,
//! args ["sh", ...] found on the default PATH in /bin, no HOME in the env), measured with strace
//! between markers the child writes (see process_support::mark). Skipped without strace.
mod process_support;

use process_support::*;
use rsrun::init::process::Role;
use std::collections::BTreeMap;

#[test]
fn child() {
    let Some(case) = child_case() else { return };
    assert_eq!(case, "count");
    enter_rootfs(&child_root().expect("rootfs"), true);
    run_all(&crun_spec(vec!["sh".into(), "-c".into(), "true".into()]), 0, None, Role::Init, &|| Ok(()), &|| {})
}

/// Syscalls per phase of the traced thread: from each "MARK <phase>" to the next mark, the last
/// phase ending with (and counting) the execve of the container's program.
fn phases(log: &str) -> Vec<(String, Vec<String>)> {
    let tid = log
        .lines()
        .find(|l| l.contains("\"MARK validate\""))
        .and_then(|l| l.split_whitespace().next())
        .expect("no MARK in the strace log")
        .to_string();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in log.lines() {
        let mut it = line.splitn(2, ' ');
        if it.next() != Some(tid.as_str()) {
            continue;
        }
        let call = it.next().unwrap_or("").trim_start();
        if call.starts_with("<...") || call.starts_with("+++") || call.starts_with("---") {
            continue;
        }
        if let Some(m) = call.split("\"MARK ").nth(1) {
            out.push((m.split('"').next().unwrap().to_string(), Vec::new()));
            continue;
        }
        if let Some((_, calls)) = out.last_mut() {
            let name = call.split('(').next().unwrap().to_string();
            calls.push(name.clone());
            if name == "execve" {
                break;
            }
        }
    }
    out
}

#[test]
fn crun_spec_config_syscalls() {
    if !require_root() || std::process::Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: needs root and strace");
        return;
    }
    let r = Rootfs::new("count");
    let log = r.dir.join("strace.log");
    let log_s = log.to_str().unwrap().to_string();
    let o = run_child_with("count", Some(&r.root()), Some(&["strace", "-f", "-o", &log_s]));
    assert_eq!(o.code, 0, "{o}");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut total = 0;
    let mut report = String::new();
    for (phase, calls) in phases(&text) {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &calls {
            *by.entry(c.as_str()).or_default() += 1;
        }
        report += &format!("{phase}: {} {:?}\n", calls.len(), by);
        total += calls.len();
    }
    eprintln!("{report}total: {total}");
    // validate 0, make_undumpable 1, prepare 9 (6 PATH stats, /etc/passwd open+read, ...),
    // apply 49 (39 of them the bounding set), exec 2.
    assert!(total <= 64, "{report}total {total}");
}
