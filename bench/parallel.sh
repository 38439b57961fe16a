#!/bin/sh
# Throughput under concurrency: N containers (default 64) created at the same time, then started and
# deleted (delete -f) at the same time, per runtime, with the bench bundle (busybox /bin/true, `crun
# spec` config). Each phase is N background processes started together; the wall time of the whole
# round (create + start + delete of all N) is taken per runtime, the runtimes alternate round by
# round, and each runtime's median is compared with crun's: "x throughput" is crun's median time
# divided by the runtime's (higher is better).
#
#   bench/parallel.sh [RUNTIME...]      default: target/release/rsrun crun
#
# Environment: N (default 64), ROUNDS (default 5). Raw times: bench/out/parallel-RUNTIME.txt (ms, one
# round a line: create, start, delete, total).
. "$(dirname "$0")/lib.sh"
bench_bundle
N=${N:-64}
ROUNDS=${ROUNDS:-5}
[ $# -gt 0 ] || set -- "$REPO/target/release/rsrun" crun

now_ms() { date +%s%N | cut -c1-13; }

# phase BIN ROOT VERB: runs VERB for ids 1..N at once and waits for all; fails if any failed.
phase() {
  bin=$1 root=$2 verb=$3 i=1 pids=
  while [ $i -le "$N" ]; do
    case $verb in
      create) "$bin" --root "$root" create --bundle "$BUNDLE" "par-$i" </dev/null >/dev/null 2>>"$OUT/parallel-err" & ;;
      start) "$bin" --root "$root" start "par-$i" >/dev/null 2>>"$OUT/parallel-err" & ;;
      delete) "$bin" --root "$root" delete -f "par-$i" >/dev/null 2>>"$OUT/parallel-err" & ;;
    esac
    pids="$pids $!"
    i=$((i + 1))
  done
  bad=0
  for p in $pids; do wait "$p" || bad=$((bad + 1)); done
  [ $bad -eq 0 ] || { echo "$(basename "$bin") $verb: $bad of $N failed (bench/out/parallel-err)" >&2; return 1; }
}

: > "$OUT/parallel-err"
for rt in "$@"; do
  bin=$(runtime_path "$rt")
  : > "$OUT/parallel-$(basename "$bin").txt"
done
r=0
while [ $r -lt "$ROUNDS" ]; do
  for rt in "$@"; do
    bin=$(runtime_path "$rt")
    label=$(basename "$bin")
    root=$OUT/root-par-$label
    rm -rf "$root"
    mkdir -p "$root"
    t0=$(now_ms)
    phase "$bin" "$root" create
    t1=$(now_ms)
    phase "$bin" "$root" start
    t2=$(now_ms)
    phase "$bin" "$root" delete
    t3=$(now_ms)
    echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t3 - t0))" >> "$OUT/parallel-$label.txt"
  done
  r=$((r + 1))
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ref=
for rt in "$@"; do
  label=$(basename "$(runtime_path "$rt")")
  [ "$label" = crun ] && ref=$(awk '{ print $4 }' "$OUT/parallel-crun.txt" | median)
done
echo "$N containers at once: create, start, delete -f phases (ms, median of $ROUNDS rounds)"
printf '  %-16s %8s %8s %8s %8s %14s\n' runtime create start delete total "x throughput"
for rt in "$@"; do
  label=$(basename "$(runtime_path "$rt")")
  f=$OUT/parallel-$label.txt
  c=$(awk '{ print $1 }' "$f" | median); s=$(awk '{ print $2 }' "$f" | median)
  d=$(awk '{ print $3 }' "$f" | median); t=$(awk '{ print $4 }' "$f" | median)
  x=-
  [ -n "$ref" ] && x=$(awk -v r="$ref" -v t="$t" 'BEGIN { printf "%.2f", r / t }')
  printf '  %-16s %8s %8s %8s %8s %14s\n' "$label" "$c" "$s" "$d" "$t" "$x"
done
