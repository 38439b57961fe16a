//! Raw Linux syscall wrappers that rustix does not provide.
//!
//! Each wrapper is a thin, typed function named after the syscall. Its doc opens with the raw call it
//! makes, returns `Result<_, Errno>`, and anything that yields a file descriptor returns an `OwnedFd`
//! so every error path closes it. Constants missing from linux-raw-sys are defined next to their use.
//! What the container lifecycle takes from rustix instead is listed in `syscalls/README.md`.
#![cfg_attr(not(test), no_std)]

pub mod raw;
pub mod process;
pub mod signal;
pub mod fd;
pub mod mount;
pub mod sched;
pub mod ns;
pub mod time;
pub mod keyring;

pub use rustix::io::Errno;
pub type Result<T> = core::result::Result<T, Errno>;
pub mod bpf;
pub mod seccomp;
pub mod perf;

#[cfg(test)]
mod testutil;
