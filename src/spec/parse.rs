//! config.json -> [`Spec`]: a typed view borrowing from the input, built over the zero-copy reader.
//!
//! # What is refused here
//! The parser refuses what runc refuses when it *loads* a config (Go's `encoding/json` decoding into
//! the runtime-spec types, then runc's `validateProcessSpec`), so that rsrun and runc accept the same
//! files and a bad one is refused before anything is created:
//! - invalid JSON (the reader's error, with line and column; the caller prefixes the file name);
//! - a value of the wrong JSON type for its field, or an integer outside its Go type's range. `-1`
//!   fits only where the spec's Go type is signed: memory limit/reservation/swap/kernel/kernelTCP,
//!   cpu quota/realtimeRuntime/idle, pids limit, device major/minor, oomScoreAdj, hook timeout,
//!   scheduler nice/priority, ioPriority priority, timeOffsets secs. blockIO weights are uint16;
//! - `process` absent, `process.cwd` empty or not absolute, `process.args` empty (runc's load-time
//!   checks, also applied by [`parse_process`] as runc does for `exec --process`);
//! - a `linux.namespaces` entry with a missing or unknown `type`, or two entries of the same type
//!   (runc refuses these while converting the spec, before it creates anything).
//!
//! # What is not
//! Meaning is checked by the layer that acts on a field, as runc does at create time: a missing
//! `root`, relative paths other than cwd, capability/rlimit/seccomp/device names, hook timeouts <= 0,
//! the SELinux label (depends on the host). `ociVersion` is not required (runc reads a missing one as
//! ""). Other fields the spec calls REQUIRED read as their zero value when absent, as in Go.
//!
//! # Go decoder semantics kept
//! Unknown fields are ignored. `null` means absent: an `Option` is `None`, a list empty, a plain field
//! keeps its default. With duplicate keys the last one wins. Integers must be written as integers
//! (`1.0` and `1e3` are refused, as Go refuses them for integer fields). One difference: keys match
//! case-sensitively (Go would also take `"OciVersion"`); no real config relies on that.
//!
//! # Errors
//! One line: the field path, then the problem, with the offending JSON cut to about 40 characters:
//! `linux.resources.memory.limit: expected an integer, got "64m"`. The path is a chain of [`Path`]
//! links on the stack, formatted only when an error happens: a successful parse allocates the output
//! vectors and the strings that contained escapes, nothing else.
//!
//! # Code size
//! Written as one function per struct (a loop over the members matching keys, each field assigned
//! with its own type check), the parser added 109 KB to the binary: every struct carried its own
//! key matching, moves and drop glue for every field. Here each struct only builds a table of
//! `(key, Slot)` pairs pointing into itself ([`Fill`], filled in place) and one non-generic
//! `fill::fill` does the rest; lists and maps walk through the non-generic `each`/`each_member`, so
//! per element type only a push remains. Measured in the release binary, parsing a config adds 35 KB
//! of code to the JSON reader's (54 KB of file with the key tables, vtables and unwind info).
use super::fill::{Fill, Path, Slot as S, Snippet, V, fail, fields, item, list, map};
use super::types::*;
use crate::error::{Error, Result};
use crate::json::{self, Value};

/// Parses a whole config.json.
pub fn parse_config(src: &[u8]) -> Result<Spec<'_>> {
    let doc = json::parse(src).map_err(Error::msg)?;
    let mut spec = Spec::default();
    spec.fill(doc.root(), &Path::ROOT)?;
    check_process(spec.process.as_ref(), &Path::ROOT.field("process"))?;
    Ok(spec)
}

/// Parses a `process` object on its own (`exec --process FILE`); error paths start at the object
/// (`args[0]: expected a string, got 5`).
pub fn parse_process<'a>(v: Value<'_, 'a>) -> Result<Process<'a>> {
    let mut p = Process::default();
    p.fill(v, &Path::ROOT)?;
    check_process(Some(&p), &Path::ROOT)?;
    Ok(p)
}

/// Parses a `linux.resources` object on its own (`update --resources`); error paths start at the
/// object (`memory.limit: expected an integer, got "64m"`).
pub fn parse_resources<'a>(v: Value<'_, 'a>) -> Result<Resources<'a>> {
    let mut r = Resources::default();
    r.fill(v, &Path::ROOT)?;
    Ok(r)
}

/// Parses a `hooks` object on its own (kept in state.json for `start` and `delete`).
pub fn parse_hooks<'a>(v: Value<'_, 'a>) -> Result<Hooks<'a>> {
    let mut h = Hooks::default();
    h.fill(v, &Path::ROOT.field("hooks"))?;
    Ok(h)
}

// ---- the configuration ------------------------------------------------------------------------

impl<'a> Fill<'a> for Spec<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("ociVersion", S::Str(&mut o.oci_version)),
            ("process", S::Obj(&mut o.process)),
            ("root", S::Obj(&mut o.root)),
            ("hostname", S::OptStr(&mut o.hostname)),
            ("domainname", S::OptStr(&mut o.domainname)),
            ("mounts", S::Obj(&mut o.mounts)),
            ("hooks", S::Obj(&mut o.hooks)),
            ("annotations", S::StrMap(&mut o.annotations)),
            ("linux", S::Obj(&mut o.linux)),
        ])
    }
}

/// runc's load-time checks on the process (`validateProcessSpec`), minus the host-dependent SELinux one.
fn check_process(proc: Option<&Process>, p: &Path) -> Result<()> {
    let Some(proc) = proc else { return Err(fail(p, format_args!("missing"))) };
    let cwd = &p.field("cwd");
    if proc.cwd.is_empty() {
        return Err(fail(cwd, format_args!("missing")));
    }
    if !proc.cwd.starts_with('/') {
        return Err(fail(cwd, format_args!("must be an absolute path, got \"{}\"", Snippet(&proc.cwd))));
    }
    if proc.args.is_empty() {
        return Err(fail(&p.field("args"), format_args!("must not be empty")));
    }
    Ok(())
}

impl<'a> Fill<'a> for Process<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("terminal", S::Bool(&mut o.terminal)),
            ("consoleSize", S::Obj(&mut o.console_size)),
            ("user", S::Struct(&mut o.user)),
            ("args", S::Strs(&mut o.args)),
            ("commandLine", S::OptStr(&mut o.command_line)),
            ("env", S::Strs(&mut o.env)),
            ("cwd", S::Str(&mut o.cwd)),
            ("capabilities", S::Obj(&mut o.capabilities)),
            ("rlimits", S::Obj(&mut o.rlimits)),
            ("noNewPrivileges", S::Bool(&mut o.no_new_privileges)),
            ("apparmorProfile", S::OptStr(&mut o.apparmor_profile)),
            ("oomScoreAdj", S::OptI64(&mut o.oom_score_adj)),
            ("selinuxLabel", S::OptStr(&mut o.selinux_label)),
            ("scheduler", S::Obj(&mut o.scheduler)),
            ("ioPriority", S::Obj(&mut o.io_priority)),
            ("execCPUAffinity", S::Obj(&mut o.exec_cpu_affinity)),
        ])
    }
}

impl<'a> Fill<'a> for ConsoleSize {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("height", S::U32(&mut o.height)), ("width", S::U32(&mut o.width))])
    }
}

impl<'a> Fill<'a> for User<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("uid", S::U32(&mut o.uid)),
            ("gid", S::U32(&mut o.gid)),
            ("umask", S::OptU32(&mut o.umask)),
            ("additionalGids", S::U32s(&mut o.additional_gids)),
            ("username", S::OptStr(&mut o.username)),
        ])
    }
}

impl<'a> Fill<'a> for Capabilities<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("bounding", S::Strs(&mut o.bounding)),
            ("effective", S::Strs(&mut o.effective)),
            ("inheritable", S::Strs(&mut o.inheritable)),
            ("permitted", S::Strs(&mut o.permitted)),
            ("ambient", S::Strs(&mut o.ambient)),
        ])
    }
}

impl<'a> Fill<'a> for Rlimit<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("type", S::Str(&mut o.kind)), ("hard", S::U64(&mut o.hard)), ("soft", S::U64(&mut o.soft))])
    }
}

impl<'a> Fill<'a> for Scheduler<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("policy", S::Str(&mut o.policy)),
            ("nice", S::I32(&mut o.nice)),
            ("priority", S::I32(&mut o.priority)),
            ("flags", S::Strs(&mut o.flags)),
            ("runtime", S::U64(&mut o.runtime)),
            ("deadline", S::U64(&mut o.deadline)),
            ("period", S::U64(&mut o.period)),
        ])
    }
}

impl<'a> Fill<'a> for IoPriority<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("class", S::Str(&mut o.class)), ("priority", S::I32(&mut o.priority))])
    }
}

impl<'a> Fill<'a> for ExecCpuAffinity<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("initial", S::OptStr(&mut o.initial)), ("final", S::OptStr(&mut o.final_))])
    }
}

impl<'a> Fill<'a> for Root<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("path", S::Str(&mut o.path)), ("readonly", S::Bool(&mut o.readonly))])
    }
}

impl<'a> Fill<'a> for Mount<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("destination", S::Str(&mut o.destination)),
            ("type", S::OptStr(&mut o.kind)),
            ("source", S::OptStr(&mut o.source)),
            ("options", S::Strs(&mut o.options)),
            ("uidMappings", S::Obj(&mut o.uid_mappings)),
            ("gidMappings", S::Obj(&mut o.gid_mappings)),
        ])
    }
}

impl<'a> Fill<'a> for IdMapping {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("containerID", S::U32(&mut o.container_id)),
            ("hostID", S::U32(&mut o.host_id)),
            ("size", S::U32(&mut o.size)),
        ])
    }
}

impl<'a> Fill<'a> for Hooks<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("prestart", S::Obj(&mut o.prestart)),
            ("createRuntime", S::Obj(&mut o.create_runtime)),
            ("createContainer", S::Obj(&mut o.create_container)),
            ("startContainer", S::Obj(&mut o.start_container)),
            ("poststart", S::Obj(&mut o.poststart)),
            ("poststop", S::Obj(&mut o.poststop)),
        ])
    }
}

impl<'a> Fill<'a> for Hook<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("path", S::Str(&mut o.path)),
            ("args", S::Strs(&mut o.args)),
            ("env", S::Strs(&mut o.env)),
            ("timeout", S::OptI64(&mut o.timeout)),
        ])
    }
}

// ---- linux ------------------------------------------------------------------------------------

impl<'a> Fill<'a> for Linux<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("uidMappings", S::Obj(&mut o.uid_mappings)),
            ("gidMappings", S::Obj(&mut o.gid_mappings)),
            ("sysctl", S::StrMap(&mut o.sysctl)),
            ("resources", S::Obj(&mut o.resources)),
            ("cgroupsPath", S::OptStr(&mut o.cgroups_path)),
            ("namespaces", S::With(&mut |v, p| {
                o.namespaces = list(v, p, namespace)?;
                check_namespaces(&o.namespaces, p)
            })),
            ("devices", S::Obj(&mut o.devices)),
            ("seccomp", S::Obj(&mut o.seccomp)),
            ("rootfsPropagation", S::OptStr(&mut o.rootfs_propagation)),
            ("maskedPaths", S::Strs(&mut o.masked_paths)),
            ("readonlyPaths", S::Strs(&mut o.readonly_paths)),
            ("mountLabel", S::OptStr(&mut o.mount_label)),
            ("intelRdt", S::Obj(&mut o.intel_rdt)),
            ("personality", S::Obj(&mut o.personality)),
            ("timeOffsets", S::With(&mut |v, p| map(v, p, item).map(|m| o.time_offsets = m))),
            ("memoryPolicy", S::Obj(&mut o.memory_policy)),
            ("netDevices", S::With(&mut |v, p| map(v, p, item).map(|m| o.net_devices = m))),
        ])
    }
}

/// The spec's namespace type names.
const NS_TYPES: [(&str, NsType); 8] = [
    ("pid", NsType::Pid),
    ("network", NsType::Network),
    ("mount", NsType::Mount),
    ("ipc", NsType::Ipc),
    ("uts", NsType::Uts),
    ("user", NsType::User),
    ("cgroup", NsType::Cgroup),
    ("time", NsType::Time),
];

/// A namespace entry; not a [`Fill`] struct because its type has no default.
fn namespace<'a>(v: V<'_, 'a>, p: &Path) -> Result<Namespace<'a>> {
    let (mut kind, mut path) = (None, None);
    fields!(v, p, [("type", S::OptStr(&mut kind)), ("path", S::OptStr(&mut path))])?;
    let at = &p.field("type");
    let Some(kind) = kind else { return Err(fail(at, format_args!("missing"))) };
    match NS_TYPES.iter().find(|n| n.0 == kind) {
        Some(&(_, kind)) => Ok(Namespace { kind, path }),
        None => Err(fail(at, format_args!("unknown namespace type \"{}\"", Snippet(&kind)))),
    }
}

fn check_namespaces(ns: &[Namespace], p: &Path) -> Result<()> {
    for (i, n) in ns.iter().enumerate() {
        if ns[..i].iter().any(|m| m.kind == n.kind) {
            let name = NS_TYPES.iter().find(|t| t.1 == n.kind).map_or("", |t| t.0);
            return Err(fail(p, format_args!("duplicate namespace type \"{name}\"")));
        }
    }
    Ok(())
}

impl<'a> Fill<'a> for Device<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("type", S::Str(&mut o.kind)),
            ("path", S::Str(&mut o.path)),
            ("major", S::I64(&mut o.major)),
            ("minor", S::I64(&mut o.minor)),
            ("fileMode", S::OptU32(&mut o.file_mode)),
            ("uid", S::OptU32(&mut o.uid)),
            ("gid", S::OptU32(&mut o.gid)),
        ])
    }
}

impl<'a> Fill<'a> for Seccomp<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("defaultAction", S::Str(&mut o.default_action)),
            ("defaultErrnoRet", S::OptU32(&mut o.default_errno_ret)),
            ("architectures", S::Strs(&mut o.architectures)),
            ("flags", S::Strs(&mut o.flags)),
            ("listenerPath", S::OptStr(&mut o.listener_path)),
            ("listenerMetadata", S::OptStr(&mut o.listener_metadata)),
            ("syscalls", S::Obj(&mut o.syscalls)),
        ])
    }
}

impl<'a> Fill<'a> for SeccompSyscall<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("names", S::Strs(&mut o.names)),
            ("action", S::Str(&mut o.action)),
            ("errnoRet", S::OptU32(&mut o.errno_ret)),
            ("args", S::Obj(&mut o.args)),
        ])
    }
}

impl<'a> Fill<'a> for SeccompArg<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("index", S::U32(&mut o.index)),
            ("value", S::U64(&mut o.value)),
            ("valueTwo", S::U64(&mut o.value_two)),
            ("op", S::Str(&mut o.op)),
        ])
    }
}

impl<'a> Fill<'a> for IntelRdt<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("closID", S::OptStr(&mut o.clos_id)),
            ("l3CacheSchema", S::OptStr(&mut o.l3_cache_schema)),
            ("memBwSchema", S::OptStr(&mut o.mem_bw_schema)),
            ("schemata", S::Strs(&mut o.schemata)),
            ("enableCMT", S::Bool(&mut o.enable_cmt)),
            ("enableMBM", S::Bool(&mut o.enable_mbm)),
        ])
    }
}

impl<'a> Fill<'a> for Personality<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("domain", S::Str(&mut o.domain)), ("flags", S::Strs(&mut o.flags))])
    }
}

impl<'a> Fill<'a> for TimeOffset {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("secs", S::I64(&mut o.secs)), ("nanosecs", S::U32(&mut o.nanosecs))])
    }
}

impl<'a> Fill<'a> for MemoryPolicy<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("mode", S::Str(&mut o.mode)),
            ("nodes", S::OptStr(&mut o.nodes)),
            ("flags", S::Strs(&mut o.flags)),
        ])
    }
}

impl<'a> Fill<'a> for NetDevice<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("name", S::OptStr(&mut o.name))])
    }
}

// ---- linux.resources --------------------------------------------------------------------------

impl<'a> Fill<'a> for Resources<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("devices", S::Obj(&mut o.devices)),
            ("memory", S::Obj(&mut o.memory)),
            ("cpu", S::Obj(&mut o.cpu)),
            ("pids", S::Obj(&mut o.pids)),
            ("blockIO", S::Obj(&mut o.block_io)),
            ("hugepageLimits", S::Obj(&mut o.hugepage_limits)),
            ("network", S::Obj(&mut o.network)),
            ("rdma", S::With(&mut |v, p| map(v, p, item).map(|m| o.rdma = m))),
            ("unified", S::StrMap(&mut o.unified)),
        ])
    }
}

impl<'a> Fill<'a> for DeviceCgroup<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("allow", S::Bool(&mut o.allow)),
            ("type", S::OptStr(&mut o.kind)),
            ("major", S::OptI64(&mut o.major)),
            ("minor", S::OptI64(&mut o.minor)),
            ("access", S::OptStr(&mut o.access)),
        ])
    }
}

impl<'a> Fill<'a> for Memory {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("limit", S::OptI64(&mut o.limit)),
            ("reservation", S::OptI64(&mut o.reservation)),
            ("swap", S::OptI64(&mut o.swap)),
            ("kernel", S::OptI64(&mut o.kernel)),
            ("kernelTCP", S::OptI64(&mut o.kernel_tcp)),
            ("swappiness", S::OptU64(&mut o.swappiness)),
            ("disableOOMKiller", S::OptBool(&mut o.disable_oom_killer)),
            ("useHierarchy", S::OptBool(&mut o.use_hierarchy)),
            ("checkBeforeUpdate", S::OptBool(&mut o.check_before_update)),
        ])
    }
}

impl<'a> Fill<'a> for Cpu<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("shares", S::OptU64(&mut o.shares)),
            ("quota", S::OptI64(&mut o.quota)),
            ("burst", S::OptU64(&mut o.burst)),
            ("period", S::OptU64(&mut o.period)),
            ("realtimeRuntime", S::OptI64(&mut o.realtime_runtime)),
            ("realtimePeriod", S::OptU64(&mut o.realtime_period)),
            ("cpus", S::OptStr(&mut o.cpus)),
            ("mems", S::OptStr(&mut o.mems)),
            ("idle", S::OptI64(&mut o.idle)),
        ])
    }
}

impl<'a> Fill<'a> for Pids {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("limit", S::I64(&mut o.limit))])
    }
}

impl<'a> Fill<'a> for BlockIo {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("weight", S::OptU16(&mut o.weight)),
            ("leafWeight", S::OptU16(&mut o.leaf_weight)),
            ("weightDevice", S::Obj(&mut o.weight_device)),
            ("throttleReadBpsDevice", S::Obj(&mut o.throttle_read_bps_device)),
            ("throttleWriteBpsDevice", S::Obj(&mut o.throttle_write_bps_device)),
            ("throttleReadIOPSDevice", S::Obj(&mut o.throttle_read_iops_device)),
            ("throttleWriteIOPSDevice", S::Obj(&mut o.throttle_write_iops_device)),
        ])
    }
}

impl<'a> Fill<'a> for WeightDevice {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [
            ("major", S::I64(&mut o.major)),
            ("minor", S::I64(&mut o.minor)),
            ("weight", S::OptU16(&mut o.weight)),
            ("leafWeight", S::OptU16(&mut o.leaf_weight)),
        ])
    }
}

impl<'a> Fill<'a> for ThrottleDevice {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("major", S::I64(&mut o.major)), ("minor", S::I64(&mut o.minor)), ("rate", S::U64(&mut o.rate))])
    }
}

impl<'a> Fill<'a> for HugepageLimit<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("pageSize", S::Str(&mut o.page_size)), ("limit", S::U64(&mut o.limit))])
    }
}

impl<'a> Fill<'a> for Network<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("classID", S::OptU32(&mut o.class_id)), ("priorities", S::Obj(&mut o.priorities))])
    }
}

impl<'a> Fill<'a> for InterfacePriority<'a> {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("name", S::Str(&mut o.name)), ("priority", S::U32(&mut o.priority))])
    }
}

impl<'a> Fill<'a> for Rdma {
    fn fill(&mut self, v: V<'_, 'a>, p: &Path) -> Result<()> {
        let o = self;
        fields!(v, p, [("hcaHandles", S::OptU32(&mut o.hca_handles)), ("hcaObjects", S::OptU32(&mut o.hca_objects))])
    }
}
