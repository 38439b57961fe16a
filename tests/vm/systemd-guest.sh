#!/bin/sh
# tests/vm/systemd-guest.sh: runs INSIDE the VM booted with systemd as PID 1 (VM_INIT=systemd
# tests/vm/vm-test.sh), as its run.sh (cwd /mnt), started by tests/vm/run-systemd-tests.sh. Never
# run it on a host: it creates units, cgroups and device nodes freely.
#
# The systemd cgroup driver of the static rsrun (/mnt/rsrun --systemd-cgroup) next to crun 1.8.1
# with --systemd-cgroup on the same bundles: the unit exists, is active, is a delegated scope in
# the right slice with the init in it; limits in the scope's files and in the unit's properties;
# update; pause/resume; ps; events --stats; exec joins the scope; kill --all; delete leaves no unit
# and no cgroup; errors (bad cgroupsPath, a unit name in use) leave nothing behind. Then the time
# of create (+ delete) with the driver, rsrun against crun. One line per check ("ok ..." or
# "FAIL ..."); exit status = number of FAILs.
set -u
RS=/mnt/rsrun
CRUN=/usr/bin/crun
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
same() { if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: rsrun '$2' vs crun '$3'"; fi; }
expect() { if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: want '$2', got '$3'"; fi; }
has() { case "$3" in *"$2"*) ok "$1";; *) bad "$1: '$2' not in: $3";; esac; }
bin() { if [ "$1" = rsrun ]; then echo $RS; else echo $CRUN; fi; }
rt() { r=$1; shift; $(bin $r) --systemd-cgroup --root /tmp/root-$r "$@"; }
pid_of() { rt $1 state $2 | jq -r .pid; }
status_of() { rt $1 state $2 2>/dev/null | jq -r .status; }
cgdir() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/$1/cgroup)"; }
wait_for() { n=$1; shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }
# unit_gone UNIT: systemd does not know the unit (or only as inactive dead, being collected)
unit_gone() { s=$(systemctl show -p LoadState,ActiveState --value "$1" 2>/dev/null | tr '\n' ' '); case "$s" in "not-found inactive "|"loaded inactive ") return 0;; esac; return 1; }

ROOTFS=/tmp/rootfs
mkdir -p $ROOTFS/bin $ROOTFS/proc $ROOTFS/dev $ROOTFS/sys $ROOTFS/tmp
cp /bin/busybox $ROOTFS/bin/busybox
for a in $(busybox --list); do [ $a = busybox ] || ln -sf busybox $ROOTFS/bin/$a; done
mknod $ROOTFS/dev240 c 240 0 2>/dev/null
# bundle DIR ARGS-JSON [JQ-EXPR]
bundle() {
  rm -rf $1; mkdir -p $1
  jq ".process.terminal = false | .root.path = \"$ROOTFS\" | .process.args = $2 ${3:+| $3}" /mnt/config.json > $1/config.json
}
start() { rt $1 create --bundle $3 $2 </dev/null >/dev/null 2>/tmp/err-$2 && rt $1 start $2 || { bad "$1 start $2: $(cat /tmp/err-$2)"; return 1; }; }

echo "VM up after $(cut -d' ' -f1 /proc/uptime) s; $(systemctl --version | head -1); $($RS --version | head -1); $($CRUN --version | head -1)"
[ "$(cat /proc/1/comm)" = systemd ] && ok "systemd is PID 1" || bad "PID 1 is $(cat /proc/1/comm)"

echo "== unit, slice, limits, verbs (at $(cut -d' ' -f1 /proc/uptime) s)"
RES='.linux.resources = {"memory":{"limit":67108864,"reservation":33554432},"pids":{"limit":50},
  "cpu":{"quota":50000,"period":100000,"cpus":"0"},
  "devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]}'
for r in rsrun crun; do
  id=sd-$r
  # The devices check runs at start: /dev/null allowed, char 240:0 (no driver) denied by the rules.
  bundle /tmp/b-$r '["sh","-c","echo x > /dev/null && echo null-ok > /dev/res; cat /dev240 2>> /dev/res; while :; do sleep 0.1; done"]' \
    "$RES | .linux.cgroupsPath = \"machine-test.slice:$r:$id\""
  start $r $id /tmp/b-$r || continue
  unit=$r-$id.scope
  pid=$(pid_of $r $id); cg=$(cgdir $pid)
  v() { systemctl show -p "$1" --value $unit; }
  eval "unit_$r='active=$(systemctl is-active $unit) delegate=$(v Delegate) slice=$(v Slice)'"
  # crun 1.8.1 puts its processes in a "container" sub-cgroup of the scope; rsrun, as runc, in the
  # scope itself.
  eval "cg_$r='$(echo $cg | sed "s/$r/X/g; s,/container\$,,")'"
  eval "files_$r='memory.max=$(cat $cg/memory.max) memory.low=$(cat $cg/memory.low) pids.max=$(cat $cg/pids.max) cpu.max=$(cat $cg/cpu.max) cpuset.cpus=$(cat $cg/cpuset.cpus)'"
  # crun 1.8.1 sets no resource property on the unit (files only): rsrun's are checked against
  # runc's conversions below.
  eval "props_$r='MemoryMax=$(v MemoryMax) MemoryLow=$(v MemoryLow) TasksMax=$(v TasksMax) CPUQuotaPerSecUSec=$(v CPUQuotaPerSecUSec) AllowedCPUs=$(v AllowedCPUs) DevicePolicy=$(v DevicePolicy)'"
  eval "pids_$r='$(systemctl show -p MainPID --value $unit) $(cat $cg/cgroup.procs | tr '\n' ' ')'"
  wait_for 50 test -s /proc/$pid/root/dev/res
  eval "dev_$r='$(sed 's/.*: //' /proc/$pid/root/dev/res | tr '\n' ' ')'"
  # update: the files and the unit's properties
  rt $r update --memory 134217728 --pids-limit 80 $id || bad "$r update"
  eval "upd_$r='memory.max=$(cat $cg/memory.max) pids.max=$(cat $cg/pids.max)'"
  eval "updprops_$r='MemoryMax=$(v MemoryMax) TasksMax=$(v TasksMax)'"
  rt $r pause $id || bad "$r pause"
  eval "pause_$r='$(status_of $r $id) freeze=$(cat $cg/cgroup.freeze) $(systemctl is-active $unit)'"
  rt $r resume $id || bad "$r resume"
  eval "resume_$r='$(status_of $r $id) freeze=$(cat $cg/cgroup.freeze)'"
  eval "ps_$r='$(rt $r ps --format json $id)'"
  # exec (rsrun only: crun's detached exec process is gone before it can be looked at): the new
  # process joins the scope
  if [ $r = rsrun ]; then
    rm -f /tmp/exec.pid
    # Output to a file, not $(...): the detached process keeps its stdio, and a capture would wait
    # for it (30 s) and then find the pid gone.
    if rt $r exec -d --pid-file /tmp/exec.pid $id sleep 30 >/tmp/exec.out 2>&1 </dev/null; then
      expect "rsrun exec: the process joins the scope" "$cg" "$(cgdir $(cat /tmp/exec.pid))"
    else
      e=$(cat /tmp/exec.out)
      case "$e" in *"not implemented"*) echo "skip exec: $e";; *) bad "rsrun exec: $e";; esac
    fi
  fi
  rt $r kill --all $id KILL || bad "$r kill --all"
  wait_for 50 sh -c "[ \"\$(cat $cg/cgroup.procs 2>/dev/null)\" = '' ]" && k=empty || k="left: $(cat $cg/cgroup.procs | tr '\n' ' ')"
  eval "kill_$r='$k'"
  rt $r delete $id || bad "$r delete: $(rt $r delete $id 2>&1)"
  wait_for 50 unit_gone $unit && g="unit gone" || g="unit left: $(systemctl show -p LoadState,ActiveState,SubState --value $unit | tr '\n' ' ')"
  [ -d $cg ] && g="$g, cgroup left" || g="$g, no cgroup"
  eval "gone_$r='$g'"
  ls /tmp/root-$r | grep -q . && bad "$r: state left: $(ls /tmp/root-$r)"
done
for k in unit cg files dev upd pause resume kill gone; do
  eval "same \"$k\" \"\$${k}_rsrun\" \"\$${k}_crun\""
done
expect "rsrun: unit properties (runc's conversions)" \
  "MemoryMax=67108864 MemoryLow=33554432 TasksMax=50 CPUQuotaPerSecUSec=500ms AllowedCPUs=0 DevicePolicy=strict" "$props_rsrun"
expect "rsrun: unit properties after update" "MemoryMax=134217728 TasksMax=80" "$updprops_rsrun"
expect "rsrun: the init is the scope's only process" "$(echo $pids_rsrun | cut -d' ' -f2)" "$(echo $pids_rsrun | cut -d' ' -f2-)"
has "rsrun: ps --format json lists the init" "[" "$ps_rsrun"

echo "== default cgroupsPath, delete -f, events (at $(cut -d' ' -f1 /proc/uptime) s)"
bundle /tmp/b-def '["sh","-c","while :; do sleep 0.1; done"]' '.linux.resources = {"pids":{"limit":20}}'
start rsrun sd-def /tmp/b-def && {
  pid=$(pid_of rsrun sd-def)
  expect "default path: system.slice/rsrun-ID.scope" "/sys/fs/cgroup/system.slice/rsrun-sd-def.scope" "$(cgdir $pid)"
  expect "unit active" active "$(systemctl is-active rsrun-sd-def.scope)"
  ev=$($RS --root /tmp/root-rsrun events --stats sd-def)
  expect "events --stats: pids" "20" "$(echo "$ev" | jq -r .data.pids.limit)"
  [ "$(echo "$ev" | jq -r .data.memory.usage.usage)" -gt 0 ] 2>/dev/null && ok "events --stats: memory usage" || bad "events --stats: $ev"
  expect "state.json records the unit" "rsrun-sd-def.scope" "$(jq -r .cgroup.systemd.unit /tmp/root-rsrun/sd-def/state.json 2>/dev/null)"
  $RS --root /tmp/root-rsrun delete -f sd-def || bad "delete -f"
  wait_for 50 unit_gone rsrun-sd-def.scope && ok "delete -f: unit gone" || bad "delete -f: unit left"
  [ -d /sys/fs/cgroup/system.slice/rsrun-sd-def.scope ] && bad "delete -f: cgroup left" || ok "delete -f: no cgroup"
}

echo "== org.systemd.property.* annotations (at $(cut -d' ' -f1 /proc/uptime) s)"
bundle /tmp/b-ann '["sh","-c","while :; do sleep 0.1; done"]' \
  '.annotations = {"org.systemd.property.TimeoutStopUSec":"uint64 123456789","org.systemd.property.CollectMode":"'"'inactive-or-failed'"'"}'
for r in rsrun crun; do
  start $r ann-$r /tmp/b-ann || continue
  u=$r-ann-$r.scope; [ $r = rsrun ] || u=crun-ann-$r.scope
  eval "ann_$r='$(systemctl show -p TimeoutStopUSec,CollectMode $u | tr '\n' ' ')'"
  rt $r delete -f ann-$r >/dev/null 2>&1
done
same "annotations as unit properties" "$ann_rsrun" "$ann_crun"
# runc's ...Sec -> ...USec conversion (seconds to microseconds)
bundle /tmp/b-sec '["sh","-c","while :; do sleep 0.1; done"]' '.annotations = {"org.systemd.property.TimeoutStopSec":"3"}'
start rsrun sec /tmp/b-sec && {
  expect "annotation TimeoutStopSec=3 is TimeoutStopUSec" "3s" "$(systemctl show -p TimeoutStopUSec --value rsrun-sec.scope)"
  $RS --root /tmp/root-rsrun delete -f sec
}
bundle /tmp/b-ann2 '["true"]' '.annotations = {"org.systemd.property.CPUWeight":"[1]"}'
has "rsrun: an unsupported annotation value is refused" "annotations.org.systemd.property.CPUWeight: unsupported value" \
  "$(rt rsrun create --bundle /tmp/b-ann2 ann2 2>&1)"
[ -d /tmp/root-rsrun/ann2 ] && bad "ann2: state left"

echo "== a container that exits: its scope ends, delete still works (at $(cut -d' ' -f1 /proc/uptime) s)"
bundle /tmp/b-true '["true"]'
start rsrun sd-true /tmp/b-true && {
  wait_for 50 sh -c "[ \"\$($RS --root /tmp/root-rsrun state sd-true 2>/dev/null | jq -r .status)\" = stopped ]" || bad "sd-true did not stop"
  $RS --root /tmp/root-rsrun delete sd-true && ok "delete of a stopped container" || bad "delete of a stopped container"
  wait_for 50 unit_gone rsrun-sd-true.scope && ok "stopped: unit gone" || bad "stopped: unit left"
}
# delete -f of a stopped container whose scope systemd already removed
start rsrun sd-true2 /tmp/b-true && {
  wait_for 50 sh -c "[ ! -d /sys/fs/cgroup/system.slice/rsrun-sd-true2.scope ]" || bad "sd-true2: scope cgroup stays"
  e=$($RS --root /tmp/root-rsrun delete -f sd-true2 2>&1) && ok "delete -f of a stopped container" || bad "delete -f of a stopped container: $e"
  [ -d /tmp/root-rsrun/sd-true2 ] && bad "sd-true2: state left"
}

echo "== through the system bus (dbus-daemon) when systemd's private socket cannot be reached (at $(cut -d' ' -f1 /proc/uptime) s)"
: > /tmp/not-a-socket
mount --bind /tmp/not-a-socket /run/systemd/private
bundle /tmp/b-bus '["sh","-c","while :; do sleep 0.1; done"]' '.linux.resources = {"pids":{"limit":30}}'
start rsrun sd-bus /tmp/b-bus && {
  expect "bus: unit active, TasksMax" "active 30" "$(systemctl is-active rsrun-sd-bus.scope) $(systemctl show -p TasksMax --value rsrun-sd-bus.scope)"
  $RS --root /tmp/root-rsrun update --pids-limit 40 sd-bus || bad "bus: update"
  expect "bus: update" "40 40" "$(systemctl show -p TasksMax --value rsrun-sd-bus.scope) $(cat /sys/fs/cgroup/system.slice/rsrun-sd-bus.scope/pids.max)"
  $RS --root /tmp/root-rsrun delete -f sd-bus || bad "bus: delete -f"
  wait_for 50 unit_gone rsrun-sd-bus.scope && ok "bus: unit gone" || bad "bus: unit left"
}
umount /run/systemd/private

echo "== errors leave nothing behind (at $(cut -d' ' -f1 /proc/uptime) s)"
bundle /tmp/b-bad '["true"]' '.linux.cgroupsPath = "/not/systemd"'
for r in rsrun crun; do
  e=$(rt $r create --bundle /tmp/b-bad bad-$r 2>&1) && bad "$r: a cgroupfs path was accepted" || echo "     $r: $e"
  ls /tmp/root-$r 2>/dev/null | grep -q bad- && bad "$r: state left after a bad path"
done
has "rsrun: bad cgroupsPath, runc's message" \
  'linux.cgroupsPath: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/not/systemd" instead' \
  "$(rt rsrun create --bundle /tmp/b-bad bad2 2>&1)"
bundle /tmp/b-slice '["true"]' '.linux.cgroupsPath = "a--b.slice:p:x"'
has "rsrun: bad slice name" "invalid slice name: a--b.slice" "$(rt rsrun create --bundle /tmp/b-slice bad3 2>&1)"
# The same unit name twice: the second create fails (UnitExists) and must not touch the first.
bundle /tmp/b-twice '["sh","-c","while :; do sleep 0.1; done"]' '.linux.cgroupsPath = "system.slice:twice:x"'
start rsrun tw1 /tmp/b-twice && {
  p1=$(pid_of rsrun tw1)
  e=$(rt rsrun create --bundle /tmp/b-twice tw2 2>&1) && bad "a second container in a unit in use was created"
  has "unit in use: error" "UnitExists" "$e"
  kill -0 $p1 2>/dev/null && ok "unit in use: the first container lives on" || bad "unit in use: the first container was killed"
  expect "unit in use: still active, same process" "active $p1" "$(systemctl is-active twice-x.scope) $(cat /sys/fs/cgroup/system.slice/twice-x.scope/cgroup.procs | head -1)"
  [ -d /tmp/root-rsrun/tw2 ] && bad "unit in use: state of the second left" || ok "unit in use: no state left"
  $RS --root /tmp/root-rsrun delete -f tw1
  wait_for 50 unit_gone twice-x.scope && ok "unit in use: gone after delete" || bad "twice-x.scope left"
}
# A createRuntime hook that fails after the unit started: create undoes the unit too.
bundle /tmp/b-hook '["true"]' '.hooks = {"createRuntime":[{"path":"/bin/false"}]} | .linux.cgroupsPath = "system.slice:hook:x"'
rt rsrun create --bundle /tmp/b-hook hk >/dev/null 2>&1 && bad "a failing hook was ignored"
wait_for 50 unit_gone hook-x.scope && ok "failed create: unit gone" || bad "failed create: hook-x.scope left"
[ -d /sys/fs/cgroup/system.slice/hook-x.scope ] && bad "failed create: cgroup left" || ok "failed create: no cgroup"
left=$(systemctl list-units --all --no-legend --plain 'rsrun-*' 'crun-*' 'hook-*' 'twice-*' 2>/dev/null)
expect "no container unit left at all" "" "$left"

echo "== create time with the systemd driver: 10 creates, then 10 deletes (at $(cut -d' ' -f1 /proc/uptime) s)"
bundle /tmp/b-bench '["true"]'
cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }  # centiseconds: for 10 runs, milliseconds per run
for r in rsrun crun; do
  t0=$(cs)
  for i in 1 2 3 4 5 6 7 8 9 10; do rt $r create --bundle /tmp/b-bench bench-$i </dev/null >/dev/null 2>&1 || bad "$r bench create $i"; done
  t1=$(cs)
  for i in 1 2 3 4 5 6 7 8 9 10; do rt $r delete -f bench-$i >/dev/null 2>&1 || bad "$r bench delete $i"; done
  t2=$(cs)
  eval "create_$r=$((t1 - t0)) delete_$r=$((t2 - t1))"
done
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
echo "bench: create --systemd-cgroup (busybox true, crun spec config), mean of 10: rsrun ${create_rsrun} ms, crun ${create_crun} ms, ratio $(ratio $create_rsrun $create_crun)"
echo "bench: delete -f --systemd-cgroup of a created container, mean of 10: rsrun ${delete_rsrun} ms, crun ${delete_crun} ms, ratio $(ratio $delete_rsrun $delete_crun)"
echo "$fails failed"
exit $fails
