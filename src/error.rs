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

/// The C library's message for an errno (glibc wording, so output matches runc and crun), or
/// "Unknown error".
///
/// Kept as one text of lines plus a byte per errno rather than a `match`: the match compiled to a
/// jump table over 1..=125 with an 8-byte length and a 4-byte offset per slot (~1.4 KB for 54 messages).
pub fn strerror(e: Errno) -> &'static str {
    #[rustfmt::skip]
    const CODES: &[u8] = &[
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
        28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 61, 62, 75, 84, 88, 95, 98, 104, 110, 111, 113,
        116, 122, 125,
    ];
    const TEXT: &str = concat!(
        "Operation not permitted\nNo such file or directory\nNo such process\nInterrupted system call\n",
        "Input/output error\nNo such device or address\nArgument list too long\nExec format error\n",
        "Bad file descriptor\nNo child processes\nResource temporarily unavailable\nCannot allocate memory\n",
        "Permission denied\nBad address\nBlock device required\nDevice or resource busy\nFile exists\n",
        "Invalid cross-device link\nNo such device\nNot a directory\nIs a directory\nInvalid argument\n",
        "Too many open files in system\nToo many open files\nInappropriate ioctl for device\nText file busy\n",
        "File too large\nNo space left on device\nIllegal seek\nRead-only file system\nToo many links\n",
        "Broken pipe\nNumerical argument out of domain\nNumerical result out of range\n",
        "Resource deadlock avoided\nFile name too long\nNo locks available\nFunction not implemented\n",
        "Directory not empty\nToo many levels of symbolic links\nNo data available\nTimer expired\n",
        "Value too large for defined data type\nInvalid or incomplete multibyte or wide character\n",
        "Socket operation on non-socket\nOperation not supported\nAddress already in use\n",
        "Connection reset by peer\nConnection timed out\nConnection refused\nNo route to host\n",
        "Stale file handle\nDisk quota exceeded\nOperation canceled\n",
    );
    let n = e.raw_os_error();
    CODES.iter().position(|&c| i32::from(c) == n).and_then(|i| TEXT.split('\n').nth(i)).unwrap_or("Unknown error")
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
    fn strerror_table_lines_up() {
        let text = |n| strerror(Errno::from_raw_os_error(n));
        assert_eq!((text(1), text(40), text(61)), ("Operation not permitted", "Too many levels of symbolic links", "No data available"));
        assert_eq!((text(122), text(125)), ("Disk quota exceeded", "Operation canceled"));
        assert_eq!((text(41), text(126)), ("Unknown error", "Unknown error"));
    }

    #[test]
    fn quoted_escapes_like_debug() {
        for s in ["plain", "a\"b\\c", "tab\tnl\nret\r", "ünï €", ""] {
            assert_eq!(Quoted::str(s).to_string(), format!("{s:?}"));
        }
        assert_eq!(Quoted::str("\0\x1b\x7f").to_string(), r#""\x00\x1b\x7f""#);
    }
}
