//! NULL-terminated arrays of NUL-terminated strings, as execve takes argv and envp.

use alloc::vec::Vec;
use core::ffi::c_char;

/// Strings packed in one buffer plus the pointer array execve wants. Build with `push`, then call
/// `finish` once; the pointers stay valid while the value lives (the buffer is not touched again).
#[derive(Default)]
pub struct CStrs {
    buf: Vec<u8>,
    starts: Vec<usize>,
    ptrs: Vec<*const c_char>,
}

impl CStrs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one string. A NUL inside `s` would end the string early: such input is refused.
    pub fn push(&mut self, s: &[u8]) -> Result<(), NulError> {
        if memchr::memchr(0, s).is_some() {
            return Err(NulError);
        }
        self.starts.push(self.buf.len());
        self.buf.extend_from_slice(s);
        self.buf.push(0);
        Ok(())
    }

    /// Appends `a` and `b` concatenated, e.g. "NAME=" and a value.
    pub fn push2(&mut self, a: &[u8], b: &[u8]) -> Result<(), NulError> {
        if memchr::memchr(0, a).is_some() || memchr::memchr(0, b).is_some() {
            return Err(NulError);
        }
        self.starts.push(self.buf.len());
        self.buf.extend_from_slice(a);
        self.buf.extend_from_slice(b);
        self.buf.push(0);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The strings, without their NULs.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.starts.iter().map(|&s| {
            let end = s + memchr::memchr(0, &self.buf[s..]).unwrap_or(0);
            &self.buf[s..end]
        })
    }

    /// Freezes the strings and returns the NULL-terminated pointer array.
    pub fn finish(&mut self) -> &[*const c_char] {
        self.ptrs.clear();
        let base = self.buf.as_ptr();
        // SAFETY: every start is an offset inside `buf`, which is not modified after this point
        // (push takes &mut self, and callers use the pointers before pushing again).
        self.ptrs.extend(self.starts.iter().map(|&s| unsafe { base.add(s) } as *const c_char));
        self.ptrs.push(core::ptr::null());
        &self.ptrs
    }
}

/// A string with an interior NUL cannot be passed to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NulError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_terminates() {
        let mut c = CStrs::new();
        c.push(b"sh").unwrap();
        c.push2(b"A=", b"1").unwrap();
        assert_eq!(c.push(b"x\0y"), Err(NulError));
        assert_eq!(c.iter().collect::<Vec<_>>(), [&b"sh"[..], b"A=1"]);
        let p = c.finish();
        assert_eq!(p.len(), 3);
        assert!(p[2].is_null());
        let s = unsafe { core::ffi::CStr::from_ptr(p[1]) };
        assert_eq!(s.to_bytes(), b"A=1");
    }
}
