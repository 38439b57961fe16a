//! Environment: root check, where things go, unique names, JSON helpers (through jq).
use super::cmd::run_command;
use super::sys;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Panics unless running as root: every test here creates namespaces, mounts and cgroups.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { sys::geteuid() };
    assert!(
        euid == 0,
        "these integration tests run real containers and must run as root (euid is {euid}); \
         run `tools/test.sh` or `cargo test` as root"
    );
}

/// The rsrun source tree (where tools/ lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parent of every bundle and runtime root the harness makes.
pub fn test_dir() -> PathBuf {
    let dir = std::env::var_os("RSRUN_TEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/rsrun-tests"));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    // Containers running as non-root users (or in user namespaces) must be able to traverse it.
    let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o755));
    dir
}

/// Timeout for one runtime command.
pub fn timeout() -> Duration {
    let secs = std::env::var("RSRUN_TEST_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    Duration::from_secs(secs)
}

/// A fixed-width (14 hex digits) suffix unique across threads, test binaries and runs: pid, a
/// per-process counter and a per-process salt from the clock. Fixed width means one name is never a
/// prefix of another, so leftover checks can match by substring.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    static SALT: Mutex<Option<u32>> = Mutex::new(None);
    let salt = *SALT.lock().unwrap().get_or_insert_with(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        (t.subsec_nanos() ^ t.as_secs() as u32) & 0xffff
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff;
    format!("{:06x}{:04x}{:04x}", std::process::id() & 0xff_ffff, n, salt)
}

/// A container id unique to this call: `rsrun-test-<tag>-<14 hex digits>`. `tag` is cut to 20 of
/// [a-z0-9_-]; use the test's name so leftovers point at their test.
pub fn unique_id(tag: &str) -> String {
    let tag: String = tag
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .take(20)
        .collect();
    format!("rsrun-test-{tag}-{}", unique_suffix())
}

/// `s` as a JSON string literal, for building jq expressions: `json_str("a\"b")` is `"a\"b"`.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON array of strings: `json_array(&["sh", "-c", "id"])` is `["sh","-c","id"]`.
pub fn json_array(items: &[&str]) -> String {
    let parts: Vec<String> = items.iter().map(|s| json_str(s)).collect();
    format!("[{}]", parts.join(","))
}

/// Runs `jq -c FILTER` on `json`; returns its output without the trailing newline.
pub fn jq(json: &str, filter: &str) -> String {
    let out = run_command(Command::new("jq").arg("-c").arg(filter), Some(json.as_bytes()), timeout());
    assert!(out.success(), "jq {filter:?} failed on {json:?}:\n{out}");
    out.stdout.trim_end_matches('\n').to_string()
}

/// Like `jq` with `-r` (raw strings). Returns None when the filter yields `null`.
pub fn jq_raw(json: &str, filter: &str) -> Option<String> {
    let out = run_command(Command::new("jq").arg("-r").arg(filter), Some(json.as_bytes()), timeout());
    assert!(out.success(), "jq -r {filter:?} failed on {json:?}:\n{out}");
    let s = out.stdout.trim_end_matches('\n');
    (s != "null").then(|| s.to_string())
}
