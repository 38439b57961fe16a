//! Link the `rsrun` binary as a static executable without libc or C start files.
//! Only the binary gets these arguments: unit and integration tests link normally against std.
use std::process::Command;

fn main() {
    // --icf=all: lld folds functions with identical code (generic instances that compile to the
    // same machine code): ~1 KB. Nothing in rsrun compares function addresses. -O2: lld also merges
    // string constants that are the tail of another (~100 B). --build-id=none: nothing of ours or
    // of the engines reads the note, which costs its section, section header and program header.
    let link = ["-nostartfiles", "-nostdlib", "-static", "-no-pie", "-Wl,--icf=all", "-Wl,-O2", "-Wl,--build-id=none"];
    for arg in link {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    // With panic = "abort" nothing unwinds, so the unwind tables (.eh_frame, ~10% of the file) are
    // dead weight. rustc has no stable per-profile switch to stop emitting them, and a global
    // `-C force-unwind-tables=no` would break the tests (they unwind); instead the linker drops them
    // from the binary only, through a script that augments (INSERT) the default one.
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let script = std::path::Path::new(&out).join("discard-eh-frame.ld");
    std::fs::write(&script, "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) } } INSERT BEFORE .text;\n")
        .expect("write linker script");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    // `rsrun --version` prints the commit it was built from (docker parses the `commit:` line).
    let sha = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RSRUN_COMMIT={sha}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-changed=build.rs");
}
