#!/bin/bash
# tests/vm/run-cri-systemd-tests.sh
# containerd's CRI with SystemdCgroup = true on a real systemd: boots the throw-away VM of
# tests/vm/vm-test.sh with VM_INIT=systemd (systemd 252 as PID 1, pure cgroup v2) and runs
# tests/vm/cri-systemd-guest.sh inside it: tools/cri.sh setup --systemd-cgroup (the same script as
# on a host), then a pod, a container, exec, stats, update, stop and remove, with the rsrun handler
# and the runc handler, checking the transient cri-containerd-<id>.scope units and their cgroups.
# The host's own containerd, shim, ctr, runc, CNI plugins, protoc and Python (with grpcio, protobuf,
# yaml) go into the VM: binaries and their libraries copied into the initramfs, the Python library
# trees shared read-only over 9p (VM_SHARES). The two images are built here (`tools/cri.sh images`)
# and imported in the guest: nothing is pulled. Anything missing here: "skipped: why", exit 0.
# Env: VM_WORK: where qemu, the kernel and systemd are unpacked (default /tmp/rsrun-vm-work; do not
#      share one VM_WORK between runs at the same time). CRI_HANDLERS: default "rsrun runc".
#      SKIP_CRI=1 skips it, as it skips tests/cri.sh.
# Exit status: the number of failed checks (124: VM timed out, 125: no result).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
skip() { echo "cri-systemd: skipped: $*"; exit 0; }
[ -z "${SKIP_CRI:-}" ] || skip "SKIP_CRI"
for b in containerd containerd-shim-runc-v2 ctr; do
  command -v $b >/dev/null || skip "no $b here (Debian's containerd package)"
done
command -v protoc >/dev/null || skip "no protoc here (protobuf-compiler)"
py=/usr/bin/python3
[ -x $py ] || skip "no $py"
pyinfo=$($py -c 'import sysconfig, os, grpc, google.protobuf, yaml
print(sysconfig.get_paths()["stdlib"])
for m in (grpc, google.protobuf): print(os.path.dirname(os.path.realpath(m.__file__)))' 2>/dev/null) ||
  skip "$py lacks grpc, google.protobuf or yaml (python3-grpcio, python3-protobuf, python3-yaml)"
pystd=$(sed -n 1p <<<"$pyinfo")
pypkgs=$(sed -n 2p <<<"$pyinfo" | xargs dirname)   # where grpc and google.protobuf (and yaml) live
[ "$pypkgs" = "$(sed -n 3p <<<"$pyinfo" | xargs dirname | xargs dirname)" ] || skip "grpc and google.protobuf in different trees"
# The libraries of the extension modules it may load (the modules come with the shared trees).
libs=$(find "$pystd/lib-dynload" $(sed -n '2,3p' <<<"$pyinfo") -name '*.so' ! -name '_tkinter*' | xargs -r ldd 2>/dev/null |
  grep -o '/[^ ]*\.so[^ ]*' | grep -v -e "^$pystd/" -e "^$pypkgs/" | sort -u | tr '\n' ' ')
for p in bridge host-local loopback; do
  [ -x /usr/lib/cni/$p ] || skip "no /usr/lib/cni/$p (containernetworking-plugins)"
done
ipcmd=$(command -v ip) || skip "no ip (iproute2)"
nsenter=$(command -v nsenter) || skip "no nsenter (util-linux)"
jq=$(command -v jq) || skip "no jq"
handlers=${CRI_HANDLERS:-rsrun runc}
runc=$(command -v runc || true)
if [ -z "$runc" ]; then
  echo "cri-systemd: no runc here: the rsrun handler only"; handlers=rsrun
fi
(cd "$repo" && cargo build --release -q)
bin=$repo/target/release/rsrun
readelf -l "$bin" | grep -q INTERP && { echo "$bin is not static"; exit 2; }
t=$(mktemp -d /tmp/rsrun-cri-systemd-vm.XXXXXX)
trap 'rm -rf "$t"' EXIT
cp "$bin" "$t/rsrun"
mkdir -p "$t/tools"
cp -r "$repo/tools/cri.sh" "$repo/tools/cri" "$t/tools/"
"$repo/tools/cri.sh" images "$t/images"
cp "$here/cri-systemd-guest.sh" "$t/"
{ echo '#!/bin/sh'; echo "exec /bin/bash /mnt/cri-systemd-guest.sh $handlers"; } > "$t/run.sh"
chmod +x "$t/run.sh"
start=$(date +%s.%N)
set +e
VM_INIT=systemd VM_MEM=${VM_MEM:-2048} VM_TIMEOUT=${VM_TIMEOUT:-1200} \
  VM_MODULES="net/llc/llc net/802/stp net/bridge/bridge ${VM_MODULES:-}" \
  VM_SHARES="$pystd $pypkgs /usr/lib/cni" \
  VM_BINARIES="/bin/bash $py $(command -v containerd) $(command -v containerd-shim-runc-v2) $(command -v ctr) $runc
    $(command -v protoc) $ipcmd $nsenter $jq $libs ${VM_BINARIES:-}" \
  "$here/vm-test.sh" "${VM_WORK:-/tmp/rsrun-vm-work}" "$t"
rc=$?
set -e
echo "run-cri-systemd-tests: VM exit $rc after $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s (boot + run, host clock)"
exit $rc
