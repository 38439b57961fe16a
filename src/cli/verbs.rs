//! The verbs: their flags (runc's names and one-letter aliases), argument counts, help lines, and
//! how parsed flags become typed options.
use super::parse::{Flag, Parsed, f};
use super::values::{duration_ns, int, ram_bytes, signal, uint, user};
use super::*;

pub struct Verb {
    pub name: &'static str,
    pub summary: &'static str,
    /// What follows `[command options]` in the usage line.
    pub args: &'static str,
    pub flags: &'static [Flag],
    pub min: u8,
    pub max: u8,
    /// Flags may follow arguments (false for exec and ps: the rest belongs to the process).
    pub interleaved: bool,
}

pub const GLOBAL_FLAGS: &[Flag] = &[
    f!("debug", "", false, "enable debug logging"),
    f!("log", "", true, "set the log file to write rsrun logs to (default is stderr)"),
    f!("log-format", "", true, "set the log format ('text' (default), or 'json')"),
    f!("trace", "", true, "append a timeline of each phase to this file (Chrome trace-event JSON; also RSRUN_TRACE)"),
    f!("root", "", true, "root directory for storage of container state (default: \"/run/rsrun\", or $XDG_RUNTIME_DIR/rsrun for rootless)"),
    f!("criu", "", true, "accepted for compatibility; rsrun does not checkpoint/restore"),
    f!("systemd-cgroup", "", false, "enable systemd cgroup support (\"slice:prefix:name\" cgroupsPath)"),
    f!("rootless", "", true, "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")"),
    f!("version", "v", false, "print the version"),
];

const BUNDLE: Flag =
    f!("bundle", "b", true, "path to the root of the bundle directory, defaults to the current directory");
const CONSOLE: Flag =
    f!("console-socket", "", true, "path to an AF_UNIX socket which will receive the console's pseudoterminal master");
const PID_FILE: Flag = f!("pid-file", "", true, "specify the file to write the process id to");
const NO_PIVOT: Flag = f!("no-pivot", "", false, "do not use pivot root to jail process inside rootfs");
const NO_KEYRING: Flag = f!("no-new-keyring", "", false, "do not create a new session keyring for the container");
const PRESERVE: Flag = f!("preserve-fds", "", true, "pass N additional file descriptors to the container (default: 0)");
const DETACH: Flag = f!("detach", "d", false, "detach from the container's process");
const FORMAT: Flag = f!("format", "f", true, "select one of: table or json (default: \"table\")");
const CRIU_FLAGS: &[Flag] = &[
    f!("image-path", "", true, ""),
    f!("work-path", "", true, ""),
    f!("parent-path", "", true, ""),
    f!("leave-running", "", false, ""),
    f!("tcp-established", "", false, ""),
    f!("ext-unix-sk", "", false, ""),
    f!("shell-job", "", false, ""),
    f!("lazy-pages", "", false, ""),
    f!("status-fd", "", true, ""),
    f!("page-server", "", true, ""),
    f!("file-locks", "", false, ""),
    f!("pre-dump", "", false, ""),
    f!("manage-cgroups-mode", "", true, ""),
    f!("empty-ns", "", true, ""),
    f!("auto-dedup", "", false, ""),
    f!("console-socket", "", true, ""),
    f!("bundle", "b", true, ""),
    f!("detach", "d", false, ""),
    f!("pid-file", "", true, ""),
    f!("no-subreaper", "", false, ""),
    f!("no-pivot", "", false, ""),
    f!("lsm-profile", "", true, ""),
    f!("lsm-mount-context", "", true, ""),
];

const fn verb(
    name: &'static str,
    summary: &'static str,
    args: &'static str,
    flags: &'static [Flag],
    min: u8,
    max: u8,
) -> Verb {
    Verb { name, summary, args, flags, min, max, interleaved: true }
}

const ID: &str = "<container-id>";
const MANY: u8 = u8::MAX;

pub static VERBS: &[Verb] = &[
    verb("checkpoint", "checkpoint a running container (not supported)", ID, CRIU_FLAGS, 1, 1),
    verb("create", "create a container", ID, &[BUNDLE, CONSOLE, PID_FILE, NO_PIVOT, NO_KEYRING, PRESERVE], 1, 1),
    verb(
        "delete",
        "delete any resources held by the container",
        ID,
        &[f!("force", "f", false, "forcibly delete the container if it is still running (uses SIGKILL)")],
        1,
        1,
    ),
    verb(
        "events",
        "display container events and resource usage statistics",
        ID,
        &[
            f!("interval", "", true, "set the stats collection interval (default: 5s)"),
            f!("stats", "", false, "display the container's stats then exit"),
        ],
        1,
        1,
    ),
    Verb {
        interleaved: false,
        ..verb(
            "exec",
            "execute new process inside the container",
            "<container-id> <command> [command options]  || -p process.json <container-id>",
            &[
                CONSOLE,
                f!("cwd", "", true, "current working directory in the container"),
                f!("env", "e", true, "set environment variables"),
                f!("tty", "t", false, "allocate a pseudo-TTY"),
                f!("user", "u", true, "UID (format: <uid>[:<gid>])"),
                f!("additional-gids", "g", true, "additional gids"),
                f!("process", "p", true, "path to the process.json"),
                DETACH,
                PID_FILE,
                f!("process-label", "", true, "set the asm process label for the process commonly used with selinux"),
                f!("apparmor", "", true, "set the apparmor profile for the process"),
                f!("no-new-privs", "", false, "set the no new privileges value for the process"),
                f!("cap", "c", true, "add a capability to the bounding set for the process"),
                PRESERVE,
                f!(
                    "cgroup",
                    "",
                    true,
                    "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
                ),
                f!("ignore-paused", "", false, "allow exec in a paused container"),
            ],
            1,
            MANY,
        )
    },
    verb("features", "show the enabled features", "", &[], 0, 0),
    verb(
        "kill",
        "send the specified signal (default: SIGTERM) to the container's init process",
        "<container-id> [signal]",
        &[f!("all", "a", false, "send the specified signal to all processes inside the container")],
        1,
        2,
    ),
    verb(
        "list",
        "list containers started by rsrun with the given root",
        "",
        &[FORMAT, f!("quiet", "q", false, "display only container IDs")],
        0,
        0,
    ),
    verb("pause", "suspend all processes inside the container", ID, &[], 1, 1),
    Verb {
        interleaved: false,
        ..verb(
            "ps",
            "display the processes running inside a container",
            "<container-id> [ps options]",
            &[FORMAT],
            1,
            MANY,
        )
    },
    verb("restore", "restore a container from a previous checkpoint (not supported)", ID, CRIU_FLAGS, 1, 1),
    verb("resume", "resume all processes that have been previously paused", ID, &[], 1, 1),
    verb(
        "run",
        "create and run a container",
        ID,
        &[
            BUNDLE,
            CONSOLE,
            DETACH,
            f!("keep", "", false, "do not delete the container after it exits"),
            PID_FILE,
            f!("no-subreaper", "", false, "disable the use of the subreaper used to reap reparented processes"),
            NO_PIVOT,
            NO_KEYRING,
            PRESERVE,
        ],
        1,
        1,
    ),
    verb(
        "spec",
        "create a new specification file",
        "",
        &[
            f!("bundle", "b", true, "path to the root of the bundle directory"),
            f!("rootless", "", false, "generate a configuration for a rootless container"),
        ],
        0,
        0,
    ),
    verb("start", "execute the user defined process in a created container", ID, &[], 1, 1),
    verb("state", "output the state of a container", ID, &[], 1, 1),
    verb(
        "update",
        "update container resource constraints",
        ID,
        &[
            f!(
                "resources",
                "r",
                true,
                "path to a JSON file with the resources to update, or '-' for stdin (other options are then ignored)",
            ),
            f!("blkio-weight", "", true, "per cgroup weight, range is from 10 to 1000"),
            f!("cpu-period", "", true, "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"),
            f!("cpu-quota", "", true, "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"),
            f!("cpu-share", "", true, "CPU shares (relative weight vs. other containers)"),
            f!("cpu-shares", "", true, "same as --cpu-share"),
            f!(
                "cpu-rt-period",
                "",
                true,
                "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
            ),
            f!("cpu-rt-runtime", "", true, "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"),
            f!("cpuset-cpus", "", true, "CPU(s) to use"),
            f!("cpuset-mems", "", true, "memory node(s) to use"),
            f!("memory", "", true, "memory limit (in bytes; k, m, g suffixes)"),
            f!("memory-reservation", "", true, "memory reservation or soft_limit (in bytes)"),
            f!("memory-swap", "", true, "total memory usage (memory + swap); set '-1' to enable unlimited swap"),
            f!("kernel-memory", "", true, "kernel memory limit (deprecated, ignored by the kernel)"),
            f!("kernel-memory-tcp", "", true, "kernel memory limit for tcp buffers (deprecated)"),
            f!("pids-limit", "", true, "maximum number of pids allowed in the container"),
            f!("l3-cache-schema", "", true, "the string of Intel RDT/CAT L3 cache schema"),
            f!("mem-bw-schema", "", true, "the string of Intel RDT/MBA memory bandwidth schema"),
        ],
        1,
        1,
    ),
];

pub fn find(name: &str) -> Option<&'static Verb> {
    VERBS.iter().find(|v| v.name == name)
}

fn format(p: &Parsed) -> Result<Format> {
    match p.get("format") {
        None | Some("table") => Ok(Format::Table),
        Some("json") => Ok(Format::Json),
        Some(v) => Err(Error::msg(format_args!("invalid format option \"{v}\": want table or json"))),
    }
}

fn u32_flag(p: &Parsed, name: &str) -> Result<u32> {
    p.get(name).map_or(Ok(0), |v| {
        uint(name, v)?
            .try_into()
            .map_err(|_| Error::msg(format_args!("invalid value \"{v}\" for flag -{name}: out of range")))
    })
}

/// A flag's value through `conv` (a fn pointer, so there is one copy of this function per type).
fn opt<T>(p: &Parsed, name: &str, conv: fn(&str, &str) -> Result<T>) -> Result<Option<T>> {
    p.get(name).map(|v| conv(name, v)).transpose()
}

fn create_opts<'a>(p: &Parsed<'a>, id: Id<'a>) -> Result<CreateOpts<'a>> {
    Ok(CreateOpts {
        id,
        bundle: p.get("bundle"),
        console_socket: p.get("console-socket"),
        pid_file: p.get("pid-file"),
        no_pivot: p.on("no-pivot"),
        no_new_keyring: p.on("no-new-keyring"),
        preserve_fds: u32_flag(p, "preserve-fds")?,
    })
}

/// `update`'s options. Out of line, like [`create_opts`]: built inside `build`'s match, every field
/// of every large variant went through registers and stack slots shared by all arms, then was
/// stored one by one into the `Command` (~1 KB for this variant alone).
#[inline(never)]
fn update_opts<'a>(p: &Parsed<'a>, id: Id<'a>) -> Result<UpdateOpts<'a>> {
    Ok(UpdateOpts {
        id,
        resources: p.get("resources"),
        memory: opt(p, "memory", ram_bytes)?,
        memory_swap: opt(p, "memory-swap", ram_bytes)?,
        memory_reservation: opt(p, "memory-reservation", ram_bytes)?,
        kernel_memory: opt(p, "kernel-memory", ram_bytes)?,
        kernel_memory_tcp: opt(p, "kernel-memory-tcp", ram_bytes)?,
        cpu_shares: opt(p, "cpu-shares", uint)?.or(opt(p, "cpu-share", uint)?),
        cpu_quota: opt(p, "cpu-quota", int)?,
        cpu_period: opt(p, "cpu-period", uint)?,
        cpu_rt_period: opt(p, "cpu-rt-period", uint)?,
        cpu_rt_runtime: opt(p, "cpu-rt-runtime", int)?,
        cpuset_cpus: p.get("cpuset-cpus"),
        cpuset_mems: p.get("cpuset-mems"),
        pids_limit: opt(p, "pids-limit", int)?,
        blkio_weight: opt(p, "blkio-weight", |n, v| {
            uint(n, v)?
                .try_into()
                .map_err(|_| Error::msg(format_args!("invalid value \"{v}\" for flag -{n}: out of range")))
        })?,
        l3_cache_schema: p.get("l3-cache-schema"),
        mem_bw_schema: p.get("mem-bw-schema"),
    })
}

/// Turns the parsed flags and arguments of `name` (count already checked) into its `Command`.
pub fn build<'a>(name: &str, p: &Parsed<'a>) -> Result<Command<'a>> {
    let id = || Id::new(p.args[0]);
    Ok(match name {
        "create" => Command::Create(create_opts(p, id()?)?),
        "run" => Command::Run(RunOpts {
            create: create_opts(p, id()?)?,
            detach: p.on("detach"),
            keep: p.on("keep"),
            no_subreaper: p.on("no-subreaper"),
        }),
        "start" => Command::Start(id()?),
        "state" => Command::State(id()?),
        "pause" => Command::Pause(id()?),
        "resume" => Command::Resume(id()?),
        "checkpoint" => Command::Checkpoint(id()?),
        "restore" => Command::Restore(id()?),
        "kill" => Command::Kill(KillOpts {
            id: id()?,
            signal: p.args.get(1).map_or(Ok(15), |s| signal(s))?,
            all: p.on("all"),
        }),
        "delete" => Command::Delete(DeleteOpts { id: id()?, force: p.on("force") }),
        "list" => Command::List(ListOpts { format: format(p)?, quiet: p.on("quiet") }),
        "features" => Command::Features,
        "spec" => Command::Spec(SpecOpts { bundle: p.get("bundle"), rootless: p.on("rootless") }),
        "ps" => Command::Ps(PsOpts { id: id()?, format: format(p)?, ps_args: p.args[1..].to_vec() }),
        "events" => Command::Events(EventsOpts {
            id: id()?,
            interval_ns: opt(p, "interval", duration_ns)?.unwrap_or(5_000_000_000),
            stats: p.on("stats"),
        }),
        "exec" => {
            let mut gids = Vec::new();
            for g in p.all("additional-gids") {
                let n = crate::rt::parse_u32(g);
                gids.push(n.ok_or_else(|| Error::msg(format_args!("invalid additional-gids value \"{g}\"")))?);
            }
            Command::Exec(ExecOpts {
                id: id()?,
                args: p.args[1..].to_vec(),
                console_socket: p.get("console-socket"),
                cwd: p.get("cwd"),
                env: p.all("env"),
                tty: p.on("tty"),
                user: p.get("user").map(user).transpose()?,
                additional_gids: gids,
                process: p.get("process"),
                detach: p.on("detach"),
                pid_file: p.get("pid-file"),
                process_label: p.get("process-label"),
                apparmor: p.get("apparmor"),
                no_new_privs: p.on("no-new-privs"),
                caps: p.all("cap"),
                preserve_fds: u32_flag(p, "preserve-fds")?,
                cgroup: p.all("cgroup"),
                ignore_paused: p.on("ignore-paused"),
            })
        }
        "update" => Command::Update(update_opts(p, id()?)?),
        _ => return Err(Error::msg(format_args!("unknown command \"{name}\""))),
    })
}
