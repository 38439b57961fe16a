#!/bin/sh
# Soak: N container lifecycles one after another, then check that the host is as it was.
#
#   bench/soak.sh [N] [RUNTIME]      N default 10000; RUNTIME default target/release/rsrun (a name in
#                                    PATH or a path: crun and runc work too, for reference)
#
# The cycles rotate through three kinds (busybox bundles made by tools/mkbundle.sh):
#   lifecycle  create + start + delete --force of a /bin/true container
#   run        run of a /bin/true container (foreground; run deletes it)
#   exec       create + start of a `sleep` container, exec of /bin/true in it, delete --force
#              (skipped, with a message, by a runtime without exec)
# Every verb must succeed: the first failure stops the soak and is shown.
#
# Afterwards, compared with before (a leak is reported and the exit status is 1):
#   - open fds of this script's shell (the runtime's caller): the same set;
#   - /proc/self/mountinfo: the same number of lines, none naming the soak's directory or ids;
#   - cgroups: no directory named like a soak id in any hierarchy under /sys/fs/cgroup;
#   - state: the soak's --root directory is empty;
#   - processes: none whose command line, cwd or root names the soak's directory or ids; no new
#     zombie children of this shell;
#   - kernel memory: SUnreclaim (/proc/meminfo: slab the kernel cannot reclaim, where leaked
#     cgroups, namespaces, pids and files end up) grows at most SLAB_TOLERANCE_KB (default 4096
#     plus 2 per cycle); the cgroup2 root's nr_dying_descendants (cgroups deleted but still held by
#     the kernel) is reported. The kernel frees some of this asynchronously (RCU, workqueues): the
#     check waits up to SETTLE (default 20) seconds for SUnreclaim to come down.
# Environment: SOAK_DIR (default $RSRUN_TEST_DIR or /tmp, plus rsrun-soak-PID; removed at the end),
# PROGRESS (print a line every PROGRESS cycles, default 1000).
set -eu
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH")
[ "$(id -u)" = 0 ] || { echo "soak.sh: run as root (containers need it)" >&2; exit 1; }
N=${1:-10000}
RT=${2:-$REPO/target/release/rsrun}
case "$RT" in
  */*) [ -x "$RT" ] || { [ "$RT" = "$REPO/target/release/rsrun" ] && (cd "$REPO" && cargo build --release -q); } ;;
  *) RT=$(command -v "$RT") || { echo "soak.sh: $2 not found in PATH" >&2; exit 1; } ;;
esac
[ -x "$RT" ] || { echo "soak.sh: no executable $RT" >&2; exit 1; }
PROGRESS=${PROGRESS:-1000}
SETTLE=${SETTLE:-20}
SLAB_TOLERANCE_KB=${SLAB_TOLERANCE_KB:-$((4096 + 2 * N))}
TAG=rsrun-soak-$$
DIR=${SOAK_DIR:-${RSRUN_TEST_DIR:-/tmp}/$TAG}
ROOT=$DIR/root
# crun refuses a hybrid host whose cgroup2 has controllers; harmless elsewhere.
case "$(basename "$RT")" in crun*) "$REPO/tools/cgroup-hybrid-for-crun.sh" >/dev/null ;; esac

mkdir -p "$DIR" "$ROOT"
"$REPO/tools/mkbundle.sh" "$DIR/true" >/dev/null
"$REPO/tools/mkbundle.sh" "$DIR/sleep" >/dev/null
jq '.process.args = ["sleep", "1000"]' "$DIR/sleep/config.json" > "$DIR/c.json" && mv "$DIR/c.json" "$DIR/sleep/config.json"

rt() { "$RT" --root "$ROOT" "$@"; }
fail() {
  echo "soak: FAILED at cycle $i ($kind): $*" >&2
  cat "$DIR/err" >&2 2>/dev/null || true
  rt delete --force "$id" >/dev/null 2>&1 || true
  echo "soak: kept $DIR for a look" >&2
  exit 1
}
# Runs a verb; its output goes to files (a container keeping our stdout open must not block us).
verb() { rt "$@" </dev/null >"$DIR/out" 2>"$DIR/err" || fail "$RT $*"; }

# --- the host before -------------------------------------------------------------------------
fds() { ls /proc/$$/fd | sort -n | tr '\n' ' '; }
mount_lines() { wc -l < /proc/self/mountinfo; }
mounts_named() { grep -c -e "$TAG" -e "$DIR" /proc/self/mountinfo || true; }
cgroups_named() { find /sys/fs/cgroup -type d -name "$TAG-*" 2>/dev/null; }
# The cgroup2 root: /sys/fs/cgroup on pure v2, /sys/fs/cgroup/unified on a hybrid host.
cg2=/sys/fs/cgroup; [ -f $cg2/cgroup.stat ] || cg2=/sys/fs/cgroup/unified
dying() { awk '$1 == "nr_dying_descendants" { print $2 }' $cg2/cgroup.stat 2>/dev/null || echo '?'; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
stray_processes() {
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null < "$p/cmdline") || continue
    where="$(readlink "$p/cwd" 2>/dev/null || true) $(readlink "$p/root" 2>/dev/null || true)"
    case "$cmd $where" in *"$TAG"*|*"$DIR"*) echo "  ${p#/proc/}: $cmd (cwd/root: $where)" ;; esac
  done
}
zombie_children() { ps -o pid= --ppid $$ -o stat= 2>/dev/null | awk '$2 ~ /^Z/ { n++ } END { print n + 0 }'; }

fds_before=$(fds)
mount_lines_before=$(mount_lines)
zombies_before=$(zombie_children)
unreclaim_before=$(meminfo SUnreclaim)
slab_before=$(meminfo Slab)
dying_before=$(dying)

# --- exec support --------------------------------------------------------------------------------
exec_ok=1
id=$TAG-probe i=0 kind=probe
verb create --bundle "$DIR/sleep" "$id"
verb start "$id"
if ! rt exec "$id" /bin/true </dev/null >"$DIR/out" 2>"$DIR/err"; then
  exec_ok=0
  echo "soak: exec skipped: $RT exec fails here: $(head -c 200 "$DIR/err")"
fi
verb delete --force "$id"

# --- the cycles --------------------------------------------------------------------------------
start=$(date +%s)
n_life=0 n_run=0 n_exec=0
i=0
while [ $i -lt "$N" ]; do
  i=$((i + 1))
  id=$TAG-$i
  case $((i % 3)) in
    0) kind=exec; [ $exec_ok = 1 ] || kind=lifecycle ;;
    1) kind=lifecycle ;;
    2) kind=run ;;
  esac
  case $kind in
    lifecycle)
      verb create --bundle "$DIR/true" "$id"
      verb start "$id"
      verb delete --force "$id"
      n_life=$((n_life + 1)) ;;
    run)
      verb run --bundle "$DIR/true" "$id"
      n_run=$((n_run + 1)) ;;
    exec)
      verb create --bundle "$DIR/sleep" "$id"
      verb start "$id"
      verb exec "$id" /bin/true
      verb delete --force "$id"
      n_exec=$((n_exec + 1)) ;;
  esac
  if [ $((i % PROGRESS)) = 0 ]; then
    echo "soak: $i/$N cycles, $(( $(date +%s) - start )) s, SUnreclaim $(meminfo SUnreclaim) kB"
  fi
done
secs=$(( $(date +%s) - start ))

# --- the host after ------------------------------------------------------------------------------
leaks=0
leak() { echo "soak: LEAK: $*"; leaks=$((leaks + 1)); }
# Reaping and cgroup removal finish asynchronously in the kernel: give them a moment.
t=0
while [ $t -lt "$SETTLE" ]; do
  [ $(( $(meminfo SUnreclaim) - unreclaim_before )) -le "$SLAB_TOLERANCE_KB" ] && [ -z "$(cgroups_named)" ] && break
  sleep 1; t=$((t + 1))
done
fds_after=$(fds)
[ "$fds_before" = "$fds_after" ] || leak "fds of the caller: before [$fds_before], after [$fds_after]"
mount_lines_after=$(mount_lines)
[ "$mount_lines_before" = "$mount_lines_after" ] || leak "mountinfo lines: $mount_lines_before before, $mount_lines_after after"
[ "$(mounts_named)" = 0 ] || leak "mounts naming the soak: $(grep -e "$TAG" -e "$DIR" /proc/self/mountinfo | head -5)"
left=$(cgroups_named | head -20)
[ -z "$left" ] || leak "cgroups: $left"
left=$(ls -A "$ROOT")
[ -z "$left" ] || leak "state dirs in $ROOT: $(echo "$left" | head -5 | tr '\n' ' ')"
left=$(stray_processes)
[ -z "$left" ] || leak "processes:
$left"
zombies_after=$(zombie_children)
[ "$zombies_after" -le "$zombies_before" ] || leak "zombie children of the caller: $zombies_before before, $zombies_after after"
unreclaim_after=$(meminfo SUnreclaim)
slab_after=$(meminfo Slab)
grew=$((unreclaim_after - unreclaim_before))
[ "$grew" -le "$SLAB_TOLERANCE_KB" ] || leak "SUnreclaim grew $grew kB (tolerance $SLAB_TOLERANCE_KB kB)"

echo "soak: $i cycles with $RT in $secs s: $n_life lifecycles, $n_run runs, $n_exec execs$([ $exec_ok = 1 ] || echo ' (exec skipped)')"
echo "soak: caller fds [$fds_after]; mountinfo lines $mount_lines_before -> $mount_lines_after"
echo "soak: SUnreclaim $unreclaim_before -> $unreclaim_after kB ($grew kB, tolerance $SLAB_TOLERANCE_KB), Slab $slab_before -> $slab_after kB, dying cgroups $dying_before -> $(dying)"
if [ $leaks -gt 0 ]; then
  echo "soak: FAILED: $leaks leak(s); kept $DIR for a look"
  exit 1
fi
rm -rf "$DIR"
echo "soak: ok, nothing left behind"
