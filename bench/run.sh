#!/bin/sh
# Time `run` of the bench bundle (busybox /bin/true, `crun spec` config) in the foreground: create,
# start, wait for the process, remove the container, as one command, for each runtime in ONE
# hyperfine run; prints each mean and median as a ratio to crun's (or to the first runtime's).
#
#   bench/run.sh [RUNTIME...]      default: target/release/rsrun crun
#
# Environment: RUNS (default 100), WARMUP (default 10). Results: bench/out/run.json.
. "$(dirname "$0")/lib.sh"
bench_bundle
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-10}
[ $# -gt 0 ] || set -- "$REPO/target/release/rsrun" crun

names=
for rt in "$@"; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "run-$label")
  names="$names --command-name $label"
  set -- "$@" "$bin --root $root run --bundle $BUNDLE rsrun-bench-run-$label"
done
n=$(($# / 2)); shift $n
# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/run.json" $names "$@" </dev/null
echo
echo "run (foreground, /bin/true), ms; ratios to crun (mean and median):"
jq -r '
  def ms: . * 1000 * 100 | round / 100;
  def r2: . * 100 | round / 100;
  ([.results[] | select(.command == "crun")] + .results)[0] as $ref
  | .results[] | "  \(.command): \(.mean | ms) mean, \(.median | ms) median, \(.min | ms) min; x \(.mean / $ref.mean | r2) / \(.median / $ref.median | r2)"
' "$OUT/run.json"
