#!/bin/bash
# tests/vm/cri-systemd-guest.sh HANDLER...: runs INSIDE the VM booted with systemd as PID 1
# (VM_INIT=systemd tests/vm/vm-test.sh), as its run.sh (cwd /mnt), started by
# tests/vm/run-cri-systemd-tests.sh. Never run it on a host: it starts containerd and makes units.
#
# containerd's CRI plugin with SystemdCgroup = true (tools/cri.sh setup --systemd-cgroup, CNI bridge
# pods), then for each handler (rsrun, runc): a pod whose cgroup_parent is a kubelet-style pod slice
# (kubepods-besteffort-pod<uid>.slice), a container with memory and CPU limits, exec, stats, update,
# stop, rm, stopp, rmp. Each sandbox and container must be a transient unit cri-containerd-<id>.scope
# in the pod's slice, holding its process, with the limits as unit properties and cgroup files, and
# nothing may be left afterwards (unit, cgroup, runtime state). rsrun's values are compared with
# runc's. One line per check ("ok ..." or "FAIL ..."); exit status = number of FAILs.
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # the host's ip and nsenter before busybox's
C=/mnt/tools/cri.sh
RS=/mnt/rsrun
R=/run/rsrun-cri
fails=0
H=node
ok() { echo "ok   [$H] $*"; }
bad() { echo "FAIL [$H] $*"; fails=$((fails + 1)); }
expect() { if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: want '$2', got '$3'"; fi; }
has() { case "$3" in *"$2"*) ok "$1";; *) bad "$1: '$2' not in: $3";; esac; }
ctl() { "$C" ctl "$@"; }
jqr() { jq -r "$1" 2>/dev/null; }
up() { cut -d' ' -f1 /proc/uptime; }
cgdir() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null)"; }
prop() { systemctl show -p "$2" --value "$1" 2>&1; }
# unit_gone UNIT: systemd does not know the unit (or only as inactive dead, being collected)
unit_gone() { local s; s=$(systemctl show -p LoadState,ActiveState --value "$1" 2>/dev/null | tr '\n' ' '); case "$s" in "not-found inactive "|"loaded inactive ") return 0;; esac; return 1; }
wait_for() { local n=$1; shift; while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done; return 1; }
state_is() { [ "$(ctl inspect "$1" | jqr .status.state)" = "$2" ]; }

echo "VM up after $(up) s; $(systemctl --version | head -1); $($RS --version | head -1); $(containerd --version); $(runc --version 2>/dev/null | head -1)"
[ "$(cat /proc/1/comm)" = systemd ] && ok "systemd is PID 1" || bad "PID 1 is $(cat /proc/1/comm)"
# containerd copies these into every sandbox; this initramfs has none
[ -e /etc/hosts ] || printf '127.0.0.1 localhost\n' > /etc/hosts
[ -e /etc/resolv.conf ] || : > /etc/resolv.conf
mkdir -p /var/lib /tmp/cri

echo "== tools/cri.sh setup --systemd-cgroup (at $(up) s)"
if ! CRI_IMAGES=/mnt/images "$C" setup "$RS" --systemd-cgroup > /tmp/cri/setup.log 2>&1; then
  bad "setup: $(cat /tmp/cri/setup.log)"; tail -20 /var/lib/rsrun-cri/containerd.log; echo "$fails failed"; exit "$fails"
fi
# Each client call starts Python and imports grpc: the bulk of this test's time under TCG.
t0=$(up); v=$(ctl version 2>&1); t1=$(up)
has "ctl version ($(echo "$t1 - $t0" | bc) s)" "RuntimeName:  containerd" "$v"
expect "config: SystemdCgroup on both handlers" 2 "$(grep -c 'SystemdCgroup = true' /var/lib/rsrun-cri/containerd.toml)"
expect "images" "localhost/rsrun-cri/busybox localhost/rsrun-cri/pause" "$(ctl images | awk 'NR > 1 { print $1 }' | tr '\n' ' ' | sed 's/ $//')"

sequence() {
  H=$1
  local uid=${H}uid0 d=/tmp/cri/$H
  local slice=kubepods-besteffort-pod$uid.slice
  local sdir=/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/$slice
  mkdir -p "$d"
  echo "== handler $H (at $(up) s)"
  cat > "$d/pod.json" <<EOF
{
  "metadata": {"name": "p-$H", "namespace": "rsrun-cri-test", "uid": "$uid", "attempt": 0},
  "hostname": "p-$H",
  "log_directory": "$d/logs",
  "linux": {
    "cgroup_parent": "$slice",
    "security_context": {"namespace_options": {"network": 0, "pid": 1, "ipc": 0}}
  }
}
EOF
  cat > "$d/c1.json" <<EOF
{
  "metadata": {"name": "c1"},
  "image": {"image": "localhost/rsrun-cri/busybox:1.0"},
  "command": ["sh", "-c", "echo started; exec sleep 1000"],
  "log_path": "c1.log",
  "linux": {"resources": {"memory_limit_in_bytes": 67108864, "cpu_period": 100000, "cpu_quota": 50000}}
}
EOF
  # --- the pod: its sandbox is a scope in the pod's slice ---------------------------------------
  local p; p=$(ctl runp --runtime "$H" "$d/pod.json" 2>&1)
  if ! [[ $p =~ ^[0-9a-f]{64}$ ]]; then bad "runp: $p"; tail -5 /var/lib/rsrun-cri/containerd.log; return; fi
  ok "runp prints the pod id"
  local ip; ip=$(ctl inspectp "$p")
  expect "pod ready" "SANDBOX_READY $H" "$(jqr '.status.state + " " + .status.runtimeHandler' <<<"$ip")"
  has "pod has a CNI address" "10.88.77." "$(jqr .status.network.ip <<<"$ip")"
  local pause; pause=$(jqr .info.pid <<<"$ip")
  local pu=cri-containerd-$p.scope
  expect "sandbox: its cgroup is the scope" "$sdir/$pu" "$(cgdir "$pause")"
  expect "sandbox: unit active in the pod's slice" "active $slice" "$(systemctl is-active "$pu") $(prop "$pu" Slice)"
  if [ "$H" = rsrun ]; then
    expect "sandbox: rsrun's state records the unit" "$pu" "$(jqr .cgroup.systemd.unit < "$R/rsrun/k8s.io/$p/state.json")"
  fi

  # --- a container with limits ------------------------------------------------------------------
  local c; c=$(ctl create "$p" "$d/c1.json" "$d/pod.json" 2>&1)
  [[ $c =~ ^[0-9a-f]{64}$ ]] && ok "create prints the container id" || { bad "create: $c"; return; }
  expect "start prints the id" "$c" "$(ctl start "$c" 2>&1)"
  # one inspect for state and pid: each client call is a Python start, seconds under TCG
  local pid=0 i
  for i in $(seq 20); do
    i=$(ctl inspect "$c" | jqr '.status.state + " " + (.info.pid | tostring)')
    [ "${i% *}" = CONTAINER_RUNNING ] && { pid=${i#* }; break; }
    sleep 0.2
  done
  [ "$pid" != 0 ] && ok "container running" || bad "container running: $i"
  local u=cri-containerd-$c.scope s=$sdir/cri-containerd-$c.scope
  expect "container: its cgroup is the scope" "$s" "$(cgdir "$pid")"
  grep -qx "$pid" "$s/cgroup.procs" 2>/dev/null && ok "container: the scope holds its pid" || bad "container: $pid not in $s/cgroup.procs: $(cat "$s/cgroup.procs" 2>&1 | tr '\n' ' ')"
  local props; props=$(systemctl show -p ActiveState,Slice,Delegate,MemoryMax,CPUQuotaPerSecUSec "$u" | sort | tr '\n' ' ')
  expect "container: the unit (systemctl show)" \
    "ActiveState=active CPUQuotaPerSecUSec=500ms Delegate=yes MemoryMax=67108864 Slice=$slice " "$props"
  expect "container: limits in the scope's files" "67108864 50000 100000" "$(cat "$s/memory.max" "$s/cpu.max" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
  local bp; bp=$(busctl get-property org.freedesktop.systemd1 \
    "/org/freedesktop/systemd1/unit/cri_2dcontainerd_2d${c}_2escope" org.freedesktop.systemd1.Scope ControlGroup 2>&1)
  expect "container: busctl ControlGroup" "s \"${s#/sys/fs/cgroup}\"" "$bp"
  if [ "$H" = rsrun ]; then
    expect "container: rsrun's state records the unit" "$u" "$(jqr .cgroup.systemd.unit < "$R/rsrun/k8s.io/$c/state.json")"
  fi
  has "logs" started "$(ctl logs "$c" 2>&1)"

  # --- exec ---------------------------------------------------------------------------------------
  local out rc
  out=$(ctl exec -s "$c" sh -c 'echo exec-out; hostname; exit 3' 2>&1); rc=$?
  expect "exec -s: output" "$(printf 'exec-out\np-%s' "$H")" "$out"
  expect "exec -s: exit status" 3 "$rc"
  # The container has a cgroup namespace rooted at its scope (containerd asks for one on cgroup v2):
  # an exec'd process that joined the scope sees itself at "/" (outside it, it would see a "/.."
  # path), and two processes in the scope's cgroup.procs: the init and the grep (sh execs it).
  out=$(ctl exec -s "$c" sh -c 'cat /proc/self/cgroup; grep -c . /sys/fs/cgroup/cgroup.procs' 2>&1)
  expect "exec -s: the process joins the scope" "0::/ 2" "$(echo $out)"
  out=$(ctl exec "$c" sh -c 'echo s-out; echo s-err >&2; exit 4' 2>"$d/err"); rc=$?
  expect "exec (streamed): stdout, stderr, exit status" "s-out s-err 4" "$out $(cat "$d/err") $rc"

  # --- stats, update --------------------------------------------------------------------------------
  local st; st=$(ctl stats -o json "$c")
  expect "stats: the container" "$c" "$(jqr '.stats[0].attributes.id' <<<"$st")"
  [ "$(jqr '.stats[0].memory.workingSetBytes.value | tonumber' <<<"$st")" -gt 0 ] 2>/dev/null \
    && ok "stats: memory" || bad "stats: memory: $(jqr '.stats[0].memory' <<<"$st")"
  [ "$(jqr '.stats[0].cpu.usageCoreNanoSeconds.value | tonumber' <<<"$st")" -gt 0 ] 2>/dev/null \
    && ok "stats: cpu" || bad "stats: cpu: $(jqr '.stats[0].cpu' <<<"$st")"
  expect "update prints the id" "$c" "$(ctl update --memory 134217728 --cpu-period 100000 --cpu-quota 20000 "$c" 2>&1)"
  expect "update: the scope's files and the unit" "134217728 20000 100000 CPUQuotaPerSecUSec=200ms MemoryMax=134217728" \
    "$(cat "$s/memory.max" "$s/cpu.max" 2>&1 | tr '\n' ' ')$(systemctl show -p MemoryMax,CPUQuotaPerSecUSec "$u" | sort | tr '\n' ' ' | sed 's/ $//')"

  # --- stop and remove ------------------------------------------------------------------------------
  expect "stop prints the id" "$c" "$(ctl stop -t 2 "$c" 2>&1)"
  wait_for 50 state_is "$c" CONTAINER_EXITED && ok "stopped" || bad "stopped: $(ctl inspect "$c" | jqr .status.state)"
  expect "rm prints the id" "$c" "$(ctl rm "$c" 2>&1)"
  wait_for 50 unit_gone "$u" && ok "rm: no unit" || bad "rm: unit left: $(systemctl show -p LoadState,ActiveState,SubState --value "$u" | tr '\n' ' ')"
  [ -d "$s" ] && bad "rm: cgroup left: $s" || ok "rm: no cgroup"
  expect "stopp" "Stopped sandbox $p" "$(ctl stopp "$p" 2>&1)"
  expect "rmp" "Removed sandbox $p" "$(ctl rmp "$p" 2>&1)"
  wait_for 50 unit_gone "$pu" && ok "rmp: no sandbox unit" || bad "rmp: sandbox unit left: $(systemctl show -p LoadState,ActiveState,SubState --value "$pu" | tr '\n' ' ')"
  [ -d "$sdir/$pu" ] && bad "rmp: sandbox cgroup left" || ok "rmp: no sandbox cgroup"
  expect "no pods, no containers left" "" "$(ctl pods -q 2>&1)$(ctl ps -a -q 2>&1)"
  expect "no runtime state left" "" "$(ls -A "$R/$H/k8s.io" 2>/dev/null)"
  expect "no cri-containerd scope left (units)" "" "$(systemctl list-units --all --no-legend --plain 'cri-containerd-*' 2>&1)"
  expect "no cri-containerd scope left (cgroups)" "" "$(find /sys/fs/cgroup -name 'cri-containerd-*' 2>&1)"
  expect "no mounts left" "" "$(grep -E "$p|$c" /proc/mounts)"
}

for h in "$@"; do
  sequence "$h"
done
H=node
"$C" teardown
[ -d /run/rsrun-cri ] && bad "teardown: /run/rsrun-cri left" || ok "teardown"
echo "done at $(up) s"
echo "$fails failed"
exit "$fails"
