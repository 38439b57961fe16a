#!/bin/bash
# shellcheck disable=SC2016  # $... in single quotes is meant for the container's shell
# Rootless rsrun: a real unprivileged user, made by this script, runs containers with rsrun directly
# and through rootless podman, beside runc (the reference: a check that fails with runc as well is
# the harness's fault) on the same bundle. Run as root (it makes the users); tools/test.sh runs it as
# an optional suite. One line per check ("rootless: NAME ok" or "... FAILED: why"), non-zero exit if
# any check failed.
#
#   SKIP_ROOTLESS=1     skip the whole suite
#   SKIP_PODMAN=1       skip the podman checks
#
# Setup: two users (useradd, unique names), each with a 65536-id range in /etc/subuid and /etc/subgid,
# an XDG_RUNTIME_DIR (0700, theirs) and a home for podman's storage; rsrun copied where they can run
# it. Everything is removed at exit (containers, podman's pause process, users, their ranges, files).
#
# Checks (rsrun run as the first user unless said otherwise):
#  spec        `rsrun spec --rootless` is `runc spec --rootless` field for field (but ociVersion and
#              hostname, which name the runtime)
#  root        --root defaults to $XDG_RUNTIME_DIR/rsrun (0700); without XDG_RUNTIME_DIR: a clear error
#              (but spec works)
#  run         inside: uid 0, uid_map "0 UID 1", setgroups "deny"; /dev/null a working 1:3 device (a
#              bind of the host's); the same as runc shows
#  lifecycle   create, start, state (running), list, ps (json: both processes), kill --all, delete;
#              the state dir is gone after
#  exec        into a running container: uid 0 (the user's id outside), the init is pid 1 of its PID
#              namespace, the exit status passes through; as runc
#  pause       no freezer without a cgroup the user may write: a clear error naming the cgroup
#  subids      uidMappings/gidMappings beyond the user's own id (newuidmap/newgidmap from /etc/subuid):
#              process.user 1000:1000 with additionalGids [100]; the same maps as runc sees
#  limits      a memory limit without a writable cgroup: refused naming linux.resources.memory,
#              nothing left; runc refuses too
#  rlimits     an RLIMIT_NOFILE hard limit above the user's: refused naming RLIMIT_NOFILE
#  sysfs       without a network namespace: /sys is the host's, read-only; with one: a sysfs of its own
#  cgroupfs    /sys/fs/cgroup is read-only inside even when the config's cgroup mount says "rw"
#              (CVE-2023-25809)
#  escape      a root-owned host file bound into the container: writes fail and it shows as nobody;
#              a file root inside creates in a bound directory belongs to the user on the host
#  isolation   the second user can neither list, read, signal nor delete the first user's containers
#              (permission errors, exit 1, not a crash) and the container lives on
#  podman      podman --runtime <rsrun> run (output, exit status), run -d + top + exec + stop + rm,
#              as the user, each also with runc
set -uo pipefail
[ -z "${SKIP_ROOTLESS:-}" ] || { echo "rootless: skipped (SKIP_ROOTLESS)"; exit 0; }
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
[ "$(id -u)" = 0 ] || { echo "rootless: skipped: needs root (it makes the test users)"; exit 0; }
for t in useradd userdel runuser newuidmap newgidmap python3 runc; do
  command -v "$t" >/dev/null || { echo "rootless: skipped: $t not installed (tools/setup.sh installs it)"; exit 0; }
done
[ -x "$REPO/target/release/rsrun" ] || { echo "rootless: FAILED: build target/release/rsrun first"; exit 1; }

BASE=${RSRUN_TEST_DIR:-/tmp/rsrun-tests}
mkdir -p "$BASE" && chmod 755 "$BASE"
T=$(mktemp -d "$BASE/rootless.XXXXXX") && chmod 755 "$T"
U1=rsrl$$a U2=rsrl$$b
FAILS=0
ok() { echo "rootless: $1 ok"; }
bad() { echo "rootless: $1 FAILED: $2"; FAILS=$((FAILS + 1)); }

# A free 65536-id range above every range /etc/subuid and /etc/subgid already hold.
next_range() { awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print (m > 100000 ? m : 100000) }' /etc/subuid /etc/subgid; }
make_user() {
  local u=$1 start
  useradd -m -d "$T/home-$u" -s /bin/sh "$u" || return 1
  for f in /etc/subuid /etc/subgid; do
    if ! grep -q "^$u:" "$f"; then start=$(next_range); echo "$u:$start:65536" >> "$f"; fi
  done
  install -d -m 700 -o "$u" -g "$u" "$T/run-$u"
}
# Runs "$@" as user $1 with a clean environment.
as() {
  local u=$1; shift
  runuser -u "$u" -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$T/home-$u" USER="$u" \
    XDG_RUNTIME_DIR="$T/run-$u" "$@"
}

cleanup() {
  local u c pid
  for u in $U1 $U2; do
    id "$u" >/dev/null 2>&1 || continue
    for c in $(as "$u" "$T/rsrun" list -q 2>/dev/null); do as "$u" "$T/rsrun" delete -f "$c" >/dev/null 2>&1; done
    for c in $(as "$u" runc list -q 2>/dev/null); do as "$u" runc delete -f "$c" >/dev/null 2>&1; done
    if command -v podman >/dev/null && [ -d "$T/home-$u/.local/share/containers" ]; then
      as "$u" podman rm -f -a -t 0 >/dev/null 2>&1
      # podman's pause process (it holds the user namespace of rootless podman) outlives podman.
      pid=$(cat "$T/run-$u/libpod/tmp/pause.pid" 2>/dev/null) && [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
      as "$u" podman unshare rm -rf "$T/home-$u/.local/share/containers" >/dev/null 2>&1
      pid=$(cat "$T/run-$u/libpod/tmp/pause.pid" 2>/dev/null) && [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    fi
    userdel -r "$u" >/dev/null 2>&1 || userdel -f -r "$u" >/dev/null 2>&1
    sed -i "/^$u:/d" /etc/subuid /etc/subgid
  done
  rm -rf "$T"
}
trap cleanup EXIT

make_user "$U1" && make_user "$U2" || { echo "rootless: FAILED: useradd"; exit 1; }
UID1=$(id -u "$U1") GID1=$(id -g "$U1")
install -m 755 "$REPO/target/release/rsrun" "$T/rsrun"
R="$T/rsrun"

# A bundle owned by the user: busybox rootfs, runc's rootless config, args set by each check.
bundle() {
  local dir=$T/b-$1
  "$REPO/tools/mkbundle.sh" "$dir" >/dev/null && rm "$dir/config.json" && chown -R "$U1:" "$dir"
  (cd "$dir" && as "$U1" "$R" spec --rootless) || return 1
  echo "$dir"
}
# edit DIR PYTHON: changes DIR/config.json with python code on `c` (the parsed config).
edit() {
  python3 - "$1/config.json" "$2" <<'EOF'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c['process']['terminal'] = False
exec(code)
json.dump(c, open(p, 'w'))
EOF
}
# run_both NAME DIR: runs the bundle with rsrun and runc as U1; sets OUT_RS/RC_RS, OUT_RC/RC_RC.
run_both() {
  OUT_RS=$(cd "$2" && as "$U1" "$R" run "rl-$1-$$" 2>&1); RC_RS=$?
  OUT_RC=$(cd "$2" && as "$U1" runc run "rl-$1-$$" 2>&1 | grep -v 'level=warning'); RC_RC=$?
}

# --- spec -------------------------------------------------------------------------------------------
mkdir -p "$T/spec/rs" "$T/spec/rc" && chown -R "$U1:" "$T/spec"
(cd "$T/spec/rs" && as "$U1" "$R" spec --rootless) && (cd "$T/spec/rc" && as "$U1" runc spec --rootless)
d=$(python3 - "$T/spec/rs/config.json" "$T/spec/rc/config.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for c in (a, b):
    c.pop('ociVersion'); c.pop('hostname')
print('same' if a == b else json.dumps(a, sort_keys=True) + ' vs ' + json.dumps(b, sort_keys=True))
EOF
)
[ "$d" = same ] && grep -q "\"hostID\": $UID1" "$T/spec/rs/config.json" && ok spec || bad spec "$d"

# --- root -------------------------------------------------------------------------------------------
B=$(bundle main)
edit "$B" "c['process']['args'] = ['/bin/true']"
out=$(cd "$B" && as "$U1" "$R" run "rl-root-$$" 2>&1); rc=$?
mode=$(stat -c %a "$T/run-$U1/rsrun" 2>/dev/null)
noxdg=$(cd "$B" && runuser -u "$U1" -- env -i PATH=/usr/bin:/bin "$R" list 2>&1); rc2=$?
# spec keeps no state: it needs no XDG_RUNTIME_DIR.
mkdir "$T/spec/noxdg" && chown "$U1:" "$T/spec/noxdg"
(cd "$T/spec/noxdg" && runuser -u "$U1" -- env -i PATH=/usr/bin:/bin "$R" spec --rootless); rc3=$?
if [ $rc = 0 ] && [ "$mode" = 700 ] && [ $rc2 != 0 ] && [[ $noxdg == *XDG_RUNTIME_DIR* ]] && [ $rc3 = 0 ]; then ok root
else bad root "run: $rc [$out], $T/run-$U1/rsrun mode [$mode], without XDG_RUNTIME_DIR: list $rc2 [$noxdg], spec $rc3"; fi

# --- run --------------------------------------------------------------------------------------------
edit "$B" "c['process']['args'] = ['/bin/sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/setgroups; stat -c %t:%T /dev/null; echo x > /dev/null && echo devnull-ok']"
run_both run "$B"
want="0
         0       $UID1          1
deny
1:3
devnull-ok"
if [ $RC_RS = 0 ] && [ "$OUT_RS" = "$want" ] && [ "$OUT_RS" = "$OUT_RC" ]; then ok run
else bad run "rsrun $RC_RS [$OUT_RS], runc $RC_RC [$OUT_RC], want [$want]"; fi

# --- lifecycle ----------------------------------------------------------------------------------------
edit "$B" "c['process']['args'] = ['/bin/sh', '-c', 'sleep 100 & exec sleep 200']"
id=rl-life-$$
st=""
(cd "$B" && as "$U1" "$R" create "$id") && as "$U1" "$R" start "$id" && st=$(as "$U1" "$R" state "$id")
sleep 0.2
list=$(as "$U1" "$R" list -q); ps=$(as "$U1" "$R" ps --format json "$id" 2>&1)
as "$U1" "$R" kill --all "$id" KILL; sleep 0.3
st2=$(as "$U1" "$R" state "$id" 2>&1)
as "$U1" "$R" delete "$id"; rc=$?
if [[ $st == *'"status": "running"'* ]] && [ "$list" = "$id" ] && [[ $ps =~ ^\[[0-9]+,[0-9]+\]$ ]] \
  && [[ $st2 == *'"status": "stopped"'* ]] && [ $rc = 0 ] && [ ! -e "$T/run-$U1/rsrun/$id" ]; then ok lifecycle
else bad lifecycle "state [$st] list [$list] ps [$ps] after kill [$st2] delete $rc"; fi

# --- exec ---------------------------------------------------------------------------------------------
# exec joins the container's user namespace first (then PID and the rest): uid 0 inside, the init
# is pid 1, the exit status comes through; the same with runc.
edit "$B" "c['process']['args'] = ['sleep', '100']"
for rt in "$R" runc; do
  (cd "$B" && as "$U1" "$rt" run -d "rl-exec-$$") >/dev/null 2>&1
  out=$(as "$U1" "$rt" exec "rl-exec-$$" sh -c 'id -u; cat /proc/self/uid_map; tr "\0" " " < /proc/1/cmdline; echo; exit 7' 2>&1); rc=$?
  as "$U1" "$rt" delete -f "rl-exec-$$" >/dev/null 2>&1
  if [ "$rt" = runc ]; then OUT_RC=$out RC_RC=$rc; else OUT_RS=$out RC_RS=$rc; fi
done
want="0
         0       $UID1          1
sleep 100 "
if [ $RC_RS = 7 ] && [ "$OUT_RS" = "$want" ] && [ "$OUT_RS" = "$OUT_RC" ]; then ok exec
else bad exec "rsrun $RC_RS [$OUT_RS], runc $RC_RC [$OUT_RC], want [$want]"; fi

# --- pause ----------------------------------------------------------------------------------------------
(cd "$B" && as "$U1" "$R" run -d "$id") >/dev/null 2>&1
out=$(as "$U1" "$R" pause "$id" 2>&1); rc=$?
as "$U1" "$R" delete -f "$id"
if [ $rc != 0 ] && [[ $out == *"no cgroup"* ]]; then ok pause
elif [ $rc = 0 ]; then ok "pause (the user may write a cgroup here)"
else bad pause "$rc [$out]"; fi

# --- subids -------------------------------------------------------------------------------------------
S=$(bundle subids)
edit "$S" "
m = [{'containerID': 0, 'hostID': $UID1, 'size': 1}, {'containerID': 1, 'hostID': $(awk -F: -v u="$U1" '$1 == u { print $2 }' /etc/subuid), 'size': 65536}]
g = [{'containerID': 0, 'hostID': $GID1, 'size': 1}, {'containerID': 1, 'hostID': $(awk -F: -v u="$U1" '$1 == u { print $2 }' /etc/subgid), 'size': 65536}]
c['linux']['uidMappings'] = m; c['linux']['gidMappings'] = g
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['args'] = ['/bin/sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; ls -ln /bin/busybox | cut -c1-30']"
run_both subids "$S"
edit "$S" "c['process']['user']['additionalGids'] = [100]; c['process']['args'] = ['/bin/sh', '-c', 'id -G']"
groups=$(cd "$S" && as "$U1" "$R" run "rl-subg-$$" 2>&1)
if [ $RC_RS = 0 ] && [ "$(echo "$OUT_RS" | head -2 | tr '\n' ' ')" = "1000 1000 " ] && [ "$(echo "$OUT_RS" | wc -l)" = 7 ] \
  && [ "$OUT_RS" = "$OUT_RC" ] && [ "$groups" = "1000 100" ]; then ok subids
else bad subids "rsrun $RC_RS [$OUT_RS], runc $RC_RC [$OUT_RC], with additionalGids [$groups]"; fi

# --- limits ---------------------------------------------------------------------------------------------
L=$(bundle limits)
edit "$L" "c['linux']['resources'] = {'memory': {'limit': 100000000}}; c['process']['args'] = ['/bin/true']"
run_both limits "$L"
if [ $RC_RS != 0 ] && [[ $OUT_RS == *linux.resources.memory* ]] && [ $RC_RC != 0 ] && [ -z "$(ls -A "$T/run-$U1/rsrun")" ]; then ok limits
else bad limits "rsrun $RC_RS [$OUT_RS] (state: $(ls -A "$T/run-$U1/rsrun")), runc $RC_RC [$OUT_RC]"; fi

# --- rlimits -------------------------------------------------------------------------------------------
edit "$L" "c['linux'].pop('resources'); c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': $(($(ulimit -Hn) + 1))}]"
run_both rlimits "$L"
if [ $RC_RS != 0 ] && [[ $OUT_RS == *RLIMIT_NOFILE* ]] && [ $RC_RC != 0 ]; then ok rlimits
else bad rlimits "rsrun $RC_RS [$OUT_RS], runc $RC_RC [$OUT_RC]"; fi

# --- sysfs ----------------------------------------------------------------------------------------------
edit "$B" "c['process']['args'] = ['/bin/sh', '-c', 'grep \" /sys \" /proc/mounts | cut -d\" \" -f3,4 | cut -c1-8; touch /sys/x 2>/dev/null && echo writable']"
run_both sysfs1 "$B"
out1=$OUT_RS
edit "$B" "c['linux']['namespaces'].append({'type': 'network'}); c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/sys'] + [{'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs', 'options': ['nosuid', 'noexec', 'nodev', 'ro']}]"
run_both sysfs2 "$B"
if [ "$out1" = "sysfs ro" ] && [ "$OUT_RS" = "sysfs ro" ] && [ "$OUT_RS" = "$OUT_RC" ]; then ok sysfs
else bad sysfs "without netns [$out1], with [$OUT_RS] (runc [$OUT_RC])"; fi

# --- cgroupfs ------------------------------------------------------------------------------------------
C=$(bundle cgroupfs)
edit "$C" "
for m in c['mounts']:
    if m['destination'] == '/sys/fs/cgroup': m['options'] = ['nosuid', 'noexec', 'nodev', 'rw']
c['process']['args'] = ['/bin/sh', '-c', 'for d in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -d \$d ] || continue; mkdir \$d/rl-x 2>/dev/null && echo \$d writable; grep \" \$d \" /proc/self/mountinfo | tail -1 | grep -q \" \$d ro[, ]\" || echo \$d not-ro; done; echo done']"
OUT_RS=$(cd "$C" && as "$U1" "$R" run "rl-cg-$$" 2>&1)
if [ "$OUT_RS" = done ]; then ok cgroupfs; else bad cgroupfs "[$OUT_RS]"; fi

# --- escape -------------------------------------------------------------------------------------------
E=$(bundle escape)
echo secret > "$T/rootfile" && chmod 644 "$T/rootfile"
install -d -m 755 -o "$U1" "$T/userdir"
edit "$E" "
c['mounts'] += [{'destination': '/rootfile', 'type': 'bind', 'source': '$T/rootfile', 'options': ['rbind', 'rw']},
                {'destination': '/userdir', 'type': 'bind', 'source': '$T/userdir', 'options': ['rbind', 'rw']}]
c['process']['args'] = ['/bin/sh', '-c', '{ echo pwned > /rootfile; } 2>/dev/null && echo wrote; stat -c %u /rootfile; touch /userdir/f; id -u']"
run_both escape "$E"
owner=$(stat -c %u "$T/userdir/f" 2>/dev/null)
if [ "$OUT_RS" = "65534
0" ] && [ "$(cat "$T/rootfile")" = secret ] && [ "$owner" = "$UID1" ] && [ "$OUT_RS" = "$OUT_RC" ]; then ok escape
else bad escape "rsrun [$OUT_RS] runc [$OUT_RC], host file [$(cat "$T/rootfile")], owner of the new file [$owner]"; fi

# --- isolation ------------------------------------------------------------------------------------------
edit "$B" "c['process']['args'] = ['sleep', '100']"
(cd "$B" && as "$U1" "$R" run -d "$id") >/dev/null 2>&1
root1=$T/run-$U1/rsrun
fails=""
for verb in "list" "state $id" "ps $id" "kill $id KILL" "kill --all $id KILL" "pause $id" "delete -f $id" "delete $id"; do
  # shellcheck disable=SC2086
  out=$(as "$U2" "$R" --root "$root1" $verb 2>&1); rc=$?
  if [ $rc != 1 ] || [[ $out != *"ermission denied"* ]]; then fails+="[$verb: $rc $out] "; fi
done
# Another user's container in its own root does not show up either.
other=$(as "$U2" "$R" list -q 2>&1)
st=$(as "$U1" "$R" state "$id" 2>&1)
as "$U1" "$R" delete -f "$id"
if [ -z "$fails" ] && [ -z "$other" ] && [[ $st == *'"status": "running"'* ]]; then ok isolation
else bad isolation "$fails; $U2's list [$other]; the container afterwards [$st]"; fi

# --- podman -------------------------------------------------------------------------------------------
podman_checks() {
  local rt=$1 name out rc
  name=$(basename "$rt")
  pm() { as "$U1" timeout -k 5 120 podman --runtime "$rt" "$@" 2>&1 | grep -v 'is not a shared mount'; return "${PIPESTATUS[0]}"; }
  out=$(pm run --rm localhost/rl-bb sh -c 'id -u; cat /proc/self/uid_map | wc -l; exit 3'); rc=$?
  if [ $rc = 3 ] && [ "$out" = "0
2" ]; then ok "podman[$name] run"; else bad "podman[$name] run" "$rc [$out]"; fi
  pm run -d --name "rl-pd-$$" localhost/rl-bb sleep 1000 >/dev/null
  out=$(pm top "rl-pd-$$")
  if [[ $out == *"sleep 1000"* ]]; then ok "podman[$name] run -d + top"; else bad "podman[$name] run -d + top" "[$out]"; fi
  out=$(pm exec "rl-pd-$$" sh -c 'echo exec-ok; id -u'); rc=$?
  if [ $rc = 0 ] && [ "$out" = "exec-ok
0" ]; then ok "podman[$name] exec"; else bad "podman[$name] exec" "$rc [$out]"; fi
  out=$(pm stop -t 1 "rl-pd-$$"); rc=$?
  state=$(pm inspect -f '{{.State.Status}}' "rl-pd-$$")
  if [ $rc = 0 ] && [ "$state" = exited ]; then ok "podman[$name] stop"; else bad "podman[$name] stop" "$rc [$out] state [$state]"; fi
  out=$(pm rm "rl-pd-$$"); rc=$?
  if [ $rc = 0 ] && [ -z "$(pm ps -aq)" ]; then ok "podman[$name] rm"; else bad "podman[$name] rm" "$rc [$out]"; fi
}
if [ -n "${SKIP_PODMAN:-}" ]; then echo "rootless: podman skipped (SKIP_PODMAN)"
elif ! command -v podman >/dev/null; then echo "rootless: podman skipped: podman not installed"
else
  # The image: busybox-static, imported offline as tests/engines.sh does.
  mkdir -p "$T/img/rootfs/"{bin,etc,proc,sys,dev,tmp,root}
  cp "$(command -v busybox)" "$T/img/rootfs/bin/busybox" && chroot "$T/img/rootfs" /bin/busybox --install -s /bin
  echo 'root:x:0:0:root:/root:/bin/sh' > "$T/img/rootfs/etc/passwd"; echo 'root:x:0:' > "$T/img/rootfs/etc/group"
  tar -C "$T/img/rootfs" -cf "$T/img/bb.tar" . && chmod 644 "$T/img/bb.tar"
  mkdir -p "$T/home-$U1/.config/containers"
  cat > "$T/home-$U1/.config/containers/containers.conf" <<EOF
[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crun", "runc", "rsrun"]
EOF
  chown -R "$U1:" "$T/home-$U1/.config"
  exec 9>>/tmp/rsrun-engines.lock
  flock -w 3600 9 || bad podman "/tmp/rsrun-engines.lock still held after an hour"
  if as "$U1" podman import -q --change 'CMD ["/bin/sh"]' "$T/img/bb.tar" localhost/rl-bb >/dev/null 2>&1; then
    podman_checks "$(command -v runc)"
    podman_checks "$R"
  else
    bad podman "podman import as $U1 failed"
  fi
  exec 9>&-
fi

[ $FAILS = 0 ] && echo "rootless: all checks passed" || echo "rootless: $FAILS check(s) FAILED"
[ $FAILS = 0 ]
