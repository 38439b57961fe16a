#!/bin/bash
# Lifecycle time on pure cgroup v2: boots the throw-away VM of tests/vm/vm-test.sh (Debian 12 kernel,
# pure cgroup v2, qemu TCG) and times create + start + delete -f of a busybox
# /bin/true bundle with the `crun spec` config (tools/config-default.json) for crun and each given
# rsrun binary, in ONE hyperfine run inside the guest (hyperfine, jq and crun are copied in with
# their libraries; the verbs run through bench/out/rss -q as in bench/lifecycle.sh). Prints the
# hyperfine summary and each runtime's mean and median as a ratio to crun's.
#
#   bench/vm-lifecycle.sh [RSRUN-BINARY...]     default: target/release/rsrun
#
# Environment: VM_WORK (default /tmp/rsrun-vm-work; one VM_WORK per concurrent run), RUNS (default
# 40), WARMUP (default 3), VM_ACCEL (default tcg: KVM inside this nested VM dies with an emulation
# failure at boot). Under TCG absolute times are ~50-100x the host's: only the ratios mean something.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
[ $# -gt 0 ] || set -- "$repo/target/release/rsrun"
[ -x "$bench/out/rss" ] || "$bench/build.sh"
accel=${VM_ACCEL:-tcg}
t=$(mktemp -d /tmp/rsrun-vm-bench.XXXXXX)
trap 'rm -rf "$t"' EXIT
cp "$bench/out/rss" "$t/rss"
jq '.process.terminal = false | .process.args = ["/bin/true"] | .root.path = "/tmp/rootfs"' \
  "$repo/tools/config-default.json" > "$t/config.json"
names=
i=0
for b in "$@"; do
  i=$((i + 1))
  cp "$b" "$t/rsrun$i"
  names="$names rsrun$i"
done
cat > "$t/run.sh" <<GUEST
#!/bin/sh
set -e
mkdir -p /tmp/rootfs/bin /tmp/rootfs/proc /tmp/rootfs/dev /tmp/rootfs/sys /tmp/rootfs/tmp /tmp/rootfs/etc
cp /bin/busybox /tmp/rootfs/bin/busybox
for a in \$(busybox --list); do [ \$a = busybox ] || ln -sf busybox /tmp/rootfs/bin/\$a; done
echo 'root:x:0:0:root:/root:/bin/sh' > /tmp/rootfs/etc/passwd
mkdir -p /tmp/b; cp /mnt/config.json /tmp/b/config.json; cp /mnt/rss /tmp/rss
set -- --command-name crun "/tmp/rss -q /usr/bin/crun --root /tmp/r-crun create --bundle /tmp/b b-crun :: /usr/bin/crun --root /tmp/r-crun start b-crun :: /usr/bin/crun --root /tmp/r-crun delete -f b-crun"
for n in $names; do
  cp /mnt/\$n /tmp/\$n
  set -- "\$@" --command-name \$n "/tmp/rss -q /tmp/\$n --root /tmp/r-\$n create --bundle /tmp/b b-\$n :: /tmp/\$n --root /tmp/r-\$n start b-\$n :: /tmp/\$n --root /tmp/r-\$n delete -f b-\$n"
done
echo "kernel \$(uname -r); /sys/fs/cgroup fs type 0x\$(stat -f -c %t /sys/fs/cgroup) (63677270: cgroup2)"
hyperfine -N --warmup ${WARMUP:-3} --runs ${RUNS:-40} --export-json /mnt/vm-lifecycle.json "\$@"
GUEST
chmod +x "$t/run.sh"
VM_BINARIES="/usr/bin/crun $(command -v jq) $(command -v hyperfine) ${VM_BINARIES:-}" \
  "$repo/tests/vm/vm-test.sh" "${VM_WORK:-/tmp/rsrun-vm-work}" "$t" "$accel"
echo
echo "pure cgroup v2 VM ($accel): lifecycle ratios to crun (mean / median):"
jq -r '
  def r2: . * 100 | round / 100;
  def ms: . * 1000 * 100 | round / 100;
  (.results[] | select(.command == "crun")) as $c
  | .results[] | "  \(.command): \(.mean | ms) ms mean, \(.median | ms) ms median; x \(.mean / $c.mean | r2) / \(.median / $c.median | r2)"
' "$t/vm-lifecycle.json"
