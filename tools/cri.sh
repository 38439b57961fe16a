#!/bin/bash
# A Kubernetes node's container side, without Kubernetes: containerd's CRI plugin with an `rsrun`
# runtime handler (runc v2 shim, BinaryName = rsrun) next to the default `runc` handler, CNI
# (bridge + host-local + loopback) confined to a network namespace of its own, offline images, and a
# crictl-compatible client. Debian 12, root, no registry, no systemd needed. See docs/kubernetes.md.
#
#   cri.sh setup RSRUN_PATH [--systemd-cgroup]   install packages, write the config, start containerd
#                                                 (in netns rsrun-cri), build + import the pause and
#                                                 busybox images; re-running restarts containerd
#   cri.sh ctl ARGS...                            the CRI client, crictl's syntax and output, e.g.
#                                                 `cri.sh ctl runp --runtime rsrun pod.json`
#   cri.sh config RSRUN_PATH [--systemd-cgroup]   print the containerd config setup would write
#   cri.sh runtimeclass                           print the RuntimeClass YAML for the rsrun handler
#   cri.sh images OUTDIR                          only build the two image archives (OUTDIR/pause.tar,
#                                                 OUTDIR/busybox.tar), e.g. for a machine without gcc
#   cri.sh teardown                               remove all pods, stop containerd and the shims (by
#                                                 pid), remove mounts, cgroups, netns and state
#
# Everything lives in $CRI_DIR (default /var/lib/rsrun-cri) and $CRI_RUN (default /run/rsrun-cri):
# containerd's socket is $CRI_RUN/containerd.sock, pods go under the cgroup parent /rsrun-cri.
# Images (never pulled): localhost/rsrun-cri/pause:1.0 (sandbox image, a static pause program built
# from tools/cri/pause.c) and localhost/rsrun-cri/busybox:1.0 (busybox-static). With CRI_IMAGES=DIR,
# setup imports DIR/pause.tar and DIR/busybox.tar (from `cri.sh images DIR`) instead of building them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${CRI_DIR:-/var/lib/rsrun-cri}
R=${CRI_RUN:-/run/rsrun-cri}
NETNS=rsrun-cri
SOCK=$R/containerd.sock
PY=/usr/bin/python3                      # Debian's python, where python3-grpcio/-protobuf live
PAUSE_IMAGE=localhost/rsrun-cri/pause:1.0
BUSYBOX_IMAGE=localhost/rsrun-cri/busybox:1.0
SUBNET=${CRI_SUBNET:-10.88.77.0/24}      # pod addresses; they exist only inside netns rsrun-cri

say() { echo "cri: $*" >&2; }
die() { say "$*"; exit 1; }

install_packages() {
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v protoc >/dev/null || need+=(protobuf-compiler)
  $PY -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
  $PY -c 'import google.protobuf' 2>/dev/null || need+=(python3-protobuf)
  $PY -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
  if [ -z "${CRI_IMAGES:-}" ]; then
    command -v busybox >/dev/null || need+=(busybox-static)
    command -v gcc >/dev/null || need+=(gcc libc6-dev)
  fi
  command -v ip >/dev/null || need+=(iproute2)
  command -v nsenter >/dev/null || need+=(util-linux)
  if ((${#need[@]})); then
    command -v apt-get >/dev/null || die "missing, and no apt-get to install them: ${need[*]}"
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

# The Python module for runtime.v1, compiled from the committed .proto by Debian's protoc (the same
# protobuf release as python3-protobuf), refreshed whenever the .proto is newer.
gen_stubs() {
  local out=$W/py
  if [ ! -f "$out/runtime_v1_pb2.py" ] || [ "$HERE/cri/runtime_v1.proto" -nt "$out/runtime_v1_pb2.py" ]; then
    mkdir -p "$out"
    protoc -I "$HERE/cri" --python_out="$out" "$HERE/cri/runtime_v1.proto"
  fi
}

# containerd's config: CRI plugin with two runc-v2-shim handlers. With --systemd-cgroup both pass
# --systemd-cgroup to their runtime (and kubelet must use cgroupDriver: systemd).
config() {
  local rt=${1:?usage: cri.sh config RSRUN_PATH [--systemd-cgroup]} systemd=false
  [ "${2:-}" = --systemd-cgroup ] && systemd=true
  local cri='plugins."io.containerd.grpc.v1.cri"'
  cat <<EOF
# containerd config written by tools/cri.sh (rsrun). Paths of its own, so that it can run beside
# another containerd on the same machine.
version = 2
root = "$W/containerd"
state = "$R/containerd"

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$W/opt"

[$cri]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # The pod's netns bind mounts under state/, not /run/netns.
  netns_mounts_under_state_dir = true
  # Sandboxes ask for oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE, which this machine
  # lacks: cap it at containerd's own value (a no-op on a normal node, keep false there).
  restrict_oom_score_adj = true

  [$cri.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [$cri.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [$cri.containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc || echo /usr/sbin/runc)"
        Root = "$R/runc"
        SystemdCgroup = $systemd

    [$cri.containerd.runtimes.rsrun]
      runtime_type = "io.containerd.runc.v2"
      [$cri.containerd.runtimes.rsrun.options]
        BinaryName = "$rt"
        Root = "$R/rsrun"
        SystemdCgroup = $systemd

  [$cri.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni"
    max_conf_num = 1
EOF
}

cni_config() {
  cat <<EOF
{
  "cniVersion": "0.4.0",
  "name": "rsrun-cri",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "rsrcri0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$SUBNET"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$W/cni-ipam"
      }
    }
  ]
}
EOF
}

runtimeclass() {
  cat <<'EOF'
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: rsrun
handler: rsrun
EOF
}

# A docker-archive image (what `docker save` writes; `ctr images import` reads it) from a directory.
# Deterministic: sorted entries, owner 0, mtime 0.
pack_image() { # pack_image ROOTFS NAME:TAG CONFIG_JSON_FRAGMENT OUT.tar
  local rootfs=$1 ref=$2 cfg=$3 out=$4 d
  d=$(mktemp -d "$(dirname "$out")/pack.XXXXXX")
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$d/layer.tar" .
  local diff; diff=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
  mkdir "$d/$diff" && mv "$d/layer.tar" "$d/$diff/layer.tar"
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cfg" "$diff" > "$d/config.json"
  local cid; cid=$(sha256sum "$d/config.json" | cut -d' ' -f1)
  mv "$d/config.json" "$d/$cid.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cid" "$ref" "$diff" > "$d/manifest.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf "$out" .
  rm -rf "$d"
}

# The two image archives, pause.tar and busybox.tar, into directory $1.
build_images() {
  local b=$1
  mkdir -p "$b"; b=$(realpath "$b"); rm -rf "$b/pause" "$b/busybox"
  mkdir -p "$b/pause/etc" "$b/busybox"/{bin,etc,proc,sys,dev,tmp,root,home/user}
  gcc -static -Os -s -o "$b/pause/pause" "$HERE/cri/pause.c"
  echo 'nobody:x:65534:65534:nobody:/:/pause' > "$b/pause/etc/passwd"
  pack_image "$b/pause" "$PAUSE_IMAGE" '{"Entrypoint":["/pause"],"WorkingDir":"/"}' "$b/pause.tar"

  cp "$(command -v busybox)" "$b/busybox/bin/busybox"
  chroot "$b/busybox" /bin/busybox --install -s /bin
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    > "$b/busybox/etc/passwd"
  printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' > "$b/busybox/etc/group"
  chmod 1777 "$b/busybox/tmp"; chown 1000:1000 "$b/busybox/home/user"
  pack_image "$b/busybox" "$BUSYBOX_IMAGE" \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]}' "$b/busybox.tar"
  rm -rf "$b/pause" "$b/busybox"
}

make_images() {
  local b=${CRI_IMAGES:-$W/build} t
  [ -n "${CRI_IMAGES:-}" ] || build_images "$b"
  for t in pause busybox; do
    ctr --address "$SOCK" -n k8s.io images import "$b/$t.tar" >/dev/null
  done
  [ -n "${CRI_IMAGES:-}" ] || rm -rf "$b"
}

containerd_pid() {
  local p
  p=$(cat "$W/containerd.pid" 2>/dev/null) || return 1
  [ -d "/proc/$p" ] && grep -q containerd "/proc/$p/comm" 2>/dev/null && echo "$p"
}

stop_containerd() {
  local p
  p=$(containerd_pid) || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 100); do [ -d "/proc/$p" ] || break; sleep 0.1; done
  rm -f "$W/containerd.pid"
}

setup() {
  local rt; rt=$(realpath "${1:?usage: cri.sh setup RSRUN_PATH [--systemd-cgroup]}")
  [ -x "$rt" ] || die "$rt is not an executable"
  install_packages
  mkdir -p "$W/cni" "$W/cni-ipam" "$R"
  gen_stubs
  [ -e "/run/netns/$NETNS" ] || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  config "$rt" "${2:-}" > "$W/containerd.toml"
  # Whole files only: containerd watches conf_dir and would read a half-written one.
  cni_config > "$W/cni/.conflist.tmp" && mv "$W/cni/.conflist.tmp" "$W/cni/10-rsrun-cri.conflist"
  stop_containerd   # a re-run takes the new config; pods and their shims live on
  # In netns rsrun-cri (network only: the mount namespace stays the host's), so the CNI bridge, the
  # pods' veths and the streaming server's port all stay in there. Without our fds above 2: an
  # inherited one would live on in containerd and every shim (e.g. the fd of a caller's
  # `flock /tmp/rsrun-engines.lock`, holding the lock for as long as containerd runs).
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec setsid nsenter --net="/run/netns/$NETNS" containerd --config "$W/containerd.toml" \
      >> "$W/containerd.log" 2>&1 < /dev/null
  ) &
  echo $! > "$W/containerd.pid"
  local ok=0
  for _ in $(seq 150); do
    if ctl version >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  ((ok)) || die "containerd did not come up; see $W/containerd.log"
  make_images
  say "ready: handlers runc and rsrun ($rt); client: $0 ctl ..."
}

ctl() {
  [ -f "$W/py/runtime_v1_pb2.py" ] || gen_stubs
  # In the node's netns: exec/attach stream from containerd's streaming server on 127.0.0.1 there.
  CRI_PY=$W/py nsenter --net="/run/netns/$NETNS" "$PY" "$HERE/cri/crictl.py" \
    --runtime-endpoint "unix://$SOCK" "$@"
}

# Pids of the shims our containerd started (each writes shim.pid in its task's bundle directory).
shim_pids() {
  local f
  for f in "$R"/containerd/io.containerd.runtime.v2.task/*/*/shim.pid; do
    [ -f "$f" ] && cat "$f" && echo
  done
}

teardown() {
  if containerd_pid >/dev/null; then
    ( ctl rmp -a -f >/dev/null 2>&1 || true )
  fi
  stop_containerd
  local p
  for p in $(shim_pids); do
    kill -KILL "$p" 2>/dev/null || true
  done
  # Containers whose shim is gone: delete them through their runtime, by its state dir.
  local rt root id
  for rt in runc rsrun; do
    root=$R/$rt
    [ -d "$root" ] || continue
    local bin; bin=$(sed -n "/runtimes.$rt.options/,/Root/s/.*BinaryName = \"\\(.*\\)\"/\\1/p" "$W/containerd.toml" 2>/dev/null)
    for id in $(ls "$root" 2>/dev/null); do
      [ -n "$bin" ] && "$bin" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  { grep -oE " ($W|$R)/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  [ -e "/run/netns/$NETNS" ] && ip netns del "$NETNS" 2>/dev/null || true
  local c
  for c in /sys/fs/cgroup/*/; do
    [ -d "${c}rsrun-cri" ] && find "${c}rsrun-cri" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$W" "$R"
  return 0
}

cmd=${1:-}; shift || true
case $cmd in
  setup) setup "$@" ;;
  ctl) ctl "$@" ;;
  config) config "$@" ;;
  runtimeclass) runtimeclass ;;
  images) build_images "${1:?usage: cri.sh images OUTDIR}" ;;
  teardown) teardown ;;
  *) sed -n '2,26p' "$0"; exit 2 ;;
esac
