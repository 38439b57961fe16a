//! What runs inside the new namespaces: the container init, from clone3 until execve.
//!
//! `create` (src/container/create.rs) computes a `Context` before clone3; the child then calls, in
//! this order (runc's order):
//!   1. namespaces joined by path, uid/gid maps awaited, time offsets (src/init/mod.rs, orchestration)
//!   2. `rootfs::setup`   propagation, rootfs bind, mounts, /dev, devices, before_pivot callback
//!                        (createRuntime/createContainer hooks), pivot_root or --no-pivot
//!   3. hostname, domainname (orchestration)
//!   4. `rootfs::finish`  sysctl, readonly paths, masked paths, readonly root
//!   5. `process::prepare` resolve args[0] on the container's PATH, build env, validate
//!   6. `process::apply`  rlimits, oom_score_adj, scheduler, ioprio, personality, LSM labels, user,
//!                        capabilities, no_new_privs, umask, cwd, fd hygiene (seccomp via the
//!                        context's callback at runc's point)
//!   7. report "ready" to the parent, block on the exec fifo, startContainer hooks (orchestration)
//!   8. `process::exec`   seccomp if it goes last, execve
use crate::error::Result;
use crate::spec::Spec;

pub mod process;
pub mod rootfs;

// Private parts of `rootfs` (filesystem setup), one concern each.
mod cgroup;
mod copyup;
mod dev;
mod idmap;
mod masks;
mod mount_opts;
mod mountinfo;
mod mounts;
mod paths;
mod sys;
mod sysctl;

/// Everything the container init needs, computed by `create` before clone3.
pub struct Context<'s, 'a> {
    pub spec: &'s Spec<'a>,
    pub id: &'s str,
    /// Absolute path of the bundle directory.
    pub bundle: &'s str,
    /// Absolute host path of the root filesystem (root.path resolved against the bundle).
    pub rootfs: &'s str,
    /// `--no-pivot`: MS_MOVE + chroot instead of pivot_root.
    pub no_pivot: bool,
    /// Number of fds above stdio passed into the container (`--preserve-fds` plus LISTEN_FDS).
    pub preserve_fds: u32,
    /// LISTEN_FDS was set for rsrun: the container gets LISTEN_FDS/LISTEN_PID in its env.
    pub listen_fds: Option<u32>,
    /// The init runs in a user namespace created for it (mknod is not allowed there: bind devices).
    pub new_userns: bool,
    /// The init got a new cgroup namespace (a cgroup mount shows only its own cgroup).
    pub new_cgroupns: bool,
    /// Installs the container's seccomp filter (no-op when the config has none). `process` calls it
    /// at the point runc does: before the user switch without no_new_privs, right before execve
    /// with it.
    pub install_seccomp: &'s dyn Fn() -> Result<()>,
}
