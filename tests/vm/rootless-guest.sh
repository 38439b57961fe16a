# tests/vm/rootless-guest.sh: sourced by tests/vm/verbs-guest.sh (section "rootless") INSIDE the
# cgroup v2 VM, as root; uses its helpers (ok, bad, has, expect, same, wait_for, jq, $ROOTFS, $RS).
# The part of issue 10 the hybrid host cannot show (tests/rootless.sh covers the rest there): a
# rootless rsrun whose cgroup lies in a subtree delegated to the user (systemd's model: the
# directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to the user,
# the user's shell already inside it, so moving a process stays below a cgroup.procs it owns)
# makes its cgroup there and applies the limits: memory.max and pids.max hold them, ps, kill and
# delete work and the cgroup is gone after; crun does the same on the same config. Without a
# cgroup the user may write, the same limits are refused, naming the field, and nothing is left.
RL_UID=4321
RL=/tmp/rl                       # the user's home: rsrun, bundles, XDG_RUNTIME_DIR
D=/sys/fs/cgroup/rsrun-deleg     # the delegated subtree
mkdir -p $RL/run && cp $RS $RL/rsrun && chmod 755 $RL/rsrun && chmod 700 $RL/run
chown -R $RL_UID:$RL_UID $RL
mkdir $D $D/shell
chown $RL_UID:$RL_UID $D $D/cgroup.procs $D/cgroup.subtree_control $D/cgroup.threads \
  $D/shell $D/shell/cgroup.procs $D/shell/cgroup.subtree_control $D/shell/cgroup.threads
echo '+memory +pids' > $D/cgroup.subtree_control
# as_rl [deleg] CMD: CMD run by `sh` as the user (util-linux setpriv: the static busybox's su finds
# no user without NSS, its setpriv cannot change ids), in $D/shell with "deleg" (root moves the shell
# there: the move from the root cgroup needs root's write to /sys/fs/cgroup/cgroup.procs)
as_rl() {
  mv=; [ "$1" = deleg ] && { mv="echo \$\$ > $D/shell/cgroup.procs &&"; shift; }
  printf 'cd %s; export XDG_RUNTIME_DIR=%s/run; %s\n' $RL $RL "$1" > /tmp/rl-cmd.sh
  sh -c "$mv exec /usr/bin/setpriv --reuid=$RL_UID --regid=$RL_UID --clear-groups sh /tmp/rl-cmd.sh"
}
rl_stopped() { [ "$(as_rl "$R state rl-ctr" | jq -r .status)" = stopped ]; }
# rl_bundle NAME CGROUPSPATH ARGS-JSON: runc's rootless config with a 32 MiB memory and 32 pids limit
rl_bundle() {
  rm -rf $RL/$1; mkdir -p $RL/$1; chown $RL_UID:$RL_UID $RL/$1
  as_rl "./rsrun spec --rootless --bundle $1" || bad "rootless: spec --rootless"
  jq --arg root $ROOTFS --arg cg "$2" --argjson args "$3" '.ociVersion = "1.0.2" | .root.path = $root | .process.terminal = false
     | .process.args = $args | .linux.resources = {memory: {limit: 33554432}, pids: {limit: 32}}
     | if $cg == "" then . else .linux.cgroupsPath = $cg end' $RL/$1/config.json > /tmp/rl-cfg
  cp /tmp/rl-cfg $RL/$1/config.json; chown -R $RL_UID:$RL_UID $RL/$1
}
R="./rsrun --root $RL/run/rsrun"
rl_bundle b-sleep /rsrun-deleg/rl-ctr '["sleep","60"]'
# (the container's stdio to files: a pipe would keep $(...) waiting for the container)
as_rl deleg "$R create --bundle b-sleep rl-ctr </dev/null >/dev/null 2>$RL/err && $R start rl-ctr" \
  || bad "rootless deleg: create/start: $(cat $RL/err)"
cg=$D/rl-ctr
pid=$(as_rl "$R state rl-ctr" | jq -r .pid)
expect "rootless deleg: the init's cgroup" "0::/rsrun-deleg/rl-ctr" "$(cat /proc/$pid/cgroup 2>&1)"
expect "rootless deleg: memory.max" 33554432 "$(cat $cg/memory.max 2>&1)"
expect "rootless deleg: pids.max" 32 "$(cat $cg/pids.max 2>&1)"
expect "rootless deleg: the cgroup belongs to the user" "$RL_UID" "$(stat -c %u $cg 2>&1)"
expect "rootless deleg: ps --format json" "[$pid]" "$(as_rl "$R ps --format json rl-ctr" 2>&1)"
# pause/resume through the delegated cgroup's freezer, and exec, as the user
as_rl "$R pause rl-ctr" 2>$RL/perr || bad "rootless deleg: pause: $(cat $RL/perr)"
expect "rootless deleg: pause" "paused 1" "$(as_rl "$R state rl-ctr" | jq -r .status) $(cat $cg/cgroup.freeze 2>&1)"
as_rl "$R resume rl-ctr" 2>$RL/perr || bad "rootless deleg: resume: $(cat $RL/perr)"
expect "rootless deleg: resume" "running 0" "$(as_rl "$R state rl-ctr" | jq -r .status) $(cat $cg/cgroup.freeze 2>&1)"
# the exec'd process: from a session inside the delegated subtree, in the container's cgroup, uid
# 0 inside, status 7; from outside it (no write access to the common ancestor) it runs outside the
# cgroup, as with runc
as_rl deleg "$R exec rl-ctr sh -c 'cat /proc/self/cgroup; id -u; exit 7' </dev/null >$RL/exec.out 2>&1; echo \$? >>$RL/exec.out"
expect "rootless deleg: exec (cgroup, uid, status)" "0::/rsrun-deleg/rl-ctr 0 7" "$(tr '\n' ' ' < $RL/exec.out | sed 's/ $//')"
as_rl "$R exec rl-ctr sh -c 'id -u; exit 7' </dev/null >$RL/exec.out 2>&1; echo \$? >>$RL/exec.out"
expect "rootless deleg: exec from outside the subtree (uid, status)" "0 7" "$(tr '\n' ' ' < $RL/exec.out | sed 's/ $//')"
as_rl "$R kill rl-ctr KILL" || bad "rootless deleg: kill"
wait_for 50 rl_stopped && ok "rootless deleg: stopped after kill" || bad "rootless deleg: not stopped after kill"
as_rl "$R delete rl-ctr" || bad "rootless deleg: delete"
[ ! -d $cg ] && [ ! -d $RL/run/rsrun/rl-ctr ] && ok "rootless deleg: delete removes the cgroup and the state" \
  || bad "rootless deleg: left after delete: $(ls -d $cg $RL/run/rsrun/rl-ctr 2>&1)"
# Next to crun, run: the limits as the container sees them in its cgroup (the host's /sys, read-only).
show='c=$(sed -n "s/^0:://p" /proc/self/cgroup); echo $c; cat /sys/fs/cgroup$c/memory.max /sys/fs/cgroup$c/pids.max'
for r in rsrun crun; do
  rl_bundle b-show-$r /rsrun-deleg/rl-show "$(jq -cn --arg s "$show" '["sh","-c",$s]')"
  rbin=$RL/rsrun; [ $r = crun ] && rbin=$CRUN
  out=$(as_rl deleg "$rbin --root $RL/run/$r run --bundle b-show-$r rl-show-$r </dev/null" 2>&1 | tr '\n' ' ')
  eval "show_$r=\$out"
  [ ! -d $D/rl-show ] || bad "rootless deleg: $r left $D/rl-show"
done
has "rootless deleg: rsrun run" "/rsrun-deleg/rl-show 33554432 32" "$show_rsrun"
same "rootless deleg: run shows its cgroup and limits" "$show_rsrun" "$show_crun"
# No delegation: the user's shell in the root cgroup, an explicit cgroupsPath outside the subtree
# (the directory cannot be made) and no cgroupsPath (rsrun's default place, not writable either).
for cgp in /rl-nodeleg ""; do
  rl_bundle b-nodeleg "$cgp" '["true"]'
  out=$(as_rl "$R run --bundle b-nodeleg rl-nodeleg </dev/null" 2>&1); rc=$?
  [ $rc -ne 0 ] && has "rootless no delegation (cgroupsPath '$cgp'): limits refused naming the field" \
    linux.resources.memory "$out" || bad "rootless no delegation (cgroupsPath '$cgp'): ran (exit $rc): $out"
  left=$(ls -d /sys/fs/cgroup/rl-nodeleg $RL/run/rsrun/rl-nodeleg 2>/dev/null)
  [ -z "$left" ] && ok "rootless no delegation (cgroupsPath '$cgp'): nothing left" || bad "rootless no delegation: left $left"
done
rmdir $D/shell $D 2>/dev/null || bad "rootless: $D not removable (a cgroup left below it?)"
