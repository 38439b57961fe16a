//! The OCI runtime-spec 1.2 configuration as typed structs borrowing from the config.json bytes.
//!
//! Field names follow the spec (camelCase -> snake_case). `Option` is "absent" (JSON null is treated
//! as absent too, as Go's decoder does); lists default to empty. Strings are `Str`: borrowed from the
//! input unless they contained escapes. Maps keep input order with duplicate keys collapsed (last wins).
//! Parsing lives in `parse.rs`; what rsrun does not implement is refused by the container layer,
//! not here, so this stays a faithful view of the file.
use alloc::borrow::Cow;
use alloc::vec::Vec;

pub type Str<'a> = Cow<'a, str>;
/// A JSON object of string to T, in input order, duplicate keys collapsed (last wins).
pub type Map<'a, T> = Vec<(Str<'a>, T)>;

#[derive(Debug, Default)]
pub struct Spec<'a> {
    pub oci_version: Str<'a>,
    pub process: Option<Process<'a>>,
    pub root: Option<Root<'a>>,
    pub hostname: Option<Str<'a>>,
    pub domainname: Option<Str<'a>>,
    pub mounts: Vec<Mount<'a>>,
    pub hooks: Option<Hooks<'a>>,
    pub annotations: Map<'a, Str<'a>>,
    pub linux: Option<Linux<'a>>,
}

#[derive(Debug, Default)]
pub struct Root<'a> {
    pub path: Str<'a>,
    pub readonly: bool,
}

#[derive(Debug, Default)]
pub struct Process<'a> {
    pub terminal: bool,
    pub console_size: Option<ConsoleSize>,
    pub user: User<'a>,
    pub args: Vec<Str<'a>>,
    pub command_line: Option<Str<'a>>,
    pub env: Vec<Str<'a>>,
    pub cwd: Str<'a>,
    pub capabilities: Option<Capabilities<'a>>,
    pub rlimits: Vec<Rlimit<'a>>,
    pub no_new_privileges: bool,
    pub apparmor_profile: Option<Str<'a>>,
    pub oom_score_adj: Option<i64>,
    pub selinux_label: Option<Str<'a>>,
    pub scheduler: Option<Scheduler<'a>>,
    pub io_priority: Option<IoPriority<'a>>,
    pub exec_cpu_affinity: Option<ExecCpuAffinity<'a>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleSize {
    pub height: u32,
    pub width: u32,
}

#[derive(Debug, Default)]
pub struct User<'a> {
    pub uid: u32,
    pub gid: u32,
    pub umask: Option<u32>,
    pub additional_gids: Vec<u32>,
    pub username: Option<Str<'a>>,
}

/// Capability names as written ("CAP_SYS_ADMIN"); mapped to numbers by the process setup.
#[derive(Debug, Default)]
pub struct Capabilities<'a> {
    pub bounding: Vec<Str<'a>>,
    pub effective: Vec<Str<'a>>,
    pub inheritable: Vec<Str<'a>>,
    pub permitted: Vec<Str<'a>>,
    pub ambient: Vec<Str<'a>>,
}

#[derive(Debug, Default)]
pub struct Rlimit<'a> {
    /// "RLIMIT_NOFILE" etc.
    pub kind: Str<'a>,
    pub hard: u64,
    pub soft: u64,
}

#[derive(Debug, Default)]
pub struct Scheduler<'a> {
    /// "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"
    pub policy: Str<'a>,
    pub nice: i32,
    pub priority: i32,
    /// "SCHED_FLAG_RESET_ON_FORK", ...
    pub flags: Vec<Str<'a>>,
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
}

#[derive(Debug, Default)]
pub struct IoPriority<'a> {
    /// "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"
    pub class: Str<'a>,
    pub priority: i32,
}

#[derive(Debug, Default)]
pub struct ExecCpuAffinity<'a> {
    pub initial: Option<Str<'a>>,
    pub final_: Option<Str<'a>>,
}

#[derive(Debug, Default)]
pub struct Mount<'a> {
    pub destination: Str<'a>,
    pub kind: Option<Str<'a>>,
    pub source: Option<Str<'a>>,
    pub options: Vec<Str<'a>>,
    pub uid_mappings: Vec<IdMapping>,
    pub gid_mappings: Vec<IdMapping>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IdMapping {
    pub container_id: u32,
    pub host_id: u32,
    pub size: u32,
}

#[derive(Debug, Default)]
pub struct Hooks<'a> {
    pub prestart: Vec<Hook<'a>>,
    pub create_runtime: Vec<Hook<'a>>,
    pub create_container: Vec<Hook<'a>>,
    pub start_container: Vec<Hook<'a>>,
    pub poststart: Vec<Hook<'a>>,
    pub poststop: Vec<Hook<'a>>,
}

#[derive(Debug, Default)]
pub struct Hook<'a> {
    pub path: Str<'a>,
    pub args: Vec<Str<'a>>,
    pub env: Vec<Str<'a>>,
    /// Seconds; must be > 0 when present.
    pub timeout: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Linux<'a> {
    pub uid_mappings: Vec<IdMapping>,
    pub gid_mappings: Vec<IdMapping>,
    pub sysctl: Map<'a, Str<'a>>,
    pub resources: Option<Resources<'a>>,
    pub cgroups_path: Option<Str<'a>>,
    pub namespaces: Vec<Namespace<'a>>,
    pub devices: Vec<Device<'a>>,
    pub seccomp: Option<Seccomp<'a>>,
    pub rootfs_propagation: Option<Str<'a>>,
    pub masked_paths: Vec<Str<'a>>,
    pub readonly_paths: Vec<Str<'a>>,
    pub mount_label: Option<Str<'a>>,
    pub intel_rdt: Option<IntelRdt<'a>>,
    pub personality: Option<Personality<'a>>,
    pub time_offsets: Map<'a, TimeOffset>,
    pub memory_policy: Option<MemoryPolicy<'a>>,
    pub net_devices: Map<'a, NetDevice<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsType {
    Pid,
    Network,
    Mount,
    Ipc,
    Uts,
    User,
    Cgroup,
    Time,
}

#[derive(Debug)]
pub struct Namespace<'a> {
    pub kind: NsType,
    pub path: Option<Str<'a>>,
}

#[derive(Debug, Default)]
pub struct Device<'a> {
    /// "c", "b", "u" or "p"
    pub kind: Str<'a>,
    pub path: Str<'a>,
    pub major: i64,
    pub minor: i64,
    pub file_mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Resources<'a> {
    pub devices: Vec<DeviceCgroup<'a>>,
    pub memory: Option<Memory>,
    pub cpu: Option<Cpu<'a>>,
    pub pids: Option<Pids>,
    pub block_io: Option<BlockIo>,
    pub hugepage_limits: Vec<HugepageLimit<'a>>,
    pub network: Option<Network<'a>>,
    pub rdma: Map<'a, Rdma>,
    pub unified: Map<'a, Str<'a>>,
}

#[derive(Debug, Default)]
pub struct DeviceCgroup<'a> {
    pub allow: bool,
    /// "a", "c" or "b"; absent means "a".
    pub kind: Option<Str<'a>>,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    /// Any of "rwm"; absent means "rwm".
    pub access: Option<Str<'a>>,
}

#[derive(Debug, Default)]
pub struct Memory {
    pub limit: Option<i64>,
    pub reservation: Option<i64>,
    pub swap: Option<i64>,
    pub kernel: Option<i64>,
    pub kernel_tcp: Option<i64>,
    pub swappiness: Option<u64>,
    pub disable_oom_killer: Option<bool>,
    pub use_hierarchy: Option<bool>,
    pub check_before_update: Option<bool>,
}

#[derive(Debug, Default)]
pub struct Cpu<'a> {
    pub shares: Option<u64>,
    pub quota: Option<i64>,
    pub burst: Option<u64>,
    pub period: Option<u64>,
    pub realtime_runtime: Option<i64>,
    pub realtime_period: Option<u64>,
    pub cpus: Option<Str<'a>>,
    pub mems: Option<Str<'a>>,
    pub idle: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Pids {
    pub limit: i64,
}

#[derive(Debug, Default)]
pub struct BlockIo {
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
    pub weight_device: Vec<WeightDevice>,
    pub throttle_read_bps_device: Vec<ThrottleDevice>,
    pub throttle_write_bps_device: Vec<ThrottleDevice>,
    pub throttle_read_iops_device: Vec<ThrottleDevice>,
    pub throttle_write_iops_device: Vec<ThrottleDevice>,
}

#[derive(Debug, Default)]
pub struct WeightDevice {
    pub major: i64,
    pub minor: i64,
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
}

#[derive(Debug, Default)]
pub struct ThrottleDevice {
    pub major: i64,
    pub minor: i64,
    pub rate: u64,
}

#[derive(Debug, Default)]
pub struct HugepageLimit<'a> {
    /// "2MB", "1GB", ...
    pub page_size: Str<'a>,
    pub limit: u64,
}

#[derive(Debug, Default)]
pub struct Network<'a> {
    pub class_id: Option<u32>,
    pub priorities: Vec<InterfacePriority<'a>>,
}

#[derive(Debug, Default)]
pub struct InterfacePriority<'a> {
    pub name: Str<'a>,
    pub priority: u32,
}

#[derive(Debug, Default)]
pub struct Rdma {
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Seccomp<'a> {
    pub default_action: Str<'a>,
    pub default_errno_ret: Option<u32>,
    pub architectures: Vec<Str<'a>>,
    pub flags: Vec<Str<'a>>,
    pub listener_path: Option<Str<'a>>,
    pub listener_metadata: Option<Str<'a>>,
    pub syscalls: Vec<SeccompSyscall<'a>>,
}

#[derive(Debug, Default)]
pub struct SeccompSyscall<'a> {
    pub names: Vec<Str<'a>>,
    pub action: Str<'a>,
    pub errno_ret: Option<u32>,
    pub args: Vec<SeccompArg<'a>>,
}

#[derive(Debug, Default)]
pub struct SeccompArg<'a> {
    pub index: u32,
    pub value: u64,
    pub value_two: u64,
    pub op: Str<'a>,
}

#[derive(Debug, Default)]
pub struct IntelRdt<'a> {
    pub clos_id: Option<Str<'a>>,
    pub l3_cache_schema: Option<Str<'a>>,
    pub mem_bw_schema: Option<Str<'a>>,
    pub schemata: Vec<Str<'a>>,
    pub enable_cmt: bool,
    pub enable_mbm: bool,
}

#[derive(Debug, Default)]
pub struct Personality<'a> {
    /// "LINUX" or "LINUX32"
    pub domain: Str<'a>,
    pub flags: Vec<Str<'a>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TimeOffset {
    pub secs: i64,
    pub nanosecs: u32,
}

#[derive(Debug, Default)]
pub struct MemoryPolicy<'a> {
    /// "MPOL_DEFAULT", "MPOL_BIND", ...
    pub mode: Str<'a>,
    /// "0-3,7"
    pub nodes: Option<Str<'a>>,
    pub flags: Vec<Str<'a>>,
}

#[derive(Debug, Default)]
pub struct NetDevice<'a> {
    pub name: Option<Str<'a>>,
}
