//! Oracles of the fuzz targets (see Cargo.toml): the checks the `devices` and `seccomp_compile`
//! targets make of each program, shared with the stable test suites through tests/*_common.
#[path = "../../../tests/devbpf_common/mod.rs"]
pub mod devbpf_common;
#[path = "../../../tests/seccomp_common/mod.rs"]
pub mod seccomp_common;

pub mod devices;
pub mod seccomp;
