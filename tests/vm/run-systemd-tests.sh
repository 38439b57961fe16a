#!/bin/bash
# tests/vm/run-systemd-tests.sh
# The systemd cgroup driver (--systemd-cgroup) on a real systemd: boots the throw-away VM of
# tests/vm/vm-test.sh with VM_INIT=systemd (Debian 12's systemd 252 as PID 1, dbus-daemon, pure
# cgroup v2) once and runs tests/vm/systemd-guest.sh inside it as a service, against the static
# release binary, with crun 1.8.1 --systemd-cgroup (and jq) copied in as the reference. Prints one
# ok/FAIL line per check, the create timing of both runtimes, then the boot and run times.
# Env: VM_WORK: where qemu, the kernel and systemd are unpacked (~95 MB, fetched once with
#      apt-get download; default /tmp/rsrun-vm-work). Do not share one VM_WORK between runs at the
#      same time: each run rebuilds its initramfs there.
# Exit status: the number of failed checks (124: VM timed out, 125: no result).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
(cd "$repo" && cargo build --release -q)
bin=$repo/target/release/rsrun
readelf -l "$bin" | grep -q INTERP && { echo "$bin is not static"; exit 2; }
t=$(mktemp -d /tmp/rsrun-systemd-vm.XXXXXX)
trap 'rm -rf "$t"' EXIT
cp "$bin" "$t/rsrun"
cp "$repo/tools/config-default.json" "$t/config.json"
{ echo '#!/bin/sh'; echo 'exec sh /mnt/systemd-guest.sh'; } > "$t/run.sh"
cp "$here/systemd-guest.sh" "$t/systemd-guest.sh"
chmod +x "$t/run.sh"
start=$(date +%s.%N)
set +e
VM_INIT=systemd VM_TIMEOUT=${VM_TIMEOUT:-600} VM_BINARIES="/usr/bin/crun $(command -v jq) ${VM_BINARIES:-}" \
  "$here/vm-test.sh" "${VM_WORK:-/tmp/rsrun-vm-work}" "$t"
rc=$?
set -e
echo "run-systemd-tests: VM exit $rc after $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s (boot + run, host clock)"
exit $rc
