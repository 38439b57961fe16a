//! The crate's error: one line for the user, built from the innermost cause outwards
//! ("create container x: mount /proc on /proc: Operation not permitted").
//!
//! Errors carry context as text because all that reaches the user, the engine (docker and podman show
//! the last `"level":"error"` log line) and the tests is that one line. Keep the words containerd
//! matches: "does not exist", "container not running", "no such process".
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt::{self, Display, Write};
use rustix::io::Errno;

/// One pointer wide, so `Result<(), Error>` and most `Result<T, Error>` come back in registers and
/// every `?` moves a single word (errors are rare; the allocation only happens on the error path).
pub struct Error(Box<Inner>);

struct Inner {
    msg: String,
    errno: Option<Errno>,
}

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// An error with a message and no underlying errno.
    #[inline]
    pub fn msg(m: impl Display) -> Self {
        Self::build(&m, None)
    }

    /// A failed syscall: "`what`: strerror(errno)".
    #[inline]
    pub fn sys(what: impl Display, errno: Errno) -> Self {
        Self::build(&what, Some(errno))
    }

    /// Prefixes the message with `what: `.
    #[inline]
    pub fn context(self, what: impl Display) -> Self {
        self.prefix(&what)
    }

    /// The one non-generic constructor: "`what`" or "`what`: strerror(errno)". Kept out of line so
    /// each call site only passes a `&dyn Display`.
    #[inline(never)]
    #[cold]
    fn build(what: &dyn Display, errno: Option<Errno>) -> Self {
        let mut msg = String::new();
        let _ = match errno {
            Some(e) => write!(msg, "{what}: {}", ErrnoText(e)),
            None => write!(msg, "{what}"),
        };
        Self(Box::new(Inner { msg, errno }))
    }

    #[inline(never)]
    #[cold]
    fn prefix(mut self, what: &dyn Display) -> Self {
        let mut msg = String::new();
        let _ = write!(msg, "{what}: {}", self.0.msg);
        self.0.msg = msg;
        self
    }

    /// The errno at the root of this error, if it came from a syscall.
    pub fn errno(&self) -> Option<Errno> {
        self.0.errno
    }

    pub fn message(&self) -> &str {
        &self.0.msg
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.msg)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.msg)
    }
}

impl From<Errno> for Error {
    #[inline(never)]
    #[cold]
    fn from(e: Errno) -> Self {
        let mut msg = String::new();
        let _ = write!(msg, "{}", ErrnoText(e));
        Self(Box::new(Inner { msg, errno: Some(e) }))
    }
}

/// Adds context to a failing result: `.context("open /proc")?`.
pub trait Context<T> {
    fn context(self, what: impl Display) -> Result<T>;
    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T> Context<T> for core::result::Result<T, Errno> {
    #[inline]
    fn context(self, what: impl Display) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::build(&what, Some(e))),
        }
    }
    #[inline]
    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::build(&what(), Some(e))),
        }
    }
}

impl<T> Context<T> for Result<T> {
    #[inline]
    fn context(self, what: impl Display) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.prefix(&what)),
        }
    }
    #[inline]
    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.prefix(&what())),
        }
    }
}

/// `return Err(Error::msg(format_args!(...)))` in one word.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::Error::msg(format_args!($($arg)*))) };
}

/// A string in double quotes for messages (`invalid label "x"`): `"` and `\\` are escaped with a
/// backslash, \n \r \t as such, other control characters as `\xNN`. One small routine instead of
/// `{:?}`, whose `str`/`char`/`CString` Debug impls pull in core's Unicode tables.
pub struct Quoted<'a>(&'a str);

impl<'a> Quoted<'a> {
    pub fn str(s: &'a str) -> Self {
        Self(s)
    }
}

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        f.write_char('"')?;
        for c in self.0.chars() {
            let b = c as u32;
            match c {
                '"' | '\\' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\0'..='\x1f' | '\x7f' => {
                    f.write_str("\\x")?;
                    f.write_char(char::from(HEX[(b >> 4) as usize & 15]))?;
                    f.write_char(char::from(HEX[b as usize & 15]))?;
                }
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// strerror's text, or "Unknown error N" (glibc's wording) for an errno the table does not hold.
struct ErrnoText(Errno);

impl Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match strerror(self.0) {
            "Unknown error" => write!(f, "Unknown error {}", self.0.raw_os_error()),
            text => f.write_str(text),
        }
    }
}

/// The C library's message for an errno (glibc wording, so output matches runc and crun).
pub fn strerror(e: Errno) -> &'static str {
    match e.raw_os_error() {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        3 => "No such process",
        4 => "Interrupted system call",
        5 => "Input/output error",
        6 => "No such device or address",
        7 => "Argument list too long",
        8 => "Exec format error",
        9 => "Bad file descriptor",
        10 => "No child processes",
        11 => "Resource temporarily unavailable",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        14 => "Bad address",
        15 => "Block device required",
        16 => "Device or resource busy",
        17 => "File exists",
        18 => "Invalid cross-device link",
        19 => "No such device",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        23 => "Too many open files in system",
        24 => "Too many open files",
        25 => "Inappropriate ioctl for device",
        26 => "Text file busy",
        27 => "File too large",
        28 => "No space left on device",
        29 => "Illegal seek",
        30 => "Read-only file system",
        31 => "Too many links",
        32 => "Broken pipe",
        33 => "Numerical argument out of domain",
        34 => "Numerical result out of range",
        35 => "Resource deadlock avoided",
        36 => "File name too long",
        37 => "No locks available",
        38 => "Function not implemented",
        39 => "Directory not empty",
        40 => "Too many levels of symbolic links",
        61 => "No data available",
        62 => "Timer expired",
        75 => "Value too large for defined data type",
        84 => "Invalid or incomplete multibyte or wide character",
        88 => "Socket operation on non-socket",
        95 => "Operation not supported",
        98 => "Address already in use",
        104 => "Connection reset by peer",
        110 => "Connection timed out",
        111 => "Connection refused",
        113 => "No route to host",
        116 => "Stale file handle",
        122 => "Disk quota exceeded",
        125 => "Operation canceled",
        _ => "Unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn context_chains_outwards() {
        let r: core::result::Result<(), Errno> = Err(Errno::NOENT);
        let e = r.context("open /x").context("create container c1").unwrap_err();
        assert_eq!(e.to_string(), "create container c1: open /x: No such file or directory");
        assert_eq!(e.errno(), Some(Errno::NOENT));
    }

    #[test]
    fn unknown_errnos_keep_their_number() {
        let e = Error::sys("setresuid(1000)", Errno::from_raw_os_error(77));
        assert_eq!(e.to_string(), "setresuid(1000): Unknown error 77");
        assert_eq!(Error::from(Errno::PERM).to_string(), "Operation not permitted");
    }

    #[test]
    fn quoted_escapes_like_debug() {
        for s in ["plain", "a\"b\\c", "tab\tnl\nret\r", "ünï €", ""] {
            assert_eq!(Quoted::str(s).to_string(), format!("{s:?}"));
        }
        assert_eq!(Quoted::str("\0\x1b\x7f").to_string(), r#""\x00\x1b\x7f""#);
    }
}
