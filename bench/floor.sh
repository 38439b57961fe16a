#!/bin/sh
# How far a runtime's lifecycle is from what the kernel alone costs: bench/floor.c (one clone3 with
# the `crun spec` namespaces (mount, pid, network, ipc, uts), the cgroup mkdirs and rmdirs in every
# hierarchy the host has, pivot_root, exit; no libc) timed in ONE hyperfine run beside each runtime's create + start +
# delete -f of the bench bundle (as bench/lifecycle.sh). Prints each mean and median as a multiple
# of the floor's, and the floor's syscall count (strace -f -c). Then the floor of `run`: floor -x
# /bin/true (the child execs the container's program after pivot_root) in one hyperfine run beside
# each runtime's `run` of the bundle, with the floor's ratio to crun's run: the lowest ratio any
# runtime could reach on this host. bench/floor-par.sh is the floor of 64 creates at once.
#
#   bench/floor.sh [RUNTIME...]      default: target/release/rsrun crun
#
# Environment: RUNS (default 100), WARMUP (default 10).
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
"$BENCH/build.sh"
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-10}
[ $# -gt 0 ] || set -- "$REPO/target/release/rsrun" crun
runtimes="$*"   # paths without spaces, as every bench script assumes

dirs=$(floor_dirs "rsrun-floor-$$")
floor="$OUT/floor $BUNDLE/rootfs $dirs"
echo "floor: $floor"
# shellcheck disable=SC2086
"$OUT/floor" "$BUNDLE/rootfs" $dirs || { echo "floor failed" >&2; exit 1; }
# shellcheck disable=SC2086
strace -f -c -o "$OUT/strace-floor.txt" "$OUT/floor" "$BUNDLE/rootfs" $dirs
echo "floor syscalls: $(awk '$NF == "total" { print $4 }' "$OUT/strace-floor.txt")"

names="--command-name floor"
cmds=
for rt in "$@"; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "$label")
  id=rsrun-bench-$label
  names="$names --command-name $label"
  set -- "$@" "$OUT/rss -q $bin --root $root create --bundle $BUNDLE $id :: $bin --root $root start $id :: $bin --root $root delete -f $id"
done
n=$(($# / 2)); shift $n
# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/floor.json" $names "$floor" "$@"
echo
echo "lifecycle vs the kernel floor (x = multiple of the floor's time):"
jq -r '
  def ms: . * 1000 * 100 | round / 100;
  def r2: . * 100 | round / 100;
  .results[0] as $f
  | (["command", "mean ms", "median ms", "x mean", "x median"] | @tsv),
    (.results[] | [.command, (.mean | ms), (.median | ms), (.mean / $f.mean | r2), (.median / $f.median | r2)] | @tsv)
' "$OUT/floor.json" | awk -F '\t' '{ printf "  %-10s %9s %10s %8s %9s\n", $1, $2, $3, $4, $5 }'

# The floor of `run`: the same, and the child execs /bin/true; beside each runtime's `run`.
floor_x="$OUT/floor -x /bin/true $BUNDLE/rootfs $dirs"
names="--command-name floor-x"
set --
for rt in $runtimes; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "run-$label")
  names="$names --command-name $label"
  set -- "$@" "$bin --root $root run --bundle $BUNDLE rsrun-bench-run-$label"
done
# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/floor-run.json" $names "$floor_x" "$@" </dev/null
echo
echo "run of /bin/true vs its kernel floor (floor -x /bin/true); x crun: ratio to crun's run (median):"
jq -r '
  def ms: . * 1000 * 100 | round / 100;
  def r2: . * 100 | round / 100;
  .results[0] as $f
  | ([.results[] | select(.command == "crun")] + [.results[0]])[0] as $c
  | (["command", "mean ms", "median ms", "x floor", "x crun"] | @tsv),
    (.results[] | [.command, (.mean | ms), (.median | ms), (.median / $f.median | r2), (.median / $c.median | r2)] | @tsv)
' "$OUT/floor-run.json" | awk -F '\t' '{ printf "  %-10s %9s %10s %8s %7s\n", $1, $2, $3, $4, $5 }'
