#!/bin/sh
# How far a runtime's lifecycle is from what the kernel alone costs: bench/floor.c (one clone3 with
# the `crun spec` namespaces, the cgroup mkdirs and rmdirs in every hierarchy the host has,
# pivot_root, exit; no libc) timed in ONE hyperfine run beside each runtime's create + start +
# delete -f of the bench bundle (as bench/lifecycle.sh). Prints each mean and median as a multiple
# of the floor's, and the floor's syscall count (strace -f -c).
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

# Every cgroup hierarchy of this host, as rsrun uses them: the cgroup2 mount (CLONE_INTO_CGROUP)
# and each v1 mount (joined by the child).
name=rsrun-floor-$$
v2=-
v1=
while read -r mp fstype; do
  case $fstype in
    cgroup2) v2=$mp/$name ;;
    cgroup) v1="$v1 $mp/$name" ;;
  esac
done <<EOT
$(awk '{ for (i = 7; $i != "-"; i++); print $5, $(i + 1) }' /proc/self/mountinfo | awk '$2 ~ /^cgroup2?$/' | sort -u)
EOT
floor="$OUT/floor $BUNDLE/rootfs $v2$v1"
echo "floor: $floor"
"$OUT/floor" "$BUNDLE/rootfs" $v2 $v1 || { echo "floor failed" >&2; exit 1; }
strace -f -c -o "$OUT/strace-floor.txt" "$OUT/floor" "$BUNDLE/rootfs" $v2 $v1
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
