#!/bin/sh
# Time a whole container lifecycle (create + start + delete -f of the busybox /bin/true bench bundle)
# for each runtime, all in ONE hyperfine run so the numbers are comparable, then print each mean as a
# ratio to crun's (or to the first runtime's when crun is not measured).
#
#   bench/lifecycle.sh [RUNTIME...]      RUNTIME: a name in PATH or a path; default: crun runc
#   e.g. bench/lifecycle.sh crun runc target/release/rsrun
#
# Environment: RUNS (hyperfine --runs, default 50), WARMUP (default 5), HYPERFINE_ARGS (extra).
# The three verbs run through bench/out/rss -q (no shell: hyperfine -N), which adds 8 syscalls and
# no measurable time. Results: bench/out/lifecycle.json and lifecycle.md.
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}

set -- $(default_runtimes "$@")
cmds=
for rt in "$@"; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "$label")
  id=rsrun-bench-$label
  cmds="$cmds --command-name $label"
  # hyperfine -N splits on whitespace: paths must not contain spaces.
  set -- "$@" "$OUT/rss -q $bin --root $root create --bundle $BUNDLE $id :: $bin --root $root start $id :: $bin --root $root delete -f $id"
done
# Drop the runtime names, keep the command lines.
n=$(($# / 2)); shift $n

# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" ${HYPERFINE_ARGS:-} \
  --export-json "$OUT/lifecycle.json" --export-markdown "$OUT/lifecycle.md" $cmds "$@"

echo
ref=$(jq -r '([.results[] | select(.command == "crun")] + .results)[0].command' "$OUT/lifecycle.json")
echo "lifecycle (create + start + delete -f), ms; ratios to $ref (mean, median and min: on a loaded"
echo "machine the min is the least disturbed):"
jq -r '
  def ms: . * 1000 * 100 | round / 100;
  def r2: . * 100 | round / 100;
  ([.results[] | select(.command == "crun")] + .results)[0] as $ref
  | (["runtime", "mean", "stddev", "median", "min", "x mean", "x median", "x min"] | @tsv),
    (.results[] | [.command, (.mean | ms), (.stddev | ms), (.median | ms), (.min | ms),
                   (.mean / $ref.mean | r2), (.median / $ref.median | r2), (.min / $ref.min | r2)] | @tsv)
' "$OUT/lifecycle.json" | awk -F '\t' '{ printf "  %-10s %8s %8s %8s %8s %8s %9s %6s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
