//! The `rsrun` executable: process entry, global allocator and panic handler, nothing else.
//! All logic lives in the library (`src/lib.rs`) so it can be unit-tested with std.
#![no_std]
#![no_main]

extern crate alloc;
extern crate mem as _; // memcpy, memset, ... (no libc provides them)

use core::ffi::CStr;

/// The first MiB comes from .bss (no mmap in a verb that stays within it).
#[global_allocator]
static ALLOCATOR: rsrun::rt::alloc::Allocator<{ 1024 * 1024 }> = rsrun::rt::alloc::Allocator::new();

/// ELF entry point. The kernel leaves `argc, argv[], NULL, envp[], NULL, auxv` at the stack pointer.
/// Clear the frame pointer (end of backtraces), hand the original stack pointer to `entry`, and align
/// the stack to 16 bytes as the SysV ABI requires before a call.
///
/// # Safety
/// Only the kernel calls this, once, with the initial process stack.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym entry,
    )
}

/// Reads argv and envp from the initial stack, runs the CLI and exits with its status.
extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: `sp` is the initial stack pointer the kernel set up: argc, then argc argv pointers, NULL,
    // then envp pointers up to a NULL. Every pointer is a NUL-terminated string that lives for the
    // whole process, so 'static borrows are sound.
    let args: alloc::vec::Vec<&'static [u8]> = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const core::ffi::c_char;
        rsrun::rt::set_environ(argv.add(argc + 1));
        rsrun::rt::set_args(argv, argc);
        (0..argc).map(|i| CStr::from_ptr(*argv.add(i)).to_bytes()).collect()
    };
    let status = rsrun::cli::main(&args);
    syscalls::process::exit_group(status)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    rsrun::rt::report_panic(info);
    syscalls::process::exit_group(2)
}

// The precompiled `core` of debug builds refers to these even with panic = "abort"; they are never
// called because nothing unwinds.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    syscalls::process::exit_group(2)
}
