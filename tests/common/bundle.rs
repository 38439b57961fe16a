//! Busybox OCI bundles made by tools/mkbundle.sh, edited with jq, removed safely.
use super::leaks::mount_points_under;
use super::*;
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An OCI bundle made by tools/mkbundle.sh in /tmp/rsrun-tests/b-<suffix>: busybox rootfs, the
/// `crun spec` config with terminal false and args ["/bin/true"]. Removed on drop (after unmounting
/// anything left mounted inside it, never crossing into a mount).
///
/// Declare a bundle before the runtime that uses it, so the runtime (and its containers) are dropped
/// first.
pub struct Bundle {
    dir: PathBuf,
    name: String,
}

impl Bundle {
    pub fn new() -> Bundle {
        require_root();
        let name = format!("b-{}", unique_suffix());
        let dir = test_dir().join(&name);
        let out = run_command(Command::new(repo_root().join("tools/mkbundle.sh")).arg(&dir), None, timeout());
        assert!(out.success(), "tools/mkbundle.sh failed:\n{out}");
        Bundle { dir, name }
    }

    /// Like `new`, then applies `patch` (a jq expression).
    pub fn with(patch: &str) -> Bundle {
        let b = Bundle::new();
        b.patch(patch);
        b
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The directory's file name, unique (`b-<14 hex digits>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    pub fn config(&self) -> String {
        fs::read_to_string(self.config_path()).unwrap()
    }

    /// Rewrites config.json with the jq expression `expr`, e.g.
    /// `.process.args = ["sh","-c","id"] | .hostname = "x"`. Panics if jq fails.
    pub fn patch(&self, expr: &str) -> &Self {
        let new = jq(&self.config(), expr);
        let tmp = self.dir.join("config.json.tmp");
        fs::write(&tmp, new + "\n").unwrap();
        fs::rename(&tmp, self.config_path()).unwrap();
        self
    }

    /// Sets `.process.args`.
    pub fn args(&self, args: &[&str]) -> &Self {
        self.patch(&format!(".process.args = {}", json_array(args)))
    }

    /// Sets `.process.args` to `["sh", "-c", script]`.
    pub fn sh(&self, script: &str) -> &Self {
        self.args(&["sh", "-c", script])
    }

    /// Evaluates a jq filter on config.json (compact output).
    pub fn query(&self, filter: &str) -> String {
        jq(&self.config(), filter)
    }

    /// Writes `contents` to `rel` inside the rootfs (parents created).
    pub fn write_rootfs(&self, rel: &str, contents: &[u8]) {
        let p = self.rootfs().join(rel.trim_start_matches('/'));
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        remove_tree(&self.dir);
    }
}

/// Removes `dir` if nothing is mounted inside it. Leaked mounts under it (a runtime bug the leftover
/// checks report) are detached first; if some remain, the directory is kept rather than risk
/// deleting through a bind mount into the host.
pub fn remove_tree(dir: &Path) {
    for _ in 0..8 {
        let mut mps = mount_points_under(dir);
        if mps.is_empty() {
            break;
        }
        mps.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        for mp in mps {
            let c = CString::new(mp.as_os_str().as_bytes()).unwrap();
            // SAFETY: `c` is a valid NUL-terminated path; MNT_DETACH only affects that mount.
            unsafe { sys::umount2(c.as_ptr(), sys::MNT_DETACH) };
        }
    }
    let left = mount_points_under(dir);
    if !left.is_empty() {
        eprintln!("harness: NOT removing {}: still mounted inside: {left:?}", dir.display());
        return;
    }
    if let Err(e) = fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("harness: remove {}: {e}", dir.display());
    }
}
