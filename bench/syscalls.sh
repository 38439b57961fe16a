#!/bin/sh
# Count the syscalls of a whole lifecycle (create + start + delete -f of the bench bundle) per runtime:
# `strace -f -c` over all three verbs, every process and thread included (the runtime, the container
# init it forks, helpers it spawns, and the container's /bin/true itself).
#
#   bench/syscalls.sh [RUNTIME...]       default: crun runc
#   VERBOSE=1 ...                             also print the top syscalls of each runtime
#
# The verbs run under bench/out/rss -q, whose own 8 syscalls (execve, 3 x fork + wait4, exit_group) are
# subtracted. create cannot be traced alone: strace -f waits for the init it leaves behind, hence
# the whole lifecycle under one strace. Summaries: bench/out/strace-RUNTIME.txt.
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
LAUNCHER_SYSCALLS=8

printf '%-12s %10s\n' runtime syscalls
for rt in $(default_runtimes "$@"); do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "$label")
  id=rsrun-bench-$label
  f=$OUT/strace-$label.txt
  strace -f -c -o "$f" "$OUT/rss" -q \
    "$bin" --root "$root" create --bundle "$BUNDLE" "$id" :: \
    "$bin" --root "$root" start "$id" :: \
    "$bin" --root "$root" delete -f "$id" >/dev/null
  total=$(awk '$NF == "total" { print $4 }' "$f")
  printf '%-12s %10d\n' "$label" $((total - LAUNCHER_SYSCALLS))
  if [ -n "${VERBOSE:-}" ]; then
    awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ { print "    " $4 " " $NF }' "$f" | sort -rn | head -15
  fi
done
