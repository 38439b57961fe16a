#!/bin/bash
# shellcheck disable=SC2016  # $... in single quotes is meant for the container's shell
# rsrun behind real engines: podman (cgroupfs + conmon), docker (dockerd + containerd-shim-runc-v2,
# started by tools/engines.sh) and containerd's ctr, on this kind of machine (root, no registry, no
# systemd, hybrid cgroups). The same matrix runs once per runtime: first runc (the reference: a check
# that fails there is the harness's fault, not rsrun's), then target/release/rsrun. One line per check
# ("engines[RUNTIME]: NAME ok" or "... FAILED: why"), a summary per runtime, and a non-zero exit status
# if any check of any runtime failed. tools/test.sh runs this; it installs podman, docker.io and tmux
# the first time (~70 s of apt) and tears the daemons down at the end, even on failure.
#
# The engines are global on the machine: this script takes /tmp/rsrun-engines.lock itself (unless an
# ancestor, e.g. `flock /tmp/rsrun-engines.lock tests/engines.sh`, already holds it).
#
#   SKIP_ENGINES=1            skip the whole suite
#   ENGINES_RUNTIMES="A B"    runtime binaries to run the matrix with (default: runc and rsrun)
#   ENGINES_GROUPS="G..."     only these groups (names below), e.g. "podman_pty docker_pty"
#
# The matrix (group: checks; each asserts what the container or the engine shows, never only "exit 0"):
#  podman_run     run: echo's output; `sh -c 'exit 3'` gives 3; a missing command shows the runtime's
#                 error (exec: "/nonexistent"); default seccomp filter on (Seccomp: 2, NoNewPrivs: 0);
#                 --read-only: touch / fails with EROFS; --tmpfs /scratch:size=1m: tmpfs in /proc/mounts
#                 with size=1024k, writable; -v DIR:/data: a host file readable, a write seen by the host;
#                 -v DIR:/data:ro: a write fails with EROFS
#  podman_detach  run -d: inspect says running with a pid; top lists `sleep 1000`; stats shows memory
#                 and pids numbers; update --memory --cpu-shares --cpu-quota: values in the container's
#                 cgroup files; exec: output, exit status 7, -e FOO=bar, -w /tmp, -u 1000:1000, -d (its
#                 file appears in the container's rootfs); restart: running again with a new pid; kill -s
#                 USR1: exit code 10 from the container's trap; start + stop: exit code 42 from the TERM
#                 trap; start + kill: exit code 137
#  podman_pause   pause: inspect says paused and a busy loop gets no CPU time (/proc/PID/stat); unpause:
#                 running and the loop gets CPU time again
#  podman_pty     through a real pty (tmux), run -it sh and exec -it sh (on a running container): a
#                 prompt, `echo $((6*7))` prints 42, `tty` is a /dev/pts, `stty size` is the pane's 40x120,
#                 Ctrl-C interrupts `sleep 100` ($? = 130, so the pty is the controlling terminal), `exit 5`
#                 (exec: 4) makes podman exit with that status
#  docker_run     run: echo's output; exit status 3; the runtime's error shown; seccomp denies `unshare -U`;
#                 -m 64m --pids-limit 50 in the cgroup files; --read-only: EROFS; --user 1000:1000: Uid/Gid
#                 in /proc/self/status; --cap-drop ALL --cap-add KILL: CapEff and CapBnd 0x20;
#                 --security-opt no-new-privileges: NoNewPrivs: 1
#  docker_detach  run -d: running; top lists `sleep 1000` (runtime `ps`); update --memory --memory-swap
#                 --cpu-shares --cpu-quota --pids-limit: values in the cgroup files; exec: output, exit
#                 status 7, -u 1000:1000; stop: exit code 42 (TERM trap); start + kill -s USR1: exit code 10;
#                 rm of a stopped container
#  docker_pause   pause/unpause: as podman_pause, state from docker inspect
#  docker_pty     run -it sh and exec -it sh through tmux: as podman_pty
#  ctr            run --rm: echo's output, exit status 3; a foreground `ctr run` (its exit status is the
#                 task's): `ctr task ls` says RUNNING; task exec: output, exit status 7; task kill -s TERM:
#                 run exits 42 (the trap); task kill -s KILL: 137; run -d of a busy loop: task pause: PAUSED
#                 and the loop gets no CPU time; task resume: RUNNING and CPU time again
#
#  (always)       once the engines removed every container: no cgroup and no state dir of them is left
#
# Robustness on a shared 2-core machine: conditions are waited for with bounded polls, every engine
# call has a timeout, containers are removed after each runtime's matrix, and the EXIT trap removes
# everything (tools/engines.sh teardown, the tmux server, the temporary directory).
set -uo pipefail
[ -z "${SKIP_ENGINES:-}" ] || { echo "engines: skipped (SKIP_ENGINES)"; exit 0; }
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
LOCK=/tmp/rsrun-engines.lock
[ "$(id -u)" = 0 ] || { echo "engines: skipped: needs root"; exit 0; }

# --- the engines lock -------------------------------------------------------------------------------
lock_held_by_ancestor() {
  local ino holders p
  ino=$(stat -c %i "$LOCK" 2>/dev/null) || return 1
  holders=" $(awk -v i="$ino" '$2 == "FLOCK" && $4 == "WRITE" { n = split($6, a, ":"); if (a[n] == i) print $5 }' /proc/locks | tr '\n' ' ') "
  p=$$
  while [ "${p:-0}" -gt 1 ]; do
    case $holders in *" $p "*) return 0 ;; esac
    p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
  done
  return 1
}
# Our copies of the lock's fd (inherited from flock(1)) must not leak into the daemons we start.
for fd in "/proc/$$/fd/"*; do
  n=${fd##*/}
  [ "$n" -gt 2 ] && [ "$(readlink "$fd")" = "$LOCK" ] && eval "exec $n>&-"
done
if ! lock_held_by_ancestor; then
  exec 9>>"$LOCK"
  if ! flock -n 9; then
    echo "engines: waiting for $LOCK (another user of the engines)"
    flock -w 3600 9 || { echo "engines: FAILED: $LOCK still held after an hour"; exit 1; }
  fi
fi

# --- runtimes, temporary files, cleanup ------------------------------------------------------------
RSRUN=$REPO/target/release/rsrun
RUNTIMES=${ENGINES_RUNTIMES:-"$(command -v runc) $RSRUN"}
ALL_GROUPS="podman_run podman_detach podman_pause podman_pty docker_run docker_detach docker_pause docker_pty ctr"
GROUPS_SEL=${ENGINES_GROUPS:-$ALL_GROUPS}
TO=${ENGINES_TIMEOUT:-120}     # seconds for any one engine call
T=$(mktemp -d /tmp/rsrun-engines-test.XXXXXX)
TMUX_SOCK=$T/tmux.sock
printf 'set -g remain-on-exit on\nset -g history-limit 5000\n' > "$T/tmux.conf"

E() { "$REPO/tools/engines.sh" "$@" 9>&-; }
pm() { timeout -k 5 "$TO" "$REPO/tools/engines.sh" podman "$@" 9>&-; }
dk() { timeout -k 5 "$TO" "$REPO/tools/engines.sh" docker "$@" 9>&-; }
ct() { timeout -k 5 "$TO" "$REPO/tools/engines.sh" ctr "$@" 9>&-; }
TM() { tmux -S "$TMUX_SOCK" -f "$T/tmux.conf" "$@" 9>&-; }

PM_NAMES=() DK_NAMES=() CT_NAMES=() PM_IDS=()
remove_containers() {
  TM kill-server >/dev/null 2>&1
  ((${#PM_NAMES[@]})) && pm rm -f -t 0 "${PM_NAMES[@]}" >/dev/null 2>&1
  ((${#DK_NAMES[@]})) && dk rm -f "${DK_NAMES[@]}" >/dev/null 2>&1
  local c
  for c in "${CT_NAMES[@]}"; do
    ct task kill -s KILL "$c" >/dev/null 2>&1
    ct task rm -f "$c" >/dev/null 2>&1
    ct container rm "$c" >/dev/null 2>&1
  done
  PM_NAMES=() DK_NAMES=() CT_NAMES=()
}
cleanup() {
  remove_containers
  E teardown
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- checks ----------------------------------------------------------------------------------------
RT="" RT_NAME=""
declare -A N_OK N_FAIL
FAILED_LIST=()
ok() { N_OK[$RT_NAME]=$((${N_OK[$RT_NAME]:-0} + 1)); echo "engines[$RT_NAME]: $1 ok"; }
bad() {
  N_FAIL[$RT_NAME]=$((${N_FAIL[$RT_NAME]:-0} + 1)); FAILED_LIST+=("$RT_NAME: $1")
  echo "engines[$RT_NAME]: $1 FAILED: $(printf '%s' "$2" | head -c 1500)"
}
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "want [$2] got [$3]"; fi; }
check_has() { case $3 in *"$2"*) ok "$1" ;; *) bad "$1" "[$2] not in [$3]" ;; esac; }
check_re() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else bad "$1" "no line matches /$2/ in [$3]"; fi; }
check_rc() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "want exit status $2, got $3; output [$4]"; fi; }
check() { # check NAME WHY_IF_FAILED CMD...: ok when CMD succeeds
  local name=$1 why=$2; shift 2
  if "$@"; then ok "$name"; else bad "$name" "$why"; fi
}

# poll SECONDS CMD...: run CMD every 0.2 s until it succeeds; false once SECONDS have passed.
poll() {
  local end=$((SECONDS + $1)); shift
  while :; do
    "$@" && return 0
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

# --- what the host sees ----------------------------------------------------------------------------
file_says() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# A busy loop with this pid gets no CPU time for a second.
no_cpu_time() { local a b; a=$(cpu_ticks "$1"); sleep 1; b=$(cpu_ticks "$1"); [ -n "$a" ] && [ "$a" = "$b" ]; }
# ... gets CPU time (polled: the machine may be busy).
gets_cpu_time() { local a; a=$(cpu_ticks "$1"); [ -n "$a" ] && poll 20 ticks_above "$1" "$a"; }
ticks_above() { local b; b=$(cpu_ticks "$1"); [ -n "$b" ] && [ "$b" -gt "$2" ]; }

# cg_value PID KEY: a cgroup value of process PID, KEY one of mem, cpushares, cpuquota, pids; on
# cgroup v2 the v2 file, with cpu.weight converted back the way runc converts shares to it.
cg_value() {
  local pid=$1 key=$2 ctl file line
  case $key in
    mem) ctl=memory file=memory.limit_in_bytes ;;
    cpushares) ctl=cpu file=cpu.shares ;;
    cpuquota) ctl=cpu file=cpu.cfs_quota_us ;;
    pids) ctl=pids file=pids.max ;;
  esac
  line=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $2 ":" $3 }' "/proc/$pid/cgroup")
  if [ -n "$line" ]; then cat "/sys/fs/cgroup/${line%%:*}${line#*:}/$file"; return; fi
  local dir; dir=/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
  case $key in
    mem) cat "$dir/memory.max" ;;
    cpushares) echo "cpu.weight=$(cat "$dir/cpu.weight")" ;;
    cpuquota) cut -d' ' -f1 "$dir/cpu.max" ;;
    pids) cat "$dir/pids.max" ;;
  esac
}
want_shares() { if [ -e /sys/fs/cgroup/cpu/cpu.shares ]; then echo "$1"; else echo "cpu.weight=$((1 + (($1 - 2) * 9999) / 262142))"; fi; }

# --- real ptys: tmux sessions ------------------------------------------------------------------------
# pty_start SESSION CMD: CMD runs on a 120x40 pty; when it ends, "@@exit=STATUS@@" is printed.
pty_start() { TM new-session -d -s "$1" -x 120 -y 40 "$2; echo \"@@exit=\$?@@\""; }
pty_text() { TM capture-pane -p -J -S - -t "$1" 2>/dev/null; }
pty_has() { pty_text "$1" | grep -Eq -- "$2"; }
pty_wait() { poll "${3:-60}" pty_has "$1" "$2"; }
pty_send() { TM send-keys -t "$1" -l -- "$2" && TM send-keys -t "$1" Enter; }
pty_exit_status() { # the status the command in SESSION ended with, "timeout" if it did not end in 60 s
  if pty_wait "$1" '@@exit=[0-9]+@@' 60; then pty_text "$1" | sed -n 's/.*@@exit=\([0-9]*\)@@.*/\1/p' | tail -1; else echo timeout; fi
}

# pty_shell_checks NAME SESSION CMD STATUS: a shell behind CMD on a real pty, left with `exit STATUS`.
pty_shell_checks() {
  local p=$1 s=$2 cmd=$3 status=$4
  pty_start "$s" "$cmd"
  if ! pty_wait "$s" '# |@@exit=' 60 || pty_has "$s" '@@exit='; then
    bad "$p: shell prompt" "no prompt within 60 s; the pty showed [$(pty_text "$s" | grep -v '^$' | tail -5)]"
    local c  # the checks that needed the shell fail too, so every runtime counts the same checks
    for c in "command output" "stdin is a /dev/pts" "window size" "Ctrl-C interrupts the foreground job" \
      "exit status through the pty"; do
      bad "$p: $c" "no shell"
    done
    TM kill-session -t "$s" 2>/dev/null; return
  fi
  ok "$p: shell prompt"
  pty_expect "$p: command output" "$s" 'echo $((6*7))' '^42$'
  pty_expect "$p: stdin is a /dev/pts" "$s" 'echo "tty=$(tty)"' '^tty=/dev/pts/[0-9]+$'
  pty_expect "$p: window size" "$s" 'echo "size=$(stty size)"' '^size=40 120$'
  pty_send "$s" 'sleep 100'
  sleep 1
  TM send-keys -t "$s" C-c
  pty_expect "$p: Ctrl-C interrupts the foreground job" "$s" 'echo "rc=$?"' '^rc=130$'
  pty_send "$s" "exit $status"
  check_eq "$p: exit status through the pty" "$status" "$(pty_exit_status "$s")"
  TM kill-session -t "$s" 2>/dev/null
}
# pty_expect NAME SESSION INPUT ERE: type INPUT, then a line matching ERE must show within 20 s.
pty_expect() {
  pty_send "$2" "$3"
  if pty_wait "$2" "$4" 20; then ok "$1"; else bad "$1" "no line matches /$4/; the pty showed [$(pty_text "$2" | grep -v '^$' | tail -5)]"; fi
}

# The detached containers' command: exits 42 on TERM, 10 on USR1; `sleep 1000` shows in top.
TRAPS='trap "exit 42" TERM; trap "exit 10" USR1; sleep 1000 & wait'
BUSY='while :; do :; done'

# --- podman ------------------------------------------------------------------------------------------
m_podman_run() {
  local p="podman" out rc
  out=$(pm run --rm --runtime "$RT_NAME" localhost/bb echo hello 2>&1)
  check_eq "$p run: output" hello "$out"
  out=$(pm run --rm --runtime "$RT_NAME" localhost/bb sh -c 'exit 3' 2>&1); rc=$?
  check_rc "$p run: exit status" 3 "$rc" "$out"
  out=$(pm run --rm --runtime "$RT_NAME" localhost/bb /nonexistent 2>&1)
  check_has "$p run: the runtime's error reaches the user" 'exec: "/nonexistent"' "$out"
  out=$(pm run --rm --runtime "$RT_NAME" localhost/bb sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status' 2>&1)
  check_eq "$p run: default seccomp" "$(printf 'NoNewPrivs:\t0\nSeccomp:\t2')" "$out"
  out=$(pm run --rm --runtime "$RT_NAME" --read-only localhost/bb sh -c 'touch /x; echo rc=$?' 2>&1)
  check_re "$p run --read-only: EROFS" 'Read-only file system' "$out"
  check_has "$p run --read-only: write fails" 'rc=1' "$out"
  out=$(pm run --rm --runtime "$RT_NAME" --tmpfs /scratch:size=1m localhost/bb \
    sh -c 'grep " /scratch " /proc/mounts; echo written > /scratch/f && cat /scratch/f' 2>&1)
  check_re "$p run --tmpfs: mounted" '^tmpfs /scratch tmpfs rw.*size=1024k' "$out"
  check_re "$p run --tmpfs: writable" '^written$' "$out"
  rm -rf "$T/vol"; mkdir -p "$T/vol"; echo from-host > "$T/vol/in"
  out=$(pm run --rm --runtime "$RT_NAME" -v "$T/vol:/data" localhost/bb sh -c 'cat /data/in; echo from-ctr > /data/out' 2>&1)
  check_eq "$p run -v: host file visible" from-host "$out"
  check_eq "$p run -v: container write visible on the host" from-ctr "$(cat "$T/vol/out" 2>&1)"
  out=$(pm run --rm --runtime "$RT_NAME" -v "$T/vol:/data:ro" localhost/bb sh -c 'echo x > /data/in; echo rc=$?' 2>&1)
  check_re "$p run -v :ro: EROFS" 'Read-only file system' "$out"
}

pm_state() { pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
pm_is() { [ "$(pm_state "$1")" = "$2" ]; }
pm_pid() { pm inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
pm_exit() { pm inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null; }

m_podman_detach() {
  local p="podman" c="eng-$RT_NAME-pd" out rc pid pid2 merged
  PM_NAMES+=("$c")
  out=$(pm run -d --name "$c" --runtime "$RT_NAME" localhost/bb sh -c "$TRAPS" 2>&1)
  PM_IDS+=("$(pm inspect -f '{{.Id}}' "$c" 2>/dev/null)")
  if ! poll 60 pm_is "$c" running; then bad "$p run -d: running" "state [$(pm_state "$c")]; run said [$out]"; return; fi
  pid=$(pm_pid "$c")
  check "$p run -d: running with a pid" "pid [$pid]" test "${pid:-0}" -gt 0
  out=$(pm top "$c" 2>&1)
  check_has "$p top: lists the process" 'sleep 1000' "$out"
  out=$(pm stats --no-stream --no-reset --format '{{.MemUsage}}|{{.PIDs}}' "$c" 2>&1)
  check_re "$p stats: memory and pids numbers" '^[0-9.]+[kMG]?B / [0-9.]+[kMGT]?B\|([2-9]|[1-9][0-9]+)$' "$out"
  out=$(pm update --memory 96m --cpu-shares 512 --cpu-quota 50000 --cpu-period 100000 "$c" 2>&1); rc=$?
  check_rc "$p update: exit status" 0 "$rc" "$out"
  check_eq "$p update: memory limit in the cgroup" 100663296 "$(cg_value "$pid" mem)"
  check_eq "$p update: cpu shares in the cgroup" "$(want_shares 512)" "$(cg_value "$pid" cpushares)"
  check_eq "$p update: cpu quota in the cgroup" 50000 "$(cg_value "$pid" cpuquota)"
  out=$(pm exec "$c" echo hello 2>&1)
  check_eq "$p exec: output" hello "$out"
  out=$(pm exec "$c" sh -c 'exit 7' 2>&1); rc=$?
  check_rc "$p exec: exit status" 7 "$rc" "$out"
  out=$(pm exec -e FOO=bar "$c" sh -c 'echo $FOO' 2>&1)
  check_eq "$p exec -e" bar "$out"
  out=$(pm exec -w /tmp "$c" pwd 2>&1)
  check_eq "$p exec -w" /tmp "$out"
  out=$(pm exec -u 1000:1000 "$c" sh -c 'echo $(id -u):$(id -g)' 2>&1)
  check_eq "$p exec -u" 1000:1000 "$out"
  merged=$(pm inspect -f '{{.GraphDriver.Data.MergedDir}}' "$c" 2>/dev/null)
  out=$(pm exec -d "$c" sh -c 'echo detached > /exec-d' 2>&1); rc=$?
  check "$p exec -d: the process ran" "exec -d said [$out] rc $rc; no $merged/exec-d" poll 30 file_says "$merged/exec-d" detached
  out=$(pm restart -t 30 "$c" 2>&1)
  poll 60 pm_is "$c" running; pid2=$(pm_pid "$c")
  check "$p restart: running with a new pid" "state [$(pm_state "$c")] pid [$pid] -> [$pid2]; restart said [$out]" \
    test "$(pm_state "$c")" = running -a "${pid2:-0}" -gt 0 -a "${pid2:-0}" != "$pid"
  out=$(pm kill -s USR1 "$c" 2>&1)
  poll 60 pm_is "$c" exited
  check_eq "$p kill -s USR1: the signal reached the container" "exited 10" "$(pm_state "$c") $(pm_exit "$c")"
  out=$(pm start "$c" 2>&1) && poll 60 pm_is "$c" running
  check_eq "$p start: a stopped container again" running "$(pm_state "$c")"
  out=$(pm stop -t 30 "$c" 2>&1)
  check_eq "$p stop: TERM reached the container" "exited 42" "$(pm_state "$c") $(pm_exit "$c")"
  out=$(pm start "$c" 2>&1) && poll 60 pm_is "$c" running
  out=$(pm kill "$c" 2>&1)
  poll 60 pm_is "$c" exited
  check_eq "$p kill: SIGKILL" "exited 137" "$(pm_state "$c") $(pm_exit "$c")"
  out=$(pm rm "$c" 2>&1); rc=$?
  check_rc "$p rm" 0 "$rc" "$out"
}

m_podman_pause() {
  local p="podman" c="eng-$RT_NAME-pp" out pid
  PM_NAMES+=("$c")
  out=$(pm run -d --name "$c" --runtime "$RT_NAME" localhost/bb sh -c "$BUSY" 2>&1)
  PM_IDS+=("$(pm inspect -f '{{.Id}}' "$c" 2>/dev/null)")
  if ! poll 60 pm_is "$c" running; then bad "$p pause: container running" "state [$(pm_state "$c")]; run said [$out]"; return; fi
  pid=$(pm_pid "$c")
  check "$p pause: the busy loop runs first" "pid [$pid]" gets_cpu_time "$pid"
  out=$(pm pause "$c" 2>&1)
  check_eq "$p pause: state" paused "$(pm_state "$c")"
  check "$p pause: the busy loop gets no CPU time" "pause said [$out]" no_cpu_time "$pid"
  out=$(pm unpause "$c" 2>&1)
  check_eq "$p unpause: state" running "$(pm_state "$c")"
  check "$p unpause: the busy loop runs again" "unpause said [$out]" gets_cpu_time "$pid"
  pm rm -f -t 0 "$c" >/dev/null 2>&1
}

m_podman_pty() {
  local c="eng-$RT_NAME-pt" out
  PM_NAMES+=("$c-run")
  pty_shell_checks "podman run -it" pm-run "$REPO/tools/engines.sh podman run -it --rm --name $c-run --runtime $RT_NAME localhost/bb sh" 5
  PM_NAMES+=("$c")
  out=$(pm run -d --name "$c" --runtime "$RT_NAME" localhost/bb sh -c "$TRAPS" 2>&1)
  PM_IDS+=("$(pm inspect -f '{{.Id}}' "$c" 2>/dev/null)")
  if ! poll 60 pm_is "$c" running; then bad "podman exec -it: container running" "state [$(pm_state "$c")]; run said [$out]"; return; fi
  pty_shell_checks "podman exec -it" pm-exec "$REPO/tools/engines.sh podman exec -it $c sh" 4
  pm rm -f -t 0 "$c" >/dev/null 2>&1
}

# --- docker ------------------------------------------------------------------------------------------
DR() { dk run --runtime="$RT_NAME" --network none "$@"; }
dk_state() { dk inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
dk_is() { [ "$(dk_state "$1")" = "$2" ]; }
dk_pid() { dk inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
dk_exit() { dk inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null; }

m_docker_run() {
  local p="docker" out rc
  out=$(DR --rm localhost/bb echo hello 2>&1)
  check_eq "$p run: output" hello "$out"
  out=$(DR --rm localhost/bb sh -c 'exit 3' 2>&1); rc=$?
  check_rc "$p run: exit status" 3 "$rc" "$out"
  out=$(DR --rm localhost/bb /nonexistent 2>&1)
  check_has "$p run: the runtime's error reaches the user" 'exec: "/nonexistent"' "$out"
  out=$(DR --rm localhost/bb sh -c 'unshare -U true 2>&1; echo rc=$?' 2>&1)
  check_has "$p run: default seccomp denies unshare" 'rc=1' "$out"
  out=$(DR --rm -m 64m --pids-limit 50 localhost/bb \
    sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max' 2>&1)
  check_eq "$p run -m 64m --pids-limit 50" "$(printf '67108864\n50')" "$out"
  out=$(DR --rm --read-only localhost/bb sh -c 'touch /x; echo rc=$?' 2>&1)
  check_re "$p run --read-only: EROFS" 'Read-only file system' "$out"
  check_has "$p run --read-only: write fails" 'rc=1' "$out"
  out=$(DR --rm --user 1000:1000 localhost/bb sh -c 'grep -E "^(Uid|Gid):" /proc/self/status' 2>&1)
  check_eq "$p run --user" "$(printf 'Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000')" "$out"
  out=$(DR --rm --cap-drop ALL --cap-add KILL localhost/bb sh -c 'grep -E "^Cap(Eff|Bnd):" /proc/self/status' 2>&1)
  check_eq "$p run --cap-drop ALL --cap-add KILL" "$(printf 'CapEff:\t0000000000000020\nCapBnd:\t0000000000000020')" "$out"
  out=$(DR --rm --security-opt no-new-privileges localhost/bb sh -c 'grep ^NoNewPrivs: /proc/self/status' 2>&1)
  check_eq "$p run --security-opt no-new-privileges" "$(printf 'NoNewPrivs:\t1')" "$out"
}

m_docker_detach() {
  local p="docker" c="eng-$RT_NAME-dd" out rc pid
  DK_NAMES+=("$c")
  out=$(DR -d --name "$c" localhost/bb sh -c "$TRAPS" 2>&1)
  if ! poll 60 dk_is "$c" running; then bad "$p run -d: running" "state [$(dk_state "$c")]; run said [$out]"; return; fi
  pid=$(dk_pid "$c")
  check "$p run -d: running with a pid" "pid [$pid]" test "${pid:-0}" -gt 0
  out=$(dk top "$c" 2>&1)
  check_has "$p top: lists the process" 'sleep 1000' "$out"
  out=$(dk update --memory 96m --memory-swap 192m --cpu-shares 512 --cpu-quota 50000 --pids-limit 77 "$c" 2>&1); rc=$?
  check_rc "$p update: exit status" 0 "$rc" "$out"
  check_eq "$p update: memory limit in the cgroup" 100663296 "$(cg_value "$pid" mem)"
  check_eq "$p update: cpu shares in the cgroup" "$(want_shares 512)" "$(cg_value "$pid" cpushares)"
  check_eq "$p update: cpu quota in the cgroup" 50000 "$(cg_value "$pid" cpuquota)"
  check_eq "$p update: pids limit in the cgroup" 77 "$(cg_value "$pid" pids)"
  out=$(dk exec "$c" echo hello 2>&1)
  check_eq "$p exec: output" hello "$out"
  out=$(dk exec "$c" sh -c 'exit 7' 2>&1); rc=$?
  check_rc "$p exec: exit status" 7 "$rc" "$out"
  out=$(dk exec -u 1000:1000 "$c" sh -c 'echo $(id -u):$(id -g)' 2>&1)
  check_eq "$p exec -u" 1000:1000 "$out"
  out=$(dk stop -t 30 "$c" 2>&1)
  check_eq "$p stop: TERM reached the container" "exited 42" "$(dk_state "$c") $(dk_exit "$c")"
  out=$(dk start "$c" 2>&1) && poll 60 dk_is "$c" running
  check_eq "$p start: a stopped container again" running "$(dk_state "$c")"
  out=$(dk kill -s USR1 "$c" 2>&1)
  poll 60 dk_is "$c" exited
  check_eq "$p kill -s USR1: the signal reached the container" "exited 10" "$(dk_state "$c") $(dk_exit "$c")"
  out=$(dk rm "$c" 2>&1); rc=$?
  check_rc "$p rm" 0 "$rc" "$out"
}

m_docker_pause() {
  local p="docker" c="eng-$RT_NAME-dp" out pid
  DK_NAMES+=("$c")
  out=$(DR -d --name "$c" localhost/bb sh -c "$BUSY" 2>&1)
  if ! poll 60 dk_is "$c" running; then bad "$p pause: container running" "state [$(dk_state "$c")]; run said [$out]"; return; fi
  pid=$(dk_pid "$c")
  check "$p pause: the busy loop runs first" "pid [$pid]" gets_cpu_time "$pid"
  out=$(dk pause "$c" 2>&1)
  check_eq "$p pause: state" paused "$(dk_state "$c")"
  check "$p pause: the busy loop gets no CPU time" "pause said [$out]" no_cpu_time "$pid"
  out=$(dk unpause "$c" 2>&1)
  check_eq "$p unpause: state" running "$(dk_state "$c")"
  check "$p unpause: the busy loop runs again" "unpause said [$out]" gets_cpu_time "$pid"
  dk rm -f "$c" >/dev/null 2>&1
}

m_docker_pty() {
  local c="eng-$RT_NAME-dt" out
  DK_NAMES+=("$c-run")
  pty_shell_checks "docker run -it" dk-run "$REPO/tools/engines.sh docker run -it --rm --name $c-run --runtime=$RT_NAME --network none localhost/bb sh" 5
  DK_NAMES+=("$c")
  out=$(DR -d --name "$c" localhost/bb sh -c "$TRAPS" 2>&1)
  if ! poll 60 dk_is "$c" running; then bad "docker exec -it: container running" "state [$(dk_state "$c")]; run said [$out]"; return; fi
  pty_shell_checks "docker exec -it" dk-exec "$REPO/tools/engines.sh docker exec -it $c sh" 4
  dk rm -f "$c" >/dev/null 2>&1
}

# --- containerd (ctr) --------------------------------------------------------------------------------
ct_field() { ct task ls 2>/dev/null | awk -v c="$1" -v f="$2" '$1 == c { print $f }'; }
ct_state() { ct_field "$1" 3; }
ct_is() { [ "$(ct_state "$1")" = "$2" ]; }

m_ctr() {
  local p="ctr" c="eng-$RT_NAME-ct" b="eng-$RT_NAME-cb" out rc pid
  out=$(ct run --rm --runc-binary "$RT" localhost/bb:latest "eng-$RT_NAME-c1" echo hello 2>&1)
  check_eq "$p run: output" hello "$out"
  out=$(ct run --rm --runc-binary "$RT" localhost/bb:latest "eng-$RT_NAME-c2" sh -c 'exit 3' 2>&1); rc=$?
  check_rc "$p run: exit status" 3 "$rc" "$out"
  CT_NAMES+=("$c" "$b" "eng-$RT_NAME-c1" "eng-$RT_NAME-c2")
  # A foreground `ctr run` returns the task's exit status: run it in the background, act, wait for it.
  ct run --rm --runc-binary "$RT" localhost/bb:latest "$c" sh -c "$TRAPS" > "$T/ctr.out" 2>&1 &
  local bg=$!
  if poll 60 ct_is "$c" RUNNING; then ok "$p run: RUNNING"; else bad "$p run: RUNNING" "task ls [$(ct task ls 2>&1)]; run said [$(cat "$T/ctr.out")]"; fi
  out=$(ct task exec --exec-id e1 "$c" echo hello 2>&1)
  check_eq "$p task exec: output" hello "$out"
  out=$(ct task exec --exec-id e2 "$c" sh -c 'exit 7' 2>&1); rc=$?
  check_rc "$p task exec: exit status" 7 "$rc" "$out"
  out=$(ct task kill -s TERM "$c" 2>&1)
  wait "$bg"; rc=$?
  check_rc "$p task kill: TERM reached the container (run's status)" 42 "$rc" "kill said [$out]; run said [$(cat "$T/ctr.out")]"
  ct run --rm --runc-binary "$RT" localhost/bb:latest "$c" sh -c "$TRAPS" > "$T/ctr.out" 2>&1 &
  bg=$!
  poll 60 ct_is "$c" RUNNING
  out=$(ct task kill -s KILL "$c" 2>&1)
  wait "$bg"; rc=$?
  check_rc "$p task kill -s KILL: status 137" 137 "$rc" "kill said [$out]; run said [$(cat "$T/ctr.out")]"

  out=$(ct run -d --runc-binary "$RT" localhost/bb:latest "$b" sh -c "$BUSY" 2>&1)
  if ! poll 60 ct_is "$b" RUNNING; then bad "$p pause: task RUNNING" "task ls [$(ct task ls 2>&1)]; run said [$out]"; return; fi
  pid=$(ct_field "$b" 2)
  check "$p task pause: the busy loop runs first" "pid [$pid]" gets_cpu_time "$pid"
  out=$(ct task pause "$b" 2>&1)
  check_eq "$p task pause: PAUSED" PAUSED "$(ct_state "$b")"
  check "$p task pause: the busy loop gets no CPU time" "pause said [$out]" no_cpu_time "$pid"
  out=$(ct task resume "$b" 2>&1)
  check_eq "$p task resume: RUNNING" RUNNING "$(ct_state "$b")"
  check "$p task resume: the busy loop runs again" "resume said [$out]" gets_cpu_time "$pid"
  ct task kill -s KILL "$b" >/dev/null 2>&1
}

# What the runtime must have removed once the engines removed every container: the containers'
# cgroups (podman: libpod_parent/libpod-ID, docker: docker/ID, ctr: rsrun/ID, the namespace's name)
# and their state dirs (docker's and containerd's runtime roots; podman's: /run/RUNTIME, its default).
left_behind() {
  local d id out=""
  for d in /sys/fs/cgroup/*/libpod_parent/libpod-*/ /sys/fs/cgroup/*/docker/*/ /sys/fs/cgroup/*/rsrun/*/ \
    /run/rsrun-engines-docker/runtime-*/moby/*/ /run/containerd/runc/rsrun/*/; do
    [ -d "$d" ] && out+=" $d"
  done
  for id in "${PM_IDS[@]}"; do [ -n "$id" ] && [ -e "/run/$RT_NAME/$id" ] && out+=" /run/$RT_NAME/$id"; done
  echo "$out"
}
nothing_left() { [ -z "$(left_behind)" ]; }
check_nothing_left() {
  if poll 20 nothing_left; then ok "nothing left behind (cgroups, state dirs)"; else bad "nothing left behind (cgroups, state dirs)" "left:$(left_behind)"; fi
  PM_IDS=()
}

# --- main --------------------------------------------------------------------------------------------
START=$SECONDS
echo "engines: runtimes: $RUNTIMES; groups: $GROUPS_SEL"
E teardown   # whatever an interrupted run left
# shellcheck disable=SC2086
if ! E setup $RUNTIMES; then echo "engines: FAILED: tools/engines.sh setup"; exit 1; fi
echo "engines: setup took $((SECONDS - START)) s"
declare -A DURATION
ORDER=()
for RT in $RUNTIMES; do
  RT=$(realpath "$RT"); RT_NAME=$(basename "$RT"); ORDER+=("$RT_NAME")
  N_OK[$RT_NAME]=0 N_FAIL[$RT_NAME]=0
  t0=$SECONDS
  for g in $GROUPS_SEL; do
    case " $ALL_GROUPS " in *" $g "*) "m_$g" ;; *) bad "$g" "no such group (groups: $ALL_GROUPS)" ;; esac
  done
  remove_containers
  check_nothing_left
  DURATION[$RT_NAME]=$((SECONDS - t0))
done
echo
for n in "${ORDER[@]}"; do
  echo "engines[$n]: $((N_OK[$n] + N_FAIL[$n])) checks, ${N_OK[$n]} ok, ${N_FAIL[$n]} FAILED (${DURATION[$n]} s)"
done
for f in "${FAILED_LIST[@]}"; do echo "engines: FAILED $f"; done
echo "engines: $((SECONDS - START)) s in all"
((${#FAILED_LIST[@]} == 0))
