//! What libc would otherwise provide to the rest of the crate: the allocator, the environment,
//! and a panic report that needs no allocation.
pub mod alloc;
pub mod cstrs;
pub mod io;
pub mod path;
pub mod table;
pub mod time;
pub mod vdso;

pub use path::{CPath, cs};

use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicPtr, Ordering};

static ENVIRON: AtomicPtr<*const c_char> = AtomicPtr::new(core::ptr::null_mut());
static ARGV: AtomicPtr<*const c_char> = AtomicPtr::new(core::ptr::null_mut());
static ARGC: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Records the process's initial argv (argc pointers followed by NULL).
///
/// # Safety
/// `argv` must point to `argc` pointers to NUL-terminated strings followed by a NULL pointer, all
/// living for the whole process (the kernel's initial stack does).
pub unsafe fn set_args(argv: *const *const c_char, argc: usize) {
    ARGV.store(argv as *mut _, Ordering::Relaxed);
    ARGC.store(argc, Ordering::Relaxed);
}

/// The initial argv as execve takes it: argc pointers and the terminating NULL.
pub fn raw_argv() -> &'static [*const c_char] {
    let p = ARGV.load(Ordering::Relaxed) as *const *const c_char;
    if p.is_null() {
        return &[];
    }
    // SAFETY: set_args's contract: argc + 1 valid pointers that live for the whole process.
    unsafe { core::slice::from_raw_parts(p, ARGC.load(Ordering::Relaxed) + 1) }
}

/// The initial envp as execve takes it, NULL included.
pub fn raw_envp() -> &'static [*const c_char] {
    let p = ENVIRON.load(Ordering::Relaxed) as *const *const c_char;
    if p.is_null() {
        return &[];
    }
    let n = environ().count();
    // SAFETY: set_environ's contract: a NULL-terminated array living for the whole process.
    unsafe { core::slice::from_raw_parts(p, n + 1) }
}

/// The auxiliary vector the kernel put after envp on the initial stack: (type, value) pairs, without
/// a syscall. Empty before `set_environ` (unit tests).
fn auxv() -> impl Iterator<Item = (usize, usize)> {
    let envp = ENVIRON.load(Ordering::Relaxed) as *const *const c_char;
    // SAFETY: set_environ's contract: envp is the kernel's initial array, so its NULL is followed by
    // the auxiliary vector, (type, value) pairs of usize ending with AT_NULL (0); it lives for the
    // whole process.
    let mut p = if envp.is_null() { core::ptr::null() } else { unsafe { envp.add(environ().count() + 1) as *const usize } };
    core::iter::from_fn(move || {
        // SAFETY: as above; p stops at AT_NULL and is never advanced past it.
        if p.is_null() || unsafe { *p } == 0 {
            return None;
        }
        let pair = unsafe { (*p, *p.add(1)) };
        p = unsafe { p.add(2) };
        Some(pair)
    })
}

/// The real and effective uid and gid rsrun was executed with, from the auxiliary vector
/// (AT_UID, AT_EUID, AT_GID, AT_EGID): (uid, euid, gid, egid). The saved ids equal the effective
/// ones after execve. None when the vector lacks them, or before `set_environ` (unit tests).
pub fn exec_ids() -> Option<(u32, u32, u32, u32)> {
    // <linux/auxvec.h> (not in linux-raw-sys): AT_UID 11, AT_EUID 12, AT_GID 13, AT_EGID 14.
    let mut ids = [None; 4];
    for (key, value) in auxv() {
        if let Some(slot) = key.checked_sub(11).and_then(|i| ids.get_mut(i)) {
            *slot = Some(value as u32);
        }
    }
    Some((ids[0]?, ids[1]?, ids[2]?, ids[3]?))
}

/// AT_EXECFN: the file name the kernel executed this image from ("/dev/fd/N" after an execveat of
/// an fd with AT_EMPTY_PATH). None when the vector lacks it or before `set_environ`.
pub fn exec_fn() -> Option<&'static [u8]> {
    const AT_EXECFN: usize = 31;
    let (_, ptr) = auxv().find(|&(key, value)| key == AT_EXECFN && value != 0)?;
    // SAFETY: AT_EXECFN's value points to a NUL-terminated string on the initial stack, alive for
    // the whole process.
    Some(unsafe { CStr::from_ptr(ptr as *const c_char) }.to_bytes())
}

/// Records the process's initial `envp` (NULL-terminated array of NUL-terminated strings).
///
/// # Safety
/// `envp` must point to a NULL-terminated array of NUL-terminated strings that live for the whole
/// process (the kernel's initial stack does).
pub unsafe fn set_environ(envp: *const *const c_char) {
    ENVIRON.store(envp as *mut _, Ordering::Relaxed);
}

/// The process environment as `NAME=value` byte strings.
pub fn environ() -> impl Iterator<Item = &'static [u8]> {
    let envp = ENVIRON.load(Ordering::Relaxed) as *const *const c_char;
    let mut i = 0;
    core::iter::from_fn(move || {
        if envp.is_null() {
            return None;
        }
        // SAFETY: set_environ's contract: a NULL-terminated array of 'static C strings.
        let p = unsafe { *envp.add(i) };
        if p.is_null() {
            return None;
        }
        i += 1;
        // SAFETY: p is a NUL-terminated string living for the whole process.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    })
}

/// The value of environment variable `name`, if set.
pub fn getenv(name: &[u8]) -> Option<&'static [u8]> {
    environ().find_map(|kv| kv.strip_prefix(name).and_then(|rest| rest.strip_prefix(b"=")))
}

static EXITS_SOON: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Declares that this process exits as soon as its verb is done (create, start, delete, kill,
/// state, pause, resume, update...), as opposed to the long-running modes (`run` in the
/// foreground, `events`) and verbs that walk many containers (`list`).
pub fn set_exits_soon(yes: bool) {
    EXITS_SOON.store(yes, Ordering::Relaxed);
}

/// Releases an fd the caller is done with. In a process that exits right after its verb, the fd is
/// left for the kernel to close at exit: on the create/start/delete path a close(2) per file is a
/// sizeable share of all syscalls. Long-running processes close it. Every fd rsrun opens is
/// close-on-exec, and the container init closes what it does not pass on before it execs.
pub fn done_with(fd: rustix::fd::OwnedFd) {
    if EXITS_SOON.load(Ordering::Relaxed) {
        let _ = rustix::fd::IntoRawFd::into_raw_fd(fd);
    }
}

/// `parts` joined by `sep`. One small routine for every path and cgroup-file name built from
/// pieces; core's `concat`/`join` (`join_generic_copy`) is ~1.2 KB.
#[inline(never)]
pub fn join(parts: &[&str], sep: &str) -> ::alloc::string::String {
    let len = parts.iter().map(|p| p.len() + sep.len()).sum();
    let mut s = ::alloc::string::String::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(p);
    }
    s
}

/// `&s[..i]` without a panic path ("" if `i` is not a char boundary): str slicing's panic message
/// pulls in ~4 KB of Unicode-aware Debug formatting.
#[inline(never)]
pub fn head(s: &str, i: usize) -> &str {
    s.get(..i).unwrap_or("")
}

/// `&s[i..]` without a panic path ("" if `i` is not a char boundary); see [`head`].
#[inline(never)]
pub fn tail(s: &str, i: usize) -> &str {
    s.get(i..).unwrap_or("")
}

/// The index of the last `b` (an ASCII byte, so a char boundary) in `s`. By bytes: core's reverse
/// char search is ~0.8 KB.
pub fn rfind(s: &str, b: u8) -> Option<usize> {
    s.bytes().rposition(|c| c == b)
}

/// What follows the last `b` in `s` (all of `s` without one): the last path component for b'/'.
pub fn after_last(s: &str, b: u8) -> &str {
    rfind(s, b).map_or(s, |i| tail(s, i + 1))
}

/// `s` without trailing `b`s.
pub fn trim_end(s: &str, b: u8) -> &str {
    let n = s.bytes().rposition(|c| c != b).map_or(0, |i| i + 1);
    head(s, n)
}

/// `v` in decimal, at the end of `buf`: the one integer formatter behind cgroup values, JSON numbers
/// and passwd lookups (`{}` formatting is for messages).
#[inline(never)]
pub fn dec(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// An unsigned decimal number as `str::parse::<u64>` reads it (an optional '+', then digits, no
/// overflow). One routine for every integer type: each `parse::<T>` is its own ~300-byte copy.
#[inline(never)]
pub fn parse_uint(s: &str) -> Option<u64> {
    let d = s.strip_prefix('+').unwrap_or(s);
    if d.is_empty() {
        return None;
    }
    d.bytes().try_fold(0u64, |v, b| v.checked_mul(10)?.checked_add(u64::from(b.checked_sub(b'0').filter(|&x| x < 10)?)))
}

/// A signed decimal number as `str::parse::<i64>` reads it, through [`parse_uint`] (so that
/// `parse::<i64>`'s own copy of the digit loop is not linked).
pub fn parse_int(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(d) if !d.starts_with('+') => 0i64.checked_sub_unsigned(parse_uint(d)?),
        Some(_) => None,
        None => i64::try_from(parse_uint(s)?).ok(),
    }
}

/// [`parse_uint`] for a `u32`.
pub fn parse_u32(s: &str) -> Option<u32> {
    parse_uint(s).and_then(|n| u32::try_from(n).ok())
}

/// Calls `f` with the UTF-8 pieces of `b` in order and "\u{FFFD}" for each invalid sequence (the
/// text `String::from_utf8_lossy` makes), without allocating: usable from the panic path.
pub fn utf8_pieces(mut b: &[u8], f: &mut dyn FnMut(&str)) {
    loop {
        match core::str::from_utf8(b) {
            Ok(s) => return f(s),
            Err(e) => {
                let n = e.valid_up_to();
                f(b.get(..n).and_then(|ok| core::str::from_utf8(ok).ok()).unwrap_or(""));
                f("\u{fffd}");
                b = b.get(n + e.error_len().unwrap_or(b.len()).max(1)..).unwrap_or(&[]);
            }
        }
    }
}

/// `String::from_utf8_lossy` in one small routine (core's, with its chunk iterator, is ~0.9 KB).
#[inline(never)]
pub fn lossy(b: &[u8]) -> ::alloc::borrow::Cow<'_, str> {
    if let Ok(s) = core::str::from_utf8(b) {
        return ::alloc::borrow::Cow::Borrowed(s);
    }
    let mut out = ::alloc::string::String::with_capacity(b.len() + 2);
    utf8_pieces(b, &mut |s| out.push_str(s));
    ::alloc::borrow::Cow::Owned(out)
}

/// `parts` concatenated: `cat(&[dir, "/", name])`.
pub fn cat(parts: &[&str]) -> ::alloc::string::String {
    join(parts, "")
}

/// Writes a one-line report of a panic to stderr without allocating: a panic may come from the
/// allocator itself.
pub fn report_panic(info: &core::panic::PanicInfo) {
    let mut msg = FixedBuf::<400>::new();
    let _ = core::fmt::write(&mut msg, format_args!("{}", info.message()));
    let mut line = FixedBuf::<512>::new();
    // A failed allocation (mmap refused: ENOMEM, a memory cgroup limit) is not a bug of ours.
    if msg.as_bytes().starts_with(b"memory allocation of ") {
        let _ = core::fmt::write(&mut line, format_args!("rsrun: out of memory ({})", core::str::from_utf8(msg.as_bytes()).unwrap_or("?")));
    } else {
        let _ = core::fmt::write(&mut line, format_args!("rsrun: internal error: {}", core::str::from_utf8(msg.as_bytes()).unwrap_or("?")));
        if let Some(loc) = info.location() {
            let _ = core::fmt::write(&mut line, format_args!(" ({}:{})", loc.file(), loc.line()));
        }
    }
    let _ = core::fmt::Write::write_str(&mut line, "\n");
    let _ = write_all(stderr(), line.as_bytes());
    crate::log::panic_to_log(line.as_bytes());
}

/// Standard output. If fd 1 is closed, writes fail with EBADF, which callers treat like any write error.
pub fn stdout() -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: fd 1 is never closed by rsrun; a borrowed fd number that is not open only makes
    // syscalls fail with EBADF.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(1) }
}

/// Standard error (see `stdout`).
pub fn stderr() -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: as for stdout, with fd 2.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(2) }
}

/// Writes all of `buf`, retrying on short writes and EINTR.
pub fn write_all(fd: rustix::fd::BorrowedFd<'_>, mut buf: &[u8]) -> Result<(), rustix::io::Errno> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return Err(rustix::io::Errno::IO),
            Ok(n) => buf = &buf[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A fixed-capacity `fmt::Write` sink; output beyond its capacity is dropped.
pub struct FixedBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuf<N> {
    pub const fn new() -> Self {
        Self { buf: [0; N], len: 0 }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(N - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_helpers() {
        assert_eq!(join(&["a", "b", "c"], "/"), "a/b/c");
        assert_eq!(cat(&["x", "", "y"]), "xy");
        assert_eq!(join(&[], " and "), "");
        assert_eq!((head("abc", 2), tail("abc", 2)), ("ab", "c"));
        assert_eq!((head("é", 1), tail("é", 1), tail("ab", 5)), ("", "", ""));
        assert_eq!((rfind("/a/b", b'/'), rfind("ab", b'/')), (Some(2), None));
        assert_eq!((after_last("/a/bc", b'/'), after_last("bc", b'/'), after_last("a/", b'/')), ("bc", "bc", ""));
        assert_eq!((trim_end("/a//", b'/'), trim_end("///", b'/'), trim_end("a", b'/')), ("/a", "", "a"));
        for v in [0, 7, 10, 4294967294, u64::MAX] {
            assert_eq!(dec(v, &mut [0; 20]), v.to_string().as_bytes());
        }
        for s in ["0", "+7", "4294967295", "18446744073709551615", "18446744073709551616", "", "+", "-1", "1a", " 1"] {
            assert_eq!(parse_uint(s), s.parse::<u64>().ok(), "{s}");
            assert_eq!(parse_u32(s), s.parse::<u32>().ok(), "{s}");
        }
        for s in ["0", "-0", "+7", "-7", "9223372036854775807", "9223372036854775808", "-9223372036854775808"] {
            assert_eq!(parse_int(s), s.parse::<i64>().ok(), "{s}");
        }
        for s in ["-9223372036854775809", "", "-", "+", "-+1", "+-1", "--1", "1-", " 1"] {
            assert_eq!(parse_int(s), s.parse::<i64>().ok(), "{s}");
        }
        for b in [&b"ok"[..], b"a\xffb", b"\xe2\x82", b"x\xe2\x82y\xf0\x9f\x98\x80\xc3", b"", b"\xed\xa0\x80"] {
            assert_eq!(lossy(b), String::from_utf8_lossy(b), "{b:?}");
        }
    }
}
