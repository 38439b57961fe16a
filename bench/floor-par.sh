#!/bin/sh
# The kernel's floor for N containers created at once (issue 13's "64 created in parallel"): N
# bench/out/floor -w started together (each: cgroup mkdirs in every hierarchy, one clone3 with the
# `crun spec` namespaces, the child joins the v1 cgroups, binds the rootfs, pivot_root()s and waits;
# the parent exits as soon as its child is set up), timed like bench/compare.sh times N `create`s
# (xargs -P N, wall clock), beside each runtime's N creates, rounds alternating. Prints each median
# and its throughput as a multiple of crun's: the floor's multiple is the most any runtime could
# reach on this host, since each create must do at least that kernel work.
#
#   bench/floor-par.sh [RUNTIME...]      default: target/release/rsrun crun
#
# Environment: N (default 64), ROUNDS (default 5). The floor's children are ended (by their pids,
# which floor -w prints) and its directories removed after each round, outside the timing.
. "$(dirname "$0")/lib.sh"
bench_bundle
"$BENCH/build.sh"
N=${N:-64}
ROUNDS=${ROUNDS:-5}
[ $# -gt 0 ] || set -- "$REPO/target/release/rsrun" crun

now_ns() { date +%s%N; }

floor_round() { # -> seconds for N floor -w at once
  : > "$OUT/floor-par-pids"
  t0=$(now_ns)
  # shellcheck disable=SC2046
  seq "$N" | xargs -P "$N" -I{} "$OUT/floor" -w "$BUNDLE/rootfs" $(floor_dirs "rsrun-floor-par-$$-{}") \
    >> "$OUT/floor-par-pids" 2>"$OUT/floor-par-err" || { echo "floor -w failed:" >&2; cat "$OUT/floor-par-err" >&2; }
  t1=$(now_ns)
  # End the children (ours, by pid), then remove their directories.
  for p in $(cat "$OUT/floor-par-pids"); do kill -9 "$p" 2>/dev/null || true; done
  for p in $(cat "$OUT/floor-par-pids"); do
    while [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; do sleep 0.01; done
  done
  i=1
  while [ $i -le "$N" ]; do
    for d in $(floor_dirs "rsrun-floor-par-$$-$i"); do
      [ "$d" = - ] && continue
      n=0
      while [ -d "$d" ] && ! rmdir "$d" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.01; n=$((n + 1)); done
    done
    i=$((i + 1))
  done
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}

rt_round() { # bin -> seconds for N creates at once (then deleted, outside the timing)
  bin=$1 root=$2
  t0=$(now_ns)
  seq "$N" | xargs -P "$N" -I{} "$bin" --root "$root" create --bundle "$BUNDLE" "rsrun-bench-fpar-{}" \
    > "$OUT/floor-par-rt.txt" 2>&1 || { echo "$(basename "$bin"): a create failed:" >&2; tail -3 "$OUT/floor-par-rt.txt" >&2; }
  t1=$(now_ns)
  seq "$N" | xargs -P 8 -I{} "$bin" --root "$root" delete -f "rsrun-bench-fpar-{}" >/dev/null 2>&1 || true
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}

: > "$OUT/floor-par.txt"
r=0
while [ $r -lt "$ROUNDS" ]; do
  echo "floor $(floor_round)" >> "$OUT/floor-par.txt"
  for rt in "$@"; do
    bin=$(runtime_path "$rt")
    echo "$(basename "$bin") $(rt_round "$bin" "$(runtime_root "fpar-$(basename "$bin")")")" >> "$OUT/floor-par.txt"
  done
  r=$((r + 1))
done

echo "$N created at once (wall time, median of $ROUNDS rounds); throughput as a multiple of crun's:"
awk '
  { t[$1] = t[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END {
    for (i = 1; i <= n; i++) {
      k = split(substr(t[order[i]], 2), v, " ")
      for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] < v[a]) { x = v[a]; v[a] = v[b]; v[b] = x }
      med[order[i]] = v[int((k + 1) / 2)]
    }
    ref = ("crun" in med) ? med["crun"] : med[order[1]]
    for (i = 1; i <= n; i++) printf "  %-8s %8.1f ms  %5.2fx\n", order[i], med[order[i]] * 1000, ref / med[order[i]]
  }' "$OUT/floor-par.txt"
