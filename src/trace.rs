//! `--trace FILE` (or `RSRUN_TRACE=FILE`; the flag wins): each phase of each verb, in the Chrome
//! trace-event JSON format that Perfetto and chrome://tracing open as a timeline (docs/trace.md).
//!
//! Every phase is a complete event (`"ph":"X"`) with its start (`ts`) and duration (`dur`) in
//! microseconds with nanosecond decimals, read from CLOCK_MONOTONIC so the events of create, the
//! container init, start and delete line up; the pid that ran it, and in `args` its duration in ns
//! and its syscall count. Each process image also writes a `process_name` metadata event ("rsrun
//! create", "container init", ...) and one root event of the same name spanning all it did.
//!
//! Syscalls are counted by a perf counter on the `raw_syscalls:sys_enter` tracepoint for this process
//! only (no inherit: the init opens its own). A phase's count leaves out what the tracing itself
//! did (clock reads, counter reads, writes): its count is what rsrun does without --trace. The root
//! event adds the calls the counter cannot see: the execve that started the image and the
//! allocator's first mmap (before the counter opens), and the exit_group (or, in the init, the
//! close_range and execve of the container's process) after the last read; its `trace` arg is the
//! number of syscalls the tracing made. Without tracefs or the permission, `"syscalls":null`.
//!
//! Appending: the file is a JSON array whose closing bracket is left out (the format allows it).
//! The first writer of an empty file writes "[\n" under a flock; events are whole lines ending in
//! ",\n", written with O_APPEND, so processes writing at once interleave whole lines. Lines are
//! gathered in a buffer and written at the end of the process, before the init blocks on the exec
//! fifo, and when the buffer fills.
//!
//! Off (the default), `phase` costs one branch on a static flag: no syscall, no allocation.
use crate::error::{Context, Result};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};
use rustix::fd::{AsFd, BorrowedFd, IntoRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};

static ON: AtomicBool = AtomicBool::new(false);

/// A point in time and the counters there.
#[derive(Clone, Copy)]
pub struct Mark {
    ns: u64,
    /// The perf counter's value (syscalls of this process so far).
    count: u64,
    /// Syscalls the tracing made so far.
    own: u64,
}

/// The state of the tracing in this process (the line buffer, all zero, is apart in .bss).
struct State {
    /// The trace file's fd.
    file: i32,
    /// The perf counter's fd + 1 (0: no counter).
    perf: i32,
    /// The tracepoint id of raw_syscalls:sys_enter, once found (0: none).
    tracepoint: u64,
    own: u64,
    pid: i32,
    /// Syscalls of this image the counter cannot see, added to the root event.
    unseen: u64,
    root: Mark,
    /// The verb, for the process name "rsrun <verb>"; None in the container init.
    verb: Option<&'static str>,
    len: usize,
    /// The phases begun and not ended yet.
    stack: [(Option<&'static str>, Mark); 6],
    depth: usize,
}

const BUF: usize = 4096;
/// Room an event line needs at most (names are short literals).
const LINE: usize = 320;

struct Cell<T>(UnsafeCell<T>);
// SAFETY: rsrun is single-threaded (the init is a forked process with its own copy).
unsafe impl<T> Sync for Cell<T> {}

static STATE: Cell<State> = Cell(UnsafeCell::new(State {
    file: 0,
    perf: 0,
    tracepoint: 0,
    own: 0,
    pid: 0,
    unseen: 0,
    root: Mark { ns: 0, count: 0, own: 0 },
    verb: None,
    len: 0,
    stack: [(None, Mark { ns: 0, count: 0, own: 0 }); 6],
    depth: 0,
}));
static OUT: Cell<[u8; BUF]> = Cell(UnsafeCell::new([0; BUF]));

#[allow(clippy::mut_from_ref)]
fn st() -> &'static mut State {
    // SAFETY: single-threaded, and no caller keeps the reference across another call to st().
    unsafe { &mut *STATE.0.get() }
}

#[allow(clippy::mut_from_ref)]
fn out() -> &'static mut [u8; BUF] {
    // SAFETY: as for st(): only `push` and `flush` touch the buffer, one at a time.
    unsafe { &mut *OUT.0.get() }
}

/// Whether tracing is on in this process.
#[inline]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// A phase being timed (its name and start are on a stack in `State`); its event is written when
/// the guard drops. Guards drop in reverse order of creation, as phases nest.
#[must_use]
pub struct Phase;

/// Starts timing phase `name`, ended when the returned guard drops. Off: one branch on a static
/// flag here and in the drop. Neither is inlined: a guard's drop runs on every early-return path,
/// where a call with no argument is the smallest code.
#[inline(never)]
pub fn phase(name: &'static str) -> Phase {
    if on() {
        let m = mark();
        let s = st();
        if let Some(slot) = s.stack.get_mut(s.depth) {
            *slot = (Some(name), m);
        }
        s.depth += 1;
    }
    Phase
}

impl Drop for Phase {
    #[inline(never)]
    fn drop(&mut self) {
        let s = st();
        // depth 0: a guard of the parent's, in the init after `child` (never dropped there anyway).
        if !on() || s.depth == 0 {
            return;
        }
        s.depth -= 1;
        if let Some(&(Some(name), m)) = s.stack.get(s.depth) {
            event(Some(name), m, 0);
        }
    }
}

/// Switches tracing on for this process if `path` (--trace) or RSRUN_TRACE names a file: opens it
/// (appending), the syscall counter, and records the process as "rsrun <verb>".
pub fn init(path: Option<&str>, verb: &'static str) -> Result<()> {
    let env = crate::rt::getenv(b"RSRUN_TRACE").and_then(|p| core::str::from_utf8(p).ok());
    let Some(path) = path.or(env).filter(|p| !p.is_empty()) else { return Ok(()) };
    let s = st();
    let fd = open(path, s).context(format_args!("open trace file {path}"))?;
    s.file = fd.into_raw_fd();
    let handed = handed_counter(s);
    // RSRUN_TRACE_SYSCALLS=0: times only. Each process that opens a counter when no other has one
    // open makes the kernel switch the raw_syscalls tracepoint on, and the last to close it off
    // again, ~10 ms each way on a 2-CPU VM (docs/trace.md, "Cost").
    let count = crate::rt::getenv(b"RSRUN_TRACE_SYSCALLS").is_none_or(|v| v != b"0");
    s.tracepoint = if count { tracepoint(s).unwrap_or(0) } else { 0 };
    s.pid = rustix::process::getpid().as_raw_nonzero().get();
    s.own += 1;
    // execve and the allocator's first mmap came before.
    begin(Some(verb), 2, handed);
    Ok(())
}

const COUNTER: &[u8] = b"RSRUN_TRACE_COUNTER=";

/// Before the sealed re-exec (container/selfexe.rs): the counter is attached to the process, not
/// the image, so it is kept across the execve and handed to the next image in RSRUN_TRACE_COUNTER
/// (its fd number). Closing it instead would unregister the tracepoint when it is the last
/// counter, and the kernel waits for an RCU grace period there (10-40 ms here), a gap in the
/// timeline that is not rsrun's. (The next image looks the tracepoint up again, for the init.) Returns the string and `envp` with it in front, or None to exec
/// with `envp` as it is.
pub fn hand_over(envp: &[*const core::ffi::c_char]) -> Option<(alloc::vec::Vec<u8>, alloc::vec::Vec<*const core::ffi::c_char>)> {
    let s = st();
    if s.perf == 0 {
        return None;
    }
    // SAFETY: the counter's fd stays open until the process ends or execs.
    let fd = unsafe { BorrowedFd::borrow_raw(s.perf - 1) };
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty()).ok()?;
    s.own += 1;
    let mut var = COUNTER.to_vec();
    let mut b = [0u8; 20];
    var.extend_from_slice(crate::rt::dec((s.perf - 1) as u64, &mut b));
    var.push(0);
    // First: getenv finds it before any such entry a caller may have set.
    let mut env = alloc::vec::Vec::with_capacity(envp.len() + 1);
    env.push(var.as_ptr().cast());
    env.extend_from_slice(envp);
    Some((var, env))
}

/// The counter of the previous image (`hand_over`), if RSRUN_TRACE_COUNTER names a perf event fd
/// of this process. A caller's stray value is checked, never trusted.
fn handed_counter(s: &mut State) -> Option<i32> {
    let fd = crate::rt::parse_u32(core::str::from_utf8(crate::rt::getenv(&COUNTER[..COUNTER.len() - 1])?).ok()?)?;
    let mut path = *b"/proc/self/fd/0123456789";
    let mut b = [0u8; 20];
    let digits = crate::rt::dec(fd.into(), &mut b);
    let n = 14 + digits.len();
    path.get_mut(14..n)?.copy_from_slice(digits);
    let mut link = [core::mem::MaybeUninit::<u8>::uninit(); 32];
    if readlink(path.get(..n)?, &mut link, s)? != b"anon_inode:[perf_event]" {
        return None;
    }
    // SAFETY: checked just now to be an open perf event fd; nothing else in this image owns it.
    let _ = rustix::io::fcntl_setfd(unsafe { BorrowedFd::borrow_raw(fd as i32) }, rustix::io::FdFlags::CLOEXEC);
    s.own += 1;
    Some(fd as i32)
}

/// In the container init right after clone3 (and in the init a PID namespace joined by path needs
/// after its extra fork): a process of its own, "container init", with its own counter.
pub fn child() {
    if !on() {
        return;
    }
    let s = st();
    // The parent's unwritten lines are the parent's to write.
    s.len = 0;
    s.perf = 0;
    s.own = 0;
    s.depth = 0;
    // The host's pid: /proc is still the host's here, and getpid would say 1 in a new PID namespace.
    let mut b = [core::mem::MaybeUninit::<u8>::uninit(); 32];
    let link = readlink(b"/proc/self", &mut b, s).unwrap_or(b"0");
    s.pid = core::str::from_utf8(link).ok().and_then(crate::rt::parse_u32).unwrap_or(0) as i32;
    begin(None, 0, None);
}

fn readlink<'b>(path: &[u8], buf: &'b mut [core::mem::MaybeUninit<u8>; 32], s: &mut State) -> Option<&'b [u8]> {
    s.own += 1;
    rustix::fs::readlinkat_raw(rustix::fs::CWD, crate::rt::CPath(path), buf).ok().map(|(l, _)| &*l)
}

/// Opens the counter, records the root mark and the process_name metadata line.
fn begin(verb: Option<&'static str>, unseen: u64, handed: Option<i32>) {
    let s = st();
    if let Some(fd) = handed {
        s.perf = fd + 1;
    } else if s.tracepoint != 0 {
        use syscalls::perf::{PERF_TYPE_TRACEPOINT, PerfEventAttr, PerfFlags, perf_event_open};
        let attr = PerfEventAttr::new(PERF_TYPE_TRACEPOINT, s.tracepoint);
        if let Ok(fd) = perf_event_open(&attr, 0, -1, PerfFlags::FD_CLOEXEC) {
            s.perf = fd.into_raw_fd() + 1;
        }
        s.own += 1;
    }
    s.unseen = unseen;
    s.verb = verb;
    ON.store(true, Ordering::Relaxed);
    s.root = mark();
    push(&[b"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":"]);
    push_dec(s.pid as u64);
    push(&[b",\"tid\":"]);
    push_dec(s.pid as u64);
    push(&[b",\"args\":{\"name\":\""]);
    push_name(s.verb);
    push(&[b"\"}},\n"]);
}

/// The process name: "rsrun <verb>" or "container init".
fn push_name(verb: Option<&str>) {
    match verb {
        Some(v) => push(&[b"rsrun ", v.as_bytes()]),
        None => push(&[b"container init"]),
    }
}

/// The end of this process image: the root event, then everything written out. `unseen_after`:
/// the syscalls still to come that the counter will not see (exit_group: 1; the init's close_range
/// and execve: 2; an execve into the next image: 0, that image counts it).
pub fn finish(unseen_after: u64) {
    if !on() {
        return;
    }
    let s = st();
    let root = s.root;
    let extra = s.unseen + unseen_after;
    event(None, root, extra);
    flush();
    ON.store(false, Ordering::Relaxed);
}

/// Writes out the lines gathered so far (before the init blocks on the exec fifo, where it may be
/// killed).
pub fn flush() {
    let s = st();
    if s.len == 0 || !on() {
        return;
    }
    // SAFETY: `file` was opened by `init` and stays open until the process ends or execs.
    let fd = unsafe { BorrowedFd::borrow_raw(s.file) };
    let _ = rustix::io::write(fd, &out()[..s.len]);
    s.len = 0;
    s.own += 1;
}

/// The event of phase `name` (None: the process's root event) from `start` to now.
fn event(name: Option<&str>, start: Mark, extra: u64) {
    let root = name.is_none();
    let e = mark();
    let s = st();
    let ns = e.ns.saturating_sub(start.ns);
    if s.len + LINE > BUF {
        flush();
    }
    push(&[b"{\"name\":\""]);
    match name {
        Some(n) => push(&[n.as_bytes()]),
        None => push_name(s.verb),
    }
    push(&[b"\",\"ph\":\"X\",\"ts\":"]);
    push_us(start.ns);
    push(&[b",\"dur\":"]);
    push_us(ns);
    push(&[b",\"pid\":"]);
    push_dec(s.pid as u64);
    push(&[b",\"tid\":"]);
    push_dec(s.pid as u64);
    push(&[b",\"args\":{\"syscalls\":"]);
    if s.perf > 0 {
        push_dec((e.count - start.count).saturating_sub(e.own - start.own) + extra);
    } else {
        push(&[b"null"]);
    }
    push(&[b",\"ns\":"]);
    push_dec(ns);
    if root {
        // The flush that writes this line is the last of the tracing's syscalls.
        push(&[b",\"trace\":"]);
        push_dec(s.own + 1);
    }
    push(&[b"}},\n"]);
}

/// The clock and the counter, read in that order: the counter's value includes both reads.
fn mark() -> Mark {
    let s = st();
    // CLOCK_MONOTONIC (1) through the vDSO: no syscall; else the syscall, counted as the tracing's.
    let (sec, nsec) = crate::rt::vdso::clock_gettime(1).unwrap_or_else(|| {
        s.own += 1;
        let t = syscalls::time::clock_gettime(syscalls::time::ClockId::Monotonic).unwrap_or_default();
        (t.tv_sec, t.tv_nsec)
    });
    let mut count = 0;
    if s.perf > 0 {
        // SAFETY: the counter's fd stays open until the process ends or execs.
        let fd = unsafe { BorrowedFd::borrow_raw(s.perf - 1) };
        let mut b = [0u8; 8];
        if rustix::io::read(fd, &mut b).is_ok() {
            count = u64::from_ne_bytes(b);
        }
        s.own += 1;
    }
    Mark { ns: sec as u64 * 1_000_000_000 + nsec as u64, count, own: s.own }
}

fn push(parts: &[&[u8]]) {
    let s = st();
    let buf = out();
    for p in parts {
        let n = p.len().min(BUF - s.len);
        buf[s.len..s.len + n].copy_from_slice(&p[..n]);
        s.len += n;
    }
}

fn push_dec(v: u64) {
    let mut b = [0u8; 20];
    push(&[crate::rt::dec(v, &mut b)]);
}

/// Nanoseconds as microseconds with three decimals.
fn push_us(ns: u64) {
    push_dec(ns / 1000);
    let f = ns % 1000;
    push(&[&[b'.', b'0' + (f / 100) as u8, b'0' + (f / 10 % 10) as u8, b'0' + (f % 10) as u8]]);
}

/// Opens (creating) the trace file for appending; the first writer of an empty file writes "[\n",
/// under a flock so that two first writers do not both write it.
fn open(path: &str, s: &mut State) -> core::result::Result<OwnedFd, rustix::io::Errno> {
    use rustix::fs::FlockOperation::{LockExclusive, Unlock};
    let flags = OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC;
    let fd = rustix::fs::open(crate::rt::cs(path), flags, Mode::from_raw_mode(0o644))?;
    rustix::fs::flock(&fd, LockExclusive)?;
    let size = rustix::fs::fstat(&fd)?.st_size;
    s.own += 3;
    if size == 0 {
        rustix::io::write(&fd, b"[\n")?;
        s.own += 1;
    }
    rustix::fs::flock(&fd, Unlock)?;
    s.own += 1;
    Ok(fd)
}

/// The id of the raw_syscalls:sys_enter tracepoint: from a mounted tracefs, else from a detached
/// tracefs mount of our own (fsopen + fsmount: nothing appears in any mount table).
fn tracepoint(s: &mut State) -> Option<u64> {
    use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, fsconfig_create, fsmount, fsopen};
    let id = read_id(rustix::fs::CWD, c"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id", s);
    if id.is_some() {
        return id;
    }
    let fs = fsopen(c"tracefs", FsOpenFlags::FSOPEN_CLOEXEC);
    s.own += 1;
    let fs = fs.ok()?;
    s.own += 3; // fsconfig, fsmount, and the fs context's close
    fsconfig_create(&fs).ok()?;
    let mnt = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty()).ok()?;
    s.own += 1; // the mount's close
    read_id(mnt.as_fd(), c"events/raw_syscalls/sys_enter/id", s)
}

fn read_id(dir: BorrowedFd, path: &core::ffi::CStr, s: &mut State) -> Option<u64> {
    let fd = rustix::fs::openat(dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty());
    s.own += 1;
    let fd = fd.ok()?;
    let mut b = [0u8; 24];
    let n = rustix::io::read(&fd, &mut b);
    s.own += 2; // the read and the close
    crate::rt::parse_uint(crate::rt::trim_end(core::str::from_utf8(b.get(..n.ok()?)?).ok()?, b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event line, as written: the only test touching the statics.
    #[test]
    fn event_lines() {
        let s = st();
        s.pid = 42;
        s.verb = Some("create");
        s.len = 0;
        let start = Mark { ns: 1_234_567_890, count: 0, own: 0 };
        event(Some("cgroups"), start, 0);
        event(None, start, 2);
        let text = core::str::from_utf8(&out()[..s.len]).unwrap().to_string();
        s.len = 0;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with(r#"{"name":"cgroups","ph":"X","ts":1234567.890,"dur":"#), "{text}");
        assert!(lines[0].ends_with(r#"}},"#) && lines[0].contains(r#","pid":42,"tid":42,"args":{"syscalls":null,"ns":"#));
        assert!(lines[1].starts_with(r#"{"name":"rsrun create","ph":"X""#) && lines[1].contains(r#","trace":"#), "{text}");
        s.len = 0;
        push_us(5);
        push(&[b" "]);
        push_us(1_000_001);
        assert_eq!(&out()[..s.len], b"0.005 1000.001");
        s.len = 0;
    }
}
