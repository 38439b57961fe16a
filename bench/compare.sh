#!/bin/sh
# Every figure of issue 13 for several runtimes in one go, printed as one table (docs/benchmarks.md):
# lifecycle time (ratio to crun), `run` of /bin/true, exec of /bin/true into a running container,
# 64 containers created in parallel (throughput), syscalls of the lifecycle, max RSS per verb, and
# binary size. Reuses bench/lifecycle.sh, syscalls.sh, rss.sh and size.sh for their figures.
#
#   bench/compare.sh [--quick] [RUNTIME...]     default: target/release/rsrun crun runc youki
#
# A runtime that is not installed gets "not installed"; exec is "n/a" where the runtime's `exec`
# fails on the running bench container (rsrun before its exec verb lands). Ratios are to crun,
# measured in the same hyperfine run. --quick: fewer runs (about a minute instead of several).
# The last column, "kernel floor", is bench/floor.c doing only the kernel work each figure needs
# (floor.sh, floor-par.sh): the namespaces, cgroups, rootfs bind and pivot_root; for run also the
# exec of /bin/true; for the parallel creates `floor -w`. Its ratio is to crun's figure measured in
# the same hyperfine run or round (a run of its own beside crun's); it is the best ratio any runtime
# could reach on this host.
# Environment: RUNS (default 50; quick 10), PAR (containers created at once, default 64),
# PAR_ROUNDS (default 3; quick 1). Raw outputs: bench/out/compare-*.
. "$(dirname "$0")/lib.sh"
bench_bundle
bench_launcher

quick=
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
RUNS=${RUNS:-$([ -n "$quick" ] && echo 10 || echo 50)}
WARMUP=$([ -n "$quick" ] && echo 2 || echo 5)
PAR=${PAR:-64}
PAR_ROUNDS=${PAR_ROUNDS:-$([ -n "$quick" ] && echo 1 || echo 3)}
[ $# -gt 0 ] || set -- "$REPO/target/release/rsrun" crun runc youki

# Installed runtimes: their paths and labels (basename, as the other scripts label them).
bins= labels= all=
for rt in "$@"; do
  case "$rt" in
    */*) [ -x "$rt" ] && bin=$(runtime_path "$rt") || bin= ;;
    *) bin=$(command -v "$rt" || true) ;;
  esac
  label=$(basename "$rt")
  all="$all $label"
  if [ -n "$bin" ]; then
    bins="$bins $bin"
    labels="$labels $label"
  else
    echo "$label: not installed"
  fi
done
[ -n "$bins" ] || { echo "no runtime installed" >&2; exit 1; }
"$BENCH/build.sh"
CRUN=$(command -v crun || true)
R=$OUT/compare-results
: > "$R"
put() { echo "$1 $2 $3" >> "$R"; }   # figure label value
get() { awk -v f="$1" -v l="$2" '$1 == f && $2 == l { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' "$R"; }

# A second bundle whose process sleeps (for exec), sharing the bench rootfs (read-only).
SLEEP=$OUT/bundle-sleep
mkdir -p "$SLEEP"
jq --arg root "$BUNDLE/rootfs" '.root.path = $root | .process.args = ["sleep", "1000"]' \
  "$BUNDLE/config.json" > "$SLEEP/config.json"

ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "== lifecycle (bench/lifecycle.sh, $RUNS runs)"
# shellcheck disable=SC2086
RUNS=$RUNS WARMUP=$WARMUP "$BENCH/lifecycle.sh" $bins > "$OUT/compare-lifecycle.txt" 2>&1 \
  || { cat "$OUT/compare-lifecycle.txt"; exit 1; }
tail -n "$(( $(echo $labels | wc -w) + 1 ))" "$OUT/compare-lifecycle.txt"
for l in $labels; do
  put lifecycle "$l" "$(jq -r --arg l "$l" '.results[] | select(.command == $l) | .median' "$OUT/lifecycle.json")"
done

if [ -n "$CRUN" ]; then
  echo "== kernel floor of the lifecycle beside crun's ($RUNS runs)"
  root=$(runtime_root floor-crun)
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/compare-floor.json" \
    --command-name floor "$OUT/floor $BUNDLE/rootfs $(floor_dirs rsrun-bench-floor)" \
    --command-name crun "$OUT/rss -q $CRUN --root $root create --bundle $BUNDLE rsrun-bench-floor-crun :: $CRUN --root $root start rsrun-bench-floor-crun :: $CRUN --root $root delete -f rsrun-bench-floor-crun" \
    > "$OUT/compare-floor.txt" 2>&1 || { cat "$OUT/compare-floor.txt"; exit 1; }
  put lifecycle floor "$(jq -r '"\(.results[0].median) \(.results[1].median)"' "$OUT/compare-floor.json")"
fi

echo "== run of /bin/true ($RUNS runs)"
names= cmds=
for bin in $bins; do
  l=$(basename "$bin")
  root=$(runtime_root "run-$l")
  names="$names --command-name $l"
  cmds="$cmds|$bin --root $root run --bundle $BUNDLE rsrun-bench-run-$l"
done
names="$names --command-name floor"
cmds="$cmds|$OUT/floor -x /bin/true $BUNDLE/rootfs $(floor_dirs rsrun-bench-floor-x)"
IFS='|'
# shellcheck disable=SC2086
set -- ${cmds#|}
unset IFS
# shellcheck disable=SC2086
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/compare-run.json" $names "$@" \
  > "$OUT/compare-run.txt" 2>&1 || { cat "$OUT/compare-run.txt"; exit 1; }
for l in $labels; do
  put run "$l" "$(jq -r --arg l "$l" '.results[] | select(.command == $l) | .median' "$OUT/compare-run.json")"
done
[ -z "$CRUN" ] || put run floor "$(jq -r '[(.results[] | select(.command == "floor") | .median), (.results[] | select(.command == "crun") | .median)] | "\(.[0]) \(.[1])"' "$OUT/compare-run.json")"

echo "== exec of /bin/true into a running container ($RUNS runs)"
names= cmds= started=
for bin in $bins; do
  l=$(basename "$bin")
  root=$(runtime_root "exec-$l")
  id=rsrun-bench-exec-$l
  if "$bin" --root "$root" run -d --bundle "$SLEEP" "$id" >/dev/null 2>&1 \
     && "$bin" --root "$root" exec "$id" /bin/true >/dev/null 2>&1; then
    names="$names --command-name $l"
    cmds="$cmds|$bin --root $root exec $id /bin/true"
  else
    put exec "$l" n/a
  fi
  started="$started $bin:$root:$id"
done
if [ -n "$cmds" ]; then
  IFS='|'
  # shellcheck disable=SC2086
  set -- ${cmds#|}
  unset IFS
  # shellcheck disable=SC2086
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/compare-exec.json" $names "$@" \
    > "$OUT/compare-exec.txt" 2>&1 || cat "$OUT/compare-exec.txt"
  for l in $labels; do
    v=$(jq -r --arg l "$l" '.results[] | select(.command == $l) | .median' "$OUT/compare-exec.json" 2>/dev/null)
    [ -n "$v" ] && put exec "$l" "$v"
  done
fi
# Syscalls of one exec (strace -f -c, all processes, bench/rss's 4 subtracted) and the peak RSS of
# `exec -d` (the verb alone: bench/exec.sh says why -d), as bench/exec.sh measures them.
for s in $started; do
  bin=${s%%:*} rest=${s#*:}
  root=${rest%%:*} id=${rest#*:} l=$(basename "$bin")
  [ "$(get exec "$l")" = n/a ] && { put execsys "$l" n/a; put execrss "$l" n/a; continue; }
  strace -f -c -o "$OUT/compare-strace-exec-$l.txt" "$OUT/rss" -q "$bin" --root "$root" exec "$id" /bin/true >/dev/null 2>&1 || true
  put execsys "$l" "$(awk '$NF == "total" { print $4 - 4 }' "$OUT/compare-strace-exec-$l.txt")"
  : > "$OUT/compare-rss-exec-$l.txt"
  for _ in 1 2 3; do "$OUT/rss" -o "$OUT/compare-rss-exec-$l.txt" "$bin" --root "$root" exec -d "$id" /bin/true >/dev/null 2>&1 || true; done
  put execrss "$l" "$(awk '{ split($1, a, "="); print a[2] }' "$OUT/compare-rss-exec-$l.txt" | sort -n | sed -n 2p)"
done
for s in $started; do
  bin=${s%%:*} rest=${s#*:}
  "$bin" --root "${rest%%:*}" delete -f "${rest#*:}" >/dev/null 2>&1 || true
done

echo "== $PAR containers created at once, best of $PAR_ROUNDS"
for bin in $bins; do
  l=$(basename "$bin")
  root=$(runtime_root "par-$l")
  best=
  i=0
  while [ $i -lt "$PAR_ROUNDS" ]; do
    t0=$(date +%s%N)
    seq "$PAR" | xargs -P "$PAR" -I{} "$bin" --root "$root" create --bundle "$BUNDLE" "rsrun-bench-par-$l-{}" \
      > "$OUT/compare-par-$l.txt" 2>&1 || { echo "$l: a parallel create failed:"; tail -3 "$OUT/compare-par-$l.txt"; }
    t1=$(date +%s%N)
    seq "$PAR" | xargs -P 8 -I{} "$bin" --root "$root" delete -f "rsrun-bench-par-$l-{}" >/dev/null 2>&1 || true
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    best=$(awk -v a="$s" -v b="${best:-0}" 'BEGIN { print (b == 0 || a < b) ? a : b }')
    i=$((i + 1))
  done
  put par "$l" "$best"
  echo "  $l: $(awk -v s="$best" -v n="$PAR" 'BEGIN { printf "%.3f s, %.0f containers/s", s, n / s }')"
done

if [ -n "$CRUN" ]; then
  echo "== kernel floor of $PAR creates at once (bench/floor-par.sh, $PAR_ROUNDS rounds, beside crun)"
  N=$PAR ROUNDS=$PAR_ROUNDS "$BENCH/floor-par.sh" "$CRUN" > "$OUT/compare-floor-par.txt" 2>&1 \
    || { cat "$OUT/compare-floor-par.txt"; exit 1; }
  tail -n 2 "$OUT/compare-floor-par.txt"
  # "floor MS MULT" / "crun MS MULT" lines: the floor's median and crun's, in seconds.
  put par floor "$(awk '$1 == "floor" { f = $2 } $1 == "crun" { c = $2 } END { print f / 1000, c / 1000 }' "$OUT/compare-floor-par.txt")"
fi

echo "== syscalls (bench/syscalls.sh)"
# shellcheck disable=SC2086
"$BENCH/syscalls.sh" $bins | tee "$OUT/compare-syscalls.txt" | sed 's/^/  /'
for l in $labels; do put syscalls "$l" "$(awk -v l="$l" '$1 == l { print $2 " (" $3 " with /bin/true)" }' "$OUT/compare-syscalls.txt")"; done

strace -f -c -o "$OUT/strace-floor.txt" "$OUT/floor" "$BUNDLE/rootfs" $(floor_dirs rsrun-bench-floor-s) >/dev/null 2>&1 \
  && put syscalls floor "$(awk '$NF == "total" { print $4 }' "$OUT/strace-floor.txt")"

echo "== max RSS per verb (bench/rss.sh)"
# shellcheck disable=SC2086
ROUNDS=$([ -n "$quick" ] && echo 1 || echo 3) "$BENCH/rss.sh" $bins | tee "$OUT/compare-rss.txt" | sed 's/^/  /'
n=0
for l in $labels; do
  n=$((n + 1))
  # Columns of rss.sh: verb, then "median (max)" per runtime in order: two fields each.
  v=$(awk -v c=$((2 * n)) '$1 ~ /^(create|start|state|delete)$/ { v = $c; sub(/[^0-9]/, "", v); printf "%s%s", sep, v; sep = "/" }' "$OUT/compare-rss.txt")
  put rss "$l" "$v"
done

echo "== size (bench/size.sh)"
# shellcheck disable=SC2086
"$BENCH/size.sh" $bins | tee "$OUT/compare-size.txt" | sed 's/^/  /'
for l in $labels; do put size "$l" "$(awk -v l="$l" '$1 == l { print $2 " KB (" $3 " KB with libs, " $4 ")" }' "$OUT/compare-size.txt")"; done

# The table: one row per figure, one column per runtime; ratios to crun's figure of the same run.
ref=crun
echo
echo "| figure |$(for l in $all; do printf ' %s |' "$l"; done) kernel floor |"
echo "|---|$(for l in $all; do printf -- '---|'; done)---|"
row() { # figure title how
  printf '| %s |' "$2"
  floor_cell "$1" "$3"
  for l in $all; do
    case " $labels " in *" $l "*) ;; *) printf ' not installed |'; continue ;; esac
    v=$(get "$1" "$l") r=$(get "$1" "$ref")
    case "$3:$v" in
      *:n/a | *:) printf ' n/a |' ;;
      time:*) printf ' %s ms (%sx) |' "$(ms "$v")" "$(ratio "$v" "${r:-0}")" ;;
      par:*) printf ' %s/s (%sx) |' "$(awk -v s="$v" -v n="$PAR" 'BEGIN { printf "%.0f", n / s }')" "$(ratio "${r:-0}" "$v")" ;;
      *) printf ' %s |' "$v" ;;
    esac
  done
  printf '%s\n' "$FLOOR_CELL"
}
# The floor's cell: its figure and its ratio to crun's of its own run ("value crun-value").
floor_cell() {
  v=$(get "$1" floor)
  [ -n "$v" ] || { FLOOR_CELL=' - |'; return; }
  # shellcheck disable=SC2086
  set -- $v "$2"
  case "${3:-}" in
    time) FLOOR_CELL=" $(ms "$1") ms ($(ratio "$1" "$2")x) |" ;;
    par) FLOOR_CELL=" $(awk -v s="$1" -v n="$PAR" 'BEGIN { printf "%.0f", n / s }')/s ($(ratio "$2" "$1")x) |" ;;
    *) FLOOR_CELL=" $1 |" ;;
  esac
}
row lifecycle "lifecycle (create + start + delete -f), median, x crun" time
row run "run of /bin/true, median, x crun" time
row exec "exec of /bin/true into a running container, median, x crun" time
row execsys "syscalls of one exec, all processes (strace -f -c)" plain
row execrss "max RSS KB of exec -d (median of 3)" plain
row par "$PAR containers created at once: containers/s, x crun's throughput" par
row syscalls "syscalls of the lifecycle, all processes (strace -f -c): the runtime's own (with the container's /bin/true)" plain
row rss "max RSS KB, create/start/state/delete (median of rounds)" plain
row size "binary" plain
