//! Every field of the runtime-spec config, set to a non-default value in tests/fixtures/full-config.json,
//! lands in the right struct field. Each struct is destructured without `..`, so a field added to
//! src/spec/types.rs does not compile here until this test (and so the fixture) covers it.
use rsrun::spec::*;
use std::borrow::Cow;

fn full() -> Spec<'static> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/full-config.json");
    let src: &'static [u8] = std::fs::read(path).unwrap().leak();
    parse_config(src).unwrap_or_else(|e| panic!("full-config.json: {e}"))
}

fn strs<'a>(v: &'a [Cow<str>]) -> Vec<&'a str> {
    v.iter().map(|s| s.as_ref()).collect()
}

fn map<'a, T>(m: &'a [(Cow<'a, str>, T)]) -> Vec<(&'a str, &'a T)> {
    m.iter().map(|(k, v)| (k.as_ref(), v)).collect()
}

#[test]
fn every_field_is_read() {
    let Spec { oci_version, process, root, hostname, domainname, mounts, hooks, annotations, linux } = full();
    assert_eq!(oci_version, "1.2.0");
    assert_eq!(hostname.as_deref(), Some("full-host"));
    assert_eq!(domainname.as_deref(), Some("example.org"));
    assert_eq!(map(&annotations), [("org.example.key", &"value".into()), ("com.example.other", &"2".into())]);

    let Root { path, readonly } = root.unwrap();
    assert_eq!((path.as_ref(), readonly), ("rootfs", true));

    check_process(process.unwrap());
    check_mounts(mounts);
    check_hooks(hooks.unwrap());
    check_linux(linux.unwrap());
}

fn check_process(p: Process) {
    let Process {
        terminal,
        console_size,
        user,
        args,
        command_line,
        env,
        cwd,
        capabilities,
        rlimits,
        no_new_privileges,
        apparmor_profile,
        oom_score_adj,
        selinux_label,
        scheduler,
        io_priority,
        exec_cpu_affinity,
    } = p;
    assert!(terminal);
    let ConsoleSize { height, width } = console_size.unwrap();
    assert_eq!((height, width), (25, 80));
    let User { uid, gid, umask, additional_gids, username } = user;
    assert_eq!((uid, gid, umask), (1001, 1002, Some(18)));
    assert_eq!(additional_gids, [5, 6, u32::MAX]);
    assert_eq!(username.as_deref(), Some("svc"));
    assert_eq!(strs(&args), ["/bin/sh", "-c", "echo \"hi\" > /tmp/x"]);
    assert!(matches!(args[0], Cow::Borrowed(_)) && matches!(args[2], Cow::Owned(_)));
    assert_eq!(command_line.as_deref(), Some("cmd.exe /c dir"));
    assert_eq!(strs(&env), ["PATH=/usr/bin:/bin", "TERM=xterm"]);
    assert_eq!(cwd, "/work");

    let Capabilities { bounding, effective, inheritable, permitted, ambient } = capabilities.unwrap();
    assert_eq!(strs(&bounding), ["CAP_AUDIT_WRITE", "CAP_KILL"]);
    assert_eq!(strs(&effective), ["CAP_KILL"]);
    assert_eq!(strs(&inheritable), ["CAP_CHOWN"]);
    assert_eq!(strs(&permitted), ["CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    assert_eq!(strs(&ambient), ["CAP_NET_RAW"]);

    let [nofile, core] = <[Rlimit; 2]>::try_from(rlimits).unwrap();
    let Rlimit { kind, hard, soft } = nofile;
    assert_eq!((kind.as_ref(), hard, soft), ("RLIMIT_NOFILE", 4096, 1024));
    assert_eq!((core.kind.as_ref(), core.hard, core.soft), ("RLIMIT_CORE", u64::MAX, 0));

    assert!(no_new_privileges);
    assert_eq!(apparmor_profile.as_deref(), Some("docker-default"));
    assert_eq!(oom_score_adj, Some(-1000));
    assert_eq!(selinux_label.as_deref(), Some("system_u:system_r:container_t:s0:c1,c2"));

    let Scheduler { policy, nice, priority, flags, runtime, deadline, period } = scheduler.unwrap();
    assert_eq!((policy.as_ref(), nice, priority), ("SCHED_DEADLINE", -5, 7));
    assert_eq!(strs(&flags), ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM"]);
    assert_eq!((runtime, deadline, period), (10_000_000, 20_000_000, 30_000_000));

    let IoPriority { class, priority } = io_priority.unwrap();
    assert_eq!((class.as_ref(), priority), ("IOPRIO_CLASS_BE", 4));

    let ExecCpuAffinity { initial, final_ } = exec_cpu_affinity.unwrap();
    assert_eq!((initial.as_deref(), final_.as_deref()), (Some("0-1"), Some("2,3")));
}

fn check_mounts(mounts: Vec<Mount>) {
    let [data, proc_] = <[Mount; 2]>::try_from(mounts).unwrap();
    let Mount { destination, kind, source, options, uid_mappings, gid_mappings } = data;
    assert_eq!(destination, "/data");
    assert_eq!((kind.as_deref(), source.as_deref()), (Some("bind"), Some("/srv/data")));
    assert_eq!(strs(&options), ["rbind", "ro", "idmap"]);
    assert_eq!(uid_mappings, [IdMapping { container_id: 0, host_id: 100000, size: 65536 }]);
    assert_eq!(gid_mappings, [IdMapping { container_id: 1, host_id: 200000, size: 1000 }]);
    assert_eq!(proc_.destination, "/proc");
    assert!(proc_.options.is_empty() && proc_.uid_mappings.is_empty());
}

fn check_hooks(h: Hooks) {
    let Hooks { prestart, create_runtime, create_container, start_container, poststart, poststop } = h;
    let Hook { path, args, env, timeout } = &prestart[0];
    assert_eq!(path, "/hooks/prestart");
    assert_eq!(strs(args), ["prestart", "a"]);
    assert_eq!(strs(env), ["P=1"]);
    assert_eq!(*timeout, Some(5));
    assert_eq!((create_runtime[0].path.as_ref(), create_runtime[0].timeout), ("/hooks/create-runtime", Some(6)));
    assert_eq!(create_container[0].path, "/hooks/create-container");
    assert_eq!(strs(&create_container[0].args), ["cc"]);
    assert_eq!(start_container[0].path, "/hooks/start-container");
    assert_eq!(strs(&start_container[0].env), ["S=1"]);
    assert_eq!((poststart[0].path.as_ref(), poststart[0].timeout), ("/hooks/poststart", Some(7)));
    assert_eq!(poststop.len(), 2);
    assert_eq!((poststop[0].timeout, poststop[1].timeout), (Some(8), None));
    assert_eq!(poststop[1].path, "/hooks/poststop2");
}

fn check_linux(l: Linux) {
    let Linux {
        uid_mappings,
        gid_mappings,
        sysctl,
        resources,
        cgroups_path,
        namespaces,
        devices,
        seccomp,
        rootfs_propagation,
        masked_paths,
        readonly_paths,
        mount_label,
        intel_rdt,
        personality,
        time_offsets,
        memory_policy,
        net_devices,
    } = l;
    assert_eq!(uid_mappings, [IdMapping { container_id: 0, host_id: 1000, size: 32000 }]);
    assert_eq!(gid_mappings, [IdMapping { container_id: 0, host_id: 2000, size: 31000 }]);
    assert_eq!(map(&sysctl), [("net.ipv4.ip_forward", &"1".into()), ("kernel.shmmax", &"4294967295".into())]);
    check_resources(resources.unwrap());
    assert_eq!(cgroups_path.as_deref(), Some("/full/test"));

    use NsType::*;
    let kinds: Vec<_> = namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time]);
    let Namespace { kind, path } = &namespaces[1];
    assert_eq!((*kind, path.as_deref()), (Network, Some("/var/run/netns/full")));
    assert!(namespaces.iter().enumerate().all(|(i, n)| i == 1 || n.path.is_none()));

    let Device { kind, path, major, minor, file_mode, uid, gid } = &devices[0];
    assert_eq!((kind.as_ref(), path.as_ref(), *major, *minor), ("c", "/dev/fuse", 10, 229));
    assert_eq!((*file_mode, *uid, *gid), (Some(438), Some(0), Some(5)));
    assert_eq!((devices[1].kind.as_ref(), devices[1].major, devices[1].minor), ("b", 8, 0));
    assert_eq!((devices[1].file_mode, devices[1].uid, devices[1].gid), (None, None, None));

    let Seccomp { default_action, default_errno_ret, architectures, flags, listener_path, listener_metadata, syscalls } =
        seccomp.unwrap();
    assert_eq!((default_action.as_ref(), default_errno_ret), ("SCMP_ACT_ERRNO", Some(38)));
    assert_eq!(strs(&architectures), ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
    assert_eq!(strs(&flags), ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]);
    assert_eq!(listener_path.as_deref(), Some("/run/seccomp-agent.sock"));
    assert_eq!(listener_metadata.as_deref(), Some("meta"));
    assert_eq!(strs(&syscalls[0].names), ["getcwd", "chmod"]);
    assert_eq!((syscalls[0].action.as_ref(), syscalls[0].errno_ret), ("SCMP_ACT_ALLOW", None));
    let SeccompSyscall { names, action, errno_ret, args } = &syscalls[1];
    assert_eq!((strs(names), action.as_ref(), *errno_ret), (vec!["personality"], "SCMP_ACT_ERRNO", Some(1)));
    let SeccompArg { index, value, value_two, op } = &args[0];
    assert_eq!((*index, *value, *value_two, op.as_ref()), (0, 255, 8, "SCMP_CMP_MASKED_EQ"));

    assert_eq!(rootfs_propagation.as_deref(), Some("rslave"));
    assert_eq!(strs(&masked_paths), ["/proc/kcore", "/sys/firmware"]);
    assert_eq!(strs(&readonly_paths), ["/proc/sys", "/proc/bus"]);
    assert_eq!(mount_label.as_deref(), Some("system_u:object_r:container_file_t:s0:c1,c2"));

    let IntelRdt { clos_id, l3_cache_schema, mem_bw_schema, schemata, enable_cmt, enable_mbm } = intel_rdt.unwrap();
    assert_eq!(clos_id.as_deref(), Some("guaranteed_group"));
    assert_eq!(l3_cache_schema.as_deref(), Some("L3:0=7f0;1=1f"));
    assert_eq!(mem_bw_schema.as_deref(), Some("MB:0=20;1=70"));
    assert_eq!(strs(&schemata), ["L2:0=ff", "L3:0=f"]);
    assert!(enable_cmt && enable_mbm);

    let Personality { domain, flags } = personality.unwrap();
    assert_eq!((domain.as_ref(), strs(&flags)), ("LINUX32", vec!["FUTURE_FLAG"]));

    let offsets: Vec<_> = time_offsets.iter().map(|(k, TimeOffset { secs, nanosecs })| (k.as_ref(), *secs, *nanosecs)).collect();
    assert_eq!(offsets, [("monotonic", -86400, 500), ("boottime", 3600, u32::MAX)]);

    let MemoryPolicy { mode, nodes, flags } = memory_policy.unwrap();
    assert_eq!((mode.as_ref(), nodes.as_deref()), ("MPOL_INTERLEAVE", Some("0-3,7")));
    assert_eq!(strs(&flags), ["MPOL_F_STATIC_NODES"]);

    let nets: Vec<_> = net_devices.iter().map(|(k, NetDevice { name })| (k.as_ref(), name.as_deref())).collect();
    assert_eq!(nets, [("eth1", Some("ctr1")), ("ens4", None)]);
}

fn check_resources(r: Resources) {
    let Resources { devices, memory, cpu, pids, block_io, hugepage_limits, network, rdma, unified } = r;

    let DeviceCgroup { allow, kind, major, minor, access } = &devices[0];
    assert_eq!((*allow, kind.as_deref(), *major, *minor, access.as_deref()), (false, None, None, None, Some("rwm")));
    let d = &devices[1];
    assert_eq!((d.allow, d.kind.as_deref(), d.major, d.minor, d.access.as_deref()), (true, Some("c"), Some(10), Some(229), Some("rw")));

    let Memory { limit, reservation, swap, kernel, kernel_tcp, swappiness, disable_oom_killer, use_hierarchy, check_before_update } =
        memory.unwrap();
    assert_eq!((limit, reservation, swap), (Some(536870912), Some(268435456), Some(1073741824)));
    assert_eq!((kernel, kernel_tcp, swappiness), (Some(-1), Some(16777216), Some(60)));
    assert_eq!((disable_oom_killer, use_hierarchy, check_before_update), (Some(true), Some(true), Some(true)));

    let Cpu { shares, quota, burst, period, realtime_runtime, realtime_period, cpus, mems, idle } = cpu.unwrap();
    assert_eq!((shares, quota, burst, period), (Some(512), Some(50000), Some(10000), Some(100000)));
    assert_eq!((realtime_runtime, realtime_period), (Some(950000), Some(1000000)));
    assert_eq!((cpus.as_deref(), mems.as_deref(), idle), (Some("0-3"), Some("0"), Some(1)));

    let Pids { limit } = pids.unwrap();
    assert_eq!(limit, 4096);

    let BlockIo {
        weight,
        leaf_weight,
        weight_device,
        throttle_read_bps_device,
        throttle_write_bps_device,
        throttle_read_iops_device,
        throttle_write_iops_device,
    } = block_io.unwrap();
    assert_eq!((weight, leaf_weight), (Some(500), Some(300)));
    let WeightDevice { major, minor, weight, leaf_weight } = &weight_device[0];
    assert_eq!((*major, *minor, *weight, *leaf_weight), (8, 0, Some(600), Some(200)));
    let t = |d: &[ThrottleDevice]| {
        let ThrottleDevice { major, minor, rate } = &d[0];
        (*major, *minor, *rate)
    };
    assert_eq!(t(&throttle_read_bps_device), (8, 16, 1048576));
    assert_eq!(t(&throttle_write_bps_device), (8, 32, 2097152));
    assert_eq!(t(&throttle_read_iops_device), (8, 48, 300));
    assert_eq!(t(&throttle_write_iops_device), (8, 64, 400));

    let hp: Vec<_> = hugepage_limits.iter().map(|HugepageLimit { page_size, limit }| (page_size.as_ref(), *limit)).collect();
    assert_eq!(hp, [("2MB", 209715200), ("1GB", 0)]);

    let Network { class_id, priorities } = network.unwrap();
    assert_eq!(class_id, Some(1048577));
    let prio: Vec<_> = priorities.iter().map(|InterfacePriority { name, priority }| (name.as_ref(), *priority)).collect();
    assert_eq!(prio, [("eth0", 500), ("eth1", 1000)]);

    let rd: Vec<_> =
        rdma.iter().map(|(k, Rdma { hca_handles, hca_objects })| (k.as_ref(), *hca_handles, *hca_objects)).collect();
    assert_eq!(rd, [("mlx5_1", Some(3), Some(10000)), ("mlx4_0", None, Some(1000))]);

    assert_eq!(map(&unified), [("io.weight", &"default 100".into()), ("memory.high", &"max".into())]);
}
