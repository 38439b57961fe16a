//! Bad configs are refused before anything is made: each case is one jq patch of the busybox bundle
//! whose `rsrun create` must fail (exit status non-zero, never a signal or a timeout) with one line
//! that names the config field, and leave nothing behind (state dir, cgroup, mount, process:
//! `LeakCheck`). Where runc 1.1.5 refuses the same config, it is run too (the differential check:
//! a config runc accepts may still be one rsrun refuses, by the runtime-spec or by design, and then
//! the case says why).
//!
//! The rules are runc's validator (libcontainer/configs/validate) plus the runtime-spec's MUSTs;
//! src/container/validate.rs lists them.
mod common;
use common::*;
use std::fs;
use std::process::Command;

/// One bad config: the jq patch, the strings rsrun's error must contain (the field first), and
/// whether runc 1.1.5 refuses it as well.
struct Case {
    patch: &'static str,
    want: &'static [&'static str],
    runc_refuses: bool,
}

const fn case(patch: &'static str, want: &'static [&'static str], runc_refuses: bool) -> Case {
    Case { patch, want, runc_refuses }
}

/// Runs every case on one bundle (its config.json rewritten per case) and fails listing every case
/// that went wrong, not just the first.
#[track_caller]
fn refused(tag: &str, cases: &[Case]) {
    require_root();
    let bundle = Bundle::new();
    let base = bundle.config();
    let rsrun = Runtime::rsrun();
    let runc = Runtime::runc();
    let mut failures = Vec::new();
    for c in cases {
        fs::write(bundle.config_path(), jq(&base, c.patch) + "\n").unwrap();
        let id = unique_id(tag);
        let leaks = LeakCheck::new(&rsrun, &bundle, &id);
        let out = rsrun.create(&bundle, &id);
        let line = out.stderr.trim_end();
        if out.success() || out.timed_out || out.code.is_none() {
            failures.push(format!("{}: not refused (or killed):\n{out}", c.patch));
            rsrun.cleanup(&id);
            continue;
        }
        if let Some(w) = c.want.iter().find(|w| !line.contains(**w)) {
            failures.push(format!("{}: want {w:?} in the error, got: {line}", c.patch));
        }
        if line.lines().count() != 1 || !line.starts_with("rsrun: ") {
            failures.push(format!("{}: want one line \"rsrun: ...\", got:\n{line}", c.patch));
        }
        let left = leaks.find();
        if !left.is_empty() {
            failures.push(format!("{}: leftovers:\n  {}", c.patch, left.join("\n  ")));
            rsrun.cleanup(&id);
        }
        if c.runc_refuses {
            let id = unique_id(tag);
            let out = runc.create(&bundle, &id);
            if out.success() {
                failures.push(format!("{}: runc accepts it (the case says it refuses)", c.patch));
                runc.cleanup(&id);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Namespaces a setting needs that the config does not create, and namespace entries themselves.
#[test]
fn namespace_rules() {
    refused(
        "bad-ns",
        &[
            case(r#".linux.namespaces |= map(select(.type != "mount"))"#, &["linux.namespaces", "mount namespace"], true),
            case(r#".linux.namespaces |= map(select(.type != "uts"))"#, &["hostname:", "UTS namespace"], true),
            // runc 1.1.5 ignores a domainname it cannot set; its later validator refuses it.
            case(
                r#".linux.namespaces |= map(select(.type != "uts")) | del(.hostname) | .domainname = "d""#,
                &["domainname:", "UTS namespace"],
                false,
            ),
            // runc 1.1.5 ignores the mappings; the runtime-spec makes them meaningless without a
            // user namespace, and runc 1.2 refuses them.
            case(r#".linux.uidMappings = [{"containerID":0,"hostID":1000,"size":1}]"#, &["linux.uidMappings", "user namespace"], false),
            case(r#".linux.namespaces += [{"type":"user"}]"#, &["linux.uidMappings", "needs uidMappings and gidMappings"], true),
            case(
                r#".linux.namespaces += [{"type":"user"}] | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":0}]
                   | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]"#,
                &["linux.uidMappings[0].size"],
                true,
            ),
            case(r#".linux.namespaces += [{"type":"ipc"}]"#, &["linux.namespaces", "duplicate", "ipc"], true),
            case(r#".linux.namespaces += [{"type":"bogus"}]"#, &["linux.namespaces[5].type", "bogus"], true),
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type":"network","path":"proc/self/ns/net"}]"#,
                &["linux.namespaces[4].path", "absolute"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type":"network","path":"/nonexistent/ns"}]"#,
                &["linux.namespaces[4].path", "/nonexistent/ns"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type":"network","path":"/proc/self/ns/ipc"}]"#,
                &["linux.namespaces[4].path", "not network"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type":"network","path":"/etc/passwd"}]"#,
                &["linux.namespaces[4].path", "not a namespace"],
                true,
            ),
            // runc 1.1.5 has no time namespace at all: it refuses these for that reason.
            case(r#".linux.timeOffsets = {"monotonic":{"secs":1}}"#, &["linux.timeOffsets", "time namespace"], false),
            case(
                r#".linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"realtime":{"secs":1}}"#,
                &["linux.timeOffsets", "unknown clock \"realtime\""],
                true,
            ),
            case(
                r#".linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime":{"secs":1,"nanosecs":1000000000}}"#,
                &["linux.timeOffsets.boottime.nanosecs"],
                true,
            ),
            case(
                r#".linux.namespaces += [{"type":"time","path":"/proc/self/ns/time"}] | .linux.timeOffsets = {"monotonic":{"secs":1}}"#,
                &["linux.timeOffsets", "joined by path"],
                true,
            ),
        ],
    );
}

/// sysctls are allowed only in the namespace that owns them (runc's table).
#[test]
fn sysctl_rules() {
    refused(
        "bad-sysctl",
        &[
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward":"1"}"#,
                &["linux.sysctl", "net.ipv4.ip_forward", "host network namespace"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "network")) | .linux.namespaces += [{"type":"network","path":"/proc/self/ns/net"}]
                   | .linux.sysctl = {"net.core.somaxconn":"10"}"#,
                &["linux.sysctl", "host network namespace"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "ipc")) | .linux.sysctl = {"kernel.shmmax":"100000"}"#,
                &["linux.sysctl", "kernel.shmmax", "ipc namespace"],
                true,
            ),
            case(
                r#".linux.namespaces |= map(select(.type != "ipc")) | .linux.sysctl = {"fs/mqueue/msg_max":"10"}"#,
                &["linux.sysctl", "fs.mqueue.msg_max", "ipc namespace"],
                true,
            ),
            case(r#".linux.sysctl = {"kernel.hostname":"x"}"#, &["linux.sysctl", "conflicts with the OCI \"hostname\""], true),
            case(
                r#".linux.namespaces |= map(select(.type != "uts")) | del(.hostname) | .linux.sysctl = {"kernel.domainname":"x"}"#,
                &["linux.sysctl", "kernel.domainname", "not in a separate kernel namespace"],
                true,
            ),
            case(r#".linux.sysctl = {"vm.swappiness":"10"}"#, &["linux.sysctl", "vm.swappiness", "not in a separate"], true),
            case(r#".linux.sysctl = {"net/../kernel/core_pattern":"x"}"#, &["linux.sysctl", "invalid key"], true),
        ],
    );
}

/// With a new user namespace every id the container uses must be mapped.
#[test]
fn user_namespace_ids() {
    const USERNS: &str = r#".linux.namespaces += [{"type":"user"}]
        | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":1000}]
        | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":1000}]"#;
    let cases: Vec<(String, &'static [&'static str], bool)> = vec![
        (format!("{USERNS} | .process.user.uid = 5000"), &["process.user.uid", "5000", "not mapped"], true),
        (format!("{USERNS} | .process.user.gid = 1000"), &["process.user.gid", "1000", "not mapped"], true),
        (format!("{USERNS} | .process.user.additionalGids = [1, 2000]"), &["process.user.additionalGids[1]", "2000"], true),
        (
            format!(r#"{USERNS} | .mounts += [{{"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":["uid=5000"]}}]"#),
            &["mounts[7] (/mnt)", "uid=5000", "linux.uidMappings"],
            true,
        ),
        (
            format!(r#"{USERNS} | .mounts += [{{"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":["gid=1000"]}}]"#),
            &["mounts[7] (/mnt)", "gid=1000", "linux.gidMappings"],
            true,
        ),
    ];
    let leaked: Vec<Case> = cases
        .into_iter()
        .map(|(p, want, runc_refuses)| Case { patch: Box::leak(p.into_boxed_str()), want, runc_refuses })
        .collect();
    refused("bad-ids", &leaked);
}

/// process.*: args, cwd, env, user, rlimits, capabilities, oomScoreAdj, scheduler, ioPriority, LSMs.
#[test]
fn process_rules() {
    refused(
        "bad-proc",
        &[
            case("del(.process)", &["process: missing"], true),
            case(".process.args = []", &["process.args", "must not be empty"], true),
            case(r#".process.cwd = "tmp""#, &["process.cwd", "absolute"], true),
            case(r#".process.env += ["NOEQUALS"]"#, &["process.env[2]", "NOEQUALS"], true),
            case(r#".process.rlimits = [{"type":"RLIMIT_BOGUS","hard":1,"soft":1}]"#, &["process.rlimits[0].type", "RLIMIT_BOGUS"], true),
            case(r#".process.rlimits = [{"type":"RLIMIT_NOFILE","hard":10,"soft":20}]"#, &["process.rlimits[0]", "soft limit 20"], true),
            case(r#".process.rlimits += [{"type":"RLIMIT_NOFILE","hard":10,"soft":10}]"#, &["process.rlimits[1]", "duplicate RLIMIT_NOFILE"], false),
            // runc 1.1.5 ignores unknown capabilities with a warning; crun and the runtime-spec
            // ("unknown or unsupported capability ... MUST generate an error") refuse them.
            case(r#".process.capabilities.bounding += ["CAP_BOGUS"]"#, &["process.capabilities.bounding[3]", "CAP_BOGUS"], false),
            case(".process.oomScoreAdj = 1001", &["process.oomScoreAdj", "1001"], true),
            case(".process.user.umask = 4096", &["process.user.umask"], false),
            // runc 1.1.5 predates scheduler and ioPriority (runtime-spec 1.2) and ignores them.
            case(r#".process.scheduler = {"nice":1}"#, &["process.scheduler.policy", "missing"], false),
            case(r#".process.scheduler = {"policy":"SCHED_BOGUS"}"#, &["process.scheduler.policy", "SCHED_BOGUS"], false),
            case(r#".process.scheduler = {"policy":"SCHED_OTHER","nice":30}"#, &["process.scheduler.nice", "30"], false),
            case(r#".process.scheduler = {"policy":"SCHED_BATCH","priority":3}"#, &["process.scheduler.priority"], false),
            case(r#".process.scheduler = {"policy":"SCHED_RR","priority":1,"runtime":100}"#, &["process.scheduler", "SCHED_DEADLINE"], false),
            case(r#".process.ioPriority = {"class":"IOPRIO_CLASS_BE","priority":8}"#, &["process.ioPriority.priority", "8"], false),
            case(r#".process.ioPriority = {"class":"IOPRIO_CLASS_BOGUS","priority":1}"#, &["process.ioPriority.class"], false),
            case(r#".process.selinuxLabel = "system_u:system_r:container_t:s0""#, &["process.selinuxLabel", "selinux"], true),
            case(r#".linux.personality = {"domain":"BOGUS"}"#, &["linux.personality.domain", "BOGUS"], false),
            case(r#".linux.memoryPolicy = {"mode":"MPOL_BOGUS"}"#, &["linux.memoryPolicy.mode", "MPOL_BOGUS"], false),
        ],
    );
}

/// Hooks: absolute paths, no NUL bytes, positive timeouts (checked before anything runs).
#[test]
fn hook_rules() {
    refused(
        "bad-hook",
        &[
            // runc 1.1.5 runs the hook and fails on its exec: refused too, later.
            case(r#".hooks = {"prestart":[{"path":"bin/true"}]}"#, &["hooks.prestart[0].path", "absolute"], true),
            case(r#".hooks = {"createRuntime":[{"path":""}]}"#, &["hooks.createRuntime[0].path", "absolute"], false),
            case(r#".hooks = {"prestart":[{"path":"/bin/true","timeout":0}]}"#, &["hooks.prestart[0].timeout"], true),
            case(r#".hooks = {"poststart":[{"path":"/bin/true","timeout":-1}]}"#, &["hooks.poststart[0].timeout"], false),
            case(r#".hooks = {"prestart":[{"path":"/bin/true","args":["true","a\u0000b"]}]}"#, &["hooks.prestart[0].args[1]", "NUL"], true),
            case(r#".hooks = {"createContainer":[{"path":"/bin/true","env":["A=\u0000"]}]}"#, &["hooks.createContainer[0].env[0]", "NUL"], false),
        ],
    );
}

/// mounts, devices, rootfsPropagation, seccomp, cgroupsPath and the rest of linux.*.
#[test]
fn mount_and_linux_rules() {
    refused(
        "bad-linux",
        &[
            case(r#".mounts += [{"destination":"/mnt","type":"bind","options":["bind"]}]"#, &["mounts[7] (/mnt)", "without a source"], false),
            case(r#".mounts += [{"destination":"/mnt","source":"/tmp","options":["rbind","size=10"]}]"#, &["mounts[7] (/mnt)", "filesystem-specific"], false),
            case(r#".mounts += [{"destination":"/mnt","source":"x"}]"#, &["mounts[7] (/mnt)", "no type"], true),
            case(r#".mounts += [{"destination":"/proc","type":"tmpfs","source":"tmpfs"}]"#, &["mounts[7] (/proc)", "not of type proc"], true),
            case(r#".mounts += [{"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","idmap"]}]"#, &["mounts[7] (/mnt)", "uid and gid mappings"], false),
            case(
                r#".mounts += [{"destination":"/mnt","type":"tmpfs","source":"tmpfs","uidMappings":[{"containerID":0,"hostID":1,"size":1}],"gidMappings":[{"containerID":0,"hostID":1,"size":1}]}]"#,
                &["mounts[7] (/mnt)", "only supported for bind"],
                false,
            ),
            case(r#".linux.rootfsPropagation = "bogus""#, &["linux.rootfsPropagation", "bogus"], true),
            case(r#".linux.devices = [{"type":"x","path":"/dev/x","major":1,"minor":1}]"#, &["linux.devices[0]", "invalid device type"], true),
            case(r#".linux.cgroupsPath = "/""#, &["linux.cgroupsPath", "root cgroup"], true),
            case(r#".linux.cgroupsPath = "a/..""#, &["linux.cgroupsPath", "own cgroup"], true),
            case(r#".linux.cgroupsPath = "a\u0000b""#, &["linux.cgroupsPath", "NUL"], true),
            case(r#".linux.intelRdt = {"closID":"../x"}"#, &["linux.intelRdt"], true),
            // (A valid entry naming a real device would move it: never name one of the host's here.)
            case(r#".linux.netDevices = {"rsrun-nodev0":{"name":"a/b"}}"#, &["linux.netDevices.rsrun-nodev0", "not a valid network device name"], false),
            case(r#".linux.mountLabel = "system_u:object_r:container_file_t:s0""#, &["linux.mountLabel"], true),
            case(r#".linux.seccomp = {"defaultAction":"SCMP_ACT_BOGUS"}"#, &["linux.seccomp.defaultAction", "SCMP_ACT_BOGUS"], true),
            case(
                r#".linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_BOGUS"]}"#,
                &["linux.seccomp.architectures[0]"],
                true,
            ),
            case(
                r#".linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
                &["linux.seccomp.syscalls[0].args[0].index"],
                true,
            ),
            case(
                r#".linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}"#,
                &["linux.seccomp", "listenerPath"],
                true,
            ),
            case(
                r#".linux.resources.memory = {"limit":100000000,"swap":50000000}"#,
                &["linux.resources.memory.swap", "lower than the memory limit"],
                true,
            ),
            case(r#".linux.resources.cpu = {"shares":1}"#, &["linux.resources.cpu.shares"], true),
            case(r#".linux.resources.hugepageLimits = [{"pageSize":"3MB","limit":1}]"#, &["linux.resources.hugepageLimits[0].pageSize"], true),
            case("del(.root)", &["root: missing"], true),
            case(r#".root.path = "/nonexistent""#, &["root.path", "/nonexistent"], true),
        ],
    );
}

/// `--systemd-cgroup` takes linux.cgroupsPath as "slice:prefix:name" (runc's systemd driver).
#[test]
fn systemd_cgroups_path_form() {
    require_root();
    let bundle = Bundle::new();
    let rt = Runtime::rsrun();
    for (path, want) in [
        ("/a/b", "\"slice:prefix:name\""),
        ("a:b", "\"slice:prefix:name\""),
        ("system:rsrun:x", "invalid slice name"),
        ("system.slice:rsrun:", "invalid systemd unit name"),
    ] {
        bundle.patch(&format!(".linux.cgroupsPath = {}", json_str(path)));
        let id = unique_id("systemd-form");
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        rt.track(&id);
        let out = rt.run(&["--systemd-cgroup", "create", "--bundle", bundle.path().to_str().unwrap(), &id]);
        out.assert_fail();
        assert!(out.stderr.contains("linux.cgroupsPath") && out.stderr.contains(want), "{path}: want {want:?}:\n{out}");
        leaks.assert_clean();
    }
}

/// runc's rootless rules, with rsrun run by an unprivileged user (setpriv to nobody): a user
/// namespace is required, id-mapped mounts are refused; nothing is made, not even the --root.
#[test]
fn rootless_rules() {
    require_root();
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is not installed: apt-get install util-linux");
        return;
    }
    let bundle = Bundle::new();
    // nobody must reach the bundle: every directory above it searchable by others.
    use std::os::unix::fs::PermissionsExt;
    if let Some(closed) = bundle.path().ancestors().find(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 == 0)) {
        skip(&format!("rootless_rules: {} is not searchable by other users (set RSRUN_TEST_DIR elsewhere)", closed.display()));
        return;
    }
    let dir = test_dir().join(format!("rootless-{}", unique_suffix()));
    fs::create_dir_all(&dir).unwrap();
    // The test binary may live where nobody cannot reach it (a checkout under /root).
    let bin = dir.join("rsrun");
    fs::copy(Runtime::rsrun().bin(), &bin).unwrap();
    let root = dir.join("root");
    const USERNS: &str = r#".linux.namespaces += [{"type":"user"}]
        | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
        | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]"#;
    let idmapped = format!(r#"{USERNS} | .mounts += [{{"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","idmap"]}}]"#);
    let base = bundle.config();
    for (patch, want) in [(".", "requires a user namespace"), (idmapped.as_str(), "not supported for rootless")] {
        fs::write(bundle.config_path(), jq(&base, patch) + "\n").unwrap();
        let out = run_command(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin)
                .arg("--root")
                .arg(&root)
                .args(["create", "--bundle", bundle.path().to_str().unwrap(), "rootless-test"]),
            None,
            timeout(),
        );
        out.assert_fail();
        assert!(out.stderr.contains(want), "{patch}: want {want:?}:\n{out}");
        assert!(!root.exists(), "{patch}: --root was made");
    }
    remove_tree(&dir);
}
