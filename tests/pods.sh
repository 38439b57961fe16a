#!/bin/bash
# podman pods with rsrun, beside runc: `podman pod create` + containers in it (sharing the infra
# container's network, IPC and UTS namespaces), exec, stop/rm, and `podman kube play` of a
# two-container pod YAML, then `kube down`. One "ok"/"FAILED" line per check; exits non-zero on any
# failure.
#
# podman gets a storage, run and tmp directory of its own (under RSRUN_TEST_DIR), so it touches
# nothing of the machine's podman; the infra image is podman's own pause image, built locally from
# catatonit. tools/test.sh runs it (optional suite). Alone, as root, under the engines lock:
#   flock /tmp/rsrun-engines.lock tests/pods.sh          (SKIP_PODS=1 skips it)
set -uo pipefail
[ -z "${SKIP_PODS:-}" ] || { echo "pods: skipped (SKIP_PODS)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "pods: skipped: needs root"; exit 0; }
command -v podman >/dev/null || { echo "pods: skipped: no podman (tools/setup.sh installs it)"; exit 0; }
cd "$(dirname "$0")/.."
RT=${RSRUN_BIN:-$PWD/target/release/rsrun}   # RSRUN_BIN: another build, as for the cargo tests
[ -x "$RT" ] || { echo "pods: FAILED: $RT missing (cargo build --release)"; exit 1; }
T=$(mktemp -d "${RSRUN_TEST_DIR:-/tmp}/pods.XXXXXX")
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
IMG=localhost/rsrun-pods/bb:latest
fail=0
rt=

cleanup() {
  podman pod rm -af -t 0 >/dev/null 2>&1
  podman rm -af -t 0 >/dev/null 2>&1
  { grep -oE " $T/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
  rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "pods[$rt]: $1 ok"; }
bad() { echo "pods[$rt]: $1 FAILED: $2"; fail=1; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "want [$2] got [$3]"; fi; }
contains() { case $3 in *"$2"*) ok "$1" ;; *) bad "$1" "[$2] not in [$3]" ;; esac; }
pm() { podman --runtime "$rt" "$@"; }
field() { podman inspect --format "$2" "$1" 2>&1; }
ns_of() { readlink "/proc/$1/ns/$2"; }

cat > "$T/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$T/tmp"
runtime_supports_json = ["crun", "runc", "rsrun"]
[engine.runtimes]
rsrun = ["$RT"]
EOF
cat > "$T/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$T/runroot"
graphroot = "$T/storage"
EOF
mkdir -p "$T"/rootfs/{bin,etc,proc,sys,dev,tmp,root}
cp "$(command -v busybox)" "$T/rootfs/bin/busybox"
chroot "$T/rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' > "$T/rootfs/etc/passwd"
tar -C "$T/rootfs" -cf "$T/bb.tar" .
# PATH in the image: `kube play` adds none of its own (runc and rsrun then find no "sh").
podman import -q --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' "$T/bb.tar" "$IMG" >/dev/null ||
  { echo "pods: FAILED: podman import"; exit 1; }

have_exec() { [ "$rt" = runc ] || [[ $("$RT" --root "$T/probe" exec probe true 2>&1) != *"not implemented"* ]]; }

for rt in runc rsrun; do
  # --- podman pod create + containers -----------------------------------------------------------------
  pod=$rt-pp
  out=$(pm pod create --name "$pod" --network none 2>&1) || { bad "pod create" "$out"; continue; }
  ok "pod create"
  infra=$(field "$pod" '{{.InfraContainerID}}')
  check "infra container runs under $rt" "$rt" "$(field "$infra" '{{.OCIRuntime}}')"
  out=$(pm run -d --pod "$pod" --name "$rt-pc1" "$IMG" sh -c 'echo pc1-up; exec sleep 1000' 2>&1) || bad "run -d in the pod" "$out"
  check "container runs under $rt" "$rt" "$(field "$rt-pc1" '{{.OCIRuntime}}')"
  ipid=$(field "$infra" '{{.State.Pid}}')
  out=$(pm run --rm --pod "$pod" "$IMG" sh -c 'for n in net ipc uts; do readlink /proc/self/ns/$n; done; hostname' 2>&1)
  check "run --rm in the pod: the infra's net, ipc, uts namespaces and hostname" \
    "$(printf '%s\n%s\n%s\n%s' "$(ns_of "$ipid" net)" "$(ns_of "$ipid" ipc)" "$(ns_of "$ipid" uts)" "$pod")" "$out"
  cpid=$(field "$rt-pc1" '{{.State.Pid}}')
  check "detached container in the infra's netns" "$(ns_of "$ipid" net)" "$(ns_of "$cpid" net)"
  if have_exec; then
    out=$(pm exec "$rt-pc1" sh -c 'echo exec-out; exit 5' 2>&1); rc=$?
    check "exec in a pod container" "exec-out 5" "$out $rc"
  else
    echo "pods[$rt]: exec skipped: rsrun exec is not implemented in this build"
  fi
  out=$(pm run --pod "$pod" --name "$rt-bad" "$IMG" /nonexistent 2>&1)
  contains "the runtime's error reaches podman" 'exec: "/nonexistent"' "$out"
  out=$(pm pod stop -t 1 "$pod" 2>&1) && ok "pod stop" || bad "pod stop" "$out"
  check "all stopped" "" "$(podman ps -q --filter "pod=$pod")"
  out=$(pm pod rm "$pod" 2>&1) && ok "pod rm" || bad "pod rm" "$out"
  check "pod gone" "" "$(podman pod ps -q --filter "name=$pod")"

  # --- podman kube play of a two-container pod -----------------------------------------------------
  cat > "$T/$rt-kube.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $rt-kp
spec:
  containers:
  - name: web
    image: $IMG
    command: ["sh", "-c", "echo web-up; readlink /proc/self/ns/net; exec sleep 1000"]
  - name: side
    image: $IMG
    command: ["sh", "-c", "echo side-up; readlink /proc/self/ns/net; exec sleep 1000"]
EOF
  out=$(pm kube play --network none "$T/$rt-kube.yaml" 2>&1) && ok "kube play" || bad "kube play" "$out"
  check "both containers running" "running running" \
    "$(field "$rt-kp-web" '{{.State.Status}}') $(field "$rt-kp-side" '{{.State.Status}}')"
  check "both under $rt" "$rt $rt" "$(field "$rt-kp-web" '{{.OCIRuntime}}') $(field "$rt-kp-side" '{{.OCIRuntime}}')"
  for _ in $(seq 25); do [ -n "$(podman logs "$rt-kp-side" 2>/dev/null)" ] && break; sleep 0.2; done
  web=$(podman logs "$rt-kp-web" 2>&1); side=$(podman logs "$rt-kp-side" 2>&1)
  contains "web's output" "web-up" "$web"
  contains "side's output" "side-up" "$side"
  check "one network namespace for both" "$(sed -n 2p <<<"$web")" "$(sed -n 2p <<<"$side")"
  out=$(pm kube down "$T/$rt-kube.yaml" 2>&1) && ok "kube down" || bad "kube down" "$out"
  check "kube pod gone" "" "$(podman pod ps -q --filter "name=$rt-kp")"
  check "no containers left" "" "$(podman ps -aq)"
done
rt=all
[ $fail = 0 ] && echo "pods: all checks passed" || echo "pods: some checks FAILED"
exit $fail
