//! The memory primitives the compiler emits calls to (`memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`)
//! plus `strlen`, for a binary linked without libc.
//!
//! `#![no_builtins]` stops LLVM from recognising these loops as the very functions they implement
//! (which would compile `memset` into a call to `memset`). Copies and fills use `rep movsb`/`rep stosb`,
//! which are fast on every x86_64 since Ivy Bridge (ERMSB) and tiny.
//!
//! Only the `rsrun` binary links this crate; test binaries get the symbols from glibc, so here the
//! functions are exported unmangled only outside `cfg(test)`, and outside `cfg(fuzzing)` (cargo-fuzz's
//! builds link std and libc: two `bcmp`s would clash with libFuzzer's interceptors when no
//! sanitizer provides its own).
#![cfg_attr(not(test), no_std)]
#![no_builtins]

use core::arch::asm;

/// Copies `n` bytes from `src` to `dst`; the regions must not overlap.
///
/// # Safety
/// `dst` and `src` must be valid for `n` bytes and must not overlap.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both regions are valid for n bytes; rep movsb copies exactly n.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// Copies `n` bytes from `src` to `dst`; the regions may overlap.
///
/// # Safety
/// `dst` and `src` must be valid for `n` bytes.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // dst is below src, or past the end of src: a forward copy never reads a byte it wrote.
        // SAFETY: same contract as memcpy; forward order is safe for this overlap.
        return unsafe { memcpy(dst, src, n) };
    }
    // dst overlaps the tail of src: copy backwards with the direction flag set, then clear it
    // (the ABI requires DF clear on return).
    // SAFETY: n > 0 here (else the branch above was taken); pointers address the last byte of each region.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             options(nostack));
    }
    dst
}

/// Fills `n` bytes at `dst` with the low byte of `c`.
///
/// # Safety
/// `dst` must be valid for `n` bytes.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees dst is valid for n bytes; rep stosb writes exactly n.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    dst
}

/// Compares `n` bytes; returns <0, 0 or >0 like C's memcmp (bytes compared as unsigned).
///
/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n and both regions are valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// Equality-only comparison; LLVM emits it for `==` on slices.
///
/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// Length of a NUL-terminated string.
///
/// # Safety
/// `s` must point to a NUL-terminated string.
#[cfg_attr(not(any(test, fuzzing)), unsafe(no_mangle))]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL terminator, so every byte up to it is readable.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_fill_compare() {
        let mut buf = [0u8; 300];
        let src: [u8; 300] = core::array::from_fn(|i| i as u8);
        for n in [0, 1, 7, 64, 299, 300] {
            buf.fill(0);
            unsafe { memcpy(buf.as_mut_ptr(), src.as_ptr(), n) };
            assert_eq!(&buf[..n], &src[..n]);
            assert!(buf[n..].iter().all(|&b| b == 0));
            assert_eq!(unsafe { memcmp(buf.as_ptr(), src.as_ptr(), n) }, 0);
        }
        unsafe { memset(buf.as_mut_ptr().add(10), 0x1ab, 20) };
        assert!(buf[10..30].iter().all(|&b| b == 0xab));
        assert_eq!(buf[9], 9);
        assert_eq!(buf[30], 30);
        assert!(unsafe { memcmp(buf.as_ptr(), src.as_ptr(), 300) } > 0);
        assert!(unsafe { memcmp(src.as_ptr(), buf.as_ptr(), 300) } < 0);
        assert_ne!(unsafe { bcmp(src.as_ptr(), buf.as_ptr(), 300) }, 0);
        // unsigned comparison: 0x80 > 0x7f
        assert!(unsafe { memcmp([0x80u8].as_ptr(), [0x7fu8].as_ptr(), 1) } > 0);
    }

    #[test]
    fn move_overlapping_both_ways() {
        for (dst, src, n) in [(5usize, 0usize, 20usize), (0, 5, 20), (3, 3, 10), (1, 0, 1), (0, 0, 0)] {
            let mut a: [u8; 40] = core::array::from_fn(|i| i as u8);
            let mut expect = a;
            expect.copy_within(src..src + n, dst);
            unsafe { memmove(a.as_mut_ptr().add(dst), a.as_ptr().add(src), n) };
            assert_eq!(a, expect, "dst={dst} src={src} n={n}");
        }
    }

    #[test]
    fn strlen_counts_to_nul() {
        assert_eq!(unsafe { strlen(c"".as_ptr().cast()) }, 0);
        assert_eq!(unsafe { strlen(b"rsrun\0x".as_ptr()) }, 5);
    }
}
