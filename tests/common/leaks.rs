//! Leftover checks: state, cgroups, host mounts and processes a container must not leave behind.
use super::runtime::is_zombie;
use super::*;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// How long leftovers may take to disappear after a delete (process reaping is asynchronous).
const LEFTOVER_GRACE: Duration = Duration::from_secs(5);

/// One mountinfo line reduced to what identifies a mount (ids change; these do not):
/// (root, mount point, fs type, source).
type MountKey = (String, String, String, String);

fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses /proc/PID/mountinfo text into keys.
fn parse_mountinfo(text: &str) -> Vec<MountKey> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let l: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            Some((
                unescape_mount(l.get(3)?),
                unescape_mount(l.get(4)?),
                r.first()?.to_string(),
                unescape_mount(r.get(1)?),
            ))
        })
        .collect()
}

/// Mount points at or under `dir` in our mount namespace.
pub fn mount_points_under(dir: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    parse_mountinfo(&text).into_iter().map(|m| PathBuf::from(m.1)).filter(|p| p.starts_with(dir)).collect()
}

/// What leftover checks look for: the container id and the unique names of its bundle and runtime
/// root. All carry fixed-width unique suffixes, so a substring match never hits another test.
struct Needles {
    id: String,
    names: Vec<String>,
    paths: Vec<PathBuf>,
}

impl Needles {
    fn new(rt: &Runtime, bundle: &Bundle, id: &str) -> Needles {
        let rt_name = rt.base().file_name().unwrap().to_string_lossy().into_owned();
        Needles {
            id: id.to_string(),
            names: vec![bundle.name().to_string(), rt_name],
            paths: vec![bundle.path().to_path_buf(), rt.base().to_path_buf()],
        }
    }

    fn hit(&self, s: &str) -> bool {
        s.contains(&self.id) || self.names.iter().any(|n| s.contains(n.as_str()))
    }

    fn mount_hit(&self, m: &MountKey) -> bool {
        self.hit(&m.0) || self.hit(&m.1) || self.hit(&m.3)
    }
}

/// Snapshot of the host mounts that concern one container, taken before it runs, and the checks
/// that must hold after it is deleted:
/// - no state left for the id under the runtime's --root;
/// - no cgroup directory whose name contains the id, anywhere under /sys/fs/cgroup (every v1
///   hierarchy, the systemd one and cgroup2 at /sys/fs/cgroup/unified or /sys/fs/cgroup);
/// - host /proc/self/mountinfo: the mounts that mention the bundle, the runtime root or the id are
///   the same as before. Other tests mount and unmount in parallel; looking only at mounts that name
///   our unique paths makes the comparison immune to that churn.
/// - no process left: none whose command line contains the id, whose cwd, root or exe is in the
///   bundle or runtime root, whose /proc/PID/cgroup names the id, or (for processes in other mount
///   namespaces) whose mount table still holds the bundle's rootfs.
///
/// The bundle and the runtime root count as the container's: give each container its own bundle
/// when a test checks one container's leftovers while another one still runs.
pub struct LeakCheck {
    state_dir: PathBuf,
    root: PathBuf,
    needles: Needles,
    mounts_before: Vec<MountKey>,
}

impl LeakCheck {
    pub fn new(rt: &Runtime, bundle: &Bundle, id: &str) -> LeakCheck {
        let needles = Needles::new(rt, bundle, id);
        let mounts_before = relevant_mounts(&needles);
        LeakCheck { state_dir: rt.state_dir(id), root: rt.root().to_path_buf(), needles, mounts_before }
    }

    /// Leftovers now, one line each; empty when clean.
    pub fn find(&self) -> Vec<String> {
        let mut found = Vec::new();
        if self.state_dir.exists() {
            found.push(format!("state dir {}", self.state_dir.display()));
        }
        if let Ok(rd) = fs::read_dir(&self.root) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.contains(&self.needles.id) && e.path() != self.state_dir {
                    found.push(format!("runtime root entry {}", e.path().display()));
                }
            }
        }
        for c in cgroups_named(&self.needles.id) {
            found.push(format!("cgroup {}", c.display()));
        }
        let now = relevant_mounts(&self.needles);
        for m in &now {
            if !self.mounts_before.contains(m) {
                found.push(format!("host mount {} on {} ({}, source {})", m.0, m.1, m.2, m.3));
            }
        }
        for m in &self.mounts_before {
            if !now.contains(m) {
                found.push(format!("host mount disappeared: {} on {} ({})", m.0, m.1, m.2));
            }
        }
        found.extend(stray_processes(&self.needles));
        found
    }

    /// Waits up to 5 s for leftovers to go away (reaping is asynchronous), then panics listing them.
    #[track_caller]
    pub fn assert_clean(&self) {
        let end = Instant::now() + LEFTOVER_GRACE;
        loop {
            let found = self.find();
            if found.is_empty() {
                return;
            }
            if Instant::now() >= end {
                panic!("leftovers of container {}:\n  {}", self.needles.id, found.join("\n  "));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn relevant_mounts(n: &Needles) -> Vec<MountKey> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    parse_mountinfo(&text).into_iter().filter(|m| n.mount_hit(m)).collect()
}

/// Directories under /sys/fs/cgroup whose name contains `id` (the whole tree, without following
/// symlinks; it is small).
pub fn cgroups_named(id: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::from("/sys/fs/cgroup")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if !ft.is_dir() {
                continue;
            }
            if e.file_name().to_string_lossy().contains(id) {
                found.push(e.path());
            }
            stack.push(e.path());
        }
    }
    found
}

/// Processes that belong to the container or its runtime invocation (see `LeakCheck`).
fn stray_processes(n: &Needles) -> Vec<String> {
    let me = std::process::id().to_string();
    let my_mnt_ns = fs::read_link("/proc/self/ns/mnt").ok();
    let mut seen_ns: HashMap<PathBuf, bool> = HashMap::new();
    let mut found = Vec::new();
    let Ok(rd) = fs::read_dir("/proc") else { return found };
    for e in rd.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let p = e.path();
        let Ok(pid_n) = pid.parse::<i32>() else { continue };
        if is_zombie(pid_n) {
            continue; // dead; only its parent can reap it
        }
        let cmdline = fs::read(p.join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " ").trim_end().to_string())
            .unwrap_or_default();
        let mut why = Vec::new();
        if cmdline.contains(&n.id) {
            why.push("command line names the id".to_string());
        }
        for link in ["cwd", "root", "exe"] {
            if let Ok(t) = fs::read_link(p.join(link))
                && n.paths.iter().any(|d| t.starts_with(d))
            {
                why.push(format!("{link} is {}", t.display()));
            }
        }
        if let Ok(cg) = fs::read_to_string(p.join("cgroup"))
            && cg.contains(&n.id)
        {
            why.push("in the container's cgroup".to_string());
        }
        if let Ok(ns) = fs::read_link(p.join("ns/mnt"))
            && Some(&ns) != my_mnt_ns.as_ref()
        {
            let holds = *seen_ns.entry(ns).or_insert_with(|| {
                let text = fs::read_to_string(p.join("mountinfo")).unwrap_or_default();
                parse_mountinfo(&text).iter().any(|m| n.mount_hit(m))
            });
            if holds {
                why.push("its mount namespace holds the bundle's mounts".to_string());
            }
        }
        if !why.is_empty() {
            found.push(format!("process {pid} ({cmdline}): {}", why.join(", ")));
        }
    }
    found
}

/// Leftovers of `id` without a mount snapshot (assumes nothing mentioned the bundle before).
pub fn leftovers(rt: &Runtime, bundle: &Bundle, id: &str) -> Vec<String> {
    LeakCheck { mounts_before: Vec::new(), ..LeakCheck::new(rt, bundle, id) }.find()
}
