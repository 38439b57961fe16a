#!/bin/bash
# (Copy of the company tool ../shared/engines/engines.sh, so CI, which has only this checkout, can run it.
#  Differences: `setup` and `smoke` take several runtimes, all registered at once so one dockerd serves
#  them all (a runtime named `runc` is docker's built-in one and must be the runc on PATH: dockerd
#  refuses to have it redefined); tmux is installed too (tests/engines.sh drives -it sessions with it);
#  `ctr` takes the runtime with --runc-binary as before; `teardown` also removes ctr's tasks (their shims
#  would outlive containerd), unmounts under the daemons' /run dirs and retries busy cgroups briefly;
#  every command closes inherited fds above 2 first, so a caller's `flock` fd cannot live on in a
#  daemon, conmon or shim and keep the engines locked.)
# Drive an OCI runtime through real engines on a Debian 12 root machine with no registry and no systemd.
#
#   engines.sh setup RT...     install podman, docker, containerd; import a busybox image; start dockerd
#                              and containerd with each RT registered under its basename
#   engines.sh podman ARGS...  podman with the right config; e.g. `engines.sh podman run --rm --runtime NAME localhost/bb echo hi`
#   engines.sh docker ARGS...  docker against our dockerd;  e.g. `engines.sh docker run --rm --runtime=NAME --network none localhost/bb echo hi`
#   engines.sh ctr ARGS...     ctr against our containerd;  e.g. `engines.sh ctr run --rm --runc-binary RT localhost/bb:latest c1 echo hi`
#   engines.sh smoke RT...     setup, then one container through each engine per RT; exit non-zero on any failure
#   engines.sh teardown        stop the daemons (by pid), remove their state, mounts and cgroups
#
# Everything lives under $ENGINES_DIR (default /tmp/rsrun-engines) and /run/rsrun-engines-*.
# Facts behind the settings: podman needs nofile/nproc within the hard limits because CAP_SYS_RESOURCE is
# missing here; docker --privileged cannot work here for the same reason; podman passes --log/--log-format
# only to runtimes listed in runtime_supports_json.
set -euo pipefail
W=${ENGINES_DIR:-/tmp/rsrun-engines}
DOCK_RUN=/run/rsrun-engines-docker
CTRD_RUN=/run/rsrun-engines-ctrd
export CONTAINERS_CONF=$W/containers.conf
export DOCKER_HOST=unix://$W/docker.sock

say() { echo "engines: $*" >&2; }

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v busybox >/dev/null || need+=(busybox-static)
  command -v tmux >/dev/null || need+=(tmux)
  if ((${#need[@]})); then apt-get -o DPkg::Lock::Timeout=600 update -qq; apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null; fi
  if ! command -v dockerd >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq; apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker.io >/dev/null
  fi
}

make_image() {
  rm -rf "$W/rootfs"; mkdir -p "$W"/rootfs/{bin,etc,proc,sys,dev,tmp,root}
  cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
  chroot "$W/rootfs" /bin/busybox --install -s /bin
  echo 'root:x:0:0:root:/root:/bin/sh' > "$W/rootfs/etc/passwd"
  echo 'root:x:0:' > "$W/rootfs/etc/group"
  tar -C "$W/rootfs" -cf "$W/bb.tar" .
}

setup() {
  [ $# -gt 0 ] || { say "usage: engines.sh setup RUNTIME_PATH..."; return 2; }
  local rt name names="" podman_rts="" docker_rts=""
  for rt in "$@"; do
    rt=$(realpath "$rt"); name=$(basename "$rt")
    [ -x "$rt" ] || { say "$rt is not an executable"; return 2; }
    names+=", \"$name\""; podman_rts+="$name = [\"$rt\"]"$'\n'
    if [ "$name" = runc ]; then   # docker's built-in runtime: dockerd refuses to have it redefined
      [ "$rt" = "$(realpath "$(command -v runc)")" ] || { say "docker's runc is the one on PATH, not $rt"; return 2; }
    else
      docker_rts+="${docker_rts:+, }\"$name\": {\"path\": \"$rt\"}"
    fi
  done
  mkdir -p "$W"; install_packages; make_image
  cat > "$W/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crun", "runc"$names]
[engine.runtimes]
$podman_rts
EOF
  podman import -q --change 'CMD ["/bin/sh"]' "$W/bb.tar" localhost/bb >/dev/null

  local running=0
  if [ -S "$W/docker.sock" ] && docker version >/dev/null 2>&1; then running=1; fi
  cat > "$W/daemon.json" <<EOF
{"data-root": "$W/docker", "exec-root": "$DOCK_RUN", "pidfile": "$W/docker.pid",
 "hosts": ["unix://$W/docker.sock"], "iptables": false, "ip6tables": false, "ip-forward": false,
 "ip-masq": false, "bridge": "none", "userland-proxy": false, "storage-driver": "overlay2",
 "exec-opts": ["native.cgroupdriver=cgroupfs"], "runtimes": {$docker_rts}}
EOF
  if ((running)); then
    kill -HUP "$(cat "$W/docker.pid")"; sleep 0.5   # dockerd reloads its runtimes on SIGHUP
  else
    daemon dockerd --config-file "$W/daemon.json" > "$W/dockerd.log" 2>&1 < /dev/null &
    for _ in $(seq 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
    docker version >/dev/null 2>&1 || { say "dockerd did not start; see $W/dockerd.log"; return 1; }
  fi
  docker import -c 'CMD ["/bin/sh"]' "$W/bb.tar" localhost/bb >/dev/null

  if [ ! -S "$CTRD_RUN/containerd.sock" ]; then
    mkdir -p "$CTRD_RUN"
    cat > "$W/containerd.toml" <<EOF
version = 2
root = "$W/containerd"
state = "$CTRD_RUN/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_RUN/containerd.sock"
[ttrpc]
  address = "$CTRD_RUN/containerd.sock.ttrpc"
EOF
    daemon containerd --config "$W/containerd.toml" > "$W/containerd.log" 2>&1 < /dev/null &
    echo $! > "$W/containerd.pid"
    for _ in $(seq 100); do [ -S "$CTRD_RUN/containerd.sock" ] && break; sleep 0.1; done
  fi
  docker save localhost/bb:latest | ctr_ images import - >/dev/null
  say "ready: podman and docker know the runtimes$(printf ' %s' "${@##*/}"); ctr takes --runc-binary PATH"
}

# Only fds 0-2 go on: `flock /tmp/rsrun-engines.lock engines.sh ...` passes its lock fd down (flock(1)
# does not set CLOEXEC), and a daemon, conmon or shim holding it keeps the engines locked for everyone
# long after flock exited.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}
# daemon CMD...: exec CMD in a new session with only fds 0-2.
daemon() { close_inherited_fds; exec setsid "$@"; }

ctr_() { ctr --address "$CTRD_RUN/containerd.sock" -n rsrun "$@"; }

smoke() {
  [ $# -gt 0 ] || { say "usage: engines.sh smoke RUNTIME_PATH..."; return 2; }
  setup "$@"
  local rt name out fail=0
  for rt in "$@"; do
    rt=$(realpath "$rt"); name=$(basename "$rt")
    out=$(podman run --rm --runtime "$name" localhost/bb echo podman-ok 2>&1) || true
    [ "$out" = podman-ok ] && say "$name: podman ok" || { say "$name: podman FAILED: $out"; fail=1; }
    out=$(docker run --rm --runtime="$name" --network none localhost/bb echo docker-ok 2>&1) || true
    [ "$out" = docker-ok ] && say "$name: docker ok" || { say "$name: docker FAILED: $out"; fail=1; }
    out=$(ctr_ run --rm --runc-binary "$rt" localhost/bb:latest "smoke$$" echo ctr-ok 2>&1) || true
    [ "$out" = ctr-ok ] && say "$name: ctr ok" || { say "$name: ctr FAILED: $out"; fail=1; }
  done
  return $fail
}

teardown() {
  docker rm -f $(docker ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  podman rm -af -t 0 >/dev/null 2>&1 || true
  if [ -S "$CTRD_RUN/containerd.sock" ]; then   # ctr's tasks: their shims would outlive containerd
    local c
    for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s KILL "$c" >/dev/null 2>&1 || true; done
    for c in $(ctr_ container ls -q 2>/dev/null); do
      for _ in $(seq 50); do ctr_ task rm -f "$c" >/dev/null 2>&1 && break; ctr_ task ls -q 2>/dev/null | grep -qx "$c" || break; sleep 0.1; done
      ctr_ container rm "$c" >/dev/null 2>&1 || true
    done
  fi
  for f in "$W/docker.pid" "$W/containerd.pid"; do
    [ -f "$f" ] || continue
    local p; p=$(cat "$f")
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  umount "$DOCK_RUN/netns/default" 2>/dev/null || true
  { grep -oE " ($W|$DOCK_RUN|$CTRD_RUN)/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  podman system reset -f >/dev/null 2>&1 || true
  rm -rf "$DOCK_RUN" "$CTRD_RUN" /run/containerd/runc/rsrun /etc/docker/key.json /etc/containers/networks "$W"
  # The engines' cgroups; a cgroup whose last process (conmon, a shim) is still exiting is busy a moment.
  local c t left
  for _ in $(seq 50); do
    left=0
    for c in /sys/fs/cgroup/*/; do
      for t in docker libpod_parent rsrun; do
        [ -d "$c$t" ] || continue
        find "$c$t" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        [ -d "$c$t" ] && left=1
      done
    done
    ((left)) || break
    sleep 0.1
  done
  return 0
}

cmd=${1:-}; shift || true
close_inherited_fds
case $cmd in
  setup) setup "$@" ;;
  smoke) smoke "$@" ;;
  teardown) teardown ;;
  podman) podman "$@" ;;
  docker) docker "$@" ;;
  ctr) ctr_ "$@" ;;
  *) sed -n '/^#   engines.sh setup/,/^#   engines.sh teardown/p' "$0"; exit 2 ;;
esac
