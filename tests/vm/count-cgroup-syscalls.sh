#!/bin/sh
# tests/vm/count-cgroup-syscalls.sh [TEST-BINARY]
# Counts the syscalls the cgroup library makes for a container's create (detect, mkdir, limits,
# v1 device rule, join) and delete (from state.json), with the ignored syscall_probe_* tests of
# tests/cgroups_host.rs under strace. Runs on the host (as root) and inside the VM (run-cgroup-tests.sh
# passes --count). Prints one line per probe and region, then the per-syscall breakdown.
set -e
bin=${1:-}
if [ -z "$bin" ]; then
  repo=$(cd "$(dirname "$0")/../.." && pwd)
  bin=$(cd "$repo" && cargo test --no-run --test cgroups_host --message-format=json 2>/dev/null |
        grep -o '"executable":"[^"]*cgroups_host[^"]*"' | tail -1 | cut -d'"' -f4)
fi
out=$(mktemp /tmp/rsrun-cgroup-strace.XXXXXX)
for probe in syscall_probe_devices_only syscall_probe_memory_pids; do
  strace -f -qq -o "$out" "$bin" --ignored --exact "$probe" --test-threads=1 >/dev/null 2>&1
  for region in create delete; do
    awk -v b="rsrun-probe-$region-begin" -v e="rsrun-probe-$region-end" -v name="$probe $region" '
      index($0, b) { tid = $1; on = 1; next }
      on && index($0, e) { on = 0 }
      on && $1 == tid && !/resumed>/ { n++; s = $2; sub(/\(.*/, "", s); c[s]++ }
      END { printf "%s: %d syscalls (", name, n; sep = ""
            for (k in c) { printf "%s%s %d", sep, k, c[k]; sep = ", " } print ")" }' "$out"
  done
done
rm -f "$out"
