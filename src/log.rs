//! `--log FILE` and `--log-format text|json`, as runc does them.
//!
//! Engines read the log file, not stderr: docker and podman show the user the last
//! `"level":"error"` line. So every error goes to the log (when one is given) and, as one plain line,
//! to stderr. A json line is `{"level":"error","msg":"...","time":"2026-11-29T00:12:34.123456789Z"}`
//! (keys in that order); a text line is logrus's `time="..." level=error msg="..."`.
//!
//! Lines are built in a stack buffer and written with one `write` (O_APPEND keeps concurrent writers'
//! lines whole); nothing here allocates, so the panic handler can use it too. A message longer than
//! the buffer is cut, never the line's closing quote or brace.
//!
//! Without `--log`, warnings, info and debug lines go to stderr in the chosen format (runc's default
//! log file is stderr) and errors as `rsrun: <msg>`. With `--log`, stderr gets the bare message, as
//! from runc and crun.
use crate::error::{Context, Result};
use crate::rt::time;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use rustix::fd::{AsRawFd, BorrowedFd, IntoRawFd};
use rustix::fs::{Mode, OFlags};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
    Debug,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// The --log file descriptor, or -1 (then lines go to stderr). Kept open for the whole process and
/// CLOEXEC, so forked children before their exec log to the same file.
static FD: AtomicI32 = AtomicI32::new(-1);
static JSON: AtomicBool = AtomicBool::new(false);
static DEBUG: AtomicBool = AtomicBool::new(false);

/// Opens the --log file (`O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC`, 0644) and sets format and level.
pub fn init(path: Option<&str>, format: Format, debug: bool) -> Result<()> {
    JSON.store(format == Format::Json, Ordering::Relaxed);
    DEBUG.store(debug, Ordering::Relaxed);
    if let Some(path) = path {
        let flags = OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC;
        let fd = rustix::fs::open(crate::rt::cs(path), flags, Mode::from_raw_mode(0o644))
            .context(format_args!("open log file {path}"))?;
        FD.store(fd.into_raw_fd(), Ordering::Relaxed);
    }
    Ok(())
}

/// Whether lines of `level` are written (debug only with --debug).
pub fn enabled(level: Level) -> bool {
    level != Level::Debug || DEBUG.load(Ordering::Relaxed)
}

fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

pub(crate) fn log_fd() -> Option<BorrowedFd<'static>> {
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: FD holds an fd opened by `init` that is never closed, or -1.
    (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
}

/// Writes a line of `level` with message `args` to the log (stderr without --log). For errors use
/// `error`, which also tells the user on stderr.
pub fn log(level: Level, args: fmt::Arguments) {
    if !enabled(level) {
        return;
    }
    let mut line = Line::new();
    line.format(json(), level, |esc| {
        let _ = esc.write_fmt(args);
    });
    let fd = log_fd().unwrap_or_else(crate::rt::stderr);
    let _ = crate::rt::write_all(fd, line.as_bytes());
}

/// Reports an error: a log line (if --log is open) and one line on stderr.
pub fn error(msg: &str) {
    let fd = log_fd();
    if let Some(fd) = fd {
        let mut line = Line::new();
        line.format(json(), Level::Error, |esc| {
            let _ = esc.write_str(msg);
        });
        let _ = crate::rt::write_all(fd, line.as_bytes());
    }
    let mut out = Line::new();
    if fd.is_none() {
        out.push(b"rsrun: ");
    }
    // One line, whatever the message holds: control characters become '?'.
    for (i, chunk) in msg.as_bytes().split(|b| *b < 0x20 || *b == 0x7f).enumerate() {
        if i > 0 {
            out.push_cut(b"?");
        }
        out.push_cut(chunk);
    }
    out.push(b"\n");
    let _ = crate::rt::write_all(crate::rt::stderr(), out.as_bytes());
}

/// Appends a panic report (`rsrun: internal error: ...`, already on stderr) to the --log file as an
/// error line, if one is open. Does not allocate.
pub fn panic_to_log(line: &[u8]) {
    let Some(fd) = log_fd() else { return };
    let msg = line.strip_suffix(b"\n").unwrap_or(line);
    let msg = msg.strip_prefix(b"rsrun: ").unwrap_or(msg);
    let mut out = Line::new();
    out.format(json(), Level::Error, |esc| {
        crate::rt::utf8_pieces(msg, &mut |s| {
            let _ = esc.write_str(s);
        });
    });
    let _ = crate::rt::write_all(fd, out.as_bytes());
}

/// The log file descriptor number, or -1: a forked child that must keep it across its own fd cleanup.
pub fn raw_fd() -> i32 {
    log_fd().map_or(-1, |fd| fd.as_raw_fd())
}

/// `log_debug!("fmt", args...)`: a debug line, formatted only when --debug is on.
#[macro_export]
macro_rules! log_debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled($crate::log::Level::Debug) {
            $crate::log::log($crate::log::Level::Debug, format_args!($($arg)*))
        }
    };
}

/// `log_warn!("fmt", args...)`: a warning line.
#[macro_export]
macro_rules! log_warn {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Warning, format_args!($($arg)*)) };
}

/// `log_info!("fmt", args...)`: an info line.
#[macro_export]
macro_rules! log_info {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Info, format_args!($($arg)*)) };
}

const LINE_MAX: usize = 4096;
/// Room kept free while writing the message, for what follows it (`","time":"...Z"}\n` is 43 bytes).
const TAIL: usize = 64;

/// One log line in a stack buffer.
struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Self { buf: [0; LINE_MAX], len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, b: &[u8]) {
        let n = b.len().min(LINE_MAX - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }

    /// Pushes `b` but leaves TAIL bytes free.
    fn push_cut(&mut self, b: &[u8]) {
        let n = b.len().min((LINE_MAX - TAIL).saturating_sub(self.len));
        self.push(&b[..n]);
    }

    /// Builds a whole line in the current format; `msg` writes the message through the escaper.
    fn format(&mut self, json: bool, level: Level, msg: impl FnOnce(&mut Escaper)) {
        let now = time::rfc3339(time::realtime());
        if json {
            self.push(b"{\"level\":\"");
            self.push(level.as_str().as_bytes());
            self.push(b"\",\"msg\":\"");
        } else {
            self.push(b"time=\"");
            self.push(&now);
            self.push(b"\" level=");
            self.push(level.as_str().as_bytes());
            self.push(b" msg=\"");
        }
        msg(&mut Escaper { line: self, json });
        if json {
            self.push(b"\",\"time\":\"");
            self.push(&now);
            self.push(b"\"}\n");
        } else {
            self.push(b"\"\n");
        }
    }
}

/// Escapes message text into a line: JSON string escapes, or Go `%q` style for text lines (logrus
/// quotes values that way).
struct Escaper<'l> {
    line: &'l mut Line,
    json: bool,
}

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for c in s.chars() {
            let mut utf8 = [0u8; 4];
            let (esc, n): ([u8; 6], usize) = match c {
                '"' => (*b"\\\"    ", 2),
                '\\' => (*b"\\\\    ", 2),
                '\n' => (*b"\\n    ", 2),
                '\r' => (*b"\\r    ", 2),
                '\t' => (*b"\\t    ", 2),
                '\0'..='\x1f' | '\x7f' => {
                    let (hi, lo) = (HEX[c as usize >> 4], HEX[c as usize & 15]);
                    if self.json { ([b'\\', b'u', b'0', b'0', hi, lo], 6) } else { ([b'\\', b'x', hi, lo, 0, 0], 4) }
                }
                _ => {
                    let n = c.encode_utf8(&mut utf8).len();
                    let mut e = [0u8; 6];
                    e[..n].copy_from_slice(&utf8[..n]);
                    (e, n)
                }
            };
            if self.line.len + n > LINE_MAX - TAIL {
                return Err(fmt::Error); // message cut here; the line still closes properly
            }
            self.line.push(&esc[..n]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: bool, level: Level, msg: &str) -> String {
        let mut l = Line::new();
        l.format(json, level, |e| {
            let _ = e.write_str(msg);
        });
        String::from_utf8(l.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn json_and_text_lines() {
        let j = line(true, Level::Error, "a \"b\"\n\\c\x01 é");
        assert!(j.starts_with(r#"{"level":"error","msg":"a \"b\"\n\\c\u0001 é","time":""#), "{j}");
        assert!(j.ends_with("Z\"}\n"));
        let t = line(false, Level::Warning, "x \"y\"\x1b");
        assert!(t.starts_with("time=\"") && t.ends_with(" level=warning msg=\"x \\\"y\\\"\\x1b\"\n"), "{t}");
    }

    #[test]
    fn long_messages_are_cut_but_lines_stay_whole() {
        let long = "é".repeat(5000);
        let j = line(true, Level::Error, &long);
        assert!(j.len() <= LINE_MAX && j.ends_with("Z\"}\n"));
        assert!(j.contains("\"msg\":\"éé") && j.contains("\",\"time\":\""));
    }

    #[test]
    fn panic_lands_in_the_log_file_as_an_error_line() {
        use std::os::fd::IntoRawFd;
        let path = std::env::temp_dir().join(format!("rsrun-test-cli-panic-{}.log", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        JSON.store(true, Ordering::Relaxed);
        FD.store(file.into_raw_fd(), Ordering::Relaxed);
        panic_to_log(b"rsrun: internal error: boom \"x\" \xff (src/x.rs:1)\n");
        let fd = FD.swap(-1, Ordering::Relaxed);
        JSON.store(false, Ordering::Relaxed);
        // SAFETY: fd came from into_raw_fd above and nothing else uses it now.
        drop(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        let line = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(
            line.starts_with(
                "{\"level\":\"error\",\"msg\":\"internal error: boom \\\"x\\\" \u{fffd} (src/x.rs:1)\",\"time\":\""
            ),
            "{line}"
        );
        assert!(line.ends_with("Z\"}\n") && line.lines().count() == 1);
    }
}
