//! runc-compatible command line: `rsrun [global options] <verb> [verb options] [arguments]`.
//!
//! Parsing follows runc (urfave/cli on Go's flag package; see `parse.rs`), ends in a typed
//! `Global` + `Command`, and `crate::container::dispatch` runs it. Container ids are validated while
//! parsing (`state::Id`), so no verb ever sees a bad one. Errors become one line on stderr and an
//! error line in the --log file (`crate::log::error`), exit status 1.
mod help;
mod parse;
pub mod values;
mod verbs;

pub use verbs::VERBS;

use crate::error::{Error, Result};
use crate::log;
use crate::state::Id;
use alloc::string::String;
use alloc::vec::Vec;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("RSRUN_COMMIT");
/// The runtime-spec version rsrun implements.
pub const SPEC_VERSION: &str = "1.2.0";

/// Global options (before the verb).
#[derive(Debug)]
pub struct Global<'a> {
    /// --root, made absolute; default /run/rsrun (rootless: $XDG_RUNTIME_DIR/rsrun, see `default_root`).
    pub root: String,
    pub log: Option<&'a str>,
    /// --trace FILE (RSRUN_TRACE otherwise; see `crate::trace`).
    pub trace: Option<&'a str>,
    pub log_format: log::Format,
    pub debug: bool,
    pub systemd_cgroup: bool,
    pub rootless: Rootless,
    /// --criu: accepted for compatibility and ignored (no checkpoint/restore).
    pub criu: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rootless {
    Auto,
    True,
    False,
}

/// Output format of `list` and `ps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug)]
pub enum Command<'a> {
    Create(CreateOpts<'a>),
    Start(Id<'a>),
    Run(RunOpts<'a>),
    State(Id<'a>),
    Kill(KillOpts<'a>),
    Delete(DeleteOpts<'a>),
    List(ListOpts),
    Exec(ExecOpts<'a>),
    Pause(Id<'a>),
    Resume(Id<'a>),
    Update(UpdateOpts<'a>),
    Ps(PsOpts<'a>),
    Events(EventsOpts<'a>),
    Features,
    Spec(SpecOpts<'a>),
    Checkpoint(Id<'a>),
    Restore(Id<'a>),
}

#[derive(Debug)]
pub struct CreateOpts<'a> {
    pub id: Id<'a>,
    /// --bundle/-b as given (None = current directory).
    pub bundle: Option<&'a str>,
    pub console_socket: Option<&'a str>,
    pub pid_file: Option<&'a str>,
    pub no_pivot: bool,
    pub no_new_keyring: bool,
    pub preserve_fds: u32,
}

#[derive(Debug)]
pub struct RunOpts<'a> {
    pub create: CreateOpts<'a>,
    pub detach: bool,
    pub keep: bool,
    pub no_subreaper: bool,
}

#[derive(Debug)]
pub struct KillOpts<'a> {
    pub id: Id<'a>,
    /// Signal number (default SIGTERM = 15).
    pub signal: i32,
    pub all: bool,
}

#[derive(Debug)]
pub struct DeleteOpts<'a> {
    pub id: Id<'a>,
    pub force: bool,
}

#[derive(Debug)]
pub struct ListOpts {
    pub format: Format,
    pub quiet: bool,
}

#[derive(Debug)]
pub struct ExecOpts<'a> {
    pub id: Id<'a>,
    /// The command and its arguments (empty with --process).
    pub args: Vec<&'a str>,
    pub console_socket: Option<&'a str>,
    pub cwd: Option<&'a str>,
    pub env: Vec<&'a str>,
    pub tty: bool,
    /// --user uid[:gid].
    pub user: Option<(u32, Option<u32>)>,
    pub additional_gids: Vec<u32>,
    pub process: Option<&'a str>,
    pub detach: bool,
    pub pid_file: Option<&'a str>,
    pub process_label: Option<&'a str>,
    pub apparmor: Option<&'a str>,
    pub no_new_privs: bool,
    pub caps: Vec<&'a str>,
    pub preserve_fds: u32,
    pub cgroup: Vec<&'a str>,
    pub ignore_paused: bool,
}

/// `update`: with `resources` (a file, or "-" for stdin) the other values are ignored, as in runc.
/// Sizes are bytes (-1 = unlimited where the kernel allows it).
#[derive(Debug)]
pub struct UpdateOpts<'a> {
    pub id: Id<'a>,
    pub resources: Option<&'a str>,
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub kernel_memory: Option<i64>,
    pub kernel_memory_tcp: Option<i64>,
    pub cpu_shares: Option<u64>,
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<u64>,
    pub cpu_rt_period: Option<u64>,
    pub cpu_rt_runtime: Option<i64>,
    pub cpuset_cpus: Option<&'a str>,
    pub cpuset_mems: Option<&'a str>,
    pub pids_limit: Option<i64>,
    pub blkio_weight: Option<u16>,
    pub l3_cache_schema: Option<&'a str>,
    pub mem_bw_schema: Option<&'a str>,
}

#[derive(Debug)]
pub struct PsOpts<'a> {
    pub id: Id<'a>,
    pub format: Format,
    /// Arguments for ps(1) after the id.
    pub ps_args: Vec<&'a str>,
}

#[derive(Debug)]
pub struct EventsOpts<'a> {
    pub id: Id<'a>,
    /// --interval in nanoseconds (default 5s).
    pub interval_ns: u64,
    pub stats: bool,
}

#[derive(Debug)]
pub struct SpecOpts<'a> {
    pub bundle: Option<&'a str>,
    pub rootless: bool,
}

/// Runs the command line `args` (argv, program name first) and returns the exit status.
pub fn main(args: &[&[u8]]) -> i32 {
    let status = match run(args) {
        Ok(status) => status,
        Err(e) => {
            log::error(e.message());
            if EXEC_ERROR.load(core::sync::atomic::Ordering::Relaxed) { 255 } else { 1 }
        }
    };
    // The process exits next: exit_group is the one syscall the trace cannot count.
    crate::trace::finish(1);
    status
}

/// runc's exit status for a failing `exec` is 255 from the values of its flags on (a bad --user,
/// id, ...): engines tell rsrun's errors from the process's status by it. Usage errors (unknown
/// flags, argument counts) stay 1.
static EXEC_ERROR: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

fn run(args: &[&[u8]]) -> Result<i32> {
    let argv = utf8_args(args)?;
    let p = parse::parse(verbs::GLOBAL_FLAGS, &argv, false)?;
    if p.help {
        return help::app();
    }
    if p.on("version") {
        return help::version();
    }
    let g = global(&p)?;
    let verb = p.args.first().and_then(|n| verbs::find(n)).map_or("", |v| v.name);
    crate::trace::init(g.trace, verb)?;
    log::init(g.log, g.log_format, g.debug)?;
    if g.criu.is_some() {
        crate::log_debug!("--criu is ignored: rsrun does not checkpoint or restore");
    }
    match command(&p.args)? {
        Step::AppHelp => help::app(),
        Step::VerbHelp(verb) => help::verb(verb),
        Step::Run(cmd) => crate::container::dispatch(&g, cmd),
    }
}

fn utf8_args<'a>(args: &[&'a [u8]]) -> Result<Vec<&'a str>> {
    let mut argv = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate().skip(1) {
        argv.push(core::str::from_utf8(a).map_err(|_| Error::msg(format_args!("argument {i} is not valid UTF-8")))?);
    }
    Ok(argv)
}

/// What the words after the global options ask for. Returned once and matched at once: boxing the
/// command would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Step<'a> {
    AppHelp,
    VerbHelp(&'static verbs::Verb),
    Run(Command<'a>),
}

fn command<'a>(args: &[&'a str]) -> Result<Step<'a>> {
    let Some((&name, rest)) = args.split_first() else {
        return Ok(Step::AppHelp);
    };
    if name == "help" || name == "h" {
        return match rest.first() {
            None => Ok(Step::AppHelp),
            Some(v) => Ok(Step::VerbHelp(verbs::find(v).ok_or_else(|| unknown(v))?)),
        };
    }
    let verb = verbs::find(name).ok_or_else(|| unknown(name))?;
    let p = parse::parse(verb.flags, rest, verb.interleaved).map_err(|e| e.context(name))?;
    if p.help {
        return Ok(Step::VerbHelp(verb));
    }
    check_count(verb, p.args.len())?;
    if verb.name == "exec" {
        EXEC_ERROR.store(true, core::sync::atomic::Ordering::Relaxed);
    }
    Ok(Step::Run(verbs::build(verb.name, &p)?))
}

/// Everything `main` does with `args` before it acts (no log file, no help text, no verb run):
/// `Ok(None)` where it would print help or the version. For fuzz/fuzz_targets/cli.rs.
#[doc(hidden)]
pub fn parse_only<'a>(args: &[&'a [u8]]) -> Result<Option<(Global<'a>, Command<'a>)>> {
    let argv = utf8_args(args)?;
    let p = parse::parse(verbs::GLOBAL_FLAGS, &argv, false)?;
    if p.help || p.on("version") {
        return Ok(None);
    }
    let g = global(&p)?;
    Ok(match command(&p.args)? {
        Step::Run(cmd) => Some((g, cmd)),
        Step::AppHelp | Step::VerbHelp(_) => None,
    })
}

fn unknown(name: &str) -> Error {
    Error::msg(format_args!("unknown command \"{name}\""))
}

/// runc's argument count checks and messages.
fn check_count(verb: &verbs::Verb, n: usize) -> Result<()> {
    let (min, max) = (verb.min as usize, verb.max as usize);
    let name = verb.name;
    if min == max && n != min {
        return Err(Error::msg(format_args!("\"{name}\" requires exactly {min} argument(s)")));
    }
    if n < min {
        return Err(Error::msg(format_args!("\"{name}\" requires a minimum of {min} argument(s)")));
    }
    if n > max {
        return Err(Error::msg(format_args!("\"{name}\" requires a maximum of {max} argument(s)")));
    }
    Ok(())
}

/// The state root without --root, runc's rule: $XDG_RUNTIME_DIR/rsrun for an unprivileged caller
/// (and for uid 0 inside a user namespace unless $USER is root: rootless podman runs its runtime
/// there), else /run/rsrun. An unprivileged caller without XDG_RUNTIME_DIR gets an error instead of
/// a permission error on /run/rsrun (not for `spec` and `features`, which keep no state).
fn default_root(needs_state: bool) -> Result<String> {
    let xdg = crate::rt::getenv(b"XDG_RUNTIME_DIR").filter(|x| !x.is_empty());
    let euid = rustix::process::geteuid().as_raw();
    let user_is_root = crate::rt::getenv(b"USER") == Some(b"root");
    let use_xdg = xdg.is_some() && (euid != 0 || (!user_is_root && crate::ns::in_user_namespace()));
    match xdg {
        Some(x) if use_xdg => Ok(alloc::format!("{}/rsrun", crate::rt::lossy(x))),
        None if euid != 0 && needs_state => {
            Err(Error::msg("XDG_RUNTIME_DIR is not set: an unprivileged user must set it or pass --root DIR"))
        }
        _ => Ok(String::from("/run/rsrun")),
    }
}

fn global<'a>(p: &parse::Parsed<'a>) -> Result<Global<'a>> {
    let log_format = match p.get("log-format") {
        None | Some("text") => log::Format::Text,
        Some("json") => log::Format::Json,
        Some(f) => return Err(Error::msg(format_args!("invalid log-format: {f}"))),
    };
    let rootless = match p.get("rootless") {
        None | Some("auto") => Rootless::Auto,
        Some("true") => Rootless::True,
        Some("false") => Rootless::False,
        Some(v) => return Err(Error::msg(format_args!("invalid --rootless value \"{v}\": want true, false or auto"))),
    };
    let root = match p.get("root") {
        Some("") => return Err(Error::msg("--root must not be empty")),
        Some(r) => crate::container::absolute(r)?,
        None => default_root(!matches!(p.args.first(), Some(&"spec" | &"features")))?,
    };
    Ok(Global {
        root,
        log: p.get("log").filter(|l| !l.is_empty()),
        trace: p.get("trace"),
        log_format,
        debug: p.on("debug"),
        systemd_cgroup: p.on("systemd-cgroup"),
        rootless,
        criu: p.get("criu"),
    })
}
