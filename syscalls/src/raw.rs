//! The `syscall` instruction with 0 to 6 arguments, returning the kernel's result or its errno.
//!
//! x86_64 convention: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9; rcx and r11 are
//! clobbered; a return value in [-4095, -1] is -errno.
use crate::{Errno, Result};
use core::arch::asm;

#[inline(always)]
fn check(ret: isize) -> Result<usize> {
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw_os_error(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall0(nr: u32) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall1(nr: u32, a: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall2(nr: u32, a: usize, b: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, in("rsi") b, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall3(nr: u32, a: usize, b: usize, c: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall4(nr: u32, a: usize, b: usize, c: usize, d: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall5(nr: u32, a: usize, b: usize, c: usize, d: usize, e: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, in("r8") e, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}

/// # Safety
/// The caller must pass arguments that are valid for syscall `nr`.
#[inline(always)]
pub unsafe fn syscall6(nr: u32, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> Result<usize> {
    let ret: isize;
    // SAFETY: the caller vouches for the syscall and its arguments.
    unsafe { asm!("syscall", inlateout("rax") nr as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c, in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _, options(nostack)) };
    check(ret)
}
