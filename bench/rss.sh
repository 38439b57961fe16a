#!/bin/sh
# Peak RSS (ru_maxrss, KB) of each verb per runtime, measured by bench/out/rss (a launcher without libc
# that adds nothing to the figure). Includes the processes each verb waits for, not the container
# init that `create` leaves running.
#
#   bench/rss.sh [RUNTIME...]            default: crun runc
#
# ROUNDS (default 5) lifecycles per runtime; the table shows the median and, in brackets, the max.
# Raw lines: bench/out/rss-RUNTIME.txt.
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher
ROUNDS=${ROUNDS:-5}
VERBS="create start state delete"

# median and max of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d (%d)", v[int((NR + 1) / 2)], v[NR] }'; }

printf '%-10s' verb
runtimes=$(default_runtimes "$@")
for rt in $runtimes; do printf '%16s' "$(basename "$rt")"; done
echo
for rt in $runtimes; do
  bin=$(runtime_path "$rt")
  label=$(basename "$bin")
  root=$(runtime_root "$label")
  id=rsrun-bench-$label
  f=$OUT/rss-$label.txt
  : > "$f"
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    "$OUT/rss" -o "$f" "$bin" --root "$root" create --bundle "$BUNDLE" "$id" :: \
      "$bin" --root "$root" start "$id" :: \
      "$bin" --root "$root" state "$id" :: \
      "$bin" --root "$root" delete -f "$id" >/dev/null
    i=$((i + 1))
  done
done
for verb in $VERBS; do
  printf '%-10s' "$verb"
  for rt in $runtimes; do
    label=$(basename "$(runtime_path "$rt")")
    # Lines: maxrss_kb=N status=S BIN --root ROOT VERB ...
    v=$(awk -v verb="$verb" '{ split($1, a, "="); n = 0 }
        { for (i = 3; i <= NF; i++) if ($i == "--root") { if ($(i + 2) == verb) print a[2] } }' "$OUT/rss-$label.txt" | stats)
    printf '%16s' "$v"
  done
  echo
done
echo "(KB, median (max) of $ROUNDS rounds)"
