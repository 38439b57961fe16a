#!/bin/sh
# The product's budgets, checked on every CI run (tools/test.sh runs this when present):
#   - one create + start + delete -f lifecycle of the bench bundle (busybox /bin/true, `crun spec`
#     config) makes at most LIFECYCLE_BUDGET syscalls of rsrun's own, all its processes counted
#     (bench/syscalls.sh "own": as strace -f -c counts, without the container's /bin/true, whose
#     calls depend on its race with delete -f). The product target, 250, is the guard: both
#     outcomes of that race stay within it (below), and any regression fails;
#   - no verb peaks above 1 MB of RSS (ru_maxrss from wait4, via bench/rss.c);
#   - the release binary is at most 400 KB.
# Time is not checked here: timings on a shared 2-core machine are for bench/ (ratios, one run).
set -eu
cd "$(dirname "$0")/.."
bin=target/release/rsrun
[ -x "$bin" ] || cargo build --release
fail=0

size=$(stat -c %s "$bin")
echo "size: $size bytes (budget 409600)"
[ "$size" -le 409600 ] || { echo "FAILED: binary over 400 KB"; fail=1; }

# 247 when the container's /bin/true has run and exited before delete -f (the init's last 3 calls,
# fifo read, close_range and execve, then count; delete finds the init gone and kills nothing);
# 249 when delete -f finds the init alive (pidfd_send_signal and the wait on its pidfd).
LIFECYCLE_BUDGET=${LIFECYCLE_BUDGET:-250}
calls=$(bench/syscalls.sh "$bin" | awk '$1 == "rsrun" { print $2 }')
echo "lifecycle syscalls (own): $calls (budget $LIFECYCLE_BUDGET, target 250)"
[ -n "$calls" ] && [ "$calls" -le "$LIFECYCLE_BUDGET" ] || { echo "FAILED: lifecycle over $LIFECYCLE_BUDGET syscalls"; fail=1; }

rss=$(ROUNDS=3 bench/rss.sh "$bin" | awk '$1 ~ /^(create|start|state|delete)$/ { sub(/ .*/, "", $2); print $1, $2 }')
echo "$rss" | sed 's/^/max RSS KB: /'
over=$(echo "$rss" | awk '$2 > 1024 { print $1 }')
[ -z "$over" ] || { echo "FAILED: over 1 MB RSS: $over"; fail=1; }
exit $fail
