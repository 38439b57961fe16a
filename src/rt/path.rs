//! Paths handed to rustix through one non-generic conversion: `openat(dir, cs(name), ...)`.
//!
//! rustix turns a `&str` path into a C string inside every path-taking call, generically: each
//! (function, argument type) pair gets its own stack-buffer fast path, heap slow path and two copies
//! of the syscall, and a call with three paths (mount) nests that three deep. That was ~6 KB of the
//! binary. `cs(path)` goes through one out-of-line `CString` conversion and calls the syscall once
//! (a path with a NUL byte is EINVAL, as with a `&str`). Literal paths are best written as `c"..."`.
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::ffi::CString;
use core::ffi::CStr;
use rustix::io::{self, Errno};
use rustix::path::Arg;

/// A path for rustix (see the module docs), as bytes so that `&[u8]` paths can use it too.
#[derive(Clone, Copy)]
pub struct CPath<'a>(pub &'a [u8]);

/// The path argument of a rustix call.
pub fn cs(s: &str) -> CPath<'_> {
    CPath(s.as_bytes())
}

/// A `Box<CStr>` rather than a `CString`: it comes back in two registers (None is a null pointer)
/// and its drop is a bare free, which every path-taking call site repeats (~1 KB over them all).
#[inline(never)]
fn to_c(s: &[u8]) -> Option<Box<CStr>> {
    CString::new(s).ok().map(CString::into_boxed_c_str)
}

impl Arg for CPath<'_> {
    fn as_str(&self) -> io::Result<&str> {
        core::str::from_utf8(self.0).map_err(|_| Errno::INVAL)
    }

    fn to_string_lossy(&self) -> Cow<'_, str> {
        super::lossy(self.0)
    }

    fn as_cow_c_str(&self) -> io::Result<Cow<'_, CStr>> {
        to_c(self.0).map(|c| Cow::Owned(c.into_c_string())).ok_or(Errno::INVAL)
    }

    fn into_c_str<'b>(self) -> io::Result<Cow<'b, CStr>>
    where
        Self: 'b,
    {
        to_c(self.0).map(|c| Cow::Owned(c.into_c_string())).ok_or(Errno::INVAL)
    }

    fn into_with_c_str<T, F>(self, f: F) -> io::Result<T>
    where
        Self: Sized,
        F: FnOnce(&CStr) -> io::Result<T>,
    {
        f(&to_c(self.0).ok_or(Errno::INVAL)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_or_refuses_nul() {
        assert_eq!(cs("/a/b").into_with_c_str(|c| Ok(c.to_bytes().len())), Ok(4));
        assert_eq!(cs("a\0b").into_with_c_str(|_| Ok(())), Err(Errno::INVAL));
        assert_eq!(cs("").into_with_c_str(|c| Ok(c.to_bytes().is_empty())), Ok(true));
        assert_eq!(CPath(b"x\xff").into_with_c_str(|c| Ok(c.to_bytes().len())), Ok(2));
    }
}
