//! Harness for integration tests that run real containers (as root) under rsrun, crun and runc.
//!
//! Use it from any `tests/*.rs` of the rsrun package with `mod common;`. It needs no crates: std only,
//! plus `jq` (config edits, JSON queries) and `tools/mkbundle.sh` (busybox bundles).
//!
//! ```ignore
//! mod common;
//! use common::*;
//!
//! #[test]
//! fn echo_hi() {
//!     let bundle = Bundle::new();              // declare before the runtime: dropped after it
//!     bundle.sh("echo hi");                    // .process.args = ["sh","-c","echo hi"]
//!     let rt = Runtime::crun();                // private --root under /tmp/rsrun-tests
//!     let id = unique_id("echo");
//!     let leaks = LeakCheck::new(&rt, &bundle, &id);
//!     let out = rt.run_container(&bundle, &id).assert_ok();
//!     assert_eq!(out.stdout, "hi\n");
//!     leaks.assert_clean();
//! }
//! ```
//!
//! Everything a test creates lives under /tmp/rsrun-tests (RSRUN_TEST_DIR) with a fixed-width unique
//! suffix, so names never prefix each other and parallel tests never see each other's things. Every
//! runtime command runs with a timeout (RSRUN_TEST_TIMEOUT seconds, default 60); a runtime that hangs is
//! killed and the test fails with what it printed.
//!
//! Modules: `env` (root, paths, unique names, jq), `cmd` (running commands with timeouts, `Out`),
//! `bundle` (`Bundle`), `cases` (the C probe tests/common/probe.c, one-off runs per runtime,
//! `create_fails`, `HostDir`), `runtime` (`Runtime`, `Running`), `leaks` (`LeakCheck`), `host`
//! (what this host has: optional cgroup files, namespaces, LSMs; `skip`), `diff`
//! (`differential`), `each` (`run_each`/`run_cases`: per-runtime bundle setup, pairwise comparisons),
//! `faults` (strace fault injection: points, injected runs, processes left waiting), `terminal`
//! (`ConsoleSocket` receiving a pty master, `Term` running a command in a pty).
//! Everything is re-exported here.
#![allow(dead_code)]

mod bundle;
mod cases;
mod cmd;
mod diff;
mod each;
mod env;
mod faults;
mod host;
mod leaks;
mod runtime;
mod terminal;

#[allow(unused_imports)]
pub use bundle::*;
#[allow(unused_imports)]
pub use cases::*;
#[allow(unused_imports)]
pub use cmd::*;
#[allow(unused_imports)]
pub use diff::*;
#[allow(unused_imports)]
pub use each::*;
#[allow(unused_imports)]
pub use env::*;
#[allow(unused_imports)]
pub use faults::*;
#[allow(unused_imports)]
pub use host::*;
#[allow(unused_imports)]
pub use leaks::*;
#[allow(unused_imports)]
pub use runtime::*;
#[allow(unused_imports)]
pub use terminal::*;

/// The few libc calls the harness needs. std links glibc on this target anyway; declaring them avoids
/// the libc crate (a dev-dependency is not allowed, see HELPERS.md).
mod sys {
    unsafe extern "C" {
        pub fn geteuid() -> u32;
        pub fn kill(pid: i32, sig: i32) -> i32;
        pub fn umount2(target: *const std::ffi::c_char, flags: i32) -> i32;
    }
    pub const MNT_DETACH: i32 = 2;
}

pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
