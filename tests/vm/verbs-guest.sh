#!/bin/sh
# tests/vm/verbs-guest.sh: runs INSIDE the cgroup v2 VM (as its run.sh, cwd /mnt), started by
# tests/vm/run-verb-tests.sh. Never run it on a host: it creates cgroups and device nodes freely.
#
# The cgroup verbs of the static rsrun binary (/mnt/rsrun) on pure cgroup v2, next to crun
# (/usr/bin/crun, copied in with jq by the host script) as the reference where crun has the verb:
#   pause/resume (cgroup.freeze, a busy loop stops and goes on), update (flags, a docker-style
#   resources file, stdin), ps, events --stats, an OOM kill reported by `events`, the device filter
#   (allowed opens, a denied one EPERM, rules replaced by update), kill --all and delete --force of
#   a paused container. One line per check: "ok ..." or "FAIL ..."; exit status = number of FAILs.
# Args: a word to run only the sections whose name contains it (pause update ps events oom devices kill
# crash fixtures rootless).
set -u
RS=/mnt/rsrun
CRUN=/usr/bin/crun
ONLY=${1:-}
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# same NAME RSRUN-VALUE CRUN-VALUE
same() { if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: rsrun '$2' vs crun '$3'"; fi; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: want '$2', got '$3'"; fi; }
# has NAME NEEDLE TEXT
has() { case "$3" in *"$2"*) ok "$1";; *) bad "$1: '$2' not in: $3";; esac; }
section() { case "$1" in *"$ONLY"*) echo "== $1"; return 0;; esac; return 1; }
bin() { if [ "$1" = rsrun ]; then echo $RS; else echo $CRUN; fi; }
rt() { r=$1; shift; $(bin $r) --root /tmp/root-$r "$@"; }
pid_of() { rt $1 state $2 | jq -r .pid; }
status_of() { rt $1 state $2 2>/dev/null | jq -r .status; }
cgdir() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/$1/cgroup)"; }
# A file the container writes under its /dev (tmpfs), seen from here.
inside() { cat /proc/$1/root$2 2>/dev/null; }
# wait_for TENTHS CMD...: retries CMD every 0.1 s
wait_for() { n=$1; shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }

# One busybox rootfs for every bundle (read-only in the containers), plus device nodes with no
# driver behind them (char majors 240 and 241): an open says EPERM when the device filter denies
# it, ENXIO when it lets it through.
ROOTFS=/tmp/rootfs
mkdir -p $ROOTFS/bin $ROOTFS/proc $ROOTFS/dev $ROOTFS/sys $ROOTFS/tmp
cp /bin/busybox $ROOTFS/bin/busybox
for a in $(busybox --list); do [ $a = busybox ] || ln -sf busybox $ROOTFS/bin/$a; done
mknod $ROOTFS/dev240 c 240 0
mknod $ROOTFS/dev241 c 241 0
# bundle DIR ARGS-JSON [JQ-EXPR]
bundle() {
  rm -rf $1; mkdir -p $1
  jq ".process.terminal = false | .root.path = \"$ROOTFS\" | .process.args = $2 ${3:+| $3}" /mnt/config.json > $1/config.json
}
# start RT ID BUNDLE: create + start, detached from our stdio
start() { rt $1 create --bundle $3 $2 </dev/null >/dev/null 2>/tmp/err-$2 && rt $1 start $2 || { bad "start $2: $(cat /tmp/err-$2)"; return 1; }; }
gone() { rt $1 delete -f $2 >/dev/null 2>&1; [ ! -d "$3" ] || bad "$2: cgroup $3 left behind"; }

echo "VM up after $(cut -d' ' -f1 /proc/uptime) s; kernel $(uname -r); $($RS --version | head -1); $($CRUN --version | head -1)"

if section pause; then
  bundle /tmp/b-pause '["sh","-c","i=0; while :; do i=$((i+1)); echo $i > /dev/counter; done"]'
  for r in rsrun crun; do
    id=pause-$r
    start $r $id /tmp/b-pause || continue
    pid=$(pid_of $r $id); cg=$(cgdir $pid)
    wait_for 50 sh -c "[ \"\$(cat /proc/$pid/root/dev/counter 2>/dev/null)\" -gt 100 ] 2>/dev/null" || bad "$r: the loop does not run"
    rt $r pause $id || bad "$r pause"
    st=$(status_of $r $id); fr=$(cat $cg/cgroup.freeze)
    c1=$(inside $pid /dev/counter); sleep 0.5; c2=$(inside $pid /dev/counter)
    [ "$c1" = "$c2" ] && held=held || held="moved $c1 -> $c2"
    rt $r resume $id || bad "$r resume"
    st2=$(status_of $r $id); fr2=$(cat $cg/cgroup.freeze)
    wait_for 50 sh -c "[ \"\$(cat /proc/$pid/root/dev/counter 2>/dev/null)\" -gt $((c2 + 100)) ] 2>/dev/null" && go=goes-on || go=stuck
    eval "res_$r='paused: $st freeze=$fr counter $held; resumed: $st2 freeze=$fr2 counter $go'"
    if [ $r = rsrun ]; then
      has "rsrun resume of a running container" "container not paused" "$(rt $r resume $id 2>&1)"
      rt $r pause $id
      has "rsrun pause of a paused container" "container not running" "$(rt $r pause $id 2>&1)"
      expect "rsrun ps --format json of a paused container" "[$pid]" "$(rt $r ps --format json $id)"
      has "rsrun ps (busybox ps -ef) shows the loop" "while :" "$(rt $r ps $id)"
      rt $r delete -f $id >/dev/null 2>&1 || bad "rsrun delete -f of a paused container"
      [ -d "$cg" ] && bad "rsrun: cgroup $cg left after delete -f of a paused container" || ok "rsrun delete -f of a paused container"
    else
      gone $r $id $cg
    fi
  done
  expect "rsrun pause/resume" "paused: paused freeze=1 counter held; resumed: running freeze=0 counter goes-on" "${res_rsrun:-}"
  same "pause/resume as crun" "${res_rsrun:-}" "${res_crun:-}"
fi

if section update; then
  bundle /tmp/b-upd '["sleep","1000"]'
  cat > /tmp/docker.json <<'EOF'
{"memory":{"limit":268435456,"swap":536870912},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":64}}
EOF
  cat > /tmp/zeros.json <<'EOF'
{"memory":{"limit":0},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":0},"blockIO":{"weight":0}}
EOF
  knobs() { for f in memory.max memory.swap.max memory.low pids.max cpu.max cpuset.cpus io.weight; do printf '%s=%s ' $f "$(tr '\n' ' ' < $1/$f | sed 's/ $//')"; done; }
  for r in rsrun crun; do
    id=upd-$r
    start $r $id /tmp/b-upd || continue
    pid=$(pid_of $r $id); cg=$(cgdir $pid)
    rt $r update --memory 104857600 --memory-swap 209715200 --memory-reservation 52428800 --pids-limit 50 \
      --cpu-quota 20000 --cpu-period 100000 --cpu-share 512 --cpuset-cpus 0 --blkio-weight 300 $id || bad "$r update flags"
    eval "flags_$r='$(knobs $cg)'; weight_$r='$(cat $cg/cpu.weight)'"
    rt $r update --resources /tmp/docker.json $id || bad "$r update --resources docker.json"
    eval "docker_$r='$(knobs $cg)'"
    rt $r update --resources /tmp/zeros.json $id || bad "$r update --resources zeros.json"
    eval "zeros_$r='$(knobs $cg)'"
    if [ $r = rsrun ]; then
      rt $r update --pids-limit 7 $id
      rt $r update -r - $id < /tmp/docker.json || bad "rsrun update -r -"
      expect "rsrun update -r - (stdin)" "${docker_rsrun:-}" "$(knobs $cg)"
      # swap alone: the memory limit comes from the kernel (runc takes it from its stored config)
      rt $r update --memory-swap 301989888 $id || bad "rsrun update --memory-swap alone"
      expect "rsrun swap alone keeps memory.max" "268435456 33554432" "$(cat $cg/memory.max) $(cat $cg/memory.swap.max)"
      rt $r update --memory 201326592 $id || bad "rsrun update --memory alone"
      expect "rsrun memory alone keeps memory+swap" "201326592 100663296" "$(cat $cg/memory.max) $(cat $cg/memory.swap.max)"
      has "rsrun refuses Intel RDT" "Intel RDT" "$(rt $r update --l3-cache-schema L3:0=f $id 2>&1)"
      has "rsrun update: bad field" "memory.limit: expected an integer" "$(echo '{"memory":{"limit":"1m"}}' | rt $r update -r - $id 2>&1)"
      # events --stats here: crun has no events verb
      ev=$(rt $r events --stats $id)
      expect "events --stats: type, id" "stats $id" "$(echo "$ev" | jq -r '.type + " " + .id')"
      expect "events --stats: pids" "1 64" "$(echo "$ev" | jq -r '"\(.data.pids.current) \(.data.pids.limit)"')"
      expect "events --stats: memory limit" "201326592" "$(echo "$ev" | jq -r .data.memory.usage.limit)"
      expect "events --stats: usage > 0, cpu > 0, raw" "true true true" \
        "$(echo "$ev" | jq -r '"\(.data.memory.usage.usage > 0) \(.data.cpu.usage.total > 0) \(.data.memory.raw | length > 10)"')"
      expect "events --stats: keys" '["blkio","cpu","cpuset","hugetlb","intel_rdt","memory","network_interfaces","pids"]' \
        "$(echo "$ev" | jq -c '.data | keys')"
    fi
    gone $r $id $cg
  done
  same "update flags (memory, swap, low, pids, cpu.max, cpuset, io.weight)" "${flags_rsrun:-}" "${flags_crun:-}"
  same "update --resources (docker)" "${docker_rsrun:-}" "${docker_crun:-}"
  expect "rsrun: zeros change nothing (as runc)" "${docker_rsrun:-}" "${zeros_rsrun:-}"
  echo "note crun 1.8.1 after a resources file of zeros: ${zeros_crun:-} (it writes memory.max 0, which OOM-kills the container)"
  echo "note cpu.weight for --cpu-share 512: rsrun ${weight_rsrun:-} (runc/crun >= 1.21 mapping), crun 1.8.1 ${weight_crun:-} (old linear mapping)"
fi

if section ps; then
  bundle /tmp/b-ps '["sh","-c","sleep 1000 & wait"]'
  for r in rsrun crun; do
    id=ps-$r
    start $r $id /tmp/b-ps || continue
    pid=$(pid_of $r $id); cg=$(cgdir $pid)
    wait_for 50 sh -c "[ \$(wc -l < $cg/cgroup.procs) -eq 2 ]"
    eval "ps_$r='$(rt $r ps --format json $id | jq -c 'length')'"
    [ $r = rsrun ] && has "rsrun ps table (busybox ps)" "sleep 1000" "$(rt $r ps $id)"
    [ $r = rsrun ] && expect "rsrun ps json has the init" "true" "$(rt $r ps --format json $id | jq "index($pid) != null")"
    gone $r $id $cg
  done
  same "ps --format json: count" "${ps_rsrun:-}" "${ps_crun:-}"
fi

if section oom; then
  bundle /tmp/b-oom '["sh","-c","sleep 1; head -c 200m /dev/zero | tail; sleep 1000"]' \
    '.linux.resources.memory = {"limit": 20971520, "swap": 20971520}'
  for r in rsrun crun; do
    id=oom-$r
    start $r $id /tmp/b-oom || continue
    pid=$(pid_of $r $id); cg=$(cgdir $pid)
    if [ $r = rsrun ]; then
      $RS --root /tmp/root-rsrun events --interval 1s $id > /tmp/events.out 2>&1 &
      evpid=$!
    fi
    wait_for 300 grep -q 'oom_kill [1-9]' $cg/memory.events
    eval "oom_$r='$(grep '^oom_kill ' $cg/memory.events | sed 's/[1-9][0-9]*$/N/') swap.max=$(cat $cg/memory.swap.max)'"
    if [ $r = rsrun ]; then
      wait_for 50 grep -q '"type":"oom"' /tmp/events.out && ok "rsrun events reports the oom kill" || bad "rsrun events: no oom event: $(cat /tmp/events.out)"
      wait_for 50 sh -c "[ \$(grep -c stats /tmp/events.out) -ge 2 ]" || bad "rsrun events: fewer than 2 stats lines"
      # Between events it sleeps in poll: over 2 s its CPU time (utime + stime) hardly moves.
      t1=$(awk '{print $14 + $15}' /proc/$evpid/stat); sleep 2; t2=$(awk '{print $14 + $15}' /proc/$evpid/stat)
      [ $((t2 - t1)) -lt 10 ] && ok "rsrun events sleeps between events ($t1 -> $t2 ticks)" || bad "rsrun events busy: $t1 -> $t2 ticks in 2 s"
      expect "rsrun events: its own fds (pidfd, memory.events)" "1 1" \
        "$(ls -l /proc/$evpid/fd | grep -c pidfd) $(ls -l /proc/$evpid/fd | grep -c memory.events)"
      rt $r kill $id KILL
      wait_for 50 sh -c "! kill -0 $evpid 2>/dev/null" || bad "rsrun events did not end with the container"
      wait $evpid; expect "rsrun events exit status when the container stops" 0 $?
      # One event per growth of the counter seen: tail and head may die in two OOM kills.
      expect "rsrun events: oom events, ids right" "true true" \
        "$(jq -s 'map(select(.type == "oom")) | length >= 1' /tmp/events.out) $(jq -s "all(.id == \"$id\")" /tmp/events.out)"
    fi
    gone $r $id $cg
  done
  same "OOM kill in memory.events" "${oom_rsrun:-}" "${oom_crun:-}"
fi

if section devices; then
  probe='for d in /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev240 /dev241; do
           if (: < $d) 2>/dev/null; then echo "$d ok"; else echo "$d $( (: < $d) 2>&1 | sed "s/.*: //")"; fi; done'
  bundle /tmp/b-dev "[\"sh\",\"-c\",$(printf '%s' "$probe" | jq -Rs .)]" \
    '.linux.resources.devices += [{"allow": true, "type": "c", "major": 241, "minor": 0, "access": "rw"}]'
  for r in rsrun crun; do
    eval "dev_$r=\"\$(rt $r run --bundle /tmp/b-dev dev-$r 2>&1 | tr '\n' ';')\""
  done
  has "rsrun: /dev240 denied" "/dev240 Operation not permitted" "${dev_rsrun:-}"
  has "rsrun: /dev241 allowed by the config (no driver)" "/dev241 No such device or address" "${dev_rsrun:-}"
  has "rsrun: /dev/null allowed" "/dev/null ok" "${dev_rsrun:-}"
  same "device opens" "${dev_rsrun:-}" "${dev_crun:-}"
  # update replaces the rules (rsrun only: runc never updates devices)
  bundle /tmp/b-devupd '["sh","-c","while :; do (: < /dev240) 2>/dev/r.t || :; mv /dev/r.t /dev/r240; sleep 0.05; done"]'
  start rsrun devupd /tmp/b-devupd && {
    pid=$(pid_of rsrun devupd); cg=$(cgdir $pid)
    probe240() { rm -f /proc/$pid/root/dev/r240; wait_for 50 test -e /proc/$pid/root/dev/r240; rm -f /proc/$pid/root/dev/r240; wait_for 50 test -e /proc/$pid/root/dev/r240; cat /proc/$pid/root/dev/r240; }
    has "rsrun update: denied before" "Operation not permitted" "$(probe240)"
    echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":240,"minor":0,"access":"rw"}]}' | rt rsrun update -r - devupd || bad "rsrun update devices"
    has "rsrun update: allowed after" "No such device or address" "$(probe240)"
    rt rsrun update -r /tmp/docker.json devupd 2>/dev/null || echo '{"pids":{"limit":9}}' | rt rsrun update -r - devupd
    has "rsrun update without devices keeps the rules" "No such device or address" "$(probe240)"
    echo '{"devices":[{"allow":false,"access":"rwm"}]}' | rt rsrun update -r - devupd
    has "rsrun update: denied again" "Operation not permitted" "$(probe240)"
    gone rsrun devupd $cg
  }
fi

if section kill; then
  bundle /tmp/b-kill '["sh","-c","sleep 1000 & sleep 1000 & wait"]'
  start rsrun killall /tmp/b-kill && {
    pid=$(pid_of rsrun killall); cg=$(cgdir $pid)
    wait_for 50 sh -c "[ \$(wc -l < $cg/cgroup.procs) -eq 3 ]"
    rt rsrun kill killall TERM; sleep 0.3
    expect "rsrun kill TERM: the ns init ignores it" 3 "$(wc -l < $cg/cgroup.procs)"
    rt rsrun kill --all killall TERM
    wait_for 50 sh -c "[ \$(wc -l < $cg/cgroup.procs) -eq 0 ]" && ok "rsrun kill --all TERM ends every process" || bad "kill --all TERM: $(cat $cg/cgroup.procs)"
    gone rsrun killall $cg
  }
fi

if section crash; then
  # Crash safety on pure v2 (tests/crash.rs on the host): create killed while its init waits for it
  # (a prestart hook holds it) leaves no process behind, and delete --force finds the cgroup from the
  # creation record; a cgroup namespace with a PID namespace joined by path runs (it hung create).
  hook='echo $PPID > /tmp/create-pid; sleep 2'
  bundle /tmp/b-crash '["true"]' ".hooks.prestart = [{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"$hook\"]}]"
  rm -f /tmp/create-pid
  rt rsrun create --bundle /tmp/b-crash crash1 </dev/null >/dev/null 2>&1 &
  wait_for 100 test -s /tmp/create-pid || bad "crash: the prestart hook did not run"
  cpid=$(cat /tmp/create-pid); cg=$(find /sys/fs/cgroup -type d -name crash1 | head -1)
  kill -9 "$cpid"; wait 2>/dev/null
  [ -n "$cg" ] && ok "crash: create made its cgroup ($cg)" || bad "crash: no cgroup made"
  wait_for 50 sh -c "! grep -lsw 'crash[1]' /proc/[0-9]*/cmdline >/dev/null" && ok "crash: the init ends with its create" \
    || bad "crash: processes left: $(grep -lsw 'crash[1]' /proc/[0-9]*/cmdline)"
  has "crash: state of the half-created container" "its create was interrupted" "$(rt rsrun state crash1 2>&1)"
  rt rsrun delete -f crash1 >/dev/null 2>&1 || bad "crash: delete -f failed"
  [ ! -d /tmp/root-rsrun/crash1 ] && [ ! -d "$cg" ] && ok "crash: delete -f removes state and cgroup" || bad "crash: left after delete -f: $(ls -d /tmp/root-rsrun/crash1 $cg 2>&1)"
  bundle /tmp/b-cgns '["sh","-c","sed s/^0::// /proc/self/cgroup"]' \
    '.linux.namespaces = [{"type":"pid","path":"/proc/self/ns/pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"cgroup"}]'
  for r in rsrun crun; do eval "cgns_$r=\$(timeout 20 \$(bin $r) --root /tmp/root-$r run --bundle /tmp/b-cgns cgns-$r 2>&1 </dev/null)"; done
  same "cgroupns with a PID namespace joined by path" "$cgns_rsrun" "$cgns_crun"
fi

if section fixtures; then
  # The captured docker, podman and containerd configs (resources, device rules, seccomp, hooks) run
  # on pure v2 as on the host (tests/fixtures_run.rs explains each adaptation): same output as crun.
  mkdir -p /tmp/fx-host/shm
  for f in resolv.conf hostname hosts .containerenv; do echo "# $f" > /tmp/fx-host/$f; done
  script='echo ok; id -u; hostname; grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status; cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max 2>&1; ls /dev | tr "\n" " "; echo'
  for name in docker podman containerd-ctr; do
    out_rsrun=; out_crun=
    for r in rsrun crun; do
      id=fx-$name-$r
      rm -rf /tmp/b-$id; mkdir -p /tmp/b-$id
      jq --arg s "$script" --arg root "$ROOTFS" --arg id "$id" '
        .root.path = $root | .root.readonly = true | .process.terminal = false | .process.args = ["sh", "-c", $s]
        | .mounts |= map(if .type == "bind" and (.source | test("^/(tmp/clients|run/containers|var/lib/containers)"))
                         then .source = "/tmp/fx-host/" + (.source | split("/") | last) else . end)
        | if .hooks.prestart then .hooks.prestart = [{"path": "/bin/true"}] else . end
        | if .linux.cgroupsPath then .linux.cgroupsPath = (.linux.cgroupsPath | split("/") | .[:-1] | join("/")) + "/" + $id else . end' \
        /mnt/fixtures/$name.json > /tmp/b-$id/config.json
      out=$(rt $r run --bundle /tmp/b-$id $id 2>&1 </dev/null | sed 's/ core fd / fd /')
      eval "out_$r=\$out"
      parent=$(jq -r '.linux.cgroupsPath // "" | split("/") | .[1] // ""' /tmp/b-$id/config.json)
      [ -z "$parent" ] || [ ! -d "/sys/fs/cgroup/$parent/$id" ] || bad "fixture $name under $r: cgroup left behind"
    done
    case "$out_rsrun" in ok*) same "fixture $name" "$out_rsrun" "$out_crun";; *) bad "fixture $name: $out_rsrun";; esac
  done
fi

if section rootless; then
  . /mnt/rootless-guest.sh
fi

echo "verbs: $fails failure(s); done at $(cut -d' ' -f1 /proc/uptime) s (uptime)"
exit $fails
