#!/bin/sh
# Count the syscalls of a whole lifecycle (create + start + delete -f of the bench bundle) per runtime:
# `strace -f` over all three verbs, every process and thread included (the runtime, the container
# init it forks, helpers it spawns).
#
#   bench/syscalls.sh [RUNTIME...]       default: crun runc
#   VERBOSE=1 ...                        also print the top syscalls of each runtime (own calls)
#   ROUNDS=N ...                         N lifecycles per runtime (default 3); the table shows the
#                                        median (own) and the largest total
#
# Two figures per runtime:
#   own    the runtime's syscalls: everything but the container's program. The init's execve of
#          /bin/true is the runtime's last call; what the program does after it is not. This figure
#          is the same in every run, and it is what the budget (tests/budgets.sh) holds.
#   total  own + the container's /bin/true (busybox: about 15 calls when it gets to run before
#          `delete -f` kills it, fewer or none when not): the `strace -f -c` figure, which varies
#          with that race (the table shows the largest of the rounds).
# Both count a call when it returns, as `strace -c` does (exit_group, and a read cut short by
# SIGKILL, are not counted).
# The verbs run under bench/out/rss -q, whose own 8 syscalls (execve, 3 x fork + wait4, exit_group)
# are not counted. create cannot be traced alone: strace -f waits for the init it leaves behind,
# hence the whole lifecycle under one strace. Traces: bench/out/strace-RUNTIME.txt (last round).
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
ROUNDS=${ROUNDS:-3}
# What the bench bundle runs (config.json process.args[0]).
PROGRAM=/bin/true

# own and program syscall counts of one `strace -f -o` file, counted as `strace -c` does: a call
# counts when it returns (a complete line, or the "resumed" half of a split one), so exit_group and
# a call cut short by SIGKILL do not. The first pid is the launcher; a pid whose execve of PROGRAM
# returned is the container's program from then on (that execve is still the runtime's).
count() {
  awk -v prog="$PROGRAM" '
    { pid = $1; rest = $0; sub(/^[0-9]+ +/, "", rest) }
    NR == 1 { launcher = pid }
    index(rest, "execve(\"" prog "\"") == 1 { execing[pid] = 1 }
    rest ~ /^(\+\+\+ |--- )/ || rest ~ /<unfinished \.\.\.>$/ || rest ~ / = \?$/ { next }
    pid == launcher { next }
    {
      if (rest ~ /^<\.\.\. /) { name = rest; sub(/^<\.\.\. /, "", name); sub(/ resumed>.*/, "", name) }
      else { name = rest; sub(/\(.*/, "", name) }
    }
    cont[pid] { program++; next }
    { own++; calls[name]++ }
    name == "execve" && execing[pid] && rest ~ / = 0$/ { cont[pid] = 1 }
    END {
      printf "%d %d\n", own, program
      for (n in calls) printf "%d %s\n", calls[n], n > "/dev/stderr"
    }' "$1"
}

printf '%-16s %6s %6s\n' runtime own total
for rt in $(default_runtimes "$@"); do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "$label")
  id=rsrun-bench-$label
  f=$OUT/strace-$label.txt
  owns=
  max=0
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    # Default signal dispositions: the container's init resets each signal its caller left ignored
    # (one rt_sigaction each: a background job of a non-interactive shell, as CI may run this, has
    # SIGINT and SIGQUIT ignored), which would make the count depend on how this script was started.
    env --default-signal strace -f -o "$f" "$OUT/rss" -q \
      "$bin" --root "$root" create --bundle "$BUNDLE" "$id" :: \
      "$bin" --root "$root" start "$id" :: \
      "$bin" --root "$root" delete -f "$id" >/dev/null
    set -- $(count "$f" 2>"$OUT/strace-$label.calls")
    owns="$owns $1"
    [ $(($1 + $2)) -le "$max" ] || max=$(($1 + $2))
    i=$((i + 1))
  done
  [ -z "${VERBOSE:-}" ] || echo "  rounds (own):$owns"
  own=$(echo "$owns" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '%-16s %6d %6d\n' "$label" "$own" "$max"
  if [ -n "${VERBOSE:-}" ]; then
    sort -rn "$OUT/strace-$label.calls" | head -15 | sed 's/^/    /'
  fi
done
