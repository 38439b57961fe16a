#!/bin/bash
# rsrun as a Kubernetes RuntimeClass: containerd's CRI plugin (started by tools/cri.sh in a network
# namespace of its own) drives the runc v2 shim with BinaryName = rsrun. The same sequence runs with
# the `runc` handler, then the `rsrun` handler: pods, containers (one joining the pod's network, IPC
# and UTS namespaces by path), exec (sync, streamed, on a terminal), logs, stats, update, a
# restricted pod (read-only rootfs, run-as-user, seccomp RuntimeDefault, memory limit), an OOM kill,
# the runtime's error reaching the client, then stop and remove everything and check nothing is left.
# One "ok"/"FAILED" line per check; exits non-zero on any failure.
#
# tools/test.sh runs it (optional suite). Run it alone as root, under the engines lock (the shim and
# podman are shared with tests/engines.sh):   flock /tmp/rsrun-engines.lock tests/cri.sh
# SKIP_CRI=1 skips it; CRI_HANDLERS="rsrun" runs one handler only; RSRUN_BIN=PATH tests another build.
set -uo pipefail
[ -z "${SKIP_CRI:-}" ] || { echo "cri: skipped (SKIP_CRI)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "cri: skipped: needs root"; exit 0; }
cd "$(dirname "$0")/.."
REPO=$PWD
RT=${RSRUN_BIN:-$REPO/target/release/rsrun}   # RSRUN_BIN: another build, as for the cargo tests
[ -x "$RT" ] || { echo "cri: FAILED: $RT missing (cargo build --release)"; exit 1; }
C="$REPO/tools/cri.sh"
PTY="/usr/bin/python3 $REPO/tools/cri/ptyrun.py"
R=${CRI_RUN:-/run/rsrun-cri}
T=$(mktemp -d "${RSRUN_TEST_DIR:-/tmp}/cri.XXXXXX")
trap '$C teardown; rm -rf "$T"' EXIT
fail=0
H=

ok() { echo "cri[$H]: $1 ok"; }
bad() { echo "cri[$H]: $1 FAILED: $2"; fail=1; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "want [$2] got [$3]"; fi
}
contains() { # contains NAME NEEDLE TEXT
  case $3 in *"$2"*) ok "$1" ;; *) bad "$1" "[$2] not in [$3]" ;; esac
}
icontains() { contains "$1" "${2,,}" "${3,,}"; } # case-insensitive (runc: Go's "no such file", rsrun: glibc's "No such file")
ctl() { "$C" ctl "$@"; }
jqr() { jq -r "$1" 2>/dev/null; }

# Kernel view of a process: namespace inode, a /proc/PID/status field, a cgroup v1 file.
ns_of() { readlink "/proc/$1/ns/$2"; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cg_file() { # cg_file PID CONTROLLER FILE
  local rel; rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
  cat "/sys/fs/cgroup/$2$rel/$3" 2>&1
}
wait_state() { # wait_state ID STATE: until inspect shows STATE (10 s at most)
  for _ in $(seq 50); do
    [ "$(ctl inspect "$1" | jqr .status.state)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}
logs_of() { ctl logs "$1" 2>&1; }

# rsrun verbs still being written land with their own helpers; until then say so instead of failing.
rsrun_has_exec() { local o; o=$("$RT" --root "$T/probe" exec probe true 2>&1); [[ $o != *"not implemented"* ]]; }

pod_config() { # pod_config NAME PIDMODE [SECURITY_JSON]
  cat <<EOF
{
  "metadata": {"name": "$1", "namespace": "rsrun-cri-test", "uid": "$1-uid", "attempt": 0},
  "hostname": "$1",
  "log_directory": "$T/$H/$1",
  "linux": {
    "cgroup_parent": "/rsrun-cri/$H-$1",
    "sysctls": {"kernel.shm_rmid_forced": "1", "net.ipv4.ping_group_range": "0 2147483647"},
    "security_context": {
      "namespace_options": {"network": 0, "pid": $2, "ipc": 0}${3:+,
      $3}
    }
  }
}
EOF
}

container_config() { # container_config NAME COMMAND_JSON [LINUX_JSON] [MORE_JSON_FIELDS]
  cat <<EOF
{
  "metadata": {"name": "$1"},
  "image": {"image": "localhost/rsrun-cri/busybox:1.0"},
  "command": $2,
  "log_path": "$1.log",${4:+
  $4,}
  "linux": {${3:-}}
}
EOF
}

NSREPORT='for n in net ipc uts pid; do echo ns-$n=$(readlink /proc/self/ns/$n); done; echo host=$(hostname)'
# What c1 reports of itself; the fp- lines must read the same under runc and rsrun.
C1REPORT='echo out-line; echo err-line >&2; '"$NSREPORT"'; echo env=$GREETING cwd=$(pwd)
cat /data/host-file; echo from-c1 > /data/c1-file; touch /ro/x 2>&1
echo sysctl=$(cat /proc/sys/kernel/shm_rmid_forced)/$(cat /proc/sys/net/ipv4/ping_group_range)
grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status | sed "s/^/fp-/"
awk "{ print \"fp-mount\", \$5, substr(\$6, 1, 2) }" /proc/self/mountinfo | sort
echo done-report; exec sleep 1000'
RUNC_FP=

sequence() {
  H=$1
  local d=$T/$H; mkdir -p "$d"
  pod_config p1 0 > "$d/p1.json"     # pid: POD (shareProcessNamespace)
  pod_config p2 1 '"readonly_rootfs": true, "run_as_user": {"value": 65534}, "seccomp": {"profile_type": 0}' > "$d/p2.json"
  mkdir -p "$d/vol" "$d/rovol"; echo host-file-content > "$d/vol/host-file"
  container_config c1 "$(jq -cn --arg s "$C1REPORT" '["sh", "-c", $s]')" \
    '"security_context": {"capabilities": {"add_capabilities": ["NET_ADMIN"], "drop_capabilities": ["MKNOD"]}}' \
    '"envs": [{"key": "GREETING", "value": "hello-env"}], "working_dir": "/tmp",
  "mounts": [{"container_path": "/data", "host_path": "'"$d/vol"'"},
             {"container_path": "/ro", "host_path": "'"$d/rovol"'", "readonly": true}]' > "$d/c1.json"
  container_config c2 "$(jq -cn --arg s "$NSREPORT; exec sleep 1000" '["sh", "-c", $s]')" > "$d/c2.json"
  container_config c3 "$(jq -cn '["sh", "-c", "echo uid=$(id -u) gid=$(id -g); touch /x 2>&1; grep -E \"^(Seccomp|NoNewPrivs):\" /proc/self/status; echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); echo pid=$$; exec sleep 1000"]')" \
    '"resources": {"memory_limit_in_bytes": 67108864},
     "security_context": {"readonly_rootfs": true, "run_as_user": {"value": 1000}, "run_as_group": {"value": 1000},
                          "seccomp": {"profile_type": 0}, "namespace_options": {"pid": 1}}' > "$d/c3.json"
  container_config c4 '["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]' \
    '"resources": {"memory_limit_in_bytes": 33554432}, "security_context": {"namespace_options": {"pid": 1}}' > "$d/c4.json"
  container_config c5 '["/nonexistent"]' > "$d/c5.json"
  container_config c6 '["sh", "-c", "tty; echo tty-out; exec sleep 1000"]' "" '"tty": true, "stdin": true' > "$d/c6.json"

  # --- a pod -----------------------------------------------------------------------------------
  local p1; p1=$(ctl runp --runtime "$H" "$d/p1.json" 2>&1)
  if ! [[ $p1 =~ ^[0-9a-f]{64}$ ]]; then bad "runp" "$p1"; return; fi
  ok "runp prints the pod id"
  local ip; ip=$(ctl inspectp "$p1")
  check "pod ready" "SANDBOX_READY $H" "$(jqr '.status.state + " " + .status.runtimeHandler' <<<"$ip")"
  contains "pod has a CNI address" "10.88.77." "$(jqr .status.network.ip <<<"$ip")"
  local pause; pause=$(jqr .info.pid <<<"$ip")
  if [ "$H" = rsrun ]; then
    [ -d "$R/rsrun/k8s.io/$p1" ] && ok "the sandbox is an rsrun container" || bad "the sandbox is an rsrun container" "no $R/rsrun/k8s.io/$p1"
  fi

  # --- a container, and a second one joining the pod's namespaces ---------------------------------
  local c1 c2; c1=$(ctl create "$p1" "$d/c1.json" "$d/p1.json" 2>&1)
  [[ $c1 =~ ^[0-9a-f]{64}$ ]] && ok "create prints the container id" || { bad "create" "$c1"; return; }
  check "start prints the id" "$c1" "$(ctl start "$c1" 2>&1)"
  c2=$(ctl create "$p1" "$d/c2.json" "$d/p1.json" 2>&1) && ctl start "$c2" >/dev/null 2>&1 || bad "second container" "$c2"
  wait_state "$c1" CONTAINER_RUNNING && ok "container running" || bad "container running" "$(ctl inspect "$c1" | jqr .status.state)"
  for _ in $(seq 25); do logs_of "$c2" | grep -q '^host=' && logs_of "$c1" | grep -q done-report && break; sleep 0.2; done
  local o1 o2 e1; o1=$(ctl logs "$c1" 2>/dev/null); e1=$(ctl logs "$c1" 2>&1 >/dev/null); o2=$(ctl logs "$c2" 2>/dev/null)
  contains "logs: stdout" "out-line" "$o1"
  contains "logs: stderr on stderr" "err-line" "$e1"
  contains "envs and working_dir" "env=hello-env cwd=/tmp" "$o1"
  contains "hostPath mount: the host's file" "host-file-content" "$o1"
  check "hostPath mount: the container's file on the host" "from-c1" "$(cat "$d/vol/c1-file" 2>&1)"
  contains "read-only hostPath mount" "Read-only file system" "$o1"
  contains "pod sysctls" "sysctl=1/0 2147483647" "$o1"
  local eff; eff=$(awk '$1 == "fp-CapEff:" { print $2 }' <<<"$o1")
  check "capabilities: NET_ADMIN added, MKNOD dropped" "1 0" "$(( (0x${eff:-0} >> 12) & 1 )) $(( (0x${eff:-0} >> 27) & 1 ))"
  # The v1 tmpfs at /sys/fs/cgroup is read-only under rsrun when the mount says "ro" (runc leaves it
  # writable): a documented difference (docs/mounts.md), left out of the comparison.
  local fp; fp=$(grep '^fp-' <<<"$o1" | grep -vx 'fp-mount /sys/fs/cgroup r[ow]')
  if [ "$H" = runc ]; then
    RUNC_FP=$fp
  elif [ -n "$RUNC_FP" ]; then
    check "capabilities, seccomp, no_new_privs and mounts as under runc" "$RUNC_FP" "$fp"
  fi
  local n want
  for n in net ipc uts pid; do
    want="ns-$n=$(ns_of "$pause" "$n")"
    contains "c1 in the pod's $n namespace" "$want" "$o1"
    contains "c2 in the pod's $n namespace (joined by path)" "$want" "$o2"
  done
  contains "hostname is the pod's" "host=p1" "$o2"

  # --- exec ---------------------------------------------------------------------------------------
  if [ "$H" = runc ] || rsrun_has_exec; then
    local out rc
    out=$(ctl exec -s "$c1" sh -c 'echo exec-out; hostname; exit 3' 2>&1); rc=$?
    check "exec -s: output" "$(printf 'exec-out\np1\n\n')" "$out"
    check "exec -s: exit status" 3 "$rc"
    out=$(ctl exec "$c1" sh -c 'echo s-out; echo s-err >&2; exit 4' 2>"$d/err"); rc=$?
    check "exec: stdout" "s-out" "$out"
    check "exec: stderr" "s-err" "$(cat "$d/err")"
    check "exec: exit status" 4 "$rc"
    out=$(ctl exec "$c2" cat /proc/self/status 2>&1 | awk '$1 == "NoNewPrivs:" || $1 == "Seccomp:" { printf "%s%s ", $1, $2 }')
    [ -n "$out" ] && ok "exec in the second container" || bad "exec in the second container" "no status"
    out=$(PTYRUN_TIMEOUT=20 $PTY --rows 33 --cols 101 'tty; stty size; echo sum=$((40+2)); exit 7
' -- "$C" ctl exec -it "$c1" sh 2>&1); rc=$?
    if [ "$H" = rsrun ] && [[ $out == *"not supported yet"* ]]; then
      echo "cri[$H]: exec -it skipped: rsrun does not support terminals yet"
    else
      contains "exec -it: a terminal" "/dev/pts/" "$out"
      contains "exec -it: its size" "33 101" "$out"
      contains "exec -it: input and output" "sum=42" "$out"
      check "exec -it: exit status" 7 "$rc"
    fi
  else
    echo "cri[$H]: exec checks skipped: rsrun exec is not implemented in this build"
  fi

  # --- a container on a terminal (the shim passes --console-socket to create) ---------------------------
  local c6 err6; c6=$(ctl create "$p1" "$d/c6.json" "$d/p1.json" 2>&1)
  if err6=$(ctl start "$c6" 2>&1); then
    for _ in $(seq 25); do logs_of "$c6" | grep -q tty-out && break; sleep 0.2; done
    contains "tty container: on a terminal" "/dev/pts/" "$(logs_of "$c6")"
    contains "tty container: its output in the log" "tty-out" "$(logs_of "$c6")"
  elif [ "$H" = rsrun ] && [[ $err6 == *"not supported yet"* ]]; then
    echo "cri[$H]: tty container skipped: rsrun does not support terminals yet"
  else
    bad "tty container" "$err6"
  fi

  # --- stats, update --------------------------------------------------------------------------------
  local st; st=$(ctl stats -o json "$c1")
  check "stats: the container" "$c1" "$(jqr '.stats[0].attributes.id' <<<"$st")"
  [ "$(jqr '.stats[0].memory.workingSetBytes.value | tonumber' <<<"$st")" -gt 0 ] 2>/dev/null \
    && ok "stats: memory" || bad "stats: memory" "$(jqr '.stats[0].memory' <<<"$st")"
  [ "$(jqr '.stats[0].cpu.usageCoreNanoSeconds.value | tonumber' <<<"$st")" -gt 0 ] 2>/dev/null \
    && ok "stats: cpu" || bad "stats: cpu" "$(jqr '.stats[0].cpu' <<<"$st")"
  local pid1; pid1=$(ctl inspect "$c1" | jqr .info.pid)
  check "update prints the id" "$c1" "$(ctl update --memory 67108864 --cpu-period 100000 --cpu-quota 20000 "$c1" 2>&1)"
  check "update: memory limit" 67108864 "$(cg_file "$pid1" memory memory.limit_in_bytes)"
  check "update: cpu quota" 20000 "$(cg_file "$pid1" cpu cpu.cfs_quota_us)"

  # --- a restricted pod ---------------------------------------------------------------------------
  local p2 c3 c4 c5 o3
  p2=$(ctl runp --runtime "$H" "$d/p2.json" 2>&1)
  [[ $p2 =~ ^[0-9a-f]{64}$ ]] && ok "restricted pod" || { bad "restricted pod" "$p2"; return; }
  local pause2; pause2=$(ctl inspectp "$p2" | jqr .info.pid)
  check "sandbox runs as its run_as_user" 65534 "$(status_field "$pause2" Uid)"
  check "sandbox seccomp" 2 "$(status_field "$pause2" Seccomp)"
  c3=$(ctl create "$p2" "$d/c3.json" "$d/p2.json" 2>&1) && ctl start "$c3" >/dev/null 2>&1 || bad "restricted container" "$c3"
  for _ in $(seq 25); do logs_of "$c3" | grep -q '^pid=' && break; sleep 0.2; done
  o3=$(logs_of "$c3")
  contains "run_as_user/run_as_group" "uid=1000 gid=1000" "$o3"
  contains "read-only rootfs" "Read-only file system" "$o3"
  contains "seccomp RuntimeDefault" "$(printf 'Seccomp:\t2')" "$o3"
  contains "memory limit" "mem=67108864" "$o3"
  contains "own PID namespace" "pid=1" "$o3"
  c4=$(ctl create "$p2" "$d/c4.json" "$d/p2.json" 2>&1) && ctl start "$c4" >/dev/null 2>&1 || bad "oom container" "$c4"
  wait_state "$c4" CONTAINER_EXITED || true
  check "OOM kill reported" "OOMKilled 137" "$(ctl inspect "$c4" | jqr '.status.reason + " " + (.status.exitCode | tostring)')"

  # --- the runtime's error reaches the client ---------------------------------------------------------
  c5=$(ctl create "$p2" "$d/c5.json" "$d/p2.json" 2>&1)
  local err; err=$(ctl start "$c5" 2>&1) && bad "a bad command fails" "start succeeded"
  contains "the runtime's error reaches crictl" '/nonexistent' "$err"
  icontains "... naming the cause" 'no such file or directory' "$err"

  # --- stop and remove all ----------------------------------------------------------------------------
  check "stop prints the id" "$c1" "$(ctl stop -t 2 "$c1" 2>&1)"
  wait_state "$c1" CONTAINER_EXITED && ok "stopped" || bad "stopped" "$(ctl inspect "$c1" | jqr .status.state)"
  check "rm prints the id" "$c1" "$(ctl rm "$c1" 2>&1)"
  ctl rm -f "$c2" "$c3" "$c4" "$c5" "$c6" >/dev/null 2>&1 || bad "rm -f the others" "$(ctl ps -a 2>&1)"
  check "stopp" "Stopped sandbox $p1" "$(ctl stopp "$p1" 2>&1)"
  check "rmp" "Removed sandbox $p1" "$(ctl rmp "$p1" 2>&1)"
  check "rmp -f of a ready pod" "$(printf 'Stopped sandbox %s\nRemoved sandbox %s' "$p2" "$p2")" "$(ctl rmp -f "$p2" 2>&1)"
  check "no pods left" "" "$(ctl pods -q 2>&1)"
  check "no containers left" "" "$(ctl ps -a -q 2>&1)"
  check "no runtime state left" "" "$(ls -A "$R/$H/k8s.io" 2>/dev/null)"
  check "no mounts left" "" "$(grep -E "$p1|$p2|$c1|$c2|$c3" /proc/mounts)"
  local left; left=$(find /sys/fs/cgroup/*/rsrun-cri/"$H"-p1 /sys/fs/cgroup/*/rsrun-cri/"$H"-p2 -mindepth 1 -type d 2>/dev/null)
  check "no container cgroups left" "" "$left"
}

echo "cri: setting up containerd with the runc and rsrun handlers"
if ! "$C" setup "$RT" > "$T/setup.log" 2>&1; then
  echo "cri: setup FAILED:"; cat "$T/setup.log"; exit 1
fi
H=node
check "images" "$(printf 'localhost/rsrun-cri/busybox\nlocalhost/rsrun-cri/pause')" "$(ctl images | awk 'NR > 1 { print $1 }')"
check "images -q" 2 "$(ctl images -q | grep -c '^sha256:')"
out=$("$C" config "$RT" --systemd-cgroup)
check "config with SystemdCgroup" 2 "$(grep -c 'SystemdCgroup = true' <<<"$out")"
check "RuntimeClass" "handler: rsrun" "$("$C" runtimeclass | grep handler)"

for h in ${CRI_HANDLERS:-runc rsrun}; do
  sequence "$h"
done
H=node
[ $fail = 0 ] && echo "cri: all checks passed" || echo "cri: some checks FAILED"
exit $fail
