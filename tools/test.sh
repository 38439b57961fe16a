#!/bin/sh
# Everything CI runs (.ci/run calls exactly this), as root, from a clean checkout:
#
#   tools/test.sh            (as root)
#
#  1. prerequisites (`tools/setup.sh --deps`: apt packages, Rust if missing) and the hybrid-cgroup fix
#  2. cargo build --release
#  3. cargo test --workspace: unit tests and integration tests (real containers under rsrun, crun,
#     runc); RUST_TEST_THREADS (default 4) tests at a time: containers mostly wait, 2 cores suffice
#  4. cargo clippy --all-targets --workspace -- -D warnings
#  5. no `std` feature on rustix, memchr or bitflags anywhere in the graph (dev-dependencies included)
#  6. target/release/rsrun is static (no INTERP, no NEEDED) and at most 400 KB
#  7. tests/soak.sh: 500 container lifecycles (create/start/delete, run, exec), then the host is
#     checked for leftovers (fds, mounts, cgroups, state, processes, kernel memory)
#  8. optional suites, run on this host when their script exists: tests/vm.sh (boots the cgroup v2
#     VM; the script run *inside* it is tests/vm/run.sh, never run here), tests/engines.sh (podman,
#     docker, containerd, runc then rsrun; takes /tmp/rsrun-engines.lock), tests/cri.sh (containerd's
#     CRI with an rsrun runtime handler, driven by tools/cri.sh), tests/pods.sh (podman pods and kube
#     play), tests/rootless.sh (an unprivileged user made for the test runs rsrun directly and
#     under rootless podman, beside runc; SKIP_ROOTLESS=1 skips it), tests/budgets.sh (syscall/RSS/size budgets via bench/), tests/fuzz-smoke.sh (each fuzz
#     target a few seconds, nightly toolchain; docs/fuzzing.md)
#  9. nothing left behind under this run's test directory
#
# Test files go to RSRUN_TEST_DIR (default /tmp/rsrun-tests/run-PID, private to this run).
# SKIP_OPTIONAL=1 skips step 8; SKIP_SOAK=1 skips step 7.
set -eu
cd "$(dirname "$0")/.."
umask 022

MAX_SIZE=$((400 * 1024))
THREADS=${RUST_TEST_THREADS:-4}
export RSRUN_TEST_DIR=${RSRUN_TEST_DIR:-/tmp/rsrun-tests/run-$$}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

# A failed run keeps what its tests left in RSRUN_TEST_DIR for inspection; an empty one goes.
trap 'rmdir "$RSRUN_TEST_DIR" 2>/dev/null || true' EXIT

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: the integration tests run real containers"

step "prerequisites"
[ -x "$HOME/.cargo/bin/cargo" ] && PATH=$HOME/.cargo/bin:$PATH
# Always: a clean CI machine has none of the packages, and apt is quick when they are there.
tools/setup.sh --deps
[ -x "$HOME/.cargo/bin/cargo" ] && PATH=$HOME/.cargo/bin:$PATH
# Test bundles copy /bin/busybox into their rootfs: it must be the static one.
readelf -lW /bin/busybox | grep -q INTERP && fail "/bin/busybox is dynamic: apt-get install busybox-static"
tools/cgroup-hybrid-for-crun.sh

step "cargo build --release"
cargo build --release --locked

step "cargo test --workspace (--test-threads=$THREADS)"
cargo test --workspace --locked -- --test-threads="$THREADS"

step "cargo clippy --all-targets --workspace -- -D warnings"
cargo clippy --all-targets --workspace --locked -- -D warnings

step "no std feature on rustix, memchr, bitflags"
bad=$(cargo tree --workspace --locked -e features --prefix none |
  grep -E '^(rustix|memchr|bitflags) feature "std"' | sort -u || true)
if [ -n "$bad" ]; then
  echo "$bad"
  for crate in $(echo "$bad" | cut -d' ' -f1 | sort -u); do
    cargo tree --workspace -e features -i "$crate" || true
  done
  fail "std is enabled on a no_std dependency (see the inverted trees above)"
fi
echo ok

step "target/release/rsrun is static and <= 400 KB"
bin=target/release/rsrun
readelf -lW "$bin" | grep -q INTERP && fail "$bin has a program interpreter (dynamically linked)"
readelf -dW "$bin" | grep -q NEEDED && fail "$bin needs shared libraries: $(readelf -dW "$bin" | grep NEEDED)"
size=$(stat -c %s "$bin")
[ "$size" -le $MAX_SIZE ] || fail "$bin is $size bytes, more than $MAX_SIZE"
echo "ok: static, $size bytes"

step "soak: tests/soak.sh"
tests/soak.sh

if [ -z "${SKIP_OPTIONAL:-}" ]; then
  for suite in tests/vm.sh tests/engines.sh tests/cri.sh tests/pods.sh tests/rootless.sh tests/budgets.sh tests/fuzz-smoke.sh; do
    if [ -x "$suite" ]; then
      step "optional suite $suite"
      "$suite"
    else
      step "optional suite $suite: not present, skipped"
    fi
  done
fi

step "nothing left behind in $RSRUN_TEST_DIR"
if awk -v d="$RSRUN_TEST_DIR" 'index($5, d) == 1 { print; found = 1 } END { exit !found }' /proc/self/mountinfo; then
  fail "mounts left under $RSRUN_TEST_DIR"
fi
if [ -d "$RSRUN_TEST_DIR" ]; then
  left=$(ls -A "$RSRUN_TEST_DIR")
  [ -z "$left" ] || fail "left in $RSRUN_TEST_DIR: $left"
  rmdir "$RSRUN_TEST_DIR"
fi
echo ok

step "all checks passed"
