#!/bin/sh
# The whole fault-injection sweep: tests/fault.rs with FAULT_SWEEP=all. Every syscall that create
# (the runtime process, and the init it forks; the default config and one that joins a PID
# namespace by path with a cgroup namespace and hooks), start, run, delete --force and exec (rsrun
# and the process it forks) make in a normal run is, in turn, the point where strace kills the
# verb (SIGKILL) or makes the call fail (ENOSPC, EMFILE, ENOMEM, EINTR). After each: one line of
# error or success, no process left waiting, `delete --force` leaves nothing. CI (tools/test.sh) runs a subset; this runs all of it, with the
# release binary (what ships).
#
#   sudo bench/faults.sh
#
# Prints one line per sweep: injection points, runs, passed, failed; the failures in full.
# Takes about 1.5 minutes after the release build (about 3,600 runs).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "$(basename "$0"): run as root (containers need it)" >&2; exit 1; }
command -v strace >/dev/null || { echo "$(basename "$0"): strace is needed (tools/setup.sh --deps)" >&2; exit 1; }
export FAULT_SWEEP=all
export RSRUN_TEST_DIR=${RSRUN_TEST_DIR:-/tmp/rsrun-tests/faults-$$}
log=bench/out/faults.txt
mkdir -p bench/out
status=0
cargo test --release --locked --test fault -- --nocapture --test-threads=3 >"$log" 2>&1 || status=$?
grep -E '^fault sweep' "$log" || true
[ "$status" = 0 ] || { grep -vE '^\s+(at |[0-9]+: )' "$log" | sed -n '/^failures:/,$p' | head -80; echo "FAILED (full log: $log)"; }
rmdir "$RSRUN_TEST_DIR" 2>/dev/null || true
exit "$status"
