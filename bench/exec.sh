#!/bin/sh
# exec figures per runtime: time of `exec ID /bin/true` into a running busybox container, the
# syscalls of one exec and the peak RSS of the exec verb.
#
#   bench/exec.sh [RUNTIME...]           RUNTIME: a name in PATH or a path; default: crun runc
#   e.g. bench/exec.sh crun runc target/release/rsrun
#
# Each runtime creates and starts ONE `sleep 1000` container of the bench bundle (same rootfs, args
# changed) and keeps it for the whole run. Then:
# - time: one hyperfine run with every runtime's `exec ID /bin/true` (hyperfine interleaves nothing,
#   but all runtimes share the same conditions of one run), printed as ratios to crun's mean and
#   median (or the first runtime's when crun is not measured);
# - syscalls: `strace -f -c` over one exec, every process counted (the runtime, anything it forks,
#   the exec'd /bin/true), minus the launcher's own 4 (execve, fork, wait4, exit_group);
# - RSS: ru_maxrss of the exec verb from wait4 through bench/out/rss, median and max of ROUNDS, two
#   ways: `exec ID /bin/true` (the figure covers the exec'd process too, which the verb waits for:
#   busybox's true alone peaks at about 1.3 MB) and `exec -d ID /bin/true` (the verb alone: with
#   --detach it does not wait for the process).
#
# Environment: RUNS (hyperfine --runs, default 200), WARMUP (10), ROUNDS (RSS, 9), HYPERFINE_ARGS.
# Results: bench/out/exec.json, exec.md, strace-exec-RUNTIME.txt, rss-exec-RUNTIME.txt.
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-10}
ROUNDS=${ROUNDS:-9}
LAUNCHER_SYSCALLS=4

# A bundle running `sleep 1000` on the bench bundle's rootfs.
EB=$OUT/exec-bundle
mkdir -p "$EB"
jq --arg r "$BUNDLE/rootfs" '.root.path = $r | .process.args = ["sleep", "1000"]' "$BUNDLE/config.json" > "$EB/config.json"

runtimes=$(default_runtimes "$@")
started=
cleanup() {
  for s in $started; do
    bin=${s%%|*}; rest=${s#*|}; root=${rest%%|*}; id=${rest#*|}
    "$bin" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT INT TERM

set --
cmds=
for rt in $runtimes; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "exec-$label")
  id=rsrun-bench-exec-$label
  "$bin" --root "$root" create --bundle "$EB" "$id" </dev/null >/dev/null
  started="$started $bin|$root|$id"
  "$bin" --root "$root" start "$id"
  if ! "$bin" --root "$root" exec "$id" /bin/true </dev/null >"$OUT/exec-probe.txt" 2>&1; then
    echo "exec.sh: $label exec fails: $(head -c 300 "$OUT/exec-probe.txt")" >&2
    exit 1
  fi
  cmds="$cmds --command-name $label"
  set -- "$@" "$bin --root $root exec $id /bin/true"
done

# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" ${HYPERFINE_ARGS:-} \
  --export-json "$OUT/exec.json" --export-markdown "$OUT/exec.md" $cmds "$@" >"$OUT/exec-hyperfine.txt"

echo "exec of /bin/true into a running container, ms; ratios to $(jq -r '([.results[] | select(.command == "crun")] + .results)[0].command' "$OUT/exec.json") (mean and median), $RUNS runs:"
jq -r '
  def ms: . * 1000 * 100 | round / 100;
  def r2: . * 100 | round / 100;
  ([.results[] | select(.command == "crun")] + .results)[0] as $ref
  | (["runtime", "mean", "stddev", "median", "min", "x mean", "x median"] | @tsv),
    (.results[] | [.command, (.mean | ms), (.stddev | ms), (.median | ms), (.min | ms),
                   (.mean / $ref.mean | r2), (.median / $ref.median | r2)] | @tsv)
' "$OUT/exec.json" | awk -F '\t' '{ printf "  %-10s %8s %8s %8s %8s %8s %9s\n", $1, $2, $3, $4, $5, $6, $7 }'

# median and max of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d (%d)", v[int((NR + 1) / 2)], v[NR] }'; }

echo
printf '  %-10s %10s %16s %16s\n' runtime syscalls "RSS KB exec" "RSS KB exec -d"
for s in $started; do
  bin=${s%%|*}; rest=${s#*|}; root=${rest%%|*}; id=${rest#*|}
  label=$(basename "$bin")
  f=$OUT/strace-exec-$label.txt
  strace -f -c -o "$f" "$OUT/rss" -q "$bin" --root "$root" exec "$id" /bin/true >/dev/null
  total=$(awk '$NF == "total" { print $4 }' "$f")
  r=$OUT/rss-exec-$label.txt
  rd=$OUT/rss-exec-d-$label.txt
  : > "$r"
  : > "$rd"
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    "$OUT/rss" -o "$r" "$bin" --root "$root" exec "$id" /bin/true >/dev/null
    "$OUT/rss" -o "$rd" "$bin" --root "$root" exec -d "$id" /bin/true >/dev/null
    i=$((i + 1))
  done
  rss=$(awk '{ split($1, a, "="); print a[2] }' "$r" | stats)
  rssd=$(awk '{ split($1, a, "="); print a[2] }' "$rd" | stats)
  printf '  %-10s %10d %16s %16s\n' "$label" $((total - LAUNCHER_SYSCALLS)) "$rss" "$rssd"
  if [ -n "${VERBOSE:-}" ]; then
    awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ { print "      " $4 " " $NF }' "$f" | sort -rn | head -15
  fi
done
echo "  (syscalls: strace -f -c of one exec, all processes; RSS: median (max) of $ROUNDS)"
