//! rsrun: an OCI container runtime. The binary (`src/main.rs`) is only an entry point; everything
//! here is `no_std` + `alloc` so it runs without libc, and builds with std for unit tests.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod bpf;
pub mod channel;
pub mod cgroups;
pub mod cli;
pub mod container;
pub mod error;
pub mod hooks;
pub mod init;
pub mod json;
pub mod log;
pub mod netlink;
pub mod ns;
pub mod procfs;
pub mod rt;
pub mod seccomp;
pub mod spawn;
pub mod spec;
pub mod state;
pub mod trace;
pub mod tty;
